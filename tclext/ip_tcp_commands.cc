// IP::* and TCP::* — the client connection's addresses and ports. Every event here runs on the
// client side, so "remote" is the client and "local" is the virtual server's address.
#include "tclext/command_table.h"

namespace irulesd::tclext {
namespace {

int no_args(Tcl_Interp* interp, int objc, Tcl_Obj* const objv[]) {
  if (objc == 1) return TCL_OK;
  Tcl_WrongNumArgs(interp, 1, objv, nullptr);
  return TCL_ERROR;
}

int IpClientAddrCmd(FireContext& ctx, Tcl_Interp* interp, int objc, Tcl_Obj* const objv[]) {
  if (no_args(interp, objc, objv) != TCL_OK) return TCL_ERROR;
  set_result(interp, ctx.tx->client_addr);
  return TCL_OK;
}

int IpLocalAddrCmd(FireContext& ctx, Tcl_Interp* interp, int objc, Tcl_Obj* const objv[]) {
  if (no_args(interp, objc, objv) != TCL_OK) return TCL_ERROR;
  set_result(interp, ctx.tx->local_addr);
  return TCL_OK;
}

int TcpClientPortCmd(FireContext& ctx, Tcl_Interp* interp, int objc, Tcl_Obj* const objv[]) {
  if (no_args(interp, objc, objv) != TCL_OK) return TCL_ERROR;
  Tcl_SetObjResult(interp, Tcl_NewIntObj(ctx.tx->client_port));
  return TCL_OK;
}

int TcpLocalPortCmd(FireContext& ctx, Tcl_Interp* interp, int objc, Tcl_Obj* const objv[]) {
  if (no_args(interp, objc, objv) != TCL_OK) return TCL_ERROR;
  Tcl_SetObjResult(interp, Tcl_NewIntObj(ctx.tx->local_port));
  return TCL_OK;
}

constexpr CommandSpec kIpTcpCommands[] = {
    {"IP::client_addr", kConnectionEvents, IpClientAddrCmd},
    {"IP::remote_addr", kConnectionEvents, IpClientAddrCmd},
    {"IP::local_addr", kConnectionEvents, IpLocalAddrCmd},
    {"TCP::client_port", kConnectionEvents, TcpClientPortCmd},
    {"TCP::remote_port", kConnectionEvents, TcpClientPortCmd},
    {"TCP::local_port", kConnectionEvents, TcpLocalPortCmd},
};

}  // namespace

std::span<const CommandSpec> ip_tcp_commands() { return kIpTcpCommands; }

}  // namespace irulesd::tclext
