// High-speed logging: `HSL::open -proto UDP|TCP -pool POOL` and `HSL::send HANDLE DATA`. The sockets
// belong to the worker (core/hsl_sender.cc, reached through the connection's Transaction), so a
// handle is the same string for every connection of a worker and a send never blocks.
#include <string>

#include "core/worker_services.h"
#include "tclext/command_table.h"
#include "tclext/value_bytes.h"

namespace irulesd::tclext {
namespace {

constexpr const char* kOpenUsage = "-proto UDP|TCP -pool pool";

// Outside a worker (a Transaction built by hand, RULE_INIT's scratch one) there is nothing to send with.
WorkerServices* services_of(FireContext& ctx, Tcl_Interp* interp, const char* command) {
  WorkerServices* services = ctx.tx->services;
  if (services == nullptr) {
    command_error(interp, std::string(command) + ": high-speed logging is not available outside a worker's connection");
  }
  return services;
}

// HSL::open -proto UDP|TCP -pool POOL (either order). -publisher names a log publisher (sys
// log-config), which irulesd's configuration does not have: a runtime error that says so.
int HslOpenCmd(FireContext& ctx, Tcl_Interp* interp, int objc, Tcl_Obj* const objv[]) {
  if (objc >= 2) {
    const std::string_view first = arg_view(objv[1]);
    if (first == "-publisher" || first == "-pub") {
      return command_error(interp,
                           "HSL::open: -publisher is not supported (irulesd has no log publishers); use "
                           "HSL::open -proto UDP|TCP -pool pool");
    }
  }
  if (objc != 5) {
    Tcl_WrongNumArgs(interp, 1, objv, kOpenUsage);
    return TCL_ERROR;
  }
  Tcl_Obj* proto_obj = nullptr;
  Tcl_Obj* pool = nullptr;
  for (int i = 1; i < objc; i += 2) {
    const std::string_view option = arg_view(objv[i]);
    Tcl_Obj** slot = option == "-proto" ? &proto_obj : option == "-pool" ? &pool : nullptr;
    if (slot == nullptr || *slot != nullptr) {   // unknown or repeated: each once, both needed
      Tcl_WrongNumArgs(interp, 1, objv, kOpenUsage);
      return TCL_ERROR;
    }
    *slot = objv[i + 1];
  }
  const std::string_view proto = arg_view(proto_obj);
  // Case-sensitive, as BIG-IP checks it.
  if (proto != "UDP" && proto != "TCP") {
    return command_error(interp, "HSL::open: bad protocol \"" + std::string(proto) + "\": must be UDP or TCP");
  }
  WorkerServices* services = services_of(ctx, interp, "HSL::open");
  if (services == nullptr) return TCL_ERROR;
  std::string error;
  const std::string handle = services->hsl_open(*ctx.config, Tcl_GetString(pool), proto == "TCP", &error);
  if (handle.empty()) return command_error(interp, "HSL::open: " + error);
  set_result(interp, handle);
  return TCL_OK;
}

// HSL::send HANDLE DATA: 1 when the data was sent (UDP) or queued (TCP), 0 when it was dropped or the
// handle is not one of this worker's. The data goes out as is: no framing, no newline added.
int HslSendCmd(FireContext& ctx, Tcl_Interp* interp, int objc, Tcl_Obj* const objv[]) {
  if (objc != 3) {
    Tcl_WrongNumArgs(interp, 1, objv, "handle data");
    return TCL_ERROR;
  }
  WorkerServices* services = services_of(ctx, interp, "HSL::send");
  if (services == nullptr) return TCL_ERROR;
  std::string scratch;
  const std::string_view data = value_bytes(objv[2], scratch);
  // The sender looks handles up by std::string: one buffer per thread keeps its capacity, so a
  // send does not allocate.
  thread_local std::string handle;
  handle.assign(arg_view(objv[1]));
  const bool sent = services->hsl_send(handle, data);
  Tcl_SetObjResult(interp, Tcl_NewIntObj(sent ? 1 : 0));
  return TCL_OK;
}

// F5 lists no events for HSL; every event of a connection works here. RULE_INIT has no connection
// (and so no worker sockets to send with): "command is not valid in event RULE_INIT".
constexpr CommandSpec kHslCommands[] = {
    {"HSL::open", kConnectionEvents, HslOpenCmd},
    {"HSL::send", kConnectionEvents, HslSendCmd},
};

}  // namespace

std::span<const CommandSpec> hsl_commands() { return kHslCommands; }

}  // namespace irulesd::tclext
