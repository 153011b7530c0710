#include "core/member_stats.h"

namespace irulesd {
namespace {

std::shared_ptr<EndpointStats> find_or_make(std::map<std::string, std::weak_ptr<EndpointStats>>& map,
                                            const std::string& key) {
  std::weak_ptr<EndpointStats>& slot = map[key];
  std::shared_ptr<EndpointStats> stats = slot.lock();
  if (!stats) {
    stats = std::make_shared<EndpointStats>();
    slot = stats;
  }
  // Entries of members no version uses any more are dropped as others are made.
  for (auto it = map.begin(); it != map.end();) it = it->second.expired() ? map.erase(it) : std::next(it);
  return stats;
}

}  // namespace

MemberRegistry& MemberRegistry::global() {
  static MemberRegistry registry;
  return registry;
}

std::shared_ptr<EndpointStats> MemberRegistry::member(const std::string& pool, const std::string& address,
                                                      uint16_t port) {
  std::lock_guard<std::mutex> lock(mutex_);
  return find_or_make(members_, pool + " " + address + ":" + std::to_string(port));
}

std::shared_ptr<EndpointStats> MemberRegistry::node(const std::string& address) {
  std::lock_guard<std::mutex> lock(mutex_);
  return find_or_make(nodes_, address);
}

std::shared_ptr<std::atomic<uint32_t>> MemberRegistry::virtual_connections(const std::string& virtual_name) {
  std::lock_guard<std::mutex> lock(mutex_);
  std::weak_ptr<std::atomic<uint32_t>>& slot = virtuals_[virtual_name];
  std::shared_ptr<std::atomic<uint32_t>> counter = slot.lock();
  if (!counter) {
    counter = std::make_shared<std::atomic<uint32_t>>(0);
    slot = counter;
  }
  return counter;
}

void MemberRegistry::sample() {
  std::lock_guard<std::mutex> lock(mutex_);
  for (auto* map : {&members_, &nodes_}) {
    for (auto& [key, weak] : *map) {
      if (std::shared_ptr<EndpointStats> stats = weak.lock()) {
        const uint32_t now = stats->connections.load(std::memory_order_relaxed);
        const uint32_t before = stats->sampled_connections.exchange(now, std::memory_order_relaxed);
        stats->sampled_trend.store(static_cast<int32_t>(now) - static_cast<int32_t>(before), std::memory_order_relaxed);
      }
    }
  }
}

}  // namespace irulesd
