// What `HTTP::uri -normalized`, `HTTP::path -normalized` and `HTTP::query -normalized` answer (BIG-IP
// v12.1+). F5 describes the normalization as: unnecessary directory traversals removed, Microsoft-style
// %uXXXX turned into standard %XX form, bytes not allowed in a URI percent-encoded, needlessly
// percent-encoded bytes written plainly. Done here as RFC 3986 §6.2.2 says:
//  - %XX of an unreserved character (ALPHA DIGIT - . _ ~) becomes the character; any other %XX
//    keeps its encoding with the hex in upper case (%2f → %2F);
//  - %uXXXX (a UTF-16 unit; a surrogate pair as two) becomes the UTF-8 bytes of the character,
//    each %XX unless unreserved; a lone surrogate becomes U+FFFD;
//  - a byte that may not appear in a URI (space, " < > \ ^ ` { | }, controls, bytes ≥ 0x80, a `%`
//    that starts no escape) becomes %XX;
//  - in the path, then, the dot segments go (RFC 3986 §5.2.3): /a/./b/../c → /a/c, and so does
//    /a/%2e%2E/c, the escapes being decoded first.
// Pure functions: no Tcl, no allocation beyond the result.
#pragma once

#include <string>
#include <string_view>

namespace irulesd::tclext {

// The percent-encoding normalization alone (for a query, or any part of a URI).
std::string normalize_uri_escapes(std::string_view text);

// A path: escapes normalized, then dot segments removed.
std::string normalize_uri_path(std::string_view path);

// A request-target as HTTP::uri holds it: its path (after `scheme://authority` in absolute form,
// which stays as written) normalized as a path, its query (after the first `?`) as escapes only.
// `*` and other targets without a path come back with their escapes normalized.
std::string normalize_request_target(std::string_view uri);

}  // namespace irulesd::tclext
