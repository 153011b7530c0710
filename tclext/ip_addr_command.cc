// IP::addr: address comparison with masks, and parse.
#include "tclext/command_table.h"

namespace irulesd::tclext {

std::span<const CommandSpec> ip_addr_commands() { return {}; }

}  // namespace irulesd::tclext
