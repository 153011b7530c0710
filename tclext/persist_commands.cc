// persist: how a connection's server choices stick, and the persistence records themselves
// (clouddocs.f5.com/api/irules/persist.html). The core looks records up before it balances, writes
// them once connected, and inserts the cookie of `persist cookie insert`.
#include <arpa/inet.h>

#include <string>

#include "core/persistence.h"
#include "tclext/command_table.h"

namespace irulesd::tclext {
namespace {

constexpr unsigned kChooseEvents = kBeforeLbEvents | event_bits({Event::LbSelected, Event::HttpResponse});
constexpr const char* kPersistUsage =
    "uie|hash key ?timeout? | source_addr|dest_addr ?mask? ?timeout? | cookie ?insert ?name? ?expiration?? | none | "
    "add|lookup|delete mode key ... ";

std::optional<PersistMode> mode_of(std::string_view name) {
  if (name == "uie" || name == "universal") return PersistMode::Universal;
  if (name == "hash") return PersistMode::Hash;
  if (name == "source_addr" || name == "srcaddr") return PersistMode::SourceAddr;
  if (name == "dest_addr" || name == "dstaddr") return PersistMode::DestAddr;
  if (name == "cookie") return PersistMode::Cookie;
  return std::nullopt;
}

int unsupported_mode(Tcl_Interp* interp, std::string_view name) {
  return command_error(interp, "persist: method \"" + std::string(name) +
                                   "\" is not supported by irulesd (uie, hash, source_addr, dest_addr, cookie insert, none)");
}

int parse_seconds(Tcl_Interp* interp, Tcl_Obj* obj, uint32_t* out) {
  Tcl_WideInt value = 0;
  if (arg_view(obj) == "indefinite") {
    *out = kTableIndefinite;
    return TCL_OK;
  }
  if (Tcl_GetWideIntFromObj(nullptr, obj, &value) != TCL_OK || value < 0 || value > 0xfffffffeLL) {
    return command_error(interp, "persist: bad timeout \"" + std::string(arg_view(obj)) + "\"");
  }
  *out = static_cast<uint32_t>(value);
  return TCL_OK;
}

// A mask as a dotted netmask (contiguous) or a prefix length.
int parse_mask(Tcl_Interp* interp, std::string_view text, uint32_t* bits) {
  in_addr mask{};
  if (inet_pton(AF_INET, std::string(text).c_str(), &mask) == 1) {
    const uint32_t m = ntohl(mask.s_addr);
    const uint32_t host = ~m;
    if ((host & (host + 1)) == 0) {   // the host part is 2^k - 1: a contiguous netmask
      *bits = static_cast<uint32_t>(__builtin_popcount(m));
      return TCL_OK;
    }
  } else if (!text.empty() && text.size() <= 2 && text.find_first_not_of("0123456789") == std::string_view::npos) {
    const unsigned prefix = static_cast<unsigned>(std::stoul(std::string(text)));
    if (prefix <= 32) {
      *bits = prefix;
      return TCL_OK;
    }
  }
  return command_error(interp, "persist: bad mask \"" + std::string(text) + "\"");
}

std::string record_key(FireContext& ctx, PersistMode mode, std::string_view given) {
  // source_addr / dest_addr records are keyed by address; a rule may name one explicitly.
  if (!given.empty()) return std::string(given);
  return mode == PersistMode::DestAddr ? ctx.tx->local_addr : ctx.tx->client_addr;
}

// persist add|lookup|delete MODE KEY …
int records(FireContext& ctx, Tcl_Interp* interp, int objc, Tcl_Obj* const objv[]) {
  const std::string_view op = arg_view(objv[1]);
  if (objc < 4) {
    Tcl_WrongNumArgs(interp, 2, objv, op == "lookup" ? "mode key ?all|node|port|pool?" : "mode key ?timeout?");
    return TCL_ERROR;
  }
  std::optional<PersistMode> mode = mode_of(arg_view(objv[2]));
  if (!mode || *mode == PersistMode::Cookie) return unsupported_mode(interp, arg_view(objv[2]));
  // A key may be given as a list ({key virtual-name}): its first element is the key.
  Tcl_Obj* first = nullptr;
  int length = 0;
  std::string key(arg_view(objv[3]));
  if (Tcl_ListObjLength(nullptr, objv[3], &length) == TCL_OK && length > 1 &&
      Tcl_ListObjIndex(nullptr, objv[3], 0, &first) == TCL_OK && first != nullptr) {
    key = arg_view(first);
  }
  key = record_key(ctx, *mode, key);
  PersistenceStore& store = PersistenceStore::global();
  const std::string scope = ctx.tx->persist.across_virtuals ? std::string() : ctx.tx->virtual_name;
  if (op == "add") {
    if (ctx.tx->server_addr.empty() || ctx.tx->server_pool.empty()) {
      return command_error(interp, "persist add: no pool member has been chosen yet");
    }
    uint32_t timeout = 0;
    if (objc >= 5 && parse_seconds(interp, objv[4], &timeout) != TCL_OK) return TCL_ERROR;
    store.add(*mode, scope, key, PersistRecord{ctx.tx->server_pool, ctx.tx->server_addr, ctx.tx->server_port}, timeout);
    Tcl_ResetResult(interp);
    return TCL_OK;
  }
  if (op == "delete") {
    store.remove(*mode, scope, key);
    Tcl_ResetResult(interp);
    return TCL_OK;
  }
  // lookup: "POOL ADDR PORT" (all), or one field.
  std::optional<PersistRecord> record = store.lookup(*mode, scope, key);
  if (!record) {
    Tcl_ResetResult(interp);
    return TCL_OK;
  }
  const std::string_view field = objc >= 5 ? arg_view(objv[4]) : std::string_view("all");
  if (field == "pool") {
    set_result(interp, record->pool);
  } else if (field == "node") {
    set_result(interp, record->address);
  } else if (field == "port") {
    Tcl_SetObjResult(interp, Tcl_NewIntObj(record->port));
  } else if (field == "all") {
    Tcl_Obj* items[3] = {Tcl_NewStringObj(record->pool.data(), static_cast<int>(record->pool.size())),
                         Tcl_NewStringObj(record->address.data(), static_cast<int>(record->address.size())),
                         Tcl_NewIntObj(record->port)};
    Tcl_SetObjResult(interp, Tcl_NewListObj(3, items));
  } else {
    return command_error(interp, "persist lookup: bad field \"" + std::string(field) + "\": must be all, node, port or pool");
  }
  return TCL_OK;
}

int PersistCmd(FireContext& ctx, Tcl_Interp* interp, int objc, Tcl_Obj* const objv[]) {
  if (objc < 2) {
    Tcl_WrongNumArgs(interp, 1, objv, kPersistUsage);
    return TCL_ERROR;
  }
  const std::string_view method = arg_view(objv[1]);
  if (method == "add" || method == "lookup" || method == "delete") return records(ctx, interp, objc, objv);
  PersistRequest& persist = ctx.tx->persist;
  if (method == "none") {
    persist = PersistRequest{};
    persist.disabled = true;
    Tcl_ResetResult(interp);
    return TCL_OK;
  }
  std::optional<PersistMode> mode = mode_of(method);
  if (!mode) return unsupported_mode(interp, method);
  // The virtual's persistence profile keeps its scope and timeout under the rule's method.
  PersistRequest next;
  next.across_virtuals = persist.across_virtuals;
  next.across_pools = persist.across_pools;
  next.across_services = persist.across_services;
  next.override_connection_limit = persist.override_connection_limit;
  next.timeout_s = persist.timeout_s;
  if (persist.mode == PersistMode::Cookie) {
    next.cookie_httponly = persist.cookie_httponly;
    next.cookie_secure = persist.cookie_secure;
    next.cookie_always_send = persist.cookie_always_send;
  }
  next.active = true;
  next.mode = *mode;
  switch (*mode) {
    case PersistMode::Universal:
    case PersistMode::Hash:
      if (objc < 3 || objc > 4) {
        Tcl_WrongNumArgs(interp, 2, objv, "key ?timeout?");
        return TCL_ERROR;
      }
      next.key = std::string(arg_view(objv[2]));
      if (objc == 4 && parse_seconds(interp, objv[3], &next.timeout_s) != TCL_OK) return TCL_ERROR;
      break;
    case PersistMode::SourceAddr:
    case PersistMode::DestAddr:
      if (objc > 4) {
        Tcl_WrongNumArgs(interp, 2, objv, "?mask? ?timeout?");
        return TCL_ERROR;
      }
      if (objc >= 3 && parse_mask(interp, arg_view(objv[2]), &next.mask_bits) != TCL_OK) return TCL_ERROR;
      if (objc == 4 && parse_seconds(interp, objv[3], &next.timeout_s) != TCL_OK) return TCL_ERROR;
      break;
    case PersistMode::Cookie: {
      // cookie ?insert ?name? ?expiration??: insert is the method irulesd runs.
      if (objc >= 3 && arg_view(objv[2]) != "insert") return unsupported_mode(interp, "cookie " + std::string(arg_view(objv[2])));
      if (objc > 5) {
        Tcl_WrongNumArgs(interp, 2, objv, "?insert ?name? ?expiration??");
        return TCL_ERROR;
      }
      if (objc >= 4) next.cookie_name = std::string(arg_view(objv[3]));
      if (!next.cookie_name.empty() && !is_header_token(next.cookie_name)) {
        return command_error(interp, "persist: bad cookie name \"" + next.cookie_name + "\"");
      }
      if (objc == 5 && parse_seconds(interp, objv[4], &next.cookie_expiration_s) != TCL_OK) return TCL_ERROR;
      break;
    }
  }
  persist = std::move(next);
  Tcl_ResetResult(interp);
  return TCL_OK;
}

constexpr CommandSpec kPersistCommands[] = {
    {"persist", kChooseEvents, PersistCmd},
};

}  // namespace

std::span<const CommandSpec> persist_commands() { return kPersistCommands; }

}  // namespace irulesd::tclext
