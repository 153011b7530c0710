#include "core/daemon.h"

#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstring>
#include <iostream>

#include "core/log.h"
#include "core/member_stats.h"
#include "core/monitor_targets.h"
#include "core/net_util.h"

namespace irulesd {
namespace {

// Fails when another process listens on the address. SO_REUSEPORT would let our bind succeed and
// the kernel would then share the port between both processes; a plain bind tells the truth first.
bool address_is_free(const sockaddr_in& addr, std::string& error) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    error = std::strerror(errno);
    return false;
  }
  int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);   // TIME_WAIT leftovers are no owner
  bool free = ::bind(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) == 0;
  if (!free) error = std::strerror(errno);
  ::close(fd);
  return free;
}

// A listening socket per worker on the same address (SO_REUSEPORT): the kernel spreads accepts.
int open_listen_socket(const sockaddr_in& addr, std::string& error) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    error = std::strerror(errno);
    return -1;
  }
  int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one);
  if (::bind(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0) {
    error = std::strerror(errno);
    ::close(fd);
    return -1;
  }
  return fd;
}

void print_errors(const std::vector<ConfigError>& errors) {
  for (const ConfigError& e : errors) std::cerr << e.str() << "\n";
}

}  // namespace

int run_check(const DaemonOptions& options, RuleEngineFactory& factory) {
  ConfigLoadResult loaded = load_config(options.config_path, options.rules_dir);
  std::vector<ConfigError> errors = loaded.errors;
  if (loaded.config) errors = factory.check(*loaded.config);
  if (!errors.empty()) {
    print_errors(errors);
    std::cerr << "irulesd: configuration " << options.config_path << " has " << errors.size() << " error(s)\n";
    return 1;
  }
  std::cout << "irulesd: configuration " << options.config_path << " is ok (" << loaded.config->virtuals.size()
            << " virtual servers, " << loaded.config->pools.size() << " pools, " << loaded.config->rules.size()
            << " rules)\n";
  return 0;
}

int run_daemon(const DaemonOptions& options, RuleEngineFactory& factory) {
  Daemon daemon(options, factory);
  return daemon.run();
}

Daemon::Daemon(DaemonOptions options, RuleEngineFactory& factory)
    : options_(std::move(options)), factory_(factory) {}

std::shared_ptr<const ConfigVersion> Daemon::load_version(std::vector<ConfigError>& errors) {
  ConfigLoadResult loaded = load_config(options_.config_path, options_.rules_dir);
  if (!loaded.config) {
    errors = loaded.errors;
    return nullptr;
  }
  errors = factory_.check(*loaded.config);
  if (!errors.empty()) return nullptr;

  std::shared_ptr<ConfigVersion> version = make_config_version(loaded.config, ++generation_, errors);
  if (!version) return nullptr;

  // Open sockets only for addresses not yet listened on; on any failure close what this attempt opened.
  for (const auto& [key, vs] : version->virtual_by_listen_key) {
    if (open_listen_keys_.count(key)) continue;
    std::vector<int>& fds = version->new_listen_fds[key];
    sockaddr_in addr{};
    std::string error;
    if (!make_ipv4(vs->dest_address, vs->dest_port, addr)) {
      error = "not an IPv4 address";
    } else if (listened_keys_.count(key) != 0 || address_is_free(addr, error)) {
      for (int i = 0; i < options_.workers; ++i) {
        int fd = open_listen_socket(addr, error);
        if (fd < 0) break;
        fds.push_back(fd);
      }
    }
    if (static_cast<int>(fds.size()) != options_.workers) {
      errors.push_back({vs->loc.file, vs->loc.line, "virtual " + vs->name + ": cannot listen on " + key + ": " + error});
    }
  }
  if (!errors.empty()) {
    for (auto& [key, fds] : version->new_listen_fds) {
      for (int fd : fds) ::close(fd);
    }
    return nullptr;
  }
  open_listen_keys_.clear();
  for (const auto& [key, vs] : version->virtual_by_listen_key) {
    open_listen_keys_.insert(key);
    listened_keys_.insert(key);
  }
  return version;
}

int Daemon::run() {
  std::signal(SIGPIPE, SIG_IGN);
  // Every proxied connection holds two descriptors: allow as many as the hard limit does.
  rlimit files{};
  if (getrlimit(RLIMIT_NOFILE, &files) == 0 && files.rlim_cur < files.rlim_max) {
    files.rlim_cur = files.rlim_max;
    setrlimit(RLIMIT_NOFILE, &files);
  }
  std::vector<ConfigError> errors;
  std::shared_ptr<const ConfigVersion> first = load_version(errors);
  if (!first) {
    print_errors(errors);
    for (const ConfigError& e : errors) log_line(LogLevel::Err, "{}", e.str());
    return 1;
  }
  log_line(LogLevel::Notice, "irulesd starting: config {}, {} workers", options_.config_path, options_.workers);
  for (const VirtualServer& vs : first->config->virtuals) {
    log_line(LogLevel::Notice, "virtual {} listening on {}:{}", vs.name, vs.dest_address, vs.dest_port);
  }
  WorkerOptions worker_options{options_.drain_timeout_s, options_.max_connections};
  for (int i = 0; i < options_.workers; ++i) {
    workers_.push_back(std::make_unique<Worker>(i, factory_, worker_options));
  }
  std::vector<Worker*> all;
  for (auto& worker : workers_) all.push_back(worker.get());
  for (auto& worker : workers_) worker->set_siblings(all);
  for (auto& worker : workers_) worker->start(first);
  uv_loop_t* loop = uv_default_loop();
  monitor_ = std::make_unique<HealthMonitor>(loop);
  monitor_->set_targets(monitor_targets(*first->config));
  first.reset();
  uv_timer_init(loop, &sample_timer_);
  uv_timer_start(&sample_timer_, [](uv_timer_t*) { MemberRegistry::global().sample(); }, 1000, 1000);

  uv_signal_t sighup, sigterm, sigint, sigusr1;
  uv_signal_init(loop, &sighup);
  uv_signal_init(loop, &sigterm);
  uv_signal_init(loop, &sigint);
  uv_signal_init(loop, &sigusr1);
  sighup.data = sigterm.data = sigint.data = sigusr1.data = this;
  uv_signal_start(&sighup, [](uv_signal_t* h, int) { static_cast<Daemon*>(h->data)->reload(); }, SIGHUP);
  // SIGUSR1: each worker logs its counters (connections, OneConnect reuse, rule errors and runaways).
  uv_signal_start(&sigusr1, [](uv_signal_t* h, int) {
    for (auto& worker : static_cast<Daemon*>(h->data)->workers_) worker->post_stats();
  }, SIGUSR1);
  auto stop = [](uv_signal_t* h, int signum) {
    auto* self = static_cast<Daemon*>(h->data);
    bool drain = signum == SIGTERM;
    log_line(LogLevel::Notice, "{}: {}", signum == SIGTERM ? "SIGTERM" : "SIGINT",
             drain ? "no longer accepting, draining open connections" : "stopping now");
    for (auto& worker : self->workers_) worker->post_stop(drain);
    self->monitor_->close();   // its probes close with their own callbacks
    uv_walk(h->loop, [](uv_handle_t* handle, void*) {
      if (!uv_is_closing(handle)) uv_close(handle, nullptr);
    }, nullptr);
  };
  uv_signal_start(&sigterm, stop, SIGTERM);
  uv_signal_start(&sigint, stop, SIGINT);
  uv_run(loop, UV_RUN_DEFAULT);
  for (auto& worker : workers_) worker->join();
  monitor_.reset();
  uv_loop_close(loop);
  log_line(LogLevel::Notice, "irulesd stopped");
  return 0;
}

void Daemon::reload() {
  log_line(LogLevel::Notice, "SIGHUP: reloading {}", options_.config_path);
  std::vector<ConfigError> errors;
  std::shared_ptr<const ConfigVersion> version = load_version(errors);
  if (!version) {
    for (const ConfigError& e : errors) log_line(LogLevel::Err, "reload rejected: {}", e.str());
    log_line(LogLevel::Err, "reload rejected: {} error(s); the running configuration stays in service", errors.size());
    return;
  }
  for (auto& worker : workers_) worker->post_version(version);
  monitor_->set_targets(monitor_targets(*version->config));
  log_line(LogLevel::Notice, "reload: generation {} in service for new connections ({} virtual servers, {} rules)",
           version->generation, version->config->virtuals.size(), version->config->rules.size());
}

}  // namespace irulesd
