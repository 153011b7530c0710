// One client connection and the server-side connection it uses: the HTTP/1.1 request/response cycle
// with rule events, or a byte tunnel after HTTP::disable or a granted upgrade. With a one-connect
// profile the server side detaches after each exchange into the worker's reuse pool. Lives on its worker's thread; deletes itself once both sockets have closed.
#pragma once

#include <uv.h>

#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/http_parser.h"
#include "core/member_stats.h"
#include "core/transaction.h"
#include "core/worker.h"

namespace irulesd {

// What a virtual's persistence profile asks of every connection it accepts.
PersistRequest persist_request_of(const PersistenceProfile& profile);

class ProxyConnection {
 public:
  ProxyConnection(Worker& worker, std::shared_ptr<WorkerVersion> version, const VirtualServer& vs);
  ProxyConnection(const ProxyConnection&) = delete;
  ProxyConnection& operator=(const ProxyConnection&) = delete;

  // Takes the accepted socket `fd` (its peer as accept4 gave it) and starts reading. On failure the
  // connection deletes itself.
  void accept(int fd, const sockaddr_storage& peer);
  // Drain timeout or immediate stop: close both sides now.
  void force_close();
  // SIGTERM: close now if idle between requests (as nginx and HAProxy do), else after the current
  // exchange; tunnels go on until they end or the drain timeout.
  void begin_drain();
  // Resets the connection when nothing moved for the tcp profile's idle-timeout (0 = never).
  void check_idle(uint64_t now_ms);

 private:
  // A socket of this connection; heap-allocated so that its close callback can free it.
  struct Socket {
    uv_tcp_t tcp;
    uv_connect_t connect;
    ProxyConnection* owner;
    bool is_client;
    bool reading = false;
    bool eof = false;
    std::size_t queued = 0;    // bytes handed to libuv and not yet written
    // Pieces sent while corked, written together (one writev) when the cork is released. They point
    // into memory that lives until then: the worker's read buffer, a head buffer, the stash.
    static constexpr int kMaxCorked = 8;
    uv_buf_t corked[kMaxCorked];
    int corked_count = 0;
    // A server connection's life across the connections that reuse it (OneConnect's max-age, max-reuse).
    uint64_t opened_ms = 0;
    uint32_t requests = 0;
    // While parked in the worker's OneConnect pool (owner is null then): its entry there, which knows
    // its pool. Reads go on.
    ServerConnectionPool::Entry* parked = nullptr;
    // The server connection's own address, asked once (getsockname) and kept across reuses.
    std::string local_addr;
    uint16_t local_port = 0;
  };
  // While one exists, sends are collected per socket and written together when it goes: a response
  // head and the body bytes that came with it leave in one syscall, as HAProxy's do.
  class Cork {
   public:
    explicit Cork(ProxyConnection& conn) : conn_(conn), outer_(conn.corked_) { conn.corked_ = true; }
    ~Cork() {
      if (!outer_) {
        conn_.corked_ = false;
        conn_.flush_corked();
        conn_.update_reading();   // with what the flush left queued
      }
    }
    Cork(const Cork&) = delete;
    Cork& operator=(const Cork&) = delete;

   private:
    ProxyConnection& conn_;
    bool outer_;
  };
  struct PendingWrite;
  // A timer a rule started (after MS SCRIPT); closed with the connection.
  struct RuleTimer {
    uv_timer_t timer;
    ProxyConnection* owner;
    uint64_t id;
    bool periodic;
  };
  // A body (part) held by HTTP::collect, and how the rest of it goes on once released.
  struct CollectedBody {
    bool complete = false;        // the whole message body was collected
    bool ready = false;           // released: goes out right after the head
    std::size_t input_bytes = 0;  // body bytes that arrived into the collect
    std::size_t mark = 0;         // payload size when the rule last saw it
    bool rechunk = false;         // part of a chunked body went out as one chunk: re-chunk the rest
    std::string pending;          // parsed payload waiting to be re-chunked
  };

  enum class State {
    ReadingRequest,    // parsing a request head (or waiting for the next one)
    Connecting,        // head parsed and decided; connecting to a pool member
    CollectingBody,    // HTTP::collect: the request body is read before the server is chosen
    ForwardingBody,    // head sent; request body bytes stream to the server
    AwaitingResponse,  // request complete; client bytes wait in stash_ (pipelining)
    Tunnel,            // HTTP is off: bytes pass both ways unparsed
    Closing,
  };

  ~ProxyConnection() = default;

  // libuv callbacks.
  static void on_alloc(uv_handle_t* handle, std::size_t suggested, uv_buf_t* buf);
  static void on_read(uv_stream_t* stream, ssize_t nread, const uv_buf_t* buf);
  static void on_write(uv_write_t* req, int status);
  static void on_connect(uv_connect_t* req, int status);
  static void on_shutdown(uv_shutdown_t* req, int status);
  static void on_socket_closed(uv_handle_t* handle);
  static void on_parked_socket_closed(uv_handle_t* handle);
  static void on_rule_timer(uv_timer_t* handle);
  static void on_rule_timer_closed(uv_handle_t* handle);
  void handle_closed();
  void start_rule_timer(const RuleTimerRequest& request);
  void close_rule_timer(uint64_t id);
  bool apply_rule_effects(RuleOutcome outcome, const char* where, bool closing);
  bool after_rules(Event event, RuleOutcome outcome);
  void resume_rules();
  // What follows each event that a rule may pause in (after MS): the connection goes on from here.
  void after_client_accepted();
  void after_http_request();
  void after_http_response();

  // Client side.
  void on_client_data(const char* data, std::size_t len);
  void on_client_eof();
  void on_client_reset(int err);
  std::size_t process_client_bytes(const char* data, std::size_t len);
  void pump_client();
  void on_request_head();
  void on_request_complete();
  void dispatch_request();
  bool collect_reached(const Collect& collect);
  bool body_collected(HttpParser& parser, CollectedBody& body, Event event);
  void request_collected();
  void response_collected();
  void release_response_head();
  void frame_collected_body(HeaderList& headers, CollectedBody& body, const HttpParser& parser, std::string& payload);
  void send_rechunked(Socket* to, CollectedBody& body, bool last);
  void reject_request(int status, const char* reason, const std::string& log_message);
  bool passes_through(const std::string& limit) const;
  void pass_through(const char* rest, std::size_t len);
  void answer_request_locally();
  void send_local_response();

  // Server side.
  std::string lb_target() const;
  void load_balance();
  void try_next_member();
  void reselect(bool from_start);
  std::string persist_key(const PersistRequest& persist) const;
  std::optional<std::size_t> persisted_by(const PersistRequest& persist, const Pool& pool) const;
  std::optional<std::size_t> persisted_member(const Pool& pool) const;
  void remember_persistence();
  void insert_persist_cookie();
  void lb_failed();
  // Logs why the member could not be reached, closes its socket and tries the next one.
  void member_failed(Socket* socket, int err);
  void on_server_connected(Socket* socket);
  void attach_server(Socket* socket);
  // OneConnect: the reuse pool's key for the chosen member and this connection's source, an idle
  // connection from the pool, and parking the current one there after its exchange.
  const std::string& reuse_key();   // OneConnect: what a reusable server connection must match
  bool reuse_pooled_server();
  bool park_server();
  void keep_server_connection_open();
  bool resend_on_new_connection();
  void connect_member();
  void connect_chosen_member();
  void count_outstanding_request();
  void send_request_head();
  void on_server_data(const char* data, std::size_t len);
  void on_server_eof();
  void on_response_head();
  void on_response_complete();
  void finish_exchange();
  void close_server();

  // TCP::collect.
  void collect_client_bytes(const char* data, std::size_t len);
  void collect_server_bytes(const char* data, std::size_t len);
  std::string take_released(Collect& collect, Event event, bool final);
  void client_data_ready(bool final);
  void server_data_ready(bool final);
  void process_server_bytes(const char* data, std::size_t len);
  void half_close(Socket* to);
  void start_connect_timer();
  void stop_connect_timer();
  void server_connection_counted(bool open);
  void response_head_arrived();
  bool act_on_member_down();

  // Flow.
  void enter_tunnel();
  void send(Socket* to, const char* data, std::size_t len);
  void send_owned(Socket* to, std::string&& data);
  void flush(Socket* to);
  void flush_corked();
  void update_reading();
  void set_reading(Socket* socket, bool on);
  bool fire(Event event);
  void close_all();
  void reset_client();
  void close_client(bool reset);   // fires CLIENT_CLOSED once, closes both sides
  void close_after_flush(Socket* flush_to);

  Worker& worker_;
  // Declared before tx_: the transaction (and its rule scope) is destroyed first, while the engine
  // that made the scope is still alive.
  std::shared_ptr<WorkerVersion> version_;
  const VirtualServer& vs_;
  const bool tcp_mode_;   // no http profile: plain TCP load balancing, bytes only
  const bool keeps_raw_head_;   // the http profile passes oversize heads through: keep their bytes
  std::string head_raw_;        // raw bytes of the request head now arriving (keeps_raw_head_ only)
  bool passing_through_ = false;   // an oversize head turned HTTP off: a tunnel once connected
  Transaction tx_;
  // What only HTTP needs: the heads and their parsers (~1 KiB). On the heap, so that a connection that
  // became a tunnel (WebSocket) gives it back: enter_tunnel() frees it, and nothing reads it after.
  struct HttpState {
    RequestHead request;
    ResponseHead response;
    HttpParser request_parser{HttpParser::Kind::Request};
    HttpParser response_parser{HttpParser::Kind::Response};
    // Serialized heads (when one cannot go out as received), one per direction so that a corked
    // response head survives the next request's.
    std::string request_head_buf;
    std::string response_head_buf;
    std::string_view request_head_out;   // the request head as sent: its bytes again for a resend
    CollectedBody request_body;    // HTTP::collect and what it released
    CollectedBody response_body;
  };
  std::unique_ptr<HttpState> http_ = std::make_unique<HttpState>();

  Socket* client_ = nullptr;
  Socket* server_ = nullptr;      // connected server socket
  Socket* connecting_ = nullptr;  // server socket while connecting
  int open_handles_ = 0;          // sockets, rule timers and the connect timer not yet closed
  // Load balancing: which members were tried for this request, and the shared stats of the member
  // being connected to / connected (connections, outstanding requests, response time).
  std::vector<bool> tried_;
  EndpointStats* connecting_member_stats_ = nullptr;
  EndpointStats* connecting_node_stats_ = nullptr;
  EndpointStats* server_member_stats_ = nullptr;
  EndpointStats* server_node_stats_ = nullptr;
  const Pool* connecting_pool_ = nullptr;   // the pool of the member being connected to / connected
  const Pool* server_pool_ = nullptr;
  uint64_t request_sent_ms_ = 0;
  bool awaiting_response_ = false;   // counted in the member's outstanding requests
  uv_timer_t* connect_timer_ = nullptr;   // the server-side tcp profile's connect timeout
  uv_timer_t* pause_timer_ = nullptr;     // a rule's `after MS` (no script): when it goes on
  bool paused_ = false;
  Event paused_event_ = Event::ClientAccepted;
  std::string server_stash_;              // server bytes that arrived with a head a rule paused on
  bool upgrade_requested_ = false;        // the request head now handled asked for an upgrade
  std::shared_ptr<std::atomic<uint32_t>> virtual_connections_;   // counted against connection-limit
  uint64_t head_started_ms_ = 0;   // when the request head now arriving began (request-header timeout)
  std::vector<RuleTimer*> rule_timers_;
  State state_ = State::ReadingRequest;
  std::string stash_;             // client bytes received but not yet processed
  std::string reuse_key_;
  bool corked_ = false;
  std::string server_target_;     // lb_target() of the current server connection
  std::string member_name_;       // member of the current server connection
  std::string connecting_target_;
  static constexpr int kMaxLbRounds = 8;   // server choices a rule may make for one request
  // TCP::collect / HTTP::collect hold at most this much: the *_DATA event fires when it is reached,
  // whatever length the rule asked for, so that a rule cannot make the proxy buffer without bound.
  static constexpr std::size_t kMaxCollect = 1024 * 1024;
  int lb_rounds_ = 0;
  std::size_t member_attempts_ = 0;
  uint32_t connect_failures_ = 0;   // passive failures of this choice, bounded by reselect-tries
  bool request_done_ = false;
  bool response_done_ = false;
  bool server_keep_alive_ = false;   // the last response left its server connection open
  bool server_keep_alive_requested_ = false;   // the last request did not ask its server to close
  bool server_reused_ = false;       // server_ came from the reuse pool for this request
  bool kept_open_for_reuse_ = false; // OneConnect transformations applied to this request
  bool resend_head_ = false;         // the next server connection gets request_head_buf_ again
  bool request_has_body_ = false;
  bool request_keep_alive_ = true;
  bool tunnel_after_head_ = false;
  bool closing_ = false;
  bool discarding_body_ = false;   // a rule answered: the request body is read and dropped
  bool reset_when_closed_ = false; // HTTP::respond -reset: the close is a reset
  bool collecting_response_ = false;
  bool collecting_for_member_ = false;   // HTTP::collect in LB_SELECTED: connect once it is in
  bool accepted_ = false;
  bool draining_ = false;
  uint64_t last_activity_ms_ = 0;   // loop time of the last byte read on either side
};

}  // namespace irulesd
