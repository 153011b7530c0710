#include "core/load_balancing.h"

#include <algorithm>
#include <limits>

namespace irulesd {
namespace {

constexpr std::size_t kMaxCandidates = 4096;   // beyond this, the first 4096 members only

const EndpointStats& basis_stats(const LbPolicy& policy, const LbCandidate& c) {
  return policy.basis == LbBasis::Node && c.node != nullptr ? *c.node : *c.member;
}

// Slow ramp: the share of a normal weight a member gets, in 1/1000, growing linearly from its up time.
uint32_t ramp_permille(const LbPolicy& policy, const LbCandidate& c, int64_t now_ms) {
  if (policy.slow_ramp_time_s == 0) return 1000;
  const int64_t up = c.member->up_since_ms.load(std::memory_order_relaxed);
  const int64_t ramp_ms = int64_t{policy.slow_ramp_time_s} * 1000;
  if (up <= 0 || now_ms - up >= ramp_ms) return 1000;
  return static_cast<uint32_t>(std::max<int64_t>(1, (now_ms - up) * 1000 / ramp_ms));
}

// Priority groups: the highest group alone while it has min_active_members eligible members,
// otherwise it and the next lower ones until there are (BIG-IP's priority-group activation).
int lowest_active_group(const LbPolicy& policy, std::span<const LbCandidate> candidates) {
  if (policy.min_active_members == 0) return std::numeric_limits<int>::min();
  int group = std::numeric_limits<int>::max();
  std::size_t active = 0;
  while (true) {
    int next = std::numeric_limits<int>::min();
    for (const LbCandidate& c : candidates) {
      if (c.priority_group < group) next = std::max(next, c.priority_group);
    }
    if (next == std::numeric_limits<int>::min()) return group;   // no lower group left
    group = next;
    for (const LbCandidate& c : candidates) active += c.priority_group == group && lb_eligible(c);
    if (active >= policy.min_active_members) return group;
  }
}

// The k-th usable candidate (k counted modulo how many there are): round robin over the usable ones.
int nth_usable(std::size_t n, const bool* usable, uint32_t k) {
  std::size_t count = 0;
  for (std::size_t i = 0; i < n; ++i) count += usable[i];
  if (count == 0) return -1;
  std::size_t skip = k % count;
  for (std::size_t i = 0; i < n; ++i) {
    if (usable[i] && skip-- == 0) return static_cast<int>(i);
  }
  return -1;
}

// The candidate with the smallest score; equal ones take turns (round robin among the tied).
template <typename Score>
int least(std::span<const LbCandidate> candidates, bool* usable, std::atomic<uint32_t>& rotation, Score score) {
  const std::size_t n = candidates.size();
  double scores[kMaxCandidates];
  double best = 0;
  bool found = false;
  for (std::size_t i = 0; i < n; ++i) {
    if (!usable[i]) continue;
    scores[i] = score(candidates[i]);
    if (!found || scores[i] < best) best = scores[i];
    found = true;
  }
  for (std::size_t i = 0; i < n; ++i) usable[i] = usable[i] && scores[i] == best;
  return nth_usable(n, usable, rotation.fetch_add(1, std::memory_order_relaxed));
}

uint64_t gcd(uint64_t a, uint64_t b) {
  while (b != 0) {
    const uint64_t t = a % b;
    a = b;
    b = t;
  }
  return a;
}

// Weighted round robin: over a cycle of `total` choices every member gets exactly its weight, in an
// order scattered by a stride near total × 0.618 (coprime with it), so short runs follow the weights
// too instead of one member's whole share coming in a row.
int weighted(std::span<const LbCandidate> candidates, const bool* usable, const uint64_t* weights,
             std::atomic<uint32_t>& rotation) {
  uint64_t total = 0;
  for (std::size_t i = 0; i < candidates.size(); ++i) total += usable[i] ? weights[i] : 0;
  if (total == 0) return -1;
  uint64_t stride = std::max<uint64_t>(1, total * 618 / 1000);
  while (gcd(stride, total) != 1) ++stride;
  uint64_t pick = (uint64_t{rotation.fetch_add(1, std::memory_order_relaxed)} % total) * stride % total;
  for (std::size_t i = 0; i < candidates.size(); ++i) {
    if (!usable[i]) continue;
    if (pick < weights[i]) return static_cast<int>(i);
    pick -= weights[i];
  }
  return -1;
}

}  // namespace

bool lb_eligible(const LbCandidate& c) {
  if (!c.enabled || c.excluded || !c.member->monitor_up.load(std::memory_order_relaxed) ||
      c.member->monitor_disabled.load(std::memory_order_relaxed)) {
    return false;
  }
  if (c.node != nullptr && !c.node->monitor_up.load(std::memory_order_relaxed)) return false;
  if (c.connection_limit != 0 && c.member->connections.load(std::memory_order_relaxed) >= c.connection_limit) {
    return false;
  }
  if (c.node != nullptr && c.node_connection_limit != 0 &&
      c.node->connections.load(std::memory_order_relaxed) >= c.node_connection_limit) {
    return false;
  }
  return true;
}

std::size_t lb_active_count(std::span<const LbCandidate> candidates) {
  std::size_t n = 0;
  for (const LbCandidate& c : candidates) n += lb_eligible(c);
  return n;
}

int lb_choose(const LbPolicy& policy, std::span<const LbCandidate> all, std::atomic<uint32_t>& rotation,
              int64_t now_ms) {
  const std::span<const LbCandidate> candidates = all.first(std::min(all.size(), kMaxCandidates));
  const std::size_t n = candidates.size();
  if (n == 0) return -1;
  bool usable[kMaxCandidates];
  uint64_t weights[kMaxCandidates];
  const int lowest_group = lowest_active_group(policy, candidates);
  bool any = false;
  for (std::size_t i = 0; i < n; ++i) {
    usable[i] = candidates[i].priority_group >= lowest_group && lb_eligible(candidates[i]);
    any = any || usable[i];
  }
  if (!any) return -1;

  // Slow ramp scales weights only while some member is ramping: otherwise the weights stay small
  // and every cycle is short.
  bool ramping = false;
  for (std::size_t i = 0; i < n && policy.slow_ramp_time_s != 0 && !ramping; ++i) {
    ramping = usable[i] && ramp_permille(policy, candidates[i], now_ms) < 1000;
  }
  auto ramped = [&](const LbCandidate& c, uint64_t weight) {
    return ramping ? weight * ramp_permille(policy, c, now_ms) : weight;
  };
  auto connections = [&](const LbCandidate& c) {
    return double(basis_stats(policy, c).connections.load(std::memory_order_relaxed));
  };
  switch (policy.method) {
    case LbMethod::RoundRobin: {
      if (!ramping) return nth_usable(n, usable, rotation.fetch_add(1, std::memory_order_relaxed));
      for (std::size_t i = 0; i < n; ++i) weights[i] = ramped(candidates[i], 1);
      return weighted(candidates, usable, weights, rotation);
    }
    case LbMethod::Ratio:
      for (std::size_t i = 0; i < n; ++i) weights[i] = ramped(candidates[i], std::max<uint32_t>(candidates[i].ratio, 1));
      return weighted(candidates, usable, weights, rotation);
    case LbMethod::LeastConnections:
      return least(candidates, usable, rotation, [&](const LbCandidate& c) {
        return connections(c) * 1000 / ramp_permille(policy, c, now_ms);
      });
    case LbMethod::WeightedLeastConnections: {
      // BIG-IP needs a connection limit on every member for this method; without one it is least
      // connections.
      const bool limits = std::all_of(candidates.begin(), candidates.end(), [&](const LbCandidate& c) {
        return (policy.basis == LbBasis::Node ? c.node_connection_limit : c.connection_limit) != 0;
      });
      return least(candidates, usable, rotation, [&](const LbCandidate& c) {
        const uint32_t limit = policy.basis == LbBasis::Node ? c.node_connection_limit : c.connection_limit;
        return (limits ? connections(c) / limit : connections(c)) * 1000 / ramp_permille(policy, c, now_ms);
      });
    }
    case LbMethod::RatioLeastConnections:
      return least(candidates, usable, rotation, [&](const LbCandidate& c) {
        return connections(c) / std::max<uint32_t>(c.ratio, 1) * 1000 / ramp_permille(policy, c, now_ms);
      });
    case LbMethod::Fastest:
      return least(candidates, usable, rotation, [&](const LbCandidate& c) {
        return double(basis_stats(policy, c).outstanding_requests.load(std::memory_order_relaxed));
      });
    case LbMethod::FastestAppResponse:
      return least(candidates, usable, rotation, [&](const LbCandidate& c) {
        return double(basis_stats(policy, c).response_time_us.load(std::memory_order_relaxed));
      });
    case LbMethod::Observed:
    case LbMethod::Predictive: {
      // Dynamic ratios from the per-second samples: fewer connections, a higher ratio; Predictive
      // adds half again for a member whose count fell since the sample before.
      uint64_t most = 0;
      for (std::size_t i = 0; i < n; ++i) {
        most = std::max<uint64_t>(most, basis_stats(policy, candidates[i]).sampled_connections.load(std::memory_order_relaxed));
      }
      for (std::size_t i = 0; i < n; ++i) {
        const EndpointStats& s = basis_stats(policy, candidates[i]);
        uint64_t ratio = (most + 1 - s.sampled_connections.load(std::memory_order_relaxed)) * 2;
        if (policy.method == LbMethod::Predictive && s.sampled_trend.load(std::memory_order_relaxed) < 0) {
          ratio += ratio / 2;
        }
        weights[i] = ramped(candidates[i], ratio);
      }
      return weighted(candidates, usable, weights, rotation);
    }
  }
  return -1;
}

}  // namespace irulesd
