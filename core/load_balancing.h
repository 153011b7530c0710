// Choosing a pool member, as BIG-IP's load-balancing methods do, from counts every worker shares
// (core/member_stats.h). Pure: the caller builds the candidates (from the config and the member
// stats) and keeps the pool's rotation counter; nothing here allocates or locks.
#pragma once

#include <atomic>
#include <cstdint>
#include <span>

#include "core/member_stats.h"

namespace irulesd {

enum class LbMethod {
  RoundRobin,
  Ratio,                     // weighted round robin by ratio
  LeastConnections,          // fewest open connections
  WeightedLeastConnections,  // fewest connections relative to the connection limit
  RatioLeastConnections,     // fewest connections relative to the ratio
  Fastest,                   // fewest outstanding requests
  FastestAppResponse,        // shortest smoothed response time
  Observed,                  // ratio from the connections sampled each second (fewer → more)
  Predictive,                // as Observed, plus a bonus for members whose count is falling
};

// Whose ratio and counts a method reads: the member's (…-member) or its node's (…-node), as BIG-IP.
enum class LbBasis { Member, Node };

struct LbPolicy {
  LbMethod method = LbMethod::RoundRobin;
  LbBasis basis = LbBasis::Member;
  uint32_t min_active_members = 0;   // priority-group activation: 0 = off
  uint32_t slow_ramp_time_s = 0;     // a member that just came up gets a growing share over this long
};

struct LbCandidate {
  const EndpointStats* member = nullptr;   // required
  const EndpointStats* node = nullptr;     // may be null (a member without a node's shared stats)
  uint32_t ratio = 1;                      // the member's ratio (or the node's, for LbBasis::Node)
  uint32_t connection_limit = 0;           // 0 = none
  uint32_t node_connection_limit = 0;
  int priority_group = 0;
  bool enabled = true;                     // false: user-down or user-disabled (no new connections)
  bool excluded = false;                   // already tried for this request (reselect)
};

// Whether a candidate may take a new connection now: enabled, its monitors (member and node) up,
// under its connection limits, not excluded.
bool lb_eligible(const LbCandidate& candidate);

// The index of the chosen candidate, or -1 when none is eligible. `rotation` is the pool's counter,
// shared by all workers; now_ms is for slow ramp (same clock as EndpointStats::up_since_ms).
int lb_choose(const LbPolicy& policy, std::span<const LbCandidate> candidates, std::atomic<uint32_t>& rotation,
              int64_t now_ms);

// The number of candidates that could take a connection now (active_members, min-active-members).
std::size_t lb_active_count(std::span<const LbCandidate> candidates);

}  // namespace irulesd
