// The configuration model: an immutable snapshot of the bigip.conf subset irulesd understands.
// Built by config_parser (parse_config / load_config); shared read-only by every worker.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace irulesd {

// Where an object or value came from, for FILE:LINE messages.
struct SourceLoc {
  std::string file;
  int line = 0;
};

// One configuration problem, printed as "FILE:LINE: message".
struct ConfigError {
  std::string file;
  int line = 0;
  std::string message;
  std::string str() const;
};

// `net self NAME { address A.B.C.D/LEN vlan V }`
struct SelfIp {
  std::string name;      // canonical: /Common/internal-self
  std::string address;   // dotted IPv4, no prefix
  int prefix_len = 32;
  std::string vlan;      // canonical vlan name, may be empty
  SourceLoc loc;
};

// A monitor rule, as a pool, a member, a node or `ltm default-node-monitor` names it:
// `/Common/http`, `/Common/http and /Common/tcp`, `min 2 of { /Common/a /Common/b /Common/c }`, `none`.
struct MonitorRule {
  enum class Kind {
    Inherit,  // not set (or `default`): a member follows its pool, a node `ltm default-node-monitor`
    None,     // `none`: not health-checked (always up unless disabled by hand)
    Rule,     // `monitors` below
  };
  Kind kind = Kind::None;
  std::vector<std::string> monitors{};  // canonical monitor names, as written (custom or built-in)
  uint32_t min_up = 0;                // `min N of { … }`: N; 0 = `a and b`: every monitor must say up
  int line = 0;                       // where the rule was written (0 when not written)

  static MonitorRule inherit() { return MonitorRule{Kind::Inherit, {}, 0, 0}; }
  // How many monitors of the rule must say up for the object to be up.
  std::size_t required() const { return min_up != 0 ? min_up : monitors.size(); }
};

// `ltm node NAME { address A.B.C.D ratio N connection-limit N monitor RULE session S state S }`
struct Node {
  std::string name;
  std::string address;
  SourceLoc loc;
  uint32_t ratio = 1;                 // ratio-node and friends
  uint32_t connection_limit = 0;      // 0 = no limit
  MonitorRule monitor = MonitorRule::inherit();  // Inherit: Config::default_node_monitor
  bool user_disabled = false;         // `session user-disabled`: no new connections, persisted ones still
  bool user_down = false;             // `state user-down` (forced offline): no connections at all
  std::string description{};
};

// One member of a pool: `/Common/Gateway-1:8001 { address 127.0.0.11 ratio 2 priority-group 1 }`
struct PoolMember {
  std::string name;      // canonical member name including port: /Common/Gateway-1:8001
  std::string node;      // canonical node name: /Common/Gateway-1
  std::string address;   // dotted IPv4
  uint16_t port = 0;
  SourceLoc loc;
  uint32_t ratio = 1;                 // ratio-member and friends (1-65535)
  uint32_t priority_group = 0;        // higher groups are used first (with the pool's min-active-members)
  uint32_t connection_limit = 0;      // 0 = no limit
  MonitorRule monitor = MonitorRule::inherit();  // Inherit: the pool's rule
  bool user_disabled = false;         // `session user-disabled`: no new connections, persisted ones still
  bool user_down = false;             // `state user-down` (forced offline): no connections at all
  std::string description{};
};

// `load-balancing-mode`: every method BIG-IP LTM has except dynamic-ratio-*, ratio-session and
// least-sessions (the parser names the method to use instead).
enum class LbMode {
  RoundRobin,
  RatioMember,
  RatioNode,
  LeastConnectionsMember,           // also spelled least-connections-members
  LeastConnectionsNode,
  WeightedLeastConnectionsMember,
  WeightedLeastConnectionsNode,
  RatioLeastConnectionsMember,
  RatioLeastConnectionsNode,
  FastestNode,
  FastestAppResponse,
  ObservedMember,
  ObservedNode,
  PredictiveMember,
  PredictiveNode,
};
// The tmsh spelling: "round-robin", "least-connections-member", …
const char* lb_mode_tmsh_name(LbMode mode);

// `service-down-action`: what happens to a pool's connections when their member goes down.
enum class ServiceDownAction { None, Reset, Drop, Reselect };
// `min-up-members-action`: BIG-IP's system-level reaction (HA failover, reboot, restart) when fewer
// than min-up-members members are up and min-up-members-checking is enabled.
enum class MinUpMembersAction { Failover, Reboot, RestartAll };

// `ltm pool NAME { load-balancing-mode M members { ... } monitor RULE ... }`; defaults are BIG-IP's.
struct Pool {
  std::string name;
  LbMode lb_mode = LbMode::RoundRobin;
  std::vector<PoolMember> members;
  SourceLoc loc;
  MonitorRule monitor;                          // None: members without their own rule are not checked
  uint32_t min_active_members = 0;              // priority group activation; 0 = disabled
  uint32_t min_up_members = 0;
  MinUpMembersAction min_up_members_action = MinUpMembersAction::Failover;
  bool min_up_members_checking = false;
  ServiceDownAction service_down_action = ServiceDownAction::None;
  uint32_t reselect_tries = 0;
  uint32_t slow_ramp_time_s = 10;               // 0 = no slow ramp
  std::string description{};
};

// ---- health monitors --------------------------------------------------------------------------------

enum class MonitorType {
  Tcp,          // connect; with send/recv: send, then match recv against what comes back
  Http,         // connect, send `send`, match recv / recv-disable against the response
  GatewayIcmp,  // BIG-IP pings; irulesd checks that a TCP connect to the address is answered (accepted
                // or refused), since unprivileged processes cannot send ICMP
};

// `ltm monitor tcp|http|gateway-icmp NAME { defaults-from P interval N timeout N … }`. The built-ins
// /Common/tcp, /Common/http and /Common/gateway_icmp carry BIG-IP's defaults (builtin_monitors()).
struct Monitor {
  std::string name;             // canonical
  MonitorType type = MonitorType::Tcp;
  std::string defaults_from;    // canonical parent; empty for a built-in
  uint32_t interval_s = 5;      // probe period
  uint32_t timeout_s = 16;      // down after this long without a good answer
  uint32_t up_interval_s = 0;   // probe period while up; 0 = `interval`
  uint32_t time_until_up_s = 0; // good answers needed for this long before up; 0 = the first one
  // The strings exactly as written between the quotes: tmsh escapes such as `\r\n` and a regex's `\.`
  // are kept; monitor_send_bytes() (config_values.h) turns `send` into the bytes to put on the wire.
  std::string send;             // empty = nothing sent (tcp: connect only)
  std::string recv;             // extended regex; empty = any answer is good
  std::string recv_disable;     // extended regex; a match marks the object disabled (session), not down
  std::string dest_address;     // `destination A:P`; empty = `*`: the member's (node's) address
  uint16_t dest_port = 0;       // 0 = `*`: the member's port
  std::string description{};
  SourceLoc loc;                // line 0 for a built-in
};

// ---- persistence ------------------------------------------------------------------------------------

enum class PersistenceType { SourceAddr, Cookie, Universal, Hash };
enum class PersistHashAlgorithm { Default, Carp };

// `ltm persistence source-addr|cookie|universal|hash NAME { defaults-from P … }`. The built-ins
// /Common/source_addr, /Common/cookie, /Common/universal and /Common/hash carry BIG-IP's defaults.
struct PersistenceProfile {
  std::string name;             // canonical
  PersistenceType type = PersistenceType::SourceAddr;
  std::string defaults_from;    // canonical parent; empty for a built-in
  uint32_t timeout_s = 180;     // record idle lifetime; 0 = indefinite
  bool match_across_services = false;
  bool match_across_virtuals = false;
  bool match_across_pools = false;
  bool override_connection_limit = false;
  // source-addr: the mask applied to the client address before lookup (`mask none` = every bit).
  uint32_t mask = 0xffffffff;
  PersistHashAlgorithm hash_algorithm = PersistHashAlgorithm::Default;  // source-addr, hash
  // cookie (method insert, the only method irulesd runs)
  std::string cookie_name;      // empty (`none`) = BIGipServer<pool name>
  uint32_t expiration_s = 0;    // 0 = session cookie (no Expires)
  bool httponly = true;
  bool secure = true;
  bool always_send = false;     // insert the cookie in every response, not only when it changes
  // universal, hash: the iRule whose `persist uie KEY` (universal) or key gives the record's key. The
  // parser also appends it to the rules of every virtual that uses the profile, as BIG-IP runs it there.
  std::string rule;             // canonical; empty = none
  std::string description{};
  SourceLoc loc;                // line 0 for a built-in
};

// ---- SNAT -------------------------------------------------------------------------------------------

// `ltm snat-translation NAME { address A.B.C.D }`: the address a snatpool member names.
struct SnatTranslation {
  std::string name;
  std::string address;
  SourceLoc loc;
};

// `ltm snatpool NAME { members { /Common/10.0.0.1 TRANSLATION ... } }`
// An iFile: `sys file ifile NAME { source-path file:PATH }` holds the bytes (read when the config
// loads; a relative PATH is beside the config file), `ltm ifile NAME { file-name SYSFILE }` is the
// name rules use (`ifile get NAME`).
struct IFile {
  std::string name;        // canonical ltm ifile name
  std::string sys_file;    // canonical sys file ifile name
  std::string content;
  SourceLoc loc;
};

struct SnatPool {
  std::string name;
  std::vector<std::string> addresses;   // dotted IPv4, in member order (translations resolved)
  SourceLoc loc;
};

// ---- profiles ---------------------------------------------------------------------------------------

// `enforcement { oversize-client-headers reject|pass-through }` and excess-client-headers: what an
// http profile does with a request head over max-header-size / max-header-count.
enum class OversizeAction {
  Reject,       // reset the connection (BIG-IP's default)
  PassThrough,  // stop HTTP processing and tunnel the connection to a member
};

// An HTTP profile (`ltm profile http NAME { defaults-from /Common/http max-header-size N … }`); the
// defaults are the built-in /Common/http's. max-header-size/-count may stand at the top level (BIG-IP
// 11.5 and older) or inside `enforcement { }` (later versions).
struct HttpProfile {
  std::string name = "/Common/http";
  std::size_t max_header_size = 32768;   // bytes of request line + headers, as BIG-IP counts them
  std::size_t max_header_count = 64;
  SourceLoc loc;
  bool insert_xforwarded_for = false;    // `insert-xforwarded-for enabled`: X-Forwarded-For: CLIENT_ADDR
  OversizeAction oversize_client_headers = OversizeAction::Reject;  // over max-header-size
  OversizeAction excess_client_headers = OversizeAction::Reject;    // over max-header-count
  // irulesd's own property (BIG-IP's http profile has none): seconds from the first byte of a request
  // head to its end before the client connection is reset; 0 = no limit (as on BIG-IP, where only the
  // tcp profile's idle-timeout ends a slow client).
  uint32_t request_header_timeout_s = 0;
};

// Settings of a tcp profile (`ltm profile tcp NAME { defaults-from /Common/tcp idle-timeout N
// syn-max-retrans N }`); /Common/tcp carries BIG-IP's defaults.
struct TcpProfile {
  std::string name = "/Common/tcp";
  uint32_t idle_timeout_s = 300;   // 0 = indefinite: an idle connection is reset after this long;
                                   // tunnels (HTTP::disable, WebSocket) included, as on BIG-IP
  SourceLoc loc;
  uint32_t syn_max_retrans = 3;    // SYN retransmissions to a member before the connect fails
  // The connect timeout syn-max-retrans gives, as F5 documents it for LB_FAILED: the first retransmission
  // after 3 s, doubling each time, and the failure when the last one is due: 3 s x (2^N - 1) (3 -> 21 s,
  // 2 -> 9 s); at least 3 s (N = 0: one SYN, 3 s to answer).
  uint64_t connect_timeout_ms() const {
    uint64_t ms = 3000 * ((uint64_t{1} << (syn_max_retrans > 20 ? 20 : syn_max_retrans)) - 1);
    return ms < 3000 ? 3000 : ms;
  }
};

enum class OneConnectLimitType { None, Idle, Strict };

// `ltm profile one-connect NAME { defaults-from /Common/oneconnect source-mask M max-size N max-age N
// max-reuse N idle-timeout-override N }`; /Common/oneconnect carries BIG-IP's defaults.
struct OneConnectProfile {
  std::string name = "/Common/oneconnect";
  // Applied to the server-side source address: an idle server connection is reused for a request whose
  // (SNAT-translated) source address matches under this mask. 0 (`any`, BIG-IP's default) = any client.
  uint32_t source_mask = 0;
  uint32_t max_size = 10000;       // idle connections kept for reuse
  uint32_t max_age_s = 86400;      // a connection older than this is not reused
  uint32_t max_reuse = 1000;       // requests a connection may carry before it is closed
  // Idle lifetime of a connection in the reuse pool: kIdleTimeoutOverrideDisabled (`disabled`): the tcp
  // profile's idle-timeout; kIdleTimeoutOverrideIndefinite (`indefinite`); else seconds.
  uint32_t idle_timeout_override_s = 0;
  SourceLoc loc;
  static constexpr uint32_t kIdleTimeoutOverrideDisabled = 0;
  static constexpr uint32_t kIdleTimeoutOverrideIndefinite = 0xffffffff;
};

enum class SnatType { None, Automap, Snat };

// `ltm virtual NAME { destination A:P ip-protocol tcp mask M source CIDR pool P profiles {..}
//                     rules {..} persist {..} fallback-persistence P connection-limit N
//                     source-address-translation { type automap|snat|none pool P } }`
struct VirtualServer {
  std::string name;
  std::string dest_address;    // dotted IPv4
  uint16_t dest_port = 0;
  std::string mask = "255.255.255.255";
  std::string source_address = "0.0.0.0";  // client source filter (network address)
  int source_prefix_len = 0;
  std::string pool;            // canonical pool name; empty = no default pool
  std::vector<std::string> profiles;  // canonical profile names as written
  bool has_http_profile = false;      // an http profile (or one derived from /Common/http) is attached
  bool has_websocket_profile = false; // upgrades allowed natively (BIG-IP 12.1+ websocket profile)
  HttpProfile http;                   // limits of the attached http profile
  TcpProfile tcp;                     // the client-side tcp profile (/Common/tcp when none is named)
  std::vector<std::string> rules;     // canonical rule names, in attachment order (then a universal or
                                      // hash persistence profile's rule, when not attached already)
  SnatType snat = SnatType::None;
  SourceLoc loc;
  TcpProfile server_tcp;              // the server-side tcp profile: the one with `context serverside`,
                                      // else the same as `tcp`
  std::optional<OneConnectProfile> oneconnect;      // attached one-connect profile; none = one server
                                                    // connection per client connection
  std::optional<PersistenceProfile> persist;        // `persist { P { default yes } }`
  std::optional<PersistenceProfile> fallback_persist;  // `fallback-persistence P`
  uint32_t connection_limit = 0;      // concurrent client connections; 0 = no limit
  std::optional<SnatPool> snat_pool;  // set when snat == SnatType::Snat
};

// An iRule: inline (`ltm rule NAME { ... }`) or from RULES_DIR/NAME.tcl.
struct Rule {
  std::string name;   // canonical: /Common/allow-ws
  std::string text;   // the Tcl text, byte-exact
  SourceLoc loc;      // file and line where `text` starts (line of its first byte)
};

// The type of a data group: what its keys are and how the class operators compare them.
enum class DataGroupType { String, Ip, Integer };

// One record of a data group: `KEY { data VALUE }`; data is empty when the record has none.
struct DataGroupRecord {
  std::string name;   // string: as written; ip: canonical ADDR/LEN; integer: canonical decimal
  std::string data;
};

class DataGroupIndex;   // core/data_group.h: the lookup structures of one data group

// `ltm data-group internal NAME { records { KEY { data VALUE } ... } type string|ip|integer }`
struct DataGroup {
  std::string name;   // canonical: /Common/uri_map
  DataGroupType type = DataGroupType::String;
  std::vector<DataGroupRecord> records;         // in element order (core/data_group.h says which)
  std::shared_ptr<const DataGroupIndex> index;  // built once with the config; see data_group.h
  SourceLoc loc;
};

struct Config {
  std::string file;       // the config file path
  // False for rules checked on their own (--check --rules-dir without a config): names of pools and
  // other objects in rules cannot be checked then.
  bool objects_known = true;
  std::string rules_dir;  // folder rules are loaded from
  std::vector<SelfIp> self_ips;
  std::vector<Node> nodes;
  std::vector<Pool> pools;
  std::vector<HttpProfile> http_profiles;   // custom ones; the built-in /Common/http is implied
  std::vector<TcpProfile> tcp_profiles;     // custom ones; the built-in /Common/tcp is implied
  std::vector<VirtualServer> virtuals;
  std::vector<Rule> rules;
  std::vector<DataGroup> data_groups;   // by name: find_data_group() in core/data_group.h
  std::vector<Monitor> monitors;        // custom ones; the built-ins are in builtin_monitors()
  std::vector<PersistenceProfile> persistence_profiles;   // custom ones; builtin_persistence_profiles()
  std::vector<OneConnectProfile> oneconnect_profiles;     // custom ones; /Common/oneconnect is implied
  std::vector<SnatTranslation> snat_translations;
  std::vector<SnatPool> snat_pools;
  std::vector<IFile> ifiles;   // ltm ifile objects, their content resolved
  const IFile* find_ifile(const std::string& name) const;
  // `ltm default-node-monitor { rule RULE }`: the rule of nodes whose own is Inherit; None when absent.
  MonitorRule default_node_monitor;

  const Pool* find_pool(const std::string& name) const;        // canonical or short name
  const Rule* find_rule(const std::string& name) const;
  const VirtualServer* find_virtual(const std::string& name) const;
  const Node* find_node(const std::string& name) const;
  const SnatPool* find_snat_pool(const std::string& name) const;
  // Custom or built-in; nullptr when neither.
  const Monitor* find_monitor(const std::string& name) const;
  const PersistenceProfile* find_persistence(const std::string& name) const;
  // The self IP used as SNAT automap source: the first self IP on a vlan named *internal*, else the
  // first self IP; nullptr when there is none.
  const SelfIp* automap_self_ip() const;
};

// BIG-IP's built-in monitors irulesd runs (/Common/tcp, /Common/http, /Common/gateway_icmp) and
// persistence profiles (/Common/source_addr, /Common/cookie, /Common/universal, /Common/hash), with
// BIG-IP's defaults.
const std::vector<Monitor>& builtin_monitors();
const std::vector<PersistenceProfile>& builtin_persistence_profiles();

// "gateway_pool" -> "/Common/gateway_pool"; names already carrying a partition are kept.
std::string canonical_name(const std::string& name);

struct ConfigLoadResult {
  std::shared_ptr<const Config> config;   // set when errors is empty
  std::vector<ConfigError> errors;
};

// Parses config text. Rules named by virtuals and not defined inline are read from
// rules_dir/NAME.tcl (NAME without partition). file_name is used in messages.
ConfigLoadResult parse_config(const std::string& text, const std::string& file_name,
                              const std::string& rules_dir);
// Reads and parses a file; a missing/unreadable file is an error at line 0.
ConfigLoadResult load_config(const std::string& path, const std::string& rules_dir);

}  // namespace irulesd
