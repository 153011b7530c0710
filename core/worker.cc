#include "core/worker.h"

#include <unistd.h>

#include "core/log.h"
#include "core/proxy_connection.h"

namespace irulesd {

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
  uv_timer_init(&loop_, &idle_sweep_timer_);
  idle_sweep_timer_.data = this;
  uv_timer_start(&idle_sweep_timer_, [](uv_timer_t* t) { static_cast<Worker*>(t->data)->sweep_idle(); }, 1000, 1000);
  uv_prepare_init(&loop_, &log_flush_);
  uv_prepare_start(&log_flush_, [](uv_prepare_t*) { log_flush(); });
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

void Worker::join() {
  if (thread_.joinable()) thread_.join();
}

void Worker::run() {
  log_batch_begin();
  on_async();   // the first version (and a stop that raced the start)
  uv_run(&loop_, UV_RUN_DEFAULT);
  current_.reset();   // the last engine goes on this thread, like every other
  services_.reset();
  factory_.thread_finished();
  log_flush();
  uv_loop_close(&loop_);
}

void Worker::on_async() {
  std::vector<std::shared_ptr<const ConfigVersion>> versions;
  int stop = 0;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    versions.swap(pending_versions_);
    stop = pending_stop_;
    pending_stop_ = 0;
  }
  for (auto& version : versions) {
    if (stopping_) {
      for (const auto& [key, fds] : version->new_listen_fds) {
        if (static_cast<std::size_t>(index_) < fds.size()) ::close(fds[index_]);
      }
      continue;
    }
    apply_version(std::move(version));
  }
  if (stop) begin_stop(stop == 1);
}

void Worker::apply_version(std::shared_ptr<const ConfigVersion> version) {
  auto next = std::make_shared<WorkerVersion>();
  next->shared = version;
  next->engine = factory_.create(version->config, index_);

  // Close listeners the new version no longer has; open the ones it added.
  for (auto it = listeners_.begin(); it != listeners_.end();) {
    if (version->virtual_by_listen_key.count(it->first) == 0) {
      close_listener(it->second);
      it = listeners_.erase(it);
    } else {
      ++it;
    }
  }
  for (const auto& [key, fds] : version->new_listen_fds) {
    if (listeners_.count(key) != 0 || static_cast<std::size_t>(index_) >= fds.size()) continue;
    auto* listener = new Listener{};
    listener->worker = this;
    listener->key = key;
    uv_tcp_init(&loop_, &listener->tcp);
    listener->tcp.data = listener;
    int err = uv_tcp_open(&listener->tcp, fds[index_]);
    if (err == 0) {
      err = uv_listen(reinterpret_cast<uv_stream_t*>(&listener->tcp), 4096, [](uv_stream_t* server, int status) {
        auto* l = static_cast<Listener*>(server->data);
        l->worker->on_connection(l, status);
      });
    }
    if (err != 0) {
      log_line(LogLevel::Err, "worker {}: cannot listen on {}: {}", index_, key, uv_strerror(err));
      close_listener(listener);
      continue;
    }
    listeners_[key] = listener;
  }
  current_ = std::move(next);
}

void Worker::on_connection(Listener* listener, int status) {
  if (status < 0) {
    log_line(LogLevel::Err, "accept on {} failed: {}", listener->key, uv_strerror(status));
    return;
  }
  auto it = current_->shared->virtual_by_listen_key.find(listener->key);
  if (it == current_->shared->virtual_by_listen_key.end()) return;
  auto* conn = new ProxyConnection(*this, current_, *it->second);
  connections_.insert(conn);
  conn->accept(reinterpret_cast<uv_stream_t*>(&listener->tcp));
}

void Worker::connection_closed(ProxyConnection* conn) {
  connections_.erase(conn);
  if (stopping_) maybe_finish_stop();
}

void Worker::close_listener(Listener* listener) {
  uv_close(reinterpret_cast<uv_handle_t*>(&listener->tcp), [](uv_handle_t* h) {
    delete static_cast<Listener*>(h->data);
  });
}

void Worker::begin_stop(bool drain) {
  if (!stopping_) {
    stopping_ = true;
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
  uv_close(reinterpret_cast<uv_handle_t*>(&log_flush_), nullptr);
  uv_close(reinterpret_cast<uv_handle_t*>(&async_), nullptr);
  server_pool_.close_all();   // parked while the last connections drained
  services_->close();
}

}  // namespace irulesd
