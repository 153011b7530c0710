#include "core/config.h"

#include <algorithm>

namespace irulesd {

std::string ConfigError::str() const { return file + ":" + std::to_string(line) + ": " + message; }

std::string canonical_name(const std::string& name) {
  if (name.empty() || name.front() == '/') return name;
  return "/Common/" + name;
}

namespace {

// Linear search: configs hold tens of objects and lookups happen at load time, not per request.
template <typename T>
const T* find_named(const std::vector<T>& items, const std::string& name) {
  const std::string wanted = canonical_name(name);
  auto it = std::find_if(items.begin(), items.end(), [&](const T& item) { return item.name == wanted; });
  return it == items.end() ? nullptr : &*it;
}

}  // namespace

const Pool* Config::find_pool(const std::string& name) const { return find_named(pools, name); }

const Rule* Config::find_rule(const std::string& name) const { return find_named(rules, name); }

const VirtualServer* Config::find_virtual(const std::string& name) const { return find_named(virtuals, name); }
const IFile* Config::find_ifile(const std::string& name) const { return find_named(ifiles, name); }

const Node* Config::find_node(const std::string& name) const { return find_named(nodes, name); }

const SnatPool* Config::find_snat_pool(const std::string& name) const { return find_named(snat_pools, name); }

const Monitor* Config::find_monitor(const std::string& name) const {
  const Monitor* m = find_named(monitors, name);
  return m ? m : find_named(builtin_monitors(), name);
}

const PersistenceProfile* Config::find_persistence(const std::string& name) const {
  const PersistenceProfile* p = find_named(persistence_profiles, name);
  return p ? p : find_named(builtin_persistence_profiles(), name);
}

const SelfIp* Config::automap_self_ip() const {
  // BIG-IP picks the self IP on the egress vlan; without routing tables the internal vlan is the one
  // that faces the pool members.
  for (const SelfIp& self : self_ips) {
    if (self.vlan.find("internal") != std::string::npos) return &self;
  }
  return self_ips.empty() ? nullptr : &self_ips.front();
}

}  // namespace irulesd
