// table and session: the process-wide session table.
#include "tclext/command_table.h"

namespace irulesd::tclext {

std::span<const CommandSpec> table_commands() { return {}; }

}  // namespace irulesd::tclext
