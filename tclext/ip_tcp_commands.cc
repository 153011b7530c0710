// IP::* and TCP::* — addresses and ports of the connection. In client-side events "remote" is the
// client and "local" the virtual server's address; in server-side events (SERVER_CONNECTED,
// HTTP_REQUEST_SEND, HTTP_RESPONSE, ...) or inside `serverside {…}`, "remote" is the pool member and
// "local" the address the connection to it comes from (the SNAT address).
#include <algorithm>
#include <string>

#include "tclext/command_table.h"
#include "tclext/payload_command.h"
#include "tclext/value_bytes.h"

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

// The collect of the side the event runs on: the client's bytes in client-side events, the server's
// in server-side ones.
Collect& side_collect(FireContext& ctx) {
  return ctx.tx->serverside ? ctx.tx->tcp_server_collect : ctx.tx->tcp_collect;
}

// TCP::collect ?length ?skip??: hold this side's next bytes (at least LENGTH of them) for
// CLIENT_DATA / SERVER_DATA. skip is accepted and ignored.
int TcpCollectCmd(FireContext& ctx, Tcl_Interp* interp, int objc, Tcl_Obj* const objv[]) {
  if (objc > 3) {
    Tcl_WrongNumArgs(interp, 1, objv, "?length ?skip??");
    return TCL_ERROR;
  }
  Collect& collect = side_collect(ctx);
  std::size_t bytes = 0;
  if (objc >= 2 && parse_size(interp, objv[1], "length", &bytes) != TCL_OK) return TCL_ERROR;
  collect.requested = true;
  collect.bytes = bytes;
  Tcl_ResetResult(interp);
  return TCL_OK;
}

// TCP::payload ?length? | ?offset length? | length | replace offset length data
int TcpPayloadCmd(FireContext& ctx, Tcl_Interp* interp, int objc, Tcl_Obj* const objv[]) {
  return payload_command(interp, side_collect(ctx).payload, objc, objv);
}

// TCP::release ?length?: let the collected bytes (or the first LENGTH) go on; the result is how many.
int TcpReleaseCmd(FireContext& ctx, Tcl_Interp* interp, int objc, Tcl_Obj* const objv[]) {
  if (objc > 2) {
    Tcl_WrongNumArgs(interp, 1, objv, "?length?");
    return TCL_ERROR;
  }
  Collect& collect = side_collect(ctx);
  std::size_t bytes = std::string::npos;
  if (objc == 2 && parse_size(interp, objv[1], "length", &bytes) != TCL_OK) return TCL_ERROR;
  collect.released = true;
  collect.release_bytes = bytes;
  collect.requested = false;   // released: no longer collecting (a TCP::collect after this collects again)
  Tcl_SetObjResult(interp, Tcl_NewWideIntObj(static_cast<Tcl_WideInt>(std::min(bytes, collect.payload.size()))));
  return TCL_OK;
}

// TCP::respond data: bytes to this side's peer, ahead of anything else.
int TcpRespondCmd(FireContext& ctx, Tcl_Interp* interp, int objc, Tcl_Obj* const objv[]) {
  if (objc != 2) {
    Tcl_WrongNumArgs(interp, 1, objv, "data");
    return TCL_ERROR;
  }
  std::string scratch;
  const std::string_view data = value_bytes(objv[1], scratch);
  std::string& to = ctx.tx->serverside ? ctx.tx->respond_to_server : ctx.tx->respond_to_client;
  to.append(data);
  Tcl_ResetResult(interp);
  return TCL_OK;
}

// TCP::close: close the connection once what TCP::respond sent is delivered.
int TcpCloseCmd(FireContext& ctx, Tcl_Interp* interp, int objc, Tcl_Obj* const objv[]) {
  if (no_args(interp, objc, objv) != TCL_OK) return TCL_ERROR;
  if (ctx.tx->action == ConnectionAction::None) ctx.tx->action = ConnectionAction::Close;
  Tcl_ResetResult(interp);
  return TCL_OK;
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
    {"TCP::collect", kConnectionEvents, TcpCollectCmd},
    {"TCP::payload", kConnectionEvents, TcpPayloadCmd},
    {"TCP::release", kConnectionEvents, TcpReleaseCmd},
    {"TCP::respond", kConnectionEvents, TcpRespondCmd},
    {"TCP::close", kConnectionEvents, TcpCloseCmd},
};

}  // namespace

std::span<const CommandSpec> ip_tcp_commands() { return kIpTcpCommands; }

}  // namespace irulesd::tclext
