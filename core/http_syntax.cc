#include "core/http_syntax.h"

#include <strings.h>

namespace irulesd {
namespace {

constexpr const char* kNotVisible = "request-target holds a byte that is not visible ASCII (RFC 9112 3.2)";
constexpr const char* kFragment = "request-target holds a fragment (#) (RFC 9112 3.2)";
constexpr const char* kBadEscape = "request-target path holds a malformed percent-escape (RFC 3986 2.1)";
constexpr const char* kNoForm =
    "request-target is not origin-form, absolute-form, authority-form (CONNECT) or asterisk-form (OPTIONS) "
    "(RFC 9112 3.2)";
constexpr const char* kAsterisk = "asterisk-form request-target is for OPTIONS only (RFC 9112 3.2.4)";
constexpr const char* kConnect = "CONNECT request-target is not authority-form host:port (RFC 9112 3.2.3)";
constexpr const char* kScheme = "absolute-form request-target has a scheme other than http or https (RFC 9110 4.2)";
constexpr const char* kUserinfo = "absolute-form request-target carries userinfo (RFC 9110 4.2.4)";
constexpr const char* kAuthority = "absolute-form request-target has an invalid authority (RFC 9112 3.2.2)";
constexpr const char* kHost = "invalid Host header value (RFC 9112 3.2)";

bool is_alpha(unsigned char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool is_digit(unsigned char c) { return c >= '0' && c <= '9'; }
bool is_hex(unsigned char c) { return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }
bool is_unreserved(unsigned char c) {
  return is_alpha(c) || is_digit(c) || c == '-' || c == '.' || c == '_' || c == '~';
}
bool is_sub_delim(unsigned char c) { return std::string_view("!$&'()*+,;=").find(static_cast<char>(c)) != std::string_view::npos; }

// Every '%' starts "%HH".
bool escapes_well_formed(std::string_view s) {
  for (std::size_t i = s.find('%'); i != std::string_view::npos; i = s.find('%', i + 1)) {
    if (i + 2 >= s.size() || !is_hex(static_cast<unsigned char>(s[i + 1])) ||
        !is_hex(static_cast<unsigned char>(s[i + 2]))) {
      return false;
    }
  }
  return true;
}

// RFC 3986 reg-name (or IPv4address, which is one): unreserved / pct-encoded / sub-delims.
bool is_reg_name(std::string_view s) {
  for (unsigned char c : s) {
    if (!is_unreserved(c) && !is_sub_delim(c) && c != '%') return false;
  }
  return escapes_well_formed(s);
}

// "[" IPv6address "]", checked for its alphabet only: the connect path never resolves it.
bool is_ip_literal(std::string_view s) {
  if (s.size() < 3 || s.front() != '[' || s.back() != ']') return false;
  for (unsigned char c : s.substr(1, s.size() - 2)) {
    if (!is_hex(c) && c != ':' && c != '.') return false;
  }
  return true;
}

// 1 to 5 digits, at most 65535.
bool is_port(std::string_view s) {
  if (s.empty() || s.size() > 5) return false;
  unsigned value = 0;
  for (unsigned char c : s) {
    if (!is_digit(c)) return false;
    value = value * 10 + (c - '0');
  }
  return value <= 65535;
}

// uri-host [":" port], or with require_port uri-host ":" port.
bool is_host_port(std::string_view s, bool require_port) {
  std::string_view host = s;
  std::string_view port;
  bool has_port = false;
  if (!s.empty() && s.front() == '[') {
    std::size_t close = s.find(']');
    if (close == std::string_view::npos) return false;
    host = s.substr(0, close + 1);
    std::string_view rest = s.substr(close + 1);
    if (!rest.empty()) {
      if (rest.front() != ':') return false;
      has_port = true;
      port = rest.substr(1);
    }
    if (!is_ip_literal(host)) return false;
  } else {
    std::size_t colon = s.find(':');
    if (colon != std::string_view::npos) {
      host = s.substr(0, colon);
      port = s.substr(colon + 1);
      has_port = true;
    }
    if (host.empty() || !is_reg_name(host)) return false;
  }
  if (has_port) return is_port(port);
  return !require_port;
}

const char* check_absolute_form(std::string_view target) {
  const std::size_t sep = target.find("://");
  if (sep == std::string_view::npos || sep == 0) return kNoForm;
  const std::string_view scheme = target.substr(0, sep);
  if (!is_alpha(static_cast<unsigned char>(scheme.front()))) return kNoForm;
  const bool http = scheme.size() == 4 && strncasecmp(scheme.data(), "http", 4) == 0;
  const bool https = scheme.size() == 5 && strncasecmp(scheme.data(), "https", 5) == 0;
  if (!http && !https) return kScheme;
  std::string_view rest = target.substr(sep + 3);
  const std::size_t end = rest.find_first_of("/?");
  const std::string_view authority = rest.substr(0, end);
  if (authority.find('@') != std::string_view::npos) return kUserinfo;
  if (!is_host_port(authority, false)) return kAuthority;
  if (end == std::string_view::npos) return nullptr;
  const std::string_view path = rest.substr(end, rest.find('?', end) - end);
  return escapes_well_formed(path) ? nullptr : kBadEscape;
}

}  // namespace

const char* check_request_target(std::string_view method, std::string_view target) {
  if (target.empty()) return kNoForm;
  for (unsigned char c : target) {
    if (c <= 0x20 || c >= 0x7f) return kNotVisible;
  }
  if (target.find('#') != std::string_view::npos) return kFragment;
  if (method == "CONNECT") return is_host_port(target, true) ? nullptr : kConnect;
  if (target == "*") return method == "OPTIONS" ? nullptr : kAsterisk;
  if (target.front() == '/') {
    // Escapes are checked in the path only: rules and backends decode and compare paths, while a
    // query string is the application's (a literal "%" there is common and harmless to framing).
    return escapes_well_formed(target.substr(0, target.find('?'))) ? nullptr : kBadEscape;
  }
  return check_absolute_form(target);
}

std::string_view absolute_form_authority(std::string_view target) {
  if (target.empty() || target.front() == '/') return {};
  const std::size_t sep = target.find("://");
  if (sep == std::string_view::npos) return {};
  std::string_view rest = target.substr(sep + 3);
  return rest.substr(0, rest.find_first_of("/?"));
}

const char* check_host_value(std::string_view value) {
  if (value.empty()) return nullptr;
  return is_host_port(value, false) ? nullptr : kHost;
}

}  // namespace irulesd
