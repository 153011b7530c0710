// Health monitors as BIG-IP runs them: every `interval` a probe of each monitored member or node
// (tcp: connect, optional send/recv; http: send the request, match `recv` in the answer); a target is
// down once `timeout` seconds pass without a good answer, up again after one (or after
// `time-until-up` of good answers). The verdict goes to the target's EndpointStats, which every
// worker's load balancing reads. Runs on one loop (the daemon's).
#pragma once

#include <uv.h>

#include <cstdint>
#include <map>
#include <memory>
#include <regex>
#include <string>
#include <vector>

#include "core/member_stats.h"

namespace irulesd {

struct MonitorSpec {
  enum class Kind { Tcp, Http };
  std::string name;              // canonical, for log lines
  Kind kind = Kind::Tcp;
  std::string send;              // bytes sent on connect (\r \n \t \\ escapes already turned into bytes)
  std::string recv;              // regex a good answer matches; empty = connecting is enough (tcp)
  std::string recv_disable;      // regex that marks the target disabled (no new connections), not down
  uint32_t interval_s = 5;
  uint32_t timeout_s = 16;
  uint32_t up_interval_s = 0;    // probe interval while up; 0 = interval
  uint32_t time_until_up_s = 0;  // good answers for this long before up; 0 = the first one
  std::string dest_address;      // empty = the target's own
  uint16_t dest_port = 0;        // 0 = the target's own
  bool refused_is_up = false;    // gateway_icmp as a connect: a refusal still proves the host is up
};

// A pool's min-up-members check (`min-up-members-checking enabled`): when fewer of its members than
// min_up_members are up, BIG-IP takes min-up-members-action (failover, reboot, restart-all: actions of
// an HA cluster, which irulesd is not). irulesd logs the pool's fall below the minimum, and its
// return, and takes no action. Shared by the targets whose state counts for the pool: its members'
// and their nodes'.
struct PoolUpWatch {
  std::string pool_name;
  uint32_t min_up_members = 0;
  std::string action;   // as the config spells it, for the log line
  std::vector<std::shared_ptr<EndpointStats>> members;   // every member of the pool, monitored or not
  std::vector<std::shared_ptr<EndpointStats>> nodes;     // each member's node (same index)
  bool below = false;   // what was last logged

  // Members whose monitors and whose node's monitors say up now.
  std::size_t up_count() const;
  // Logs a crossing of min_up_members since the last call (quiet: only remember where it stands).
  void check(bool quiet = false);
};

// One monitored thing: a pool member or a node, with its monitor rule (all of them up, or at least
// min_up of them).
struct MonitorTarget {
  std::string key;        // identity across reloads, e.g. "member /Common/p 10.0.0.1:80"
  std::string log_name;   // "Pool /Common/p member /Common/n:80" or "Node /Common/n address 10.0.0.1"
  std::string address;
  uint16_t port = 0;
  std::vector<MonitorSpec> monitors;
  std::size_t min_up = 0;   // 0 = all
  std::shared_ptr<EndpointStats> stats;
  // The min-up-members checks this target's state counts in (its pool's; a node's: every pool with
  // a member there).
  std::vector<std::shared_ptr<PoolUpWatch>> pool_watches;
};

class HealthMonitor {
 public:
  explicit HealthMonitor(uv_loop_t* loop);
  ~HealthMonitor();
  HealthMonitor(const HealthMonitor&) = delete;
  HealthMonitor& operator=(const HealthMonitor&) = delete;

  // The targets of a (new) config version. Probes of targets that stay (same key and monitors) go
  // on with their state; the others start over or stop.
  void set_targets(std::vector<MonitorTarget> targets);
  // Stops every probe and closes their handles (the loop ends once they are closed).
  void close();

  struct Probe;
  struct Target;

 private:
  uv_loop_t* loop_;
  std::map<std::string, std::unique_ptr<Target>> targets_;
};

}  // namespace irulesd
