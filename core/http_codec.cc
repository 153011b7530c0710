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

void serialize_response_head(const ResponseHead& head, std::string& out) {
  append_version(head.version_major, head.version_minor, out);
  out.push_back(' ');
  fmt::format_to(std::back_inserter(out), "{:03d}", head.status);
  out.push_back(' ');
  out.append(head.reason);
  out.append("\r\n");
  append_headers(head.headers, out);
}

std::string local_reply(int status, std::string_view reason, std::string_view body) {
  return fmt::format(
      "HTTP/1.1 {} {}\r\nContent-Type: text/plain\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{}",
      status, reason, body.size(), body);
}

}  // namespace irulesd
