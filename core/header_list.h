// HTTP header list: arrival order kept, duplicates kept, names compared case-insensitively.
// The model that HTTP::header reads and edits; serialized back in order when forwarded.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace irulesd {

// A header as views: into the message's head as received (HeaderList::received_), or into a copy the
// list keeps (what a rule or the proxy set). Valid until the list is cleared or starts a new message.
struct Header {
  std::string_view name;
  std::string_view value;
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

// Parsed headers are slices of the head's bytes as they arrived (copied once, from the worker's shared
// read buffer, into received_): parsing copies no name or value, and a head nothing edited goes out as
// those bytes (received_head()). Values set later are copied into owned_, whose strings are reused by
// the next message, so a warm keep-alive connection allocates nothing per message either way.
class HeaderList {
 public:
  HeaderList() = default;
  HeaderList(const HeaderList& other) { *this = other; }
  HeaderList& operator=(const HeaderList& other);
  HeaderList(HeaderList&& other) noexcept { *this = std::move(other); }
  HeaderList& operator=(HeaderList&& other) noexcept;

  void clear();   // no headers; the received bytes stay until begin_received()
  void add(std::string_view name, std::string_view value);  // append (HTTP::header insert)
  bool exists(std::string_view name) const;
  std::size_t count(std::string_view name) const;
  // Value of the last header with this name (BIG-IP's HTTP::header value), nullopt if absent.
  std::optional<std::string_view> last_value(std::string_view name) const;
  std::vector<std::string> values(std::string_view name) const;
  std::vector<std::string> names() const;   // every header's name, in order, duplicates kept
  std::size_t remove(std::string_view name);  // removes every occurrence, returns how many
  // Sets the value of the last occurrence; appends when absent (HTTP::header replace).
  void replace(std::string_view name, std::string_view value);
  void set_at(std::size_t index, std::string_view name, std::string_view value);  // one entry, in place
  void remove_at(std::size_t index);

  const std::vector<Header>& items() const { return headers_; }
  std::size_t size() const { return headers_.size(); }
  bool modified() const { return modified_; }
  void clear_modified() { modified_ = false; }

  // The parser's side. A message's head bytes are appended as they arrive; headers are added as
  // offsets into them. The bytes may move while the head grows (the views follow).
  void begin_received();   // a new message: the last one's bytes are forgotten
  std::size_t append_received(const char* data, std::size_t len);   // returns the offset they start at
  const char* received_data() const { return received_.data(); }
  std::size_t received_size() const { return received_.size(); }
  void add_received(std::size_t name_at, std::size_t name_len, std::size_t value_at, std::size_t value_len);
  // The head is complete: it is the first `size` received bytes (what follows is the body's). `intact`:
  // every line of it ended in CRLF, so the bytes may be forwarded as they are.
  void end_received(std::size_t size, bool intact);
  // The head as received, while nothing was edited through this list (the start line is the caller's
  // to compare); empty when it must be serialized.
  std::string_view received_head() const {
    return modified_ || !intact_ ? std::string_view() : std::string_view(received_);
  }

 private:
  std::string_view keep(std::string_view s);   // a copy that lives until clear()
  void rebase(const char* old_base, std::size_t old_size);
  bool is_received(std::string_view s, const char* base, std::size_t size) const {
    return size > 0 && s.data() >= base && s.data() < base + size;
  }

  std::vector<Header> headers_;
  std::string received_;
  bool intact_ = false;
  // Copies of values set after parsing, each string on its own so that it never moves (the views stay
  // valid). Not a deque: an empty deque allocates, and an idle tunnel should hold nothing.
  std::vector<std::unique_ptr<std::string>> owned_;
  std::size_t owned_used_ = 0;
  bool modified_ = false;
};

}  // namespace irulesd
