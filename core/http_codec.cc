#include "core/http_codec.h"

#include <fmt/format.h>

namespace irulesd {
namespace {
void append_headers(const HeaderList& headers, std::string& out) {
  for (const Header& h : headers.items()) {
    out.append(h.name);
    out.append(": ");
    out.append(h.value);
    out.append("\r\n");
  }
  out.append("\r\n");
}

void append_version(int major, int minor, std::string& out) {
  out.append("HTTP/");
  out.push_back(static_cast<char>('0' + major));
  out.push_back('.');
  out.push_back(static_cast<char>('0' + minor));
}
}  // namespace

void serialize_request_head(const RequestHead& head, std::string& out) {
  out.append(head.method);
  out.push_back(' ');
  out.append(head.uri);
  out.push_back(' ');
  append_version(head.version_major, head.version_minor, out);
  out.append("\r\n");
  append_headers(head.headers, out);
}

namespace {
// Consumes `expected` from the front of `rest` if it is there.
bool take(std::string_view& rest, std::string_view expected) {
  if (rest.substr(0, expected.size()) != expected) return false;
  rest.remove_prefix(expected.size());
  return true;
}

bool take_version(std::string_view& rest, int major, int minor) {
  const char version[] = {'H', 'T', 'T', 'P', '/', static_cast<char>('0' + major), '.', static_cast<char>('0' + minor)};
  return take(rest, std::string_view(version, sizeof version));
}

bool same_request_line(const RequestHead& head, std::string_view raw) {
  return take(raw, head.method) && take(raw, " ") && take(raw, head.uri) && take(raw, " ") &&
         take_version(raw, head.version_major, head.version_minor) && take(raw, "\r\n");
}

bool same_status_line(const ResponseHead& head, std::string_view raw) {
  if (head.status < 100 || head.status > 999) return false;
  const char status[] = {' ', static_cast<char>('0' + head.status / 100), static_cast<char>('0' + head.status / 10 % 10),
                         static_cast<char>('0' + head.status % 10), ' '};
  return take_version(raw, head.version_major, head.version_minor) && take(raw, std::string_view(status, sizeof status)) &&
         take(raw, head.reason) && take(raw, "\r\n");
}
}  // namespace

std::string_view request_head_bytes(const RequestHead& head, std::string& scratch) {
  const std::string_view raw = head.headers.received_head();
  if (!raw.empty() && same_request_line(head, raw)) return raw;
  scratch.clear();
  serialize_request_head(head, scratch);
  return scratch;
}

std::string_view response_head_bytes(const ResponseHead& head, std::string& scratch) {
  const std::string_view raw = head.headers.received_head();
  if (!raw.empty() && same_status_line(head, raw)) return raw;
  scratch.clear();
  serialize_response_head(head, scratch);
  return scratch;
}

void serialize_response_head(const ResponseHead& head, std::string& out) {
  append_version(head.version_major, head.version_minor, out);
  out.push_back(' ');
  fmt::format_to(std::back_inserter(out), "{:03d}", head.status);
  out.push_back(' ');
  out.append(head.reason);
  out.append("\r\n");
  append_headers(head.headers, out);
}

std::string_view reason_phrase(int status) {
  switch (status) {
    case 100: return "Continue";
    case 101: return "Switching Protocols";
    case 200: return "OK";
    case 201: return "Created";
    case 202: return "Accepted";
    case 203: return "Non-Authoritative Information";
    case 204: return "No Content";
    case 205: return "Reset Content";
    case 206: return "Partial Content";
    case 300: return "Multiple Choices";
    case 301: return "Moved Permanently";
    case 302: return "Found";
    case 303: return "See Other";
    case 304: return "Not Modified";
    case 307: return "Temporary Redirect";
    case 308: return "Permanent Redirect";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 406: return "Not Acceptable";
    case 408: return "Request Timeout";
    case 409: return "Conflict";
    case 410: return "Gone";
    case 411: return "Length Required";
    case 412: return "Precondition Failed";
    case 413: return "Payload Too Large";
    case 414: return "URI Too Long";
    case 415: return "Unsupported Media Type";
    case 416: return "Range Not Satisfiable";
    case 417: return "Expectation Failed";
    case 426: return "Upgrade Required";
    case 429: return "Too Many Requests";
    case 431: return "Request Header Fields Too Large";
    case 500: return "Internal Server Error";
    case 501: return "Not Implemented";
    case 502: return "Bad Gateway";
    case 503: return "Service Unavailable";
    case 504: return "Gateway Timeout";
    case 505: return "HTTP Version Not Supported";
    default: return "Unknown";
  }
}

bool connection_says_close(std::string_view value) { return connection_lists(value, "close"); }

bool connection_lists(std::string_view value, std::string_view option) {
  std::size_t pos = 0;
  while (pos <= value.size()) {
    std::size_t comma = value.find(',', pos);
    if (comma == std::string_view::npos) comma = value.size();
    std::string_view token = value.substr(pos, comma - pos);
    while (!token.empty() && (token.front() == ' ' || token.front() == '\t')) token.remove_prefix(1);
    while (!token.empty() && (token.back() == ' ' || token.back() == '\t')) token.remove_suffix(1);
    if (header_name_equals(token, option)) return true;
    pos = comma + 1;
  }
  return false;
}

void serialize_local_response(const LocalResponse& response, bool keep_alive, bool head_request, std::string& out) {
  const int status = response.status;
  const bool bodiless_status = status / 100 == 1 || status == 204 || status == 304;
  append_version(response.version_major, response.version_minor, out);
  fmt::format_to(std::back_inserter(out), " {:03d} {}\r\n", status, reason_phrase(status));
  for (const Header& h : response.headers.items()) {
    // The codec frames the body: a rule's Content-Length is replaced by the real one below, and a
    // rule's Transfer-Encoding dropped (the body goes out whole, not chunked; with both, a peer
    // could frame the answer either way).
    if (header_name_equals(h.name, "Content-Length") || header_name_equals(h.name, "Transfer-Encoding")) continue;
    out.append(h.name);
    out.append(": ");
    out.append(h.value);
    out.append("\r\n");
  }
  if (!response.noserver) out.append("Server: BigIP\r\n");
  if (status == 401 && !response.headers.exists("WWW-Authenticate")) out.append("WWW-Authenticate: Basic realm=\"\"\r\n");
  if (!bodiless_status) fmt::format_to(std::back_inserter(out), "Content-Length: {}\r\n", response.body.size());
  if (!response.headers.exists("Connection")) {
    if (!keep_alive) {
      out.append("Connection: close\r\n");
    } else if (response.version_minor == 0) {
      out.append("Connection: Keep-Alive\r\n");   // an HTTP/1.0 answer closes unless it says so
    }
  }
  out.append("\r\n");
  if (!bodiless_status && !head_request) out.append(response.body);
}

std::string local_reply(int status, std::string_view reason, std::string_view body) {
  return fmt::format(
      "HTTP/1.1 {} {}\r\nContent-Type: text/plain\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{}",
      status, reason, body.size(), body);
}

}  // namespace irulesd
