// HTTP::query, is_keepalive, is_redirect, request, username, password, enable: facts of the HTTP message.
#include "tclext/command_table.h"

namespace irulesd::tclext {

std::span<const CommandSpec> http_info_commands() { return {}; }

}  // namespace irulesd::tclext
