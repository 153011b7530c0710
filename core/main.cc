// irulesd: command line. Wires the proxy core to the Tcl rule engine.
#include <getopt.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <string>
#include <thread>

#include "core/daemon.h"
#include "core/log.h"
#include "core/rule_engine.h"
#include "core/session_table.h"

namespace {
void usage(std::ostream& out) {
  out << "usage: irulesd --config FILE [--rules-dir DIR] [--workers N] [--log FILE] [--drain-timeout SECONDS]"
         " [--check]\n"
         "       irulesd --check --rules-dir DIR   (every DIR/*.tcl on its own: loaded, or its first error)\n"
         "  --config FILE        bigip.conf subset (ltm virtual/pool/node/rule/profile http, net self)\n"
         "  --rules-dir DIR      where rules named by virtuals are read from as NAME.tcl\n"
         "                       (default: irules/ beside the config file)\n"
         "  --workers N          worker threads (default: number of cores)\n"
         "  --log FILE           ltm-style log file (default: stderr)\n"
         "  --drain-timeout S    SIGTERM: seconds open connections may take to finish (default 30)\n"
         "  --rule-time-budget MS  wall-clock budget of one event's rules before a runaway rule is\n"
         "                       stopped and its connection reset (default 200)\n"
         "  --max-connections N  client connections the process accepts at once; more wait in the\n"
         "                       listen backlog (default 0: no limit but file descriptors)\n"
         "  --rule-max-timers N  timers (after MS SCRIPT) one connection may have pending (default 100)\n"
         "  --rule-max-value-bytes N  largest value one string repeat / lrepeat may build (default 64 MiB)\n"
         "  --table-max-entries N  entries the session table (table, session) may hold (default 1000000)\n"
         "  --check              parse the config, compile every rule, print errors, exit 0/1\n"
         "signals: SIGHUP reloads config and rules; SIGTERM drains and exits 0; SIGINT stops now\n";
}
}  // namespace

int main(int argc, char** argv) {
  irulesd::DaemonOptions options;
  options.workers = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  bool check = false;
  irulesd::RuleEngineOptions rule_options;
  static const option long_options[] = {
      {"config", required_argument, nullptr, 'c'},  {"rules-dir", required_argument, nullptr, 'r'},
      {"workers", required_argument, nullptr, 'w'}, {"log", required_argument, nullptr, 'l'},
      {"drain-timeout", required_argument, nullptr, 'd'}, {"check", no_argument, nullptr, 'k'},
      {"rule-time-budget", required_argument, nullptr, 'b'},
      {"table-max-entries", required_argument, nullptr, 't'},
      {"rule-max-timers", required_argument, nullptr, 'T'},
      {"max-connections", required_argument, nullptr, 'm'},
      {"rule-max-value-bytes", required_argument, nullptr, 'V'},
      {"help", no_argument, nullptr, 'h'},          {nullptr, 0, nullptr, 0}};
  int opt;
  long long table_max_entries = 1000000;
  long long max_value_bytes = static_cast<long long>(rule_options.max_value_bytes);
  while ((opt = getopt_long(argc, argv, "c:r:w:l:d:b:t:T:V:m:kh", long_options, nullptr)) != -1) {
    switch (opt) {
      case 'c': options.config_path = optarg; break;
      case 'r': options.rules_dir = optarg; break;
      case 'w': options.workers = std::atoi(optarg); break;
      case 'l': options.log_path = optarg; break;
      case 'd': options.drain_timeout_s = std::atof(optarg); break;
      case 'k': check = true; break;
      case 'b': rule_options.time_budget_ms = std::atoi(optarg); break;
      case 't': table_max_entries = std::atoll(optarg); break;
      case 'm': options.max_connections = std::atol(optarg); break;
      case 'T': rule_options.max_timers_per_connection = std::atoi(optarg); break;
      case 'V': max_value_bytes = std::atoll(optarg); break;
      case 'h': usage(std::cout); return 0;
      default: usage(std::cerr); return 2;
    }
  }
  if (check && options.config_path.empty() && !options.rules_dir.empty() && optind == argc) {
    // A folder of rules on its own, as an administrator checks a collection before moving it.
    std::unique_ptr<irulesd::RuleEngineFactory> factory = irulesd::make_tcl_rule_engine_factory(rule_options);
    return irulesd::run_rules_check(options.rules_dir, *factory, std::cout);
  }
  if (options.config_path.empty() || optind < argc || options.workers < 1 || options.workers > 256 ||
      options.drain_timeout_s < 0 || rule_options.time_budget_ms < 1 || table_max_entries < 1 ||
      rule_options.max_timers_per_connection < 1 || max_value_bytes < 1 || options.max_connections < 0) {
    usage(std::cerr);
    return 2;
  }
  rule_options.max_value_bytes = static_cast<std::size_t>(max_value_bytes);
  if (options.rules_dir.empty()) {
    options.rules_dir = (std::filesystem::path(options.config_path).parent_path() / "irules").string();
  }
  if (!irulesd::log_open(options.log_path)) {
    std::cerr << "irulesd: cannot open log file " << options.log_path << ": " << std::strerror(errno) << "\n";
    return 1;
  }
  irulesd::SessionTable::global().set_max_entries(static_cast<std::size_t>(table_max_entries));
  std::unique_ptr<irulesd::RuleEngineFactory> factory = irulesd::make_tcl_rule_engine_factory(rule_options);
  if (check) return irulesd::run_check(options, *factory);
  return irulesd::run_daemon(options, *factory);
}
