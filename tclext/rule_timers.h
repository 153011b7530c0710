// `after MS ?-periodic? SCRIPT`: scripts a connection's rules scheduled. The engine keeps them per
// connection (in its RuleScope); the core runs the uv timers and calls RuleEngine::run_timer.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <tcl.h>

#include "core/transaction.h"
#include "tclext/command_table.h"

namespace irulesd::tclext {

// `after MS` without a script pauses the rule (BIG-IP: the rule waits MS, other connections go on).
// The core can hold a connection only in these events.
constexpr unsigned kPauseEvents = event_bits({Event::ClientAccepted, Event::HttpRequest, Event::HttpResponse});
constexpr const char* kPauseEventsMessage =
    "after MS without a script (pause) is supported in CLIENT_ACCEPTED, HTTP_REQUEST and HTTP_RESPONSE only";

// The delay of `after MS ...`: 0..2^32-1 ms; false when the word is not one.
bool parse_after_delay(Tcl_Obj* word, uint32_t* ms);

struct PendingTimer {
  uint64_t id = 0;
  Tcl_Obj* script = nullptr;   // one reference held
  Event event = Event::ClientAccepted;   // the script runs in the context of the event that scheduled it
  std::string rule;            // canonical name of the rule that scheduled it
  bool periodic = false;
};

class RuleTimers {
 public:
  RuleTimers() = default;
  ~RuleTimers();
  RuleTimers(const RuleTimers&) = delete;
  RuleTimers& operator=(const RuleTimers&) = delete;

  const PendingTimer* find(uint64_t id) const;
  bool cancel(uint64_t id);
  // The engine is gone: drop the scripts without touching Tcl.
  void abandon() { timers_.clear(); }

  // The `after` command. `running` is the id of the timer whose script runs now (0 if none), for
  // `after cancel -current`; `next_id` numbers timers per engine.
  // At most `max_pending` timers per connection: one more is a runtime error.
  int command(FireContext& ctx, uint64_t running, uint64_t* next_id, std::size_t max_pending, Tcl_Interp* interp,
              int objc, Tcl_Obj* const objv[]);

 private:
  std::vector<PendingTimer> timers_;
};

// "after#12" -> 12; 0 when the text is not a timer id.
uint64_t parse_timer_id(std::string_view text);

}  // namespace irulesd::tclext
