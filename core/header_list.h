// HTTP header list: arrival order kept, duplicates kept, names compared case-insensitively.
// The model that HTTP::header reads and edits; serialized back in order when forwarded.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace irulesd {

struct Header {
  std::string name;
  std::string value;
};

bool header_name_equals(std::string_view a, std::string_view b);
// RFC 9110 token: what a header name may be.
bool is_header_token(std::string_view s);
// True when s holds CR, LF or NUL: a header value or URI that would break the message framing.
bool has_line_break(std::string_view s);
// A byte RFC 9110 5.5 forbids in a field value besides CR, LF and NUL: other controls but HTAB, and DEL.
bool has_control_byte(std::string_view s);
// What makes `value` unfit for a header a rule sets, as the end of an error message ("contains CR, LF
// or NUL", "contains a control character"); nullptr when it is fit.
const char* header_value_fault(std::string_view value);

class HeaderList {
 public:
  void clear();   // the entries become spares (see spare_)
  void add(std::string_view name, std::string_view value);   // append (HTTP::header insert)
  bool exists(std::string_view name) const;
  std::size_t count(std::string_view name) const;
  // Value of the last header with this name (BIG-IP's HTTP::header value), nullptr if absent.
  const std::string* last_value(std::string_view name) const;
  std::vector<std::string> values(std::string_view name) const;
  std::vector<std::string> names() const;   // every header's name, in order, duplicates kept
  std::size_t remove(std::string_view name);  // removes every occurrence, returns how many
  // Sets the value of the last occurrence; appends when absent (HTTP::header replace).
  void replace(std::string_view name, std::string_view value);

  const std::vector<Header>& items() const { return headers_; }
  std::size_t size() const { return headers_.size(); }
  bool modified() const { return modified_; }
  void clear_modified() { modified_ = false; }

 private:
  std::vector<Header> headers_;
  // Entries of earlier messages, kept with their strings' capacity: on a keep-alive connection the
  // next message's headers are copied into them, so parsing a head allocates nothing once warm.
  std::vector<Header> spare_;
  bool modified_ = false;
};

}  // namespace irulesd
