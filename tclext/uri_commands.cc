// URI::decode encode query path basename host port protocol compare (clouddocs.f5.com/api/irules/
// URI__path.html and friends): pure functions of their arguments, valid in every event.
// A URI here is "scheme://authority/path?query" or a request URI "/path?query"; only a scheme made
// of scheme characters counts (URI::protocol "/uri?url=http://x/" is "", as on BIG-IP).
#include <string>
#include <string_view>

#include "tclext/command_table.h"
#include "tclext/value_bytes.h"

namespace irulesd::tclext {
namespace {

struct Uri {
  std::string_view scheme;      // without "://"; empty when there is none
  std::string_view authority;   // [userinfo@]host[:port]
  std::string_view path;        // up to the first '?'
  std::string_view query;       // after the first '?'
  bool has_query = false;
};

bool is_alpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool is_digit(char c) { return c >= '0' && c <= '9'; }

bool is_scheme(std::string_view s) {
  if (s.empty() || !is_alpha(s[0])) return false;
  for (char c : s) {
    if (!is_alpha(c) && !is_digit(c) && c != '+' && c != '-' && c != '.') return false;
  }
  return true;
}

Uri split_uri(std::string_view s) {
  Uri uri;
  const std::size_t sep = s.find("://");
  if (sep != std::string_view::npos && is_scheme(s.substr(0, sep))) {
    uri.scheme = s.substr(0, sep);
    s.remove_prefix(sep + 3);
    const std::size_t end = s.find_first_of("/?");
    uri.authority = s.substr(0, end);
    s.remove_prefix(uri.authority.size());
  }
  const std::size_t q = s.find('?');
  uri.path = s.substr(0, q);
  if (q != std::string_view::npos) {
    uri.has_query = true;
    uri.query = s.substr(q + 1);
  }
  return uri;
}

struct HostPort {
  std::string_view userinfo;   // with its '@'
  std::string_view host;       // an IPv6 literal keeps its brackets
  std::string_view port;       // without ':'
};

HostPort split_authority(std::string_view a) {
  HostPort hp;
  const std::size_t at = a.rfind('@');
  if (at != std::string_view::npos) {
    hp.userinfo = a.substr(0, at + 1);
    a.remove_prefix(at + 1);
  }
  std::size_t colon = std::string_view::npos;
  if (!a.empty() && a[0] == '[') {
    const std::size_t close = a.find(']');
    if (close != std::string_view::npos && close + 1 < a.size() && a[close + 1] == ':') colon = close + 1;
  } else {
    colon = a.rfind(':');
  }
  hp.host = a.substr(0, colon);
  if (colon != std::string_view::npos) hp.port = a.substr(colon + 1);
  return hp;
}

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    char x = a[i], y = b[i];
    if (x >= 'A' && x <= 'Z') x = static_cast<char>(x - 'A' + 'a');
    if (y >= 'A' && y <= 'Z') y = static_cast<char>(y - 'A' + 'a');
    if (x != y) return false;
  }
  return true;
}

// The port a scheme implies when the URI gives none; "" when irulesd knows no default.
std::string_view default_port(std::string_view scheme) {
  struct Default {
    std::string_view scheme;
    std::string_view port;
  };
  static constexpr Default kDefaults[] = {{"http", "80"}, {"https", "443"}, {"ws", "80"}, {"wss", "443"}, {"ftp", "21"}};
  for (const Default& d : kDefaults) {
    if (iequals(scheme, d.scheme)) return d.port;
  }
  return {};
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// The byte of a valid "%XX" at s[i], or -1.
int escaped_byte(std::string_view s, std::size_t i) {
  if (s[i] != '%' || i + 2 >= s.size()) return -1;
  const int hi = hex_value(s[i + 1]);
  const int lo = hex_value(s[i + 2]);
  return hi < 0 || lo < 0 ? -1 : hi * 16 + lo;
}

int one_uri(Tcl_Interp* interp, int objc, Tcl_Obj* const objv[], const char* usage = "uri") {
  if (objc == 2) return TCL_OK;
  Tcl_WrongNumArgs(interp, 1, objv, usage);
  return TCL_ERROR;
}

// URI::decode string: every valid %XX becomes its byte; anything else, '+' included, stays as it is
// (RFC 3986 percent-decoding, which is what BIG-IP documents).
int UriDecodeCmd(FireContext&, Tcl_Interp* interp, int objc, Tcl_Obj* const objv[]) {
  if (one_uri(interp, objc, objv, "string") != TCL_OK) return TCL_ERROR;
  const std::string_view in = arg_view(objv[1]);
  if (in.find('%') == std::string_view::npos) {
    Tcl_SetObjResult(interp, objv[1]);   // nothing to decode: no copy
    return TCL_OK;
  }
  // Decoded bytes never outnumber the encoded ones (a %00 becomes Tcl's two-byte NUL, from three).
  Tcl_Obj* result = Tcl_NewObj();
  Tcl_SetObjLength(result, static_cast<int>(in.size()));
  char* const start = Tcl_GetString(result);
  char* out = start;
  for (std::size_t i = 0; i < in.size(); ++i) {
    const int byte = escaped_byte(in, i);
    if (byte < 0) {
      *out++ = in[i];
    } else if (byte == 0) {
      *out++ = '\xC0';
      *out++ = '\x80';
      i += 2;
    } else {
      *out++ = static_cast<char>(byte);
      i += 2;
    }
  }
  Tcl_SetObjLength(result, static_cast<int>(out - start));
  Tcl_SetObjResult(interp, result);
  return TCL_OK;
}

// RFC 3986 unreserved characters: the only ones URI::encode leaves as they are.
bool is_unreserved(unsigned char c) {
  return is_alpha(static_cast<char>(c)) || is_digit(static_cast<char>(c)) || c == '-' || c == '.' || c == '_' ||
         c == '~';
}

// URI::encode string: every byte but the unreserved ones as %XX (upper-case hex); text is encoded
// as its UTF-8 bytes, so "é" becomes %C3%A9.
int UriEncodeCmd(FireContext&, Tcl_Interp* interp, int objc, Tcl_Obj* const objv[]) {
  if (one_uri(interp, objc, objv, "string") != TCL_OK) return TCL_ERROR;
  std::string scratch;
  const std::string_view in = value_bytes(objv[1], scratch);
  std::size_t length = 0;
  for (unsigned char c : in) length += is_unreserved(c) ? 1 : 3;
  Tcl_Obj* result = Tcl_NewObj();
  Tcl_SetObjLength(result, static_cast<int>(length));
  char* out = Tcl_GetString(result);
  static constexpr char kHex[] = "0123456789ABCDEF";
  for (unsigned char c : in) {
    if (is_unreserved(c)) {
      *out++ = static_cast<char>(c);
    } else {
      *out++ = '%';
      *out++ = kHex[c >> 4];
      *out++ = kHex[c & 15];
    }
  }
  Tcl_SetObjResult(interp, result);
  return TCL_OK;
}

// URI::query uri ?name?: the query string (after the first '?'), or the raw (undecoded) value of
// its first parameter called name ("" when absent). As on BIG-IP, a string without '?' has no query.
int UriQueryCmd(FireContext&, Tcl_Interp* interp, int objc, Tcl_Obj* const objv[]) {
  if (objc != 2 && objc != 3) {
    Tcl_WrongNumArgs(interp, 1, objv, "uri ?name?");
    return TCL_ERROR;
  }
  const Uri uri = split_uri(arg_view(objv[1]));
  if (objc == 2) {
    set_result(interp, uri.query);
    return TCL_OK;
  }
  const std::string_view name = arg_view(objv[2]);
  std::string_view rest = uri.query;
  while (uri.has_query) {
    const std::size_t amp = rest.find('&');
    const std::string_view param = rest.substr(0, amp);
    const std::size_t eq = param.find('=');
    if (param.substr(0, eq) == name) {
      set_result(interp, eq == std::string_view::npos ? std::string_view() : param.substr(eq + 1));
      return TCL_OK;
    }
    if (amp == std::string_view::npos) break;
    rest.remove_prefix(amp + 1);
  }
  Tcl_ResetResult(interp);
  return TCL_OK;
}

// The directories of a path: everything up to and including its last '/'.
std::string_view directory_of(std::string_view path) { return path.substr(0, path.rfind('/') + 1); }

// URI::path uri ?depth | start ?end??: the path without its basename ("/a/b/" of "/a/b/c.html"),
// its depth (2), or directories start to end counted from 1 ("/b/" for 2 2; end past the depth is
// the depth, a range past it is "/").
int UriPathCmd(FireContext&, Tcl_Interp* interp, int objc, Tcl_Obj* const objv[]) {
  if (objc < 2 || objc > 4) {
    Tcl_WrongNumArgs(interp, 1, objv, "uri ?depth|start ?end??");
    return TCL_ERROR;
  }
  const std::string_view dir = directory_of(split_uri(arg_view(objv[1])).path);
  // The directory names, each ending in its '/'.
  const std::string_view names = !dir.empty() && dir[0] == '/' ? dir.substr(1) : dir;
  Tcl_WideInt depth = 0;
  for (char c : names) depth += c == '/';
  if (objc == 2) {
    set_result(interp, dir.empty() ? std::string_view("/") : dir);
    return TCL_OK;
  }
  if (objc == 3 && arg_view(objv[2]) == "depth") {
    Tcl_SetObjResult(interp, Tcl_NewWideIntObj(depth));
    return TCL_OK;
  }
  Tcl_WideInt start = 0;
  Tcl_WideInt end = depth;
  if (Tcl_GetWideIntFromObj(interp, objv[2], &start) != TCL_OK) return TCL_ERROR;
  if (objc == 4 && Tcl_GetWideIntFromObj(interp, objv[3], &end) != TCL_OK) return TCL_ERROR;
  if (start < 1) return command_error(interp, "URI::path: start depth must be 1 or more");
  if (end > depth) end = depth;
  if (start > end) {
    set_result(interp, "/");
    return TCL_OK;
  }
  // Byte offsets: after the (start-1)th '/' of names, through its end-th '/'.
  std::size_t from = 0;
  std::size_t to = 0;
  Tcl_WideInt slashes = 0;
  for (std::size_t i = 0; i < names.size(); ++i) {
    if (names[i] != '/') continue;
    ++slashes;
    if (slashes == start - 1) from = i + 1;
    if (slashes == end) {
      to = i + 1;
      break;
    }
  }
  std::string result("/");
  result.append(names.substr(from, to - from));
  set_result(interp, result);
  return TCL_OK;
}

// URI::basename uri: the last path segment ("c.html" of "/a/b/c.html?x=1"; "" for "/a/b/").
int UriBasenameCmd(FireContext&, Tcl_Interp* interp, int objc, Tcl_Obj* const objv[]) {
  if (one_uri(interp, objc, objv) != TCL_OK) return TCL_ERROR;
  const std::string_view path = split_uri(arg_view(objv[1])).path;
  set_result(interp, path.substr(path.rfind('/') + 1));
  return TCL_OK;
}

// URI::host uri: the host of "scheme://host:port/..." without port or user information; "" for a
// URI without a scheme (BIG-IP: [URI::host /example.com] is "").
int UriHostCmd(FireContext&, Tcl_Interp* interp, int objc, Tcl_Obj* const objv[]) {
  if (one_uri(interp, objc, objv) != TCL_OK) return TCL_ERROR;
  set_result(interp, split_authority(split_uri(arg_view(objv[1])).authority).host);
  return TCL_OK;
}

// URI::port uri: the port the URI gives, else its scheme's default (80 for http, 443 for https,
// ws 80, wss 443, ftp 21), else "".
int UriPortCmd(FireContext&, Tcl_Interp* interp, int objc, Tcl_Obj* const objv[]) {
  if (one_uri(interp, objc, objv) != TCL_OK) return TCL_ERROR;
  const Uri uri = split_uri(arg_view(objv[1]));
  const std::string_view port = split_authority(uri.authority).port;
  set_result(interp, port.empty() ? default_port(uri.scheme) : port);
  return TCL_OK;
}

// URI::protocol uri: the characters before the first "://" ("" when none).
int UriProtocolCmd(FireContext&, Tcl_Interp* interp, int objc, Tcl_Obj* const objv[]) {
  if (one_uri(interp, objc, objv) != TCL_OK) return TCL_ERROR;
  set_result(interp, split_uri(arg_view(objv[1])).scheme);
  return TCL_OK;
}

void append_lower(std::string& out, std::string_view s) {
  for (char c : s) out.push_back(c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c);
}

// RFC 2396 unreserved characters: their %XX form is the same URI (RFC 2616 section 3.2.3).
bool is_rfc2396_unreserved(int c) {
  return is_alpha(static_cast<char>(c)) || is_digit(static_cast<char>(c)) ||
         std::string_view("-_.!~*'()").find(static_cast<char>(c)) != std::string_view::npos;
}

// Escapes in one canonical form: unreserved characters decoded, the others with upper-case hex.
void append_escapes_normalized(std::string& out, std::string_view s) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  for (std::size_t i = 0; i < s.size(); ++i) {
    const int byte = escaped_byte(s, i);
    if (byte < 0) {
      out.push_back(s[i]);
      continue;
    }
    if (is_rfc2396_unreserved(byte)) {
      out.push_back(static_cast<char>(byte));
    } else {
      out.push_back('%');
      out.push_back(kHex[byte >> 4]);
      out.push_back(kHex[byte & 15]);
    }
    i += 2;
  }
}

// The form in which two URIs that RFC 2616 section 3.2.3 calls equivalent are the same string:
// scheme and host in lower case, no port when it is the scheme's default or empty, "/" for an
// empty path after an authority, escapes normalized.
std::string normalized(std::string_view text) {
  const Uri uri = split_uri(text);
  std::string out;
  out.reserve(text.size());
  if (!uri.scheme.empty()) {
    append_lower(out, uri.scheme);
    out.append("://");
    const HostPort hp = split_authority(uri.authority);
    out.append(hp.userinfo);
    append_lower(out, hp.host);
    if (!hp.port.empty() && hp.port != default_port(uri.scheme)) out.append(":").append(hp.port);
    if (uri.path.empty()) out.push_back('/');
  }
  append_escapes_normalized(out, uri.path);
  if (uri.has_query) {
    out.push_back('?');
    append_escapes_normalized(out, uri.query);
  }
  return out;
}

// URI::compare uri1 uri2: 1 when the URIs are equivalent by RFC 2616 section 3.2.3, else 0.
int UriCompareCmd(FireContext&, Tcl_Interp* interp, int objc, Tcl_Obj* const objv[]) {
  if (objc != 3) {
    Tcl_WrongNumArgs(interp, 1, objv, "uri1 uri2");
    return TCL_ERROR;
  }
  const bool same = normalized(arg_view(objv[1])) == normalized(arg_view(objv[2]));
  Tcl_SetObjResult(interp, Tcl_NewBooleanObj(same));
  return TCL_OK;
}

constexpr CommandSpec kUriCommands[] = {
    {"URI::decode", kAnyEvent, UriDecodeCmd},     {"URI::encode", kAnyEvent, UriEncodeCmd},
    {"URI::query", kAnyEvent, UriQueryCmd},       {"URI::path", kAnyEvent, UriPathCmd},
    {"URI::basename", kAnyEvent, UriBasenameCmd}, {"URI::host", kAnyEvent, UriHostCmd},
    {"URI::port", kAnyEvent, UriPortCmd},         {"URI::protocol", kAnyEvent, UriProtocolCmd},
    {"URI::compare", kAnyEvent, UriCompareCmd},
};

}  // namespace

std::span<const CommandSpec> uri_commands() { return kUriCommands; }

}  // namespace irulesd::tclext
