// The engine built in pieces (RuleEngineFactory::build, TclRuleEngine::build_step), as a worker builds a
// reload's version between serving its connections: the same engine as a build in one go, RULE_INIT
// in the same order and only once every rule is loaded, and an unfinished build that can be dropped
// at any piece.
#include <catch2/catch.hpp>

#include "test/unit/log_capture.h"

#include <memory>
#include <string>
#include <vector>

#include <tcl.h>

#include "core/log.h"
#include "tclext/tcl_rule_engine.h"

using namespace irulesd;
using namespace irulesd::tclext;

using irulesd::test::LogCapture;

namespace {

constexpr const char* kFile = "/etc/irulesd/bigip.conf";

// Rules with RULE_INIT at several priorities (one reads what an earlier one left in a plain variable,
// one calls a proc of the last rule), procs, and HTTP handlers; virtuals vs0..vs2 with a few each.
std::shared_ptr<Config> many_rules_config(int rules) {
  auto config = std::make_shared<Config>();
  config->file = kFile;
  Pool pool;
  pool.name = "/Common/web_pool";
  config->pools.push_back(pool);
  for (int i = 0; i < rules; ++i) {
    const std::string name = "/Common/r" + std::to_string(i);
    std::string text;
    if (i % 7 == 0) {
      // Priorities 100, 300, 500, 700, 900 by turns: not the rules' order.
      text += "when RULE_INIT priority " + std::to_string(100 + (i / 7 % 5) * 200) +
              " {\n  lappend static::order " + std::to_string(i) + "\n  incr shared_local\n"
              "  lappend static::locals $shared_local\n}\n";
    }
    if (i == 3) text += "when RULE_INIT { set static::from_last_rule [call /Common/r" + std::to_string(rules - 1) + "::answer] }\n";
    if (i == rules - 1) text += "proc answer {} { return 42 }\n";
    text += "when HTTP_REQUEST {\n  if { [HTTP::uri] starts_with \"/app" + std::to_string(i) +
            "/\" } {\n    HTTP::header insert X-App " + std::to_string(i) + "\n  }\n  log -noname local0. \"r" +
            std::to_string(i) + " $static::greeting\"\n}\n";
    if (i == 0) text += "when RULE_INIT priority 50 { set static::greeting hello }\nwhen HTTP_RESPONSE { log -noname local0. response }\n";
    config->rules.push_back(Rule{name, text, SourceLoc{kFile, 10 + 100 * i}});
  }
  for (int v = 0; v < 3; ++v) {
    VirtualServer vs;
    vs.has_http_profile = true;
    vs.name = "/Common/vs" + std::to_string(v);
    for (int i = v; i < rules; i += 3) vs.rules.push_back("/Common/r" + std::to_string(i));
    config->virtuals.push_back(vs);
  }
  REQUIRE(make_tcl_rule_engine_factory()->check(*config).empty());
  return config;
}

std::string static_var(TclRuleEngine& engine, const char* name) {
  const std::string qualified = std::string("::irulesd::conn::static::") + name;
  const char* value = Tcl_GetVar(engine.interp(), qualified.c_str(), TCL_GLOBAL_ONLY);
  return value != nullptr ? value : "<unset>";
}

// What a request to /appN/ on a virtual does: the outcome, the headers the rules inserted, and what
// they logged.
struct Answer {
  RuleOutcome outcome;
  std::vector<std::string> headers;
  std::vector<std::string> log;
  bool operator==(const Answer& other) const {
    return outcome == other.outcome && headers == other.headers && log == other.log;
  }
};

Answer request(TclRuleEngine& engine, const VirtualServer& vs, int app) {
  LogCapture log;
  Transaction tx;
  tx.virtual_name = vs.name;
  tx.client_addr = "10.1.2.3";
  tx.client_port = 40000;
  RequestHead head;
  head.method = "GET";
  head.uri = "/app" + std::to_string(app) + "/x";
  tx.request = &head;
  Answer answer{engine.fire(vs, Event::HttpRequest, tx), {}, {}};
  answer.headers = head.headers.names();
  for (const std::string& value : head.headers.values("X-App")) answer.headers.push_back("X-App=" + value);
  answer.log = log.messages();
  tx.rule_scope.reset();   // before the engine
  return answer;
}

std::unique_ptr<TclRuleEngine> as_tcl(std::unique_ptr<RuleEngine> engine) {
  auto* tcl = dynamic_cast<TclRuleEngine*>(engine.get());
  REQUIRE(tcl != nullptr);
  (void)engine.release();
  return std::unique_ptr<TclRuleEngine>(tcl);
}

}  // namespace

TEST_CASE("an engine built in steps is the engine a build in one go makes", "[tclext][build]") {
  constexpr int kRules = 40;
  std::shared_ptr<Config> config = many_rules_config(kRules);
  auto factory = make_tcl_rule_engine_factory();
  auto whole = as_tcl(factory->create(config, 0));

  std::unique_ptr<RuleEngineBuilder> builder = factory->build(config, 0);
  int steps = 0;
  while (!builder->step(0)) {
    CHECK(builder->take() == nullptr);   // nothing to take before the build is done
    ++steps;
    REQUIRE(steps < 10000);
  }
  // Budget 0: one piece per step, so at least one step per rule.
  CHECK(steps > kRules);
  auto stepped = as_tcl(builder->take());
  REQUIRE(stepped != nullptr);
  CHECK(stepped->built());

  for (const char* name : {"order", "locals", "greeting", "from_last_rule"}) {
    INFO(name);
    CHECK(static_var(*stepped, name) == static_var(*whole, name));
  }
  for (const VirtualServer& vs : config->virtuals) {
    for (std::size_t e = 0; e < kEventCount; ++e) {
      CHECK(stepped->handles(vs, static_cast<Event>(e)) == whole->handles(vs, static_cast<Event>(e)));
    }
    for (int app : {0, 1, 2, 5, 39, 99}) {
      INFO(vs.name << " /app" << app);
      const Answer a = request(*stepped, vs, app);
      CHECK(a == request(*whole, vs, app));
      CHECK(a.outcome == RuleOutcome::Continue);
    }
  }
  for (int i = 0; i < kRules; ++i) {
    const std::string rule = "/Common/r" + std::to_string(i);
    for (Event event : {Event::HttpRequest, Event::HttpResponse, Event::RuleInit}) {
      Tcl_Obj* a = stepped->handler_body(rule, event);
      Tcl_Obj* b = whole->handler_body(rule, event);
      REQUIRE((a == nullptr) == (b == nullptr));
      if (a != nullptr) CHECK(std::string(Tcl_GetString(a)) == Tcl_GetString(b));
    }
  }
}

TEST_CASE("a stepped build runs RULE_INIT by priority then rule order, after every rule loaded", "[tclext][build]") {
  std::shared_ptr<Config> config = many_rules_config(40);
  auto factory = make_tcl_rule_engine_factory();
  std::unique_ptr<RuleEngineBuilder> builder = factory->build(config, 0);
  while (!builder->step(0)) {
  }
  auto engine = as_tcl(builder->take());
  // Rules 0, 7, 14, 21, 28, 35 with priorities 100, 300, 500, 700, 900, 100; stable within a priority.
  CHECK(static_var(*engine, "order") == "0 35 7 14 21 28");
  // A plain variable of RULE_INIT lives through every RULE_INIT of the build (one scratch connection),
  // whichever step ran them.
  CHECK(static_var(*engine, "locals") == "1 2 3 4 5 6");
  CHECK(static_var(*engine, "greeting") == "hello");
  // Rule 3's RULE_INIT (priority 500) called a proc of the last rule: every rule was loaded first.
  CHECK(static_var(*engine, "from_last_rule") == "42");
  // Its locals went with the build: nothing of them is left in the connection namespace.
  CHECK(Tcl_GetVar(engine->interp(), "::irulesd::conn::shared_local", TCL_GLOBAL_ONLY) == nullptr);
}

TEST_CASE("a stepped build with a time budget takes few steps and serves the same", "[tclext][build]") {
  std::shared_ptr<Config> config = many_rules_config(40);
  auto factory = make_tcl_rule_engine_factory();
  std::unique_ptr<RuleEngineBuilder> builder = factory->build(config, 0);
  int steps = 1;
  while (!builder->step(1000)) ++steps;
  // The large pieces before the rules (interpreter, msgcat, clock, commands) get a step each.
  CHECK(steps >= 4);
  auto engine = as_tcl(builder->take());
  CHECK(static_var(*engine, "order") == "0 35 7 14 21 28");
  const Answer a = request(*engine, config->virtuals[1], 1);
  CHECK(a.headers == std::vector<std::string>{"X-App", "X-App=1"});
}

TEST_CASE("an unfinished build can be dropped after any piece", "[tclext][build]") {
  std::shared_ptr<Config> config = many_rules_config(15);
  auto factory = make_tcl_rule_engine_factory();
  // How many pieces a whole build has.
  int pieces = 0;
  {
    std::unique_ptr<RuleEngineBuilder> builder = factory->build(config, 0);
    while (!builder->step(0)) ++pieces;
  }
  LogCapture log;
  // Dropped before its first piece, after each piece (RULE_INIT half run included: its scratch
  // connection's variables are freed with it; the sanitizer build checks that nothing leaks).
  for (int stop_after = 0; stop_after <= pieces; ++stop_after) {
    INFO("dropped after " << stop_after << " of " << pieces + 1 << " pieces");
    std::unique_ptr<RuleEngineBuilder> builder = factory->build(config, 0);
    for (int i = 0; i < stop_after; ++i) REQUIRE_FALSE(builder->step(0));
    builder.reset();
  }
  CHECK(log.messages().empty());   // nothing failed, nothing ran twice
  // The factory builds again after all that.
  std::unique_ptr<RuleEngineBuilder> builder = factory->build(config, 0);
  while (!builder->step(0)) {
  }
  auto engine = as_tcl(builder->take());
  CHECK(static_var(*engine, "order") == "0 7 14");
}

TEST_CASE("a factory without a builder of its own builds in one step", "[tclext][build]") {
  // RuleEngineFactory's default build(): the whole create() in the first step.
  class Counting final : public RuleEngineFactory {
   public:
    std::vector<ConfigError> check(const Config&) override { return {}; }
    std::unique_ptr<RuleEngine> create(std::shared_ptr<const Config> config, int worker_index) override {
      ++created;
      return inner->create(std::move(config), worker_index);
    }
    std::unique_ptr<RuleEngineFactory> inner = make_tcl_rule_engine_factory();
    int created = 0;
  } factory;
  std::shared_ptr<Config> config = many_rules_config(3);
  std::unique_ptr<RuleEngineBuilder> builder = factory.build(config, 0);
  CHECK(factory.created == 0);
  CHECK(builder->step(0));
  CHECK(factory.created == 1);
  std::unique_ptr<RuleEngine> engine = builder->take();
  REQUIRE(engine != nullptr);
  CHECK(engine->handles(config->virtuals[0], Event::HttpRequest));
}
