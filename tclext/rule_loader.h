// Splits an iRule's text into its event handlers. A rule is a sequence of top-level
// `when EVENT ?priority N? { body }` commands (comments allowed; a top-level `priority N` sets the
// default of the rule's handlers, as on BIG-IP). The text is first translated from F5's dialect
// (f5_dialect.h: `}{`, `{` continuation lines, the expression operators), then every body is
// syntax-checked with Tcl's parser.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <tcl.h>

#include "core/config.h"
#include "core/transaction.h"

namespace irulesd::tclext {

constexpr int kDefaultPriority = 500;
constexpr int kMinPriority = 0;
constexpr int kMaxPriority = 1000;

std::optional<Event> parse_event_name(std::string_view name);

struct Handler {
  Event event = Event::ClientAccepted;
  int priority = kDefaultPriority;
  std::string body;   // the Tcl script between the braces, translated from F5's dialect (same lines)
  int line = 0;       // line in rule.loc.file of the body's first byte
  int when_line = 0;  // line of its `when`
  bool pauses = false;   // the body has an `after MS` without a script: it runs in a coroutine
};

// A top-level `proc NAME ARGS BODY`, reached from any rule's handlers through `call`.
struct Proc {
  std::string name;
  std::string args;   // the argument list, as written
  std::string body;   // the body, byte-exact (after the dialect translation)
  int line = 0;       // line in rule.loc.file of the body's first byte
};

struct LoadedRule {
  std::string name;   // canonical rule name
  std::vector<Handler> handlers;   // in the order written
  std::vector<Proc> procs;
};

// Loads rule into *out. Problems are appended to *errors as ConfigError{rule.loc.file, LINE,
// "rule NAME: MESSAGE"}, LINE being the real line in the file; returns false when there was any.
// interp only carries Tcl's parse messages.
// With `config`, names a rule gives literally are checked against it too (`pool NAME`).
bool load_rule(Tcl_Interp* interp, const Rule& rule, LoadedRule* out, std::vector<ConfigError>* errors,
               const Config* config = nullptr);

}  // namespace irulesd::tclext
