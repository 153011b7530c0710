// The narrow interface through which core/ runs rules without knowing Tcl. tclext/ implements it.
#pragma once

#include <cstdint>
#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include "core/config.h"
#include "core/transaction.h"

namespace irulesd {

// What the core does after an event's rules ran.
enum class RuleOutcome {
  Continue,  // apply the decisions in the Transaction and go on
  Reset,     // a rule failed at run time (already logged): reset this client connection only
  // A rule ran `after MS` without a script: the event is not over. The core holds the connection
  // (reads nothing more on the paused side) for tx.pause_ms, then calls resume().
  Paused,
};

// What an engine counts over its life (per worker and config version): handlers that failed at run
// time (each reset its connection and logged a TCL error line), and of those, how many were stopped by
// the execution budget (a runaway loop).
struct RuleStats {
  uint64_t runtime_errors = 0;   // every runtime error, runaway stops included
  uint64_t runaway_stops = 0;    // stopped by the time budget
};

// Runs the rules of one config version on one worker thread. Not thread-safe: create, use and
// destroy it on the thread that owns it (a Tcl interpreter belongs to its thread).
class RuleEngine {
 public:
  virtual ~RuleEngine() = default;
  // True when some rule attached to the virtual has a handler for the event (cheap).
  virtual bool handles(const VirtualServer& vs, Event event) const = 0;
  // Runs every handler of the event on the virtual, by priority then attachment order.
  virtual RuleOutcome fire(const VirtualServer& vs, Event event, Transaction& tx) = 0;
  // After Paused: the paused handler goes on where it stopped, then the event's remaining handlers.
  // The same outcomes as fire() (Paused again for a second `after MS`).
  virtual RuleOutcome resume(const VirtualServer& vs, Transaction& tx) = 0;
  // Runs the script of the connection's timer `id` (after MS SCRIPT) when its time has come.
  virtual RuleOutcome run_timer(const VirtualServer& vs, uint64_t id, Transaction& tx) = 0;
  // The counts so far (cheap: two loads). Read on the engine's own thread.
  virtual RuleStats stats() const { return {}; }
};

// Builds one engine a piece at a time on the thread that will own it, so that a worker's loop serves
// its connections between the pieces (a reload with many rules would otherwise stop it for the whole
// build). Destroying an unfinished builder abandons the build and frees what it made.
class RuleEngineBuilder {
 public:
  virtual ~RuleEngineBuilder() = default;
  // Does the next part of the build: at least one indivisible piece, then more while less than
  // budget_us microseconds have passed. True once the engine is complete (take() may be called).
  virtual bool step(uint32_t budget_us) = 0;
  // The finished engine (once, after step() returned true).
  virtual std::unique_ptr<RuleEngine> take() = 0;
};

// Creates engines; callable from any thread.
class RuleEngineFactory {
 public:
  virtual ~RuleEngineFactory() = default;
  // Loads and compiles every rule of the config in a scratch interpreter: syntax errors come back as
  // FILE:LINE messages naming the rule. Used by --check and before accepting a reload.
  virtual std::vector<ConfigError> check(const Config& config) = 0;
  // Builds an engine for the config on the calling thread (worker `worker_index`: TMM::cmp_unit in
  // RULE_INIT). Only called after check() passed.
  virtual std::unique_ptr<RuleEngine> create(std::shared_ptr<const Config> config, int worker_index = 0) = 0;
  // The same engine as create() makes, built in steps on the calling thread (which then owns it).
  // By default one step does the whole create().
  virtual std::unique_ptr<RuleEngineBuilder> build(std::shared_ptr<const Config> config, int worker_index = 0);
  // Called by a worker thread as it exits, after its last engine is gone: frees what the engine's
  // runtime keeps per thread.
  virtual void thread_finished() {}
};

inline std::unique_ptr<RuleEngineBuilder> RuleEngineFactory::build(std::shared_ptr<const Config> config,
                                                                  int worker_index) {
  class OneStep final : public RuleEngineBuilder {
   public:
    OneStep(RuleEngineFactory& factory, std::shared_ptr<const Config> config, int worker_index)
        : factory_(factory), config_(std::move(config)), worker_index_(worker_index) {}
    bool step(uint32_t) override {
      if (!engine_) engine_ = factory_.create(config_, worker_index_);
      return true;
    }
    std::unique_ptr<RuleEngine> take() override { return std::move(engine_); }

   private:
    RuleEngineFactory& factory_;
    std::shared_ptr<const Config> config_;
    int worker_index_;
    std::unique_ptr<RuleEngine> engine_;
  };
  return std::make_unique<OneStep>(*this, std::move(config), worker_index);
}

// Limits of rule execution that the operator sets.
struct RuleEngineOptions {
  // Wall-clock budget of one event's rules: a rule still running after it is stopped (a runaway loop)
  // and handled as a runtime error. A fire gets at least this much and at most twice this much.
  int time_budget_ms = 200;
  int worker_index = 0;   // the worker the engine runs on (set per engine by the factory)
  // Timers (after MS SCRIPT) one connection may have pending: an `after` storm is a runtime error.
  int max_timers_per_connection = 100;
  // The largest value one `string repeat` / `lrepeat` may build (Tcl has no memory limit of its own).
  std::size_t max_value_bytes = 64 * 1024 * 1024;
};

std::unique_ptr<RuleEngineFactory> make_tcl_rule_engine_factory(RuleEngineOptions options = {});   // in tclext/

}  // namespace irulesd
