// Serializing heads back onto the wire, and the replies the proxy makes itself.
#pragma once

#include <string>
#include <string_view>

#include "core/transaction.h"

namespace irulesd {

// Appends "METHOD URI HTTP/x.y\r\n" + headers in order + "\r\n".
void serialize_request_head(const RequestHead& head, std::string& out);
// Appends "HTTP/x.y STATUS REASON\r\n" + headers in order + "\r\n".
void serialize_response_head(const ResponseHead& head, std::string& out);
// The bytes of the head to forward: the head as it was received when nothing in it changed (no header
// edited, the start line the same, every line ended in CRLF), else `scratch` cleared and filled with
// the serialized head. Valid until the head or `scratch` changes.
std::string_view request_head_bytes(const RequestHead& head, std::string& scratch);
std::string_view response_head_bytes(const ResponseHead& head, std::string& scratch);
// A rule's response (HTTP::respond / HTTP::redirect), head and body: the rule's headers in order (its
// own Content-Length replaced by the real one, its Transfer-Encoding dropped: the codec frames the
// body), "Server: BigIP" (unless noserver) and, for a 401, `WWW-Authenticate: Basic realm=""` as
// BIG-IP adds them, and Connection: close when the connection ends after it (Keep-Alive on a 1.0 answer that keeps it). No body goes out for HEAD, 1xx, 204, 304.
void serialize_local_response(const LocalResponse& response, bool keep_alive, bool head_request, std::string& out);
// Whether a Connection header value lists `option` (a token, case-insensitive: "close", "keep-alive").
bool connection_lists(std::string_view value, std::string_view option);
bool connection_says_close(std::string_view value);   // connection_lists(value, "close")
// The reason phrase of a status code ("OK", "Not Found"); "Unknown" for codes without one.
std::string_view reason_phrase(int status);
// A complete small response with Connection: close, e.g. 400 or 503.
std::string local_reply(int status, std::string_view reason, std::string_view body);

}  // namespace irulesd
