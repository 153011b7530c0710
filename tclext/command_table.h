// The shape every iRule command shares: a table entry (name, events it is valid in, procedure) and
// the FireContext it acts on. Each area (HTTP::*, IP::*/TCP::*, pool, log) defines its table in its
// own file; register_commands() installs them all in a loop behind one trampoline that checks the
// event and keeps C++ exceptions out of libtcl.
#pragma once

#include <initializer_list>
#include <span>
#include <string>
#include <vector>

#include <tcl.h>

#include "core/config.h"
#include "core/transaction.h"

namespace irulesd::tclext {

constexpr unsigned event_bit(Event event) { return 1u << static_cast<unsigned>(event); }

constexpr unsigned event_bits(std::initializer_list<Event> events) {
  unsigned bits = 0;
  for (Event event : events) bits |= event_bit(event);
  return bits;
}

// Where a command may run (checked when the rule loads and again when it runs). The groups follow
// F5's "valid events" lists: a request is readable from HTTP_REQUEST until it is sent, a response from
// HTTP_RESPONSE until it is released; connection facts in every event of a connection.
constexpr unsigned kRuleInitEvent = event_bit(Event::RuleInit);
constexpr unsigned kConnectionEvents = ((1u << kEventCount) - 1) & ~kRuleInitEvent;
constexpr unsigned kAnyEvent = (1u << kEventCount) - 1;
constexpr unsigned kRequestEvents =
    event_bits({Event::HttpRequest, Event::HttpRequestData, Event::LbSelected, Event::LbFailed,
                Event::ServerConnected, Event::HttpRequestSend, Event::HttpRequestRelease});
constexpr unsigned kResponseEvents =
    event_bits({Event::HttpResponse, Event::HttpResponseData, Event::HttpResponseRelease});
constexpr unsigned kHttpEvents = kRequestEvents | kResponseEvents;
// Until the server is chosen: pool, node, persist, snat.
constexpr unsigned kBeforeLbEvents = event_bits({Event::ClientAccepted, Event::ClientData, Event::HttpRequest,
                                                 Event::HttpRequestData, Event::LbFailed});
// Facts of the server-side connection.
constexpr unsigned kServerEvents = event_bits({Event::ServerConnected, Event::HttpRequestSend,
                                               Event::HttpRequestRelease, Event::ServerData, Event::HttpResponse,
                                               Event::HttpResponseData, Event::HttpResponseRelease,
                                               Event::ServerClosed});

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
std::span<const CommandSpec> http_respond_commands();
std::span<const CommandSpec> connection_commands();
std::span<const CommandSpec> http_cookie_commands();
std::span<const CommandSpec> http_info_commands();
std::span<const CommandSpec> http_collect_commands();
std::span<const CommandSpec> string_commands();
std::span<const CommandSpec> codec_commands();
std::span<const CommandSpec> uri_commands();
std::span<const CommandSpec> ip_addr_commands();
std::span<const CommandSpec> class_commands();
std::span<const CommandSpec> table_commands();
std::span<const CommandSpec> hsl_commands();
std::span<const CommandSpec> persist_commands();
std::span<const CommandSpec> compat_commands();
std::span<const CommandSpec> ifile_commands();
std::span<const CommandSpec> oneconnect_commands();
// Every table above: what the registry installs and the load-time command check knows.
std::vector<std::span<const CommandSpec>> all_command_tables();

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
