#include "core/hsl_tcp_link.h"

#include <algorithm>
#include <utility>

#include "core/log.h"

namespace irulesd {
namespace {

// What collectors send back is read (so their close is noticed) and thrown away. One buffer per
// worker thread: every link of a worker shares it, and workers never do.
thread_local char t_read_sink[4096];

uv_buf_t view_buf(std::string_view data) {
  return uv_buf_init(const_cast<char*>(data.data()), static_cast<unsigned>(data.size()));
}

}  // namespace

HslTcpLink::HslTcpLink(uv_loop_t* loop, const sockaddr_in& addr, std::string label, const HslOptions& options,
                       HslCounters& counters)
    : loop_(loop),
      addr_(addr),
      label_(std::move(label)),
      options_(options),
      counters_(counters),
      backoff_ms_(options.reconnect_initial_ms) {
  uv_timer_init(loop_, &timer_);
  timer_.data = this;
}

void HslTcpLink::start() {
  if (state_ == State::Idle) connect();
}

bool HslTcpLink::send(std::string_view data) {
  if (state_ == State::Closed || !has_room(data.size())) {
    ++counters_.dropped;
    if (dropping_++ == 0 && state_ != State::Closed) {
      log_line(LogLevel::Warning, "HSL: queue to {} (TCP) is full ({} bytes waiting); dropping messages", label_,
               queued_bytes());
    }
    return false;
  }
  if (dropping_ > 0) {
    log_line(LogLevel::Notice, "HSL: queue to {} (TCP) has room again; {} messages were dropped", label_, dropping_);
    dropping_ = 0;
  }
  if (state_ == State::Connected && writing_.empty() && pending_.empty()) {
    // Idle connection: straight to the kernel, no copy, when it takes it all.
    uv_buf_t buf = view_buf(data);
    int n = uv_try_write(reinterpret_cast<uv_stream_t*>(&tcp_), &buf, 1);
    if (n == static_cast<int>(data.size())) {
      ++counters_.sent;
      return true;
    }
    if (n == UV_EAGAIN) n = 0;
    if (n >= 0) {
      // The rest is written as a batch of its own, so a failure drops the whole message rather
      // than sending its tail alone after a reconnect.
      writing_.assign(data.substr(static_cast<std::size_t>(n)));
      writing_messages_ = 1;
      start_write();
      return true;
    }
    // Nothing went out: keep the message for the next connection.
    pending_.append(data);
    ++pending_messages_;
    fail("failed", n);
    return true;
  }
  pending_.append(data);
  ++pending_messages_;
  if (state_ == State::Idle) connect();
  return true;
}

void HslTcpLink::connect() {
  state_ = State::Connecting;
  uv_tcp_init(loop_, &tcp_);
  tcp_.data = this;
  uv_tcp_nodelay(&tcp_, 1);   // batching is ours; a lone log line should not wait for an ACK
  connect_req_.data = this;
  int r = uv_tcp_connect(&connect_req_, &tcp_, reinterpret_cast<const sockaddr*>(&addr_),
                         [](uv_connect_t* req, int status) { static_cast<HslTcpLink*>(req->data)->on_connect(status); });
  if (r < 0) fail("failed to connect", r);
}

void HslTcpLink::on_connect(int status) {
  if (state_ != State::Connecting) return;   // closed meanwhile (UV_ECANCELED)
  if (status < 0) {
    fail("failed to connect", status);
    return;
  }
  state_ = State::Connected;
  backoff_ms_ = options_.reconnect_initial_ms;
  if (down_logged_) {
    log_line(LogLevel::Notice, "HSL: connection to {} (TCP) is up{}", label_, was_up_ ? " again" : "");
    down_logged_ = false;
  }
  was_up_ = true;
  uv_read_start(
      reinterpret_cast<uv_stream_t*>(&tcp_),
      [](uv_handle_t*, size_t, uv_buf_t* buf) { *buf = uv_buf_init(t_read_sink, sizeof t_read_sink); },
      [](uv_stream_t* stream, ssize_t nread, const uv_buf_t*) {
        static_cast<HslTcpLink*>(stream->data)->on_read(nread);
      });
  flush();
}

void HslTcpLink::on_read(ssize_t nread) {
  if (nread >= 0) return;   // a collector's reply: nothing to do with it
  fail(nread == UV_EOF ? "was closed by the collector" : "failed", static_cast<int>(nread));
}

// One batch at a time: whatever queued while the last write was in flight goes out in one write.
void HslTcpLink::flush() {
  if (state_ != State::Connected || !writing_.empty() || pending_.empty()) return;
  writing_.swap(pending_);
  writing_messages_ = std::exchange(pending_messages_, 0);
  start_write();
}

void HslTcpLink::start_write() {
  uv_buf_t buf = view_buf(writing_);
  write_req_.data = this;
  int r = uv_write(&write_req_, reinterpret_cast<uv_stream_t*>(&tcp_), &buf, 1,
                   [](uv_write_t* req, int status) { static_cast<HslTcpLink*>(req->data)->on_write(status); });
  if (r < 0) {
    counters_.dropped += std::exchange(writing_messages_, 0);
    writing_.clear();
    fail("failed", r);
  }
}

void HslTcpLink::on_write(int status) {
  // A batch that failed may have gone out in part: it is counted as dropped, never resent.
  if (status == 0) {
    counters_.sent += writing_messages_;
  } else {
    counters_.dropped += writing_messages_;
  }
  writing_messages_ = 0;
  writing_.clear();
  if (status < 0) {
    if (status != UV_ECANCELED) fail("failed", status);
    return;
  }
  flush();
}

// Closes the connection and waits (backoff) before the next attempt. Logged once until it is up again.
void HslTcpLink::fail(const char* what, int err) {
  if (state_ != State::Connecting && state_ != State::Connected) return;
  if (!down_logged_) {
    log_line(LogLevel::Warning, "HSL: connection to {} (TCP) {}: {}; retrying", label_, what, uv_strerror(err));
    down_logged_ = true;
  }
  state_ = State::Closing;
  uv_close(reinterpret_cast<uv_handle_t*>(&tcp_),
           [](uv_handle_t* handle) { static_cast<HslTcpLink*>(handle->data)->on_closed(); });
}

void HslTcpLink::on_closed() {
  if (closing_all_) return;
  state_ = State::Backoff;
  uv_timer_start(
      &timer_,
      [](uv_timer_t* timer) {
        auto* self = static_cast<HslTcpLink*>(timer->data);
        if (self->state_ == State::Backoff) self->connect();
      },
      backoff_ms_, 0);
  backoff_ms_ = std::min(backoff_ms_ * 2, options_.reconnect_max_ms);
}

void HslTcpLink::close() {
  if (closing_all_) return;
  closing_all_ = true;
  if (state_ == State::Connecting || state_ == State::Connected) {
    uv_close(reinterpret_cast<uv_handle_t*>(&tcp_), nullptr);   // a write in flight ends UV_ECANCELED
  }
  state_ = State::Closed;
  uv_timer_stop(&timer_);
  uv_close(reinterpret_cast<uv_handle_t*>(&timer_), nullptr);
  counters_.dropped += std::exchange(pending_messages_, 0);
  pending_.clear();
}

}  // namespace irulesd
