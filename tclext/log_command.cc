// `log ?-noname? ?REMOTE? ?FACILITY.LEVEL? MESSAGE` — an ltm-style line through core/log.h:
// "Rule /Common/NAME <EVENT>: MESSAGE" (just MESSAGE with -noname).
#include <optional>
#include <string>

#include "core/log.h"
#include "tclext/command_table.h"
#include "tclext/value_bytes.h"

namespace irulesd::tclext {
namespace {

// syslog caps an iRule log message at 1024 bytes on BIG-IP.
constexpr std::size_t kMaxMessage = 1024;

// "local0." -> info, "local0.warn" -> warning, ...; nullopt when not FACILITY.LEVEL.
std::optional<LogLevel> parse_facility_level(std::string_view spec) {
  const std::size_t dot = spec.find('.');
  if (dot == std::string_view::npos || dot == 0) return std::nullopt;
  const std::string_view level = spec.substr(dot + 1);
  struct Name {
    std::string_view name;
    LogLevel level;
  };
  static constexpr Name kLevels[] = {
      {"", LogLevel::Info},           {"info", LogLevel::Info},       {"notice", LogLevel::Notice},
      {"warn", LogLevel::Warning},    {"warning", LogLevel::Warning}, {"err", LogLevel::Err},
      {"error", LogLevel::Err},       {"debug", LogLevel::Debug},     {"crit", LogLevel::Crit},
      {"critical", LogLevel::Crit},   {"alert", LogLevel::Alert},     {"emerg", LogLevel::Emerg},
      {"emergency", LogLevel::Emerg},
  };
  for (const Name& n : kLevels) {
    if (n.name == level) return n.level;
  }
  return std::nullopt;
}

// One log line per message: line breaks inside it become spaces. Into `out` (reused by the caller:
// a rule that logs on every request allocates nothing here).
void one_line(std::string_view message, std::string& out) {
  out.assign(message.substr(0, kMaxMessage));
  for (char& c : out) {
    if (c == '\n' || c == '\r') c = ' ';
  }
}

int LogCmd(FireContext& ctx, Tcl_Interp* interp, int objc, Tcl_Obj* const objv[]) {
  int i = 1;
  bool noname = false;
  if (i < objc - 1 && arg_view(objv[i]) == "-noname") {
    noname = true;
    ++i;
  }
  const int rest = objc - i;   // [remote] [facility.level] message
  if (rest < 1 || rest > 3) {
    Tcl_WrongNumArgs(interp, 1, objv, "?-noname? ?remote_ip[:port]? ?facility.level? message");
    return TCL_ERROR;
  }
  LogLevel level = LogLevel::Info;
  if (rest >= 2) {
    // A remote syslog destination (rest == 3) is logged locally: irulesd has one log.
    const std::string_view spec = arg_view(objv[objc - 2]);
    std::optional<LogLevel> parsed = parse_facility_level(spec);
    if (!parsed) return command_error(interp, "log: bad facility.level \"" + std::string(spec) + "\"");
    level = *parsed;
  }
  // The message's bytes as BIG-IP logs them: a byte array (`log local0. [b64decode ...]`) as its raw
  // bytes, not as the UTF-8 of its characters.
  thread_local std::string scratch;
  thread_local std::string message;
  one_line(value_bytes(objv[objc - 1], scratch), message);
  if (noname) {
    log_write(level, message);
  } else {
    log_line(level, "Rule {} <{}>: {}", *ctx.rule_name, event_name(ctx.event), message);
  }
  Tcl_ResetResult(interp);
  return TCL_OK;
}

constexpr CommandSpec kLogCommands[] = {
    {"log", kAnyEvent, LogCmd},
};

}  // namespace

std::span<const CommandSpec> log_commands() { return kLogCommands; }

}  // namespace irulesd::tclext
