// The Tcl rule engine as data: rules + a Transaction in, the Transaction and the log out.
// Dispatch by priority, per-connection variables, runtime errors, the sandbox, the execution
// budget and compile-once.
#include <catch2/catch.hpp>

#include "test/unit/log_capture.h"

#include <unistd.h>

#include <atomic>
#include <chrono>
#include <thread>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include <tcl.h>

#include "core/log.h"
#include "tclext/tcl_rule_engine.h"

using namespace irulesd;
using namespace irulesd::tclext;

using irulesd::test::LogCapture;

namespace {

constexpr const char* kFile = "/etc/irulesd/bigip.conf";

// One config with the given rules (name, text), all attached to /Common/vs in that order.
struct Harness {
  std::shared_ptr<Config> config = std::make_shared<Config>();
  std::unique_ptr<TclRuleEngine> engine;

  explicit Harness(std::initializer_list<std::pair<std::string, std::string>> rules, EngineOptions options = {}) {
    config->file = kFile;
    Pool pool;
    pool.name = "/Common/web_pool";
    config->pools.push_back(pool);
    pool.name = "/Common/api_pool";
    config->pools.push_back(pool);
    VirtualServer vs;
    vs.has_http_profile = true;   // the rules handle HTTP events
    vs.name = "/Common/vs";
    vs.has_http_profile = true;
    int line = 10;
    for (const auto& [name, text] : rules) {
      config->rules.push_back(Rule{name, text, SourceLoc{kFile, line}});
      vs.rules.push_back(name);
      line += 100;
    }
    config->virtuals.push_back(vs);
    REQUIRE(make_tcl_rule_engine_factory()->check(*config).empty());
    engine = std::make_unique<TclRuleEngine>(config, options);
  }
  const VirtualServer& vs() const { return config->virtuals.front(); }
};

// A client connection: declare it after the Harness so its RuleScope goes before the engine.
struct Conn {
  Transaction tx;
  RequestHead request;
  ResponseHead response;
  Harness& h;

  explicit Conn(Harness& harness, uint16_t port = 40000) : h(harness) {
    tx.virtual_name = "/Common/vs";
    tx.client_addr = "10.1.2.3";
    tx.client_port = port;
    tx.local_addr = "127.0.0.10";
    tx.local_port = 8080;
  }
  RuleOutcome accepted() { return h.engine->fire(h.vs(), Event::ClientAccepted, tx); }
  RuleOutcome http_request(std::vector<Header> headers = {}) {
    request.method = "GET";
    request.uri = "/index.html";
    request.headers.clear();
    for (const Header& header : headers) request.headers.add(header.name, header.value);
    tx.request = &request;
    return h.engine->fire(h.vs(), Event::HttpRequest, tx);
  }
  RuleOutcome http_response(int status = 200) {
    response.status = status;
    tx.response = &response;
    return h.engine->fire(h.vs(), Event::HttpResponse, tx);
  }
  RuleOutcome closed() {
    tx.request = nullptr;
    tx.response = nullptr;
    return h.engine->fire(h.vs(), Event::ClientClosed, tx);
  }
};

const char* kAllowWs =
    "when HTTP_REQUEST {\n"
    " log local0. \"processing irule for http request\"\n"
    " if { \"websocket\" eq [string tolower [HTTP::header value \"Upgrade\"]] } {\n"
    "  HTTP::disable\n"
    "  log local0. \"enabling websockets and disabling http\"\n"
    " }\n"
    "}\n";

bool has_command(Tcl_Interp* interp, const char* name) {
  Tcl_CmdInfo info;
  return Tcl_GetCommandInfo(interp, name, &info) != 0;
}

}  // namespace

TEST_CASE("allow-ws disables HTTP for a WebSocket upgrade and logs both lines", "[tclext]") {
  LogCapture log;
  Harness h({{"/Common/allow-ws", kAllowWs}});
  CHECK(h.engine->handles(h.vs(), Event::HttpRequest));
  CHECK_FALSE(h.engine->handles(h.vs(), Event::ClientAccepted));
  CHECK_FALSE(h.engine->handles(h.vs(), Event::HttpResponse));

  Conn ws(h);
  CHECK(ws.http_request({{"Host", "gw"}, {"Connection", "Upgrade"}, {"Upgrade", "WebSocket"}}) ==
        RuleOutcome::Continue);
  CHECK(ws.tx.http_disabled);

  Conn plain(h, 40001);
  CHECK(plain.http_request({{"Host", "gw"}}) == RuleOutcome::Continue);
  CHECK_FALSE(plain.tx.http_disabled);

  const std::vector<std::string> expected = {
      "Rule /Common/allow-ws <HTTP_REQUEST>: processing irule for http request",
      "Rule /Common/allow-ws <HTTP_REQUEST>: enabling websockets and disabling http",
      "Rule /Common/allow-ws <HTTP_REQUEST>: processing irule for http request",
  };
  CHECK(log.messages() == expected);
  for (const std::string& line : log.lines()) CHECK(line.find(" irulesd info tmm[") != std::string::npos);
}

TEST_CASE("handlers run by priority, then attachment order, across rules", "[tclext]") {
  LogCapture log;
  Harness h({{"/Common/a",
              "when HTTP_REQUEST priority 600 { log -noname local0. a600 }\n"
              "when HTTP_REQUEST { log -noname local0. a500 }\n"},
             {"/Common/b",
              "when HTTP_REQUEST priority 100 { log -noname local0. b100 }\n"
              "when HTTP_REQUEST { log -noname local0. b500 }\n"
              "when HTTP_REQUEST priority 600 { log -noname local0. b600 }\n"}});
  Conn c(h);
  REQUIRE(c.http_request() == RuleOutcome::Continue);
  CHECK(log.messages() == std::vector<std::string>{"b100", "a500", "b500", "a600", "b600"});
}

TEST_CASE("a virtual that is not in the config dispatches its own rule list", "[tclext]") {
  LogCapture log;
  Harness h({{"/Common/a", "when HTTP_REQUEST { log -noname local0. a }\n"},
             {"/Common/b", "when HTTP_REQUEST { log -noname local0. b }\n"}});
  VirtualServer other;
  other.name = "/Common/other";
  other.rules = {"b", "/Common/a"};
  Conn c(h);
  c.request.uri = "/";
  c.tx.request = &c.request;
  CHECK(h.engine->handles(other, Event::HttpRequest));
  REQUIRE(h.engine->fire(other, Event::HttpRequest, c.tx) == RuleOutcome::Continue);
  CHECK(log.messages() == std::vector<std::string>{"b", "a"});
}

TEST_CASE("variables persist across the events of one connection and never reach another", "[tclext]") {
  LogCapture log;
  Harness h({{"/Common/vars",
              "when CLIENT_ACCEPTED {\n"
              "  set client [IP::client_addr]:[TCP::client_port]\n"
              "  set hits(accepted) 1\n"
              "}\n"
              "when HTTP_REQUEST {\n"
              "  if { [info exists client] } { log -noname local0. \"seen $client $hits(accepted)\" }"
              "  else { log -noname local0. \"fresh\" }\n"
              "  incr requests\n"
              "  set ::shared [expr {[info exists ::shared] ? $::shared + 1 : 1}]\n"
              "}\n"
              "when HTTP_RESPONSE { log -noname local0. \"requests=$requests shared=$::shared\" }\n"}});
  Conn a(h, 1111);
  Conn b(h, 2222);
  REQUIRE(a.accepted() == RuleOutcome::Continue);
  REQUIRE(a.http_request() == RuleOutcome::Continue);
  REQUIRE(b.http_request() == RuleOutcome::Continue);   // b never ran CLIENT_ACCEPTED
  REQUIRE(a.http_request() == RuleOutcome::Continue);
  REQUIRE(a.http_response() == RuleOutcome::Continue);
  REQUIRE(b.http_response() == RuleOutcome::Continue);
  Conn c(h, 3333);   // a new connection after the others
  REQUIRE(c.http_request() == RuleOutcome::Continue);
  CHECK(log.messages() == std::vector<std::string>{
                              "seen 10.1.2.3:1111 1",
                              "fresh",
                              "seen 10.1.2.3:1111 1",
                              "requests=2 shared=3",
                              "requests=1 shared=3",
                              "fresh",
                          });
  // Nothing of a connection is left in the shared namespace.
  CHECK(Tcl_Eval(h.engine->interp(), "info vars ::irulesd::conn::*") == TCL_OK);
  CHECK(std::string(Tcl_GetStringResult(h.engine->interp())).empty());
}

TEST_CASE("Tcl's variable commands work on per-connection variables", "[tclext]") {
  LogCapture log;
  Harness h({{"/Common/r",
              "when CLIENT_ACCEPTED {\n"
              "  array set arr {a 1 b 2}\n"
              "  set arr(c) 3\n"
              "  append s x y\n"
              "  lappend l 1 2\n"
              "  dict set d k v\n"
              "  regexp {(\\d+)\\.(\\d+)} 10.20 all first second\n"
              "  scan 42 %d scanned\n"
              "  catch { error oops } caught\n"
              "  foreach {fa fb} {1 2} {}\n"
              "  set gone 1 ; unset gone\n"
              "  set static::shared_counter [expr {[info exists static::shared_counter] ? $static::shared_counter + 1 : 1}]\n"
              "}\n"
              "when HTTP_REQUEST {\n"
              "  log -noname local0. \"[lsort [array names arr]] $arr(c) $s $l [dict get $d k] $all $first $second\"\n"
              "  log -noname local0. \"$scanned $caught $fa $fb [info exists gone] [array size arr]\"\n"
              "  log -noname local0. \"static $static::shared_counter\"\n"
              "}\n"}});
  Conn a(h, 1);
  REQUIRE(a.accepted() == RuleOutcome::Continue);
  Conn b(h, 2);
  REQUIRE(b.accepted() == RuleOutcome::Continue);
  REQUIRE(a.http_request() == RuleOutcome::Continue);
  CHECK(log.messages() == std::vector<std::string>{
                              "a b c 3 xy 1 2 v 10.20 10 20",
                              "42 oops 1 2 0 3",
                              "static 2",   // static:: is shared by every connection
                          });
}

TEST_CASE("a connection's variables go away with its RuleScope", "[tclext]") {
  Harness h({{"/Common/r", "when CLIENT_ACCEPTED { set big [string repeat x 100] ; array set arr {a 1 b 2} }\n"}});
  Conn c(h);
  REQUIRE(c.accepted() == RuleOutcome::Continue);
  REQUIRE(c.tx.rule_scope != nullptr);
  c.tx.rule_scope.reset();   // what the core does when the connection closes
  Conn d(h);
  REQUIRE(d.accepted() == RuleOutcome::Continue);
}

TEST_CASE("upvar, global and variable are refused in events", "[tclext]") {
  LogCapture log;
  Harness h({{"/Common/r", "when HTTP_REQUEST { upvar 0 a b }\n"}});
  Conn c(h);
  CHECK(c.http_request() == RuleOutcome::Reset);
  std::vector<std::string> messages = log.messages();
  REQUIRE(messages.size() == 1);
  CHECK(messages[0].rfind("TCL error: /Common/r <HTTP_REQUEST> - upvar: not available in iRule events", 0) == 0);
}

TEST_CASE("a RuleScope that outlives its engine is left alone", "[tclext]") {
  Transaction tx;
  {
    Harness h({{"/Common/r", "when CLIENT_ACCEPTED { set a 1 }\n"}});
    REQUIRE(h.engine->fire(h.vs(), Event::ClientAccepted, tx) == RuleOutcome::Continue);
    REQUIRE(tx.rule_scope != nullptr);
  }
  tx.rule_scope.reset();   // the interpreter is gone: its variables are leaked, not touched
}

TEST_CASE("engines on two threads each run their own interpreter", "[tclext]") {
  LogCapture log;
  auto config = std::make_shared<Config>();
  config->rules.push_back(Rule{"/Common/r",
                               "when CLIENT_ACCEPTED { set n [TCP::client_port] }\n"
                               "when HTTP_REQUEST { incr n ; if { $n != [TCP::client_port] + 1 } { error bad } }\n",
                               SourceLoc{kFile, 1}});
  VirtualServer vs;
  vs.has_http_profile = true;   // the rules handle HTTP events
  vs.name = "/Common/vs";
  vs.rules = {"/Common/r"};
  config->virtuals.push_back(vs);
  auto factory = make_tcl_rule_engine_factory();
  std::atomic<int> resets{0};
  auto worker = [&](uint16_t base) {
    std::unique_ptr<RuleEngine> engine = factory->create(config);
    RequestHead request;
    for (uint16_t i = 0; i < 2000; ++i) {
      Transaction tx;
      tx.client_port = static_cast<uint16_t>(base + i);
      if (engine->fire(config->virtuals.front(), Event::ClientAccepted, tx) != RuleOutcome::Continue) ++resets;
      tx.request = &request;
      if (engine->fire(config->virtuals.front(), Event::HttpRequest, tx) != RuleOutcome::Continue) ++resets;
    }
    // As a Worker's thread ends: the interpreter first, then Tcl's per-thread data (without this,
    // each thread's Tcl thread-storage table, 272 bytes, leaks: LeakSanitizer reports it).
    engine.reset();
    factory->thread_finished();
  };
  std::thread t1(worker, 1000);
  std::thread t2(worker, 30000);
  t1.join();
  t2.join();
  CHECK(resets == 0);
  CHECK(log.messages().empty());
}

TEST_CASE("a rule that touches no variable creates no RuleScope", "[tclext]") {
  LogCapture log;
  Harness h({{"/Common/allow-ws", kAllowWs}});
  Conn c(h);
  REQUIRE(c.http_request({{"Upgrade", "websocket"}}) == RuleOutcome::Continue);
  CHECK(c.tx.rule_scope == nullptr);
}

TEST_CASE("a runtime error resets the connection, logs rule, event and errorInfo, and harms no other",
          "[tclext]") {
  LogCapture log;
  Harness h({{"/Common/boom",
              "when CLIENT_ACCEPTED { set mine 1 }\n"
              "when HTTP_REQUEST {\n"
              "  if { [HTTP::header exists X-Boom] } {\n"
              "    log local0. \"value: $nosuchvar\"\n"
              "  }\n"
              "  log -noname local0. \"ok [info exists mine]\"\n"
              "}\n"}});
  Conn bad(h, 1);
  REQUIRE(bad.accepted() == RuleOutcome::Continue);
  CHECK(bad.http_request({{"X-Boom", "1"}}) == RuleOutcome::Reset);
  CHECK(bad.tx.rule_scope == nullptr);   // its variables are discarded

  Conn good(h, 2);
  REQUIRE(good.accepted() == RuleOutcome::Continue);
  CHECK(good.http_request() == RuleOutcome::Continue);

  std::vector<std::string> messages = log.messages();
  REQUIRE(messages.size() == 2);
  CHECK(messages[0].rfind("TCL error: /Common/boom <HTTP_REQUEST> - can't read \"nosuchvar\": no such variable ", 0) ==
        0);
  CHECK(messages[0].find("while executing \"log local0. \"value: $nosuchvar\"\"") != std::string::npos);
  CHECK(messages[0].find("(at /etc/irulesd/bigip.conf:13)") != std::string::npos);   // rule at line 10
  CHECK(messages[1] == "ok 1");
  const std::vector<std::string> lines = log.lines();
  CHECK(lines[0].find(" irulesd err tmm[") != std::string::npos);
}

TEST_CASE("return ends only its handler", "[tclext]") {
  LogCapture log;
  Harness h({{"/Common/a", "when HTTP_REQUEST { log -noname local0. a1 ; return ; log -noname local0. a2 }\n"},
             {"/Common/b", "when HTTP_REQUEST { log -noname local0. b }\n"}});
  Conn c(h);
  CHECK(c.http_request() == RuleOutcome::Continue);
  CHECK(log.messages() == std::vector<std::string>{"a1", "b"});
}

TEST_CASE("the commands iRules forbid are absent", "[tclext]") {
  LogCapture log;
  Harness h({{"/Common/r", "when HTTP_REQUEST { set c open; $c /etc/passwd }\n"},
             {"/Common/clock", "when CLIENT_ACCEPTED { log -noname local0. [clock format 0 -gmt 1 -format %Y] }\n"}});
  Tcl_Interp* interp = h.engine->interp();
  for (const char* name : {"exec", "open", "file", "socket", "source", "load", "cd", "exit", "pwd", "glob", "vwait",
                           "update", "interp", "fcopy", "read", "close", "fileevent", "::tcl::file::delete",
                           "::tcl::chan::pipe", "::tcl::encoding::system"}) {
    INFO(name);
    CHECK_FALSE(has_command(interp, name));
  }
  // `after` is irulesd's own (timers on the connection), not Tcl's event-loop command; so are `puts`
  // (a log line), `encoding` (conversions only) and `history` (empty).
  for (const char* name :
       {"set", "string", "regexp", "clock", "expr", "HTTP::header", "pool", "log", "after", "puts", "encoding", "history"}) {
    INFO(name);
    CHECK(has_command(interp, name));
  }
  Conn c(h);
  CHECK(c.accepted() == RuleOutcome::Continue);   // clock format still works
  CHECK(c.http_request() == RuleOutcome::Reset);
  std::vector<std::string> messages = log.messages();
  REQUIRE(messages.size() == 2);
  CHECK(messages[0] == "1970");
  CHECK(messages[1].rfind("TCL error: /Common/r <HTTP_REQUEST> - invalid command name \"open\"", 0) == 0);
}

TEST_CASE("a runaway loop is stopped by the execution budget and the interpreter keeps working", "[tclext]") {
  LogCapture log;
  EngineOptions options;
  options.time_budget_ms = 50;
  Harness h({{"/Common/loop",
              "when HTTP_REQUEST {\n"
              "  if { [HTTP::header exists X-Empty] } { while {1} {} }\n"
              "  if { [HTTP::header exists X-Busy] } { set i 0 ; while {1} { incr i } }\n"
              "  if { [HTTP::header exists X-Catch] } { catch { while {1} {} } }\n"
              "  log -noname local0. done\n"
              "}\n"}},
            options);
  for (const char* header : {"X-Empty", "X-Busy", "X-Catch"}) {
    INFO(header);
    Conn runaway(h, 1);
    auto start = std::chrono::steady_clock::now();
    CHECK(runaway.http_request({{header, "1"}}) == RuleOutcome::Reset);
    auto elapsed = std::chrono::steady_clock::now() - start;
    CHECK(elapsed >= std::chrono::milliseconds(40));
    CHECK(elapsed < std::chrono::milliseconds(1000));

    Conn next(h, 2);
    CHECK(next.http_request() == RuleOutcome::Continue);
  }
  std::vector<std::string> messages = log.messages();
  REQUIRE(messages.size() == 6);
  for (int i : {0, 2, 4}) {
    CHECK(messages[i].rfind("TCL error: /Common/loop <HTTP_REQUEST> - execution budget of 50 ms exceeded", 0) == 0);
    CHECK(messages[i + 1] == "done");
  }
}

TEST_CASE("a handler body is byte-compiled once and reused by every connection", "[tclext]") {
  LogCapture log;
  Harness h({{"/Common/allow-ws", kAllowWs},
             {"/Common/vars", "when CLIENT_ACCEPTED { set a 1 }\nwhen HTTP_REQUEST { incr a ; set b $a }\n"}});
  for (const char* rule : {"/Common/allow-ws", "/Common/vars"}) {
    INFO(rule);
    Tcl_Obj* body = h.engine->handler_body(rule, Event::HttpRequest);
    REQUIRE(body != nullptr);
    void* first_code = nullptr;
    for (int i = 0; i < 3; ++i) {
      Conn c(h, static_cast<uint16_t>(100 + i));
      REQUIRE(c.accepted() == RuleOutcome::Continue);
      REQUIRE(c.http_request({{"Upgrade", i == 1 ? "websocket" : "h2c"}}) == RuleOutcome::Continue);
      REQUIRE(body->typePtr != nullptr);
      CHECK(std::string(body->typePtr->name) == "bytecode");
      if (i == 0) first_code = body->internalRep.twoPtrValue.ptr1;
      CHECK(body->internalRep.twoPtrValue.ptr1 == first_code);
    }
  }
}

TEST_CASE("commands reached through a variable outside their events are runtime errors", "[tclext]") {
  LogCapture log;
  Harness h({{"/Common/r", "when CLIENT_ACCEPTED { set c HTTP::uri; $c }\n"}});
  Conn c(h);
  CHECK(c.accepted() == RuleOutcome::Reset);
  std::vector<std::string> messages = log.messages();
  REQUIRE(messages.size() == 1);
  CHECK(messages[0].rfind(
            "TCL error: /Common/r <CLIENT_ACCEPTED> - HTTP::uri: command is not valid in event CLIENT_ACCEPTED", 0) == 0);
}

// Not run by default: ./unit_tests "[.bench]"
TEST_CASE("microseconds per fire", "[.bench]") {
  REQUIRE(log_open("/dev/null"));
  constexpr int kFires = 100000;
  auto per_fire_us = [](auto&& body, int fires) {
    auto start = std::chrono::steady_clock::now();
    body();
    std::chrono::duration<double, std::micro> elapsed = std::chrono::steady_clock::now() - start;
    return elapsed.count() / fires;
  };
  {
    Harness h({{"/Common/allow-ws", kAllowWs}});
    Conn c(h);
    c.request.method = "GET";
    c.request.uri = "/";
    c.request.headers.add("Host", "gw");
    c.request.headers.add("Upgrade", "websocket");
    c.tx.request = &c.request;
    double us = per_fire_us([&] { for (int i = 0; i < kFires; ++i) h.engine->fire(h.vs(), Event::HttpRequest, c.tx); },
                            kFires);
    WARN("allow-ws (upgrade, 2 log lines to /dev/null): " << us << " us/fire");
  }
  {
    const char* quiet = "when HTTP_REQUEST {\n if { \"websocket\" eq [string tolower [HTTP::header value \"Upgrade\"]] } {\n"
                        "  HTTP::disable\n }\n}\n";
    Harness h({{"/Common/allow-ws-quiet", quiet}});
    Conn c(h);
    c.request.headers.add("Upgrade", "websocket");
    c.tx.request = &c.request;
    double us = per_fire_us([&] { for (int i = 0; i < kFires; ++i) h.engine->fire(h.vs(), Event::HttpRequest, c.tx); },
                            kFires);
    WARN("allow-ws without its log lines: " << us << " us/fire");
  }
  {
    Harness h({{"/Common/vars",
                "when CLIENT_ACCEPTED { set a [IP::client_addr] ; set b [TCP::client_port] ; set c 0 }\n"
                "when HTTP_REQUEST { if { $a ne \"\" && $b > 0 } { incr c } }\n"}});
    RequestHead request;
    double us = per_fire_us(
        [&] {
          for (int i = 0; i < kFires / 2; ++i) {
            Transaction tx;
            tx.client_addr = "10.0.0.1";
            tx.client_port = 5000;
            h.engine->fire(h.vs(), Event::ClientAccepted, tx);
            tx.request = &request;
            h.engine->fire(h.vs(), Event::HttpRequest, tx);
          }
        },
        kFires);
    WARN("3 variables set in CLIENT_ACCEPTED, read in HTTP_REQUEST (new connection each 2 fires): " << us
                                                                                                   << " us/fire");
  }
  log_open("");
}

TEST_CASE("RULE_INIT runs once per engine, by priority, and its static:: variables reach every connection",
          "[tclext]") {
  LogCapture log;
  Harness h({{"/Common/a",
              "when RULE_INIT { set static::greeting hello\n set local_only 1\n log -noname local0. init-a }\n"
              "when HTTP_REQUEST { log -noname local0. \"$static::greeting [info exists local_only]\" }\n"},
             {"/Common/b", "when RULE_INIT priority 100 { log -noname local0. init-b }\n"}});
  CHECK(log.messages() == std::vector<std::string>{"init-b", "init-a"});
  Conn one(h, 40001);
  Conn two(h, 40002);
  REQUIRE(one.http_request() == RuleOutcome::Continue);
  REQUIRE(two.http_request() == RuleOutcome::Continue);
  CHECK(log.messages() == std::vector<std::string>{"init-b", "init-a", "hello 0", "hello 0"});
}

TEST_CASE("a failing RULE_INIT is logged and the rule stays loaded", "[tclext]") {
  LogCapture log;
  Harness h({{"/Common/a", "when RULE_INIT { error boom }\nwhen HTTP_REQUEST { log -noname local0. served }\n"}});
  Conn c(h);
  REQUIRE(c.http_request() == RuleOutcome::Continue);
  const auto messages = log.messages();
  REQUIRE(messages.size() == 2);
  CHECK(messages[0].rfind("TCL error: /Common/a <RULE_INIT> - boom", 0) == 0);
  CHECK(messages[1] == "served");
}

TEST_CASE("event disable is per rule and per connection, event enable, info and name", "[tclext]") {
  LogCapture log;
  Harness h({{"/Common/a",
              "when HTTP_REQUEST { log -noname local0. \"a [event name] [event info]\"\n event disable }\n"
              "when HTTP_REQUEST priority 900 { log -noname local0. a-late }\n"
              "when HTTP_RESPONSE { log -noname local0. a-response\n event HTTP_REQUEST enable }\n"},
             {"/Common/b", "when HTTP_REQUEST { log -noname local0. b\n if {[HTTP::uri] eq \"/all\"} { event disable all } }\n"
                           "when HTTP_RESPONSE { log -noname local0. b-response }\n"}});
  Conn c(h, 40001);
  REQUIRE(c.http_request() == RuleOutcome::Continue);   // a disables HTTP_REQUEST for itself
  REQUIRE(c.http_request() == RuleOutcome::Continue);   // only b now
  REQUIRE(c.http_response() == RuleOutcome::Continue);  // a enables it again
  REQUIRE(c.http_request() == RuleOutcome::Continue);
  CHECK(log.messages() == std::vector<std::string>{"a HTTP_REQUEST HTTP_REQUEST HTTP_RESPONSE", "b", "b",
                                                   "a-response", "b-response",
                                                   "a HTTP_REQUEST HTTP_REQUEST HTTP_RESPONSE", "b"});
  Conn other(h, 40002);   // another connection is untouched
  REQUIRE(other.http_request() == RuleOutcome::Continue);
  CHECK(log.messages().size() == 9);

  LogCapture all;
  Conn d(h, 40003);
  d.http_request();
  d.request.uri = "/all";
  d.tx.request = &d.request;
  REQUIRE(h.engine->fire(h.vs(), Event::HttpRequest, d.tx) == RuleOutcome::Continue);   // b: disable all
  REQUIRE(d.http_response() == RuleOutcome::Continue);
  CHECK(all.messages() == std::vector<std::string>{"a HTTP_REQUEST HTTP_REQUEST HTTP_RESPONSE", "b", "b",
                                                   "a-response"});
}

TEST_CASE("event checks its arguments", "[tclext]") {
  LogCapture log;
  Harness h({{"/Common/a", "when HTTP_REQUEST { catch { event NO_SUCH_EVENT disable } e\n log -noname local0. $e\n"
                           " catch { event sideways } e\n log -noname local0. $e }\n"}});
  Conn c(h);
  REQUIRE(c.http_request() == RuleOutcome::Continue);
  CHECK(log.messages() == std::vector<std::string>{
                              "event: unknown event \"NO_SUCH_EVENT\"",
                              "wrong # args: should be \"event ?name? enable|disable | disable all | enable all | info | name\""});
}
