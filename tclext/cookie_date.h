// Cookie dates (the Expires attribute): read as RFC 6265 section 5.1.1 has user agents read them, so
// every format servers send (RFC 1123, RFC 850, asctime, Netscape's "09-Jun-2021") comes back as
// seconds since the epoch; written in RFC 6265's sane-cookie-date form.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace irulesd::tclext {

std::optional<int64_t> parse_cookie_date(std::string_view text);

// "Wed, 09 Jun 2021 10:18:14 GMT" (English names whatever the locale).
std::string format_cookie_date(int64_t epoch_seconds);

}  // namespace irulesd::tclext
