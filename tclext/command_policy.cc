#include "tclext/command_policy.h"

#include <cctype>
#include <mutex>

#include <tcl.h>

#include "tclext/command_table.h"
#include "tclext/f5_operators.h"
#include "tclext/sandbox.h"

namespace irulesd::tclext {
namespace {

// The Tcl commands BIG-IP disables in iRules: using one is a load error naming it. (Some stay in
// irulesd's interpreter because Tcl's own library procedures need them — namespace — but no rule can
// call them by name.)
constexpr std::string_view kDisabled[] = {
    "auto_execok", "auto_import", "auto_load", "auto_qualify", "cd",     "eof",    "exec",    "exit",
    "fblocked",    "fconfigure",  "fcopy",     "file",         "flush",  "gets",   "glob",    "interp",
    "load",        "namespace",   "open",      "package",      "pid",    "pwd",    "rename",  "seek",
    "socket",      "source",      "tell",      "time",         "unknown", "update", "vwait",
};

// F5 commands outside any module namespace that irulesd does not have (yet).
constexpr std::string_view kUnsupportedF5[] = {
    "snatpool", "lasthop", "nexthop", "whereis", "rateclass", "cpu",
    "traffic_group", "ip_protocol", "ip_tos", "link_qos", "clone", "listen", "relate_client",
    "relate_server", "peer", "timing", "sharedvar", "decode_uri", "urlcatquery", "urlcatblindquery",
};

// Commands the engine itself creates (not in the command tables).
constexpr std::string_view kEngineCommands[] = {"event", "after", "call"};

bool is_module_prefix(std::string_view name) {
  // F5 modules are upper-case namespaces: HTTP::, SSL::, ACCESS::, X509::, ...
  const std::size_t sep = name.find("::");
  if (sep == std::string_view::npos || sep == 0) return false;
  for (char c : name.substr(0, sep)) {
    if (!(std::isupper(static_cast<unsigned char>(c)) || std::isdigit(static_cast<unsigned char>(c)) || c == '_')) {
      return false;
    }
  }
  return true;
}

std::string quoted(std::string_view name) { return "\"" + std::string(name) + "\""; }

}  // namespace

const CommandPolicy& CommandPolicy::instance() {
  static std::once_flag once;
  static const CommandPolicy* policy = nullptr;
  std::call_once(once, [] { policy = new CommandPolicy(); });
  return *policy;
}

CommandPolicy::CommandPolicy() {
  for (auto table : all_command_tables()) {
    for (const CommandSpec& spec : table) irule_commands_[spec.name] = spec.events;
  }
  for (std::string_view name : kEngineCommands) irule_commands_[std::string(name)] = kAnyEvent;

  // Stock Tcl as the engine's interpreter has it after the sandbox: global commands by name.
  Tcl_FindExecutable(nullptr);
  Tcl_Interp* interp = Tcl_CreateInterp();
  if (Tcl_Init(interp) != TCL_OK) Tcl_ResetResult(interp);
  apply_sandbox(interp);
  register_f5_operators(interp);
  if (Tcl_Eval(interp, "info commands") == TCL_OK) {
    Tcl_Obj* list = Tcl_GetObjResult(interp);
    int count = 0;
    Tcl_Obj** items = nullptr;
    if (Tcl_ListObjGetElements(nullptr, list, &count, &items) == TCL_OK) {
      for (int i = 0; i < count; ++i) tcl_commands_.insert(Tcl_GetString(items[i]));
    }
  }
  Tcl_DeleteInterp(interp);
}

std::string CommandPolicy::check(std::string_view name, std::optional<Event> event) const {
  if (name.substr(0, 2) == "::") name.remove_prefix(2);
  for (std::string_view disabled : kDisabled) {
    if (name == disabled) return "command " + quoted(name) + " is disabled in iRules";
  }
  if (auto it = irule_commands_.find(std::string(name)); it != irule_commands_.end()) {
    if (event && (it->second & event_bit(*event)) == 0) {
      return "command " + quoted(name) + " is not valid in event " + event_name(*event);
    }
    return {};
  }
  if (tcl_commands_.count(std::string(name)) != 0) return {};
  // Qualified Tcl commands (tcl::mathop::+, tcl::string::...) resolve in Tcl's own namespaces.
  if (name.substr(0, 5) == "tcl::") return {};
  for (std::string_view f5 : kUnsupportedF5) {
    if (name == f5) return "command " + quoted(name) + " is not supported by irulesd";
  }
  if (is_module_prefix(name)) return "command " + quoted(name) + " is not supported by irulesd";
  return "unknown command " + quoted(name);
}

}  // namespace irulesd::tclext
