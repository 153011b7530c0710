// The HTTP/1.1 syntax rules that llhttp (built without LLHTTP_STRICT_MODE, as Debian ships it) leaves
// to us: the form of a request-target, a Host value, the bytes a field value may hold. Each check
// returns nullptr when the input is valid, else the rule it breaks, worded for the log line that
// goes with the 400 (a static string: the parser keeps the pointer).
#pragma once

#include <string_view>

namespace irulesd {

// RFC 9112 3.2: origin-form ("/path?query"), absolute-form ("http://host/path", http or https only,
// no userinfo), authority-form ("host:port") for CONNECT and only there, asterisk-form ("*") for
// OPTIONS and only there. Every byte is visible ASCII, there is no fragment, and the path's
// percent-escapes are well formed.
const char* check_request_target(std::string_view method, std::string_view target);

// The authority ("host[:port]") of an absolute-form request-target, "" for any other form.
std::string_view absolute_form_authority(std::string_view target);

// RFC 9112 3.2 / RFC 3986 3.2.2: uri-host [":" port]; empty is allowed (a target without authority).
const char* check_host_value(std::string_view value);

// RFC 9110 5.5: a field value holds visible ASCII, obs-text, SP and HTAB, no other control byte
// (DEL included, which llhttp lets through).
inline bool is_field_value_byte(unsigned char c) { return (c >= 0x20 && c != 0x7f) || c == '\t'; }

}  // namespace irulesd
