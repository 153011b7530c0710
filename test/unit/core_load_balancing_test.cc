// Load-balancing methods as data: candidates with given counts, ratios, limits and states in; the
// shares each member gets over many choices out.
#include <catch2/catch.hpp>

#include <vector>

#include "core/load_balancing.h"

using namespace irulesd;

namespace {

struct Pool {
  std::vector<EndpointStats> members;
  std::vector<LbCandidate> candidates;
  std::atomic<uint32_t> rotation{0};

  explicit Pool(std::size_t n) : members(n), candidates(n) {
    for (std::size_t i = 0; i < n; ++i) candidates[i].member = &members[i];
  }
  // How many of `picks` choices each member got; every choice opens a connection when `open`.
  std::vector<int> shares(const LbPolicy& policy, int picks, bool open = false, int64_t now_ms = 0) {
    std::vector<int> counts(members.size(), 0);
    for (int i = 0; i < picks; ++i) {
      const int chosen = lb_choose(policy, candidates, rotation, now_ms);
      REQUIRE(chosen >= 0);
      ++counts[static_cast<std::size_t>(chosen)];
      if (open) members[static_cast<std::size_t>(chosen)].connection_opened();
    }
    return counts;
  }
};

LbPolicy policy(LbMethod method) {
  LbPolicy p;
  p.method = method;
  return p;
}

}  // namespace

TEST_CASE("round robin takes every member in turn and skips the ineligible", "[lb]") {
  Pool pool(3);
  CHECK(pool.shares(policy(LbMethod::RoundRobin), 300) == std::vector<int>{100, 100, 100});
  pool.members[1].monitor_up = false;          // down by its monitor
  CHECK(pool.shares(policy(LbMethod::RoundRobin), 300)[1] == 0);
  pool.members[1].monitor_up = true;
  pool.candidates[2].enabled = false;          // user-disabled / user-down
  CHECK(pool.shares(policy(LbMethod::RoundRobin), 300)[2] == 0);
  pool.candidates[0].excluded = true;          // tried already for this request
  CHECK(pool.shares(policy(LbMethod::RoundRobin), 10) == std::vector<int>{0, 10, 0});
  pool.candidates[1].excluded = true;
  CHECK(lb_choose(policy(LbMethod::RoundRobin), pool.candidates, pool.rotation, 0) == -1);
}

TEST_CASE("ratio gives each member its ratio's share", "[lb]") {
  Pool pool(3);
  pool.candidates[0].ratio = 1;
  pool.candidates[1].ratio = 3;
  pool.candidates[2].ratio = 6;
  CHECK(pool.shares(policy(LbMethod::Ratio), 1000) == std::vector<int>{100, 300, 600});
}

TEST_CASE("least connections picks the member with the fewest, in turn among equals", "[lb]") {
  Pool pool(3);
  pool.members[0].connections = 5;
  pool.members[1].connections = 2;
  pool.members[2].connections = 2;
  CHECK(pool.shares(policy(LbMethod::LeastConnections), 10) == std::vector<int>{0, 5, 5});
  // Opening connections as it goes evens them out.
  Pool busy(3);
  busy.members[0].connections = 10;
  CHECK(busy.shares(policy(LbMethod::LeastConnections), 20, true) == std::vector<int>{0, 10, 10});
  CHECK(busy.shares(policy(LbMethod::LeastConnections), 30, true) == std::vector<int>{10, 10, 10});
}

TEST_CASE("the node basis reads the node's counts, shared by every pool", "[lb]") {
  Pool pool(2);
  EndpointStats node_a, node_b;
  node_a.connections = 7;   // busy through another pool
  pool.candidates[0].node = &node_a;
  pool.candidates[1].node = &node_b;
  LbPolicy p = policy(LbMethod::LeastConnections);
  CHECK(pool.shares(p, 4) == std::vector<int>{2, 2});   // members are equal
  p.basis = LbBasis::Node;
  CHECK(pool.shares(p, 4) == std::vector<int>{0, 4});
  node_b.monitor_up = false;   // a node down takes its members down
  CHECK(pool.shares(p, 4) == std::vector<int>{4, 0});
}

TEST_CASE("weighted and ratio least connections divide by the limit or the ratio", "[lb]") {
  Pool pool(2);
  pool.candidates[0].connection_limit = 100;
  pool.candidates[1].connection_limit = 10;
  pool.members[0].connections = 40;   // 40 % used
  pool.members[1].connections = 3;    // 30 % used
  CHECK(pool.shares(policy(LbMethod::WeightedLeastConnections), 1)[1] == 1);
  pool.members[1].connections = 5;    // 50 %
  CHECK(pool.shares(policy(LbMethod::WeightedLeastConnections), 1)[0] == 1);
  Pool ratio(2);
  ratio.candidates[0].ratio = 4;
  ratio.members[0].connections = 8;   // 2 per ratio point
  ratio.members[1].connections = 3;   // 3 per ratio point
  CHECK(ratio.shares(policy(LbMethod::RatioLeastConnections), 1)[0] == 1);
}

TEST_CASE("a connection limit makes a full member ineligible", "[lb]") {
  Pool pool(2);
  pool.candidates[0].connection_limit = 2;
  CHECK(pool.shares(policy(LbMethod::RoundRobin), 10, true) == std::vector<int>{2, 8});
  pool.members[0].connection_closed();
  CHECK(pool.shares(policy(LbMethod::RoundRobin), 2, true)[0] == 1);
  pool.candidates[1].connection_limit = 8;
  CHECK(lb_choose(policy(LbMethod::RoundRobin), pool.candidates, pool.rotation, 0) == -1);
  CHECK(lb_active_count(pool.candidates) == 0);
}

TEST_CASE("fastest picks the fewest outstanding requests, fastest-app-response the quickest", "[lb]") {
  Pool pool(3);
  pool.members[0].outstanding_requests = 3;
  pool.members[1].outstanding_requests = 1;
  pool.members[2].outstanding_requests = 2;
  CHECK(pool.shares(policy(LbMethod::Fastest), 3) == std::vector<int>{0, 3, 0});
  pool.members[0].response_time_us = 900;
  pool.members[1].response_time_us = 1500;
  pool.members[2].response_time_us = 300;
  CHECK(pool.shares(policy(LbMethod::FastestAppResponse), 3) == std::vector<int>{0, 0, 3});
}

TEST_CASE("observed favours the members with fewer sampled connections, predictive the improving ones",
          "[lb]") {
  Pool pool(2);
  pool.members[0].sampled_connections = 9;   // ratio (10 - 9) * 2 = 2
  pool.members[1].sampled_connections = 0;   // ratio (10 - 0) * 2 = 20
  CHECK(pool.shares(policy(LbMethod::Observed), 220) == std::vector<int>{20, 200});
  pool.members[0].sampled_trend = -3;        // falling: predictive adds half again
  CHECK(pool.shares(policy(LbMethod::Predictive), 230) == std::vector<int>{30, 200});
}

TEST_CASE("priority groups: the highest group while it has min-active-members, then lower ones too", "[lb]") {
  Pool pool(4);
  pool.candidates[0].priority_group = 10;
  pool.candidates[1].priority_group = 10;
  pool.candidates[2].priority_group = 5;
  pool.candidates[3].priority_group = 1;
  LbPolicy p = policy(LbMethod::RoundRobin);
  p.min_active_members = 2;
  CHECK(pool.shares(p, 400) == std::vector<int>{200, 200, 0, 0});
  pool.members[1].monitor_up = false;   // group 10 has 1 left: group 5 joins
  CHECK(pool.shares(p, 400) == std::vector<int>{200, 0, 200, 0});
  pool.members[0].monitor_up = false;   // group 10 has none: 5 and 1
  CHECK(pool.shares(p, 400) == std::vector<int>{0, 0, 200, 200});
  p.min_active_members = 0;             // activation off: every group
  pool.members[0].monitor_up = true;
  pool.members[1].monitor_up = true;
  CHECK(pool.shares(p, 400) == std::vector<int>{100, 100, 100, 100});
}

TEST_CASE("slow ramp gives a member that just came up a growing share", "[lb]") {
  Pool pool(2);
  LbPolicy p = policy(LbMethod::RoundRobin);
  p.slow_ramp_time_s = 10;
  pool.members[1].up_since_ms = 100000;   // up at t=100 s
  const std::vector<int> early = pool.shares(p, 1100, false, 101000);   // 10 % into the ramp
  CHECK(early[0] == 1000);
  CHECK(early[1] == 100);
  CHECK(pool.shares(p, 2000, false, 110000) == std::vector<int>{1000, 1000});   // ramp over
}
