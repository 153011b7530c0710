// LB::select (a load-balancing choice made now, through a real config version's pool runtime, and
// pinned), translate and forward (loaded; what a full proxy cannot honour is a runtime error).
#include <catch2/catch.hpp>

#include "test/unit/log_capture.h"
#include "test/unit/rule_config.h"

#include <string>
#include <vector>

#include "core/config_version.h"
#include "core/log.h"
#include "tclext/tcl_rule_engine.h"

using namespace irulesd;
using namespace irulesd::tclext;

using irulesd::test::LogCapture;
using irulesd::test::one_rule_config;

namespace {

struct Result {
  RuleOutcome outcome;
  std::vector<std::string> log;
  std::string selected_pool;
  std::string selected_addr;
  uint16_t selected_port = 0;
};

// Fires `when EVENT { SCRIPT }` `times` times on one connection of the one-rule config (web_pool:
// 10.0.0.1:80 and 10.0.0.2:80, round robin), with the config version's live pool states; `setup`
// may change the config (the virtual's default pool) and the version (members down).
template <typename Setup>
Result run(Event event, const std::string& script, int times, Setup&& setup) {
  LogCapture log;
  auto config = one_rule_config(std::string("when ") + event_name(event) + " {\n" + script + "\n}\n");
  config->virtuals.front().pool = "/Common/web_pool";
  config->virtuals.front().dest_port = 8080;
  std::vector<ConfigError> errors;
  auto version = make_config_version(config, 1, errors);
  REQUIRE(errors.empty());
  setup(*version);
  REQUIRE(make_tcl_rule_engine_factory()->check(*config).empty());
  Result result{};
  {
    TclRuleEngine engine(config);
    RequestHead request;
    request.method = "GET";
    request.uri = "/";
    for (int i = 0; i < times; ++i) {
      Transaction tx;
      tx.virtual_name = "/Common/vs";
      tx.pool_states = version.get();
      if (event == Event::HttpRequest) tx.request = &request;
      result.outcome = engine.fire(config->virtuals.front(), event, tx);
      result.selected_pool = tx.selected_pool;
      result.selected_addr = tx.selected_node_addr;
      result.selected_port = tx.selected_node_port;
      tx.rule_scope.reset();
    }
  }
  result.log = log.messages();
  return result;
}

Result run(Event event, const std::string& script, int times = 1) {
  return run(event, script, times, [](ConfigVersion&) {});
}

}  // namespace

TEST_CASE("LB::select chooses by the pool's method, pins the member and returns the pool command", "[lb_select]") {
  Result r = run(Event::HttpRequest, "log -noname local0. [LB::select]", 3);
  CHECK(r.outcome == RuleOutcome::Continue);
  // Round robin: each connection's LB::select is a turn of the pool's rotation.
  CHECK(r.log == std::vector<std::string>{"pool /Common/web_pool member 10.0.0.1 80",
                                          "pool /Common/web_pool member 10.0.0.2 80",
                                          "pool /Common/web_pool member 10.0.0.1 80"});
  CHECK(r.selected_pool == "/Common/web_pool");
  CHECK(r.selected_addr == "10.0.0.1");
  CHECK(r.selected_port == 80);
}

TEST_CASE("LB::select twice gives the same choice, eval of its answer keeps it", "[lb_select]") {
  Result r = run(Event::HttpRequest,
                 "set a [LB::select]\n"
                 "set b [LB::select]\n"
                 "eval $a\n"
                 "log -noname local0. \"[expr {$a eq $b}] $a\"");
  CHECK(r.outcome == RuleOutcome::Continue);
  CHECK(r.log == std::vector<std::string>{"1 pool /Common/web_pool member 10.0.0.1 80"});
  CHECK(r.selected_addr == "10.0.0.1");
}

TEST_CASE("LB::select uses the rule's pool, and answers a node choice as node", "[lb_select]") {
  Result pool = run(Event::ClientAccepted, "pool api_pool\nlog -noname local0. [LB::select]");
  CHECK(pool.log == std::vector<std::string>{"pool /Common/api_pool member 10.0.0.1 80"});
  CHECK(pool.selected_pool == "/Common/api_pool");
  Result member = run(Event::ClientAccepted, "pool web_pool member 10.0.0.2 80\nlog -noname local0. [LB::select]");
  CHECK(member.log == std::vector<std::string>{"pool /Common/web_pool member 10.0.0.2 80"});
  Result node = run(Event::ClientAccepted, "node 192.0.2.9\nlog -noname local0. [LB::select]");
  CHECK(node.log == std::vector<std::string>{"node 192.0.2.9 8080"});   // no port: the virtual's
  CHECK(node.selected_pool.empty());
}

TEST_CASE("LB::select skips members that are down and is empty when none is up", "[lb_select]") {
  Result one_down = run(Event::HttpRequest, "log -noname local0. [LB::select]", 2, [](ConfigVersion& version) {
    version.pools[0]->member_stats[0]->monitor_up.store(false);
  });
  CHECK(one_down.log == std::vector<std::string>{"pool /Common/web_pool member 10.0.0.2 80",
                                                 "pool /Common/web_pool member 10.0.0.2 80"});
  Result all_down = run(Event::HttpRequest, "log -noname local0. \"<[LB::select]>\"", 1, [](ConfigVersion& version) {
    for (auto& stats : version.pools[0]->member_stats) stats->monitor_up.store(false);
  });
  CHECK(all_down.log == std::vector<std::string>{"<>"});
  CHECK(all_down.selected_addr.empty());   // nothing pinned: the core's choice fails (LB_FAILED)
  Result empty = run(Event::HttpRequest, "pool empty_pool\nlog -noname local0. \"<[LB::select]>\"");
  CHECK(empty.log == std::vector<std::string>{"<>"});
}

TEST_CASE("LB::select errors", "[lb_select]") {
  Result args = run(Event::HttpRequest, "LB::select now");
  CHECK(args.outcome == RuleOutcome::Reset);
  REQUIRE(args.log.size() == 1);
  CHECK(args.log[0].rfind("TCL error: /Common/r <HTTP_REQUEST> - wrong # args: should be \"LB::select\"", 0) == 0);
  auto config = one_rule_config("when HTTP_RESPONSE {\n  LB::select\n}\n");
  const std::vector<ConfigError> errors = make_tcl_rule_engine_factory()->check(*config);
  REQUIRE(errors.size() == 1);
  CHECK(errors[0].str() ==
        "/etc/irulesd/bigip.conf:2: rule /Common/r: command \"LB::select\" is not valid in event HTTP_RESPONSE");
}

TEST_CASE("translate enable is a no-op, disable and forward are runtime errors that say why", "[lb_select][translate]") {
  Result enable = run(Event::ClientAccepted,
                      "translate address enable\ntranslate port enable\ntranslate service enable\n"
                      "log -noname local0. \"ok <[translate address enable]>\"");
  CHECK(enable.outcome == RuleOutcome::Continue);
  CHECK(enable.log == std::vector<std::string>{"ok <>"});

  struct Case {
    const char* script;
    const char* message;
  };
  const Case cases[] = {
      {"translate address disable",
       "translate address disable: not supported by irulesd, which always connects to the chosen member's address"},
      {"translate port disable",
       "translate port disable: not supported by irulesd, which always connects to the chosen member's port"},
      {"translate service disable",
       "translate service disable: not supported by irulesd, which always connects to the chosen member's port"},
      {"translate address", "wrong # args: should be \"translate address|port|service enable|disable\""},
      {"translate vlan enable", "translate: bad option \"vlan\": must be address, port or service"},
      {"translate port on", "translate: bad value \"on\": must be enable or disable"},
      {"forward", "forward: not supported by irulesd, which proxies every connection to a pool member or node and "
                  "cannot route it to its original destination"},
      {"forward now", "wrong # args: should be \"forward\""},
  };
  for (const Case& c : cases) {
    INFO(c.script);
    Result r = run(Event::ClientAccepted, c.script);
    CHECK(r.outcome == RuleOutcome::Reset);
    REQUIRE(r.log.size() == 1);
    CHECK(r.log[0].rfind(std::string("TCL error: /Common/r <CLIENT_ACCEPTED> - ") + c.message, 0) == 0);
  }
  // Both load (they were unknown commands before); not after the server is chosen.
  auto config = one_rule_config("when HTTP_RESPONSE {\n  forward\n}\n");
  const std::vector<ConfigError> errors = make_tcl_rule_engine_factory()->check(*config);
  REQUIRE(errors.size() == 1);
  CHECK(errors[0].str() == "/etc/irulesd/bigip.conf:2: rule /Common/r: command \"forward\" is not valid in event HTTP_RESPONSE");
}
