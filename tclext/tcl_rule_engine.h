// The Tcl implementation of RuleEngine: one interpreter per worker thread, every handler body kept as
// a Tcl_Obj that is byte-compiled on its first run and reused, per-connection variables through
// ConnVars, and an execution budget per fire.
#pragma once

#include <array>
#include <map>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include <tcl.h>

#include "core/rule_engine.h"
#include "tclext/command_table.h"
#include "tclext/conn_vars.h"
#include "tclext/rule_loader.h"

namespace irulesd::tclext {

using EngineOptions = RuleEngineOptions;   // core/rule_engine.h: set from the command line

class TclRuleScope;

class TclRuleEngine final : public RuleEngine, private ConnVarsSource {
 public:
  // Builds the interpreter on the calling thread and loads every rule of the config. Rules that fail
  // to load (check() reports them first) are logged and left out.
  explicit TclRuleEngine(std::shared_ptr<const Config> config, EngineOptions options = {});
  // The same engine, built later in pieces by build_step() (on the thread that will own it): nothing
  // else may be called before build_step() returned true, except the destructor (which abandons the
  // build and frees what it made).
  struct DeferBuild {};
  TclRuleEngine(std::shared_ptr<const Config> config, EngineOptions options, DeferBuild);
  // The next pieces of the build: at least one, then more while less than budget_us microseconds have
  // passed. The pieces, in order: the interpreter (Tcl_Init), msgcat, clock.tcl, the sandbox and the
  // commands, then one rule per piece, one virtual's dispatch per piece, and one RULE_INIT handler per
  // piece (by priority then rule order, as a one-go build runs them). True once the engine can serve.
  bool build_step(uint32_t budget_us);
  bool built() const { return build_ == nullptr; }
  ~TclRuleEngine() override;
  TclRuleEngine(const TclRuleEngine&) = delete;
  TclRuleEngine& operator=(const TclRuleEngine&) = delete;

  bool handles(const VirtualServer& vs, Event event) const override;
  RuleOutcome fire(const VirtualServer& vs, Event event, Transaction& tx) override;
  RuleOutcome run_timer(const VirtualServer& vs, uint64_t id, Transaction& tx) override;
  // After Paused: the paused handler's coroutine goes on, then the event's remaining handlers.
  RuleOutcome resume(const VirtualServer& vs, Transaction& tx) override;
  RuleStats stats() const override { return stats_; }

  // Test hooks: the interpreter, and the body object of a rule's first handler of an event (nullptr
  // if none) — after a fire it holds the bytecode that later fires reuse.
  Tcl_Interp* interp() const { return interp_; }
  Tcl_Obj* handler_body(const std::string& rule, Event event) const;

 private:
  struct CompiledHandler {
    std::string rule_name;
    std::string file;
    Event event;
    int priority;
    int line;        // file line of the body's first byte
    Tcl_Obj* body;   // one reference held; bytecode after the first run
    bool pauses;     // has `after MS` (found at load): runs in a coroutine that can yield there
  };
  // One run of a pausing handler, in its own Tcl coroutine (tcl_rule_engine.cc).
  struct CoroutineRun;
  friend class TclRuleScope;

  struct Dispatch {
    std::array<std::vector<const CompiledHandler*>, kEventCount> by_event;
  };

  // Where a build stands: its next piece, and what RULE_INIT keeps between pieces.
  enum class BuildPhase { Interp, Msgcat, Clock, Commands, Rules, Dispatch, RuleInitOrder, RuleInit };
  struct BuildState {
    BuildPhase phase = BuildPhase::Interp;
    std::size_t next = 0;   // the next rule, virtual or RULE_INIT handler
    bool tcl_library = true;   // Tcl_Init found Tcl's library (clock.tcl)
    std::vector<const CompiledHandler*> rule_init;   // by priority, then rule order
    Transaction scratch;   // RULE_INIT's connection: its locals are shared by every RULE_INIT, then dropped
  };

  ConnVars* current_conn_vars() override;
  TclRuleScope* current_scope();
  void build_piece();
  void create_interp();
  void register_commands();
  void load_rule_at(std::size_t index);
  void run_rule_init(const CompiledHandler& handler, Transaction& scratch);
  static int EventCmd(ClientData data, Tcl_Interp* interp, int objc, Tcl_Obj* const objv[]);
  static int AfterCmd(ClientData data, Tcl_Interp* interp, int objc, Tcl_Obj* const objv[]);
  static int CallCmd(ClientData data, Tcl_Interp* interp, int objc, Tcl_Obj* const objv[]);
  void define_procs(const Rule& rule, const std::vector<Proc>& procs);
  Dispatch build_dispatch(const std::vector<std::string>& rules, const std::string& virtual_name) const;
  const Dispatch& dispatch_for(const VirtualServer& vs) const;
  void arm_budget();
  // Runs handlers[first..] of the event (after `resumed`, a paused handler going on).
  RuleOutcome run_event(const std::vector<const CompiledHandler*>& handlers, std::size_t first, Event event,
                        Transaction& tx, std::unique_ptr<CoroutineRun> resumed);
  // Starts (or continues) a pausing handler's coroutine: Continue, Reset (logged) or Paused.
  RuleOutcome run_coroutine(std::unique_ptr<CoroutineRun> run, bool start);
  int pause(Tcl_Interp* interp, uint32_t ms);
  static int AfterNR(ClientData data, Tcl_Interp* interp, int objc, Tcl_Obj* const objv[]);
  static int AfterPauseDone(ClientData data[], Tcl_Interp* interp, int code);
  static int RunPausableCmd(ClientData data, Tcl_Interp* interp, int objc, Tcl_Obj* const objv[]);
  static int RunPausableNR(ClientData data, Tcl_Interp* interp, int objc, Tcl_Obj* const objv[]);
  static int PausableDone(ClientData data[], Tcl_Interp* interp, int code);
  // Logs the interpreter's error as BIG-IP does; body_line is the file line of the script's first line.
  // A coroutine's error is taken from `run` (where its body failed), not from the interpreter.
  void report_error(const std::string& rule, Event event, const std::string& file, int body_line,
                    const CoroutineRun* run = nullptr) noexcept;

  std::shared_ptr<const Config> config_;
  EngineOptions options_;
  Tcl_Interp* interp_ = nullptr;
  Tcl_Namespace* conn_ns_ = nullptr;
  CommandRegistry commands_;
  FireContext ctx_;
  ConnVars* current_vars_ = nullptr;   // the fired connection's variables, once a rule touched one
  Tcl_WideInt deadline_us_ = 0;        // the time limit armed in the interpreter
  std::shared_ptr<int> alive_;         // expires with the engine; RuleScopes check it
  bool some_event_disabled_ = false;   // a rule said `event disable` on some connection
  uint64_t next_timer_id_ = 0;         // after: ids are unique per engine
  int proc_depth_ = 0;                 // procs (call) running now: their names are their own locals
  uint64_t running_timer_ = 0;         // the timer whose script runs now, for after cancel -current
  RuleStats stats_;
  // Pausing handlers: the run a new coroutine picks up, the run whose coroutine runs now (a pause is
  // possible), `after MS` asked to pause (the coroutine yielded for it), coroutine names, a spare run.
  CoroutineRun* starting_run_ = nullptr;
  CoroutineRun* running_run_ = nullptr;
  bool pause_requested_ = false;
  uint64_t coroutine_serial_ = 0;
  std::unique_ptr<CoroutineRun> spare_run_;
  Tcl_Obj* coroutine_word_ = nullptr;   // ::coroutine
  Tcl_Obj* pausable_word_ = nullptr;    // ::irulesd::run_pausable
  Tcl_Obj* yield_word_ = nullptr;       // ::yield
  std::vector<std::unique_ptr<CompiledHandler>> handlers_;
  std::unordered_map<std::string, std::vector<const CompiledHandler*>> handlers_by_rule_;
  std::unordered_map<const VirtualServer*, Dispatch> by_virtual_;
  std::unique_ptr<BuildState> build_;   // until the build is done
  mutable std::map<std::string, Dispatch> by_rule_list_;   // virtuals that are not in config_
};

std::unique_ptr<RuleEngineFactory> make_tcl_rule_engine_factory(EngineOptions options);

}  // namespace irulesd::tclext
