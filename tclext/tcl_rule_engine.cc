#include "tclext/tcl_rule_engine.h"

#include <algorithm>
#include <mutex>

#include "core/log.h"
#include "tclext/rule_loader.h"
#include "tclext/sandbox.h"
#include "tclext/tcl_internals.h"

namespace irulesd::tclext {
namespace {

constexpr const char* kConnNamespace = "::irulesd::conn";
// `static::NAME` from a handler resolves here: shared by every connection.
constexpr const char* kStaticNamespace = "::irulesd::conn::static";

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

// A connection's variables. Destroyed by the core on the worker thread, normally before the engine;
// if the engine (and its interpreter) went first, the variables are leaked rather than touched.
class TclRuleScope final : public RuleScope {
 public:
  TclRuleScope(Tcl_Interp* interp, Tcl_Namespace* ns, std::weak_ptr<int> engine_alive, const void* owner)
      : owner_(owner), engine_alive_(std::move(engine_alive)), vars_(std::make_unique<ConnVars>(interp, ns)) {}
  ~TclRuleScope() override {
    if (engine_alive_.expired()) (void)vars_.release();
  }
  const void* owner() const { return owner_; }
  ConnVars* vars() { return vars_.get(); }

 private:
  const void* owner_;
  std::weak_ptr<int> engine_alive_;
  std::unique_ptr<ConnVars> vars_;
};

class TclRuleEngineFactory final : public RuleEngineFactory {
 public:
  explicit TclRuleEngineFactory(EngineOptions options) : options_(options) {}

  std::vector<ConfigError> check(const Config& config) override {
    init_tcl_once();
    // The parser only needs an interpreter for its messages: a bare one is enough.
    Tcl_Interp* interp = Tcl_CreateInterp();
    std::vector<ConfigError> errors;
    for (const Rule& rule : config.rules) {
      LoadedRule loaded;
      load_rule(interp, rule, &loaded, &errors);
    }
    Tcl_DeleteInterp(interp);
    return errors;
  }

  std::unique_ptr<RuleEngine> create(std::shared_ptr<const Config> config) override {
    return std::make_unique<TclRuleEngine>(std::move(config), options_);
  }

  // Tcl keeps per-thread data (object caches, notifier state) until the thread says it is done.
  void thread_finished() override { Tcl_FinalizeThread(); }

 private:
  EngineOptions options_;
};

}  // namespace

TclRuleEngine::TclRuleEngine(std::shared_ptr<const Config> config, EngineOptions options)
    : config_(std::move(config)), options_(options), alive_(std::make_shared<int>(0)) {
  init_tcl_once();
  interp_ = Tcl_CreateInterp();
  if (Tcl_Init(interp_) != TCL_OK) {
    log_line(LogLevel::Warning, "Tcl library not initialized: {}", Tcl_GetStringResult(interp_));
    Tcl_ResetResult(interp_);
  }
  apply_sandbox(interp_);
  conn_ns_ = create_conn_namespace(interp_, kConnNamespace, this);
  Tcl_CreateNamespace(interp_, kStaticNamespace, nullptr, nullptr);
  commands_.register_all(interp_, &ctx_);
  ctx_.config = config_.get();
  arm_budget();
  Tcl_LimitTypeSet(interp_, TCL_LIMIT_TIME);
  load_rules();
}

TclRuleEngine::~TclRuleEngine() {
  alive_.reset();
  for (auto& handler : handlers_) Tcl_DecrRefCount(handler->body);
  Tcl_DeleteInterp(interp_);
}

void TclRuleEngine::load_rules() {
  for (const Rule& rule : config_->rules) {
    LoadedRule loaded;
    std::vector<ConfigError> errors;
    if (!load_rule(interp_, rule, &loaded, &errors)) {
      for (const ConfigError& error : errors) log_line(LogLevel::Err, "{} (rule not loaded)", error.str());
      continue;
    }
    auto& list = handlers_by_rule_[rule.name];
    for (Handler& h : loaded.handlers) {
      Tcl_Obj* body = Tcl_NewStringObj(h.body.data(), static_cast<int>(h.body.size()));
      Tcl_IncrRefCount(body);
      handlers_.push_back(std::make_unique<CompiledHandler>(
          CompiledHandler{rule.name, rule.loc.file, h.event, h.priority, h.line, body}));
      list.push_back(handlers_.back().get());
    }
  }
  for (const VirtualServer& vs : config_->virtuals) by_virtual_[&vs] = build_dispatch(vs.rules, vs.name);
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

ConnVars* TclRuleEngine::current_conn_vars() {
  if (current_vars_ != nullptr || ctx_.tx == nullptr) return current_vars_;
  try {
    auto* scope = dynamic_cast<TclRuleScope*>(ctx_.tx->rule_scope.get());
    if (scope == nullptr || scope->owner() != this) {
      auto fresh = std::make_unique<TclRuleScope>(interp_, conn_ns_, alive_, this);
      scope = fresh.get();
      ctx_.tx->rule_scope = std::move(fresh);
    }
    current_vars_ = scope->vars();
  } catch (...) {
    current_vars_ = nullptr;   // out of memory: the variable resolves in the shared namespace
  }
  return current_vars_;
}

RuleOutcome TclRuleEngine::fire(const VirtualServer& vs, Event event, Transaction& tx) {
  const auto& handlers = dispatch_for(vs).by_event[event_index(event)];
  if (handlers.empty()) return RuleOutcome::Continue;
  arm_budget();

  const FireContext outer_ctx = ctx_;
  ConnVars* const outer_vars = current_vars_;
  ctx_.tx = &tx;
  ctx_.event = event;
  current_vars_ = nullptr;

  RuleOutcome outcome = RuleOutcome::Continue;
  Tcl_CallFrame frame;
  Tcl_PushCallFrame(interp_, &frame, conn_ns_, 0);
  for (const CompiledHandler* handler : handlers) {
    ctx_.rule_name = &handler->rule_name;
    // TCL_OK, or TCL_RETURN turned into TCL_OK: `return` ends only this handler.
    if (Tcl_EvalObjEx(interp_, handler->body, 0) == TCL_ERROR) {
      report_error(*handler);
      outcome = RuleOutcome::Reset;
      break;
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

// Runs between Tcl_PushCallFrame and Tcl_PopCallFrame: nothing may escape from it.
void TclRuleEngine::report_error(const CompiledHandler& handler) noexcept {
  Tcl_Obj* options = Tcl_GetReturnOptions(interp_, TCL_ERROR);
  Tcl_IncrRefCount(options);
  Tcl_Obj* info = return_option(options, "-errorinfo");
  const char* text = info != nullptr ? Tcl_GetString(info) : Tcl_GetStringResult(interp_);
  int line = 0;
  if (Tcl_Obj* line_obj = return_option(options, "-errorline")) Tcl_GetIntFromObj(nullptr, line_obj, &line);
  try {
    std::string message(text);
    std::replace(message.begin(), message.end(), '\n', ' ');
    if (Tcl_LimitExceeded(interp_)) {
      message = fmt::format("execution budget of {} ms exceeded, rule stopped (runaway loop?): {}",
                            options_.time_budget_ms, message);
    }
    // -errorline counts from the body's first line.
    const int file_line = handler.line + std::max(line, 1) - 1;
    log_line(LogLevel::Err, "TCL error: {} <{}> - {} (at {}:{})", handler.rule_name, event_name(handler.event),
             message, handler.file, file_line);
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
