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

}  // namespace

std::vector<MonitorTarget> monitor_targets(const Config& config) {
  std::vector<MonitorTarget> targets;
  MemberRegistry& registry = MemberRegistry::global();
  for (const Pool& pool : config.pools) {
    for (const PoolMember& member : pool.members) {
      const MonitorRule& rule = member.monitor.kind == MonitorRule::Kind::Inherit ? pool.monitor : member.monitor;
      MonitorTarget target;
      if (!specs_of(config, rule, target)) continue;
      target.key = "member " + pool.name + " " + member.address + ":" + std::to_string(member.port);
      target.log_name = "Pool " + pool.name + " member " + member.name;
      target.address = member.address;
      target.port = member.port;
      target.stats = registry.member(pool.name, member.address, member.port);
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
    targets.push_back(std::move(target));
  }
  return targets;
}

}  // namespace irulesd
