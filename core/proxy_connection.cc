#include "core/proxy_connection.h"

#include <sys/socket.h>
#include <unistd.h>

#include <cstring>
#include <ctime>

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

// A reset that arrives with the last bytes reaches libuv as POLLHUP after a short read, which it
// reports as an end of file; the socket's pending error tells the two apart.
int pending_socket_error(uv_tcp_t* tcp) {
  uv_os_fd_t fd;
  if (uv_fileno(reinterpret_cast<uv_handle_t*>(tcp), &fd) != 0) return 0;
  int err = 0;
  socklen_t len = sizeof err;
  if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0) return 0;
  return err == 0 ? 0 : uv_translate_sys_error(err);
}

bool is_websocket_upgrade(const RequestHead& head) {
  const std::optional<std::string_view> upgrade = head.headers.last_value("Upgrade");
  return upgrade && header_name_equals(*upgrade, "websocket");
}
}  // namespace

struct ProxyConnection::PendingWrite {
  uv_write_t req;
  std::string data;
  Socket* to;
};

ProxyConnection::ProxyConnection(Worker& worker, std::shared_ptr<WorkerVersion> version,
                                 const VirtualServer& vs)
    : worker_(worker),
      version_(std::move(version)),
      vs_(vs),
      tcp_mode_(!vs.has_http_profile),
      keeps_raw_head_(vs.http.oversize_client_headers == OversizeAction::PassThrough ||
                      vs.http.excess_client_headers == OversizeAction::PassThrough) {
  HeadLimits limits{vs.http.max_header_size, vs.http.max_header_count};
  http_->request_parser.set_limits(limits);
  http_->request_parser.set_request_target(&http_->request);
  // Response heads from our own members are trusted more, but still bounded.
  http_->response_parser.set_limits(HeadLimits{std::max<std::size_t>(limits.max_header_size, 65536), 256});
  http_->response_parser.set_response_target(&http_->response);
  tx_.virtual_name = vs.name;
  tx_.services = worker.services();
  tx_.worker_index = worker.index();
  tx_.pool_states = version_->shared.get();
  if (vs.persist) tx_.persist = persist_request_of(*vs.persist);
  tx_.oneconnect = vs.oneconnect.has_value();
  if (vs.fallback_persist) tx_.persist_fallback = persist_request_of(*vs.fallback_persist);
}

void ProxyConnection::accept(int fd, const sockaddr_storage& peer) {
  client_ = new Socket{};
  client_->owner = this;
  client_->is_client = true;
  uv_tcp_init(worker_.loop(), &client_->tcp);
  client_->tcp.data = client_;
  ++open_handles_;
  if (uv_tcp_open(&client_->tcp, fd) != 0) {
    ::close(fd);
    close_all();
    return;
  }
  accepted_ = true;
  last_activity_ms_ = uv_now(worker_.loop());
  uv_tcp_nodelay(&client_->tcp, 1);
  tx_.client_addr = address_string(peer);
  tx_.client_port = address_port(peer);
  if (vs_.dest_address != "0.0.0.0") {
    // The listener's own address: no getsockname per connection.
    tx_.local_addr = vs_.dest_address;
    tx_.local_port = vs_.dest_port;
  } else {
    sockaddr_storage local{};
    int len = sizeof local;
    uv_tcp_getsockname(&client_->tcp, reinterpret_cast<sockaddr*>(&local), &len);
    tx_.local_addr = address_string(local);
    tx_.local_port = address_port(local);
  }

  if (vs_.connection_limit != 0) {
    // The virtual's connection-limit counts every worker's connections.
    virtual_connections_ = MemberRegistry::global().virtual_connections(vs_.name);
    if (virtual_connections_->fetch_add(1, std::memory_order_relaxed) >= vs_.connection_limit) {
      log_line(LogLevel::Warning, "Connection from {}:{} to {} reset: connection-limit {} reached", tx_.client_addr,
               tx_.client_port, vs_.name, vs_.connection_limit);
      reset_client();
      return;
    }
  }
  if (!ipv4_in_network(tx_.client_addr, vs_.source_address, vs_.source_prefix_len)) {
    log_line(LogLevel::Info, "Connection from {}:{} to {} rejected: source not in {}/{}", tx_.client_addr,
             tx_.client_port, vs_.name, vs_.source_address, vs_.source_prefix_len);
    reset_client();
    return;
  }
  if (!fire(Event::ClientAccepted)) return;
  after_client_accepted();
}

void ProxyConnection::after_client_accepted() {
  set_reading(client_, true);
  // Plain TCP load balancing (no http profile): the server is chosen now, unless a rule collects the
  // client's first bytes to choose by them (CLIENT_DATA).
  if (tcp_mode_ && !tx_.tcp_collect.requested) load_balance();
}

// ---------------------------------------------------------------------------------------------
// libuv callbacks

void ProxyConnection::on_alloc(uv_handle_t* handle, std::size_t, uv_buf_t* buf) {
  // One read buffer per worker: every read is processed (or copied) before the callback returns,
  // so an idle connection holds no buffer at all.
  Socket* socket = static_cast<Socket*>(handle->data);
  if (socket->owner == nullptr) {
    // Parked: whatever an idle server sends is thrown away with its connection.
    thread_local char scratch[256];
    buf->base = scratch;
    buf->len = sizeof scratch;
    return;
  }
  buf->base = socket->owner->worker_.read_buffer();
  buf->len = Worker::kReadBufferSize;
}

void ProxyConnection::on_read(uv_stream_t* stream, ssize_t nread, const uv_buf_t* buf) {
  Socket* socket = static_cast<Socket*>(stream->data);
  ProxyConnection* self = socket->owner;
  if (self == nullptr) {   // parked in the OneConnect pool: a byte or a close ends it
    if (nread != 0) socket->parked->pool->parked_read(socket->parked);
    return;
  }
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
    if (nread == UV_EOF && !socket->is_client && self->state_ == State::Tunnel) {
      if (int err = pending_socket_error(&socket->tcp)) nread = err;   // a reset, not a close
    }
    if (nread != UV_EOF) {
      // A reset or error: nothing more can be delivered in order on this side.
      if (socket->is_client) {
        self->on_client_reset(static_cast<int>(nread));
      } else if (self->state_ == State::Tunnel) {
        // An aborted stream must not look complete to the client: its reset is passed on.
        log_line(LogLevel::Info, "Pool {} member {} reset the tunnel: {} (client {}:{} on {}); client reset",
                 self->server_target_, self->member_name_, uv_strerror(static_cast<int>(nread)), self->tx_.client_addr,
                 self->tx_.client_port, self->vs_.name);
        self->reset_client();
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

void ProxyConnection::on_write(uv_write_t* req, int status) {
  PendingWrite* write = static_cast<PendingWrite*>(req->data);
  Socket* to = write->to;
  to->queued -= write->data.size();
  ProxyConnection* self = to->owner;
  delete write;
  if (self->state_ == State::Closing) return;
  // Bytes leaving count as activity too: a client reading a long answer slowly is not idle.
  if (status == 0) self->last_activity_ms_ = uv_now(self->worker_.loop());
  self->update_reading();
}

// The client's connection failed (a reset): logged when it cuts a request body short, then closed.
void ProxyConnection::on_client_reset(int err) {
  if ((state_ == State::CollectingBody || state_ == State::ForwardingBody) && !request_done_) {
    log_line(LogLevel::Info, "Client {}:{} on {} reset in the middle of a request body ({}); closing",
             tx_.client_addr, tx_.client_port, vs_.name, uv_strerror(err));
  }
  close_all();
}

void ProxyConnection::on_connect(uv_connect_t* req, int status) {
  Socket* socket = static_cast<Socket*>(req->data);
  ProxyConnection* self = socket->owner;
  if (self->connecting_ != socket || self->state_ == State::Closing) return;  // already closed
  self->connecting_ = nullptr;
  self->stop_connect_timer();
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
  self->handle_closed();
}

// A server connection the reuse pool closed: its last owner may be long gone.
void ProxyConnection::on_parked_socket_closed(uv_handle_t* handle) { delete static_cast<Socket*>(handle->data); }

void ProxyConnection::on_rule_timer_closed(uv_handle_t* handle) {
  RuleTimer* timer = static_cast<RuleTimer*>(handle->data);
  ProxyConnection* self = timer->owner;
  delete timer;
  self->handle_closed();
}

void ProxyConnection::handle_closed() {
  if (--open_handles_ == 0 && state_ == State::Closing) {
    worker_.connection_closed(this);
    delete this;
  }
}

void ProxyConnection::on_rule_timer(uv_timer_t* handle) {
  RuleTimer* timer = static_cast<RuleTimer*>(handle->data);
  ProxyConnection* self = timer->owner;
  if (self->state_ == State::Closing) return;
  const uint64_t id = timer->id;
  if (!timer->periodic) self->close_rule_timer(id);
  Cork cork(*self);
  RuleEngine& engine = *self->version_->engine;
  self->apply_rule_effects(engine.run_timer(self->vs_, id, self->tx_), "a timer (after)", false);
}

// ---------------------------------------------------------------------------------------------
// Client side

void ProxyConnection::on_client_data(const char* data, std::size_t len) {
  if (tx_.tcp_collect.requested) {
    collect_client_bytes(data, len);
    if (state_ != State::Closing) update_reading();
    return;
  }
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
    if (paused_) return off;   // a rule waits (after MS): the rest waits in the stash
    switch (state_) {
      case State::CollectingBody: {
        ParseResult r = http_->request_parser.feed(data + off, len - off);
        off += r.consumed;
        if (r.stop == ParseStop::Error) {
          log_line(LogLevel::Warning, "Malformed request body from {}:{} on {}: {}; connection reset",
                   tx_.client_addr, tx_.client_port, vs_.name, http_->request_parser.error_reason());
          reset_client();
          return len;
        }
        if (r.stop == ParseStop::MessageComplete) http_->request_body.complete = true;
        if (http_->request_body.complete || collect_reached(tx_.http_collect)) {
          request_collected();
        } else if (r.stop == ParseStop::NeedMore) {
          return len;
        }
        break;
      }
      case State::ReadingRequest:
      case State::ForwardingBody: {
        bool in_body = state_ == State::ForwardingBody;
        if (in_body) http_->request_parser.set_body_sink(http_->request_body.rechunk ? &http_->request_body.pending : nullptr);
        if (!in_body && http_->request_parser.between_messages()) {
          head_started_ms_ = uv_now(worker_.loop());
          head_raw_.clear();
          flush(server_);   // a corked head may point into the last message's received bytes
        }
        ParseResult r = http_->request_parser.feed(data + off, len - off);
        // A profile that passes oversize heads through keeps each head's raw bytes until it is parsed.
        if (!in_body && keeps_raw_head_ && r.stop == ParseStop::NeedMore) head_raw_.append(data + off, r.consumed);
        if (in_body && r.consumed > 0 && r.stop != ParseStop::Error && !discarding_body_) {
          if (http_->request_body.rechunk) {
            send_rechunked(server_, http_->request_body, r.stop == ParseStop::MessageComplete);
          } else {
            send(server_, data + off, r.consumed);
          }
        }
        off += r.consumed;
        switch (r.stop) {
          case ParseStop::NeedMore:
            return len;
          case ParseStop::Error:
            if (http_->request_parser.limit_exceeded() && !in_body && passes_through(http_->request_parser.limit_name())) {
              pass_through(data + off, len - off);
              return len;
            }
            if (http_->request_parser.limit_exceeded()) {
              log_line(LogLevel::Warning,
                       "HTTP header section from {}:{} on {} exceeds {} of profile {} ({} bytes / {} headers); "
                       "connection reset",
                       tx_.client_addr, tx_.client_port, vs_.name, http_->request_parser.limit_name(), vs_.http.name,
                       vs_.http.max_header_size, vs_.http.max_header_count);
              reset_client();
            } else if (in_body) {
              log_line(LogLevel::Warning, "Malformed request body from {}:{} on {}: {}; connection reset",
                       tx_.client_addr, tx_.client_port, vs_.name, http_->request_parser.error_reason());
              reset_client();
            } else {
              reject_request(400, "Bad Request",
                             fmt::format("Malformed HTTP request from {}:{} on {}: {}", tx_.client_addr,
                                         tx_.client_port, vs_.name, http_->request_parser.error_reason()));
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
  tx_.begin_request();
  tx_.request = &http_->request;
  ++tx_.request_count;
  request_done_ = false;
  response_done_ = false;
  discarding_body_ = false;
  collecting_for_member_ = false;
  kept_open_for_reuse_ = false;
  lb_rounds_ = 0;
  upgrade_requested_ = http_->request_parser.upgrade();
  request_has_body_ = http_->request_parser.body_follows();
  if (!fire(Event::HttpRequest)) return;
  after_http_request();
}

void ProxyConnection::after_http_request() {
  if (tx_.local_response) {
    answer_request_locally();
    return;
  }
  if (tx_.lb_detach) {
    tx_.lb_detach = false;
    close_server();
  }
  http_->request_body = CollectedBody{};

  tunnel_after_head_ = tx_.http_disabled;
  if (upgrade_requested_ && !tunnel_after_head_) {
    // A websocket profile lets the upgrade through (the member's 101 then starts the tunnel).
    // Otherwise forward plain HTTP, so the handshake fails as behind a BIG-IP without the iRule:
    // Upgrade and Connection are hop-by-hop, and the parser goes on with HTTP.
    if (!(vs_.has_websocket_profile && is_websocket_upgrade(http_->request))) {
      http_->request.headers.remove("Upgrade");
      http_->request.headers.remove("Connection");
    }
  }

  if (tx_.http_collect.requested && !tunnel_after_head_ && http_->request_parser.body_follows()) {
    // HTTP::collect: the body is read first, HTTP_REQUEST_DATA fires, then the server is chosen.
    state_ = State::CollectingBody;
    http_->request_parser.set_body_sink(&tx_.http_collect.payload);
    http_->request_parser.resume();
    return;
  }
  tx_.http_collect.requested = false;
  dispatch_request();
}

void ProxyConnection::dispatch_request() {
  if (server_ && !server_->eof && server_target_ == lb_target()) {
    send_request_head();
  } else {
    close_server();
    load_balance();
  }
}

// What the next server connection goes to: "node ADDR:PORT" or the pool's name ("" = none).
std::string ProxyConnection::lb_target() const {
  if (!tx_.selected_node_addr.empty()) {
    return fmt::format("node {}:{}", tx_.selected_node_addr,
                       tx_.selected_node_port != 0 ? tx_.selected_node_port : vs_.dest_port);
  }
  return tx_.selected_pool.empty() ? vs_.pool : tx_.selected_pool;
}

// The client gets the rule's response (HTTP::respond / HTTP::redirect) instead of the server's; the
// request's body, if any, is read and thrown away so the connection can go on with the next request.
void ProxyConnection::answer_request_locally() {
  send_local_response();
  response_done_ = true;
  discarding_body_ = true;
  state_ = State::ForwardingBody;
  if (http_->request_body.ready) {
    // Answered after HTTP::collect (LB_SELECTED, LB_FAILED): the parser is past the head already.
    const bool complete = http_->request_body.complete;
    http_->request_body = CollectedBody{};
    tx_.http_collect = Collect{};
    if (complete) on_request_complete();
  } else if (http_->request_parser.resume_after_head() == ParseStop::MessageComplete) {
    on_request_complete();
  }
  pump_client();
}

void ProxyConnection::send_local_response() {
  std::unique_ptr<LocalResponse> response = std::move(tx_.local_response);
  const std::optional<std::string_view> connection = response->headers.last_value("Connection");
  const bool keep_alive = request_keep_alive_ && http_->request_parser.keep_alive() && !draining_ && !response->reset &&
                          !(connection && connection_says_close(*connection));
  if (!keep_alive) request_keep_alive_ = false;
  if (response->reset) reset_when_closed_ = true;
  std::string out;
  serialize_local_response(*response, keep_alive, http_->request.method == "HEAD", out);
  send_owned(client_, std::move(out));
}

void ProxyConnection::on_request_complete() {
  request_done_ = true;
  // A request that asked for close (or HTTP/1.0 without keep-alive) told its server to close too.
  const bool client_keep_alive = http_->request_parser.keep_alive();
  server_keep_alive_requested_ = client_keep_alive || kept_open_for_reuse_;
  request_keep_alive_ = request_keep_alive_ && client_keep_alive;
  if (response_done_) {
    finish_exchange();
  } else {
    state_ = State::AwaitingResponse;
  }
}

void ProxyConnection::on_client_eof() {
  if (tx_.tcp_collect.requested && !tx_.tcp_collect.payload.empty()) {
    client_data_ready(true);   // what was collected is all there will be
    if (state_ == State::Closing) return;
  }
  if (tcp_mode_ && state_ != State::Tunnel) {
    // Not connected yet: the server gets the client's bytes and then its FIN (see enter_tunnel).
    if (state_ == State::ReadingRequest) close_all();
    return;
  }
  switch (state_) {
    case State::Tunnel:
      // The client is done sending: the server gets what is queued and then the FIN; its answer
      // still flows back until it closes too (as BIG-IP keeps a half-closed connection).
      if (server_->eof) {
        close_after_flush(server_);
      } else {
        half_close(server_);
      }
      return;
    case State::ReadingRequest:
      // Between requests or inside an incomplete head: nothing is owed to this client.
      close_all();
      return;
    case State::CollectingBody:
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

// excess-client-headers / oversize-client-headers pass-through: whether the limit just exceeded lets
// the connection through instead of resetting it.
bool ProxyConnection::passes_through(const std::string& limit) const {
  const OversizeAction action =
      limit == "max-header-count" ? vs_.http.excess_client_headers : vs_.http.oversize_client_headers;
  return action == OversizeAction::PassThrough;
}

// BIG-IP's pass-through: HTTP processing stops for the connection (no HTTP events), a member is
// chosen by the pool's method, and it gets the bytes as the client sent them, head included.
void ProxyConnection::pass_through(const char* rest, std::size_t len) {
  log_line(LogLevel::Info, "HTTP header section from {}:{} on {} exceeds {} of profile {}; passed through (HTTP off)",
           tx_.client_addr, tx_.client_port, vs_.name, http_->request_parser.limit_name(), vs_.http.name);
  passing_through_ = true;
  stash_ = std::move(head_raw_);
  head_raw_.clear();
  stash_.append(rest, len);
  tx_.request = nullptr;
  load_balance();
}

void ProxyConnection::reject_request(int status, const char* reason, const std::string& log_message) {
  if (tcp_mode_) {
    // No HTTP to answer in: the client is reset, as BIG-IP resets a TCP virtual's client.
    log_line(LogLevel::Warning, "{}; connection reset", log_message);
    reset_client();
    return;
  }
  log_line(LogLevel::Warning, "{}; answered {}", log_message, status);
  send_owned(client_, local_reply(status, reason, std::string(reason) + "\n"));
  close_server();
  close_after_flush(client_);
}

// ---------------------------------------------------------------------------------------------
// Server side

void ProxyConnection::member_failed(Socket* socket, int err) {
  if (tx_.server_pool.empty()) {   // a rule's `node ADDR PORT`: no pool to name
    log_line(LogLevel::Warning, "Node {}:{} connect failed: {} (client {}:{} on {})", tx_.server_addr, tx_.server_port,
             uv_strerror(err), tx_.client_addr, tx_.client_port, vs_.name);
  } else {
    log_line(LogLevel::Warning, "Pool {} member {} connect failed: {} (client {}:{} on {})", tx_.server_pool,
             member_name_, uv_strerror(err), tx_.client_addr, tx_.client_port, vs_.name);
  }
  uv_close(reinterpret_cast<uv_handle_t*>(&socket->tcp), &ProxyConnection::on_socket_closed);
  ++connect_failures_;
  try_next_member();
}

void ProxyConnection::on_server_connected(Socket* socket) {
  socket->opened_ms = uv_now(worker_.loop());
  uv_tcp_nodelay(&socket->tcp, 1);
  attach_server(socket);
  if (!fire(Event::ServerConnected)) return;
  if (tcp_mode_ || passing_through_) {
    enter_tunnel();
    return;
  }
  if (resend_head_) {
    // The head went out once already (on a reused connection that closed): the same bytes again.
    resend_head_ = false;
    count_outstanding_request();
    ++server_->requests;
    send(server_, http_->request_head_out.data(), http_->request_head_out.size());
    state_ = State::AwaitingResponse;
    return;
  }
  send_request_head();
  pump_client();
}

// The server connection (new, or reused from the pool) becomes this request's.
void ProxyConnection::attach_server(Socket* socket) {
  server_ = socket;
  server_target_ = connecting_target_;
  server_keep_alive_ = false;
  server_reused_ = false;
  if (server_->local_addr.empty()) {
    sockaddr_storage local{};
    int len = sizeof local;
    uv_tcp_getsockname(&server_->tcp, reinterpret_cast<sockaddr*>(&local), &len);
    server_->local_addr = address_string(local);
    server_->local_port = address_port(local);
  }
  tx_.server_local_addr = server_->local_addr;
  tx_.server_local_port = server_->local_port;
  tx_.server_connected = true;
  server_connection_counted(true);
  remember_persistence();
  http_->response_parser.reset();   // a new server connection starts a new response stream
  set_reading(server_, true);
  if (!tx_.respond_to_server.empty()) {   // TCP::respond from before the server was there
    send_owned(server_, std::move(tx_.respond_to_server));
    tx_.respond_to_server.clear();
  }
}

void ProxyConnection::send_request_head() {
  if (!fire(Event::HttpRequestSend) || !fire(Event::HttpRequestRelease)) return;
  http_->response_parser.set_expect_no_body(http_->request.method == "HEAD");
  if (vs_.http.insert_xforwarded_for) http_->request.headers.add("X-Forwarded-For", tx_.client_addr);
  flush(server_);   // a corked earlier head may still point into the buffer
  if (!tunnel_after_head_) count_outstanding_request();
  std::string collected;
  if (http_->request_body.ready) {
    collected = std::move(tx_.http_collect.payload);
    tx_.http_collect = Collect{};
    frame_collected_body(http_->request.headers, http_->request_body, http_->request_parser, collected);
  }
  ++server_->requests;
  if (vs_.oneconnect && tx_.oneconnect_reuse) keep_server_connection_open();
  http_->request_head_out = request_head_bytes(http_->request, http_->request_head_buf);
  send(server_, http_->request_head_out.data(), http_->request_head_out.size());
  if (http_->request_body.ready) {
    http_->request_body.ready = false;
    send_owned(server_, std::move(collected));
    state_ = State::ForwardingBody;
    if (http_->request_body.complete) on_request_complete();
    return;
  }
  if (tunnel_after_head_) {
    enter_tunnel();
    return;
  }
  state_ = State::ForwardingBody;
  if (http_->request_parser.resume_after_head() == ParseStop::MessageComplete) on_request_complete();
}

// BIG-IP's OneConnect transformations: a request that would make its server close the connection does
// not, so that the connection can carry later requests. `Connection: close` goes as `X-Cnection: close`
// (BIG-IP's spelling) and an HTTP/1.0 request without keep-alive gets `Connection: Keep-Alive`; the
// client's own connection still closes after the answer, as it asked.
void ProxyConnection::keep_server_connection_open() {
  bool close = false;
  bool keep_alive = false;
  for (const Header& header : http_->request.headers.items()) {
    if (!header_name_equals(header.name, "Connection")) continue;
    close = close || connection_says_close(header.value);
    keep_alive = keep_alive || connection_lists(header.value, "keep-alive");
  }
  if (close) {
    std::vector<std::string> values = http_->request.headers.values("Connection");
    http_->request.headers.remove("Connection");
    for (const std::string& value : values) http_->request.headers.add("X-Cnection", value);
  }
  if (http_->request.version_major == 1 && http_->request.version_minor == 0 && (close || !keep_alive)) {
    http_->request.headers.add("Connection", "Keep-Alive");
  }
  kept_open_for_reuse_ = true;
}

// The member has one more request it has not answered (fastest, fastest-app-response).
void ProxyConnection::count_outstanding_request() {
  if (awaiting_response_) return;
  for (EndpointStats* stats : {server_member_stats_, server_node_stats_}) {
    if (stats) stats->outstanding_requests.fetch_add(1, std::memory_order_relaxed);
  }
  awaiting_response_ = server_member_stats_ != nullptr || server_node_stats_ != nullptr;
  request_sent_ms_ = uv_now(worker_.loop());
}

void ProxyConnection::on_server_data(const char* data, std::size_t len) {
  if (tx_.tcp_server_collect.requested) {
    collect_server_bytes(data, len);
    if (state_ != State::Closing) update_reading();
    return;
  }
  process_server_bytes(data, len);
}

// Server bytes past any TCP::collect: parsed as responses, or relayed in a tunnel.
void ProxyConnection::process_server_bytes(const char* data, std::size_t len) {
  std::size_t off = 0;
  while (off < len && state_ != State::Closing) {
    if (paused_) {   // a rule waits (after MS): the rest is parsed once it goes on
      server_stash_.append(data + off, len - off);
      return;
    }
    if (state_ == State::Tunnel) {
      send(client_, data + off, len - off);
      break;
    }
    bool in_body = !http_->response_parser.in_head();
    // A corked head (e.g. a 100 Continue's) may point into the received bytes the next head replaces.
    if (!in_body && http_->response_parser.between_messages()) flush(client_);
    if (in_body && !collecting_response_) {
      http_->response_parser.set_body_sink(http_->response_body.rechunk ? &http_->response_body.pending : nullptr);
    }
    ParseResult r = http_->response_parser.feed(data + off, len - off);
    if (in_body && r.consumed > 0 && r.stop != ParseStop::Error && !collecting_response_) {
      if (http_->response_body.rechunk) {
        send_rechunked(client_, http_->response_body, r.stop == ParseStop::MessageComplete);
      } else {
        send(client_, data + off, r.consumed);
      }
    }
    off += r.consumed;
    if (collecting_response_ && r.stop != ParseStop::Error) {
      if (r.stop == ParseStop::MessageComplete) http_->response_body.complete = true;
      if (http_->response_body.complete || collect_reached(tx_.http_collect)) {
        response_collected();
        continue;
      }
    }
    switch (r.stop) {
      case ParseStop::NeedMore:
        off = len;
        break;
      case ParseStop::Error: {
        const std::string what =
            fmt::format("Malformed response from pool {} member {} ({}) for {}:{} on {}", server_target_,
                        member_name_, http_->response_parser.error_reason(), tx_.client_addr, tx_.client_port, vs_.name);
        if (!in_body && !response_done_ && !collecting_response_) {
          // Nothing of this response reached the client: it gets one 502, and the member's connection
          // goes (what follows on it cannot be trusted).
          if (awaiting_response_) response_head_arrived();
          reject_request(502, "Bad Gateway", what);
          return;
        }
        log_line(LogLevel::Warning, "{}; connection reset", what);
        reset_client();
        return;
      }
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
  if (awaiting_response_ && http_->response.status >= 200) response_head_arrived();
  tx_.response = &http_->response;
  if (!fire(Event::HttpResponse)) return;
  after_http_response();
}

void ProxyConnection::after_http_response() {
  if (tx_.local_response) {
    // The rule answers instead of the server: what is left of the server's response is not wanted.
    close_server();
    send_local_response();
    response_done_ = true;
    if (request_done_) finish_exchange();
    return;
  }
  http_->response_body = CollectedBody{};
  if (tx_.http_collect.requested && http_->response.status >= 200 && http_->response_parser.body_follows()) {
    // HTTP::collect: the head waits for the body; HTTP_RESPONSE_DATA fires when it is in.
    collecting_response_ = true;
    http_->response_parser.set_body_sink(&tx_.http_collect.payload);
    http_->response_parser.resume();
    return;
  }
  tx_.http_collect.requested = false;
  release_response_head();
}

void ProxyConnection::release_response_head() {
  if (!fire(Event::HttpResponseRelease)) return;
  insert_persist_cookie();
  flush(client_);   // e.g. a corked 100 Continue head still points into the buffer
  std::string collected;
  if (http_->response_body.ready) {
    collected = std::move(tx_.http_collect.payload);
    tx_.http_collect = Collect{};
    frame_collected_body(http_->response.headers, http_->response_body, http_->response_parser, collected);
  }
  const std::string_view head = response_head_bytes(http_->response, http_->response_head_buf);
  send(client_, head.data(), head.size());
  if (http_->response_body.ready) {
    http_->response_body.ready = false;
    send_owned(client_, std::move(collected));
    if (http_->response_body.complete) on_response_complete();
    return;
  }
  if (http_->response.status == 101 || tx_.http_disabled) {
    // The member switched protocols (a granted upgrade), or a rule said HTTP::disable in
    // HTTP_RESPONSE: from here on, bytes only (the rest of this response included).
    tunnel_after_head_ = tx_.http_disabled;
    enter_tunnel();
    return;
  }
  if (http_->response_parser.resume_after_head() == ParseStop::MessageComplete) on_response_complete();
}

void ProxyConnection::response_collected() {
  if (!body_collected(http_->response_parser, http_->response_body, Event::HttpResponseData)) {
    if (state_ == State::Closing || !tx_.local_response) return;
    // The rule answered instead of the server: what is left of the server's response is not wanted.
    collecting_response_ = false;
    tx_.http_collect = Collect{};
    close_server();
    send_local_response();
    response_done_ = true;
    if (request_done_) finish_exchange();
    return;
  }
  collecting_response_ = false;
  http_->response_body.ready = true;
  release_response_head();
}

void ProxyConnection::on_response_complete() {
  http_->response_parser.resume();
  if (http_->response.status >= 100 && http_->response.status < 200) return;   // interim (100 Continue): go on
  response_done_ = true;
  server_keep_alive_ = http_->response_parser.keep_alive();
  if (!server_keep_alive_) request_keep_alive_ = false;
  if (request_done_) finish_exchange();
}

void ProxyConnection::finish_exchange() {
  tx_.request = nullptr;
  tx_.response = nullptr;
  discarding_body_ = false;
  // OneConnect: the server side detaches after every exchange — into the reuse pool when it can be
  // reused, else closed — and the next request is balanced anew, as BIG-IP does.
  if (vs_.oneconnect && server_ && tx_.oneconnect_detach && !park_server()) close_server();
  if (!request_keep_alive_ || client_->eof || draining_) {
    close_server();
    close_after_flush(client_);
    return;
  }
  state_ = State::ReadingRequest;
  http_->request_parser.resume();
  pump_client();
}

void ProxyConnection::on_server_eof() {
  if (tx_.tcp_server_collect.requested && !tx_.tcp_server_collect.payload.empty()) {
    server_data_ready(true);
    if (state_ == State::Closing) return;
  }
  if (state_ == State::Tunnel) {
    // The server is done sending: the client gets the rest and the FIN, and may still send. A FIN
    // is how a tunnel normally ends (a WebSocket server closing): not logged, as BIG-IP does not;
    // a reset is (on_read).
    if (client_->eof) {
      close_after_flush(client_);
    } else {
      half_close(client_);
    }
    return;
  }
  bool mid_response = state_ == State::AwaitingResponse || state_ == State::ForwardingBody;
  if (mid_response && !http_->response_parser.in_head() && http_->response_parser.finish()) {
    // A response delimited by the end of the connection is complete now.
    request_keep_alive_ = false;
    response_done_ = true;
    request_done_ = true;
    finish_exchange();
    return;
  }
  if (mid_response && resend_on_new_connection()) return;
  if (mid_response) {
    log_line(LogLevel::Warning, "Pool {} member {} closed before its response completed (client {}:{} on {})",
             server_target_, member_name_, tx_.client_addr, tx_.client_port, vs_.name);
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
    server_target_.clear();
    server_connection_counted(false);
    if (tx_.server_connected) {
      tx_.server_connected = false;
      fire(Event::ServerClosed);
    }
  }
  if (connecting_) {
    stop_connect_timer();
    uv_close(reinterpret_cast<uv_handle_t*>(&connecting_->tcp), &ProxyConnection::on_socket_closed);
    connecting_ = nullptr;
  }
}

// ---------------------------------------------------------------------------------------------
// Flow

void ProxyConnection::enter_tunnel() {
  const bool disabled_by_rule = tunnel_after_head_;
  state_ = State::Tunnel;
  tx_.request = nullptr;
  tx_.response = nullptr;
  // A tunnel may idle for hours: give back what only HTTP needed (heads, their buffers), once the
  // corked heads that point into those buffers are written.
  flush_corked();
  http_.reset();
  std::string().swap(head_raw_);
  std::string().swap(reuse_key_);
  // Whatever the client sent after the head is already tunnel payload.
  if (!stash_.empty()) {
    std::string pending = std::move(stash_);
    stash_.clear();
    send(server_, pending.data(), pending.size());
    flush(server_);
  }
  if (disabled_by_rule && !fire(Event::HttpDisabled)) return;
  // The client finished sending before the tunnel existed: pass its FIN on once its bytes are out.
  if (client_->eof) half_close(server_);
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
  if (paused_) {   // nothing is read while a rule waits: what it decides may change what reads mean
    set_reading(client_, false);
    set_reading(server_, false);
    return;
  }
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

namespace {
// Events that run in the server-side context (IP::local_addr is the SNAT address, and so on).
constexpr uint32_t kServerSideEvents =
    (1u << static_cast<unsigned>(Event::ServerConnected)) | (1u << static_cast<unsigned>(Event::HttpRequestSend)) |
    (1u << static_cast<unsigned>(Event::HttpRequestRelease)) | (1u << static_cast<unsigned>(Event::ServerData)) |
    (1u << static_cast<unsigned>(Event::HttpResponse)) | (1u << static_cast<unsigned>(Event::HttpResponseData)) |
    (1u << static_cast<unsigned>(Event::HttpResponseRelease)) | (1u << static_cast<unsigned>(Event::ServerClosed));
}  // namespace

// Runs the event's rules and applies what they did to the connection. False when the connection
// is gone (a rule error, drop, reject): the caller must stop.
bool ProxyConnection::fire(Event event) {
  RuleEngine& engine = *version_->engine;
  if (!engine.handles(vs_, event)) return true;
  tx_.serverside = (kServerSideEvents >> static_cast<unsigned>(event)) & 1u;
  return after_rules(event, engine.fire(vs_, event, tx_));
}

// Applies what the event's rules did. A rule that paused (after MS) holds the connection: false, as
// for a connection that is gone, and the event goes on when the pause timer fires.
bool ProxyConnection::after_rules(Event event, RuleOutcome outcome) {
  const bool closing = event == Event::ClientClosed || event == Event::ServerClosed;
  const bool paused = outcome == RuleOutcome::Paused && !closing;
  if (!apply_rule_effects(paused ? RuleOutcome::Continue : outcome, event_name(event), closing)) return false;
  if (!paused) return true;
  paused_ = true;
  paused_event_ = event;
  update_reading();
  if (pause_timer_ == nullptr) {
    pause_timer_ = new uv_timer_t{};
    uv_timer_init(worker_.loop(), pause_timer_);
    pause_timer_->data = this;
    ++open_handles_;
  }
  uv_timer_start(pause_timer_, [](uv_timer_t* timer) { static_cast<ProxyConnection*>(timer->data)->resume_rules(); },
                 tx_.pause_ms, 0);
  return false;
}

// The pause is over: the rest of the event's rules run, then the connection goes on exactly where
// the event's fire() left it, with what arrived meanwhile.
void ProxyConnection::resume_rules() {
  if (state_ == State::Closing) return;
  Cork cork(*this);
  const Event event = paused_event_;
  tx_.serverside = (kServerSideEvents >> static_cast<unsigned>(event)) & 1u;
  if (!after_rules(event, version_->engine->resume(vs_, tx_))) return;   // paused again, or gone
  paused_ = false;
  switch (event) {
    case Event::ClientAccepted: after_client_accepted(); break;
    case Event::HttpRequest: after_http_request(); break;
    case Event::HttpResponse: after_http_response(); break;
    default:
      // The engine refuses a pause anywhere else (a load error); should one come, the connection
      // cannot go on from an unknown place.
      log_line(LogLevel::Err, "Rule paused in {} on {}, where irulesd cannot resume; connection reset",
               event_name(event), vs_.name);
      reset_client();
      return;
  }
  if (state_ == State::Closing) return;
  if (!server_stash_.empty()) {
    std::string pending = std::move(server_stash_);
    server_stash_.clear();
    process_server_bytes(pending.data(), pending.size());
    flush_corked();   // corked pieces point into `pending`
    if (state_ == State::Closing) return;
  }
  pump_client();
  if (state_ != State::Closing) update_reading();
}

// What the rules of an event (or a timer's script) did beyond the Transaction's HTTP decisions:
// a runtime error, TCP::respond bytes, timers, drop/reject/close. False when the connection is gone.
bool ProxyConnection::apply_rule_effects(RuleOutcome outcome, const char* where, bool closing) {
  if (closing) {
    // The connection is closing already: nothing a rule did can change that.
    tx_.timers_to_start.clear();
    tx_.timers_to_cancel.clear();
    return outcome == RuleOutcome::Continue;
  }
  for (uint64_t id : tx_.timers_to_cancel) close_rule_timer(id);
  tx_.timers_to_cancel.clear();
  for (const RuleTimerRequest& request : tx_.timers_to_start) start_rule_timer(request);
  tx_.timers_to_start.clear();
  if (outcome != RuleOutcome::Continue) {
    reset_client();   // the engine logged the rule error; only this connection pays for it
    return false;
  }
  // TCP::respond: delivered ahead of anything else (to a server once there is one).
  if (!tx_.respond_to_client.empty()) {
    send_owned(client_, std::move(tx_.respond_to_client));
    tx_.respond_to_client.clear();
  }
  if (!tx_.respond_to_server.empty() && server_) {
    send_owned(server_, std::move(tx_.respond_to_server));
    tx_.respond_to_server.clear();
  }
  switch (tx_.action) {
    case ConnectionAction::None:
      return true;
    case ConnectionAction::Drop:
      log_line(LogLevel::Info, "Connection {}:{} on {} dropped by a rule in {}", tx_.client_addr, tx_.client_port,
               vs_.name, where);
      close_all();
      return false;
    case ConnectionAction::Reject:
      log_line(LogLevel::Info, "Connection {}:{} on {} rejected by a rule in {}", tx_.client_addr,
               tx_.client_port, vs_.name, where);
      reset_client();
      return false;
    case ConnectionAction::Close:
      close_server();
      close_after_flush(client_);
      return false;
  }
  return true;
}

void ProxyConnection::start_rule_timer(const RuleTimerRequest& request) {
  auto* timer = new RuleTimer{};
  timer->owner = this;
  timer->id = request.id;
  timer->periodic = request.periodic;
  uv_timer_init(worker_.loop(), &timer->timer);
  timer->timer.data = timer;
  ++open_handles_;
  rule_timers_.push_back(timer);
  // A periodic timer of 0 ms would spin the loop: at least 1 ms between runs.
  const uint64_t repeat = request.periodic ? std::max<uint64_t>(request.delay_ms, 1) : 0;
  uv_timer_start(&timer->timer, &ProxyConnection::on_rule_timer, request.delay_ms, repeat);
}

void ProxyConnection::close_rule_timer(uint64_t id) {
  for (auto it = rule_timers_.begin(); it != rule_timers_.end(); ++it) {
    if ((*it)->id == id) {
      uv_close(reinterpret_cast<uv_handle_t*>(&(*it)->timer), &ProxyConnection::on_rule_timer_closed);
      rule_timers_.erase(it);
      return;
    }
  }
}

// The peer on `to`'s side gets what is queued and then a FIN; the other direction goes on.
void ProxyConnection::half_close(Socket* to) {
  if (!to || to->eof) return;
  flush(to);
  auto* req = new uv_shutdown_t{};
  if (uv_shutdown(req, reinterpret_cast<uv_stream_t*>(&to->tcp), [](uv_shutdown_t* done, int) { delete done; }) != 0) {
    delete req;
  }
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
  reset = reset || reset_when_closed_;
  // closing_ also stops a rule in SERVER_CLOSED / CLIENT_CLOSED from closing us a second time.
  if (state_ == State::Closing || closing_) return;
  closing_ = true;
  tx_.request = nullptr;
  tx_.response = nullptr;
  close_server();   // SERVER_CLOSED fires before CLIENT_CLOSED, as on BIG-IP
  if (accepted_) fire(Event::ClientClosed);
  state_ = State::Closing;
  for (RuleTimer* timer : rule_timers_) {
    uv_close(reinterpret_cast<uv_handle_t*>(&timer->timer), &ProxyConnection::on_rule_timer_closed);
  }
  rule_timers_.clear();
  for (uv_timer_t** timer : {&connect_timer_, &pause_timer_}) {
    if (*timer == nullptr) continue;
    uv_close(reinterpret_cast<uv_handle_t*>(*timer), [](uv_handle_t* handle) {
      auto* self = static_cast<ProxyConnection*>(handle->data);
      delete reinterpret_cast<uv_timer_t*>(handle);
      self->handle_closed();
    });
    *timer = nullptr;
  }
  if (virtual_connections_) {
    virtual_connections_->fetch_sub(1, std::memory_order_relaxed);
    virtual_connections_.reset();
  }
  if (!client_) return;
  if (reset && accepted_ && uv_tcp_close_reset(&client_->tcp, &ProxyConnection::on_socket_closed) == 0) return;
  uv_close(reinterpret_cast<uv_handle_t*>(&client_->tcp), &ProxyConnection::on_socket_closed);
}

void ProxyConnection::force_close() { close_all(); }

void ProxyConnection::begin_drain() {
  draining_ = true;
  if (state_ == State::ReadingRequest && stash_.empty() && http_->request_parser.between_messages()) close_all();
}

void ProxyConnection::check_idle(uint64_t now_ms) {
  if (state_ == State::Closing || act_on_member_down()) return;
  const uint64_t head_timeout_ms = uint64_t{vs_.http.request_header_timeout_s} * 1000;
  if (head_timeout_ms != 0 && state_ == State::ReadingRequest && !tcp_mode_ &&
      !http_->request_parser.between_messages() && http_->request_parser.in_head() && now_ms - head_started_ms_ >= head_timeout_ms) {
    // A client that sends its request head too slowly (slowloris) holds nothing past this.
    log_line(LogLevel::Info, "Request head from {}:{} on {} not complete after {} s (request-header timeout of profile {}); reset",
             tx_.client_addr, tx_.client_port, vs_.name, vs_.http.request_header_timeout_s, vs_.http.name);
    reset_client();
    return;
  }
  // Each side's tcp profile has its idle-timeout; nothing moves on one side without the other here
  // (a proxy relays), so the shorter one ends the connection, named in the log line.
  const TcpProfile* profile = &vs_.tcp;
  if (vs_.server_tcp.idle_timeout_s != 0 &&
      (profile->idle_timeout_s == 0 || vs_.server_tcp.idle_timeout_s < profile->idle_timeout_s)) {
    profile = &vs_.server_tcp;
  }
  uint64_t timeout_ms = uint64_t{profile->idle_timeout_s} * 1000;
  if (timeout_ms == 0 || state_ == State::Closing || now_ms - last_activity_ms_ < timeout_ms) return;
  log_line(LogLevel::Info, "Connection {}:{} on {} idle for {} s (idle-timeout of profile {}); reset",
           tx_.client_addr, tx_.client_port, vs_.name, profile->idle_timeout_s, profile->name);
  reset_client();
}

}  // namespace irulesd
