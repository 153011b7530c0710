// What a rule sees and decides. The core fills it, the rule engine reads and edits it through the
// iRule commands, the core applies the decisions. One Transaction lives as long as its client
// connection; the request/response parts are reset for each keep-alive request.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/header_list.h"
#include "core/persistence.h"

namespace irulesd {

// The iRule events irulesd fires, in the order BIG-IP fires them on an HTTP/1.1 connection (RULE_INIT
// once per rule version and worker; the HTTP events once per request; *_DATA after a collect).
enum class Event {
  RuleInit,
  ClientAccepted,
  ClientData,
  HttpRequest,
  HttpRequestData,
  LbSelected,
  LbFailed,
  ServerConnected,
  HttpRequestSend,
  HttpRequestRelease,
  ServerData,
  HttpResponse,
  HttpResponseData,
  HttpResponseRelease,
  HttpDisabled,
  ServerClosed,
  ClientClosed,
};
constexpr std::size_t kEventCount = static_cast<std::size_t>(Event::ClientClosed) + 1;
const char* event_name(Event event);   // "CLIENT_ACCEPTED", "HTTP_REQUEST", ...
std::optional<Event> event_from_name(std::string_view name);

struct RequestHead {
  std::string method;
  std::string uri;        // request-target as sent: /path?query
  int version_major = 1;
  int version_minor = 1;
  HeaderList headers;
};

struct ResponseHead {
  int status = 0;
  std::string reason;
  int version_major = 1;
  int version_minor = 1;
  HeaderList headers;
};

// Per-connection state owned by the rule engine (e.g. the connection's Tcl variables). The core only
// keeps it alive and destroys it, on the worker thread, before the engine that made it.
class RuleScope {
 public:
  virtual ~RuleScope() = default;
};

class WorkerServices;   // core/worker_services.h
struct Pool;

// What rules may ask of the pools' live state (LB::status, active_members): the config version
// implements it from its members' shared stats.
class PoolStates {
 public:
  virtual ~PoolStates() = default;
  // Members that can take new connections now (monitors up, not disabled or forced offline).
  virtual std::size_t active_members(const Pool& pool) const = 0;
  // BIG-IP's words for a member: "up", "down" (monitor or forced offline), "session_disabled".
  virtual const char* member_status(const Pool& pool, std::size_t member) const = 0;
  // LB::select: the member the pool's load-balancing method chooses now (a turn of its rotation, as a
  // request would take), or -1 when none can take a connection. Without live state: -1.
  virtual int choose_member(const Pool& pool) const {
    (void)pool;
    return -1;
  }
};

// A response a rule made (HTTP::respond, HTTP::redirect): the client gets it instead of the server's.
struct LocalResponse {
  int status = 200;
  int version_major = 1;
  int version_minor = 1;
  std::string body;
  HeaderList headers;     // as the rule gave them; Content-Length and Server are added when sent
  bool noserver = false;  // `noserver`: no "Server: BigIP" header
  bool reset = false;     // `-reset`: the connection is reset once the answer is sent
};

// What a rule did to the connection itself.
enum class ConnectionAction {
  None,
  Drop,     // `drop` / `discard`: close without an answer
  Reject,   // `reject`: reset the client connection
  Close,    // `TCP::close`: close once what was sent (TCP::respond) is delivered
};

// Bytes a rule holds back to inspect (HTTP::collect, TCP::collect) and then releases. TCP: held until
// TCP::release, the *_DATA event firing again as more arrive. HTTP: the core clears `requested`
// before HTTP_*_DATA fires; a rule that collects again there keeps collecting, otherwise the body is
// released when the event is done.
struct Collect {
  bool requested = false;   // a collect is pending: the core buffers until `bytes` or the end
  std::size_t bytes = 0;    // 0 = whatever arrives next (TCP) / the whole body (HTTP)
  std::string payload;      // what was collected; HTTP::payload / TCP::payload read and replace it
  // TCP::release N / HTTP::release: how much of the payload goes on now (npos = all of it).
  std::size_t release_bytes = 0;
  bool released = false;
  std::size_t seen = 0;     // TCP: the payload's size when the rule last saw it
};

// `persist METHOD …`: how this connection's server choices stick (BIG-IP keeps it for the connection
// until a rule changes it).
struct PersistRequest {
  bool active = false;       // a method is in force
  bool disabled = false;     // `persist none`: no persistence for this connection, profiles included
  PersistMode mode = PersistMode::Universal;
  std::string key;           // uie / hash: the rule's key
  uint32_t mask_bits = 32;   // source_addr / dest_addr: the prefix of the address that is the key
  uint32_t timeout_s = 0;    // 0 = BIG-IP's 180 s
  std::string cookie_name;   // cookie insert: empty = BIGipServer<pool>
  uint32_t cookie_expiration_s = 0;   // 0 = a session cookie
  bool cookie_httponly = false;
  bool cookie_secure = false;
  bool cookie_always_send = false;    // insert it in every response, not only when it changes
  // The profile's match-across settings (a `persist` command keeps those of the virtual's profile).
  bool across_virtuals = false;       // records shared by every virtual server
  bool across_pools = false;          // a record may name a member of another pool with the same address
  bool across_services = false;       // a record matches any port of the member's address
  bool override_connection_limit = false;   // persisted clients may pass the member's connection-limit
};

// `after MS ?-periodic? SCRIPT`: a timer the core runs for the connection; when it fires the core
// calls RuleEngine::run_timer(id).
struct RuleTimerRequest {
  uint64_t id = 0;
  uint32_t delay_ms = 0;
  bool periodic = false;
};

struct Transaction {
  // Connection facts.
  std::string virtual_name;
  std::string client_addr;
  uint16_t client_port = 0;
  std::string local_addr;
  uint16_t local_port = 0;
  int worker_index = 0;          // TMM::cmp_unit: the worker thread serving the connection
  uint32_t request_count = 0;    // HTTP::request_num: requests on this connection so far, this one included

  // The server side: the member chosen (LB_SELECTED on) and, once connected (SERVER_CONNECTED on),
  // the address the connection to it comes from (the SNAT address).
  std::string server_pool;        // canonical pool name of the chosen member; empty for `node`
  std::string server_addr;
  uint16_t server_port = 0;
  std::string server_local_addr;
  uint16_t server_local_port = 0;
  bool server_connected = false;
  // The event runs on the server side (SERVER_CONNECTED, HTTP_REQUEST_SEND, HTTP_RESPONSE, ...):
  // IP::local_addr / IP::remote_addr answer for the server connection. `clientside {…}` and
  // `serverside {…}` switch it for their body.
  bool serverside = false;

  // The current request (HTTP_REQUEST and later) and response (HTTP_RESPONSE); null outside them.
  RequestHead* request = nullptr;
  ResponseHead* response = nullptr;

  // Decisions made by rules.
  std::string selected_pool;   // `pool NAME`: canonical name; empty = the virtual's default pool
  // `node ADDR ?PORT?` or `pool NAME member ADDR PORT`: this server, bypassing the pool's choice.
  std::string selected_node_addr;
  uint16_t selected_node_port = 0;   // 0 = the virtual's port
  bool lb_reselect = false;    // `LB::reselect` in LB_SELECTED / LB_FAILED: choose again
  bool lb_detach = false;      // `LB::detach`: the next request load-balances on a new connection
  // `snat automap|none|ADDR`: the source of the next server connection, overriding the virtual's
  // source-address-translation ("" = the virtual's; "automap", "none" or an IPv4 address).
  std::string snat;
  PersistRequest persist;
  PersistRequest persist_fallback;   // the virtual's fallback-persistence, used when `persist` finds nothing
  bool http_disabled = false;  // `HTTP::disable`: tunnel once the current request is forwarded
  ConnectionAction action = ConnectionAction::None;
  // `HTTP::fallback URL`: where the client is redirected when no member can take the request (as the
  // http profile's fallback-host); empty = none.
  std::string http_fallback;
  // OneConnect on this connection (the virtual has a one-connect profile), and what ONECONNECT::reuse /
  // ONECONNECT::detach set: whether its server connections come from and go back to the reuse pool,
  // and whether the server side detaches after each response.
  bool oneconnect = false;
  bool oneconnect_reuse = true;
  bool oneconnect_detach = true;
  // HTTP::respond / HTTP::redirect for the current request; has_responded stays set until the
  // next request (HTTP::has_responded).
  std::unique_ptr<LocalResponse> local_response;
  bool has_responded = false;
  Collect http_collect;         // HTTP::collect: the body of the current request or response
  Collect tcp_collect;          // TCP::collect on the client side: the client's next bytes
  Collect tcp_server_collect;   // TCP::collect on the server side: the server's next bytes
  // TCP::respond: bytes sent to the client (client-side events) or the server (server-side events)
  // when the event is done, ahead of anything else.
  std::string respond_to_client;
  std::string respond_to_server;
  std::vector<RuleTimerRequest> timers_to_start;   // after: taken by the core when the event is done
  uint32_t pause_ms = 0;   // RuleOutcome::Paused (`after MS` without a script): how long the rule waits
  std::vector<uint64_t> timers_to_cancel;          // after cancel

  WorkerServices* services = nullptr;      // the worker's (HSL); null outside a worker
  const PoolStates* pool_states = nullptr; // the connection's config version; null outside a worker
  std::unique_ptr<RuleScope> rule_scope;   // created lazily by the engine

  // Clears what belongs to one request (called before HTTP_REQUEST).
  void begin_request();
};

}  // namespace irulesd
