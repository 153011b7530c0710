// Nodes, pools, pool members, monitor rules and `ltm default-node-monitor`. Defaults are BIG-IP's; a
// BIG-IP property irulesd does not run is accepted only at the value that turns it off.
#include <algorithm>

#include "core/config_parser_impl.h"
#include "core/config_values.h"

namespace irulesd::config_parser {
namespace {

// Property ids of nodes, members and pools.
enum : int {
  kRatio, kPriorityGroup, kConnectionLimit, kMinActiveMembers, kMinUpMembers, kMinUpMembersAction,
  kMinUpMembersChecking, kServiceDownAction, kReselectTries, kSlowRampTime,
};

constexpr uint64_t kMaxU32 = 0xffffffff;

// What a node and a member share.
std::vector<Setting> node_and_member_settings() {
  return {
      count("ratio", kRatio, 1, 65535),
      count("connection-limit", kConnectionLimit, 0, kMaxU32),
      only("dynamic-ratio", {"1"}),
      only("rate-limit", {"disabled", "0"}),
      only("logging", {"disabled"}),
  };
}

const std::vector<Setting>& node_settings() {
  static const std::vector<Setting> settings = node_and_member_settings();
  return settings;
}

const std::vector<Setting>& member_settings() {
  static const std::vector<Setting> settings = [] {
    std::vector<Setting> s = node_and_member_settings();
    s.push_back(count("priority-group", kPriorityGroup, 0, 65535));
    s.push_back(only("inherit-profile", {"enabled"}));
    return s;
  }();
  return settings;
}

const std::vector<Setting>& pool_settings() {
  static const std::vector<Setting> settings = {
      count("min-active-members", kMinActiveMembers, 0, 65535),
      count("min-up-members", kMinUpMembers, 0, 65535),
      Setting{"min-up-members-action", ValueKind::Choice, kMinUpMembersAction, 0, 0,
              {{"failover", static_cast<uint64_t>(MinUpMembersAction::Failover)},
               {"reboot", static_cast<uint64_t>(MinUpMembersAction::Reboot)},
               {"restart-all", static_cast<uint64_t>(MinUpMembersAction::RestartAll)}}},
      enabled_disabled("min-up-members-checking", kMinUpMembersChecking),
      Setting{"service-down-action", ValueKind::Choice, kServiceDownAction, 0, 0,
              {{"none", static_cast<uint64_t>(ServiceDownAction::None)},
               {"reset", static_cast<uint64_t>(ServiceDownAction::Reset)},
               {"drop", static_cast<uint64_t>(ServiceDownAction::Drop)},
               {"reselect", static_cast<uint64_t>(ServiceDownAction::Reselect)}}},
      count("reselect-tries", kReselectTries, 0, 65535),
      count("slow-ramp-time", kSlowRampTime, 0, kMaxU32),
      // BIG-IP features irulesd does not run, at the values that leave them off.
      only("allow-nat", {"yes"}),
      only("allow-snat", {"yes"}),
      only("ignore-persisted-weight", {"disabled"}),
      only("ip-tos-to-client", {"pass-through"}),
      only("ip-tos-to-server", {"pass-through"}),
      only("link-qos-to-client", {"pass-through"}),
      only("link-qos-to-server", {"pass-through"}),
      only("queue-on-connection-limit", {"disabled"}),
      only("queue-depth-limit", {"0"}),
      only("queue-time-limit", {"0"}),
      only("autoscale-group-id", {"none"}),
  };
  return settings;
}

struct LbModeName {
  const char* name;
  LbMode mode;
};
constexpr LbModeName kLbModes[] = {
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

// BIG-IP's methods irulesd does not have, and the one of ours that comes closest.
struct LbModeInstead {
  const char* name;
  const char* why;
};
constexpr LbModeInstead kLbModesInstead[] = {
    {"dynamic-ratio-member", "it reads ratios from BIG-IP plug-ins on the servers): use observed-member"},
    {"dynamic-ratio-node", "it reads ratios from BIG-IP plug-ins on the servers): use observed-node"},
    {"least-sessions", "it counts persistence records): use least-connections-member"},
    {"ratio-session", "it weighs persistence sessions): use ratio-member"},
};

}  // namespace

void Parser::parse_lb_mode(const ConfigWord& v, const std::string& object, LbMode* out) {
  const std::string text = v.value();
  // tmsh accepts the plural too; bigip.conf files written by hand carry it.
  const std::string name = text == "least-connections-members" ? "least-connections-member" : text;
  for (const LbModeName& m : kLbModes) {
    if (name == m.name) {
      *out = m.mode;
      return;
    }
  }
  for (const LbModeInstead& m : kLbModesInstead) {
    if (name == m.name) {
      error(v.line, object, "load-balancing-mode " + v.text + " is not supported (" + m.why);
      return;
    }
  }
  error(v.line, object, "load-balancing-mode " + v.text + " is not a BIG-IP load-balancing method");
}

// `monitor /Common/a`, `monitor /Common/a and /Common/b`, `monitor min 2 of { a b c }`, `monitor none`
// (and `default` on a member or node: follow the pool / ltm default-node-monitor). The rule ends where
// its grammar ends, so a one-line body (`{ monitor http members { … } }`) reads on after it.
bool Parser::parse_monitor_rule(PropertyReader& r, const ConfigWord& key, const std::string& object,
                                MonitorRule* out, bool allow_default) {
  const ConfigWord* first = scalar_value(r, key, object);
  if (!first) return false;
  MonitorRule rule;
  rule.line = first->line;
  const std::string text = first->value();
  auto add = [&](const ConfigWord& w) {
    if (w.is_block() || w.value().empty()) {
      error(w.line, object, key.text + ": expected a monitor name, not " + (w.is_block() ? "{ }" : w.text));
      return false;
    }
    std::string name = canonical_name(w.value());
    if (std::find(rule.monitors.begin(), rule.monitors.end(), name) != rule.monitors.end()) {
      error(w.line, object, key.text + ": monitor " + name + " is named twice");
      return false;
    }
    rule.monitors.push_back(std::move(name));
    return true;
  };

  if (first->kind == ConfigWord::Kind::Bare && text == "none") {
    rule.kind = MonitorRule::Kind::None;
  } else if (first->kind == ConfigWord::Kind::Bare && text == "default" && allow_default) {
    rule.kind = MonitorRule::Kind::Inherit;
  } else if (first->kind == ConfigWord::Kind::Bare && text == "min") {
    rule.kind = MonitorRule::Kind::Rule;
    const ConfigWord* n = r.next_value();
    const ConfigWord* of = n ? r.next_value() : nullptr;
    const ConfigWord* list = of ? r.next_value() : nullptr;
    uint64_t min = 0;
    if (!n || n->is_block() || !parse_uint(n->value(), 65535, &min) || min == 0 || !of || of->text != "of" ||
        !list || list->kind != ConfigWord::Kind::Block) {
      error(first->line, object, key.text + " min: expected min N of { MONITOR ... } with N at least 1");
      return false;
    }
    rule.min_up = static_cast<uint32_t>(min);
    PropertyReader names(*list);
    while (const ConfigWord* w = names.next_key()) {
      if (!add(*w)) return false;
    }
    if (rule.monitors.size() < min) {
      error(first->line, object, key.text + " min " + std::to_string(min) + " of " +
                                     std::to_string(rule.monitors.size()) + " monitors can never be met");
      return false;
    }
  } else {
    rule.kind = MonitorRule::Kind::Rule;
    if (!add(*first)) return false;
    while (const ConfigWord* next = r.peek_value()) {
      if (next->kind != ConfigWord::Kind::Bare || next->text != "and") break;
      r.next_value();
      const ConfigWord* w = r.next_value();
      if (!w) {
        error(next->line, object, key.text + ": expected a monitor name after and");
        return false;
      }
      if (!add(*w)) return false;
    }
  }
  *out = std::move(rule);
  return true;
}

// `session user-enabled|user-disabled|monitor-enabled` and `state up|down|user-up|user-down|…` (the
// values tmsh writes into bigip.conf; only user-disabled and user-down change anything here).
void Parser::parse_session_state(const ConfigWord& key, const ConfigWord& v, const std::string& object,
                                 bool* user_disabled, bool* user_down) {
  const std::string text = v.value();
  if (key.text == "session") {
    if (text == "user-enabled" || text == "monitor-enabled") {
      *user_disabled = false;
    } else if (text == "user-disabled") {
      *user_disabled = true;
    } else {
      error(v.line, object, "session " + v.text + " must be user-enabled, user-disabled or monitor-enabled");
    }
  } else {
    if (text == "up" || text == "down" || text == "unchecked" || text == "checking" || text == "user-up") {
      *user_down = false;   // what the monitors said when the file was saved; they say it again here
    } else if (text == "user-down") {
      *user_down = true;
    } else {
      error(v.line, object, "state " + v.text + " must be up, down, unchecked, checking, user-up or user-down");
    }
  }
}

void Parser::parse_node(const std::string& name, int line, const ConfigWord& body, const std::string& object) {
  Node node;
  node.name = name;
  node.loc = SourceLoc{config_.file, line};
  bool has_address = false;
  PropertyReader r(body);
  while (const ConfigWord* key = r.next_key()) {
    const std::string k = key->kind == ConfigWord::Kind::Bare ? key->text : std::string();
    if (k == "address") {
      has_address = true;
      const ConfigWord* v = scalar_value(r, *key, object);
      if (!v) continue;
      if (!parse_ipv4(v->value(), nullptr)) error(v->line, object, "address " + v->text + " is not an IPv4 address (A.B.C.D)");
      node.address = v->value();
    } else if (k == "fqdn") {
      has_address = true;   // one error for the node, not also a missing address
      error(key->line, object, "fqdn nodes are not supported (give the node an address)");
      r.skip_statement();
    } else if (k == "monitor") {
      parse_monitor_rule(r, *key, object, &node.monitor, true);
    } else if (k == "session" || k == "state") {
      if (const ConfigWord* v = scalar_value(r, *key, object)) {
        parse_session_state(*key, *v, object, &node.user_disabled, &node.user_down);
      }
    } else if (const Setting* s = lookup(node_settings(), *key)) {
      Value v;
      if (!read_setting(r, *key, *s, object, &v)) continue;
      if (s->id == kRatio) node.ratio = static_cast<uint32_t>(v.n);
      if (s->id == kConnectionLimit) node.connection_limit = static_cast<uint32_t>(v.n);
      if (s->id == kDescription) node.description = v.s;
    } else {
      unknown_property(r, *key, object);
    }
  }
  if (!has_address) error(line, object, "missing address");
  config_.nodes.push_back(std::move(node));
}

void Parser::parse_pool(const std::string& name, int line, const ConfigWord& body, const std::string& object) {
  Pool pool;
  pool.name = name;
  pool.loc = SourceLoc{config_.file, line};
  std::size_t pool_index = config_.pools.size();
  PropertyReader r(body);
  while (const ConfigWord* key = r.next_key()) {
    const std::string k = key->kind == ConfigWord::Kind::Bare ? key->text : std::string();
    if (k == "load-balancing-mode") {
      if (const ConfigWord* v = scalar_value(r, *key, object)) parse_lb_mode(*v, object, &pool.lb_mode);
    } else if (k == "members") {
      if (const ConfigWord* v = block_value(r, *key, object)) parse_members(pool, pool_index, *v, object);
    } else if (k == "monitor") {
      parse_monitor_rule(r, *key, object, &pool.monitor, false);
    } else if (k == "profiles") {
      // Tunnel profiles (nvgre, vxlan) on a pool: irulesd has none; an empty list is harmless.
      const ConfigWord* v = block_value(r, *key, object);
      if (v && !v->statements.empty()) error(v->line, object, "profiles on a pool are not supported");
    } else if (const Setting* s = lookup(pool_settings(), *key)) {
      Value v;
      if (!read_setting(r, *key, *s, object, &v)) continue;
      const uint32_t n = static_cast<uint32_t>(v.n);
      switch (s->id) {
        case kMinActiveMembers: pool.min_active_members = n; break;
        case kMinUpMembers: pool.min_up_members = n; break;
        case kMinUpMembersAction: pool.min_up_members_action = static_cast<MinUpMembersAction>(n); break;
        case kMinUpMembersChecking: pool.min_up_members_checking = n != 0; break;
        case kServiceDownAction: pool.service_down_action = static_cast<ServiceDownAction>(n); break;
        case kReselectTries: pool.reselect_tries = n; break;
        case kSlowRampTime: pool.slow_ramp_time_s = n; break;
        case kDescription: pool.description = v.s; break;
        default: break;
      }
    } else {
      unknown_property(r, *key, object);
    }
  }
  config_.pools.push_back(std::move(pool));
}

// `members { NODE:PORT { address A.B.C.D ... } ... }`; the address may come from `ltm node NODE`.
void Parser::parse_members(Pool& pool, std::size_t pool_index, const ConfigWord& block, const std::string& object) {
  PropertyReader r(block);
  while (const ConfigWord* name_word = r.next_key()) {
    if (name_word->is_block()) {
      error(name_word->line, object, "unexpected { } block where a member name belongs");
      continue;
    }
    const ConfigWord* body = r.next_value();
    if (!body || body->kind != ConfigWord::Kind::Block) {
      error(name_word->line, object, "member " + name_word->text + " is missing its { } body");
      if (body) r.skip_statement();
      continue;
    }
    std::string raw = name_word->value();
    std::size_t colon = raw.rfind(':');
    PoolMember member;
    member.loc = SourceLoc{config_.file, name_word->line};
    if (colon == std::string::npos || colon == 0 || raw[colon - 1] == '/' ||
        !parse_port(std::string_view(raw).substr(colon + 1), &member.port)) {
      error(name_word->line, object, "member " + name_word->text + " is not NODE:PORT with a port 1-65535");
      continue;
    }
    member.node = canonical_name(raw.substr(0, colon));
    member.name = member.node + ":" + std::to_string(member.port);
    bool duplicate = std::any_of(pool.members.begin(), pool.members.end(),
                                 [&](const PoolMember& m) { return m.name == member.name; });
    if (duplicate) error(name_word->line, object, "duplicate member " + member.name);
    std::size_t errors_before = errors_.size();
    parse_member(member, *body, object + " member " + member.name);
    // A member whose body failed (an fqdn member, say) has had its error: no "has no address" after it.
    if (!duplicate) {
      if (errors_.size() == errors_before) member_refs_.push_back({pool_index, pool.members.size()});
      pool.members.push_back(std::move(member));
    }
  }
}

void Parser::parse_member(PoolMember& member, const ConfigWord& body, const std::string& object) {
  PropertyReader r(body);
  while (const ConfigWord* key = r.next_key()) {
    const std::string k = key->kind == ConfigWord::Kind::Bare ? key->text : std::string();
    if (k == "address") {
      const ConfigWord* v = scalar_value(r, *key, object);
      if (!v) continue;
      if (!parse_ipv4(v->value(), nullptr)) error(v->line, object, "address " + v->text + " is not an IPv4 address (A.B.C.D)");
      member.address = v->value();
    } else if (k == "fqdn") {
      error(key->line, object, "fqdn members are not supported (give the member an address)");
      r.skip_statement();
    } else if (k == "monitor") {
      parse_monitor_rule(r, *key, object, &member.monitor, true);
    } else if (k == "session" || k == "state") {
      if (const ConfigWord* v = scalar_value(r, *key, object)) {
        parse_session_state(*key, *v, object, &member.user_disabled, &member.user_down);
      }
    } else if (k == "profiles") {
      const ConfigWord* v = block_value(r, *key, object);
      if (v && !v->statements.empty()) error(v->line, object, "profiles on a pool member are not supported");
    } else if (const Setting* s = lookup(member_settings(), *key)) {
      Value v;
      if (!read_setting(r, *key, *s, object, &v)) continue;
      if (s->id == kRatio) member.ratio = static_cast<uint32_t>(v.n);
      if (s->id == kPriorityGroup) member.priority_group = static_cast<uint32_t>(v.n);
      if (s->id == kConnectionLimit) member.connection_limit = static_cast<uint32_t>(v.n);
      if (s->id == kDescription) member.description = v.s;
    } else {
      unknown_property(r, *key, object);
    }
  }
}

// `ltm default-node-monitor { rule RULE }`: the monitor rule of every node that has none of its own.
void Parser::parse_default_node_monitor(int, const ConfigWord& body, const std::string& object) {
  PropertyReader r(body);
  while (const ConfigWord* key = r.next_key()) {
    if (key->kind == ConfigWord::Kind::Bare && key->text == "rule") {
      parse_monitor_rule(r, *key, object, &config_.default_node_monitor, false);
    } else if (const Setting* s = lookup({}, *key)) {
      Value v;
      read_setting(r, *key, *s, object, &v);
    } else {
      unknown_property(r, *key, object);
    }
  }
}

void Parser::resolve_members() {
  std::map<std::string, const Node*> nodes;
  for (const Node& n : config_.nodes) nodes.emplace(n.name, &n);
  for (auto [pool_index, member_index] : member_refs_) {
    const Pool& pool = config_.pools[pool_index];
    PoolMember& m = config_.pools[pool_index].members[member_index];
    std::string object = "ltm pool " + pool.name;
    auto it = nodes.find(m.node);
    if (it == nodes.end()) {
      if (m.address.empty()) {
        error(m.loc.line, object, "member " + m.name + " has no address and there is no ltm node " + m.node);
      }
    } else if (m.address.empty()) {
      m.address = it->second->address;
    } else if (m.address != it->second->address) {
      error(m.loc.line, object, "member " + m.name + " address " + m.address + " differs from ltm node " +
                                    m.node + " address " + it->second->address);
    }
  }
}

// Every monitor a rule names must exist (custom or built-in) and be one irulesd runs. A node has no
// port, so its monitors (and the default node monitor's) must name one unless they only ping.
void Parser::resolve_monitor_rules() {
  auto check = [&](const MonitorRule& rule, const std::string& object, bool on_node) {
    if (rule.kind != MonitorRule::Kind::Rule) return;
    for (const std::string& name : rule.monitors) {
      const Monitor* m = config_.find_monitor(name);
      if (m) {
        if (on_node && m->type != MonitorType::GatewayIcmp && m->dest_port == 0) {
          error(rule.line, object, "monitor " + name + " probes the member's port and a node has none (give it a "
                                                       "destination with a port, or use a gateway-icmp monitor)");
        }
      } else if (reported_unsupported(Family::Monitor, name)) {
        // its definition has had the error
      } else if (is_bigip_builtin_monitor(name)) {
        error(rule.line, object, "monitor " + name + " is a BIG-IP built-in irulesd does not run (tcp, http, "
                                                     "gateway_icmp and monitors derived from them)");
      } else {
        error(rule.line, object, "monitor " + name + " does not exist");
      }
    }
  };
  for (const Pool& pool : config_.pools) {
    check(pool.monitor, "ltm pool " + pool.name, false);
    for (const PoolMember& m : pool.members) check(m.monitor, "ltm pool " + pool.name + " member " + m.name, false);
  }
  for (const Node& node : config_.nodes) check(node.monitor, "ltm node " + node.name, true);
  check(config_.default_node_monitor, "ltm default-node-monitor", true);
}

}  // namespace irulesd::config_parser

namespace irulesd {

const char* lb_mode_tmsh_name(LbMode mode) {
  for (const config_parser::LbModeName& m : config_parser::kLbModes) {
    if (m.mode == mode) return m.name;
  }
  return "round-robin";
}

}  // namespace irulesd
