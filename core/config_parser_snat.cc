// `ltm snatpool`, `ltm snat-translation` and `ltm virtual-address`: the addresses a virtual's SNAT
// uses, and the listening addresses BIG-IP keeps beside its virtuals.
#include <algorithm>

#include "core/config_parser_impl.h"
#include "core/config_values.h"

namespace irulesd::config_parser {
namespace {

enum : int { kDisabled };

const std::vector<Setting>& translation_settings() {
  static const std::vector<Setting> settings = {
      Setting{"enabled", ValueKind::Flag},
      Setting{"disabled", ValueKind::Flag, kDisabled},
      // ARP and HA placement of the address: the system's business, not a proxy's.
      Setting{"arp", ValueKind::Any},
      Setting{"traffic-group", ValueKind::Any},
      Setting{"inherited-traffic-group", ValueKind::Any},
      Setting{"unit", ValueKind::Any},
      only("connection-limit", {"0"}),
      only("ip-idle-timeout", {"indefinite"}),
      only("tcp-idle-timeout", {"indefinite"}),
      only("udp-idle-timeout", {"indefinite"}),
  };
  return settings;
}

// A virtual address is where BIG-IP answers ARP and ICMP for its virtuals; irulesd listens on the
// virtual's destination and leaves those to the host, so only the switches that would change which
// connections arrive are refused.
const std::vector<Setting>& virtual_address_settings() {
  static const std::vector<Setting> settings = {
      Setting{"address", ValueKind::Any},
      Setting{"mask", ValueKind::Any},
      Setting{"arp", ValueKind::Any},
      Setting{"icmp-echo", ValueKind::Any},
      Setting{"traffic-group", ValueKind::Any},
      Setting{"inherited-traffic-group", ValueKind::Any},
      Setting{"floating", ValueKind::Any},
      Setting{"unit", ValueKind::Any},
      Setting{"route-advertisement", ValueKind::Any},
      Setting{"spanning", ValueKind::Any},
      Setting{"auto-delete", ValueKind::Any},
      Setting{"server-scope", ValueKind::Any},
      only("enabled", {"yes"}),
      only("connection-limit", {"0"}),
  };
  return settings;
}

}  // namespace

// `ltm snatpool NAME { members { /Common/10.0.0.1 TRANSLATION ... } }`: each member names an
// ltm snat-translation, or is an address (BIG-IP makes the translation of that name itself).
void Parser::parse_snatpool(const std::string& name, int line, const ConfigWord& body, const std::string& object) {
  SnatPool pool;
  pool.name = name;
  pool.loc = SourceLoc{config_.file, line};
  std::vector<std::pair<std::string, int>> members;
  bool has_members = false;
  PropertyReader r(body);
  while (const ConfigWord* key = r.next_key()) {
    if (key->kind == ConfigWord::Kind::Bare && key->text == "members") {
      const ConfigWord* v = block_value(r, *key, object);
      if (!v) continue;
      has_members = true;
      PropertyReader list(*v);
      while (const ConfigWord* member = list.next_key()) {
        if (member->is_block()) {
          error(member->line, object, "unexpected { } block in members (expected addresses)");
          continue;
        }
        members.emplace_back(canonical_name(member->value()), member->line);
        // tmsh may write an empty body after the member: `/Common/10.0.0.1 { }`.
        if (const ConfigWord* b = list.peek_value(); b && b->kind == ConfigWord::Kind::Block) list.next_value();
      }
    } else if (const Setting* s = lookup({}, *key)) {
      Value v;
      read_setting(r, *key, *s, object, &v);
    } else {
      unknown_property(r, *key, object);
    }
  }
  if (!has_members || members.empty()) error(line, object, "a snatpool needs at least one member");
  snatpool_members_.push_back(std::move(members));
  config_.snat_pools.push_back(std::move(pool));
}

void Parser::parse_snat_translation(const std::string& name, int line, const ConfigWord& body,
                                    const std::string& object) {
  SnatTranslation t{name, "", SourceLoc{config_.file, line}};
  bool has_address = false;
  PropertyReader r(body);
  while (const ConfigWord* key = r.next_key()) {
    if (key->kind == ConfigWord::Kind::Bare && key->text == "address") {
      has_address = true;
      const ConfigWord* v = scalar_value(r, *key, object);
      if (!v) continue;
      if (!parse_ipv4(v->value(), nullptr)) error(v->line, object, "address " + v->text + " is not an IPv4 address (A.B.C.D)");
      t.address = v->value();
    } else if (const Setting* s = lookup(translation_settings(), *key)) {
      Value v;
      if (read_setting(r, *key, *s, object, &v) && s->id == kDisabled) {
        error(key->line, object, "a disabled snat-translation is not supported (remove it)");
      }
    } else {
      unknown_property(r, *key, object);
    }
  }
  if (!has_address) error(line, object, "missing address");
  config_.snat_translations.push_back(std::move(t));
}

void Parser::parse_virtual_address(const std::string&, int, const ConfigWord& body, const std::string& object) {
  PropertyReader r(body);
  while (const ConfigWord* key = r.next_key()) {
    if (const Setting* s = lookup(virtual_address_settings(), *key)) {
      Value v;
      read_setting(r, *key, *s, object, &v);
    } else {
      unknown_property(r, *key, object);
    }
  }
}

void Parser::resolve_snat_pools() {
  std::map<std::string, const SnatTranslation*> translations;
  for (const SnatTranslation& t : config_.snat_translations) translations.emplace(t.name, &t);
  for (std::size_t i = 0; i < config_.snat_pools.size(); ++i) {
    SnatPool& pool = config_.snat_pools[i];
    const std::string object = "ltm snatpool " + pool.name;
    for (const auto& [member, line] : snatpool_members_[i]) {
      std::string address;
      if (auto it = translations.find(member); it != translations.end()) {
        address = it->second->address;
      } else if (parse_ipv4(short_name(member), nullptr)) {
        address = short_name(member);
      } else {
        error(line, object, "member " + member + " is neither an ltm snat-translation nor an IPv4 address");
        continue;
      }
      if (std::find(pool.addresses.begin(), pool.addresses.end(), address) != pool.addresses.end()) {
        error(line, object, "member " + member + ": address " + address + " is in the snatpool twice");
        continue;
      }
      if (!address.empty()) pool.addresses.push_back(address);
    }
  }
}

}  // namespace irulesd::config_parser
