// From the case text to bytes and back: escapes, ${placeholders}, the line-end rules of client and
// backend messages, and the display form that failure reports and partial matches use.
#pragma once

#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace irulesd::cases {

// ${name} -> value for the names it knows; any other ${...} is left as written (Tcl error info in a
// log line may well contain one).
class Placeholders {
 public:
  void set(const std::string& name, const std::string& value) { values_[name] = value; }
  std::string apply(std::string_view text) const;

 private:
  std::map<std::string, std::string> values_;
};

// One line of a message section: \r \n \t \0 \\ \xHH are bytes; a backslash that ends the line means
// "no line end after this line". False (with a message) on any other escape.
bool decode_line(std::string_view line, std::string& out, bool& no_line_end, std::string& error);

// The bytes of a client/backend/expect message section (after placeholders):
// - head lines (up to the first empty line) each end in CRLF, and the head ends with an empty line
//   whether or not one was written;
// - body lines (after the first empty line) are joined with CRLF, with none after the last one.
// `raw`: the lines are concatenated with no line ends at all; only the escapes make bytes.
std::string message_bytes(const std::vector<std::string>& lines, bool raw);

// Bytes as lines for people: split at CRLF, other control bytes and backslashes escaped as the case
// syntax writes them; a last line without its CRLF ends in a lone backslash (the case syntax for "no
// line end"), so two byte strings that differ never look the same. Without `mark_unterminated` that
// last backslash is left out (for matching single lines).
std::vector<std::string> display_lines(std::string_view bytes, bool mark_unterminated = true);
// The same escaping for one piece of text (no CRLF splitting).
std::string display_escape(std::string_view bytes);
// Bytes as the lines of a raw section (tcp cases): a line ends after each \n, every control byte is
// escaped, so the lines concatenated and decoded (message_bytes(lines, true)) are the bytes again.
std::vector<std::string> byte_lines(std::string_view bytes);

// A line diff of expected against actual (longest common subsequence): "  " both, "- " expected
// only, "+ " actual only, each line indented. `same(i, j)` says whether expected[i] matches
// actual[j]; by default they must be equal. `common` is set to the number of matched lines.
std::string line_diff(const std::vector<std::string>& expected, const std::vector<std::string>& actual,
                      const std::function<bool(std::size_t, std::size_t)>& same = nullptr,
                      std::size_t* common = nullptr);

}  // namespace irulesd::cases
