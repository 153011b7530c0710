// Load-balancing decisions and facts: pool, node, LB::* (LB::select chooses now), active_members. The commands record the
// choice in the Transaction; the core balances (LB_SELECTED / LB_FAILED) when the event is done.
#include <arpa/inet.h>

#include <charconv>

#include "tclext/command_table.h"
#include "tclext/lb_choice.h"

namespace irulesd::tclext {
namespace {

constexpr unsigned kReselectEvents = event_bits({Event::LbSelected, Event::LbFailed});

int parse_port(Tcl_Interp* interp, const char* command, std::string_view text, uint16_t* port) {
  unsigned value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || value == 0 || value > 65535) {
    return command_error(interp, std::string(command) + ": invalid port \"" + std::string(text) + "\"");
  }
  *port = static_cast<uint16_t>(value);
  return TCL_OK;
}

// ADDR PORT, or ADDR:PORT in one word (IPv4), or ADDR alone when port_optional.
int parse_server(Tcl_Interp* interp, const char* command, int objc, Tcl_Obj* const objv[], int first,
                 bool port_optional, std::string* addr, uint16_t* port) {
  if (objc - first < 1 || objc - first > 2) {
    Tcl_WrongNumArgs(interp, first, objv, port_optional ? "addr ?port?" : "addr port");
    return TCL_ERROR;
  }
  std::string_view text = arg_view(objv[first]);
  *port = 0;
  if (objc - first == 2) {
    if (parse_port(interp, command, arg_view(objv[first + 1]), port) != TCL_OK) return TCL_ERROR;
  } else if (std::size_t colon = text.rfind(':'); colon != text.npos && text.find(':') == colon) {
    if (parse_port(interp, command, text.substr(colon + 1), port) != TCL_OK) return TCL_ERROR;
    text = text.substr(0, colon);
  } else if (!port_optional) {
    Tcl_WrongNumArgs(interp, first, objv, "addr port");
    return TCL_ERROR;
  }
  // F5 route domains ("10.0.0.1%2") are one routing table here.
  addr->assign(text.substr(0, text.find('%')));
  return TCL_OK;
}

const Pool* find_pool(FireContext& ctx, Tcl_Interp* interp, std::string_view name) {
  const Pool* pool = ctx.config != nullptr ? ctx.config->find_pool(canonical_name(std::string(name))) : nullptr;
  if (pool == nullptr) command_error(interp, "no such pool: " + std::string(name));   // BIG-IP's words
  return pool;
}

// pool NAME ?member ADDR ?PORT??: the pool (and optionally which of its members) for this connection.
int choose_pool(FireContext& ctx, Tcl_Interp* interp, const char* command, int objc, Tcl_Obj* const objv[],
                int first) {
  if (objc - first != 1 && !(objc - first >= 3 && arg_view(objv[first + 1]) == "member")) {
    Tcl_WrongNumArgs(interp, first, objv, "name ?member addr ?port??");
    return TCL_ERROR;
  }
  const Pool* pool = find_pool(ctx, interp, arg_view(objv[first]));
  if (pool == nullptr) return TCL_ERROR;
  std::string addr;
  uint16_t port = 0;
  if (objc - first >= 3) {
    if (parse_server(interp, command, objc, objv, first + 2, true, &addr, &port) != TCL_OK) return TCL_ERROR;
    bool is_member = false;
    for (const PoolMember& member : pool->members) {
      if (member.address == addr && (port == 0 || member.port == port)) {
        is_member = true;
        if (port == 0) port = member.port;
        break;
      }
    }
    if (!is_member) {
      return command_error(interp, std::string(command) + ": " + addr + (port ? ":" + std::to_string(port) : "") +
                                       " is not a member of pool " + pool->name);
    }
  }
  ctx.tx->selected_pool = pool->name;
  ctx.tx->selected_node_addr = addr;
  ctx.tx->selected_node_port = port;
  Tcl_ResetResult(interp);
  return TCL_OK;
}

int PoolCmd(FireContext& ctx, Tcl_Interp* interp, int objc, Tcl_Obj* const objv[]) {
  return choose_pool(ctx, interp, "pool", objc, objv, 1);
}

// node ADDR ?PORT?: this server, whatever the pool; without a port, the virtual's port.
int NodeCmd(FireContext& ctx, Tcl_Interp* interp, int objc, Tcl_Obj* const objv[]) {
  std::string addr;
  uint16_t port = 0;
  if (parse_server(interp, "node", objc, objv, 1, true, &addr, &port) != TCL_OK) return TCL_ERROR;
  ctx.tx->selected_node_addr = addr;
  ctx.tx->selected_node_port = port;
  Tcl_ResetResult(interp);
  return TCL_OK;
}

// LB::reselect ?pool NAME ?member ADDR PORT?? | ?node ADDR ?PORT??: choose again.
int LbReselectCmd(FireContext& ctx, Tcl_Interp* interp, int objc, Tcl_Obj* const objv[]) {
  if (objc > 1) {
    const std::string_view kind = arg_view(objv[1]);
    int code = TCL_OK;
    if (kind == "pool") {
      code = choose_pool(ctx, interp, "LB::reselect", objc, objv, 2);
    } else if (kind == "node") {
      code = parse_server(interp, "LB::reselect", objc, objv, 2, true, &ctx.tx->selected_node_addr,
                          &ctx.tx->selected_node_port);
    } else {
      Tcl_WrongNumArgs(interp, 1, objv, "?pool name ?member addr port?? | ?node addr ?port??");
      return TCL_ERROR;
    }
    if (code != TCL_OK) return code;
  }
  ctx.tx->lb_reselect = true;
  Tcl_ResetResult(interp);
  return TCL_OK;
}

int LbDetachCmd(FireContext& ctx, Tcl_Interp* interp, int objc, Tcl_Obj* const objv[]) {
  if (objc != 1) {
    Tcl_WrongNumArgs(interp, 1, objv, nullptr);
    return TCL_ERROR;
  }
  ctx.tx->lb_detach = true;
  Tcl_ResetResult(interp);
  return TCL_OK;
}

// The pool requests go to now: the rule's choice, else the virtual's default.
std::string current_pool(const FireContext& ctx) {
  if (!ctx.tx->server_pool.empty()) return ctx.tx->server_pool;
  if (!ctx.tx->selected_pool.empty()) return ctx.tx->selected_pool;
  const VirtualServer* vs = ctx.config ? ctx.config->find_virtual(ctx.tx->virtual_name) : nullptr;
  return vs ? vs->pool : std::string();
}

// LB::server ?pool|addr|port|name|priority|ratio|weight?: the chosen server; with no argument
// "POOL ADDR PORT" (only the pool before one is chosen), as BIG-IP answers.
int LbServerCmd(FireContext& ctx, Tcl_Interp* interp, int objc, Tcl_Obj* const objv[]) {
  if (objc > 2) {
    Tcl_WrongNumArgs(interp, 1, objv, "?pool|addr|port|name|priority|ratio|weight?");
    return TCL_ERROR;
  }
  const Transaction& tx = *ctx.tx;
  const std::string pool = current_pool(ctx);
  const std::string_view what = objc == 2 ? arg_view(objv[1]) : std::string_view();
  if (what.empty()) {
    Tcl_Obj* list = Tcl_NewListObj(0, nullptr);
    Tcl_ListObjAppendElement(nullptr, list, Tcl_NewStringObj(pool.data(), static_cast<int>(pool.size())));
    if (!tx.server_addr.empty()) {
      Tcl_ListObjAppendElement(nullptr, list, Tcl_NewStringObj(tx.server_addr.data(), static_cast<int>(tx.server_addr.size())));
      Tcl_ListObjAppendElement(nullptr, list, Tcl_NewIntObj(tx.server_port));
    }
    Tcl_SetObjResult(interp, list);
  } else if (what == "pool") {
    set_result(interp, pool);
  } else if (what == "addr") {
    set_result(interp, tx.server_addr);
  } else if (what == "port") {
    Tcl_SetObjResult(interp, tx.server_port != 0 ? Tcl_NewIntObj(tx.server_port) : Tcl_NewObj());
  } else if (what == "name") {
    set_result(interp, tx.server_addr.empty() ? std::string() : tx.server_addr + ":" + std::to_string(tx.server_port));
  } else if (what == "priority" || what == "weight") {
    Tcl_SetObjResult(interp, Tcl_NewIntObj(0));   // no priority groups or weights yet
  } else if (what == "ratio") {
    Tcl_SetObjResult(interp, Tcl_NewIntObj(1));
  } else {
    return command_error(interp, "LB::server: bad option \"" + std::string(what) +
                                     "\": must be pool, addr, port, name, priority, ratio or weight");
  }
  return TCL_OK;
}

Tcl_Obj* server_command(const char* kind, const std::string& pool, const std::string& addr, uint16_t port) {
  Tcl_Obj* list = Tcl_NewListObj(0, nullptr);
  auto add = [&](std::string_view word) {
    Tcl_ListObjAppendElement(nullptr, list, Tcl_NewStringObj(word.data(), static_cast<int>(word.size())));
  };
  add(kind);
  if (!pool.empty()) {
    add(pool);
    add("member");
  }
  add(addr);
  Tcl_ListObjAppendElement(nullptr, list, Tcl_NewIntObj(port));
  return list;
}

// LB::select: the load-balancing choice made now, by the pool's method over its members' live state,
// and pinned for this connection as `pool P member ADDR PORT` pins it (LB::server and the core then
// use that member). Returns the command that makes the same choice, for `eval [LB::select]`:
// "pool P member ADDR PORT", or "node ADDR PORT" after `node`. Empty when no member can take the
// connection (nothing is pinned: the core's own choice then fails, LB_FAILED). Persistence records
// are not consulted: the pool's method chooses.
int LbSelectCmd(FireContext& ctx, Tcl_Interp* interp, int objc, Tcl_Obj* const objv[]) {
  if (objc != 1) {
    Tcl_WrongNumArgs(interp, 1, objv, nullptr);
    return TCL_ERROR;
  }
  Transaction& tx = *ctx.tx;
  const VirtualServer* vs = ctx.config ? ctx.config->find_virtual(tx.virtual_name) : nullptr;
  if (!tx.selected_node_addr.empty()) {
    // Already chosen (pool P member …, node …, an earlier LB::select): that is the selection.
    const uint16_t port = tx.selected_node_port != 0 ? tx.selected_node_port : vs ? vs->dest_port : 0;
    Tcl_SetObjResult(interp, server_command(tx.selected_pool.empty() ? "node" : "pool", tx.selected_pool,
                                            tx.selected_node_addr, port));
    return TCL_OK;
  }
  const std::string pool_name = !tx.selected_pool.empty() ? tx.selected_pool : vs ? vs->pool : std::string();
  const Pool* pool = ctx.config && !pool_name.empty() ? ctx.config->find_pool(pool_name) : nullptr;
  const int chosen = pool != nullptr && tx.pool_states != nullptr ? tx.pool_states->choose_member(*pool) : -1;
  if (chosen < 0 || static_cast<std::size_t>(chosen) >= pool->members.size()) {
    Tcl_ResetResult(interp);
    return TCL_OK;
  }
  const PoolMember& member = pool->members[static_cast<std::size_t>(chosen)];
  tx.selected_pool = pool->name;
  tx.selected_node_addr = member.address;
  tx.selected_node_port = member.port;
  Tcl_SetObjResult(interp, server_command("pool", pool->name, member.address, member.port));
  return TCL_OK;
}

const char* lb_mode_name(LbMode mode) {
  // Short names in the style of BIG-IP's LB::mode; the tmsh spelling is lb_mode_tmsh_name().
  switch (mode) {
    case LbMode::RoundRobin: return "rr";
    case LbMode::RatioMember:
    case LbMode::RatioNode: return "ratio";
    case LbMode::LeastConnectionsMember:
    case LbMode::LeastConnectionsNode: return "least_conn";
    case LbMode::WeightedLeastConnectionsMember:
    case LbMode::WeightedLeastConnectionsNode: return "weighted_least_conn";
    case LbMode::RatioLeastConnectionsMember:
    case LbMode::RatioLeastConnectionsNode: return "ratio_least_conn";
    case LbMode::FastestNode: return "fastest";
    case LbMode::FastestAppResponse: return "fastest_app_response";
    case LbMode::ObservedMember:
    case LbMode::ObservedNode: return "observed";
    case LbMode::PredictiveMember:
    case LbMode::PredictiveNode: return "predictive";
  }
  return "rr";
}

// LB::mode: the current pool's load-balancing method, in BIG-IP's short form ("rr").
int LbModeCmd(FireContext& ctx, Tcl_Interp* interp, int objc, Tcl_Obj* const objv[]) {
  if (objc != 1) {
    Tcl_WrongNumArgs(interp, 1, objv, nullptr);
    return TCL_ERROR;
  }
  const Pool* pool = ctx.config ? ctx.config->find_pool(current_pool(ctx)) : nullptr;
  set_result(interp, pool ? lb_mode_name(pool->lb_mode) : "");
  return TCL_OK;
}

// LB::status ?pool NAME member ADDR PORT | node ADDR?: "up", "down" (its monitors, or forced
// offline), "session_disabled"; "unknown" for what the config does not have.
int LbStatusCmd(FireContext& ctx, Tcl_Interp* interp, int objc, Tcl_Obj* const objv[]) {
  if (objc == 1) {
    set_result(interp, ctx.tx->server_addr.empty() ? "unknown" : "up");
    return TCL_OK;
  }
  if (objc >= 4 && arg_view(objv[1]) == "pool" && arg_view(objv[3]) == "member") {
    const Pool* pool = find_pool(ctx, interp, arg_view(objv[2]));
    if (pool == nullptr) return TCL_ERROR;
    std::string addr;
    uint16_t port = 0;
    if (parse_server(interp, "LB::status", objc, objv, 4, false, &addr, &port) != TCL_OK) return TCL_ERROR;
    for (std::size_t i = 0; i < pool->members.size(); ++i) {
      if (pool->members[i].address == addr && pool->members[i].port == port) {
        set_result(interp, ctx.tx->pool_states ? ctx.tx->pool_states->member_status(*pool, i) : "up");
        return TCL_OK;
      }
    }
    set_result(interp, "unknown");
    return TCL_OK;
  }
  if (objc == 3 && arg_view(objv[1]) == "node") {
    const std::string_view addr = arg_view(objv[2]);
    bool known = false;
    if (ctx.config) {
      for (const Node& node : ctx.config->nodes) known = known || node.address == addr;
    }
    set_result(interp, known ? "up" : "unknown");
    return TCL_OK;
  }
  Tcl_WrongNumArgs(interp, 1, objv, "?pool name member addr port? | ?node addr?");
  return TCL_ERROR;
}

// active_members ?-list? POOL: how many members (or which, as "addr port" pairs) can take traffic.
int ActiveMembersCmd(FireContext& ctx, Tcl_Interp* interp, int objc, Tcl_Obj* const objv[]) {
  const bool as_list = objc == 3 && arg_view(objv[1]) == "-list";
  if (objc != 2 && !as_list) {
    Tcl_WrongNumArgs(interp, 1, objv, "?-list? pool");
    return TCL_ERROR;
  }
  const Pool* pool = find_pool(ctx, interp, arg_view(objv[objc - 1]));
  if (pool == nullptr) return TCL_ERROR;
  // Members whose monitors say up and that are neither disabled nor forced offline.
  const PoolStates* states = ctx.tx->pool_states;
  if (!as_list) {
    const std::size_t active = states ? states->active_members(*pool) : pool->members.size();
    Tcl_SetObjResult(interp, Tcl_NewWideIntObj(static_cast<Tcl_WideInt>(active)));
    return TCL_OK;
  }
  Tcl_Obj* list = Tcl_NewListObj(0, nullptr);
  for (std::size_t i = 0; i < pool->members.size(); ++i) {
    const PoolMember& member = pool->members[i];
    if (states && std::string_view(states->member_status(*pool, i)) != "up") continue;
    Tcl_Obj* pair[2] = {Tcl_NewStringObj(member.address.data(), static_cast<int>(member.address.size())),
                        Tcl_NewIntObj(member.port)};
    Tcl_ListObjAppendElement(nullptr, list, Tcl_NewListObj(2, pair));
  }
  Tcl_SetObjResult(interp, list);
  return TCL_OK;
}

// snat automap | none | ADDR: the source address of this connection's server side from now on.
int SnatCmd(FireContext& ctx, Tcl_Interp* interp, int objc, Tcl_Obj* const objv[]) {
  if (objc != 2) {
    Tcl_WrongNumArgs(interp, 1, objv, "automap|none|addr");
    return TCL_ERROR;
  }
  std::string value(arg_view(objv[1]));
  value = value.substr(0, value.find('%'));   // route domains: one routing table here
  in_addr parsed{};
  if (value != "automap" && value != "none" && inet_pton(AF_INET, value.c_str(), &parsed) != 1) {
    return command_error(interp, "snat: bad address \"" + value + "\": must be automap, none or an IPv4 address");
  }
  ctx.tx->snat = value;
  Tcl_ResetResult(interp);
  return TCL_OK;
}

constexpr CommandSpec kLbCommands[] = {
    {"pool", kPoolEvents, PoolCmd},
    {"node", kPoolEvents, NodeCmd},
    {"snat", kBeforeLbEvents | event_bit(Event::LbSelected), SnatCmd},
    {"LB::reselect", kReselectEvents, LbReselectCmd},
    {"LB::detach", kConnectionEvents, LbDetachCmd},
    {"LB::select", kBeforeLbEvents, LbSelectCmd},
    {"LB::server", kConnectionEvents, LbServerCmd},
    {"LB::mode", kConnectionEvents, LbModeCmd},
    {"LB::status", kConnectionEvents, LbStatusCmd},
    {"active_members", kAnyEvent, ActiveMembersCmd},
};

}  // namespace

std::span<const CommandSpec> lb_commands() { return kLbCommands; }

// lb_choice.h: the same choice for `use pool|node …`.
int lb_choose_pool(FireContext& ctx, Tcl_Interp* interp, const char* command, int objc, Tcl_Obj* const objv[],
                   int first) {
  return choose_pool(ctx, interp, command, objc, objv, first);
}

int lb_parse_server(Tcl_Interp* interp, const char* command, int objc, Tcl_Obj* const objv[], int first,
                    bool port_optional, std::string* addr, uint16_t* port) {
  return parse_server(interp, command, objc, objv, first, port_optional, addr, port);
}

}  // namespace irulesd::tclext
