// Which commands a rule may use, decided when the rule loads (as BIG-IP's rule compiler does): the
// iRule commands in the events they are valid in, stock Tcl minus what iRules disable, the commands
// of F5 modules irulesd does not have (named as such), and nothing else.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>

#include "core/transaction.h"

namespace irulesd::tclext {

class CommandPolicy {
 public:
  // Built once per process from the command tables and a sandboxed interpreter's commands.
  static const CommandPolicy& instance();

  // Empty when `name` may be used in `event` (nullopt: a proc body, which may run in any event);
  // otherwise the load error, e.g. `command "HTTP::uri" is not valid in event HTTP_RESPONSE`.
  std::string check(std::string_view name, std::optional<Event> event) const;

 private:
  CommandPolicy();
  std::unordered_map<std::string, unsigned> irule_commands_;   // name -> event_bit()s it is valid in
  std::unordered_set<std::string> tcl_commands_;               // what the sandboxed interpreter has
};

}  // namespace irulesd::tclext
