#include "core/pool_runtime.h"

namespace irulesd {

LbPolicy lb_policy_of(const Pool& pool) {
  LbPolicy policy;
  policy.min_active_members = pool.min_active_members;
  policy.slow_ramp_time_s = pool.slow_ramp_time_s;
  auto set = [&](LbMethod method, LbBasis basis) {
    policy.method = method;
    policy.basis = basis;
  };
  switch (pool.lb_mode) {
    case LbMode::RoundRobin: set(LbMethod::RoundRobin, LbBasis::Member); break;
    case LbMode::RatioMember: set(LbMethod::Ratio, LbBasis::Member); break;
    case LbMode::RatioNode: set(LbMethod::Ratio, LbBasis::Node); break;
    case LbMode::LeastConnectionsMember: set(LbMethod::LeastConnections, LbBasis::Member); break;
    case LbMode::LeastConnectionsNode: set(LbMethod::LeastConnections, LbBasis::Node); break;
    case LbMode::WeightedLeastConnectionsMember: set(LbMethod::WeightedLeastConnections, LbBasis::Member); break;
    case LbMode::WeightedLeastConnectionsNode: set(LbMethod::WeightedLeastConnections, LbBasis::Node); break;
    case LbMode::RatioLeastConnectionsMember: set(LbMethod::RatioLeastConnections, LbBasis::Member); break;
    case LbMode::RatioLeastConnectionsNode: set(LbMethod::RatioLeastConnections, LbBasis::Node); break;
    case LbMode::FastestNode: set(LbMethod::Fastest, LbBasis::Node); break;
    case LbMode::FastestAppResponse: set(LbMethod::FastestAppResponse, LbBasis::Member); break;
    case LbMode::ObservedMember: set(LbMethod::Observed, LbBasis::Member); break;
    case LbMode::ObservedNode: set(LbMethod::Observed, LbBasis::Node); break;
    case LbMode::PredictiveMember: set(LbMethod::Predictive, LbBasis::Member); break;
    case LbMode::PredictiveNode: set(LbMethod::Predictive, LbBasis::Node); break;
  }
  return policy;
}

std::unique_ptr<PoolRuntime> make_pool_runtime(const Config& config, const Pool& pool) {
  auto runtime = std::make_unique<PoolRuntime>();
  runtime->pool = &pool;
  runtime->policy = lb_policy_of(pool);
  MemberRegistry& registry = MemberRegistry::global();
  for (const PoolMember& member : pool.members) {
    const Node* node = config.find_node(member.node);
    auto member_stats = registry.member(pool.name, member.address, member.port);
    auto node_stats = registry.node(member.address);
    LbCandidate candidate;
    candidate.member = member_stats.get();
    candidate.node = node_stats.get();
    // Ratio methods on the node basis read the node's ratio.
    candidate.ratio = runtime->policy.basis == LbBasis::Node && node != nullptr ? node->ratio : member.ratio;
    candidate.connection_limit = member.connection_limit;
    candidate.node_connection_limit = node != nullptr ? node->connection_limit : 0;
    candidate.priority_group = static_cast<int>(member.priority_group);
    const bool node_off = node != nullptr && (node->user_disabled || node->user_down);
    candidate.enabled = !(member.user_disabled || member.user_down || node_off);
    runtime->candidates.push_back(candidate);
    runtime->member_stats.push_back(std::move(member_stats));
    runtime->node_stats.push_back(std::move(node_stats));
    runtime->forced_offline.push_back(member.user_down || (node != nullptr && node->user_down));
  }
  return runtime;
}

}  // namespace irulesd
