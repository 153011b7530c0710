// min-up-members: which monitor targets carry a pool's check (members of a pool with
// min-up-members-checking enabled, and their nodes), and the check's log lines when the pool falls
// below its minimum and comes back, driven by the member state a monitor would publish.
#include <catch2/catch.hpp>

#include "test/unit/core_config_test_util.h"
#include "test/unit/log_capture.h"

#include <string>
#include <vector>

#include "core/monitor_targets.h"

using namespace irulesd;
using irulesd::test::LogCapture;

namespace {

// Pool /Common/mup_P with three monitored members on 10.9.N.1-3:80, and extra pool properties.
std::string pool_config(const std::string& pool, const std::string& properties, const std::string& net = "10.9.1") {
  return "ltm monitor tcp /Common/t { defaults-from /Common/tcp }\n"
         "ltm pool /Common/" + pool + " {\n"
         "    members {\n"
         "        /Common/a:80 { address " + net + ".1 }\n"
         "        /Common/b:80 { address " + net + ".2 }\n"
         "        /Common/c:80 { address " + net + ".3 }\n"
         "    }\n"
         "    monitor /Common/t\n" + properties + "}\n";
}

std::vector<std::string> pool_lines(const LogCapture& log, const std::string& pool) {
  std::vector<std::string> out;
  for (const std::string& m : log.messages()) {
    if (m.rfind("Pool /Common/" + pool + ": ", 0) == 0) out.push_back(m);
  }
  return out;
}

}  // namespace

TEST_CASE("min-up-members-checking enabled: every member target of the pool carries one check", "[min-up-members]") {
  auto config = config_test::parse_ok(pool_config(
      "mup_a", "    min-up-members 2\n    min-up-members-action restart-all\n    min-up-members-checking enabled\n"));
  std::vector<MonitorTarget> targets = monitor_targets(*config);
  REQUIRE(targets.size() == 3);
  for (const MonitorTarget& t : targets) {
    REQUIRE(t.pool_watches.size() == 1);
    CHECK(t.pool_watches[0] == targets[0].pool_watches[0]);
  }
  const PoolUpWatch& watch = *targets[0].pool_watches[0];
  CHECK(watch.pool_name == "/Common/mup_a");
  CHECK(watch.min_up_members == 2);
  CHECK(watch.action == "restart-all");
  CHECK(watch.members.size() == 3);
  CHECK(watch.up_count() == 3);
}

TEST_CASE("without min-up-members-checking, or with a minimum of 0, there is no check", "[min-up-members]") {
  SECTION("checking disabled (BIG-IP's default)") {
    auto config = config_test::parse_ok(pool_config("mup_b", "    min-up-members 2\n"));
    for (const MonitorTarget& t : monitor_targets(*config)) CHECK(t.pool_watches.empty());
  }
  SECTION("checking enabled, min-up-members 0") {
    auto config = config_test::parse_ok(pool_config("mup_c", "    min-up-members-checking enabled\n"));
    for (const MonitorTarget& t : monitor_targets(*config)) CHECK(t.pool_watches.empty());
  }
}

TEST_CASE("a node monitor's target counts in the checks of pools with a member on the node", "[min-up-members]") {
  auto config = config_test::parse_ok(
      "ltm monitor tcp /Common/t { defaults-from /Common/tcp destination *:80 }\n"
      "ltm node /Common/n1 { address 10.9.4.1 monitor /Common/t }\n"
      "ltm node /Common/n2 { address 10.9.4.9 monitor /Common/t }\n"
      "ltm pool /Common/mup_d {\n"
      "    members { /Common/n1:80 { address 10.9.4.1 } /Common/x:80 { address 10.9.4.2 } }\n"
      "    min-up-members 1\n    min-up-members-checking enabled\n}\n");
  std::vector<MonitorTarget> targets = monitor_targets(*config);
  REQUIRE(targets.size() == 2);   // the two node monitors; the pool's members have none of their own
  for (const MonitorTarget& t : targets) {
    INFO(t.log_name);
    CHECK(t.pool_watches.size() == (t.address == "10.9.4.1" ? 1u : 0u));
  }
}

TEST_CASE("the check logs a fall below min-up-members once, and the return", "[min-up-members]") {
  LogCapture log;
  auto config = config_test::parse_ok(pool_config(
      "mup_e", "    min-up-members 2\n    min-up-members-checking enabled\n", "10.9.2"));
  std::vector<MonitorTarget> targets = monitor_targets(*config);
  REQUIRE(targets.size() == 3);
  PoolUpWatch& watch = *targets[0].pool_watches[0];
  watch.check(true);
  CHECK(pool_lines(log, "mup_e").empty());

  targets[0].stats->monitor_up = false;   // 2 of 3 up: still the minimum
  watch.check();
  CHECK(pool_lines(log, "mup_e").empty());
  targets[1].stats->monitor_up = false;   // 1 of 3
  watch.check();
  watch.check();                          // no change: no second line
  targets[2].stats->monitor_up = false;   // 0 of 3: still below, nothing new
  watch.check();
  CHECK(pool_lines(log, "mup_e") ==
        std::vector<std::string>{"Pool /Common/mup_e: 1 of 3 members up, fewer than min-up-members 2; "
                                 "min-up-members-action failover not taken (irulesd is not part of an HA cluster)"});
  targets[0].stats->monitor_up = true;
  targets[1].stats->monitor_up = true;
  watch.check();
  CHECK(pool_lines(log, "mup_e").size() == 2);
  CHECK(pool_lines(log, "mup_e").back() == "Pool /Common/mup_e: 2 of 3 members up, min-up-members 2 met again");
  targets[2].stats->monitor_up = true;
}

TEST_CASE("a member whose node is down is not up for min-up-members", "[min-up-members]") {
  LogCapture log;
  auto config = config_test::parse_ok(pool_config(
      "mup_f", "    min-up-members 3\n    min-up-members-checking enabled\n", "10.9.3"));
  std::vector<MonitorTarget> targets = monitor_targets(*config);
  PoolUpWatch& watch = *targets[0].pool_watches[0];
  watch.check(true);
  watch.nodes[1]->monitor_up = false;
  CHECK(watch.up_count() == 2);
  watch.check();
  watch.nodes[1]->monitor_up = true;
  watch.check();
  CHECK(pool_lines(log, "mup_f").size() == 2);
}

TEST_CASE("quiet: a check made where the pool already stands below logs nothing", "[min-up-members]") {
  LogCapture log;
  auto config = config_test::parse_ok(pool_config(
      "mup_g", "    min-up-members 3\n    min-up-members-checking enabled\n", "10.9.5"));
  std::vector<MonitorTarget> targets = monitor_targets(*config);
  targets[0].stats->monitor_up = false;
  PoolUpWatch& watch = *targets[0].pool_watches[0];
  watch.check(true);   // as after a reload: the pool was already below
  watch.check();
  CHECK(pool_lines(log, "mup_g").empty());
  targets[0].stats->monitor_up = true;
  watch.check();
  CHECK(pool_lines(log, "mup_g") ==
        std::vector<std::string>{"Pool /Common/mup_g: 3 of 3 members up, min-up-members 3 met again"});
}
