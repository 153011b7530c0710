// `ltm virtual`: destination, source, pool, profiles, rules, persistence, SNAT and limits, then what it
// names once the whole file is known (pool, profiles, persistence profiles, snatpool, rules).
#include <algorithm>

#include "core/config_parser_impl.h"
#include "core/config_values.h"

namespace irulesd::config_parser {
namespace {

constexpr const char* kHttpProfile = "/Common/http";
constexpr const char* kTcpProfile = "/Common/tcp";
constexpr const char* kWebsocketProfile = "/Common/websocket";
constexpr const char* kOneConnectProfile = "/Common/oneconnect";

enum : int { kConnectionLimit, kTranslate, kUnsupportedType, kDisabled, kVlansEnabled };

const std::vector<Setting>& virtual_settings() {
  static const std::vector<Setting> settings = {
      count("connection-limit", kConnectionLimit, 0, 0xffffffff),
      Setting{"translate-address", ValueKind::Choice, kTranslate, 0, 0, {{"enabled", 1}, {"disabled", 0}}, {"enabled"}},
      Setting{"translate-port", ValueKind::Choice, kTranslate, 0, 0, {{"enabled", 1}, {"disabled", 0}}, {"enabled"}},
      // Standard virtuals only: the other types forward packets, which a user-space proxy cannot.
      Setting{"ip-forward", ValueKind::Flag, kUnsupportedType},
      Setting{"l2-forward", ValueKind::Flag, kUnsupportedType},
      Setting{"reject", ValueKind::Flag, kUnsupportedType},
      Setting{"internal", ValueKind::Flag, kUnsupportedType},
      Setting{"stateless", ValueKind::Flag, kUnsupportedType},
      Setting{"dhcp-relay", ValueKind::Flag, kUnsupportedType},
      Setting{"enabled", ValueKind::Flag},
      Setting{"disabled", ValueKind::Flag, kDisabled},
      Setting{"vlans-disabled", ValueKind::Flag},   // with no vlans listed: every vlan, the default
      Setting{"vlans-enabled", ValueKind::Flag, kVlansEnabled},
      // BIG-IP features irulesd does not run, at the values that leave them off.
      only("auto-lasthop", {"default"}),
      only("cmp-enabled", {"yes"}),
      only("gtm-score", {"0"}),
      only("nat64", {"disabled"}),
      only("rate-limit", {"disabled", "0"}),
      only("rate-limit-mode", {"object"}),
      only("rate-class", {"none"}),
      only("last-hop-pool", {"none"}),
      only("source-port", {"preserve"}),
      only("serverssl-use-sni", {"disabled"}),
      only("address-status", {"yes"}),
      // HA: mirroring connections to a standby unit; irulesd has no standby.
      Setting{"mirror", ValueKind::Choice, kIgnored, 0, 0, {{"enabled", 1}, {"disabled", 0}}},
      // Runtime status tmsh writes next to the configuration.
      Setting{"syn-cookie-status", ValueKind::Any},
  };
  return settings;
}

// Lists that are harmless while empty: `policies { }`, `vlans { }`, …
struct EmptyList {
  const char* key;
  const char* what;
};
constexpr EmptyList kEmptyLists[] = {
    {"policies", "policies (ltm policy) are not supported"},
    {"vlans", "vlans is not supported (irulesd listens on the destination address; remove the list)"},
    {"security-log-profiles", "security-log-profiles are not supported"},
    {"clone-pools", "clone-pools are not supported"},
    {"auth", "auth profiles are not supported"},
};

}  // namespace

void Parser::parse_virtual(const std::string& name, int line, const ConfigWord& body, const std::string& object) {
  VirtualServer vs;
  vs.name = name;
  vs.loc = SourceLoc{config_.file, line};
  VirtualRefs refs;
  bool has_destination = false;
  PropertyReader r(body);
  while (const ConfigWord* key = r.next_key()) {
    const std::string k = key->kind == ConfigWord::Kind::Bare ? key->text : std::string();
    const ConfigWord* v = nullptr;
    const EmptyList* list = std::find_if(std::begin(kEmptyLists), std::end(kEmptyLists),
                                         [&](const EmptyList& l) { return k == l.key; });
    if (k == "destination") {
      has_destination = true;
      if (!(v = scalar_value(r, *key, object))) continue;
      std::string dest = v->value();
      if (!dest.empty() && dest.front() == '/') dest = short_name(dest);  // drop the partition
      std::size_t colon = dest.rfind(':');
      if (colon == std::string::npos || !parse_ipv4(std::string_view(dest).substr(0, colon), nullptr) ||
          !parse_port(std::string_view(dest).substr(colon + 1), &vs.dest_port)) {
        error(v->line, object, "destination " + v->text + " is not an IPv4 A.B.C.D:PORT with a port 1-65535");
      } else {
        vs.dest_address = dest.substr(0, colon);
      }
    } else if (k == "ip-protocol") {
      if ((v = scalar_value(r, *key, object)) && v->value() != "tcp") {
        error(v->line, object, "ip-protocol " + v->text + " is not supported (tcp only)");
      }
    } else if (k == "mask") {
      if (!(v = scalar_value(r, *key, object))) continue;
      std::string mask = v->value() == "any" ? "0.0.0.0" : v->value();
      if (!parse_netmask(mask)) {
        error(v->line, object, "mask " + v->text + " is not an IPv4 netmask");
      } else {
        vs.mask = mask;
      }
    } else if (k == "source") {
      if (!(v = scalar_value(r, *key, object))) continue;
      uint32_t ip = 0;
      if (!parse_cidr(v->value(), &vs.source_address, &vs.source_prefix_len, &ip)) {
        error(v->line, object, "source " + v->text + " is not an IPv4 network (A.B.C.D/LEN)");
      } else if ((ip & ~prefix_mask(vs.source_prefix_len)) != 0) {
        error(v->line, object, "source " + v->text + " has address bits set beyond its prefix length");
      }
    } else if (k == "pool") {
      if (!(v = scalar_value(r, *key, object))) continue;
      if (!(v->kind == ConfigWord::Kind::Bare && v->text == "none")) vs.pool = canonical_name(v->value());
      refs.pool_line = v->line;
    } else if (k == "profiles") {
      if ((v = block_value(r, *key, object))) parse_profile_list(vs, refs, *v, object);
    } else if (k == "rules") {
      if ((v = block_value(r, *key, object))) parse_rule_list(vs, refs, *v, object);
    } else if (k == "persist") {
      if ((v = block_value(r, *key, object))) parse_persist(refs, *v, object);
    } else if (k == "fallback-persistence") {
      if (!(v = scalar_value(r, *key, object))) continue;
      if (!(v->kind == ConfigWord::Kind::Bare && v->text == "none")) refs.fallback_persist = canonical_name(v->value());
      refs.fallback_line = v->line;
    } else if (k == "source-address-translation") {
      if ((v = block_value(r, *key, object))) parse_snat(vs, refs, *v, object);
    } else if (list != std::end(kEmptyLists)) {
      if ((v = block_value(r, *key, object)) && !v->statements.empty()) error(v->line, object, list->what);
    } else if (const Setting* s = lookup(virtual_settings(), *key)) {
      Value value;
      if (!read_setting(r, *key, *s, object, &value)) continue;
      if (s->id == kConnectionLimit) vs.connection_limit = static_cast<uint32_t>(value.n);
      if (s->id == kUnsupportedType) {
        error(key->line, object, "virtual server type " + k + " is not supported (standard virtuals only)");
      }
      if (s->id == kDisabled) error(key->line, object, "a disabled virtual server is not supported (remove it)");
      if (s->id == kVlansEnabled) {
        error(key->line, object, "vlans-enabled is not supported (irulesd listens on the destination address)");
      }
    } else {
      unknown_property(r, *key, object);
    }
  }
  if (!has_destination) error(line, object, "missing destination");
  virtual_refs_.push_back(std::move(refs));
  config_.virtuals.push_back(std::move(vs));
}

// `profiles { /Common/http { } /Common/tcp { context clientside } }`: names, each with an optional
// block that may only say which side the profile applies to.
void Parser::parse_profile_list(VirtualServer& vs, VirtualRefs& refs, const ConfigWord& block,
                                const std::string& object) {
  PropertyReader r(block);
  while (const ConfigWord* name_word = r.next_key()) {
    if (name_word->is_block()) {
      error(name_word->line, object, "unexpected { } block in profiles (expected a profile name)");
      continue;
    }
    ProfileRef ref;
    ref.name = canonical_name(name_word->value());
    ref.line = name_word->line;
    const ConfigWord* options = r.peek_value();
    if (options && options->kind == ConfigWord::Kind::Block) {
      r.next_value();
      PropertyReader opts(*options);
      const std::string where = object + " profile " + ref.name;
      while (const ConfigWord* key = opts.next_key()) {
        if (key->text != "context" || key->is_block()) {
          unknown_property(opts, *key, where);
          continue;
        }
        const ConfigWord* v = scalar_value(opts, *key, where);
        if (!v) continue;
        if (v->value() == "all") {
          ref.context = ProfileRef::Context::All;
        } else if (v->value() == "clientside") {
          ref.context = ProfileRef::Context::ClientSide;
        } else if (v->value() == "serverside") {
          ref.context = ProfileRef::Context::ServerSide;
        } else {
          error(v->line, where, "context " + v->text + " is not all, clientside or serverside");
        }
      }
    }
    if (std::find(vs.profiles.begin(), vs.profiles.end(), ref.name) != vs.profiles.end()) {
      error(name_word->line, object, "profile " + ref.name + " is attached twice");
      continue;
    }
    vs.profiles.push_back(ref.name);
    refs.profiles.push_back(std::move(ref));
  }
}

void Parser::parse_rule_list(VirtualServer& vs, VirtualRefs& refs, const ConfigWord& block, const std::string& object) {
  PropertyReader list(block);
  while (const ConfigWord* rule = list.next_key()) {
    if (rule->is_block()) {
      error(rule->line, object, "unexpected { } block in rules (expected rule names)");
      continue;
    }
    std::string rule_name = canonical_name(rule->value());
    if (std::find(vs.rules.begin(), vs.rules.end(), rule_name) != vs.rules.end()) {
      error(rule->line, object, "rule " + rule_name + " is attached twice");
      continue;
    }
    vs.rules.push_back(rule_name);
    refs.rule_lines.push_back(rule->line);
  }
}

// `persist { /Common/cookie { default yes } }`: one persistence profile, the virtual's default one.
void Parser::parse_persist(VirtualRefs& refs, const ConfigWord& block, const std::string& object) {
  PropertyReader r(block);
  while (const ConfigWord* name_word = r.next_key()) {
    if (name_word->is_block()) {
      error(name_word->line, object, "unexpected { } block in persist (expected a persistence profile name)");
      continue;
    }
    const std::string name = canonical_name(name_word->value());
    bool is_default = true;
    if (const ConfigWord* options = r.peek_value(); options && options->kind == ConfigWord::Kind::Block) {
      r.next_value();
      PropertyReader opts(*options);
      const std::string where = object + " persist " + name;
      while (const ConfigWord* key = opts.next_key()) {
        if (key->text != "default" || key->is_block()) {
          unknown_property(opts, *key, where);
          continue;
        }
        const ConfigWord* v = scalar_value(opts, *key, where);
        if (!v) continue;
        if (v->value() == "no") {
          is_default = false;
        } else if (v->value() != "yes") {
          error(v->line, where, "default " + v->text + " must be yes or no");
        }
      }
    }
    if (!refs.persist.empty()) {
      error(name_word->line, object, "persist: more than one persistence profile (irulesd runs one; a second "
                                     "one belongs in fallback-persistence)");
      continue;
    }
    if (!is_default) {
      error(name_word->line, object, "persist " + name + ": default no is not supported (the profile a virtual "
                                     "persists with is its default one)");
      continue;
    }
    refs.persist = name;
    refs.persist_line = name_word->line;
  }
}

// `source-address-translation { type automap|snat|none pool P }`
void Parser::parse_snat(VirtualServer& vs, VirtualRefs& refs, const ConfigWord& block, const std::string& object) {
  const std::string where = object + " source-address-translation";
  PropertyReader r(block);
  int type_line = block.line;
  while (const ConfigWord* key = r.next_key()) {
    const std::string k = key->kind == ConfigWord::Kind::Bare ? key->text : std::string();
    if (k == "type") {
      const ConfigWord* v = scalar_value(r, *key, object);
      if (!v) continue;
      type_line = v->line;
      if (v->value() == "automap") {
        vs.snat = SnatType::Automap;
      } else if (v->value() == "none") {
        vs.snat = SnatType::None;
      } else if (v->value() == "snat") {
        vs.snat = SnatType::Snat;
      } else {
        error(v->line, object, "source-address-translation type " + v->text + " is not supported (automap, snat or none)");
      }
    } else if (k == "pool") {
      const ConfigWord* v = scalar_value(r, *key, object);
      if (!v) continue;
      refs.snat_pool = v->kind == ConfigWord::Kind::Bare && v->text == "none" ? std::string() : canonical_name(v->value());
      refs.snat_line = v->line;
    } else {
      unknown_property(r, *key, where);
    }
  }
  if (vs.snat == SnatType::Snat && refs.snat_pool.empty()) {
    error(type_line, object, "source-address-translation type snat needs a pool (an ltm snatpool)");
  } else if (vs.snat != SnatType::Snat && !refs.snat_pool.empty()) {
    error(refs.snat_line, object, "source-address-translation pool " + refs.snat_pool + " needs type snat");
    refs.snat_pool.clear();
  }
}

void Parser::resolve_virtual_profiles(VirtualServer& vs, const VirtualRefs& refs, const std::string& object) {
  auto find = [](const auto& list, const std::string& name) -> decltype(&list[0]) {
    for (const auto& p : list) {
      if (p.name == name) return &p;
    }
    return nullptr;
  };
  int http_count = 0;
  int client_tcp = 0;
  int server_tcp = 0;
  int oneconnect_count = 0;
  int websocket_line = 0;
  int oneconnect_line = 0;
  for (const ProfileRef& ref : refs.profiles) {
    const std::string& p = ref.name;
    const HttpProfile* http = find(config_.http_profiles, p);
    const TcpProfile* tcp = find(config_.tcp_profiles, p);
    const OneConnectProfile* oneconnect = find(config_.oneconnect_profiles, p);
    if (p == kHttpProfile || http) {
      vs.has_http_profile = true;
      vs.http = http ? *http : HttpProfile{};
      if (++http_count == 2) error(ref.line, object, "more than one http profile is attached");
    } else if (p == kTcpProfile || tcp) {
      TcpProfile profile = tcp ? *tcp : TcpProfile{};
      bool client = ref.context != ProfileRef::Context::ServerSide;
      bool server = ref.context != ProfileRef::Context::ClientSide;
      if (client) vs.tcp = profile;
      if (server) vs.server_tcp = profile;
      if ((client && ++client_tcp == 2) || (server && ++server_tcp == 2)) {
        error(ref.line, object, "more than one tcp profile is attached");
      }
    } else if (p == kWebsocketProfile) {
      vs.has_websocket_profile = true;
      websocket_line = ref.line;
    } else if (p == kOneConnectProfile || oneconnect) {
      vs.oneconnect = oneconnect ? *oneconnect : OneConnectProfile{};
      oneconnect_line = ref.line;
      if (++oneconnect_count == 2) error(ref.line, object, "more than one one-connect profile is attached");
    } else if (reported_unsupported(Family::Profile, p)) {
      // its definition has had the error
    } else if (is_bigip_builtin_profile(p)) {
      error(ref.line, object, "profile " + p + " is a BIG-IP built-in irulesd does not support");
    } else {
      error(ref.line, object, "profile " + p + " does not exist");
    }
  }
  if (vs.has_websocket_profile && !vs.has_http_profile) {
    error(websocket_line, object, "profile /Common/websocket requires an http profile on the same virtual");
  }
  if (vs.oneconnect && !vs.has_http_profile) {
    // Without HTTP irulesd sees no request boundary at which a server connection could be handed on.
    error(oneconnect_line, object, "profile " + vs.oneconnect->name + " (one-connect) requires an http profile on "
                                   "the same virtual");
  }
}

void Parser::resolve_virtual_persistence(VirtualServer& vs, const VirtualRefs& refs, const std::string& object) {
  auto resolve = [&](const std::string& name, int line) -> const PersistenceProfile* {
    if (name.empty()) return nullptr;
    if (const PersistenceProfile* p = config_.find_persistence(name)) return p;
    if (reported_unsupported(Family::Persistence, name)) return nullptr;
    if (is_bigip_builtin_persistence(name)) {
      error(line, object, "persistence profile " + name + " is a BIG-IP built-in irulesd does not support");
    } else {
      error(line, object, "persistence profile " + name + " does not exist");
    }
    return nullptr;
  };
  if (const PersistenceProfile* p = resolve(refs.persist, refs.persist_line)) {
    if (p->type == PersistenceType::Cookie && !vs.has_http_profile) {
      error(refs.persist_line, object, "persistence profile " + p->name + " (cookie) requires an http profile on "
                                       "the same virtual");
    }
    vs.persist = *p;
  }
  if (const PersistenceProfile* p = resolve(refs.fallback_persist, refs.fallback_line)) {
    if (p->type == PersistenceType::Cookie) {
      error(refs.fallback_line, object, "fallback-persistence " + p->name + ": a cookie persistence profile cannot "
                                        "be the fallback (source-addr, universal or hash)");
    }
    vs.fallback_persist = *p;
  }
}

void Parser::resolve_virtual_rules(VirtualServer& vs, const VirtualRefs& refs, const std::string& object) {
  for (std::size_t ri = 0; ri < vs.rules.size() && ri < refs.rule_lines.size(); ++ri) {
    ensure_rule(vs.rules[ri], refs.rule_lines[ri], object);
  }
  // BIG-IP runs the rule of a universal or hash persistence profile on the virtuals that use it.
  for (const std::optional<PersistenceProfile>* p : {&vs.persist, &vs.fallback_persist}) {
    if (*p && !(*p)->rule.empty() && std::find(vs.rules.begin(), vs.rules.end(), (*p)->rule) == vs.rules.end()) {
      vs.rules.push_back((*p)->rule);
    }
  }
}

void Parser::resolve_virtuals() {
  std::map<std::string, std::string> destinations;  // "addr:port source/len" -> virtual name
  for (std::size_t vi = 0; vi < config_.virtuals.size(); ++vi) {
    VirtualServer& vs = config_.virtuals[vi];
    const VirtualRefs& refs = virtual_refs_[vi];
    const std::string object = "ltm virtual " + vs.name;

    if (!vs.pool.empty() && !config_.find_pool(vs.pool)) {
      error(refs.pool_line, object, "pool " + vs.pool + " does not exist");
    }
    resolve_virtual_profiles(vs, refs, object);
    resolve_virtual_persistence(vs, refs, object);
    resolve_virtual_rules(vs, refs, object);
    if (!refs.snat_pool.empty()) {
      if (const SnatPool* pool = config_.find_snat_pool(refs.snat_pool)) {
        vs.snat_pool = *pool;
      } else {
        error(refs.snat_line, object, "snatpool " + refs.snat_pool + " does not exist");
      }
    }

    if (!vs.dest_address.empty()) {
      std::string key = vs.dest_address + ":" + std::to_string(vs.dest_port) + " " + vs.source_address + "/" +
                        std::to_string(vs.source_prefix_len);
      auto [other, inserted] = destinations.emplace(key, vs.name);
      if (!inserted) {
        error(vs.loc.line, object, "destination " + vs.dest_address + ":" + std::to_string(vs.dest_port) +
                                       " is already used by ltm virtual " + other->second);
      }
    }
  }
}

}  // namespace irulesd::config_parser
