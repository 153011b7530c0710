// Choosing the server: load balancing, rules choosing again (LB_SELECTED, LB_FAILED), persistence.
#include "core/proxy_connection.h"

#include <cstring>
#include <ctime>

#include "core/log.h"
#include "core/net_util.h"
#include "core/persistence.h"
#include "core/pool_runtime.h"
#include "core/server_connection_pool.h"

namespace irulesd {

// Chooses the server for the current request: the rule's node, or a member of the chosen pool by its
// load-balancing method. LB_SELECTED fires for each choice, LB_FAILED when none is left; a rule may
// choose again (LB::reselect, pool, node) a bounded number of times.
void ProxyConnection::load_balance() {
  state_ = State::Connecting;
  connecting_target_ = lb_target();
  member_attempts_ = 0;
  connect_failures_ = 0;
  try_next_member();
}

void ProxyConnection::try_next_member() {
  const bool by_node = !tx_.selected_node_addr.empty();
  const Pool* pool = by_node ? nullptr : version_->shared->config->find_pool(connecting_target_);
  connecting_member_stats_ = nullptr;
  connecting_node_stats_ = nullptr;
  connecting_pool_ = pool;
  if (by_node) {
    if (member_attempts_ >= 1) return lb_failed();
    tx_.server_pool.clear();
    tx_.server_addr = tx_.selected_node_addr;
    tx_.server_port = tx_.selected_node_port != 0 ? tx_.selected_node_port : vs_.dest_port;
    member_name_ = fmt::format("node {}:{}", tx_.server_addr, tx_.server_port);
    // `pool P member ADDR PORT`: that member of P — named, counted and health-checked as one.
    const Pool* chosen = tx_.selected_pool.empty() ? nullptr : version_->shared->config->find_pool(tx_.selected_pool);
    for (std::size_t i = 0; chosen != nullptr && i < chosen->members.size(); ++i) {
      const PoolMember& member = chosen->members[i];
      if (member.address != tx_.server_addr || member.port != tx_.server_port) continue;
      tx_.server_pool = chosen->name;
      member_name_ = member.name;
      connecting_pool_ = chosen;
      const PoolRuntime& runtime = *version_->shared->runtime_of(chosen);
      if (runtime.down(i)) return lb_failed();
      connecting_member_stats_ = runtime.member_stats[i].get();
      connecting_node_stats_ = runtime.node_stats[i].get();
      break;
    }
  } else {
    if (!pool || pool->members.empty()) return lb_failed();
    // A member that could not be reached leads to another one only reselect-tries times (BIG-IP's
    // default, 0: LB_FAILED at the first connect failure). A rule's LB::reselect is not bounded by it.
    if (connect_failures_ > pool->reselect_tries) return lb_failed();
    const PoolRuntime& runtime = *version_->shared->runtime_of(pool);
    if (member_attempts_ == 0) tried_.assign(pool->members.size(), false);
    std::optional<std::size_t> index;
    // Persistence decides the first choice; if that member cannot be reached, the pool's own method.
    if (member_attempts_ == 0) index = persisted_member(*pool);
    if (!index) {
      // The pool's load-balancing method over the members not tried yet for this request.
      thread_local std::vector<LbCandidate> candidates;
      candidates = runtime.candidates;
      for (std::size_t i = 0; i < candidates.size(); ++i) candidates[i].excluded = tried_[i];
      const int chosen = lb_choose(runtime.policy, candidates, runtime.rotation,
                                   static_cast<int64_t>(uv_now(worker_.loop())));
      if (chosen < 0) return lb_failed();
      index = static_cast<std::size_t>(chosen);
    }
    tried_[*index] = true;
    const PoolMember& member = pool->members[*index];
    tx_.server_pool = pool->name;
    tx_.server_addr = member.address;
    tx_.server_port = member.port;
    member_name_ = member.name;
    connecting_member_stats_ = runtime.member_stats[*index].get();
    connecting_node_stats_ = runtime.node_stats[*index].get();
  }
  ++member_attempts_;

  if (!fire(Event::LbSelected)) return;
  if (tx_.local_response) return answer_request_locally();
  if (tx_.lb_reselect || lb_target() != connecting_target_) {
    tx_.lb_reselect = false;
    return reselect(false);
  }
  if (tx_.http_collect.requested && !tcp_mode_ && !http_->request_body.ready && http_->request_parser.body_follows() &&
      state_ == State::Connecting && http_->request_parser.in_head() == false && !request_done_) {
    // HTTP::collect in LB_SELECTED: the body is read first (HTTP_REQUEST_DATA), then the chosen
    // member is connected to, with what the rule released.
    collecting_for_member_ = true;
    state_ = State::CollectingBody;
    http_->request_parser.set_body_sink(&tx_.http_collect.payload);
    http_->request_parser.resume();
    pump_client();
    return;
  }
  tx_.http_collect.requested = tx_.http_collect.requested && http_->request_body.ready;
  connect_chosen_member();
}

// The member is chosen: an idle connection to it from the reuse pool, or a new one.
void ProxyConnection::connect_chosen_member() {
  if (reuse_pooled_server()) return;
  connect_member();
}

// Opens a server connection to the chosen member (tx_.server_addr/port), from the SNAT source.
void ProxyConnection::connect_member() {
  Socket* socket = new Socket{};
  socket->owner = this;
  socket->is_client = false;
  uv_tcp_init(worker_.loop(), &socket->tcp);
  socket->tcp.data = socket;
  socket->connect.data = socket;
  ++open_handles_;
  connecting_ = socket;

  sockaddr_in target{};
  int err = make_ipv4(tx_.server_addr, tx_.server_port, target) ? 0 : UV_EINVAL;
  const ConfigVersion& shared = *version_->shared;
  const bool automap = tx_.snat.empty() ? vs_.snat == SnatType::Automap : tx_.snat == "automap";
  const bool snat_pool = tx_.snat.empty() && vs_.snat == SnatType::Snat && vs_.snat_pool &&
                         !vs_.snat_pool->addresses.empty();
  if (err == 0 && snat_pool) {
    // `snat pool P`: its addresses in turn, one per server connection.
    const std::vector<std::string>& addresses = vs_.snat_pool->addresses;
    sockaddr_in source{};
    const std::string& address =
        addresses[shared.snat_rotation.fetch_add(1, std::memory_order_relaxed) % addresses.size()];
    err = make_ipv4(address, 0, source) ? uv_tcp_bind(&socket->tcp, reinterpret_cast<const sockaddr*>(&source), 0)
                                        : UV_EINVAL;
  } else if (err == 0 && automap && shared.has_snat_source) {
    // SNAT automap: the member sees the internal self IP, as behind a BIG-IP.
    err = uv_tcp_bind(&socket->tcp, reinterpret_cast<const sockaddr*>(&shared.snat_source), 0);
  } else if (err == 0 && !tx_.snat.empty() && tx_.snat != "automap" && tx_.snat != "none") {
    // `snat ADDR`: this address, any port.
    sockaddr_in source{};
    err = make_ipv4(tx_.snat, 0, source) ? uv_tcp_bind(&socket->tcp, reinterpret_cast<const sockaddr*>(&source), 0)
                                         : UV_EINVAL;
  }
  if (err == 0) {
    err = uv_tcp_connect(&socket->connect, &socket->tcp, reinterpret_cast<const sockaddr*>(&target),
                         &ProxyConnection::on_connect);
  }
  if (err != 0) {
    connecting_ = nullptr;
    member_failed(socket, err);
    return;
  }
  start_connect_timer();
}

// The server-side tcp profile's connect timeout (from its syn-max-retrans): a member that does not
// answer in time counts as failed, and the next one is tried.
void ProxyConnection::start_connect_timer() {
  if (connect_timer_ == nullptr) {
    connect_timer_ = new uv_timer_t{};
    uv_timer_init(worker_.loop(), connect_timer_);
    connect_timer_->data = this;
    ++open_handles_;
  }
  uv_timer_start(connect_timer_, [](uv_timer_t* timer) {
    auto* self = static_cast<ProxyConnection*>(timer->data);
    Socket* socket = self->connecting_;
    if (socket == nullptr || self->state_ == State::Closing) return;
    self->connecting_ = nullptr;
    Cork cork(*self);
    self->member_failed(socket, UV_ETIMEDOUT);
  }, vs_.server_tcp.connect_timeout_ms(), 0);
}

void ProxyConnection::stop_connect_timer() {
  if (connect_timer_ != nullptr) uv_timer_stop(connect_timer_);
}

// ---------------------------------------------------------------------------------------------
// OneConnect: server connections reused across requests and client connections

// Where a reused connection must go and come from: the member, and the source address the member
// sees under the profile's source-mask (SNAT automap and SNAT pools share one source per virtual).
const std::string& ProxyConnection::reuse_key() {
  const OneConnectProfile& profile = *vs_.oneconnect;
  std::string& key = reuse_key_;   // rebuilt in place: no allocation once its capacity suffices
  key.clear();
  fmt::format_to(std::back_inserter(key), "{} {}:{} ", profile.name, tx_.server_addr, tx_.server_port);
  const bool automap = tx_.snat.empty() ? vs_.snat == SnatType::Automap : tx_.snat == "automap";
  if (tx_.snat.empty() && vs_.snat == SnatType::Snat && vs_.snat_pool) {
    key.append("snatpool ").append(vs_.snat_pool->name);
  } else if (automap) {
    key += "automap";
  } else if (profile.source_mask != 0) {
    const std::string& source = tx_.snat.empty() || tx_.snat == "none" ? tx_.client_addr : tx_.snat;
    key += masked_address(source, static_cast<uint32_t>(__builtin_popcount(profile.source_mask)));
  }
  return key;
}

// An idle connection to the chosen member from the worker's pool becomes this request's server
// connection: no connect, and no SERVER_CONNECTED (the connection was set up earlier).
bool ProxyConnection::reuse_pooled_server() {
  if (!vs_.oneconnect || !tx_.oneconnect_reuse) return false;
  uv_tcp_t* tcp = worker_.server_pool().take(reuse_key());
  if (tcp == nullptr) return false;
  auto* socket = static_cast<Socket*>(tcp->data);
  socket->owner = this;   // still reading, as it was parked
  socket->parked = nullptr;
  ++open_handles_;
  attach_server(socket);
  server_reused_ = true;
  send_request_head();
  pump_client();
  return true;
}

// A reused connection the server closed before answering (it timed the connection out just as the
// request went out): the request goes again on a new connection to the same member, once, when it
// can be sent again — it had no body and nothing of an answer came back. True when it was resent.
bool ProxyConnection::resend_on_new_connection() {
  if (!server_reused_ || request_has_body_ || !request_done_ || tunnel_after_head_ ||
      !http_->response_parser.between_messages()) {
    return false;
  }
  log_line(LogLevel::Info,
           "Pool {} member {} closed a reused connection before answering (client {}:{} on {}); sending the "
           "request again on a new connection",
           server_target_, member_name_, tx_.client_addr, tx_.client_port, vs_.name);
  server_reused_ = false;
  tx_.server_connected = false;   // set up for an earlier request: no SERVER_CLOSED of this one
  close_server();
  resend_head_ = true;
  state_ = State::Connecting;
  connect_member();
  return true;
}

// After an exchange: the server connection goes to the pool if it can carry more requests. False
// when it cannot (the caller closes it).
bool ProxyConnection::park_server() {
  const OneConnectProfile& profile = *vs_.oneconnect;
  if (!tx_.oneconnect_reuse || server_->eof || draining_ || !server_keep_alive_ || !server_keep_alive_requested_ ||
      tx_.tcp_server_collect.requested ||
      !http_->response_parser.between_messages()) {
    return false;
  }
  flush(server_);
  const uint64_t now = uv_now(worker_.loop());
  if (server_->queued != 0 || server_->requests >= profile.max_reuse ||
      now - server_->opened_ms >= uint64_t{profile.max_age_s} * 1000) {
    return false;
  }
  ServerConnectionPool::Parking parking;
  parking.profile = profile.name;
  parking.max_size = profile.max_size;
  if (profile.idle_timeout_override_s == OneConnectProfile::kIdleTimeoutOverrideDisabled) {
    parking.idle_timeout_ms = uint64_t{vs_.server_tcp.idle_timeout_s} * 1000;
  } else if (profile.idle_timeout_override_s != OneConnectProfile::kIdleTimeoutOverrideIndefinite) {
    parking.idle_timeout_ms = uint64_t{profile.idle_timeout_override_s} * 1000;
  }
  Socket* socket = server_;
  ServerConnectionPool::Entry* entry =
      worker_.server_pool().park(&socket->tcp, &ProxyConnection::on_parked_socket_closed, reuse_key(), parking);
  if (entry == nullptr) return false;
  set_reading(socket, true);   // a close while parked must be seen (backpressure may have stopped reads)
  socket->owner = nullptr;
  socket->parked = entry;
  // Detached, not closed: SERVER_CLOSED fires only when a connection closes while it is ours.
  server_ = nullptr;
  server_target_.clear();
  tx_.server_connected = false;
  server_connection_counted(false);
  --open_handles_;   // the pool owns the handle now
  return true;
}

// A server connection opened or closed: the shared counts load balancing and limits read.
void ProxyConnection::server_connection_counted(bool open) {
  if (open) {
    server_member_stats_ = connecting_member_stats_;
    server_node_stats_ = connecting_node_stats_;
    server_pool_ = connecting_pool_;
    if (server_member_stats_) server_member_stats_->connection_opened();
    if (server_node_stats_) server_node_stats_->connection_opened();
    return;
  }
  if (awaiting_response_) response_head_arrived();
  if (server_member_stats_) server_member_stats_->connection_closed();
  if (server_node_stats_) server_node_stats_->connection_closed();
  server_member_stats_ = nullptr;
  server_node_stats_ = nullptr;
  server_pool_ = nullptr;
}

// The pool's service-down-action, once the member of this connection is down (its monitors say so):
// reset or drop the client, or (reselect) leave the server so the next request balances again.
// True when the connection is gone.
bool ProxyConnection::act_on_member_down() {
  if (server_pool_ == nullptr || server_member_stats_ == nullptr) return false;
  const bool down = !server_member_stats_->monitor_up.load(std::memory_order_relaxed) ||
                    (server_node_stats_ != nullptr && !server_node_stats_->monitor_up.load(std::memory_order_relaxed));
  if (!down) return false;
  switch (server_pool_->service_down_action) {
    case ServiceDownAction::None:
      return false;
    case ServiceDownAction::Reset:
    case ServiceDownAction::Drop: {
      const bool reset = server_pool_->service_down_action == ServiceDownAction::Reset;
      log_line(LogLevel::Info, "Pool {} member {} is down: connection {}:{} on {} {} (service-down-action)",
               server_pool_->name, member_name_, tx_.client_addr, tx_.client_port, vs_.name,
               reset ? "reset" : "dropped");
      reset ? reset_client() : close_all();
      return true;
    }
    case ServiceDownAction::Reselect:
      // Between requests the server side goes and the next request balances anew; a tunnel or a
      // request in flight cannot move, so it is reset.
      if (state_ == State::ReadingRequest && http_->request_parser.between_messages()) {
        close_server();
        return false;
      }
      reset_client();
      return true;
  }
  return false;
}

// A response head came back (or its server went away): one outstanding request fewer, and the
// smoothed response time (fastest-app-response) moves towards this one.
void ProxyConnection::response_head_arrived() {
  awaiting_response_ = false;
  for (EndpointStats* stats : {server_member_stats_, server_node_stats_}) {
    if (stats == nullptr) continue;
    stats->outstanding_requests.fetch_sub(1, std::memory_order_relaxed);
    const uint64_t took_us = (uv_now(worker_.loop()) - request_sent_ms_) * 1000;
    const uint32_t before = stats->response_time_us.load(std::memory_order_relaxed);
    stats->response_time_us.store(static_cast<uint32_t>(before == 0 ? took_us : (before * 7 + took_us) / 8),
                                  std::memory_order_relaxed);
  }
}

// ---------------------------------------------------------------------------------------------
// Persistence (`persist …`)

std::string ProxyConnection::persist_key(const PersistRequest& persist) const {
  switch (persist.mode) {
    case PersistMode::Universal:
    case PersistMode::Hash:
      return persist.key;
    case PersistMode::SourceAddr:
      return masked_address(tx_.client_addr, persist.mask_bits);
    case PersistMode::DestAddr:
      return masked_address(tx_.local_addr, persist.mask_bits);
    case PersistMode::Cookie:
      return {};
  }
  return {};
}

// What a virtual's persistence profile asks of every connection. Universal and hash profiles wait
// for their rule's `persist uie|hash KEY`, which then keeps the profile's timeout and scope.
PersistRequest persist_request_of(const PersistenceProfile& profile) {
  PersistRequest request;
  request.timeout_s = profile.timeout_s == 0 ? kTableIndefinite : profile.timeout_s;
  request.across_virtuals = profile.match_across_virtuals;
  request.across_pools = profile.match_across_pools;
  request.across_services = profile.match_across_services;
  request.override_connection_limit = profile.override_connection_limit;
  switch (profile.type) {
    case PersistenceType::SourceAddr:
      request.active = true;
      request.mode = PersistMode::SourceAddr;
      request.mask_bits = static_cast<uint32_t>(__builtin_popcount(profile.mask));
      break;
    case PersistenceType::Cookie:
      request.active = true;
      request.mode = PersistMode::Cookie;
      request.cookie_name = profile.cookie_name;
      request.cookie_expiration_s = profile.expiration_s;
      request.cookie_httponly = profile.httponly;
      request.cookie_secure = profile.secure;
      request.cookie_always_send = profile.always_send;
      break;
    case PersistenceType::Universal:
      request.mode = PersistMode::Universal;
      break;
    case PersistenceType::Hash:
      request.mode = PersistMode::Hash;
      break;
  }
  return request;
}

// The member of `pool` one persistence method names for this request, if any.
std::optional<std::size_t> ProxyConnection::persisted_by(const PersistRequest& persist, const Pool& pool) const {
  if (!persist.active || persist.disabled) return std::nullopt;
  std::string address;
  uint16_t port = 0;
  if (persist.mode == PersistMode::Cookie) {
    if (tx_.request == nullptr) return std::nullopt;
    const std::string name = persist.cookie_name.empty() ? default_persist_cookie_name(pool.name) : persist.cookie_name;
    std::optional<std::string> value = request_cookie(tx_.request->headers, name);
    if (!value) return std::nullopt;
    auto member = decode_persist_cookie(*value);
    if (!member) return std::nullopt;
    address = member->first;
    port = member->second;
  } else {
    const std::string key = persist_key(persist);
    if (key.empty()) return std::nullopt;
    std::optional<PersistRecord> record =
        PersistenceStore::global().lookup(persist.mode, persist.across_virtuals ? "" : vs_.name, key);
    if (!record || (record->pool != pool.name && !persist.across_pools)) return std::nullopt;
    address = record->address;
    port = record->port;
  }
  const PoolRuntime& runtime = *version_->shared->runtime_of(&pool);
  for (std::size_t i = 0; i < pool.members.size(); ++i) {
    if (pool.members[i].address != address || (pool.members[i].port != port && !persist.across_services)) continue;
    // A persisted client still reaches a user-disabled member, never a forced-offline or down one.
    if (runtime.down(i)) return std::nullopt;
    // The member's connection-limit holds for persisted clients too, unless the profile overrides it.
    const LbCandidate& candidate = runtime.candidates[i];
    if (!persist.override_connection_limit && candidate.connection_limit != 0 &&
        candidate.member->connections.load(std::memory_order_relaxed) >= candidate.connection_limit) {
      return std::nullopt;
    }
    return i;
  }
  return std::nullopt;
}

// The persistence in force, then the virtual's fallback-persistence.
std::optional<std::size_t> ProxyConnection::persisted_member(const Pool& pool) const {
  if (tx_.persist.disabled) return std::nullopt;
  if (std::optional<std::size_t> index = persisted_by(tx_.persist, pool)) return index;
  return persisted_by(tx_.persist_fallback, pool);
}

// A new server connection: the persistence records say where these keys go from now on.
void ProxyConnection::remember_persistence() {
  if (tx_.persist.disabled || tx_.server_pool.empty()) return;
  for (const PersistRequest* persist : {&tx_.persist, &tx_.persist_fallback}) {
    if (!persist->active || persist->mode == PersistMode::Cookie) continue;
    const std::string key = persist_key(*persist);
    if (key.empty()) continue;
    PersistenceStore::global().add(persist->mode, persist->across_virtuals ? "" : vs_.name, key,
                                   PersistRecord{tx_.server_pool, tx_.server_addr, tx_.server_port},
                                   persist->timeout_s);
  }
}

// Cookie insert: the response carries the member in BIGipServer<pool> unless the request already
// named that member.
void ProxyConnection::insert_persist_cookie() {
  const PersistRequest& persist = tx_.persist;
  if (!persist.active || persist.disabled || persist.mode != PersistMode::Cookie || tx_.server_pool.empty()) return;
  std::optional<std::string> value = encode_persist_cookie(tx_.server_addr, tx_.server_port);
  if (!value) return;
  const std::string name =
      persist.cookie_name.empty() ? default_persist_cookie_name(tx_.server_pool) : persist.cookie_name;
  if (!persist.cookie_always_send && request_cookie(http_->request.headers, name) == value) return;
  std::string cookie = name + "=" + *value + "; path=/";
  if (persist.cookie_expiration_s != 0) {
    const std::time_t expires = std::time(nullptr) + persist.cookie_expiration_s;
    std::tm gmt{};
    gmtime_r(&expires, &gmt);
    char date[64];
    std::strftime(date, sizeof date, "%a, %d-%b-%Y %H:%M:%S GMT", &gmt);
    cookie += "; expires=";
    cookie += date;
  }
  if (persist.cookie_secure) cookie += "; Secure";
  if (persist.cookie_httponly) cookie += "; HttpOnly";
  http_->response.headers.add("Set-Cookie", cookie);
}

// A rule chose again: the same target's next member, or (a new pool/node, or after LB_FAILED) from
// the start.
void ProxyConnection::reselect(bool from_start) {
  if (++lb_rounds_ > kMaxLbRounds) {
    return reject_request(503, "Service Unavailable",
                          fmt::format("Rules chose a server {} times for one request from {}:{} on {}; giving up",
                                      kMaxLbRounds, tx_.client_addr, tx_.client_port, vs_.name));
  }
  if (from_start || lb_target() != connecting_target_) return load_balance();
  try_next_member();
}

// No server could be chosen or reached: LB_FAILED lets a rule answer or choose again, else 503.
void ProxyConnection::lb_failed() {
  // LB::server still names the member that failed (or nothing, when there was none to try).
  if (!fire(Event::LbFailed)) return;
  if (tx_.local_response) return answer_request_locally();
  if (tx_.lb_reselect || lb_target() != connecting_target_) {
    tx_.lb_reselect = false;
    return reselect(true);
  }
  if (!tcp_mode_ && !tx_.http_fallback.empty() && tx_.request != nullptr) {
    // HTTP::fallback: the client is sent elsewhere instead of a 503, as BIG-IP's fallback host.
    log_line(LogLevel::Info, "No member could take the request from {}:{} on {}: redirected to fallback {}",
             tx_.client_addr, tx_.client_port, vs_.name, tx_.http_fallback);
    tx_.local_response = std::make_unique<LocalResponse>();
    tx_.local_response->status = 302;
    tx_.local_response->version_minor = 0;
    tx_.local_response->headers.add("Location", tx_.http_fallback);
    tx_.has_responded = true;
    return answer_request_locally();
  }
  const Pool* pool = version_->shared->config->find_pool(connecting_target_);
  if (connecting_target_.empty()) {
    return reject_request(503, "Service Unavailable",
                          fmt::format("No pool selected for request from {}:{} on {}", tx_.client_addr,
                                      tx_.client_port, vs_.name));
  }
  if (!pool || member_attempts_ == 0) {
    return reject_request(503, "Service Unavailable",
                          fmt::format("No members available for pool {} (client {}:{} on {})", connecting_target_,
                                      tx_.client_addr, tx_.client_port, vs_.name));
  }
  reject_request(503, "Service Unavailable",
                 fmt::format("No members available for pool {}: all {} members failed (client {}:{} on {})",
                             pool->name, member_attempts_, tx_.client_addr, tx_.client_port, vs_.name));
}

}  // namespace irulesd
