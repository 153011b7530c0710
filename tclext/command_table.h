// The shape every iRule command shares: a table entry (name, events it is valid in, procedure) and
// the FireContext it acts on. Each area (HTTP::*, IP::*/TCP::*, pool, log) defines its table in its
// own file; register_commands() installs them all in a loop behind one trampoline that checks the
// event and keeps C++ exceptions out of libtcl.
#pragma once

#include <span>
#include <string>
#include <vector>

#include <tcl.h>

#include "core/config.h"
#include "core/transaction.h"

namespace irulesd::tclext {

constexpr unsigned event_bit(Event event) { return 1u << static_cast<unsigned>(event); }

constexpr unsigned kClientEvents = event_bit(Event::ClientAccepted) | event_bit(Event::ClientClosed);
constexpr unsigned kHttpEvents = event_bit(Event::HttpRequest) | event_bit(Event::HttpResponse);
constexpr unsigned kAllEvents = kClientEvents | kHttpEvents;

// What the commands act on. The engine fills it for the duration of one fire() and clears it
// afterwards, so a command never sees a Transaction that is not being fired.
struct FireContext {
  Transaction* tx = nullptr;
  Event event = Event::ClientAccepted;
  const std::string* rule_name = nullptr;  // canonical name of the rule whose handler runs now
  const Config* config = nullptr;
};

// Called only with ctx.tx set and ctx.event in the command's events.
using CommandProc = int (*)(FireContext& ctx, Tcl_Interp* interp, int objc, Tcl_Obj* const objv[]);

struct CommandSpec {
  const char* name;   // fully qualified iRule name, e.g. "HTTP::header"
  unsigned events;    // event_bit()s the command is valid in
  CommandProc proc;
};

std::span<const CommandSpec> http_commands();
std::span<const CommandSpec> ip_tcp_commands();
std::span<const CommandSpec> lb_commands();
std::span<const CommandSpec> log_commands();

// Owns the per-command client data; must outlive the interpreter's commands (delete the interpreter
// first).
class CommandRegistry {
 public:
  // Creates every command of every table in interp, acting on *ctx.
  void register_all(Tcl_Interp* interp, FireContext* ctx);

  struct Binding {
    const CommandSpec* spec;
    FireContext* ctx;
  };

 private:
  std::vector<Binding> bindings_;
};

// Helpers shared by the command files.
std::string_view arg_view(Tcl_Obj* obj);
void set_result(Tcl_Interp* interp, std::string_view value);
int command_error(Tcl_Interp* interp, const std::string& message);

}  // namespace irulesd::tclext
