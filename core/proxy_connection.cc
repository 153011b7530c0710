#include "core/proxy_connection.h"

#include <cstring>

#include "core/http_codec.h"
#include "core/log.h"
#include "core/net_util.h"

namespace irulesd {
namespace {
// Flow-control watermarks: stop reading a side while the other side has this much queued, resume
// below the low mark. Per connection, so a slow peer costs at most ~kHighWater of memory.
constexpr std::size_t kHighWater = 1024 * 1024;
constexpr std::size_t kLowWater = 256 * 1024;
// Client bytes kept while a request waits for its server (pipelining, body during connect).
constexpr std::size_t kStashHigh = 256 * 1024;

bool is_websocket_upgrade(const RequestHead& head) {
  const std::string* upgrade = head.headers.last_value("Upgrade");
  return upgrade && strcasecmp(upgrade->c_str(), "websocket") == 0;
}
}  // namespace

struct ProxyConnection::PendingWrite {
  uv_write_t req;
  std::string data;
  Socket* to;
};

ProxyConnection::ProxyConnection(Worker& worker, std::shared_ptr<WorkerVersion> version,
                                 const VirtualServer& vs)
    : worker_(worker), version_(std::move(version)), vs_(vs) {
  HeadLimits limits{vs.http.max_header_size, vs.http.max_header_count};
  request_parser_.set_limits(limits);
  request_parser_.set_request_target(&request_);
  // Response heads from our own members are trusted more, but still bounded.
  response_parser_.set_limits(HeadLimits{std::max<std::size_t>(limits.max_header_size, 65536), 256});
  response_parser_.set_response_target(&response_);
  tx_.virtual_name = vs.name;
}

void ProxyConnection::accept(uv_stream_t* listener) {
  client_ = new Socket{};
  client_->owner = this;
  client_->is_client = true;
  uv_tcp_init(worker_.loop(), &client_->tcp);
  client_->tcp.data = client_;
  ++open_sockets_;
  if (uv_accept(listener, reinterpret_cast<uv_stream_t*>(&client_->tcp)) != 0) {
    close_all();
    return;
  }
  accepted_ = true;
  last_activity_ms_ = uv_now(worker_.loop());
  uv_tcp_nodelay(&client_->tcp, 1);
  sockaddr_storage peer{}, local{};
  int len = sizeof peer;
  uv_tcp_getpeername(&client_->tcp, reinterpret_cast<sockaddr*>(&peer), &len);
  len = sizeof local;
  uv_tcp_getsockname(&client_->tcp, reinterpret_cast<sockaddr*>(&local), &len);
  tx_.client_addr = address_string(peer);
  tx_.client_port = address_port(peer);
  tx_.local_addr = address_string(local);
  tx_.local_port = address_port(local);

  if (!ipv4_in_network(tx_.client_addr, vs_.source_address, vs_.source_prefix_len)) {
    log_line(LogLevel::Info, "Connection from {}:{} to {} rejected: source not in {}/{}", tx_.client_addr,
             tx_.client_port, vs_.name, vs_.source_address, vs_.source_prefix_len);
    reset_client();
    return;
  }
  if (!fire(Event::ClientAccepted)) return;
  set_reading(client_, true);
}

// ---------------------------------------------------------------------------------------------
// libuv callbacks

void ProxyConnection::on_alloc(uv_handle_t* handle, std::size_t, uv_buf_t* buf) {
  // One read buffer per worker: every read is processed (or copied) before the callback returns,
  // so an idle connection holds no buffer at all.
  Socket* socket = static_cast<Socket*>(handle->data);
  buf->base = socket->owner->worker_.read_buffer();
  buf->len = Worker::kReadBufferSize;
}

void ProxyConnection::on_read(uv_stream_t* stream, ssize_t nread, const uv_buf_t* buf) {
  Socket* socket = static_cast<Socket*>(stream->data);
  ProxyConnection* self = socket->owner;
  if (self->state_ == State::Closing) return;
  self->last_activity_ms_ = uv_now(self->worker_.loop());
  Cork cork(*self);   // everything this read causes is written when the callback ends
  if (nread > 0) {
    if (socket->is_client) {
      self->on_client_data(buf->base, static_cast<std::size_t>(nread));
    } else {
      self->on_server_data(buf->base, static_cast<std::size_t>(nread));
    }
  } else if (nread < 0) {
    socket->eof = true;
    self->set_reading(socket, false);
    if (nread != UV_EOF) {
      // A reset or error: nothing more can be delivered in order on this side.
      if (socket->is_client) {
        self->close_all();
      } else {
        self->on_server_eof();
      }
      return;
    }
    if (socket->is_client) {
      self->on_client_eof();
    } else {
      self->on_server_eof();
    }
  }
}

void ProxyConnection::on_write(uv_write_t* req, int) {
  PendingWrite* write = static_cast<PendingWrite*>(req->data);
  Socket* to = write->to;
  to->queued -= write->data.size();
  ProxyConnection* self = to->owner;
  delete write;
  if (self->state_ != State::Closing) self->update_reading();
}

void ProxyConnection::on_connect(uv_connect_t* req, int status) {
  Socket* socket = static_cast<Socket*>(req->data);
  ProxyConnection* self = socket->owner;
  if (self->connecting_ != socket || self->state_ == State::Closing) return;  // already closed
  self->connecting_ = nullptr;
  Cork cork(*self);
  if (status != 0) {
    self->member_failed(socket, status);
    return;
  }
  self->on_server_connected(socket);
}

void ProxyConnection::on_shutdown(uv_shutdown_t* req, int) {
  ProxyConnection* self = static_cast<ProxyConnection*>(req->data);
  delete req;
  self->close_all();
}

void ProxyConnection::on_socket_closed(uv_handle_t* handle) {
  Socket* socket = static_cast<Socket*>(handle->data);
  ProxyConnection* self = socket->owner;
  delete socket;
  if (--self->open_sockets_ == 0 && self->state_ == State::Closing) {
    self->worker_.connection_closed(self);
    delete self;
  }
}

// ---------------------------------------------------------------------------------------------
// Client side

void ProxyConnection::on_client_data(const char* data, std::size_t len) {
  if (state_ == State::Tunnel) {
    send(server_, data, len);
    update_reading();
    return;
  }
  if (!stash_.empty()) {
    stash_.append(data, len);
    pump_client();
  } else {
    std::size_t used = process_client_bytes(data, len);
    if (used < len && state_ != State::Closing) stash_.append(data + used, len - used);
  }
  if (state_ != State::Closing) update_reading();
}

void ProxyConnection::pump_client() {
  if (stash_.empty() || state_ == State::Closing) return;
  std::string pending = std::move(stash_);
  stash_.clear();
  std::size_t used = process_client_bytes(pending.data(), pending.size());
  flush(server_);   // corked pieces may point into `pending`
  if (state_ == State::Closing) return;
  // Bytes that arrived meanwhile cannot exist (no reads run inside this call), so the unused tail
  // becomes the stash again.
  pending.erase(0, used);
  stash_ = std::move(pending);
  update_reading();
}

std::size_t ProxyConnection::process_client_bytes(const char* data, std::size_t len) {
  std::size_t off = 0;
  while (off < len) {
    switch (state_) {
      case State::ReadingRequest:
      case State::ForwardingBody: {
        bool in_body = state_ == State::ForwardingBody;
        ParseResult r = request_parser_.feed(data + off, len - off);
        if (in_body && r.consumed > 0 && r.stop != ParseStop::Error) send(server_, data + off, r.consumed);
        off += r.consumed;
        switch (r.stop) {
          case ParseStop::NeedMore:
            return len;
          case ParseStop::Error:
            if (request_parser_.limit_exceeded()) {
              log_line(LogLevel::Warning,
                       "HTTP header section from {}:{} on {} exceeds {} of profile {} ({} bytes / {} headers); "
                       "connection reset",
                       tx_.client_addr, tx_.client_port, vs_.name, request_parser_.limit_name(), vs_.http.name,
                       vs_.http.max_header_size, vs_.http.max_header_count);
              reset_client();
            } else if (in_body) {
              log_line(LogLevel::Warning, "Malformed request body from {}:{} on {}: {}; connection reset",
                       tx_.client_addr, tx_.client_port, vs_.name, request_parser_.error_reason());
              reset_client();
            } else {
              reject_request(400, "Bad Request",
                             fmt::format("Malformed HTTP request from {}:{} on {}: {}", tx_.client_addr,
                                         tx_.client_port, vs_.name, request_parser_.error_reason()));
            }
            return len;
          case ParseStop::HeadComplete:
            on_request_head();
            break;
          case ParseStop::MessageComplete:
            on_request_complete();
            break;
        }
        break;
      }
      case State::Tunnel:
        send(server_, data + off, len - off);
        return len;
      case State::Connecting:
      case State::AwaitingResponse:
      case State::Closing:
        return off;
    }
    if (state_ == State::Closing) return len;
  }
  return off;
}

void ProxyConnection::on_request_head() {
  tx_.request = &request_;
  tx_.response = nullptr;
  tx_.http_disabled = false;
  request_done_ = false;
  response_done_ = false;
  bool upgrade_requested = request_parser_.upgrade();
  if (!fire(Event::HttpRequest)) return;

  tunnel_after_head_ = tx_.http_disabled;
  if (upgrade_requested && !tunnel_after_head_) {
    // A websocket profile lets the upgrade through (the member's 101 then starts the tunnel).
    // Otherwise forward plain HTTP, so the handshake fails as behind a BIG-IP without the iRule:
    // Upgrade and Connection are hop-by-hop, and the parser goes on with HTTP.
    if (!(vs_.has_websocket_profile && is_websocket_upgrade(request_))) {
      request_.headers.remove("Upgrade");
      request_.headers.remove("Connection");
    }
  }

  const std::string& pool = tx_.selected_pool.empty() ? vs_.pool : tx_.selected_pool;
  if (pool.empty()) {
    reject_request(503, "Service Unavailable",
                   fmt::format("No pool selected for request from {}:{} on {}", tx_.client_addr,
                               tx_.client_port, vs_.name));
    return;
  }
  if (server_ && !server_->eof && server_pool_ == pool) {
    send_request_head();
  } else {
    close_server();
    connect_to_pool(pool);
  }
}

void ProxyConnection::on_request_complete() {
  request_done_ = true;
  request_keep_alive_ = request_parser_.keep_alive();
  if (response_done_) {
    finish_exchange();
  } else {
    state_ = State::AwaitingResponse;
  }
}

void ProxyConnection::on_client_eof() {
  switch (state_) {
    case State::Tunnel:
      // The client is done sending: deliver what is queued to the server, then close both.
      close_after_flush(server_);
      return;
    case State::ReadingRequest:
      // Between requests or inside an incomplete head: nothing is owed to this client.
      close_all();
      return;
    case State::ForwardingBody:
      if (!request_done_) {
        // Gone in the middle of its body: the request can never complete.
        log_line(LogLevel::Info, "Client {}:{} on {} closed in the middle of a request body; closing", tx_.client_addr,
                 tx_.client_port, vs_.name);
        close_all();
        return;
      }
      [[fallthrough]];
    default:
      // Half-closed after sending its request(s): answer what was asked, then close.
      request_keep_alive_ = false;
      return;
  }
}

void ProxyConnection::reject_request(int status, const char* reason, const std::string& log_message) {
  log_line(LogLevel::Warning, "{}; answered {}", log_message, status);
  send_owned(client_, local_reply(status, reason, std::string(reason) + "\n"));
  close_server();
  close_after_flush(client_);
}

// ---------------------------------------------------------------------------------------------
// Server side

void ProxyConnection::connect_to_pool(const std::string& pool_name) {
  const Pool* pool = version_->shared->config->find_pool(pool_name);
  connecting_pool_ = pool_name;
  state_ = State::Connecting;
  if (!pool || pool->members.empty()) {
    reject_request(503, "Service Unavailable",
                   fmt::format("No members available for pool {} (client {}:{} on {})", pool_name,
                               tx_.client_addr, tx_.client_port, vs_.name));
    return;
  }
  // Every pool has its position from load time; find() never inserts, so workers share the map safely.
  auto position = version_->shared->rr_positions.find(pool->name);
  member_start_ = position == version_->shared->rr_positions.end()
                      ? 0
                      : position->second.fetch_add(1, std::memory_order_relaxed) % pool->members.size();
  member_attempts_ = 0;
  try_next_member();
}

void ProxyConnection::try_next_member() {
  const Pool* pool = version_->shared->config->find_pool(connecting_pool_);
  if (member_attempts_ >= pool->members.size()) {
    reject_request(503, "Service Unavailable",
                   fmt::format("No members available for pool {}: all {} members failed (client {}:{} on {})",
                               pool->name, pool->members.size(), tx_.client_addr, tx_.client_port, vs_.name));
    return;
  }
  const PoolMember& member = pool->members[(member_start_ + member_attempts_) % pool->members.size()];
  ++member_attempts_;
  member_name_ = member.name;

  Socket* socket = new Socket{};
  socket->owner = this;
  socket->is_client = false;
  uv_tcp_init(worker_.loop(), &socket->tcp);
  socket->tcp.data = socket;
  socket->connect.data = socket;
  ++open_sockets_;
  connecting_ = socket;

  sockaddr_in target{};
  make_ipv4(member.address, member.port, target);
  int err = 0;
  const ConfigVersion& shared = *version_->shared;
  if (vs_.snat == SnatType::Automap && shared.has_snat_source) {
    // SNAT automap: the member sees the internal self IP, as behind a BIG-IP.
    err = uv_tcp_bind(&socket->tcp, reinterpret_cast<const sockaddr*>(&shared.snat_source), 0);
  }
  if (err == 0) {
    err = uv_tcp_connect(&socket->connect, &socket->tcp, reinterpret_cast<const sockaddr*>(&target),
                         &ProxyConnection::on_connect);
  }
  if (err != 0) {
    connecting_ = nullptr;
    member_failed(socket, err);
  }
}

void ProxyConnection::member_failed(Socket* socket, int err) {
  log_line(LogLevel::Warning, "Pool {} member {} connect failed: {} (client {}:{} on {})", connecting_pool_,
           member_name_, uv_strerror(err), tx_.client_addr, tx_.client_port, vs_.name);
  uv_close(reinterpret_cast<uv_handle_t*>(&socket->tcp), &ProxyConnection::on_socket_closed);
  try_next_member();
}

void ProxyConnection::on_server_connected(Socket* socket) {
  server_ = socket;
  server_pool_ = connecting_pool_;
  uv_tcp_nodelay(&server_->tcp, 1);
  response_parser_.reset();   // a new server connection starts a new response stream
  set_reading(server_, true);
  send_request_head();
  pump_client();
}

void ProxyConnection::send_request_head() {
  response_parser_.set_expect_no_body(request_.method == "HEAD");
  flush(server_);   // a corked earlier head may still point into the buffer
  request_head_buf_.clear();
  serialize_request_head(request_, request_head_buf_);
  send(server_, request_head_buf_.data(), request_head_buf_.size());
  if (tunnel_after_head_) {
    enter_tunnel();
    return;
  }
  state_ = State::ForwardingBody;
  if (request_parser_.resume_after_head() == ParseStop::MessageComplete) on_request_complete();
}

void ProxyConnection::on_server_data(const char* data, std::size_t len) {
  std::size_t off = 0;
  while (off < len && state_ != State::Closing) {
    if (state_ == State::Tunnel) {
      send(client_, data + off, len - off);
      break;
    }
    bool in_body = !response_parser_.in_head();
    ParseResult r = response_parser_.feed(data + off, len - off);
    if (in_body && r.consumed > 0 && r.stop != ParseStop::Error) send(client_, data + off, r.consumed);
    off += r.consumed;
    switch (r.stop) {
      case ParseStop::NeedMore:
        off = len;
        break;
      case ParseStop::Error:
        log_line(LogLevel::Warning, "Malformed response from pool {} member {} ({}) for {}:{} on {}; connection reset",
                 server_pool_, member_name_, response_parser_.error_reason(), tx_.client_addr, tx_.client_port,
                 vs_.name);
        reset_client();
        return;
      case ParseStop::HeadComplete:
        on_response_head();
        break;
      case ParseStop::MessageComplete:
        on_response_complete();
        break;
    }
  }
  if (state_ != State::Closing) update_reading();
}

void ProxyConnection::on_response_head() {
  tx_.response = &response_;
  if (!fire(Event::HttpResponse)) return;
  flush(client_);   // e.g. a corked 100 Continue head still points into the buffer
  response_head_buf_.clear();
  serialize_response_head(response_, response_head_buf_);
  send(client_, response_head_buf_.data(), response_head_buf_.size());
  if (response_.status == 101) {
    // The member switched protocols (a granted upgrade): from here on, bytes only.
    enter_tunnel();
    return;
  }
  if (response_parser_.resume_after_head() == ParseStop::MessageComplete) on_response_complete();
}

void ProxyConnection::on_response_complete() {
  response_parser_.resume();
  if (response_.status >= 100 && response_.status < 200) return;   // interim (100 Continue): go on
  response_done_ = true;
  if (!response_parser_.keep_alive()) request_keep_alive_ = false;
  if (request_done_) finish_exchange();
}

void ProxyConnection::finish_exchange() {
  tx_.request = nullptr;
  tx_.response = nullptr;
  if (!request_keep_alive_ || client_->eof || draining_) {
    close_server();
    close_after_flush(client_);
    return;
  }
  state_ = State::ReadingRequest;
  request_parser_.resume();
  pump_client();
}

void ProxyConnection::on_server_eof() {
  if (state_ == State::Tunnel) {
    close_after_flush(client_);
    return;
  }
  bool mid_response = state_ == State::AwaitingResponse || state_ == State::ForwardingBody;
  if (mid_response && !response_parser_.in_head() && response_parser_.finish()) {
    // A response delimited by the end of the connection is complete now.
    request_keep_alive_ = false;
    response_done_ = true;
    request_done_ = true;
    finish_exchange();
    return;
  }
  if (mid_response) {
    log_line(LogLevel::Warning, "Pool {} member {} closed before its response completed (client {}:{} on {})",
             server_pool_, member_name_, tx_.client_addr, tx_.client_port, vs_.name);
    reset_client();
    return;
  }
  // Between requests: drop the server side; the next request connects again.
  close_server();
}

void ProxyConnection::close_server() {
  if (server_) {
    uv_close(reinterpret_cast<uv_handle_t*>(&server_->tcp), &ProxyConnection::on_socket_closed);
    server_ = nullptr;
    server_pool_.clear();
  }
  if (connecting_) {
    uv_close(reinterpret_cast<uv_handle_t*>(&connecting_->tcp), &ProxyConnection::on_socket_closed);
    connecting_ = nullptr;
  }
}

// ---------------------------------------------------------------------------------------------
// Flow

void ProxyConnection::enter_tunnel() {
  state_ = State::Tunnel;
  tx_.request = nullptr;
  tx_.response = nullptr;
  // A tunnel may idle for hours: give back what only HTTP needed (heads, their buffers), once the
  // corked heads that point into those buffers are written.
  flush_corked();
  request_ = RequestHead{};
  response_ = ResponseHead{};
  std::string().swap(request_head_buf_);
  std::string().swap(response_head_buf_);
  // Whatever the client sent after the head is already tunnel payload.
  if (!stash_.empty()) {
    std::string pending = std::move(stash_);
    stash_.clear();
    send(server_, pending.data(), pending.size());
    flush(server_);
  }
  update_reading();
}

void ProxyConnection::send(Socket* to, const char* data, std::size_t len) {
  if (len == 0 || !to) return;
  if (corked_) {
    if (to->corked_count == Socket::kMaxCorked) flush(to);
    to->corked[to->corked_count++] = uv_buf_init(const_cast<char*>(data), static_cast<unsigned>(len));
    return;
  }
  uv_buf_t buf = uv_buf_init(const_cast<char*>(data), static_cast<unsigned>(len));
  to->corked[0] = buf;
  to->corked_count = 1;
  flush(to);
}

void ProxyConnection::flush(Socket* to) {
  if (!to || to->corked_count == 0) return;
  uv_buf_t* bufs = to->corked;
  int count = to->corked_count;
  to->corked_count = 0;
  std::size_t skip = 0;   // bytes the kernel took at once
  if (to->queued == 0) {
    int n = uv_try_write(reinterpret_cast<uv_stream_t*>(&to->tcp), bufs, static_cast<unsigned>(count));
    if (n < 0 && n != UV_EAGAIN && n != UV_ENOSYS) return;   // the socket failed; its read side reports it
    skip = n > 0 ? static_cast<std::size_t>(n) : 0;
  }
  // The rest must outlive this call: copy it into one owned write.
  std::string rest;
  for (int i = 0; i < count; ++i) {
    std::size_t len = bufs[i].len;
    if (skip >= len) {
      skip -= len;
      continue;
    }
    rest.append(bufs[i].base + skip, len - skip);
    skip = 0;
  }
  send_owned(to, std::move(rest));
}

void ProxyConnection::flush_corked() {
  flush(client_);
  flush(server_);
}

void ProxyConnection::send_owned(Socket* to, std::string&& data) {
  if (data.empty() || !to) return;
  flush(to);   // corked pieces go first
  PendingWrite* write = new PendingWrite{};
  write->data = std::move(data);
  write->to = to;
  write->req.data = write;
  uv_buf_t buf = uv_buf_init(write->data.data(), static_cast<unsigned>(write->data.size()));
  to->queued += write->data.size();
  if (uv_write(&write->req, reinterpret_cast<uv_stream_t*>(&to->tcp), &buf, 1, &ProxyConnection::on_write) != 0) {
    to->queued -= write->data.size();
    delete write;
  }
}

void ProxyConnection::update_reading() {
  if (state_ == State::Closing) return;
  std::size_t to_server = server_ ? server_->queued : 0;
  std::size_t to_client = client_ ? client_->queued : 0;
  bool client_may_read = to_server < (client_->reading ? kHighWater : kLowWater) &&
                         stash_.size() < kStashHigh;
  set_reading(client_, client_may_read);
  if (server_) set_reading(server_, to_client < (server_->reading ? kHighWater : kLowWater));
}

void ProxyConnection::set_reading(Socket* socket, bool on) {
  if (!socket || socket->eof || socket->reading == on) return;
  socket->reading = on;
  auto* stream = reinterpret_cast<uv_stream_t*>(&socket->tcp);
  if (on) {
    uv_read_start(stream, &ProxyConnection::on_alloc, &ProxyConnection::on_read);
  } else {
    uv_read_stop(stream);
  }
}

bool ProxyConnection::fire(Event event) {
  RuleEngine& engine = *version_->engine;
  if (!engine.handles(vs_, event)) return true;
  if (engine.fire(vs_, event, tx_) == RuleOutcome::Continue) return true;
  // The engine logged the rule error; only this connection pays for it.
  if (event == Event::ClientClosed) return false;
  reset_client();
  return false;
}

void ProxyConnection::close_after_flush(Socket* flush_to) {
  if (state_ == State::Closing) return;
  flush(flush_to);
  if (!flush_to || flush_to->eof || flush_to->queued == 0) {
    close_all();
    return;
  }
  set_reading(client_, false);
  set_reading(server_, false);
  auto* req = new uv_shutdown_t{};
  req->data = this;
  if (uv_shutdown(req, reinterpret_cast<uv_stream_t*>(&flush_to->tcp), &ProxyConnection::on_shutdown) != 0) {
    delete req;
    close_all();
  }
}

void ProxyConnection::close_all() { close_client(false); }

// Reset instead of FIN, as BIG-IP does for rule errors and limit violations.
void ProxyConnection::reset_client() { close_client(true); }

void ProxyConnection::close_client(bool reset) {
  if (state_ == State::Closing) return;
  if (accepted_ && !client_closed_fired_) {
    client_closed_fired_ = true;
    tx_.request = nullptr;
    tx_.response = nullptr;
    fire(Event::ClientClosed);
  }
  state_ = State::Closing;
  close_server();
  if (!client_) return;
  if (reset && accepted_ && uv_tcp_close_reset(&client_->tcp, &ProxyConnection::on_socket_closed) == 0) return;
  uv_close(reinterpret_cast<uv_handle_t*>(&client_->tcp), &ProxyConnection::on_socket_closed);
}

void ProxyConnection::force_close() { close_all(); }

void ProxyConnection::begin_drain() {
  draining_ = true;
  if (state_ == State::ReadingRequest && stash_.empty() && request_parser_.between_messages()) close_all();
}

void ProxyConnection::check_idle(uint64_t now_ms) {
  uint64_t timeout_ms = uint64_t{vs_.tcp.idle_timeout_s} * 1000;
  if (timeout_ms == 0 || state_ == State::Closing || now_ms - last_activity_ms_ < timeout_ms) return;
  log_line(LogLevel::Info, "Connection {}:{} on {} idle for {} s (idle-timeout of profile {}); reset",
           tx_.client_addr, tx_.client_port, vs_.name, vs_.tcp.idle_timeout_s, vs_.tcp.name);
  reset_client();
}

}  // namespace irulesd
