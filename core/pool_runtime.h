// What a config version keeps per pool for load balancing: the policy its load-balancing mode means,
// the fixed part of each member's candidate (ratio, limits, priority group, enabled), and the member
// and node stats every worker shares (core/member_stats.h). Built once per version.
#pragma once

#include <atomic>
#include <memory>
#include <vector>

#include "core/config.h"
#include "core/load_balancing.h"
#include "core/member_stats.h"

namespace irulesd {

struct PoolRuntime {
  const Pool* pool = nullptr;
  LbPolicy policy;
  std::vector<LbCandidate> candidates;                      // one per member, in member order
  std::vector<std::shared_ptr<EndpointStats>> member_stats;  // keeps the candidates' pointers alive
  std::vector<std::shared_ptr<EndpointStats>> node_stats;
  std::vector<bool> forced_offline;                          // `state user-down`: not even persisted clients
  mutable std::atomic<uint32_t> rotation{0};

  // Member `i` can take no connection at all, persisted ones included: forced offline, or its (or its
  // node's) monitors say down. (user-disabled and recv-disable only stop new connections.)
  bool down(std::size_t i) const {
    const LbCandidate& c = candidates[i];
    return forced_offline[i] || !c.member->monitor_up.load(std::memory_order_relaxed) ||
           (c.node != nullptr && !c.node->monitor_up.load(std::memory_order_relaxed));
  }
};

// The policy a pool's load-balancing mode means.
LbPolicy lb_policy_of(const Pool& pool);
std::unique_ptr<PoolRuntime> make_pool_runtime(const Config& config, const Pool& pool);

}  // namespace irulesd
