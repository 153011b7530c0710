// URI::decode encode query path basename host port protocol compare.
#include "tclext/command_table.h"

namespace irulesd::tclext {

std::span<const CommandSpec> uri_commands() { return {}; }

}  // namespace irulesd::tclext
