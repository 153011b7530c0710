#include "tclext/http_facts.h"

#include "core/http_codec.h"

#include <strings.h>

namespace irulesd::tclext {
namespace {

constexpr std::string_view kSpaces = " \t";

std::string_view trim(std::string_view s) {
  const std::size_t first = s.find_first_not_of(kSpaces);
  if (first == std::string_view::npos) return {};
  return s.substr(first, s.find_last_not_of(kSpaces) - first + 1);
}

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && strncasecmp(a.data(), b.data(), a.size()) == 0;
}

// Whether any Connection header lists `token`.
bool connection_has(const HeaderList& headers, std::string_view token) {
  for (const Header& h : headers.items()) {
    if (header_name_equals(h.name, "Connection") && connection_lists(h.value, token)) return true;
  }
  return false;
}

int base64_value(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+') return 62;
  if (c == '/') return 63;
  return -1;
}

// RFC 4648 base64; the padding may be left out (some clients do). False on any other byte.
bool base64_decode(std::string_view in, std::string& out) {
  out.clear();
  while (!in.empty() && in.back() == '=') in.remove_suffix(1);
  unsigned bits = 0;
  int have = 0;
  for (char c : in) {
    const int v = base64_value(c);
    if (v < 0) return false;
    bits = (bits << 6) | static_cast<unsigned>(v);
    have += 6;
    if (have >= 8) {
      have -= 8;
      out.push_back(static_cast<char>((bits >> have) & 0xFF));
    }
  }
  return have < 6;   // one dangling character is not a whole byte
}

}  // namespace

bool message_keeps_alive(int version_major, int version_minor, const HeaderList& headers) {
  const bool http11 = version_major > 1 || (version_major == 1 && version_minor >= 1);
  if (http11) return !connection_has(headers, "close");
  return connection_has(headers, "keep-alive");
}

bool exchange_keeps_alive(const Transaction& tx, bool in_response) {
  bool alive = true;
  if (tx.request != nullptr) {
    alive = message_keeps_alive(tx.request->version_major, tx.request->version_minor, tx.request->headers);
  }
  if (in_response && tx.response != nullptr) {
    alive = alive && message_keeps_alive(tx.response->version_major, tx.response->version_minor, tx.response->headers);
  }
  return alive;
}

bool is_redirect_status(int status) {
  switch (status) {
    case 301:
    case 302:
    case 303:
    case 305:
    case 307:
    case 308:
      return true;
    default:
      return false;
  }
}

bool basic_credentials(const HeaderList& headers, std::string& user, std::string& password) {
  user.clear();
  password.clear();
  const std::optional<std::string_view> value = headers.last_value("Authorization");
  if (!value) return false;
  const std::string_view text = trim(*value);
  const std::size_t space = text.find_first_of(kSpaces);
  if (space == std::string_view::npos || !iequals(text.substr(0, space), "Basic")) return false;
  std::string decoded;
  if (!base64_decode(trim(text.substr(space)), decoded)) return false;
  const std::size_t colon = decoded.find(':');
  user = decoded.substr(0, colon);
  if (colon != std::string::npos) password = decoded.substr(colon + 1);
  return true;
}

}  // namespace irulesd::tclext
