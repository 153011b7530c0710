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
};

// The policy a pool's load-balancing mode means.
LbPolicy lb_policy_of(const Pool& pool);
std::unique_ptr<PoolRuntime> make_pool_runtime(const Config& config, const Pool& pool);

}  // namespace irulesd
