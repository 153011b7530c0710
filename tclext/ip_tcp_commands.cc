// IP::* and TCP::* — addresses and ports of the connection. In client-side events "remote" is the
// client and "local" the virtual server's address; in server-side events (SERVER_CONNECTED,
// HTTP_REQUEST_SEND, HTTP_RESPONSE, ...) or inside `serverside {…}`, "remote" is the pool member and
// "local" the address the connection to it comes from (the SNAT address).
#include <algorithm>
#include <string>

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

// The collect of the side the event runs on: the client's bytes in client-side events, the server's
// in server-side ones.
Collect& side_collect(FireContext& ctx) {
  return ctx.tx->serverside ? ctx.tx->tcp_server_collect : ctx.tx->tcp_collect;
}

int parse_size(Tcl_Interp* interp, Tcl_Obj* obj, const char* what, std::size_t* out) {
  Tcl_WideInt value = 0;
  if (Tcl_GetWideIntFromObj(nullptr, obj, &value) != TCL_OK || value < 0) {
    return command_error(interp, std::string("bad ") + what + " \"" + Tcl_GetString(obj) +
                                     "\": must be a non-negative integer");
  }
  *out = static_cast<std::size_t>(value);
  return TCL_OK;
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

Tcl_Obj* bytes_obj(std::string_view bytes) {
  return Tcl_NewByteArrayObj(reinterpret_cast<const unsigned char*>(bytes.data()), static_cast<int>(bytes.size()));
}

// TCP::payload ?length? | ?offset length? | length | replace offset length data
int TcpPayloadCmd(FireContext& ctx, Tcl_Interp* interp, int objc, Tcl_Obj* const objv[]) {
  std::string& payload = side_collect(ctx).payload;
  if (objc == 1) {
    Tcl_SetObjResult(interp, bytes_obj(payload));
    return TCL_OK;
  }
  const std::string_view first = arg_view(objv[1]);
  if (objc == 2 && first == "length") {
    Tcl_SetObjResult(interp, Tcl_NewWideIntObj(static_cast<Tcl_WideInt>(payload.size())));
    return TCL_OK;
  }
  if (objc == 5 && first == "replace") {
    std::size_t offset = 0;
    std::size_t length = 0;
    if (parse_size(interp, objv[2], "offset", &offset) != TCL_OK ||
        parse_size(interp, objv[3], "length", &length) != TCL_OK) {
      return TCL_ERROR;
    }
    if (offset > payload.size()) return command_error(interp, "TCP::payload: offset beyond the collected data");
    int size = 0;
    const unsigned char* data = Tcl_GetByteArrayFromObj(objv[4], &size);
    payload.replace(offset, std::min(length, payload.size() - offset), reinterpret_cast<const char*>(data),
                    static_cast<std::size_t>(size));
    Tcl_ResetResult(interp);
    return TCL_OK;
  }
  if (objc == 2 || objc == 3) {
    std::size_t offset = 0;
    std::size_t length = 0;
    if (objc == 3 && parse_size(interp, objv[1], "offset", &offset) != TCL_OK) return TCL_ERROR;
    if (parse_size(interp, objv[objc - 1], "length", &length) != TCL_OK) return TCL_ERROR;
    const std::string_view view(payload);
    Tcl_SetObjResult(interp, bytes_obj(offset < view.size() ? view.substr(offset, length) : std::string_view()));
    return TCL_OK;
  }
  Tcl_WrongNumArgs(interp, 1, objv, "?offset? ?length? | length | replace offset length data");
  return TCL_ERROR;
}

// TCP::release ?length?: let the collected bytes (or the first LENGTH) go on.
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
  collect.requested = false;   // released: no longer collecting
  Tcl_ResetResult(interp);
  return TCL_OK;
}

// TCP::respond data: bytes to this side's peer, ahead of anything else.
int TcpRespondCmd(FireContext& ctx, Tcl_Interp* interp, int objc, Tcl_Obj* const objv[]) {
  if (objc != 2) {
    Tcl_WrongNumArgs(interp, 1, objv, "data");
    return TCL_ERROR;
  }
  int size = 0;
  const unsigned char* data = Tcl_GetByteArrayFromObj(objv[1], &size);
  std::string& to = ctx.tx->serverside ? ctx.tx->respond_to_server : ctx.tx->respond_to_client;
  to.append(reinterpret_cast<const char*>(data), static_cast<std::size_t>(size));
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
