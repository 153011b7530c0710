// One loaded version of the configuration, shared read-only by every worker: the config, which
// virtual each listening address belongs to, the round-robin positions of its pools, and the
// listening sockets this version opened (one per worker, SO_REUSEPORT).
#pragma once

#include <netinet/in.h>

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "core/config.h"
#include "core/pool_runtime.h"
#include "core/transaction.h"

namespace irulesd {

struct ConfigVersion final : PoolStates {
  uint64_t generation = 0;
  std::shared_ptr<const Config> config;
  // "127.0.0.10:8080" -> the virtual server listening there.
  std::map<std::string, const VirtualServer*> virtual_by_listen_key;
  // Listening sockets opened for this version, one per worker; a worker takes the fd at its index
  // for keys it does not listen on yet. Keys already open keep their sockets across versions.
  std::map<std::string, std::vector<int>> new_listen_fds;
  // Per pool, in config->pools order: policy, candidates, shared member stats and the rotation every
  // worker shares.
  std::vector<std::unique_ptr<PoolRuntime>> pools;
  // The runtime of a pool of this version's config; nullptr for one it does not have.
  const PoolRuntime* runtime_of(const Pool* pool) const;
  std::size_t active_members(const Pool& pool) const override;
  const char* member_status(const Pool& pool, std::size_t member) const override;
  int choose_member(const Pool& pool) const override;
  // SNAT pools: the rotation over each virtual's snat pool addresses.
  mutable std::atomic<uint32_t> snat_rotation{0};
  // SNAT automap source (the internal self IP), when the config has a self IP.
  bool has_snat_source = false;
  sockaddr_in snat_source{};
};

std::string listen_key(const VirtualServer& vs);   // "ADDR:PORT"

// A version of a checked config, without its listening sockets: which virtual listens where, the
// pools' rotations, the SNAT automap source. Null, with `errors` filled, when two virtuals share a
// destination or automap has no self IP.
std::shared_ptr<ConfigVersion> make_config_version(std::shared_ptr<const Config> config, uint64_t generation,
                                                   std::vector<ConfigError>& errors);

}  // namespace irulesd
