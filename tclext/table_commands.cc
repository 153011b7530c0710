// table and session: the process-wide session table (core/session_table.h), as BIG-IP documents them
// (clouddocs.f5.com/api/irules/table.html and the "table command" article series; session.html). The
// table is shared by every worker and survives reloads; these procs only parse words and format
// results.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/session_table.h"
#include "tclext/command_table.h"

namespace irulesd::tclext {
namespace {

int wrong_args(Tcl_Interp* interp, const std::string& usage) {
  return command_error(interp, "wrong # args: should be \"" + usage + "\"");
}

// A value read out of the table lands here first: one buffer per worker thread, so a lookup costs no
// heap allocation beyond the Tcl result itself.
std::string& value_buffer() {
  thread_local std::string buffer;
  return buffer;
}

// The options every subcommand may take, parsed the same way: flags before the key, "--" ends them.
struct TableOptions {
  bool notouch = false;
  bool mustexist = false;
  bool excl = false;
  bool remaining = false;
  bool count = false;
  bool all = false;
  bool has_subtable = false;
  std::string_view subtable;

  TableName table() const { return has_subtable ? TableName::sub(subtable) : TableName::main(); }
};

// Which options a subcommand takes.
enum : unsigned {
  kNotouch = 1,
  kSubtable = 2,
  kMustexist = 4,
  kExcl = 8,
  kRemaining = 16,
  kCount = 32,
  kAll = 64,
};

// Reads options from objv[*at] on, leaving *at on the first operand. A word that starts with "-" and
// is not an option of this subcommand is an error (use "--" for such a key).
int parse_options(Tcl_Interp* interp, const char* sub, unsigned allowed, int objc, Tcl_Obj* const objv[], int* at,
                  TableOptions* o) {
  struct Flag {
    const char* name;
    unsigned bit;
  };
  static constexpr Flag kFlags[] = {{"-notouch", kNotouch}, {"-subtable", kSubtable}, {"-mustexist", kMustexist},
                                    {"-excl", kExcl},       {"-remaining", kRemaining}, {"-count", kCount},
                                    {"-all", kAll}};
  while (*at < objc) {
    const std::string_view word = arg_view(objv[*at]);
    if (word.size() < 2 || word[0] != '-') return TCL_OK;
    if (word == "--") {
      ++*at;
      return TCL_OK;
    }
    unsigned bit = 0;
    for (const Flag& f : kFlags) {
      if ((allowed & f.bit) != 0 && word == f.name) bit = f.bit;
    }
    if (bit == 0) {
      std::string valid;
      for (const Flag& f : kFlags) {
        if ((allowed & f.bit) != 0) valid += std::string(valid.empty() ? "" : ", ") + f.name;
      }
      return command_error(interp, "table " + std::string(sub) + ": bad option \"" + std::string(word) +
                                       "\": must be " + valid + ", or --");
    }
    ++*at;
    switch (bit) {
      case kNotouch: o->notouch = true; break;
      case kMustexist: o->mustexist = true; break;
      case kExcl: o->excl = true; break;
      case kRemaining: o->remaining = true; break;
      case kCount: o->count = true; break;
      case kAll: o->all = true; break;
      case kSubtable:
        if (*at >= objc) return command_error(interp, "table " + std::string(sub) + ": -subtable needs a name");
        o->has_subtable = true;
        o->subtable = arg_view(objv[(*at)++]);
        break;
    }
  }
  return TCL_OK;
}

// A timeout or lifetime word: seconds, "indefinite", or 0 (keep the entry's own).
int parse_seconds(Tcl_Interp* interp, const char* what, Tcl_Obj* obj, uint32_t* out) {
  const std::string_view word = arg_view(obj);
  if (word == "indefinite") {
    *out = kTableIndefinite;
    return TCL_OK;
  }
  Tcl_WideInt n = -1;
  if (Tcl_GetWideIntFromObj(nullptr, obj, &n) != TCL_OK || n < 0 || n >= Tcl_WideInt{kTableIndefinite}) {
    return command_error(interp, std::string("bad ") + what + " \"" + std::string(word) +
                                     "\": must be a non-negative integer or indefinite");
  }
  *out = static_cast<uint32_t>(n);
  return TCL_OK;
}

Tcl_Obj* seconds_obj(std::optional<uint32_t> seconds) {
  if (!seconds) return Tcl_NewIntObj(-1);
  if (*seconds == kTableIndefinite) return Tcl_NewStringObj("indefinite", -1);
  return Tcl_NewWideIntObj(*seconds);
}

int full_error(Tcl_Interp* interp, const std::string& command) {
  return command_error(interp, command + ": the session table is full (" +
                                   std::to_string(SessionTable::global().max_entries()) + " entries)");
}

// The result of a write: the value, "" when -mustexist found nothing, an error when full.
int write_result(Tcl_Interp* interp, const char* sub, TableStatus status) {
  if (status == TableStatus::Full) return full_error(interp, std::string("table ") + sub);
  if (status == TableStatus::Missing) {
    Tcl_ResetResult(interp);
  } else {
    set_result(interp, value_buffer());
  }
  return TCL_OK;
}

// table set|add|replace ?options? key value ?timeout ?lifetime??
int table_set(Tcl_Interp* interp, int objc, Tcl_Obj* const objv[], const char* sub) {
  const std::string_view name = sub;
  const unsigned allowed = name == "set" ? (kNotouch | kSubtable | kMustexist | kExcl) : (kNotouch | kSubtable);
  TableOptions o;
  int at = 2;
  if (parse_options(interp, sub, allowed, objc, objv, &at, &o) != TCL_OK) return TCL_ERROR;
  if (objc - at < 2 || objc - at > 4) {
    return wrong_args(interp, "table " + std::string(sub) + (name == "set" ? " ?-notouch? ?-subtable name? ?-mustexist|-excl?"
                                                                          : " ?-notouch? ?-subtable name?") +
                                  " key value ?timeout|indefinite? ?lifetime|indefinite?");
  }
  if (o.mustexist && o.excl) return command_error(interp, "table set: -mustexist and -excl exclude each other");
  uint32_t timeout = kTableDefaultTimeout;
  uint32_t lifetime = kTableIndefinite;
  if (objc - at >= 3 && parse_seconds(interp, "timeout", objv[at + 2], &timeout) != TCL_OK) return TCL_ERROR;
  if (objc - at == 4 && parse_seconds(interp, "lifetime", objv[at + 3], &lifetime) != TCL_OK) return TCL_ERROR;
  TableSetMode mode = TableSetMode::Always;
  if (name == "add" || o.excl) mode = TableSetMode::Excl;
  if (name == "replace" || o.mustexist) mode = TableSetMode::MustExist;
  TableStatus status = SessionTable::global().set(o.table(), arg_view(objv[at]), arg_view(objv[at + 1]), timeout,
                                                  lifetime, mode, !o.notouch, &value_buffer());
  return write_result(interp, sub, status);
}

// table lookup ?-notouch? ?-subtable name? key
int table_lookup(Tcl_Interp* interp, int objc, Tcl_Obj* const objv[]) {
  TableOptions o;
  int at = 2;
  if (parse_options(interp, "lookup", kNotouch | kSubtable, objc, objv, &at, &o) != TCL_OK) return TCL_ERROR;
  if (objc - at != 1) return wrong_args(interp, "table lookup ?-notouch? ?-subtable name? key");
  if (SessionTable::global().lookup(o.table(), arg_view(objv[at]), !o.notouch, &value_buffer())) {
    set_result(interp, value_buffer());
  } else {
    Tcl_ResetResult(interp);
  }
  return TCL_OK;
}

// table incr ?-notouch? ?-subtable name? ?-mustexist? key ?delta?
// table append ?-notouch? ?-subtable name? ?-mustexist? key string
int table_incr_append(Tcl_Interp* interp, int objc, Tcl_Obj* const objv[], bool incr) {
  const char* sub = incr ? "incr" : "append";
  TableOptions o;
  int at = 2;
  if (parse_options(interp, sub, kNotouch | kSubtable | kMustexist, objc, objv, &at, &o) != TCL_OK) return TCL_ERROR;
  const int operands = objc - at;
  if (incr ? (operands < 1 || operands > 2) : operands != 2) {
    return wrong_args(interp, std::string("table ") + sub + " ?-notouch? ?-subtable name? ?-mustexist? key " +
                                  (incr ? "?delta?" : "string"));
  }
  SessionTable& table = SessionTable::global();
  TableStatus status;
  if (incr) {
    Tcl_WideInt delta = 1;
    if (operands == 2 && Tcl_GetWideIntFromObj(interp, objv[at + 1], &delta) != TCL_OK) return TCL_ERROR;
    status = table.incr(o.table(), arg_view(objv[at]), delta, o.mustexist, !o.notouch, &value_buffer());
  } else {
    status = table.append(o.table(), arg_view(objv[at]), arg_view(objv[at + 1]), o.mustexist, !o.notouch,
                          &value_buffer());
  }
  return write_result(interp, sub, status);
}

// table delete ?-subtable name? key  |  table delete -subtable name -all
int table_delete(Tcl_Interp* interp, int objc, Tcl_Obj* const objv[]) {
  TableOptions o;
  int at = 2;
  if (parse_options(interp, "delete", kSubtable | kAll, objc, objv, &at, &o) != TCL_OK) return TCL_ERROR;
  const int operands = objc - at;
  if (o.all ? operands != 0 : operands != 1) {
    return wrong_args(interp, "table delete ?-subtable name? key|-all");
  }
  if (o.all) {
    if (!o.has_subtable) return command_error(interp, "table delete: -all needs -subtable name");
    SessionTable::global().remove_subtable(o.subtable);
  } else {
    SessionTable::global().remove(o.table(), arg_view(objv[at]));
  }
  Tcl_ResetResult(interp);
  return TCL_OK;
}

// table timeout|lifetime ?-subtable name? ?-remaining? key ?value?
int table_expiry(Tcl_Interp* interp, int objc, Tcl_Obj* const objv[], bool lifetime) {
  const char* sub = lifetime ? "lifetime" : "timeout";
  TableOptions o;
  int at = 2;
  if (parse_options(interp, sub, kSubtable | kRemaining, objc, objv, &at, &o) != TCL_OK) return TCL_ERROR;
  const int operands = objc - at;
  if (operands < 1 || operands > 2 || (o.remaining && operands == 2)) {
    return wrong_args(interp, std::string("table ") + sub + " ?-subtable name? ?-remaining? key ?" + sub + "?");
  }
  SessionTable& table = SessionTable::global();
  const std::string_view key = arg_view(objv[at]);
  std::optional<uint32_t> result;
  if (operands == 2) {
    uint32_t seconds = 0;
    if (parse_seconds(interp, sub, objv[at + 1], &seconds) != TCL_OK) return TCL_ERROR;
    result = lifetime ? table.set_lifetime(o.table(), key, seconds) : table.set_timeout(o.table(), key, seconds);
  } else {
    result = lifetime ? table.lifetime(o.table(), key, o.remaining) : table.timeout(o.table(), key, o.remaining);
  }
  Tcl_SetObjResult(interp, seconds_obj(result));
  return TCL_OK;
}

// table keys -subtable name ?-notouch|-count?
int table_keys(Tcl_Interp* interp, int objc, Tcl_Obj* const objv[]) {
  TableOptions o;
  int at = 2;
  if (parse_options(interp, "keys", kSubtable | kNotouch | kCount, objc, objv, &at, &o) != TCL_OK) return TCL_ERROR;
  if (objc != at || !o.has_subtable) return wrong_args(interp, "table keys -subtable name ?-notouch|-count?");
  if (o.notouch && o.count) return command_error(interp, "table keys: -notouch and -count exclude each other");
  SessionTable& table = SessionTable::global();
  if (o.count) {
    Tcl_SetObjResult(interp, Tcl_NewWideIntObj(static_cast<Tcl_WideInt>(table.count(o.subtable))));
    return TCL_OK;
  }
  thread_local std::vector<std::string> keys;
  table.keys(o.subtable, !o.notouch, &keys);
  Tcl_Obj* list = Tcl_NewListObj(0, nullptr);
  for (const std::string& k : keys) {
    Tcl_ListObjAppendElement(nullptr, list, Tcl_NewStringObj(k.data(), static_cast<int>(k.size())));
  }
  Tcl_SetObjResult(interp, list);
  return TCL_OK;
}

constexpr const char* kTableSubcommands[] = {"add",     "append",  "delete", "incr",    "keys", "lifetime",
                                             "lookup",  "replace", "set",    "timeout", nullptr};

int TableCmd(FireContext&, Tcl_Interp* interp, int objc, Tcl_Obj* const objv[]) {
  if (objc < 2) return wrong_args(interp, "table subcommand ?arg ...?");
  int index = 0;
  if (Tcl_GetIndexFromObj(interp, objv[1], kTableSubcommands, "subcommand", TCL_EXACT, &index) != TCL_OK) {
    return TCL_ERROR;
  }
  const std::string_view sub = kTableSubcommands[index];
  if (sub == "set" || sub == "add" || sub == "replace") return table_set(interp, objc, objv, kTableSubcommands[index]);
  if (sub == "lookup") return table_lookup(interp, objc, objv);
  if (sub == "incr") return table_incr_append(interp, objc, objv, true);
  if (sub == "append") return table_incr_append(interp, objc, objv, false);
  if (sub == "delete") return table_delete(interp, objc, objv);
  if (sub == "timeout") return table_expiry(interp, objc, objv, false);
  if (sub == "lifetime") return table_expiry(interp, objc, objv, true);
  return table_keys(interp, objc, objv);
}

// ---- session (deprecated by table) ----------------------------------------------------------------------

// `session add uie K V` is `table set K V` (the same entries); the other modes keep their own
// namespaces, in subtables whose names start with a NUL byte, which a Tcl string never holds (Tcl
// encodes NUL as C0 80), so no rule can reach them through -subtable.
struct SessionMode {
  const char* name;
  std::string_view subtable;   // empty: the main table
};
using namespace std::string_view_literals;
constexpr SessionMode kSessionModes[] = {
    {"uie", ""sv},
    {"source_addr", "\0session source_addr"sv},
    {"dest_addr", "\0session dest_addr"sv},
    {"ssl", "\0session ssl"sv},
    {"hash", "\0session hash"sv},
    {"sip", "\0session sip"sv},
};
constexpr const char* kSessionModeNames[] = {"uie", "source_addr", "dest_addr", "ssl", "hash", "sip", nullptr};
constexpr const char* kSessionSubcommands[] = {"add", "delete", "lookup", nullptr};

// session add MODE KEY DATA ?TIMEOUT?  |  session lookup MODE KEY  |  session delete MODE KEY
int SessionCmd(FireContext&, Tcl_Interp* interp, int objc, Tcl_Obj* const objv[]) {
  if (objc < 2) return wrong_args(interp, "session add|lookup|delete mode key ?data? ?timeout?");
  int sub = 0;
  if (Tcl_GetIndexFromObj(interp, objv[1], kSessionSubcommands, "subcommand", TCL_EXACT, &sub) != TCL_OK) {
    return TCL_ERROR;
  }
  const std::string_view name = kSessionSubcommands[sub];
  const bool add = name == "add";
  if (add ? (objc != 5 && objc != 6) : objc != 4) {
    return wrong_args(interp, "session " + std::string(name) + " mode key" + (add ? " data ?timeout?" : ""));
  }
  int mode = 0;
  if (Tcl_GetIndexFromObj(interp, objv[2], kSessionModeNames, "mode", TCL_EXACT, &mode) != TCL_OK) return TCL_ERROR;
  const std::string_view space = kSessionModes[mode].subtable;
  const TableName table = space.empty() ? TableName::main() : TableName::sub(space);
  SessionTable& t = SessionTable::global();
  const std::string_view key = arg_view(objv[3]);
  if (add) {
    uint32_t timeout = kTableDefaultTimeout;
    if (objc == 6 && parse_seconds(interp, "timeout", objv[5], &timeout) != TCL_OK) return TCL_ERROR;
    TableStatus status = t.set(table, key, arg_view(objv[4]), timeout, kTableIndefinite, TableSetMode::Always, true,
                               &value_buffer());
    if (status == TableStatus::Full) return full_error(interp, "session add");
    Tcl_ResetResult(interp);
  } else if (name == "lookup") {
    if (t.lookup(table, key, true, &value_buffer())) {
      set_result(interp, value_buffer());
    } else {
      Tcl_ResetResult(interp);
    }
  } else {
    t.remove(table, key);
    Tcl_ResetResult(interp);
  }
  return TCL_OK;
}

// The session table is reached from a connection's events; RULE_INIT has none (BIG-IP refuses table
// there too).
constexpr CommandSpec kTableCommands[] = {
    {"table", kConnectionEvents, TableCmd},
    {"session", kConnectionEvents, SessionCmd},
};

}  // namespace

std::span<const CommandSpec> table_commands() { return kTableCommands; }

}  // namespace irulesd::tclext
