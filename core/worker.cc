#include "core/worker.h"

#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>

#include "core/log.h"
#include "core/proxy_connection.h"

namespace irulesd {
namespace {
// Client connections of every worker (--max-connections): counted at accept, released at close.
std::atomic<long> process_connections{0};
}  // namespace

Worker::Worker(int index, RuleEngineFactory& factory, WorkerOptions options)
    : index_(index), factory_(factory), options_(options) {}

Worker::~Worker() { join(); }

void Worker::start(std::shared_ptr<const ConfigVersion> first) {
  // The loop and its async handle exist before the thread does, so posts never race its start.
  uv_loop_init(&loop_);
  uv_async_init(&loop_, &async_, [](uv_async_t* handle) { static_cast<Worker*>(handle->data)->on_async(); });
  async_.data = this;
  services_ = make_worker_services(&loop_);
  uv_timer_init(&loop_, &drain_timer_);
  drain_timer_.data = this;
  uv_timer_init(&loop_, &accept_retry_timer_);
  accept_retry_timer_.data = this;
  uv_timer_init(&loop_, &idle_sweep_timer_);
  idle_sweep_timer_.data = this;
  uv_timer_start(&idle_sweep_timer_, [](uv_timer_t* t) { static_cast<Worker*>(t->data)->sweep_idle(); }, 1000, 1000);
  uv_prepare_init(&loop_, &log_flush_);
  uv_prepare_start(&log_flush_, [](uv_prepare_t*) { log_flush(); });
  uv_idle_init(&loop_, &build_idle_);
  build_idle_.data = this;
  pending_versions_.push_back(std::move(first));
  thread_ = std::thread([this] { run(); });
}

void Worker::post_version(std::shared_ptr<const ConfigVersion> version) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (async_closed_) return;
  pending_versions_.push_back(std::move(version));
  uv_async_send(&async_);
}

void Worker::post_stop(bool drain) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (async_closed_) return;
  pending_stop_ = std::max(pending_stop_, drain ? 1 : 2);
  uv_async_send(&async_);
}

void Worker::post_stats() {
  std::lock_guard<std::mutex> lock(mutex_);
  if (async_closed_) return;
  pending_stats_ = true;
  uv_async_send(&async_);
}

void Worker::log_stats() {
  RuleStats rules = retired_rule_stats_;
  if (current_) {
    const RuleStats now = current_->engine->stats();
    rules.runtime_errors += now.runtime_errors;
    rules.runaway_stops += now.runaway_stops;
  }
  log_line(LogLevel::Notice,
           "worker {} stats: {} connections open, {} accepted; OneConnect {} idle, {} reused; rules {} runtime errors "
           "({} runaway stopped)",
           index_, connections_.size(), accepted_, server_pool_.idle_count(), server_pool_.reused(),
           rules.runtime_errors, rules.runaway_stops);
}

void Worker::join() {
  if (thread_.joinable()) thread_.join();
}

void Worker::run() {
  log_batch_begin();
  on_async();   // the first version (and a stop that raced the start)
  uv_run(&loop_, UV_RUN_DEFAULT);
  builder_.reset();   // (a stop already discarded any build)
  building_.reset();
  current_.reset();   // the last engine goes on this thread, like every other
  services_.reset();
  factory_.thread_finished();
  log_flush();
  uv_loop_close(&loop_);
}

void Worker::on_async() {
  std::vector<std::shared_ptr<const ConfigVersion>> versions;
  int stop = 0;
  bool stats = false;
  std::vector<HandedOver> handed;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    versions.swap(pending_versions_);
    stop = pending_stop_;
    pending_stop_ = 0;
    stats = pending_stats_;
    pending_stats_ = false;
    handed.swap(handed_over_);
  }
  if (stats) log_stats();
  for (auto& version : versions) {
    if (stopping_) {
      for (const auto& [key, fds] : version->new_listen_fds) {
        if (static_cast<std::size_t>(index_) < fds.size()) ::close(fds[index_]);
      }
      continue;
    }
    apply_version(std::move(version));
  }
  for (const HandedOver& h : handed) serve(h.fd, h.peer, h.listen_key);
  if (stop) begin_stop(stop == 1);
}

// The first version (nothing serves yet) is built in one go: no connection waits for this loop, and
// the listeners open once it is ready. A later one is built a slice at a time (build_slice) while
// the current version goes on serving; it replaces current_ when complete. A newer version arriving
// meanwhile abandons the unfinished build and is built instead (only the newest one would serve).
void Worker::apply_version(std::shared_ptr<const ConfigVersion> version) {
  if (!current_) {
    std::unique_ptr<RuleEngine> engine = factory_.create(version->config, index_);
    switch_to(std::move(version), std::move(engine));
    return;
  }
  if (building_) {
    log_line(LogLevel::Info, "worker {}: generation {} superseded by generation {} before it served", index_,
             building_->generation, version->generation);
    discard_build();
  }
  builder_ = factory_.build(version->config, index_);
  building_ = std::move(version);
  uv_idle_start(&build_idle_, [](uv_idle_t* idle) { static_cast<Worker*>(idle->data)->build_slice(); });
}

void Worker::build_slice() {
  if (!builder_) {
    uv_idle_stop(&build_idle_);
    return;
  }
  if (!builder_->step(kBuildSliceUs)) return;   // more next iteration, after the loop polled for I/O
  std::unique_ptr<RuleEngine> engine = builder_->take();
  std::shared_ptr<const ConfigVersion> version = std::move(building_);
  builder_.reset();
  building_.reset();
  uv_idle_stop(&build_idle_);
  if (!engine) engine = factory_.create(version->config, index_);   // a builder that gave nothing: not expected
  switch_to(std::move(version), std::move(engine));
}

// Drops the unfinished build. The listening sockets its version brought are kept for the version that
// will serve (carried_listen_fds_), unless the worker is stopping (then they are closed, carried ones too).
void Worker::discard_build() {
  uv_idle_stop(&build_idle_);
  builder_.reset();   // on this thread: the engine's interpreter belongs to it
  if (building_) {
    for (const auto& [key, fds] : building_->new_listen_fds) {
      if (static_cast<std::size_t>(index_) >= fds.size()) continue;
      auto [it, inserted] = carried_listen_fds_.try_emplace(key, fds[index_]);
      if (!inserted) {   // an older superseded version's socket for the same address: the newer one stays
        ::close(it->second);
        it->second = fds[index_];
      }
    }
    building_.reset();
  }
  if (stopping_) {
    for (const auto& [key, fd] : carried_listen_fds_) ::close(fd);
    carried_listen_fds_.clear();
  }
}

void Worker::switch_to(std::shared_ptr<const ConfigVersion> version, std::unique_ptr<RuleEngine> engine) {
  auto next = std::make_shared<WorkerVersion>();
  next->shared = version;
  next->engine = std::move(engine);

  // The sockets this version brought, over those of versions superseded before they served.
  std::map<std::string, int> fds;
  fds.swap(carried_listen_fds_);
  for (const auto& [key, key_fds] : version->new_listen_fds) {
    if (static_cast<std::size_t>(index_) >= key_fds.size()) continue;
    auto [it, inserted] = fds.try_emplace(key, key_fds[index_]);
    if (!inserted) {
      ::close(it->second);
      it->second = key_fds[index_];
    }
  }
  // Close listeners the new version no longer has; open the ones it added.
  for (auto it = listeners_.begin(); it != listeners_.end();) {
    if (version->virtual_by_listen_key.count(it->first) == 0) {
      close_listener(it->second);
      it = listeners_.erase(it);
    } else {
      ++it;
    }
  }
  for (const auto& [key, fd] : fds) {
    // An address a superseded version added and this one dropped again; or one this worker still
    // listens on (dropped and added back by versions it skipped): the listener it has goes on.
    if (version->virtual_by_listen_key.count(key) == 0 || listeners_.count(key) != 0) {
      ::close(fd);
      continue;
    }
    auto* listener = new Listener{};
    listener->worker = this;
    listener->key = key;
    listener->fd = fd;
    int err = ::listen(listener->fd, 4096) == 0 ? 0 : uv_translate_sys_error(errno);
    if (err == 0) err = uv_poll_init_socket(&loop_, &listener->poll, listener->fd);
    if (err != 0) {
      log_line(LogLevel::Err, "worker {}: cannot listen on {}: {}", index_, key, uv_strerror(err));
      ::close(listener->fd);
      delete listener;
      continue;
    }
    listener->poll.data = listener;
    start_accepting(listener);
    listeners_[key] = listener;
  }
  if (current_) {
    // Connections still running on the old version may add a few after this: counted approximately.
    const RuleStats old = current_->engine->stats();
    retired_rule_stats_.runtime_errors += old.runtime_errors;
    retired_rule_stats_.runaway_stops += old.runaway_stops;
  }
  current_ = std::move(next);
}

void Worker::on_readable(Listener* listener) {
  auto it = current_->shared->virtual_by_listen_key.find(listener->key);
  if (it == current_->shared->virtual_by_listen_key.end()) return;
  // A bounded batch per wake-up, so one busy listener does not starve the loop's other work.
  for (int i = 0; i < 64; ++i) {
    if (options_.max_connections > 0 &&
        process_connections.load(std::memory_order_relaxed) >= options_.max_connections) {
      pause_accept(listener, fmt::format("--max-connections {} reached", options_.max_connections));
      return;
    }
    sockaddr_storage peer{};
    socklen_t peer_len = sizeof peer;
    const int fd = ::accept4(listener->fd, reinterpret_cast<sockaddr*>(&peer), &peer_len, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) {
      if (errno == EINTR || errno == ECONNABORTED) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) return;
      if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
        pause_accept(listener, uv_strerror(uv_translate_sys_error(errno)));
      } else {
        log_line(LogLevel::Err, "accept on {} failed: {}", listener->key, uv_strerror(uv_translate_sys_error(errno)));
      }
      return;
    }
    if (listener->paused) {
      listener->paused = false;
      log_line(LogLevel::Notice, "accept on {} resumed ({} connections on worker {})", listener->key,
               connections_.size(), index_);
    }
    process_connections.fetch_add(1, std::memory_order_relaxed);
    ++accepted_;
    // SO_REUSEPORT spreads connections by a hash of their addresses, so a few long keep-alive
    // connections can pile up on one worker. A worker with more than the least loaded one (plus
    // one, so that connections do not bounce) hands the new connection to it.
    Worker* target = least_loaded();   // its load counts this connection from now on
    if (target != this) {
      target->post_accepted(fd, peer, listener->key);
      continue;
    }
    serve(fd, peer, listener->key);
  }
}

Worker* Worker::least_loaded() {
  Worker* best = this;
  long best_load = load() - 1;
  for (Worker* other : siblings_) {
    if (other != this && other->load() < best_load) {
      best = other;
      best_load = other->load();
    }
  }
  // Counted now, not when it arrives: during a burst of accepts on several workers at once, every
  // worker must see the connections already on their way to the others (a count of connections_
  // taken later would forget them, and a burst of 64 ended up 43/21 on two workers).
  best->load_.fetch_add(1, std::memory_order_relaxed);
  return best;
}

// A connection this worker serves: accepted here, or handed over by another worker (either way its
// load_ already counts it: least_loaded()).
void Worker::serve(int fd, const sockaddr_storage& peer, const std::string& listen_key) {
  const VirtualServer* vs = nullptr;
  if (current_ && !stopping_) {
    auto it = current_->shared->virtual_by_listen_key.find(listen_key);
    if (it != current_->shared->virtual_by_listen_key.end()) vs = it->second;
  }
  if (vs == nullptr) {
    ::close(fd);
    process_connections.fetch_sub(1, std::memory_order_relaxed);
    load_.fetch_sub(1, std::memory_order_relaxed);
    return;
  }
  auto* conn = new ProxyConnection(*this, current_, *vs);
  connections_.insert(conn);
  conn->accept(fd, peer);
}

void Worker::post_accepted(int fd, const sockaddr_storage& peer, std::string listen_key) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (!async_closed_) {
      handed_over_.push_back(HandedOver{fd, peer, std::move(listen_key)});
      uv_async_send(&async_);
      return;
    }
  }
  ::close(fd);   // stopping: the client sees its connection close
  load_.fetch_sub(1, std::memory_order_relaxed);
  process_connections.fetch_sub(1, std::memory_order_relaxed);
}

// Out of descriptors (or kernel memory), or at --max-connections: the clients wait in the listen
// backlog rather than being accepted and dropped; every paused listener tries again in a quarter of
// a second.
void Worker::pause_accept(Listener* listener, const std::string& why) {
  uv_poll_stop(&listener->poll);
  if (!listener->paused) {
    listener->paused = true;
    log_line(LogLevel::Err, "accept on {} paused: {} ({} connections on worker {})", listener->key, why,
             connections_.size(), index_);
  }
  if (!uv_is_active(reinterpret_cast<uv_handle_t*>(&accept_retry_timer_))) {
    uv_timer_start(&accept_retry_timer_, [](uv_timer_t* t) { static_cast<Worker*>(t->data)->resume_accept(); }, 250, 0);
  }
}

void Worker::start_accepting(Listener* listener) {
  uv_poll_start(&listener->poll, UV_READABLE, [](uv_poll_t* poll, int, int) {
    auto* l = static_cast<Listener*>(poll->data);
    l->worker->on_readable(l);
  });
}

void Worker::resume_accept() {
  for (auto& [key, listener] : listeners_) {
    // Readable again at once if clients are waiting; a still-failing accept pauses it again.
    if (listener->paused) {
      start_accepting(listener);
    }
  }
}

void Worker::connection_closed(ProxyConnection* conn) {
  if (connections_.erase(conn) != 0) {
    process_connections.fetch_sub(1, std::memory_order_relaxed);
    load_.fetch_sub(1, std::memory_order_relaxed);
  }
  // A place (and a descriptor) freed: paused listeners try at once rather than at the next retry.
  if (!stopping_ && uv_is_active(reinterpret_cast<uv_handle_t*>(&accept_retry_timer_))) {
    uv_timer_stop(&accept_retry_timer_);
    resume_accept();
  }
  if (stopping_) maybe_finish_stop();
}

void Worker::close_listener(Listener* listener) {
  uv_close(reinterpret_cast<uv_handle_t*>(&listener->poll), [](uv_handle_t* h) {
    auto* l = static_cast<Listener*>(h->data);
    ::close(l->fd);
    delete l;
  });
}

void Worker::begin_stop(bool drain) {
  if (!stopping_) {
    stopping_ = true;
    discard_build();   // a reload not yet serving: it never will (its sockets are closed)
    for (auto& [key, listener] : listeners_) close_listener(listener);
    listeners_.clear();
    server_pool_.close_all();   // nothing new will reuse them
    // Closing only starts here; connections leave the set in their close callbacks, later.
    for (ProxyConnection* conn : connections_) conn->begin_drain();
    if (drain && !connections_.empty()) {
      uv_timer_start(&drain_timer_, [](uv_timer_t* t) {
        auto* self = static_cast<Worker*>(t->data);
        log_line(LogLevel::Notice, "worker {}: drain timeout, closing {} connections", self->index_,
                 self->connections_.size());
        self->begin_stop(false);
      }, static_cast<uint64_t>(options_.drain_timeout_s * 1000), 0);
    }
  }
  if (!drain) {
    for (ProxyConnection* conn : connections_) conn->force_close();
  }
  maybe_finish_stop();
}

void Worker::sweep_idle() {
  uint64_t now = uv_now(&loop_);
  // check_idle only starts closes (the set changes in close callbacks, later), so iterating is safe.
  for (ProxyConnection* conn : connections_) conn->check_idle(now);
  server_pool_.sweep(now);
}

void Worker::maybe_finish_stop() {
  if (!connections_.empty() || loop_handles_closed_) return;
  loop_handles_closed_ = true;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    async_closed_ = true;
  }
  uv_timer_stop(&drain_timer_);
  uv_close(reinterpret_cast<uv_handle_t*>(&drain_timer_), nullptr);
  uv_close(reinterpret_cast<uv_handle_t*>(&idle_sweep_timer_), nullptr);
  uv_close(reinterpret_cast<uv_handle_t*>(&accept_retry_timer_), nullptr);
  uv_close(reinterpret_cast<uv_handle_t*>(&log_flush_), nullptr);
  uv_close(reinterpret_cast<uv_handle_t*>(&build_idle_), nullptr);
  uv_close(reinterpret_cast<uv_handle_t*>(&async_), nullptr);
  server_pool_.close_all();   // parked while the last connections drained
  services_->close();
}

}  // namespace irulesd
