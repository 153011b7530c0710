// The live state of pool members and nodes that every worker shares and every config version sees:
// the counts load balancing and connection limits read, and what health monitors publish. One process
// registry, keyed by pool + member address:port (members) and by address (nodes), so the state
// survives a reload that keeps the member.
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>

namespace irulesd {

struct EndpointStats {
  std::atomic<uint32_t> connections{0};        // server connections open now, all workers
  std::atomic<uint64_t> total_connections{0};
  std::atomic<uint32_t> outstanding_requests{0};   // requests sent, response head not yet back
  std::atomic<uint32_t> response_time_us{0};       // smoothed time to a response head (fastest-app-response)
  // Observed/predictive: connections sampled once a second, and the trend of the last two samples.
  std::atomic<uint32_t> sampled_connections{0};
  std::atomic<int32_t> sampled_trend{0};
  // Health: the monitors' verdict, and when it last became up (slow ramp). Up until a monitor says
  // otherwise: a member without monitors is always up.
  std::atomic<bool> monitor_up{true};
  // A monitor's recv-disable matched: no new connections, but persisted clients still reach it.
  std::atomic<bool> monitor_disabled{false};
  std::atomic<int64_t> up_since_ms{0};

  void connection_opened() {
    connections.fetch_add(1, std::memory_order_relaxed);
    total_connections.fetch_add(1, std::memory_order_relaxed);
  }
  void connection_closed() { connections.fetch_sub(1, std::memory_order_relaxed); }
};

class MemberRegistry {
 public:
  static MemberRegistry& global();

  // The stats of member ADDR:PORT of pool POOL (canonical names), made on first use.
  std::shared_ptr<EndpointStats> member(const std::string& pool, const std::string& address, uint16_t port);
  // The stats of the node at ADDR (shared by every pool that has a member there).
  std::shared_ptr<EndpointStats> node(const std::string& address);
  // Client connections open on a virtual server now, all workers (its connection-limit).
  std::shared_ptr<std::atomic<uint32_t>> virtual_connections(const std::string& virtual_name);
  // Once a second (observed / predictive): every endpoint's connections sampled, with the trend.
  void sample();

 private:
  std::mutex mutex_;
  std::map<std::string, std::weak_ptr<EndpointStats>> members_;
  std::map<std::string, std::weak_ptr<EndpointStats>> nodes_;
  std::map<std::string, std::weak_ptr<std::atomic<uint32_t>>> virtuals_;
};

}  // namespace irulesd
