#include "tclext/tcl_rule_engine.h"

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <mutex>
#include <optional>

#include "core/log.h"
#include "tclext/f5_operators.h"
#include "tclext/rule_loader.h"
#include "tclext/rule_timers.h"
#include "tclext/sandbox.h"
#include "tclext/value_limits.h"
#include "tclext/tcl_internals.h"

namespace irulesd::tclext {
namespace {

constexpr const char* kConnNamespace = "::irulesd::conn";
// `static::NAME` from a handler or a proc resolves here: shared by every connection of the worker.
constexpr const char* kStaticNamespace = "::irulesd::conn::static";
// A rule's procs live beside the handlers, as ::irulesd::conn::RULE@NAME, so that `static::` means
// the same in both (Tcl creates a relative qualified variable only under the current namespace).
constexpr const char* kProcPrefix = "::irulesd::conn::";

void init_tcl_once() {
  static std::once_flag once;
  std::call_once(once, [] { Tcl_FindExecutable(nullptr); });
}

std::size_t event_index(Event event) { return static_cast<std::size_t>(event); }

// The value of a key of a return-options dictionary, or nullptr.
Tcl_Obj* return_option(Tcl_Obj* options, const char* name) {
  Tcl_Obj* key = Tcl_NewStringObj(name, -1);
  Tcl_IncrRefCount(key);
  Tcl_Obj* value = nullptr;
  if (Tcl_DictObjGet(nullptr, options, key, &value) != TCL_OK) value = nullptr;
  Tcl_DecrRefCount(key);
  return value;
}

Tcl_WideInt now_us() {
  Tcl_Time now;
  Tcl_GetTime(&now);
  return static_cast<Tcl_WideInt>(now.sec) * 1000000 + now.usec;
}

// `package require msgcat` scans every package directory the first time (~2 ms); the script it finds
// is the same for every interpreter of the process, so later ones are told it and skip the scan.
std::mutex msgcat_mutex;
std::string msgcat_ifneeded;   // `package ifneeded msgcat VERSION SCRIPT`, once one interpreter found it

void preload_msgcat(Tcl_Interp* interp) {
  std::string known;
  {
    std::lock_guard<std::mutex> lock(msgcat_mutex);
    known = msgcat_ifneeded;
  }
  if (!known.empty() && Tcl_Eval(interp, known.c_str()) != TCL_OK) known.clear();
  if (Tcl_Eval(interp, "package require msgcat 1.6") != TCL_OK) {
    // The remembered script failed (Tcl's files changed under us?): forget it, let clock.tcl search.
    Tcl_Eval(interp, "package forget msgcat");
    std::lock_guard<std::mutex> lock(msgcat_mutex);
    msgcat_ifneeded.clear();
  } else if (known.empty() &&
             Tcl_Eval(interp, "list package ifneeded msgcat [package provide msgcat] "
                              "[package ifneeded msgcat [package provide msgcat]]") == TCL_OK) {
    std::lock_guard<std::mutex> lock(msgcat_mutex);
    msgcat_ifneeded = Tcl_GetStringResult(interp);
  }
  Tcl_ResetResult(interp);
}

// What init.tcl's auto-loading stub of `clock format` does (a proc of ::tcl::clock sourcing
// clock.tcl), without the format itself (the sandbox's `clock format 0` does that, in a later piece).
void load_clock(Tcl_Interp* interp) {
  Tcl_Eval(interp,
           "::apply {{} {variable TclLibDir; source -encoding utf-8 [file join $TclLibDir clock.tcl]} ::tcl::clock}");
  Tcl_ResetResult(interp);
}

// Where a coroutine's commands live: ::irulesd::pauseN, one per run of a pausing handler.
constexpr const char* kCoroutinePrefix = "::irulesd::pause";
constexpr const char* kCannotPause =
    "after MS without a script (pause) cannot pause here: only in the body of a handler (not in a proc, "
    "an after script, or a script another command runs)";

}  // namespace

// A pausing handler runs as `coroutine ::irulesd::pauseN ::irulesd::run_pausable`: its body is
// evaluated through NRE inside the coroutine, in the connection namespace's frame (the same variable
// resolution as every handler), so `after MS` can yield out of Tcl_EvalObjv and the core resumes it.
struct TclRuleEngine::CoroutineRun {
  Tcl_CallFrame frame;   // pushed inside the coroutine; lives as long as the coroutine
  std::string name;      // the coroutine's command
  const CompiledHandler* handler = nullptr;
  Event event = Event::ClientAccepted;
  std::size_t next = 0;  // the event's handler to run once this one is done
  // Where the body failed, taken as the error left it (the coroutine adds its own frames after).
  bool has_error = false;
  std::string error_info;
  int error_line = 0;
};

// A connection's variables (and a paused handler). Destroyed by the core on the worker thread,
// normally before the engine; if the engine (and its interpreter) went first, the variables are
// leaked rather than touched.
class TclRuleScope final : public RuleScope {
 public:
  TclRuleScope(Tcl_Interp* interp, Tcl_Namespace* ns, std::weak_ptr<int> engine_alive, const void* owner)
      : owner_(owner), interp_(interp), engine_alive_(std::move(engine_alive)),
        vars_(std::make_unique<ConnVars>(interp, ns)) {}
  ~TclRuleScope() override {
    if (engine_alive_.expired()) {
      (void)vars_.release();
      timers.abandon();
      return;   // the interpreter deleted the paused coroutine with its commands
    }
    // Closed while paused: deleting the coroutine unwinds it (its frame is popped), nothing runs.
    if (paused) {
      Tcl_InterpState state = Tcl_SaveInterpState(interp_, TCL_OK);
      Tcl_DeleteCommand(interp_, paused->name.c_str());
      Tcl_RestoreInterpState(interp_, state);
    }
  }
  const void* owner() const { return owner_; }
  ConnVars* vars() { return vars_.get(); }

  // `event ... disable` is per rule and per connection (BIG-IP: "for this iRule").
  uint32_t disabled_events(const std::string& rule) const {
    for (const auto& [name, mask] : disabled_) {
      if (name == rule) return mask;
    }
    return 0;
  }
  void set_disabled_events(const std::string& rule, uint32_t mask) {
    for (auto& [name, current] : disabled_) {
      if (name == rule) {
        current = mask;
        return;
      }
    }
    disabled_.emplace_back(rule, mask);
  }
  bool any_disabled() const { return !disabled_.empty(); }

  RuleTimers timers;   // after MS SCRIPT
  std::unique_ptr<TclRuleEngine::CoroutineRun> paused;   // after MS: the handler to resume

 private:
  const void* owner_;
  Tcl_Interp* interp_;
  std::weak_ptr<int> engine_alive_;
  std::unique_ptr<ConnVars> vars_;
  std::vector<std::pair<std::string, uint32_t>> disabled_;
};

namespace {

constexpr const char* kEventUsage = "?name? enable|disable | disable all | enable all | info | name";

class TclRuleEngineFactory final : public RuleEngineFactory {
  class Builder final : public RuleEngineBuilder {
   public:
    explicit Builder(std::unique_ptr<TclRuleEngine> engine) : engine_(std::move(engine)) {}
    bool step(uint32_t budget_us) override { return engine_ == nullptr || engine_->build_step(budget_us); }
    std::unique_ptr<RuleEngine> take() override {
      if (engine_ == nullptr || !engine_->built()) return nullptr;
      return std::move(engine_);
    }

   private:
    std::unique_ptr<TclRuleEngine> engine_;
  };

 public:
  explicit TclRuleEngineFactory(EngineOptions options) : options_(options) {}

  std::vector<ConfigError> check(const Config& config) override {
    init_tcl_once();
    // The parser only needs an interpreter for its messages: a bare one is enough.
    Tcl_Interp* interp = Tcl_CreateInterp();
    std::vector<ConfigError> errors;
    std::map<std::string, uint32_t> events_by_rule;   // rule -> event bits it handles
    for (const Rule& rule : config.rules) {
      LoadedRule loaded;
      load_rule(interp, rule, &loaded, &errors, &config);
      uint32_t& bits = events_by_rule[rule.name];
      for (const Handler& handler : loaded.handlers) bits |= event_bit(handler.event);
    }
    Tcl_DeleteInterp(interp);
    // BIG-IP refuses a rule with HTTP events on a virtual without an http profile (they could never
    // fire there).
    constexpr uint32_t kNeedsHttp =
        event_bits({Event::HttpRequest, Event::HttpRequestData, Event::HttpRequestSend, Event::HttpRequestRelease,
                    Event::HttpResponse, Event::HttpResponseData, Event::HttpResponseRelease, Event::HttpDisabled});
    for (const VirtualServer& vs : config.virtuals) {
      if (vs.has_http_profile) continue;
      for (const std::string& name : vs.rules) {
        const uint32_t needs = events_by_rule[canonical_name(name)] & kNeedsHttp;
        for (std::size_t i = 0; needs != 0 && i < kEventCount; ++i) {
          if (needs & (1u << i)) {
            errors.push_back(ConfigError{vs.loc.file, vs.loc.line,
                                         "virtual " + vs.name + ": rule " + canonical_name(name) + " handles " +
                                             event_name(static_cast<Event>(i)) +
                                             ", which needs an http profile on the virtual"});
            break;
          }
        }
      }
    }
    return errors;
  }

  std::unique_ptr<RuleEngine> create(std::shared_ptr<const Config> config, int worker_index) override {
    EngineOptions options = options_;
    options.worker_index = worker_index;
    return std::make_unique<TclRuleEngine>(std::move(config), options);
  }

  std::unique_ptr<RuleEngineBuilder> build(std::shared_ptr<const Config> config, int worker_index) override {
    EngineOptions options = options_;
    options.worker_index = worker_index;
    return std::make_unique<Builder>(
        std::make_unique<TclRuleEngine>(std::move(config), options, TclRuleEngine::DeferBuild{}));
  }

  // Tcl keeps per-thread data (object caches, notifier state) until the thread says it is done.
  void thread_finished() override { Tcl_FinalizeThread(); }

 private:
  EngineOptions options_;
};

}  // namespace

TclRuleEngine::TclRuleEngine(std::shared_ptr<const Config> config, EngineOptions options)
    : TclRuleEngine(std::move(config), options, DeferBuild{}) {
  while (!build_step(UINT32_MAX)) {
  }
}

TclRuleEngine::TclRuleEngine(std::shared_ptr<const Config> config, EngineOptions options, DeferBuild)
    : config_(std::move(config)), options_(options), alive_(std::make_shared<int>(0)),
      build_(std::make_unique<BuildState>()) {
  init_tcl_once();
}

bool TclRuleEngine::build_step(uint32_t budget_us) {
  if (build_ == nullptr) return true;
  const Tcl_WideInt start = now_us();
  for (int pieces = 0; build_ != nullptr && (pieces == 0 || now_us() - start < static_cast<Tcl_WideInt>(budget_us));
       ++pieces) {
    // The pieces before the rules take about as long as a slice (or more): each gets a slice of its
    // own, when the caller's budget is a slice.
    const bool large = build_->phase < BuildPhase::Rules;
    if (large && pieces > 0 && budget_us != UINT32_MAX) break;
    build_piece();
    if (large && budget_us != UINT32_MAX) break;
  }
  return build_ == nullptr;
}

// One piece of the build (build_step). The longest, on the machines measured: clock.tcl (~1.5 ms), the
// interpreter, msgcat and the commands (~0.5 ms each; msgcat ~2 ms the first time in the process); a
// rule ~2 µs.
void TclRuleEngine::build_piece() {
  BuildState& b = *build_;
  switch (b.phase) {
    case BuildPhase::Interp:
      create_interp();
      b.tcl_library = Tcl_Init(interp_) == TCL_OK;
      if (!b.tcl_library) {
        log_line(LogLevel::Warning, "Tcl library not initialized: {}", Tcl_GetStringResult(interp_));
        Tcl_ResetResult(interp_);
      }
      b.phase = BuildPhase::Msgcat;
      return;
    case BuildPhase::Msgcat:
      // The sandbox loads Tcl's clock (it needs `source`, which rules do not get); clock.tcl starts
      // with `package require msgcat`. Done here as pieces of their own, each best effort: the
      // sandbox's own `clock format` loads whatever is still missing.
      if (b.tcl_library) preload_msgcat(interp_);
      b.phase = BuildPhase::Clock;
      return;
    case BuildPhase::Clock:
      if (b.tcl_library) load_clock(interp_);
      b.phase = BuildPhase::Commands;
      return;
    case BuildPhase::Commands:
      register_commands();
      b.phase = BuildPhase::Rules;
      return;
    case BuildPhase::Rules:
      if (b.next < config_->rules.size()) load_rule_at(b.next++);
      if (b.next >= config_->rules.size()) {
        b.phase = BuildPhase::Dispatch;
        b.next = 0;
      }
      return;
    case BuildPhase::Dispatch:
      if (b.next < config_->virtuals.size()) {
        const VirtualServer& vs = config_->virtuals[b.next++];
        by_virtual_[&vs] = build_dispatch(vs.rules, vs.name);
      }
      if (b.next >= config_->virtuals.size()) b.phase = BuildPhase::RuleInitOrder;
      return;
    case BuildPhase::RuleInitOrder:
      // RULE_INIT runs once per rule when this version loads on this worker (BIG-IP: once per TMM, at
      // load and on every reload), by priority then rule order, whether or not a virtual uses the rule.
      for (const auto& handler : handlers_) {
        if (handler->event == Event::RuleInit) b.rule_init.push_back(handler.get());
      }
      std::stable_sort(b.rule_init.begin(), b.rule_init.end(),
                       [](const CompiledHandler* a, const CompiledHandler* c) { return a->priority < c->priority; });
      b.scratch.worker_index = options_.worker_index;   // TMM::cmp_unit
      b.next = 0;
      b.phase = BuildPhase::RuleInit;
      [[fallthrough]];
    case BuildPhase::RuleInit:
      if (b.next < b.rule_init.size()) run_rule_init(*b.rule_init[b.next++], b.scratch);
      if (b.next >= b.rule_init.size()) {
        // RULE_INIT's locals go; what it set in static:: stays for every connection.
        b.scratch.rule_scope.reset();
        build_.reset();
      }
      return;
  }
}

void TclRuleEngine::create_interp() { interp_ = Tcl_CreateInterp(); }

void TclRuleEngine::register_commands() {
  apply_sandbox(interp_);
  install_value_limits(interp_, options_.max_value_bytes);
  register_f5_operators(interp_);
  conn_ns_ = create_conn_namespace(interp_, kConnNamespace, this);
  Tcl_CreateNamespace(interp_, kStaticNamespace, nullptr, nullptr);
  commands_.register_all(interp_, &ctx_);
  Tcl_CreateObjCommand(interp_, "event", &TclRuleEngine::EventCmd, this, nullptr);
  Tcl_NRCreateCommand(interp_, "after", &TclRuleEngine::AfterCmd, &TclRuleEngine::AfterNR, this, nullptr);
  Tcl_NRCreateCommand(interp_, "::irulesd::run_pausable", &TclRuleEngine::RunPausableCmd,
                      &TclRuleEngine::RunPausableNR, this, nullptr);
  for (auto [word, text] : {std::pair{&coroutine_word_, "::coroutine"}, std::pair{&pausable_word_, "::irulesd::run_pausable"},
                            std::pair{&yield_word_, "::yield"}}) {
    *word = Tcl_NewStringObj(text, -1);
    Tcl_IncrRefCount(*word);
  }
  Tcl_CreateObjCommand(interp_, "call", &TclRuleEngine::CallCmd, this, nullptr);
  ctx_.config = config_.get();
  arm_budget();
  Tcl_LimitTypeSet(interp_, TCL_LIMIT_TIME);
}

// One RULE_INIT handler, in the connection namespace's frame with the build's scratch connection (so
// a plain variable one RULE_INIT sets, the next ones see). A failing RULE_INIT is logged; the rule
// stays loaded, as on BIG-IP.
void TclRuleEngine::run_rule_init(const CompiledHandler& handler, Transaction& scratch) {
  arm_budget();
  ctx_.tx = &scratch;
  ctx_.event = Event::RuleInit;
  ctx_.rule_name = &handler.rule_name;
  current_vars_ = nullptr;
  Tcl_CallFrame frame;
  Tcl_PushCallFrame(interp_, &frame, conn_ns_, 0);
  if (Tcl_EvalObjEx(interp_, handler.body, 0) == TCL_ERROR) {
    report_error(handler.rule_name, handler.event, handler.file, handler.line);
  }
  Tcl_PopCallFrame(interp_);
  Tcl_ResetResult(interp_);
  ctx_ = FireContext{};
  ctx_.config = config_.get();
  current_vars_ = nullptr;
}

// event ?NAME? enable|disable, event disable all, event enable all, event info, event name.
int TclRuleEngine::EventCmd(ClientData data, Tcl_Interp* interp, int objc, Tcl_Obj* const objv[]) {
  auto* self = static_cast<TclRuleEngine*>(data);
  FireContext& ctx = self->ctx_;
  if (ctx.tx == nullptr || ctx.rule_name == nullptr) return command_error(interp, "event: only valid inside an event");
  auto usage = [&] {
    Tcl_WrongNumArgs(interp, 1, objv, kEventUsage);
    return TCL_ERROR;
  };
  if (objc < 2 || objc > 3) return usage();
  const std::string_view first = arg_view(objv[1]);
  if (objc == 2 && first == "name") {
    set_result(interp, event_name(ctx.event));
    return TCL_OK;
  }
  TclRuleScope* scope = self->current_scope();
  const uint32_t disabled = scope ? scope->disabled_events(*ctx.rule_name) : 0;
  const uint32_t all = (1u << kEventCount) - 1;
  if (objc == 2 && first == "info") {
    // The events this rule still handles on this connection.
    uint32_t handled = 0;
    for (const auto* handler : self->handlers_by_rule_[*ctx.rule_name]) handled |= event_bit(handler->event);
    handled &= ~(disabled | event_bit(Event::RuleInit));
    Tcl_Obj* list = Tcl_NewListObj(0, nullptr);
    for (std::size_t i = 0; i < kEventCount; ++i) {
      if (handled & (1u << i)) {
        Tcl_ListObjAppendElement(nullptr, list, Tcl_NewStringObj(event_name(static_cast<Event>(i)), -1));
      }
    }
    Tcl_SetObjResult(interp, list);
    return TCL_OK;
  }
  uint32_t mask = 0;
  bool enable = false;
  if (objc == 2 && (first == "enable" || first == "disable")) {
    mask = event_bit(ctx.event);
    enable = first == "enable";
  } else if (objc == 3 && first == "disable" && arg_view(objv[2]) == "all") {
    mask = all;
  } else if (objc == 3 && first == "enable" && arg_view(objv[2]) == "all") {
    mask = all;
    enable = true;
  } else if (objc == 3 && (arg_view(objv[2]) == "enable" || arg_view(objv[2]) == "disable")) {
    std::optional<Event> event = event_from_name(first);
    if (!event) return command_error(interp, "event: unknown event \"" + std::string(first) + "\"");
    mask = event_bit(*event);
    enable = arg_view(objv[2]) == "enable";
  } else {
    return usage();
  }
  if (scope == nullptr) {
    if (enable) return TCL_OK;   // nothing is disabled yet
    return command_error(interp, "event: out of memory");
  }
  scope->set_disabled_events(*ctx.rule_name, enable ? (disabled & ~mask) : (disabled | mask));
  self->some_event_disabled_ = true;
  Tcl_ResetResult(interp);
  return TCL_OK;
}

TclRuleEngine::~TclRuleEngine() {
  // An unfinished build: RULE_INIT's scratch connection first, while its variables can still be freed.
  build_.reset();
  alive_.reset();
  for (auto& handler : handlers_) Tcl_DecrRefCount(handler->body);
  for (Tcl_Obj* word : {coroutine_word_, pausable_word_, yield_word_}) {
    if (word != nullptr) Tcl_DecrRefCount(word);
  }
  if (interp_ != nullptr) Tcl_DeleteInterp(interp_);
}

void TclRuleEngine::load_rule_at(std::size_t index) {
  const Rule& rule = config_->rules[index];
  LoadedRule loaded;
  std::vector<ConfigError> errors;
  if (!load_rule(interp_, rule, &loaded, &errors, config_.get())) {
    for (const ConfigError& error : errors) log_line(LogLevel::Err, "{} (rule not loaded)", error.str());
    return;
  }
  define_procs(rule, loaded.procs);
  auto& list = handlers_by_rule_[rule.name];
  for (Handler& h : loaded.handlers) {
    Tcl_Obj* body = Tcl_NewStringObj(h.body.data(), static_cast<int>(h.body.size()));
    Tcl_IncrRefCount(body);
    handlers_.push_back(std::make_unique<CompiledHandler>(
        CompiledHandler{rule.name, rule.loc.file, h.event, h.priority, h.line, body, h.pauses}));
    list.push_back(handlers_.back().get());
  }
}

TclRuleEngine::Dispatch TclRuleEngine::build_dispatch(const std::vector<std::string>& rules,
                                                      const std::string& virtual_name) const {
  Dispatch dispatch;
  for (const std::string& name : rules) {
    auto it = handlers_by_rule_.find(canonical_name(name));
    if (it == handlers_by_rule_.end()) {
      log_line(LogLevel::Warning, "virtual {}: rule {} is not loaded", virtual_name, name);
      continue;
    }
    for (const CompiledHandler* h : it->second) dispatch.by_event[event_index(h->event)].push_back(h);
  }
  // Lower priority first; equal priorities keep attachment (then written) order.
  for (auto& list : dispatch.by_event) {
    std::stable_sort(list.begin(), list.end(),
                     [](const CompiledHandler* a, const CompiledHandler* b) { return a->priority < b->priority; });
  }
  return dispatch;
}

const TclRuleEngine::Dispatch& TclRuleEngine::dispatch_for(const VirtualServer& vs) const {
  auto it = by_virtual_.find(&vs);
  if (it != by_virtual_.end()) return it->second;
  std::string key;
  for (const std::string& rule : vs.rules) key.append(canonical_name(rule)).push_back('\n');
  auto [pos, inserted] = by_rule_list_.try_emplace(key);
  if (inserted) pos->second = build_dispatch(vs.rules, vs.name);
  return pos->second;
}

bool TclRuleEngine::handles(const VirtualServer& vs, Event event) const {
  return !dispatch_for(vs).by_event[event_index(event)].empty();
}

Tcl_Obj* TclRuleEngine::handler_body(const std::string& rule, Event event) const {
  auto it = handlers_by_rule_.find(canonical_name(rule));
  if (it == handlers_by_rule_.end()) return nullptr;
  for (const CompiledHandler* h : it->second) {
    if (h->event == event) return h->body;
  }
  return nullptr;
}

// Re-arms Tcl's time limit only when the armed deadline would leave this fire less than its budget:
// setting it creates a Tcl timer record, which is not worth doing on every fire.
void TclRuleEngine::arm_budget() {
  const Tcl_WideInt budget_us = static_cast<Tcl_WideInt>(options_.time_budget_ms) * 1000;
  const Tcl_WideInt now = now_us();
  if (!Tcl_LimitExceeded(interp_) && now + budget_us <= deadline_us_) return;
  deadline_us_ = now + 2 * budget_us;
  Tcl_Time deadline;
  deadline.sec = static_cast<long>(deadline_us_ / 1000000);
  deadline.usec = static_cast<long>(deadline_us_ % 1000000);
  Tcl_LimitSetTime(interp_, &deadline);
}

// The fired connection's scope, made on first use; nullptr outside a fire or when out of memory.
TclRuleScope* TclRuleEngine::current_scope() {
  if (ctx_.tx == nullptr) return nullptr;
  try {
    auto* scope = dynamic_cast<TclRuleScope*>(ctx_.tx->rule_scope.get());
    if (scope == nullptr || scope->owner() != this) {
      auto fresh = std::make_unique<TclRuleScope>(interp_, conn_ns_, alive_, this);
      scope = fresh.get();
      ctx_.tx->rule_scope = std::move(fresh);
    }
    return scope;
  } catch (...) {
    return nullptr;
  }
}

ConnVars* TclRuleEngine::current_conn_vars() {
  if (proc_depth_ > 0) return nullptr;
  if (current_vars_ != nullptr || ctx_.tx == nullptr) return current_vars_;
  TclRuleScope* scope = current_scope();
  // Out of memory: the variable resolves in the shared namespace.
  current_vars_ = scope ? scope->vars() : nullptr;
  return current_vars_;
}

RuleOutcome TclRuleEngine::fire(const VirtualServer& vs, Event event, Transaction& tx) {
  const auto& handlers = dispatch_for(vs).by_event[event_index(event)];
  if (handlers.empty()) return RuleOutcome::Continue;
  return run_event(handlers, 0, event, tx, nullptr);
}

RuleOutcome TclRuleEngine::resume(const VirtualServer& vs, Transaction& tx) {
  auto* scope = dynamic_cast<TclRuleScope*>(tx.rule_scope.get());
  if (scope == nullptr || scope->owner() != this || !scope->paused) {
    log_line(LogLevel::Err, "virtual {}: nothing to resume (no rule is paused on this connection)", vs.name);
    return RuleOutcome::Reset;
  }
  std::unique_ptr<CoroutineRun> run = std::move(scope->paused);
  const Event event = run->event;
  const std::size_t next = run->next;
  return run_event(dispatch_for(vs).by_event[event_index(event)], next, event, tx, std::move(run));
}

RuleOutcome TclRuleEngine::run_event(const std::vector<const CompiledHandler*>& handlers, std::size_t first,
                                     Event event, Transaction& tx, std::unique_ptr<CoroutineRun> resumed) {
  arm_budget();
  const FireContext outer_ctx = ctx_;
  ConnVars* const outer_vars = current_vars_;
  ctx_.tx = &tx;
  ctx_.event = event;
  current_vars_ = nullptr;

  RuleOutcome outcome = RuleOutcome::Continue;
  Tcl_CallFrame frame;
  Tcl_PushCallFrame(interp_, &frame, conn_ns_, 0);
  if (resumed) {
    ctx_.rule_name = &resumed->handler->rule_name;
    outcome = run_coroutine(std::move(resumed), false);
  }
  for (std::size_t i = first; outcome == RuleOutcome::Continue && i < handlers.size(); ++i) {
    const CompiledHandler* handler = handlers[i];
    // Skipped when its rule said `event disable` on this connection (checked each time: an earlier
    // handler of this fire may have said it).
    if (auto* scope = some_event_disabled_ ? dynamic_cast<const TclRuleScope*>(tx.rule_scope.get()) : nullptr;
        scope != nullptr && scope->any_disabled() &&
        (scope->disabled_events(handler->rule_name) & event_bit(event)) != 0) {
      continue;
    }
    ctx_.rule_name = &handler->rule_name;
    if (handler->pauses) {
      std::unique_ptr<CoroutineRun> run = spare_run_ ? std::move(spare_run_) : std::make_unique<CoroutineRun>();
      run->handler = handler;
      run->event = event;
      run->next = i + 1;
      outcome = run_coroutine(std::move(run), true);
    } else if (Tcl_EvalObjEx(interp_, handler->body, 0) == TCL_ERROR) {
      // TCL_OK, or TCL_RETURN turned into TCL_OK: `return` ends only this handler.
      report_error(handler->rule_name, handler->event, handler->file, handler->line);
      outcome = RuleOutcome::Reset;
    }
  }
  Tcl_PopCallFrame(interp_);
  Tcl_ResetResult(interp_);

  ctx_ = outer_ctx;
  current_vars_ = outer_vars;
  // The connection is reset: nothing of it stays in the interpreter.
  if (outcome == RuleOutcome::Reset) tx.rule_scope.reset();
  return outcome;
}

RuleOutcome TclRuleEngine::run_coroutine(std::unique_ptr<CoroutineRun> run, bool start) {
  pause_requested_ = false;
  run->has_error = false;
  if (start) run->name = kCoroutinePrefix + std::to_string(++coroutine_serial_);
  Tcl_Obj* name = Tcl_NewStringObj(run->name.data(), static_cast<int>(run->name.size()));
  Tcl_IncrRefCount(name);
  Tcl_Obj* start_words[3] = {coroutine_word_, name, pausable_word_};
  CoroutineRun* const outer_run = running_run_;
  running_run_ = run.get();
  starting_run_ = start ? run.get() : nullptr;
  // Returns when the body is done (the coroutine is gone) or when it yielded (it stays).
  int code = start ? Tcl_EvalObjv(interp_, 3, start_words, 0) : Tcl_EvalObjv(interp_, 1, &name, 0);
  starting_run_ = nullptr;
  running_run_ = outer_run;
  Tcl_DecrRefCount(name);
  const CompiledHandler& handler = *run->handler;
  if (pause_requested_ && code == TCL_OK) {
    pause_requested_ = false;
    if (TclRuleScope* scope = current_scope()) {
      scope->paused = std::move(run);
      return RuleOutcome::Paused;
    }
    code = TCL_ERROR;   // out of memory: nowhere to keep it
    Tcl_SetObjResult(interp_, Tcl_NewStringObj("after: out of memory", -1));
  }
  pause_requested_ = false;
  if (Tcl_FindCommand(interp_, run->name.c_str(), nullptr, TCL_GLOBAL_ONLY) != nullptr) {
    // Still suspended, not by `after MS` (the rule called yield): end it, unwound.
    Tcl_DeleteCommand(interp_, run->name.c_str());
    Tcl_SetObjResult(interp_, Tcl_NewStringObj("yield: a rule may only pause with after MS", -1));
    code = TCL_ERROR;
    run->has_error = false;
  }
  RuleOutcome outcome = RuleOutcome::Continue;
  if (code == TCL_ERROR) {
    report_error(handler.rule_name, handler.event, handler.file, handler.line, run.get());
    outcome = RuleOutcome::Reset;
  }
  spare_run_ = std::move(run);
  return outcome;
}

// `::coroutine NAME ::irulesd::run_pausable` runs this inside the new coroutine.
int TclRuleEngine::RunPausableNR(ClientData data, Tcl_Interp* interp, int, Tcl_Obj* const[]) {
  auto* self = static_cast<TclRuleEngine*>(data);
  CoroutineRun* run = self->starting_run_;
  if (run == nullptr) return command_error(interp, "run_pausable: only the rule engine runs this");
  self->starting_run_ = nullptr;
  Tcl_PushCallFrame(interp, &run->frame, self->conn_ns_, 0);
  Tcl_NRAddCallback(interp, &TclRuleEngine::PausableDone, self, run, nullptr, nullptr);
  return Tcl_NREvalObj(interp, run->handler->body, 0);
}

int TclRuleEngine::RunPausableCmd(ClientData data, Tcl_Interp* interp, int objc, Tcl_Obj* const objv[]) {
  return Tcl_NRCallObjProc(interp, &TclRuleEngine::RunPausableNR, data, objc, objv);
}

// The body is done (or unwound, when the coroutine is deleted): what Tcl_EvalObjEx does at the top
// level — `return` ends the handler, break/continue outside a loop are errors — and the frame goes.
int TclRuleEngine::PausableDone(ClientData data[], Tcl_Interp* interp, int code) {
  auto* run = static_cast<CoroutineRun*>(data[1]);
  if (code == TCL_RETURN) {
    Tcl_Obj* options = Tcl_GetReturnOptions(interp, code);
    Tcl_IncrRefCount(options);
    int level = 1;
    if (Tcl_Obj* level_obj = return_option(options, "-level")) Tcl_GetIntFromObj(nullptr, level_obj, &level);
    Tcl_Obj* key = Tcl_NewStringObj("-level", -1);
    Tcl_IncrRefCount(key);
    Tcl_DictObjPut(nullptr, options, key, Tcl_NewIntObj(level > 0 ? level - 1 : 0));
    Tcl_DecrRefCount(key);
    code = Tcl_SetReturnOptions(interp, options);
    Tcl_DecrRefCount(options);
  }
  if (code == TCL_BREAK || code == TCL_CONTINUE) {
    Tcl_SetObjResult(interp, Tcl_ObjPrintf("invoked \"%s\" outside of a loop", code == TCL_BREAK ? "break" : "continue"));
    code = TCL_ERROR;
  }
  if (code == TCL_ERROR) {
    Tcl_Obj* options = Tcl_GetReturnOptions(interp, code);
    Tcl_IncrRefCount(options);
    Tcl_Obj* info = return_option(options, "-errorinfo");
    run->error_info = info != nullptr ? Tcl_GetString(info) : Tcl_GetStringResult(interp);
    run->error_line = 0;
    if (Tcl_Obj* line = return_option(options, "-errorline")) Tcl_GetIntFromObj(nullptr, line, &run->error_line);
    run->has_error = true;
    Tcl_DecrRefCount(options);
  }
  Tcl_PopCallFrame(interp);
  return code;
}

// Each proc becomes a Tcl proc in its rule's namespace: compiled on its first call, then reused.
void TclRuleEngine::define_procs(const Rule& rule, const std::vector<Proc>& procs) {
  for (const Proc& proc : procs) {
    const std::string name = kProcPrefix + rule.name + "@" + proc.name;
    Tcl_Obj* words[4] = {Tcl_NewStringObj("proc", -1), Tcl_NewStringObj(name.data(), static_cast<int>(name.size())),
                         Tcl_NewStringObj(proc.args.data(), static_cast<int>(proc.args.size())),
                         Tcl_NewStringObj(proc.body.data(), static_cast<int>(proc.body.size()))};
    for (Tcl_Obj* word : words) Tcl_IncrRefCount(word);
    if (Tcl_EvalObjv(interp_, 4, words, TCL_EVAL_GLOBAL) != TCL_OK) {
      log_line(LogLevel::Err, "{}:{}: rule {}: proc {}: {}", rule.loc.file, proc.line, rule.name, proc.name,
               Tcl_GetStringResult(interp_));
    }
    for (Tcl_Obj* word : words) Tcl_DecrRefCount(word);
  }
  Tcl_ResetResult(interp_);
}

// call NAME ?arg ...?: the proc NAME of the calling rule, or RULE::NAME of another rule (RULE with
// or without its partition).
int TclRuleEngine::CallCmd(ClientData data, Tcl_Interp* interp, int objc, Tcl_Obj* const objv[]) {
  auto* self = static_cast<TclRuleEngine*>(data);
  if (objc < 2) {
    Tcl_WrongNumArgs(interp, 1, objv, "name ?arg ...?");
    return TCL_ERROR;
  }
  const std::string_view written = arg_view(objv[1]);
  std::string rule;
  std::string_view name = written;
  if (const std::size_t sep = written.rfind("::"); sep != std::string_view::npos) {
    rule = canonical_name(std::string(written.substr(0, sep)));
    name = written.substr(sep + 2);
  } else if (self->ctx_.rule_name != nullptr) {
    rule = *self->ctx_.rule_name;
  }
  const std::string qualified = kProcPrefix + rule + "@" + std::string(name);
  Tcl_Command command = Tcl_FindCommand(interp, qualified.c_str(), nullptr, TCL_GLOBAL_ONLY);
  if (command == nullptr) {
    return command_error(interp, "call: no proc \"" + std::string(name) + "\" in rule " + rule);
  }
  std::vector<Tcl_Obj*> words(objv + 1, objv + objc);
  Tcl_Obj* target = Tcl_NewStringObj(qualified.data(), static_cast<int>(qualified.size()));
  Tcl_IncrRefCount(target);
  words[0] = target;
  // Inside a proc, plain names are the proc's own locals, not the connection's variables.
  ++self->proc_depth_;
  const int code = Tcl_EvalObjv(interp, static_cast<int>(words.size()), words.data(), 0);
  --self->proc_depth_;
  Tcl_DecrRefCount(target);
  return code;
}

int TclRuleEngine::AfterCmd(ClientData data, Tcl_Interp* interp, int objc, Tcl_Obj* const objv[]) {
  return Tcl_NRCallObjProc(interp, &TclRuleEngine::AfterNR, data, objc, objv);
}

// after MS (pause) | after MS ?-periodic? SCRIPT | after cancel ... | after info ?id?
int TclRuleEngine::AfterNR(ClientData data, Tcl_Interp* interp, int objc, Tcl_Obj* const objv[]) {
  auto* self = static_cast<TclRuleEngine*>(data);
  if (self->ctx_.tx == nullptr) return command_error(interp, "after: only valid inside an event");
  uint32_t ms = 0;
  if (objc == 2 && parse_after_delay(objv[1], &ms)) return self->pause(interp, ms);
  TclRuleScope* scope = self->current_scope();
  if (scope == nullptr) return command_error(interp, "after: out of memory");
  return scope->timers.command(self->ctx_, self->running_timer_, &self->next_timer_id_,
                               static_cast<std::size_t>(self->options_.max_timers_per_connection), interp, objc, objv);
}

// `after MS`: the coroutine yields; fire()/resume() see pause_requested_ and return Paused.
int TclRuleEngine::pause(Tcl_Interp* interp, uint32_t ms) {
  if ((kPauseEvents & event_bit(ctx_.event)) == 0) return command_error(interp, kPauseEventsMessage);
  if (running_run_ == nullptr || proc_depth_ > 0 || running_timer_ != 0) return command_error(interp, kCannotPause);
  ctx_.tx->pause_ms = ms;
  pause_requested_ = true;
  Tcl_NRAddCallback(interp, &TclRuleEngine::AfterPauseDone, this, nullptr, nullptr, nullptr);
  return Tcl_NREvalObjv(interp, 1, &yield_word_, 0);
}

// After the yield: resumed (the pause is over), or the yield failed — a command between the handler
// and `after` that runs its script on the C stack (Tcl: "cannot yield: C stack busy").
int TclRuleEngine::AfterPauseDone(ClientData data[], Tcl_Interp* interp, int code) {
  auto* self = static_cast<TclRuleEngine*>(data[0]);
  if (code == TCL_ERROR && self->pause_requested_) {
    self->pause_requested_ = false;
    if (self->ctx_.tx != nullptr) self->ctx_.tx->pause_ms = 0;
    Tcl_SetObjResult(interp, Tcl_NewStringObj(kCannotPause, -1));
  } else if (code == TCL_OK) {
    Tcl_ResetResult(interp);
  }
  return code;
}

RuleOutcome TclRuleEngine::run_timer(const VirtualServer&, uint64_t id, Transaction& tx) {
  auto* scope = dynamic_cast<TclRuleScope*>(tx.rule_scope.get());
  if (scope == nullptr || scope->owner() != this) return RuleOutcome::Continue;
  const PendingTimer* pending = scope->timers.find(id);
  if (pending == nullptr) return RuleOutcome::Continue;   // cancelled meanwhile
  // Copies: the script may cancel its own timer (after cancel -current).
  Tcl_Obj* script = pending->script;
  Tcl_IncrRefCount(script);
  const std::string rule = pending->rule;
  const Event event = pending->event;
  if (!pending->periodic) scope->timers.cancel(id);
  arm_budget();

  const FireContext outer_ctx = ctx_;
  ConnVars* const outer_vars = current_vars_;
  const uint64_t outer_timer = running_timer_;
  ctx_.tx = &tx;
  ctx_.event = event;
  ctx_.rule_name = &rule;
  current_vars_ = nullptr;
  running_timer_ = id;
  RuleOutcome outcome = RuleOutcome::Continue;
  Tcl_CallFrame frame;
  Tcl_PushCallFrame(interp_, &frame, conn_ns_, 0);
  if (Tcl_EvalObjEx(interp_, script, 0) == TCL_ERROR) {
    auto it = handlers_by_rule_.find(rule);
    const CompiledHandler* any = it != handlers_by_rule_.end() && !it->second.empty() ? it->second.front() : nullptr;
    report_error(rule, event, any ? any->file : config_->file, 0);
    outcome = RuleOutcome::Reset;
  }
  Tcl_PopCallFrame(interp_);
  Tcl_ResetResult(interp_);
  Tcl_DecrRefCount(script);
  ctx_ = outer_ctx;
  current_vars_ = outer_vars;
  running_timer_ = outer_timer;
  if (outcome == RuleOutcome::Reset) tx.rule_scope.reset();
  return outcome;
}

// Runs between Tcl_PushCallFrame and Tcl_PopCallFrame: nothing may escape from it.
void TclRuleEngine::report_error(const std::string& rule, Event event, const std::string& file, int body_line,
                                 const CoroutineRun* run) noexcept {
  ++stats_.runtime_errors;
  if (Tcl_LimitExceeded(interp_)) ++stats_.runaway_stops;
  Tcl_Obj* options = Tcl_GetReturnOptions(interp_, TCL_ERROR);
  Tcl_IncrRefCount(options);
  Tcl_Obj* info = return_option(options, "-errorinfo");
  const char* text = info != nullptr ? Tcl_GetString(info) : Tcl_GetStringResult(interp_);
  int line = 0;
  if (Tcl_Obj* line_obj = return_option(options, "-errorline")) Tcl_GetIntFromObj(nullptr, line_obj, &line);
  if (run != nullptr && run->has_error) {
    text = run->error_info.c_str();
    line = run->error_line;
  }
  try {
    std::string message(text);
    std::replace(message.begin(), message.end(), '\n', ' ');
    // Procs show as RULE::NAME, as the rule calls them, not by their name inside the interpreter.
    for (std::size_t at = message.find(kProcPrefix); at != std::string::npos; at = message.find(kProcPrefix, at)) {
      const std::size_t name = at + std::strlen(kProcPrefix);
      const std::size_t sep = message.find('@', name);
      if (sep == std::string::npos) break;
      message.replace(sep, 1, "::");
      message.erase(at, name - at);
    }
    if (Tcl_LimitExceeded(interp_)) {
      message = fmt::format("execution budget of {} ms exceeded, rule stopped (runaway loop?): {}",
                            options_.time_budget_ms, message);
    }
    if (body_line == 0) {
      // A timer's script: where it was written is not known any more.
      log_line(LogLevel::Err, "TCL error: {} <{}> - {} (at {}, in an after script)", rule, event_name(event), message,
               file);
    } else {
      // -errorline counts from the body's first line.
      const int file_line = body_line + std::max(line, 1) - 1;
      log_line(LogLevel::Err, "TCL error: {} <{}> - {} (at {}:{})", rule, event_name(event), message, file, file_line);
    }
  } catch (...) {
    // Out of memory while formatting: the connection is still reset.
  }
  Tcl_DecrRefCount(options);
}

std::unique_ptr<RuleEngineFactory> make_tcl_rule_engine_factory(EngineOptions options) {
  return std::make_unique<TclRuleEngineFactory>(options);
}

}  // namespace irulesd::tclext

namespace irulesd {

std::unique_ptr<RuleEngineFactory> make_tcl_rule_engine_factory(RuleEngineOptions options) {
  return tclext::make_tcl_rule_engine_factory(options);
}

}  // namespace irulesd
