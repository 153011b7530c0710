// Facts of an HTTP message that more than one command answers: keep-alive (HTTP::is_keepalive and
// HTTP::header is_keepalive), redirect status (HTTP::is_redirect and HTTP::header is_redirect), the
// Basic credentials (HTTP::username, HTTP::password). Pure functions over the parsed head.
#pragma once

#include <string>
#include <string_view>

#include "core/header_list.h"
#include "core/transaction.h"

namespace irulesd::tclext {

// True when the message leaves the connection open: HTTP/1.1 and later unless "Connection: close",
// HTTP/1.0 only with "Connection: keep-alive" (tokens compared case-insensitively, any header
// occurrence, comma-separated lists).
bool message_keeps_alive(int version_major, int version_minor, const HeaderList& headers);

// HTTP::is_keepalive: whether the connection stays open after this exchange. In the request events
// (in_response false) the request decides; once a response is there, both must keep alive.
bool exchange_keeps_alive(const Transaction& tx, bool in_response);

// The statuses HTTP::is_redirect counts: 301, 302, 303, 305, 307 (clouddocs), and 308 (RFC 7538,
// younger than F5's page; a Permanent Redirect with a Location like 301).
bool is_redirect_status(int status);

// "Authorization: Basic BASE64(user:password)" decoded into user and password (the password is what
// follows the first ':'). False, with both cleared, when the header is missing, is not Basic, or does
// not decode.
bool basic_credentials(const HeaderList& headers, std::string& user, std::string& password);

}  // namespace irulesd::tclext
