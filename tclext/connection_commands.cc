// What a rule does to the connection as a whole: drop / discard (close without an answer), reject
// (reset), and the clientside / serverside context switches.
#include "tclext/command_table.h"

namespace irulesd::tclext {
namespace {

// The core acts when the event's handlers are done: later handlers still run, as on BIG-IP.
int set_action(FireContext& ctx, Tcl_Interp* interp, int objc, Tcl_Obj* const objv[], ConnectionAction action) {
  if (objc != 1) {
    Tcl_WrongNumArgs(interp, 1, objv, nullptr);
    return TCL_ERROR;
  }
  // A reset outranks a quiet close.
  if (ctx.tx->action != ConnectionAction::Reject) ctx.tx->action = action;
  Tcl_ResetResult(interp);
  return TCL_OK;
}

int DropCmd(FireContext& ctx, Tcl_Interp* interp, int objc, Tcl_Obj* const objv[]) {
  return set_action(ctx, interp, objc, objv, ConnectionAction::Drop);
}

int RejectCmd(FireContext& ctx, Tcl_Interp* interp, int objc, Tcl_Obj* const objv[]) {
  return set_action(ctx, interp, objc, objv, ConnectionAction::Reject);
}

// clientside { script } / serverside { script }: the script's IP:: and TCP:: commands answer for that
// side of the connection. Without a script: the command itself is not something rules call alone.
int run_on_side(FireContext& ctx, Tcl_Interp* interp, int objc, Tcl_Obj* const objv[], bool serverside) {
  if (objc != 2) {
    Tcl_WrongNumArgs(interp, 1, objv, "script");
    return TCL_ERROR;
  }
  if (serverside && !ctx.tx->server_connected) {
    return command_error(interp, "serverside: there is no server-side connection in this event");
  }
  const bool outer = ctx.tx->serverside;
  ctx.tx->serverside = serverside;
  const int code = Tcl_EvalObjEx(interp, objv[1], 0);
  ctx.tx->serverside = outer;
  return code;
}

int ClientsideCmd(FireContext& ctx, Tcl_Interp* interp, int objc, Tcl_Obj* const objv[]) {
  return run_on_side(ctx, interp, objc, objv, false);
}

int ServersideCmd(FireContext& ctx, Tcl_Interp* interp, int objc, Tcl_Obj* const objv[]) {
  return run_on_side(ctx, interp, objc, objv, true);
}

// virtual ?name?: the virtual server's name. Choosing another virtual is not supported.
int VirtualCmd(FireContext& ctx, Tcl_Interp* interp, int objc, Tcl_Obj* const objv[]) {
  if (objc == 1 || (objc == 2 && arg_view(objv[1]) == "name")) {
    set_result(interp, ctx.tx->virtual_name);
    return TCL_OK;
  }
  if (objc == 2) return command_error(interp, "virtual: sending traffic to another virtual server is not supported");
  Tcl_WrongNumArgs(interp, 1, objv, "?name?");
  return TCL_ERROR;
}

constexpr CommandSpec kConnectionCommands[] = {
    {"drop", kConnectionEvents, DropCmd},
    {"discard", kConnectionEvents, DropCmd},
    {"reject", kConnectionEvents, RejectCmd},
    {"clientside", kConnectionEvents, ClientsideCmd},
    {"serverside", kConnectionEvents, ServersideCmd},
    {"virtual", kConnectionEvents, VirtualCmd},
};

}  // namespace

std::span<const CommandSpec> connection_commands() { return kConnectionCommands; }

}  // namespace irulesd::tclext
