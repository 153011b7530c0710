// Commands BIG-IP has that public iRules use and irulesd lacked: HTTP::fallback, HTTP::request_num,
// TMM::cmp_unit, IP::version, members, `use pool|node` (BIG-IP 4.x's spelling of pool/node),
// translate and forward (loaded; what a full proxy cannot honour is a runtime error), and the
// Tcl builtins BIG-IP leaves enabled that reach nothing outside the interpreter (puts, encoding,
// history: tclext/compat_builtins.h).
#include <string>
#include <string_view>

#include "tclext/command_table.h"
#include "tclext/compat_builtins.h"
#include "tclext/lb_choice.h"
#include "tclext/value_bytes.h"

namespace irulesd::tclext {
namespace {

// Before the server's answer is there: where a fallback can still apply (the core consults it once
// LB_FAILED has run and no member took the request).
constexpr unsigned kFallbackEvents =
    event_bits({Event::HttpRequest, Event::HttpRequestData, Event::LbSelected, Event::LbFailed});

int no_args(Tcl_Interp* interp, int objc, Tcl_Obj* const objv[]) {
  if (objc == 1) return TCL_OK;
  Tcl_WrongNumArgs(interp, 1, objv, nullptr);
  return TCL_ERROR;
}

// HTTP::fallback URL: where the client is redirected (302) when no member of the pool can take the
// request, for this connection from now on, instead of a 503 — the http profile's fallback-host, set
// by the rule. An empty URL takes it back.
int HttpFallbackCmd(FireContext& ctx, Tcl_Interp* interp, int objc, Tcl_Obj* const objv[]) {
  if (objc != 2) {
    Tcl_WrongNumArgs(interp, 1, objv, "url");
    return TCL_ERROR;
  }
  std::string scratch;
  const std::string_view url = value_bytes(objv[1], scratch);
  if (has_line_break(url)) {
    // It becomes a Location header: no way to end the header early.
    return command_error(interp, "HTTP::fallback: invalid URL \"" + std::string(url) + "\": contains CR, LF or NUL");
  }
  ctx.tx->http_fallback.assign(url);
  Tcl_ResetResult(interp);
  return TCL_OK;
}

// HTTP::request_num: how many requests the client has sent on this connection, this one included.
int HttpRequestNumCmd(FireContext& ctx, Tcl_Interp* interp, int objc, Tcl_Obj* const objv[]) {
  if (no_args(interp, objc, objv) != TCL_OK) return TCL_ERROR;
  Tcl_SetObjResult(interp, Tcl_NewWideIntObj(static_cast<Tcl_WideInt>(ctx.tx->request_count)));
  return TCL_OK;
}

// TMM::cmp_unit: the TMM handling the connection; in irulesd, its worker thread's number (0 on).
int TmmCmpUnitCmd(FireContext& ctx, Tcl_Interp* interp, int objc, Tcl_Obj* const objv[]) {
  if (no_args(interp, objc, objv) != TCL_OK) return TCL_ERROR;
  Tcl_SetObjResult(interp, Tcl_NewIntObj(ctx.tx->worker_index));
  return TCL_OK;
}

// IP::version: 4 — irulesd listens and connects over IPv4 only.
int IpVersionCmd(FireContext&, Tcl_Interp* interp, int objc, Tcl_Obj* const objv[]) {
  if (no_args(interp, objc, objv) != TCL_OK) return TCL_ERROR;
  Tcl_SetObjResult(interp, Tcl_NewIntObj(4));
  return TCL_OK;
}

// members ?-list? POOL: how many members the pool has (or which, as "addr port" pairs), whatever
// their state — active_members counts those that can take traffic.
int MembersCmd(FireContext& ctx, Tcl_Interp* interp, int objc, Tcl_Obj* const objv[]) {
  const bool as_list = objc == 3 && arg_view(objv[1]) == "-list";
  if (objc != 2 && !as_list) {
    Tcl_WrongNumArgs(interp, 1, objv, "?-list? pool");
    return TCL_ERROR;
  }
  const std::string name(arg_view(objv[objc - 1]));
  const Pool* pool = ctx.config != nullptr ? ctx.config->find_pool(canonical_name(name)) : nullptr;
  if (pool == nullptr) return command_error(interp, "no such pool: " + name);   // as pool and active_members say
  if (!as_list) {
    Tcl_SetObjResult(interp, Tcl_NewWideIntObj(static_cast<Tcl_WideInt>(pool->members.size())));
    return TCL_OK;
  }
  Tcl_Obj* list = Tcl_NewListObj(0, nullptr);
  for (const PoolMember& member : pool->members) {
    Tcl_Obj* pair[2] = {Tcl_NewStringObj(member.address.data(), static_cast<int>(member.address.size())),
                        Tcl_NewIntObj(member.port)};
    Tcl_ListObjAppendElement(nullptr, list, Tcl_NewListObj(2, pair));
  }
  Tcl_SetObjResult(interp, list);
  return TCL_OK;
}

// use pool NAME ?member ADDR ?PORT?? | use node ADDR ?PORT?: what `pool …` / `node …` do.
int UseCmd(FireContext& ctx, Tcl_Interp* interp, int objc, Tcl_Obj* const objv[]) {
  const std::string_view kind = objc >= 2 ? arg_view(objv[1]) : std::string_view();
  if (kind == "pool") return lb_choose_pool(ctx, interp, "use", objc, objv, 2);
  if (kind == "node") {
    std::string addr;
    uint16_t port = 0;
    if (lb_parse_server(interp, "use", objc, objv, 2, true, &addr, &port) != TCL_OK) return TCL_ERROR;
    ctx.tx->selected_node_addr = std::move(addr);
    ctx.tx->selected_node_port = port;
    Tcl_ResetResult(interp);
    return TCL_OK;
  }
  if (objc < 2) {
    Tcl_WrongNumArgs(interp, 1, objv, "pool name ?member addr ?port?? | node addr ?port?");
    return TCL_ERROR;
  }
  return command_error(interp, "use: bad option \"" + std::string(kind) + "\": must be pool or node");
}

// translate address|port|service enable|disable: BIG-IP's address and port translation of the
// destination, per connection. irulesd is a full proxy: it always connects to the chosen member's
// address and port, so `enable` is what it does anyway and `disable` cannot be honoured (an error,
// not a silent difference). `service` is the port, as in BIG-IP's older name for it.
int TranslateCmd(FireContext&, Tcl_Interp* interp, int objc, Tcl_Obj* const objv[]) {
  if (objc != 3) {
    Tcl_WrongNumArgs(interp, 1, objv, "address|port|service enable|disable");
    return TCL_ERROR;
  }
  const std::string_view what = arg_view(objv[1]);
  const std::string_view state = arg_view(objv[2]);
  if (what != "address" && what != "port" && what != "service") {
    return command_error(interp, "translate: bad option \"" + std::string(what) + "\": must be address, port or service");
  }
  if (state == "enable") {
    Tcl_ResetResult(interp);
    return TCL_OK;
  }
  if (state != "disable") {
    return command_error(interp, "translate: bad value \"" + std::string(state) + "\": must be enable or disable");
  }
  return command_error(interp, "translate " + std::string(what) + " disable: not supported by irulesd, which always " +
                                   (what == "address" ? "connects to the chosen member's address"
                                                      : "connects to the chosen member's port"));
}

// forward: route the connection to its original destination instead of a pool member. irulesd has no
// such path (it terminates the client's connection and opens its own): a runtime error that says so.
int ForwardCmd(FireContext&, Tcl_Interp* interp, int objc, Tcl_Obj* const objv[]) {
  if (no_args(interp, objc, objv) != TCL_OK) return TCL_ERROR;
  return command_error(interp, "forward: not supported by irulesd, which proxies every connection to a pool member "
                               "or node and cannot route it to its original destination");
}

constexpr unsigned kTranslateEvents = kBeforeLbEvents | event_bit(Event::LbSelected);

constexpr CommandSpec kCompatCommands[] = {
    {"translate", kTranslateEvents, TranslateCmd},
    {"forward", kBeforeLbEvents | event_bit(Event::LbSelected), ForwardCmd},
    {"HTTP::fallback", kFallbackEvents, HttpFallbackCmd},
    {"HTTP::request_num", kHttpEvents, HttpRequestNumCmd},
    {"TMM::cmp_unit", kAnyEvent, TmmCmpUnitCmd},
    {"IP::version", kConnectionEvents, IpVersionCmd},
    {"members", kAnyEvent, MembersCmd},
    {"use", kPoolEvents, UseCmd},
    {"puts", kAnyEvent, PutsCmd},
    {"encoding", kAnyEvent, EncodingCmd},
    {"history", kAnyEvent, HistoryCmd},
};

}  // namespace

std::span<const CommandSpec> compat_commands() { return kCompatCommands; }

}  // namespace irulesd::tclext
