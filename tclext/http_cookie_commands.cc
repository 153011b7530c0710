// HTTP::cookie: read and edit the cookies of the request (Cookie) and response (Set-Cookie).
#include "tclext/command_table.h"

namespace irulesd::tclext {

std::span<const CommandSpec> http_cookie_commands() { return {}; }

}  // namespace irulesd::tclext
