#include "core/monitor_targets.h"

#include "core/config_values.h"

namespace irulesd {
namespace {

MonitorSpec spec_of(const Monitor& monitor) {
  MonitorSpec spec;
  spec.name = monitor.name;
  spec.kind = monitor.type == MonitorType::Http ? MonitorSpec::Kind::Http : MonitorSpec::Kind::Tcp;
  spec.send = monitor_send_bytes(monitor.send);
  spec.recv = monitor.recv;
  spec.recv_disable = monitor.recv_disable;
  spec.interval_s = monitor.interval_s;
  spec.timeout_s = monitor.timeout_s;
  spec.up_interval_s = monitor.up_interval_s;
  spec.time_until_up_s = monitor.time_until_up_s;
  spec.dest_address = monitor.dest_address;
  spec.dest_port = monitor.dest_port;
  // gateway_icmp: any answer to a connect — accepted or refused — means the address is alive.
  spec.refused_is_up = monitor.type == MonitorType::GatewayIcmp;
  return spec;
}

// The monitors of a rule; false when it names none (not monitored).
bool specs_of(const Config& config, const MonitorRule& rule, MonitorTarget& target) {
  if (rule.kind != MonitorRule::Kind::Rule || rule.monitors.empty()) return false;
  for (const std::string& name : rule.monitors) {
    if (const Monitor* monitor = config.find_monitor(name)) target.monitors.push_back(spec_of(*monitor));
  }
  target.min_up = rule.min_up;
  return !target.monitors.empty();
}

const char* action_name(MinUpMembersAction action) {
  switch (action) {
    case MinUpMembersAction::Failover: return "failover";
    case MinUpMembersAction::Reboot: return "reboot";
    case MinUpMembersAction::RestartAll: return "restart-all";
  }
  return "failover";
}

// The min-up-members check of a pool that asks for one (min-up-members-checking enabled and a
// minimum above 0); null otherwise, as BIG-IP ignores min-up-members without the checking.
std::shared_ptr<PoolUpWatch> pool_watch_of(const Pool& pool, MemberRegistry& registry) {
  if (!pool.min_up_members_checking || pool.min_up_members == 0) return nullptr;
  auto watch = std::make_shared<PoolUpWatch>();
  watch->pool_name = pool.name;
  watch->min_up_members = pool.min_up_members;
  watch->action = action_name(pool.min_up_members_action);
  for (const PoolMember& member : pool.members) {
    watch->members.push_back(registry.member(pool.name, member.address, member.port));
    watch->nodes.push_back(registry.node(member.address));
  }
  return watch;
}

}  // namespace

std::vector<MonitorTarget> monitor_targets(const Config& config) {
  std::vector<MonitorTarget> targets;
  MemberRegistry& registry = MemberRegistry::global();
  std::vector<std::shared_ptr<PoolUpWatch>> watches;
  for (const Pool& pool : config.pools) {
    std::shared_ptr<PoolUpWatch> watch = pool_watch_of(pool, registry);
    if (watch) watches.push_back(watch);
    for (const PoolMember& member : pool.members) {
      const MonitorRule& rule = member.monitor.kind == MonitorRule::Kind::Inherit ? pool.monitor : member.monitor;
      MonitorTarget target;
      if (!specs_of(config, rule, target)) continue;
      target.key = "member " + pool.name + " " + member.address + ":" + std::to_string(member.port);
      target.log_name = "Pool " + pool.name + " member " + member.name;
      target.address = member.address;
      target.port = member.port;
      target.stats = registry.member(pool.name, member.address, member.port);
      if (watch) target.pool_watches.push_back(watch);
      targets.push_back(std::move(target));
    }
  }
  for (const Node& node : config.nodes) {
    const MonitorRule& rule = node.monitor.kind == MonitorRule::Kind::Inherit ? config.default_node_monitor : node.monitor;
    MonitorTarget target;
    if (!specs_of(config, rule, target)) continue;
    target.key = "node " + node.address;
    target.log_name = "Node " + node.name + " address " + node.address;
    target.address = node.address;
    target.port = 0;   // node monitors name their port (the parser requires a destination port)
    target.stats = registry.node(node.address);
    // A node's state counts in every pool with a member on it.
    for (const auto& watch : watches) {
      for (const auto& stats : watch->nodes) {
        if (stats == target.stats) {
          target.pool_watches.push_back(watch);
          break;
        }
      }
    }
    targets.push_back(std::move(target));
  }
  return targets;
}

}  // namespace irulesd
