// ONECONNECT::reuse and ONECONNECT::detach: a rule's say over OneConnect on its connection. reuse
// disable: server connections neither come from nor go back to the worker's reuse pool; detach
// disable: the server side stays with the client connection after each response (no new balancing
// per request). Without an argument each returns 1 or 0. Only valid with a one-connect profile on the
// virtual, as F5 documents: elsewhere a runtime error.
#include <string>
#include <string_view>

#include "tclext/command_table.h"
#include "tclext/value_bytes.h"

namespace irulesd::tclext {
namespace {

int oneconnect_flag(FireContext& ctx, Tcl_Interp* interp, int objc, Tcl_Obj* const objv[], const char* name,
                    bool& flag) {
  if (objc > 2) {
    Tcl_WrongNumArgs(interp, 1, objv, "?enable|disable?");
    return TCL_ERROR;
  }
  if (!ctx.tx->oneconnect) {
    return command_error(interp, std::string(name) + ": the virtual has no one-connect profile");
  }
  if (objc == 1) {
    Tcl_SetObjResult(interp, Tcl_NewIntObj(flag ? 1 : 0));
    return TCL_OK;
  }
  const std::string_view value = arg_view(objv[1]);
  if (value != "enable" && value != "disable") {
    return command_error(interp, std::string(name) + ": bad value \"" + std::string(value) +
                                     "\": must be enable or disable");
  }
  flag = value == "enable";
  Tcl_ResetResult(interp);
  return TCL_OK;
}

int ReuseCmd(FireContext& ctx, Tcl_Interp* interp, int objc, Tcl_Obj* const objv[]) {
  return oneconnect_flag(ctx, interp, objc, objv, "ONECONNECT::reuse", ctx.tx->oneconnect_reuse);
}

int DetachCmd(FireContext& ctx, Tcl_Interp* interp, int objc, Tcl_Obj* const objv[]) {
  return oneconnect_flag(ctx, interp, objc, objv, "ONECONNECT::detach", ctx.tx->oneconnect_detach);
}

constexpr CommandSpec kOneConnectCommands[] = {
    {"ONECONNECT::reuse", kConnectionEvents, ReuseCmd},
    {"ONECONNECT::detach", kConnectionEvents, DetachCmd},
};

}  // namespace

std::span<const CommandSpec> oneconnect_commands() { return kOneConnectCommands; }

}  // namespace irulesd::tclext
