// The process: loads a config version, starts the workers, and handles SIGHUP (reload),
// SIGTERM (drain and exit 0) and SIGINT (stop now) on the main thread's loop.
#pragma once

#include <iosfwd>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "core/config_version.h"
#include "core/health_monitor.h"
#include "core/rule_engine.h"
#include "core/worker.h"

namespace irulesd {

struct DaemonOptions {
  std::string config_path;
  std::string rules_dir;
  std::string log_path;
  int workers = 1;
  double drain_timeout_s = 30.0;
  long max_connections = 0;   // client connections of the whole process; 0 = no limit but descriptors
};

// --check: parse the config and compile every rule; errors to stderr as FILE:LINE: message.
int run_check(const DaemonOptions& options, RuleEngineFactory& factory);
// --check --rules-dir DIR without --config: each DIR/*.tcl on its own; one line per rule ("loaded
// NAME" or its first error as FILE:LINE: message) and a summary; exit status 1 if any failed.
int run_rules_check(const std::string& rules_dir, RuleEngineFactory& factory, std::ostream& out);
// Runs until SIGTERM/SIGINT. Returns the process exit code.
int run_daemon(const DaemonOptions& options, RuleEngineFactory& factory);

class Daemon {
 public:
  Daemon(DaemonOptions options, RuleEngineFactory& factory);
  int run();

 private:
  // Loads config + rules and opens the listening sockets the version adds. On failure returns null
  // and fills `errors`; nothing of the running version changes.
  std::shared_ptr<const ConfigVersion> load_version(std::vector<ConfigError>& errors);
  void reload();

  DaemonOptions options_;
  RuleEngineFactory& factory_;
  std::vector<std::unique_ptr<Worker>> workers_;
  std::set<std::string> open_listen_keys_;
  // Every address a version of this daemon listened on. A version that drops one and a next that
  // adds it back can meet the workers' old listeners still open (a worker closes them when it
  // switches, and may skip a superseded version): the probe for another owner would then find our
  // own sockets and refuse the reload. For such an address the probe is skipped; another process
  // holding it is still refused by the bind itself (SO_REUSEPORT shares a port only with sockets of
  // the same user that set it too).
  std::set<std::string> listened_keys_;
  std::unique_ptr<HealthMonitor> monitor_;   // on the main loop; members' state for every worker
  uv_timer_t sample_timer_;                  // once a second: connection samples (observed, predictive)
  uint64_t generation_ = 0;
};

}  // namespace irulesd
