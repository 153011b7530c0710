// findstr, getfield, substr, domain: F5's string helpers.
#include "tclext/command_table.h"

namespace irulesd::tclext {

std::span<const CommandSpec> string_commands() { return {}; }

}  // namespace irulesd::tclext
