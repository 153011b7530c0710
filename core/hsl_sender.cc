// HSL::open / HSL::send for one worker, on the worker's loop (see core/hsl_sender.h).
#include "core/hsl_sender.h"

#include <utility>

#include "core/hsl_tcp_link.h"
#include "core/log.h"
#include "core/net_util.h"

namespace irulesd {
namespace {

// A member HSL can send to: an address and a port (port 0 means "any" in a pool, not a collector).
bool usable(const PoolMember& member) { return !member.address.empty() && member.port != 0; }

std::string endpoint_label(const std::string& address, uint16_t port) {
  return address + ":" + std::to_string(port);
}

}  // namespace

// A datagram that the socket could not take at once: libuv keeps it queued until it is sent.
struct HslSender::UdpSend {
  uv_udp_send_t req;
  HslSender* sender;
  std::string data;
};

HslSender::HslSender(uv_loop_t* loop, HslOptions options) : loop_(loop), options_(options) {}

HslSender::~HslSender() = default;

std::string HslSender::hsl_open(const Config& config, const std::string& pool_name, bool tcp, std::string* error) {
  if (closed_) {
    *error = "the worker is stopping";
    return {};
  }
  const Pool* pool = config.find_pool(pool_name);
  if (pool == nullptr) {
    *error = "no such pool: " + pool_name;
    return {};
  }
  // The handle names the pool and protocol, so it is the same for every connection on this worker.
  key_.assign("hsl:").append(tcp ? "TCP:" : "UDP:").append(pool->name);
  auto it = handles_.find(key_);
  if (it == handles_.end()) {
    it = handles_.emplace(key_, Handle{}).first;
    it->second.tcp = tcp;
  }
  Handle& handle = it->second;
  // Rebuild only when the pool's members differ from what the handle was built from (a reload).
  std::size_t i = 0;
  bool same = true;
  for (const PoolMember& member : pool->members) {
    if (!usable(member)) continue;
    if (i >= handle.spec.size() || handle.spec[i].first != member.address || handle.spec[i].second != member.port) {
      same = false;
      break;
    }
    ++i;
  }
  if (!same || i != handle.spec.size() || it->second.spec.empty()) {
    handle.spec.clear();
    for (const PoolMember& member : pool->members) {
      if (usable(member)) handle.spec.emplace_back(member.address, member.port);
    }
    rebuild(handle);
  }
  if ((tcp ? handle.links.size() : handle.udp.size()) == 0) {
    *error = "pool " + pool->name + " has no members to send to";
    return {};
  }
  if (tcp) {
    for (HslTcpLink* link : handle.links) link->start();   // connect now, not with the first message
  } else if (!udp_open_) {
    uv_udp_init(loop_, &udp_);
    udp_.data = this;
    udp_open_ = true;
  }
  return key_;
}

void HslSender::rebuild(Handle& handle) {
  handle.udp.clear();
  handle.links.clear();
  handle.next = 0;
  for (const auto& [address, port] : handle.spec) {
    sockaddr_in addr;
    if (!make_ipv4(address, port, addr)) continue;   // not dotted IPv4: nothing to send to
    std::string label = endpoint_label(address, port);
    if (handle.tcp) {
      auto& link = links_[label];
      // One connection per collector, whichever pools name it.
      if (!link) link = std::make_unique<HslTcpLink>(loop_, addr, label, options_, tcp_counters_);
      handle.links.push_back(link.get());
    } else {
      handle.udp.push_back(UdpMember{addr, std::move(label)});
    }
  }
}

bool HslSender::hsl_send(const std::string& handle_name, std::string_view data) {
  auto it = handles_.find(handle_name);
  if (it == handles_.end()) return false;
  Handle& handle = it->second;
  return handle.tcp ? send_tcp(handle, data) : send_udp(handle, data);
}

bool HslSender::send_udp(Handle& handle, std::string_view data) {
  if (handle.udp.empty() || closed_) {
    ++udp_counters_.dropped;
    return false;
  }
  UdpMember& member = handle.udp[handle.next++ % handle.udp.size()];
  uv_buf_t buf = uv_buf_init(const_cast<char*>(data.data()), static_cast<unsigned>(data.size()));
  const sockaddr* to = reinterpret_cast<const sockaddr*>(&member.addr);
  int r = uv_udp_try_send(&udp_, &buf, 1, to);
  if (r >= 0) {
    ++udp_counters_.sent;
    if (member.failing) {
      log_line(LogLevel::Notice, "HSL: sending to {} (UDP) works again", member.label);
      member.failing = false;
    }
    return true;
  }
  if (r != UV_EAGAIN && r != UV_ENOSYS) {
    ++udp_counters_.dropped;
    udp_failed(member, r);
    return false;
  }
  // The socket is busy (earlier datagrams still queued): queue this one behind them, within bounds.
  if (udp_.send_queue_size + data.size() > options_.queue_limit) {
    ++udp_counters_.dropped;
    udp_failed(member, UV_ENOBUFS);
    return false;
  }
  auto* send = new UdpSend{{}, this, std::string(data)};
  send->req.data = send;
  buf = uv_buf_init(send->data.data(), static_cast<unsigned>(send->data.size()));
  r = uv_udp_send(&send->req, &udp_, &buf, 1, to, &HslSender::on_udp_sent);
  if (r < 0) {
    delete send;
    ++udp_counters_.dropped;
    udp_failed(member, r);
    return false;
  }
  return true;
}

void HslSender::on_udp_sent(uv_udp_send_t* req, int status) {
  auto* send = static_cast<UdpSend*>(req->data);
  if (status == 0) {
    ++send->sender->udp_counters_.sent;
  } else {
    ++send->sender->udp_counters_.dropped;   // a send error, or UV_ECANCELED when the worker stops
  }
  delete send;
}

// Logged once when sending to a member starts failing, and once when it works again.
void HslSender::udp_failed(UdpMember& member, int err) {
  if (member.failing) return;
  member.failing = true;
  log_line(LogLevel::Warning, "HSL: sending to {} (UDP) failed: {}; dropping messages until it works",
           member.label, uv_strerror(err));
}

// Round robin over the connected members; while none is connected, over those still trying to
// connect, then over all (the message waits in that member's queue until it reconnects).
bool HslSender::send_tcp(Handle& handle, std::string_view data) {
  const std::size_t n = handle.links.size();
  if (n == 0 || closed_) {
    ++tcp_counters_.dropped;
    return false;
  }
  for (int pass = 0; pass < 3; ++pass) {
    for (std::size_t i = 0; i < n; ++i) {
      const std::size_t index = (handle.next + i) % n;
      HslTcpLink* link = handle.links[index];
      const bool eligible = pass == 0 ? link->connected() : pass == 1 ? !link->down() : true;
      if (!eligible || !link->has_room(data.size())) continue;
      handle.next = index + 1;
      return link->send(data);
    }
  }
  // Every queue is full: the next member in turn counts (and logs) the drop.
  return handle.links[handle.next++ % n]->send(data);
}

std::size_t HslSender::tcp_connected() const {
  std::size_t count = 0;
  for (const auto& [label, link] : links_) count += link->connected() ? 1 : 0;
  return count;
}

void HslSender::close() {
  if (closed_) return;
  closed_ = true;
  if (udp_open_) uv_close(reinterpret_cast<uv_handle_t*>(&udp_), nullptr);   // queued datagrams: UV_ECANCELED
  for (auto& [label, link] : links_) link->close();
}

std::unique_ptr<WorkerServices> make_worker_services(uv_loop_t* loop) { return std::make_unique<HslSender>(loop); }

}  // namespace irulesd
