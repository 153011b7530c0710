// One TCP connection from a worker to one HSL collector (a pool member's address:port): connects
// when first asked, keeps a bounded queue of whole messages, writes them in batches (one uv_write
// in flight at a time, uv_try_write first when idle), reads and discards whatever the collector
// says (so its close is noticed), and after a failure closes and reconnects with a doubling backoff.
// Logs once per state change: connection failed, reconnected, dropping, no longer dropping.
#pragma once

#include <netinet/in.h>
#include <uv.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/hsl_sender.h"

namespace irulesd {

class HslTcpLink {
 public:
  // counters: the sender's TCP counters, which outlive the link.
  HslTcpLink(uv_loop_t* loop, const sockaddr_in& addr, std::string label, const HslOptions& options,
             HslCounters& counters);
  HslTcpLink(const HslTcpLink&) = delete;
  HslTcpLink& operator=(const HslTcpLink&) = delete;

  // Starts connecting when the link has never been asked to (or is not in a backoff wait).
  void start();
  // Queues (or writes) one message; false when it was dropped because the queue is full.
  bool send(std::string_view data);
  bool connected() const { return state_ == State::Connected; }
  // Whether a message of `size` bytes fits the queue now.
  bool has_room(std::size_t size) const { return queued_bytes() + size <= options_.queue_limit; }
  // Failed and waiting to reconnect.
  bool down() const { return state_ == State::Closing || state_ == State::Backoff; }
  const std::string& label() const { return label_; }
  // Closes every handle; the loop ends once they are closed. The object must outlive the loop.
  void close();

 private:
  enum class State { Idle, Connecting, Connected, Closing, Backoff, Closed };

  void connect();
  void flush();
  void start_write();   // writing_ in one uv_write
  void fail(const char* what, int err);
  void on_connect(int status);
  void on_read(ssize_t nread);
  void on_write(int status);
  void on_closed();
  std::size_t queued_bytes() const { return pending_.size() + writing_.size(); }

  uv_loop_t* loop_;
  sockaddr_in addr_;
  std::string label_;
  const HslOptions& options_;
  HslCounters& counters_;
  State state_ = State::Idle;
  uv_tcp_t tcp_;
  uv_connect_t connect_req_;
  uv_write_t write_req_;
  uv_timer_t timer_;   // the backoff wait; initialised with the link, closed by close()
  bool closing_all_ = false;   // close() was called: no reconnect
  uint64_t backoff_ms_;
  bool down_logged_ = false;   // "connection failed" logged; the next success logs "is up"
  bool was_up_ = false;        // connected at least once: the next "is up" is "is up again"
  uint64_t dropping_ = 0;      // messages dropped since the queue last had room (0: not dropping)

  // Messages wait in pending_; a batch of them is written from writing_ (one uv_write at a time).
  // Both keep their capacity, so the steady state allocates nothing.
  std::string pending_;
  std::size_t pending_messages_ = 0;
  std::string writing_;
  std::size_t writing_messages_ = 0;
};

}  // namespace irulesd
