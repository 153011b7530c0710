#include "core/config_version.h"

#include <uv.h>

#include "core/net_util.h"

namespace irulesd {

std::shared_ptr<ConfigVersion> make_config_version(std::shared_ptr<const Config> config, uint64_t generation,
                                                   std::vector<ConfigError>& errors) {
  auto version = std::make_shared<ConfigVersion>();
  version->generation = generation;
  version->config = std::move(config);
  const Config& cfg = *version->config;
  for (const VirtualServer& vs : cfg.virtuals) {
    std::string key = listen_key(vs);
    auto [it, inserted] = version->virtual_by_listen_key.emplace(key, &vs);
    if (!inserted) {
      errors.push_back({vs.loc.file, vs.loc.line,
                        "virtual " + vs.name + ": destination " + key + " is already used by " + it->second->name});
    }
  }
  for (const Pool& pool : cfg.pools) version->pools.push_back(make_pool_runtime(cfg, pool));
  if (const SelfIp* self = cfg.automap_self_ip()) {
    version->has_snat_source = make_ipv4(self->address, 0, version->snat_source);
  }
  for (const VirtualServer& vs : cfg.virtuals) {
    if (vs.snat == SnatType::Automap && !version->has_snat_source) {
      errors.push_back({vs.loc.file, vs.loc.line,
                        "virtual " + vs.name + ": source-address-translation automap needs a net self address"});
    }
  }
  if (!errors.empty()) return nullptr;
  return version;
}

std::size_t ConfigVersion::active_members(const Pool& pool) const {
  const PoolRuntime* runtime = runtime_of(&pool);
  if (runtime == nullptr) return pool.members.size();
  std::size_t n = 0;
  for (const LbCandidate& candidate : runtime->candidates) {
    LbCandidate unlimited = candidate;   // limits come and go with traffic: not part of "active"
    unlimited.connection_limit = unlimited.node_connection_limit = 0;
    n += lb_eligible(unlimited);
  }
  return n;
}

const char* ConfigVersion::member_status(const Pool& pool, std::size_t member) const {
  const PoolRuntime* runtime = runtime_of(&pool);
  if (runtime == nullptr || member >= runtime->candidates.size()) return "up";
  const LbCandidate& c = runtime->candidates[member];
  if (runtime->down(member)) return "down";
  return c.enabled && !c.member->monitor_disabled.load(std::memory_order_relaxed) ? "up" : "session_disabled";
}

int ConfigVersion::choose_member(const Pool& pool) const {
  const PoolRuntime* runtime = runtime_of(&pool);
  if (runtime == nullptr || runtime->candidates.empty()) return -1;
  // uv_hrtime is the clock of the loops' uv_now, which member stats (slow ramp) are stamped with.
  return lb_choose(runtime->policy, runtime->candidates, runtime->rotation, static_cast<int64_t>(uv_hrtime() / 1000000));
}

const PoolRuntime* ConfigVersion::runtime_of(const Pool* pool) const {
  if (pool == nullptr || config->pools.empty()) return nullptr;
  const std::ptrdiff_t index = pool - config->pools.data();
  if (index < 0 || static_cast<std::size_t>(index) >= pools.size()) return nullptr;
  return pools[static_cast<std::size_t>(index)].get();
}

}  // namespace irulesd
