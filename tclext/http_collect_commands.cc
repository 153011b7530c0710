// HTTP::collect, HTTP::payload, HTTP::release: hold a body for HTTP_REQUEST_DATA / HTTP_RESPONSE_DATA.
#include "tclext/command_table.h"

namespace irulesd::tclext {

std::span<const CommandSpec> http_collect_commands() { return {}; }

}  // namespace irulesd::tclext
