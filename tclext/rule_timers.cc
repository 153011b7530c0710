#include "tclext/rule_timers.h"

#include <charconv>
#include <string>

namespace irulesd::tclext {
namespace {

constexpr std::string_view kIdPrefix = "after#";
constexpr const char* kAfterUsage = "ms ?-periodic? script | cancel ?-current? ?id ...? | info ?id?";

Tcl_Obj* id_obj(uint64_t id) {
  const std::string text = std::string(kIdPrefix) + std::to_string(id);
  return Tcl_NewStringObj(text.data(), static_cast<int>(text.size()));
}

}  // namespace

uint64_t parse_timer_id(std::string_view text) {
  if (text.substr(0, kIdPrefix.size()) != kIdPrefix) return 0;
  text.remove_prefix(kIdPrefix.size());
  uint64_t id = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), id);
  return ec == std::errc() && end == text.data() + text.size() ? id : 0;
}

bool parse_after_delay(Tcl_Obj* word, uint32_t* ms) {
  Tcl_WideInt value = 0;
  if (Tcl_GetWideIntFromObj(nullptr, word, &value) != TCL_OK || value < 0 || value > 0xFFFFFFFFLL) return false;
  *ms = static_cast<uint32_t>(value);
  return true;
}

RuleTimers::~RuleTimers() {
  for (PendingTimer& timer : timers_) Tcl_DecrRefCount(timer.script);
}

const PendingTimer* RuleTimers::find(uint64_t id) const {
  for (const PendingTimer& timer : timers_) {
    if (timer.id == id) return &timer;
  }
  return nullptr;
}

bool RuleTimers::cancel(uint64_t id) {
  for (auto it = timers_.begin(); it != timers_.end(); ++it) {
    if (it->id == id) {
      Tcl_DecrRefCount(it->script);
      timers_.erase(it);
      return true;
    }
  }
  return false;
}

int RuleTimers::command(FireContext& ctx, uint64_t running, uint64_t* next_id, std::size_t max_pending,
                        Tcl_Interp* interp, int objc, Tcl_Obj* const objv[]) {
  if (objc < 2) {
    Tcl_WrongNumArgs(interp, 1, objv, kAfterUsage);
    return TCL_ERROR;
  }
  const std::string_view first = arg_view(objv[1]);
  if (first == "info") {
    if (objc > 3) {
      Tcl_WrongNumArgs(interp, 2, objv, "?id?");
      return TCL_ERROR;
    }
    if (objc == 3) {
      const PendingTimer* timer = find(parse_timer_id(arg_view(objv[2])));
      if (timer == nullptr) return command_error(interp, "after info: no such timer \"" + std::string(arg_view(objv[2])) + "\"");
      Tcl_SetObjResult(interp, timer->script);
      return TCL_OK;
    }
    Tcl_Obj* list = Tcl_NewListObj(0, nullptr);
    for (const PendingTimer& timer : timers_) Tcl_ListObjAppendElement(nullptr, list, id_obj(timer.id));
    Tcl_SetObjResult(interp, list);
    return TCL_OK;
  }
  if (first == "cancel") {
    for (int i = 2; i < objc; ++i) {
      const std::string_view word = arg_view(objv[i]);
      const uint64_t id = word == "-current" ? running : parse_timer_id(word);
      // As Tcl's after: cancelling what is not pending is not an error.
      if (id != 0 && cancel(id)) ctx.tx->timers_to_cancel.push_back(id);
    }
    Tcl_ResetResult(interp);
    return TCL_OK;
  }
  uint32_t ms = 0;
  if (!parse_after_delay(objv[1], &ms)) {
    return command_error(interp, "after: bad argument \"" + std::string(first) + "\": must be " + kAfterUsage);
  }
  if (objc == 2) {
    // The engine pauses the rule (after MS) before it gets here; reaching this is a bug, not the rule's.
    return command_error(interp, "after: cannot pause here");
  }
  const bool periodic = arg_view(objv[2]) == "-periodic";
  if (objc != (periodic ? 4 : 3)) {
    Tcl_WrongNumArgs(interp, 1, objv, kAfterUsage);
    return TCL_ERROR;
  }
  if (ctx.event == Event::RuleInit || ctx.event == Event::ClientClosed || ctx.event == Event::ServerClosed) {
    return command_error(interp, std::string("after: timers need an open connection, not ") + event_name(ctx.event));
  }
  if (timers_.size() >= max_pending) {
    return command_error(interp, "after: this connection already has " + std::to_string(timers_.size()) +
                                     " pending timers, the most allowed (--rule-max-timers)");
  }
  PendingTimer timer;
  timer.id = ++*next_id;
  timer.script = objv[objc - 1];
  Tcl_IncrRefCount(timer.script);
  timer.event = ctx.event;
  timer.rule = ctx.rule_name != nullptr ? *ctx.rule_name : std::string();
  timer.periodic = periodic;
  timers_.push_back(timer);
  ctx.tx->timers_to_start.push_back(RuleTimerRequest{timer.id, ms, periodic});
  Tcl_SetObjResult(interp, id_obj(timer.id));
  return TCL_OK;
}

}  // namespace irulesd::tclext
