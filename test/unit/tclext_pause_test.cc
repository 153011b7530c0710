// `after MS` without a script pauses the rule: the handler runs in a Tcl coroutine that yields there,
// fire() returns Paused with tx.pause_ms, resume() continues the handler and then the event's other
// handlers. Also the engine's runtime counters and TMM::cmp_unit per worker.
#include <catch2/catch.hpp>

#include "test/unit/log_capture.h"

#include <memory>
#include <string>
#include <vector>

#include "core/log.h"
#include "tclext/tcl_rule_engine.h"

using namespace irulesd;
using namespace irulesd::tclext;

using irulesd::test::LogCapture;

namespace {

constexpr const char* kFile = "/etc/irulesd/bigip.conf";

std::shared_ptr<Config> rules_config(std::initializer_list<std::pair<std::string, std::string>> rules) {
  auto config = std::make_shared<Config>();
  config->file = kFile;
  VirtualServer vs;
  vs.name = "/Common/vs";
  vs.has_http_profile = true;
  int line = 10;
  for (const auto& [name, text] : rules) {
    config->rules.push_back(Rule{name, text, SourceLoc{kFile, line}});
    vs.rules.push_back(name);
    line += 100;
  }
  config->virtuals.push_back(vs);
  return config;
}

// The load errors of the rules, as `irulesd --check` prints them.
std::vector<std::string> load_errors(std::initializer_list<std::pair<std::string, std::string>> rules) {
  auto config = rules_config(rules);
  std::vector<std::string> out;
  for (const ConfigError& error : make_tcl_rule_engine_factory()->check(*config)) out.push_back(error.str());
  return out;
}

struct Harness {
  std::shared_ptr<Config> config;
  std::unique_ptr<TclRuleEngine> engine;
  explicit Harness(std::initializer_list<std::pair<std::string, std::string>> rules, EngineOptions options = {})
      : config(rules_config(rules)) {
    REQUIRE(make_tcl_rule_engine_factory()->check(*config).empty());
    engine = std::make_unique<TclRuleEngine>(config, options);
  }
  const VirtualServer& vs() const { return config->virtuals.front(); }
};

// A client connection: declared after the Harness so its RuleScope (and a paused coroutine) goes first.
struct Conn {
  Transaction tx;
  RequestHead request;
  ResponseHead response;
  Harness& h;
  explicit Conn(Harness& harness, uint16_t port = 40000) : h(harness) {
    tx.virtual_name = "/Common/vs";
    tx.client_addr = "10.1.2.3";
    tx.client_port = port;
    request.method = "GET";
    request.uri = "/index.html";
    response.status = 200;
  }
  RuleOutcome accepted() { return h.engine->fire(h.vs(), Event::ClientAccepted, tx); }
  RuleOutcome http_request() {
    tx.request = &request;
    return h.engine->fire(h.vs(), Event::HttpRequest, tx);
  }
  RuleOutcome http_response() {
    tx.response = &response;
    return h.engine->fire(h.vs(), Event::HttpResponse, tx);
  }
  RuleOutcome resume() { return h.engine->resume(h.vs(), tx); }
};

}  // namespace

TEST_CASE("after MS pauses the handler, resume goes on with its variables, then the later handlers", "[pause]") {
  LogCapture log;
  Harness h({{"/Common/a", "when HTTP_REQUEST {\n"
                           "  set who [HTTP::uri]\n"
                           "  log -noname local0. \"a before $who\"\n"
                           "  after 150\n"
                           "  log -noname local0. \"a after $who\"\n"
                           "  set later 1\n"
                           "}\n"},
             {"/Common/b", "when HTTP_REQUEST priority 600 {\n"
                           "  log -noname local0. \"b sees $who $later\"\n"
                           "}\n"}});
  Conn c(h);
  CHECK(c.http_request() == RuleOutcome::Paused);
  CHECK(c.tx.pause_ms == 150);
  CHECK(log.messages() == std::vector<std::string>{"a before /index.html"});   // b waits for the pause
  CHECK(c.resume() == RuleOutcome::Continue);
  CHECK(log.messages() ==
        std::vector<std::string>{"a before /index.html", "a after /index.html", "b sees /index.html 1"});
  // The next request runs the same way (the coroutine of the first one is gone).
  CHECK(c.http_request() == RuleOutcome::Paused);
  CHECK(c.resume() == RuleOutcome::Continue);
  CHECK(log.messages().size() == 6);
}

TEST_CASE("a handler pauses twice, a later handler pauses too, and an earlier one ran only once", "[pause]") {
  LogCapture log;
  Harness h({{"/Common/first", "when CLIENT_ACCEPTED priority 100 { log -noname local0. first }\n"},
             {"/Common/a", "when CLIENT_ACCEPTED {\n"
                           "  set n 1\n"
                           "  after 10\n"
                           "  incr n\n"
                           "  set delay 20\n"
                           "  after $delay\n"
                           "  log -noname local0. \"a n=$n\"\n"
                           "}\n"},
             {"/Common/b", "when CLIENT_ACCEPTED priority 900 {\n"
                           "  if { $n == 2 } { after 0 }\n"
                           "  log -noname local0. \"b [info exists n]\"\n"
                           "}\n"}});
  Conn c(h);
  CHECK(c.accepted() == RuleOutcome::Paused);
  CHECK(c.tx.pause_ms == 10);
  CHECK(c.resume() == RuleOutcome::Paused);
  CHECK(c.tx.pause_ms == 20);   // a variable delay
  CHECK(c.resume() == RuleOutcome::Paused);
  CHECK(c.tx.pause_ms == 0);    // b's pause, inside an if
  CHECK(c.resume() == RuleOutcome::Continue);
  CHECK(log.messages() == std::vector<std::string>{"first", "a n=2", "b 1"});
}

TEST_CASE("connections pause independently, each with its own variables", "[pause]") {
  LogCapture log;
  Harness h({{"/Common/r", "when HTTP_REQUEST {\n"
                           "  set port [TCP::client_port]\n"
                           "  after 5\n"
                           "  log -noname local0. \"port $port\"\n"
                           "}\n"
                           "when HTTP_RESPONSE { log -noname local0. \"response $port\" }\n"}});
  Conn one(h, 1001);
  Conn two(h, 1002);
  Conn plain(h, 1003);
  CHECK(one.http_request() == RuleOutcome::Paused);
  CHECK(two.http_request() == RuleOutcome::Paused);
  CHECK(two.resume() == RuleOutcome::Continue);
  CHECK(plain.http_response() == RuleOutcome::Reset);   // $port was never set here: an error, not one's value
  CHECK(one.resume() == RuleOutcome::Continue);
  CHECK(one.http_response() == RuleOutcome::Continue);
  const std::vector<std::string> messages = log.messages();
  REQUIRE(messages.size() == 4);
  CHECK(messages[0] == "port 1002");
  CHECK(messages[1].rfind("TCL error: /Common/r <HTTP_RESPONSE> - can't read \"port\"", 0) == 0);
  CHECK(messages[2] == "port 1001");
  CHECK(messages[3] == "response 1001");
}

TEST_CASE("a connection closed while paused frees its coroutine, the engine goes on", "[pause]") {
  LogCapture log;
  Harness h({{"/Common/r", "when HTTP_REQUEST {\n"
                           "  set big [string repeat x 100000]\n"
                           "  after 1000\n"
                           "  log -noname local0. never\n"
                           "}\n"
                           "when HTTP_RESPONSE { log -noname local0. response }\n"}});
  Tcl_Interp* interp = h.engine->interp();
  for (int i = 0; i < 50; ++i) {
    auto c = std::make_unique<Conn>(h, static_cast<uint16_t>(2000 + i));
    REQUIRE(c->http_request() == RuleOutcome::Paused);
    REQUIRE(Tcl_Eval(interp, "llength [info commands ::irulesd::pause*]") == TCL_OK);
    CHECK(std::string(Tcl_GetStringResult(interp)) == "1");
    c.reset();   // the connection closes: its scope deletes the suspended coroutine
    REQUIRE(Tcl_Eval(interp, "llength [info commands ::irulesd::pause*]") == TCL_OK);
    CHECK(std::string(Tcl_GetStringResult(interp)) == "0");
  }
  Conn after(h);
  CHECK(after.http_response() == RuleOutcome::Continue);
  CHECK(log.messages() == std::vector<std::string>{"response"});
}

TEST_CASE("a paused handler's return, errors and runaway loops after the pause", "[pause]") {
  LogCapture log;
  EngineOptions options;
  options.time_budget_ms = 50;
  Harness h({{"/Common/r", "when HTTP_REQUEST {\n"
                           "  after 1\n"
                           "  if { [HTTP::uri] eq \"/return\" } { return }\n"
                           "  if { [HTTP::uri] eq \"/loop\" } { while {1} {} }\n"
                           "  if { [HTTP::uri] eq \"/error\" } {\n"
                           "    log -noname local0. $nosuchvar\n"
                           "  }\n"
                           "  log -noname local0. \"r done\"\n"
                           "}\n"},
             {"/Common/z", "when HTTP_REQUEST priority 700 { log -noname local0. z }\n"}},
            options);
  CHECK(h.engine->stats().runtime_errors == 0);
  {
    Conn c(h);
    c.request.uri = "/return";
    REQUIRE(c.http_request() == RuleOutcome::Paused);
    CHECK(c.resume() == RuleOutcome::Continue);   // `return` ends only r's handler
  }
  {
    Conn c(h);
    c.request.uri = "/error";
    REQUIRE(c.http_request() == RuleOutcome::Paused);
    CHECK(c.resume() == RuleOutcome::Reset);
    CHECK(c.tx.rule_scope == nullptr);
  }
  {
    Conn c(h);
    c.request.uri = "/loop";
    REQUIRE(c.http_request() == RuleOutcome::Paused);
    CHECK(c.resume() == RuleOutcome::Reset);
  }
  const std::vector<std::string> messages = log.messages();
  REQUIRE(messages.size() == 3);
  CHECK(messages[0] == "z");
  // The line of the failing command in the file, as for a handler that does not pause (rule at 10).
  CHECK(messages[1].rfind("TCL error: /Common/r <HTTP_REQUEST> - can't read \"nosuchvar\": no such variable", 0) == 0);
  CHECK(messages[1].find("while executing \"log -noname local0. $nosuchvar\"") != std::string::npos);
  CHECK(messages[1].find("(at /etc/irulesd/bigip.conf:15)") != std::string::npos);
  CHECK(messages[2].rfind("TCL error: /Common/r <HTTP_REQUEST> - execution budget of 50 ms exceeded", 0) == 0);
  CHECK(h.engine->stats().runtime_errors == 2);
  CHECK(h.engine->stats().runaway_stops == 1);
}

TEST_CASE("after MS is a load error in events that cannot pause", "[pause]") {
  CHECK(load_errors({{"/Common/r", "when CLIENT_CLOSED {\n  log local0. x\n  after 10\n}\n"}}) ==
        std::vector<std::string>{"/etc/irulesd/bigip.conf:12: rule /Common/r: after MS without a script (pause) is "
                                 "supported in CLIENT_ACCEPTED, HTTP_REQUEST and HTTP_RESPONSE only"});
  // RULE_INIT runs when the rule loads: irulesd refuses to block the worker there.
  CHECK(load_errors({{"/Common/r", "when RULE_INIT {\n  after $static::d\n}\n"}}) ==
        std::vector<std::string>{"/etc/irulesd/bigip.conf:11: rule /Common/r: after MS without a script (pause) is "
                                 "supported in CLIENT_ACCEPTED, HTTP_REQUEST and HTTP_RESPONSE only"});
  CHECK(load_errors({{"/Common/r", "when LB_SELECTED { if {1} { after [expr {1 + 1}] } }\n"}}).size() == 1);
  // Not pauses: after info / cancel, timers, and a word that is no delay (after says so at run time).
  CHECK(load_errors({{"/Common/r", "when CLIENT_CLOSED { after info ; after cancel }\n"
                                   "when SERVER_CONNECTED { after 10 { log local0. t } ; catch { after soon } }\n"}})
            .empty());
}

TEST_CASE("a pause the load check could not see fails at run time", "[pause]") {
  LogCapture log;
  Harness h({{"/Common/r", "proc wait {} { after 10 }\n"
                           "when HTTP_REQUEST {\n"
                           "  if { [HTTP::uri] eq \"/proc\" } { call wait }\n"
                           "  if { [HTTP::uri] eq \"/dynamic\" } { set cmd after ; $cmd 10 }\n"
                           "  log -noname local0. \"done [HTTP::uri]\"\n"
                           "}\n"
                           "when SERVER_CONNECTED { set cmd after ; $cmd 10 }\n"}});
  for (const char* uri : {"/proc", "/dynamic"}) {
    Conn c(h);
    c.request.uri = uri;
    CHECK(c.http_request() == RuleOutcome::Reset);
  }
  Conn c(h);
  CHECK(h.engine->fire(h.vs(), Event::ServerConnected, c.tx) == RuleOutcome::Reset);
  const std::vector<std::string> messages = log.messages();
  REQUIRE(messages.size() == 3);
  const std::string cannot =
      "after MS without a script (pause) cannot pause here: only in the body of a handler (not in a proc, an after "
      "script, or a script another command runs)";
  CHECK(messages[0].rfind("TCL error: /Common/r <HTTP_REQUEST> - " + cannot, 0) == 0);
  CHECK(messages[1].rfind("TCL error: /Common/r <HTTP_REQUEST> - " + cannot, 0) == 0);
  CHECK(messages[2].rfind("TCL error: /Common/r <SERVER_CONNECTED> - after MS without a script (pause) is supported "
                          "in CLIENT_ACCEPTED, HTTP_REQUEST and HTTP_RESPONSE only",
                          0) == 0);
}

TEST_CASE("resume without a pause resets the connection", "[pause]") {
  LogCapture log;
  Harness h({{"/Common/r", "when HTTP_REQUEST { log -noname local0. x }\n"}});
  Conn c(h);
  CHECK(c.resume() == RuleOutcome::Reset);
  CHECK(log.messages() == std::vector<std::string>{"virtual /Common/vs: nothing to resume (no rule is paused on this connection)"});
}

TEST_CASE("the engine counts runtime errors and runaway stops, RULE_INIT's included", "[pause][stats]") {
  LogCapture log;
  EngineOptions options;
  options.time_budget_ms = 30;
  Harness h({{"/Common/r", "when RULE_INIT { error init }\n"
                           "when HTTP_REQUEST {\n"
                           "  if { [HTTP::uri] eq \"/loop\" } { while {1} {} }\n"
                           "  if { [HTTP::uri] eq \"/huge\" } { set s [string repeat xx 1500000000] }\n"
                           "  if { [HTTP::uri] eq \"/error\" } { error boom }\n"
                           "}\n"}},
            options);
  CHECK(h.engine->stats().runtime_errors == 1);
  CHECK(h.engine->stats().runaway_stops == 0);
  for (const char* uri : {"/loop", "/error", "/fine", "/huge", "/error"}) {
    Conn c(h);
    c.request.uri = uri;
    c.http_request();
  }
  CHECK(h.engine->stats().runtime_errors == 5);
  CHECK(h.engine->stats().runaway_stops == 1);
  // A string past the value limit (--rule-max-value-bytes) is refused before anything is allocated.
  const std::vector<std::string> messages = log.messages();
  REQUIRE(messages.size() == 5);
  CHECK(messages[3].find("string repeat: result too large") != std::string::npos);
}

TEST_CASE("TMM::cmp_unit in RULE_INIT is the index of the worker the engine was made for", "[pause][cmp_unit]") {
  LogCapture log;
  auto config = rules_config({{"/Common/r", "when RULE_INIT { set static::unit [TMM::cmp_unit] }\n"
                                            "when HTTP_REQUEST { log -noname local0. \"unit $static::unit [TMM::cmp_unit]\" }\n"}});
  auto factory = make_tcl_rule_engine_factory();
  REQUIRE(factory->check(*config).empty());
  for (int worker : {0, 1, 3}) {
    std::unique_ptr<RuleEngine> engine = factory->create(config, worker);
    Transaction tx;
    tx.worker_index = worker;
    RequestHead request;
    request.method = "GET";
    request.uri = "/";
    tx.request = &request;
    CHECK(engine->fire(config->virtuals.front(), Event::HttpRequest, tx) == RuleOutcome::Continue);
    tx.rule_scope.reset();
  }
  CHECK(log.messages() == std::vector<std::string>{"unit 0 0", "unit 1 1", "unit 3 3"});
}
