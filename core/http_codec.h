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
// A complete small response with Connection: close, e.g. 400 or 503.
std::string local_reply(int status, std::string_view reason, std::string_view body);

}  // namespace irulesd
