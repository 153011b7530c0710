// Pools, members, nodes, monitor rules and ltm default-node-monitor: every property into the model,
// every bad value's message and line.
#include <catch2/catch.hpp>

#include "core/config.h"
#include "test/unit/core_config_test_util.h"

using namespace irulesd;
using namespace config_test;

namespace {

std::string pool_with(const std::string& props) {
  return "ltm pool /Common/p {\n" + props + "}\n";
}

std::string member_with(const std::string& props) {
  return "ltm pool /Common/p {\n    members {\n        /Common/n:80 {\n            address 10.0.0.1\n" + props +
         "        }\n    }\n}\n";
}

}  // namespace

TEST_CASE("config pool: every load-balancing mode, in tmsh's spelling", "[config]") {
  const std::pair<const char*, LbMode> modes[] = {
      {"round-robin", LbMode::RoundRobin},
      {"ratio-member", LbMode::RatioMember},
      {"ratio-node", LbMode::RatioNode},
      {"least-connections-member", LbMode::LeastConnectionsMember},
      {"least-connections-node", LbMode::LeastConnectionsNode},
      {"weighted-least-connections-member", LbMode::WeightedLeastConnectionsMember},
      {"weighted-least-connections-node", LbMode::WeightedLeastConnectionsNode},
      {"ratio-least-connections-member", LbMode::RatioLeastConnectionsMember},
      {"ratio-least-connections-node", LbMode::RatioLeastConnectionsNode},
      {"fastest-node", LbMode::FastestNode},
      {"fastest-app-response", LbMode::FastestAppResponse},
      {"observed-member", LbMode::ObservedMember},
      {"observed-node", LbMode::ObservedNode},
      {"predictive-member", LbMode::PredictiveMember},
      {"predictive-node", LbMode::PredictiveNode},
  };
  for (const auto& [name, mode] : modes) {
    INFO(name);
    auto c = parse_ok(pool_with(std::string("    load-balancing-mode ") + name + "\n"));
    CHECK(c->pools[0].lb_mode == mode);
    CHECK(std::string(lb_mode_tmsh_name(mode)) == name);
  }
  // The plural some hand-written files carry.
  CHECK(parse_ok(pool_with("    load-balancing-mode least-connections-members\n"))->pools[0].lb_mode ==
        LbMode::LeastConnectionsMember);
  CHECK(parse_ok(pool_with(""))->pools[0].lb_mode == LbMode::RoundRobin);
}

TEST_CASE("config pool: the modes irulesd lacks name the one to use", "[config]") {
  expect_exact(pool_with("    load-balancing-mode dynamic-ratio-member\n"), 2,
               "ltm pool /Common/p: load-balancing-mode dynamic-ratio-member is not supported (it reads ratios from "
               "BIG-IP plug-ins on the servers): use observed-member");
  expect_exact(pool_with("    load-balancing-mode dynamic-ratio-node\n"), 2,
               "ltm pool /Common/p: load-balancing-mode dynamic-ratio-node is not supported (it reads ratios from "
               "BIG-IP plug-ins on the servers): use observed-node");
  expect_exact(pool_with("    load-balancing-mode least-sessions\n"), 2,
               "ltm pool /Common/p: load-balancing-mode least-sessions is not supported (it counts persistence "
               "records): use least-connections-member");
  expect_exact(pool_with("    load-balancing-mode ratio-session\n"), 2,
               "ltm pool /Common/p: load-balancing-mode ratio-session is not supported (it weighs persistence "
               "sessions): use ratio-member");
  expect_exact(pool_with("    load-balancing-mode fastest\n"), 2,
               "ltm pool /Common/p: load-balancing-mode fastest is not a BIG-IP load-balancing method");
  expect_exact(pool_with("    load-balancing-mode { round-robin }\n"), 2,
               "ltm pool /Common/p: load-balancing-mode takes a value, not a { } block");
}

TEST_CASE("config pool: BIG-IP's defaults", "[config]") {
  auto c = parse_ok(pool_with(""));
  const Pool& p = c->pools[0];
  CHECK(p.monitor.kind == MonitorRule::Kind::None);
  CHECK(p.min_active_members == 0);
  CHECK(p.min_up_members == 0);
  CHECK(p.min_up_members_action == MinUpMembersAction::Failover);
  CHECK_FALSE(p.min_up_members_checking);
  CHECK(p.service_down_action == ServiceDownAction::None);
  CHECK(p.reselect_tries == 0);
  CHECK(p.slow_ramp_time_s == 10);
  CHECK(p.description.empty());
}

TEST_CASE("config pool: properties into the model", "[config]") {
  auto c = parse_ok(pool_with(
      "    min-active-members 2\n    min-up-members 1\n    min-up-members-action restart-all\n"
      "    min-up-members-checking enabled\n    service-down-action reselect\n    reselect-tries 3\n"
      "    slow-ramp-time 0\n    description \"web { tier }\"\n    allow-nat yes\n    allow-snat yes\n"
      "    ignore-persisted-weight disabled\n    ip-tos-to-client pass-through\n    ip-tos-to-server pass-through\n"
      "    link-qos-to-client pass-through\n    link-qos-to-server pass-through\n"
      "    queue-on-connection-limit disabled\n    queue-depth-limit 0\n    queue-time-limit 0\n"
      "    app-service none\n    partition Common\n    profiles { }\n"));
  const Pool& p = c->pools[0];
  CHECK(p.min_active_members == 2);
  CHECK(p.min_up_members == 1);
  CHECK(p.min_up_members_action == MinUpMembersAction::RestartAll);
  CHECK(p.min_up_members_checking);
  CHECK(p.service_down_action == ServiceDownAction::Reselect);
  CHECK(p.reselect_tries == 3);
  CHECK(p.slow_ramp_time_s == 0);
  CHECK(p.description == "web { tier }");
  CHECK(parse_ok(pool_with("    service-down-action none\n"))->pools[0].service_down_action == ServiceDownAction::None);
  CHECK(parse_ok(pool_with("    service-down-action reset\n"))->pools[0].service_down_action == ServiceDownAction::Reset);
  CHECK(parse_ok(pool_with("    service-down-action drop\n"))->pools[0].service_down_action == ServiceDownAction::Drop);
  CHECK(parse_ok(pool_with("    min-up-members-action reboot\n"))->pools[0].min_up_members_action ==
        MinUpMembersAction::Reboot);
  CHECK(parse_ok(pool_with("    min-up-members-action failover\n"))->pools[0].min_up_members_action ==
        MinUpMembersAction::Failover);
  CHECK_FALSE(parse_ok(pool_with("    min-up-members-checking disabled\n"))->pools[0].min_up_members_checking);
}

TEST_CASE("config pool: bad pool values", "[config]") {
  expect_exact(pool_with("    service-down-action restart\n"), 2,
               "ltm pool /Common/p: service-down-action restart must be none, reset, drop or reselect");
  expect_exact(pool_with("    min-active-members -1\n"), 2,
               "ltm pool /Common/p: min-active-members -1 is not an integer from 0 to 65535");
  expect_exact(pool_with("    min-up-members 70000\n"), 2, "ltm pool /Common/p: min-up-members 70000 is more than 65535");
  expect_exact(pool_with("    min-up-members-action halt\n"), 2,
               "ltm pool /Common/p: min-up-members-action halt must be failover, reboot or restart-all");
  expect_exact(pool_with("    min-up-members-checking on\n"), 2,
               "ltm pool /Common/p: min-up-members-checking on must be enabled or disabled");
  expect_exact(pool_with("    reselect-tries many\n"), 2,
               "ltm pool /Common/p: reselect-tries many is not an integer from 0 to 65535");
  expect_exact(pool_with("    slow-ramp-time 1.5\n"), 2,
               "ltm pool /Common/p: slow-ramp-time 1.5 is not an integer from 0 to 4294967295");
  expect_exact(pool_with("    reselect-tries\n"), 2, "ltm pool /Common/p: reselect-tries is missing its value");
  expect_exact(pool_with("    allow-snat no\n"), 2, "ltm pool /Common/p: allow-snat no is not supported (yes only)");
  expect_exact(pool_with("    allow-nat no\n"), 2, "ltm pool /Common/p: allow-nat no is not supported (yes only)");
  expect_exact(pool_with("    ip-tos-to-client mimic\n"), 2,
               "ltm pool /Common/p: ip-tos-to-client mimic is not supported (pass-through only)");
  expect_exact(pool_with("    queue-depth-limit 66\n"), 2,
               "ltm pool /Common/p: queue-depth-limit 66 is not supported (0 only)");
  expect_exact(pool_with("    queue-on-connection-limit enabled\n"), 2,
               "ltm pool /Common/p: queue-on-connection-limit enabled is not supported (disabled only)");
  expect_exact(pool_with("    profiles {\n        /Common/nvgre\n    }\n"), 2,
               "ltm pool /Common/p: profiles on a pool are not supported");
}

TEST_CASE("config pool: member properties into the model", "[config]") {
  auto c = parse_ok(member_with(
      "            ratio 3\n            priority-group 2\n            connection-limit 100\n"
      "            monitor /Common/http\n            session user-disabled\n            state user-down\n"
      "            description \"the first\"\n            dynamic-ratio 1\n            rate-limit disabled\n"
      "            inherit-profile enabled\n            logging disabled\n            app-service none\n"));
  const PoolMember& m = c->pools[0].members[0];
  CHECK(m.ratio == 3);
  CHECK(m.priority_group == 2);
  CHECK(m.connection_limit == 100);
  CHECK(m.monitor.kind == MonitorRule::Kind::Rule);
  CHECK(m.monitor.monitors == std::vector<std::string>{"/Common/http"});
  CHECK(m.monitor.line == 8);
  CHECK(m.user_disabled);
  CHECK(m.user_down);
  CHECK(m.description == "the first");

  const auto defaults = parse_ok(member_with(""));   // kept alive: d refers into it
  const PoolMember& d = defaults->pools[0].members[0];
  CHECK(d.ratio == 1);
  CHECK(d.priority_group == 0);
  CHECK(d.connection_limit == 0);
  CHECK(d.monitor.kind == MonitorRule::Kind::Inherit);
  CHECK_FALSE(d.user_disabled);
  CHECK_FALSE(d.user_down);
}

TEST_CASE("config pool: member session and state as tmsh saves them", "[config]") {
  struct Case {
    const char* props;
    bool disabled;
    bool down;
  };
  const Case cases[] = {
      {"session monitor-enabled state up", false, false},
      {"session user-enabled state down", false, false},
      {"session user-disabled state up", true, false},
      {"session user-disabled state user-down", true, true},
      {"state user-up", false, false},
      {"state unchecked", false, false},
      {"state checking", false, false},
      {"state user-down", false, true},
  };
  for (const Case& k : cases) {
    INFO(k.props);
    const auto parsed = parse_ok(member_with(std::string("            ") + k.props + "\n"));
    const PoolMember& m = parsed->pools[0].members[0];
    CHECK(m.user_disabled == k.disabled);
    CHECK(m.user_down == k.down);
  }
  expect_exact(member_with("            session disabled\n"), 5,
               "ltm pool /Common/p member /Common/n:80: session disabled must be user-enabled, user-disabled or "
               "monitor-enabled");
  expect_exact(member_with("            state forced-offline\n"), 5,
               "ltm pool /Common/p member /Common/n:80: state forced-offline must be up, down, unchecked, checking, "
               "user-up or user-down");
}

TEST_CASE("config pool: bad member values", "[config]") {
  const std::string m = "ltm pool /Common/p member /Common/n:80: ";
  expect_exact(member_with("            ratio 0\n"), 5, m + "ratio 0 is not a positive integer");
  expect_exact(member_with("            ratio 65536\n"), 5, m + "ratio 65536 is more than 65535");
  expect_exact(member_with("            priority-group x\n"), 5, m + "priority-group x is not an integer from 0 to 65535");
  expect_exact(member_with("            connection-limit 4294967296\n"), 5,
               m + "connection-limit 4294967296 is more than 4294967295");
  expect_exact(member_with("            dynamic-ratio 5\n"), 5, m + "dynamic-ratio 5 is not supported (1 only)");
  expect_exact(member_with("            rate-limit 100\n"), 5, m + "rate-limit 100 is not supported (disabled or 0 only)");
  expect_exact(member_with("            profiles { /Common/x }\n"), 5, m + "profiles on a pool member are not supported");
  expect_exact(
      "ltm pool /Common/p {\n    members {\n        /Common/dw1.lab.io:8443 {\n            fqdn {\n"
      "                autopopulate enabled\n                name dude1.where.io\n            }\n        }\n    }\n}\n",
      4, "ltm pool /Common/p member /Common/dw1.lab.io:8443: fqdn members are not supported (give the member an address)");
}

TEST_CASE("config pool: node properties into the model", "[config]") {
  auto c = parse_ok(
      "ltm node /Common/n {\n    address 10.0.0.1\n    ratio 4\n    connection-limit 7\n    monitor /Common/gateway_icmp\n"
      "    session user-disabled\n    state user-down\n    description bigiq01\n    dynamic-ratio 1\n"
      "    rate-limit disabled\n    logging disabled\n    app-service none\n}\n"
      "ltm node /Common/d { address 10.0.0.2 }\n");
  const Node& n = c->nodes[0];
  CHECK(n.address == "10.0.0.1");
  CHECK(n.ratio == 4);
  CHECK(n.connection_limit == 7);
  CHECK(n.monitor.monitors == std::vector<std::string>{"/Common/gateway_icmp"});
  CHECK(n.user_disabled);
  CHECK(n.user_down);
  CHECK(n.description == "bigiq01");
  const Node& d = c->nodes[1];
  CHECK(d.ratio == 1);
  CHECK(d.connection_limit == 0);
  CHECK(d.monitor.kind == MonitorRule::Kind::Inherit);
  CHECK(c->find_node("d") == &c->nodes[1]);
  CHECK(c->find_node("/Common/x") == nullptr);

  expect_exact("ltm node /Common/n {\n    address 10.0.0.1\n    ratio none\n}\n", 3,
               "ltm node /Common/n: ratio none is not a positive integer");
  expect_exact("ltm node /Common/n {\n    fqdn {\n        name api.chucknorris.io\n    }\n}\n", 2,
               "ltm node /Common/n: fqdn nodes are not supported (give the node an address)");
  expect_exact("ltm node /Common/n {\n    address 10.0.0.1\n    state disabled\n}\n", 3,
               "ltm node /Common/n: state disabled must be up, down, unchecked, checking, user-up or user-down");
}

TEST_CASE("config pool: monitor rules", "[config]") {
  auto c = parse_ok(
      "ltm monitor http /Common/m1 { defaults-from /Common/http }\n"
      "ltm pool a { monitor /Common/http }\n"
      "ltm pool b { monitor /Common/http and /Common/tcp and m1 }\n"
      "ltm pool c {\n    monitor min 2 of { /Common/gateway_icmp /Common/http m1 }\n}\n"
      "ltm pool d { monitor none }\n"
      // one line: the rule ends where its grammar does
      "ltm pool e { monitor /Common/tcp and m1 members { n:80 { address 10.0.0.1 monitor none } } }\n"
      "ltm pool f { members { n:81 { address 10.0.0.1 monitor default } n:82 { address 10.0.0.1 monitor "
      "min 1 of { tcp http } } } }\n");
  const auto& p = c->pools;
  CHECK(p[0].monitor.kind == MonitorRule::Kind::Rule);
  CHECK(p[0].monitor.monitors == std::vector<std::string>{"/Common/http"});
  CHECK(p[0].monitor.min_up == 0);
  CHECK(p[0].monitor.required() == 1);
  CHECK(p[1].monitor.monitors == std::vector<std::string>{"/Common/http", "/Common/tcp", "/Common/m1"});
  CHECK(p[1].monitor.required() == 3);
  CHECK(p[2].monitor.monitors == std::vector<std::string>{"/Common/gateway_icmp", "/Common/http", "/Common/m1"});
  CHECK(p[2].monitor.min_up == 2);
  CHECK(p[2].monitor.required() == 2);
  CHECK(p[2].monitor.line == 5);
  CHECK(p[3].monitor.kind == MonitorRule::Kind::None);
  CHECK(p[4].monitor.monitors == std::vector<std::string>{"/Common/tcp", "/Common/m1"});
  REQUIRE(p[4].members.size() == 1);
  CHECK(p[4].members[0].monitor.kind == MonitorRule::Kind::None);
  CHECK(p[5].members[0].monitor.kind == MonitorRule::Kind::Inherit);
  CHECK(p[5].members[1].monitor.monitors == std::vector<std::string>{"/Common/tcp", "/Common/http"});
  CHECK(p[5].members[1].monitor.min_up == 1);
}

TEST_CASE("config pool: bad monitor rules", "[config]") {
  expect_exact(pool_with("    monitor /Common/nothing\n"), 2, "ltm pool /Common/p: monitor /Common/nothing does not exist");
  expect_exact(pool_with("    monitor /Common/https_head_f5\n"), 2,
               "ltm pool /Common/p: monitor /Common/https_head_f5 is a BIG-IP built-in irulesd does not run (tcp, "
               "http, gateway_icmp and monitors derived from them)");
  expect_exact(pool_with("    monitor /Common/http and /Common/http\n"), 2,
               "ltm pool /Common/p: monitor: monitor /Common/http is named twice");
  expect_exact(pool_with("    monitor /Common/http and\n"), 2,
               "ltm pool /Common/p: monitor: expected a monitor name after and");
  expect_exact(pool_with("    monitor min 3 of { /Common/http /Common/tcp }\n"), 2,
               "ltm pool /Common/p: monitor min 3 of 2 monitors can never be met");
  expect_exact(pool_with("    monitor min 0 of { /Common/http }\n"), 2,
               "ltm pool /Common/p: monitor min: expected min N of { MONITOR ... } with N at least 1");
  expect_exact(pool_with("    monitor min 1 { /Common/http }\n"), 2,
               "ltm pool /Common/p: monitor min: expected min N of { MONITOR ... } with N at least 1");
  expect_exact(pool_with("    monitor default\n"), 2, "ltm pool /Common/p: monitor /Common/default does not exist");
  expect_exact(pool_with("    monitor\n"), 2, "ltm pool /Common/p: monitor is missing its value");
  // A monitor of a type irulesd lacks: one error, at its definition, none where a pool names it.
  expect_all("ltm monitor https /Common/s { defaults-from /Common/https }\n" + pool_with("    monitor /Common/s\n"),
             {"bigip.conf:1: ltm monitor https /Common/s: object type is not supported (monitors: tcp, http and "
              "gateway-icmp)"});
  // Every unknown name of a rule, each once, at the rule's line.
  expect_all(pool_with("    monitor /Common/a and /Common/b\n"),
             {"bigip.conf:2: ltm pool /Common/p: monitor /Common/a does not exist",
              "bigip.conf:2: ltm pool /Common/p: monitor /Common/b does not exist"});
  expect_exact(member_with("            monitor /Common/x\n"), 5,
               "ltm pool /Common/p member /Common/n:80: monitor /Common/x does not exist");
}

TEST_CASE("config pool: node monitors need a port, and ltm default-node-monitor", "[config]") {
  auto c = parse_ok(
      "ltm monitor tcp /Common/t8080 { defaults-from /Common/tcp destination *:8080 }\n"
      "ltm node a { address 10.0.0.1 monitor /Common/t8080 and /Common/gateway_icmp }\n"
      "ltm default-node-monitor {\n    rule /Common/gateway_icmp\n}\n");
  CHECK(c->nodes[0].monitor.monitors.size() == 2);
  CHECK(c->default_node_monitor.kind == MonitorRule::Kind::Rule);
  CHECK(c->default_node_monitor.monitors == std::vector<std::string>{"/Common/gateway_icmp"});
  CHECK(parse_ok("ltm default-node-monitor { rule none }\n")->default_node_monitor.kind == MonitorRule::Kind::None);
  CHECK(parse_ok("")->default_node_monitor.kind == MonitorRule::Kind::None);

  expect_exact("ltm node a {\n    address 10.0.0.1\n    monitor /Common/http\n}\n", 3,
               "ltm node /Common/a: monitor /Common/http probes the member's port and a node has none (give it a "
               "destination with a port, or use a gateway-icmp monitor)");
  expect_exact("ltm default-node-monitor {\n    rule /Common/tcp\n}\n", 2,
               "ltm default-node-monitor: monitor /Common/tcp probes the member's port and a node has none (give it "
               "a destination with a port, or use a gateway-icmp monitor)");
  expect_exact("ltm default-node-monitor { rule none }\nltm default-node-monitor { rule none }\n", 2,
               "ltm default-node-monitor: given twice (first at line 1)");
  expect_exact("ltm default-node-monitor { interval 5 }\n", 1, "ltm default-node-monitor: unknown property interval");
}
