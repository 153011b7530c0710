// The worker's high-speed-logging sender (HSL::open / HSL::send), exposed beyond
// make_worker_services() so tests can give it small limits and read its counters.
//
// UDP: one unconnected uv_udp_t per worker; each message is one datagram to the next member of the
// pool (round robin per message), sent with uv_udp_try_send and, when the socket is busy, queued
// in libuv (uv_udp_send) up to a bound. TCP: one connection per member address (HslTcpLink, shared
// by every handle that names it), opened when a handle is first opened, reconnected with a backoff;
// each message goes to the next connected member, or, while none is connected, waits in a member's
// bounded queue. Nothing blocks the worker's loop; what does not fit is dropped and counted.
#pragma once

#include <netinet/in.h>
#include <uv.h>

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/worker_services.h"

namespace irulesd {

struct HslOptions {
  std::size_t queue_limit = 1u << 20;   // bytes waiting per TCP connection, and in the UDP socket
  uint64_t reconnect_initial_ms = 250;  // first wait after a TCP connection fails; doubles per failure
  uint64_t reconnect_max_ms = 10000;
};

// Messages, not bytes. sent: handed to the kernel whole; dropped: given up (queue full, send error,
// a write that failed or was cancelled by close).
struct HslCounters {
  uint64_t sent = 0;
  uint64_t dropped = 0;
};

class HslTcpLink;   // core/hsl_tcp_link.h

class HslSender final : public WorkerServices {
 public:
  HslSender(uv_loop_t* loop, HslOptions options = {});
  ~HslSender() override;
  HslSender(const HslSender&) = delete;
  HslSender& operator=(const HslSender&) = delete;

  std::string hsl_open(const Config& config, const std::string& pool, bool tcp, std::string* error) override;
  // True when the message was sent (UDP) or queued (TCP); false when the handle is unknown or the
  // message was dropped (HSL::send's 0).
  bool hsl_send(const std::string& handle, std::string_view data) override;
  void close() override;

  const HslCounters& udp_counters() const { return udp_counters_; }
  const HslCounters& tcp_counters() const { return tcp_counters_; }
  // TCP links (one per member address) that are connected now.
  std::size_t tcp_connected() const;

 private:
  struct UdpMember {
    sockaddr_in addr;
    std::string label;      // "127.0.0.1:514", for log lines
    bool failing = false;   // the last send to it failed (logged once until one succeeds)
  };
  struct Handle {
    bool tcp = false;
    // What the members were built from (address, port per usable member), to notice a reload
    // that changed the pool without rebuilding on every open.
    std::vector<std::pair<std::string, uint16_t>> spec;
    std::vector<UdpMember> udp;       // UDP handles
    std::vector<HslTcpLink*> links;   // TCP handles: owned by links_
    std::size_t next = 0;             // round robin
  };
  struct UdpSend;

  void rebuild(Handle& handle);
  bool send_udp(Handle& handle, std::string_view data);
  bool send_tcp(Handle& handle, std::string_view data);
  void udp_failed(UdpMember& member, int err);
  static void on_udp_sent(uv_udp_send_t* req, int status);

  uv_loop_t* loop_;
  HslOptions options_;
  uv_udp_t udp_;
  bool udp_open_ = false;
  bool closed_ = false;
  std::string key_;   // scratch for lookups, so an open does not allocate a key each time
  std::unordered_map<std::string, Handle> handles_;
  std::map<std::string, std::unique_ptr<HslTcpLink>> links_;   // by "address:port"
  HslCounters udp_counters_;
  HslCounters tcp_counters_;
};

}  // namespace irulesd
