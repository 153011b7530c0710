// class, matchclass, findclass over `ltm data-group internal`.
#include "tclext/command_table.h"

namespace irulesd::tclext {

std::span<const CommandSpec> class_commands() { return {}; }

}  // namespace irulesd::tclext
