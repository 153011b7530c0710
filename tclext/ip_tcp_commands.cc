// IP::* and TCP::* — addresses and ports of the connection. In client-side events "remote" is the
// client and "local" the virtual server's address; in server-side events (SERVER_CONNECTED,
// HTTP_REQUEST_SEND, HTTP_RESPONSE, ...) or inside `serverside {…}`, "remote" is the pool member and
// "local" the address the connection to it comes from (the SNAT address).
#include "tclext/command_table.h"

namespace irulesd::tclext {
namespace {

int no_args(Tcl_Interp* interp, int objc, Tcl_Obj* const objv[]) {
  if (objc == 1) return TCL_OK;
  Tcl_WrongNumArgs(interp, 1, objv, nullptr);
  return TCL_ERROR;
}

int address(Tcl_Interp* interp, int objc, Tcl_Obj* const objv[], const std::string& value) {
  if (no_args(interp, objc, objv) != TCL_OK) return TCL_ERROR;
  set_result(interp, value);
  return TCL_OK;
}

int port(Tcl_Interp* interp, int objc, Tcl_Obj* const objv[], uint16_t value) {
  if (no_args(interp, objc, objv) != TCL_OK) return TCL_ERROR;
  Tcl_SetObjResult(interp, Tcl_NewIntObj(value));
  return TCL_OK;
}

int IpClientAddrCmd(FireContext& ctx, Tcl_Interp* interp, int objc, Tcl_Obj* const objv[]) {
  return address(interp, objc, objv, ctx.tx->client_addr);
}

// The pool member's address: empty before one is chosen (BIG-IP answers "" there too).
int IpServerAddrCmd(FireContext& ctx, Tcl_Interp* interp, int objc, Tcl_Obj* const objv[]) {
  return address(interp, objc, objv, ctx.tx->server_addr);
}

int IpRemoteAddrCmd(FireContext& ctx, Tcl_Interp* interp, int objc, Tcl_Obj* const objv[]) {
  return address(interp, objc, objv, ctx.tx->serverside ? ctx.tx->server_addr : ctx.tx->client_addr);
}

int IpLocalAddrCmd(FireContext& ctx, Tcl_Interp* interp, int objc, Tcl_Obj* const objv[]) {
  return address(interp, objc, objv, ctx.tx->serverside ? ctx.tx->server_local_addr : ctx.tx->local_addr);
}

int IpProtocolCmd(FireContext&, Tcl_Interp* interp, int objc, Tcl_Obj* const objv[]) {
  return port(interp, objc, objv, 6);   // IPPROTO_TCP: irulesd proxies TCP only
}

int TcpClientPortCmd(FireContext& ctx, Tcl_Interp* interp, int objc, Tcl_Obj* const objv[]) {
  return port(interp, objc, objv, ctx.tx->client_port);
}

int TcpServerPortCmd(FireContext& ctx, Tcl_Interp* interp, int objc, Tcl_Obj* const objv[]) {
  return port(interp, objc, objv, ctx.tx->server_port);
}

int TcpRemotePortCmd(FireContext& ctx, Tcl_Interp* interp, int objc, Tcl_Obj* const objv[]) {
  return port(interp, objc, objv, ctx.tx->serverside ? ctx.tx->server_port : ctx.tx->client_port);
}

int TcpLocalPortCmd(FireContext& ctx, Tcl_Interp* interp, int objc, Tcl_Obj* const objv[]) {
  return port(interp, objc, objv, ctx.tx->serverside ? ctx.tx->server_local_port : ctx.tx->local_port);
}

constexpr CommandSpec kIpTcpCommands[] = {
    {"IP::client_addr", kConnectionEvents, IpClientAddrCmd},
    {"IP::server_addr", kConnectionEvents, IpServerAddrCmd},
    {"IP::remote_addr", kConnectionEvents, IpRemoteAddrCmd},
    {"IP::local_addr", kConnectionEvents, IpLocalAddrCmd},
    {"IP::protocol", kConnectionEvents, IpProtocolCmd},
    {"TCP::client_port", kConnectionEvents, TcpClientPortCmd},
    {"TCP::server_port", kConnectionEvents, TcpServerPortCmd},
    {"TCP::remote_port", kConnectionEvents, TcpRemotePortCmd},
    {"TCP::local_port", kConnectionEvents, TcpLocalPortCmd},
};

}  // namespace

std::span<const CommandSpec> ip_tcp_commands() { return kIpTcpCommands; }

}  // namespace irulesd::tclext
