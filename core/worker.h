// A worker: one thread, one libuv loop, its own listeners (SO_REUSEPORT) and its own rule engine
// per config version. Versions and stop orders arrive from the main thread through a uv_async.
#pragma once

#include <uv.h>

#include <atomic>
#include <cstddef>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_set>
#include <vector>

#include "core/config_version.h"
#include "core/rule_engine.h"
#include "core/server_connection_pool.h"
#include "core/worker_services.h"

namespace irulesd {

class ProxyConnection;

// What one worker runs a version with. Connections hold it, so a version's rule engine lives until
// the last connection that started under it has closed — on this worker's thread.
struct WorkerVersion {
  std::shared_ptr<const ConfigVersion> shared;
  std::unique_ptr<RuleEngine> engine;
};

struct WorkerOptions {
  double drain_timeout_s = 30.0;   // SIGTERM: how long open connections may take to finish
  long max_connections = 0;        // client connections of all workers together; 0 = no limit
};

class Worker {
 public:
  Worker(int index, RuleEngineFactory& factory, WorkerOptions options);
  ~Worker();
  Worker(const Worker&) = delete;
  Worker& operator=(const Worker&) = delete;

  // Starts the thread, which builds its engine for `first` before accepting.
  void start(std::shared_ptr<const ConfigVersion> first);
  // Thread-safe: switch new connections to `version` (listeners opened/closed to match).
  void post_version(std::shared_ptr<const ConfigVersion> version);
  // Thread-safe: stop accepting; drain (up to the drain timeout) or close everything now.
  void post_stop(bool drain);
  // Thread-safe: log this worker's counters (SIGUSR1).
  void post_stats();
  // Before start(): every worker of the process (this one included), for handing connections over.
  void set_siblings(std::vector<Worker*> siblings) { siblings_ = std::move(siblings); }
  // Thread-safe: a client connection another worker accepted for a listener of `listen_key`; this
  // worker serves it (closes it if it has no such listener).
  void post_accepted(int fd, const sockaddr_storage& peer, std::string listen_key);
  // Open client connections (read by other workers to choose the least loaded).
  long load() const { return load_.load(std::memory_order_relaxed); }
  void join();

  // For connections (worker thread only).
  uv_loop_t* loop() { return &loop_; }
  int index() const { return index_; }
  char* read_buffer() { return read_buffer_; }
  WorkerServices* services() { return services_.get(); }
  // OneConnect: this worker's idle server-side connections (closed when the worker stops).
  ServerConnectionPool& server_pool() { return server_pool_; }
  static constexpr std::size_t kReadBufferSize = 64 * 1024;
  // How long one slice of a reload's engine build may run before the loop serves I/O again.
  static constexpr uint32_t kBuildSliceUs = 1000;
  void connection_closed(ProxyConnection* conn);

 private:
  // A listening socket of this worker. Accepted by hand (accept4 when uv_poll says it is readable),
  // not with uv_listen: when descriptors run out libuv accepts and closes every waiting client;
  // we stop accepting instead, leave them in the backlog, and try again shortly.
  struct Listener {
    uv_poll_t poll;
    int fd;
    Worker* worker;
    std::string key;
    bool paused = false;
  };
  void run();
  void on_async();
  void apply_version(std::shared_ptr<const ConfigVersion> version);
  void build_slice();
  void discard_build();
  void switch_to(std::shared_ptr<const ConfigVersion> version, std::unique_ptr<RuleEngine> engine);
  void on_readable(Listener* listener);
  void serve(int fd, const sockaddr_storage& peer, const std::string& listen_key);
  Worker* least_loaded();
  void pause_accept(Listener* listener, const std::string& why);
  void start_accepting(Listener* listener);
  void resume_accept();
  void close_listener(Listener* listener);
  void begin_stop(bool drain);
  void maybe_finish_stop();
  void sweep_idle();
  void log_stats();

  int index_;
  RuleEngineFactory& factory_;
  WorkerOptions options_;
  uv_loop_t loop_;
  uv_async_t async_;
  uv_timer_t drain_timer_;
  uv_timer_t accept_retry_timer_;   // descriptors ran out: paused listeners try again when it fires
  uv_timer_t idle_sweep_timer_;   // once a second: idle-timeout checks (one timer, not one per connection)
  uv_prepare_t log_flush_;        // before each poll: this iteration's log lines in one write
  // While a version's engine is being built: one slice of the build per loop iteration (an idle
  // handle also keeps the loop from blocking in poll, so I/O and slices alternate).
  uv_idle_t build_idle_;
  std::thread thread_;

  std::mutex mutex_;   // guards the three fields below
  // Applied in order: each version may open the listening sockets it brought.
  std::vector<std::shared_ptr<const ConfigVersion>> pending_versions_;
  int pending_stop_ = 0;   // 0 none, 1 drain, 2 now
  bool pending_stats_ = false;
  struct HandedOver {
    int fd;
    sockaddr_storage peer;
    std::string listen_key;
  };
  std::vector<HandedOver> handed_over_;   // from post_accepted
  bool async_closed_ = false;

  std::unique_ptr<WorkerServices> services_;
  ServerConnectionPool server_pool_{&loop_};
  std::shared_ptr<WorkerVersion> current_;
  // The version being built while current_ serves (a reload); a newer one replaces it unfinished.
  std::shared_ptr<const ConfigVersion> building_;
  std::unique_ptr<RuleEngineBuilder> builder_;
  // Listening sockets (listen key -> this worker's fd) that versions superseded before they served
  // brought: the version that does serve opens the ones it has, the others are closed.
  std::map<std::string, int> carried_listen_fds_;
  std::map<std::string, Listener*> listeners_;
  std::unordered_set<ProxyConnection*> connections_;
  uint64_t accepted_ = 0;       // client connections accepted since start
  // Connections this worker serves or has been handed and not yet served, for the other workers: a
  // counter kept exact at each step (least_loaded, connection_closed), never re-read from connections_.
  std::atomic<long> load_{0};
  std::vector<Worker*> siblings_;
  RuleStats retired_rule_stats_;   // of the versions this worker no longer starts connections with
  bool stopping_ = false;
  bool loop_handles_closed_ = false;
  char read_buffer_[kReadBufferSize];
};

}  // namespace irulesd
