// Load-balancing decisions: `pool NAME` picks the pool the core balances this request to.
#include "tclext/command_table.h"

namespace irulesd::tclext {
namespace {

int PoolCmd(FireContext& ctx, Tcl_Interp* interp, int objc, Tcl_Obj* const objv[]) {
  if (objc != 2) {
    Tcl_WrongNumArgs(interp, 1, objv, "name");
    return TCL_ERROR;
  }
  const std::string name(arg_view(objv[1]));
  const Pool* pool = ctx.config != nullptr ? ctx.config->find_pool(canonical_name(name)) : nullptr;
  if (pool == nullptr) return command_error(interp, "no such pool: " + name);
  ctx.tx->selected_pool = pool->name;
  Tcl_ResetResult(interp);
  return TCL_OK;
}

constexpr CommandSpec kLbCommands[] = {
    {"pool", kBeforeLbEvents, PoolCmd},
};

}  // namespace

std::span<const CommandSpec> lb_commands() { return kLbCommands; }

}  // namespace irulesd::tclext
