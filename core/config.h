// The configuration model: an immutable snapshot of the bigip.conf subset irulesd understands.
// Built by config_parser (parse_config / load_config); shared read-only by every worker.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
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

// `ltm node NAME { address A.B.C.D }`
struct Node {
  std::string name;
  std::string address;
  SourceLoc loc;
};

// One member of a pool: `/Common/Gateway-1:8001 { address 127.0.0.11 }`
struct PoolMember {
  std::string name;      // canonical member name including port: /Common/Gateway-1:8001
  std::string node;      // canonical node name: /Common/Gateway-1
  std::string address;   // dotted IPv4
  uint16_t port = 0;
  SourceLoc loc;
};

enum class LbMode { RoundRobin };

// `ltm pool NAME { load-balancing-mode round-robin members { ... } }`
struct Pool {
  std::string name;
  LbMode lb_mode = LbMode::RoundRobin;
  std::vector<PoolMember> members;
  SourceLoc loc;
};

// Limits of an HTTP profile (`ltm profile http NAME { defaults-from /Common/http max-header-size N
// max-header-count N }`); /Common/http carries BIG-IP's defaults.
struct HttpProfile {
  std::string name = "/Common/http";
  std::size_t max_header_size = 32768;   // bytes of request line + headers, as BIG-IP counts them
  std::size_t max_header_count = 64;
  SourceLoc loc;
};

// Settings of a tcp profile (`ltm profile tcp NAME { defaults-from /Common/tcp idle-timeout N }`);
// /Common/tcp carries BIG-IP's defaults.
struct TcpProfile {
  std::string name = "/Common/tcp";
  uint32_t idle_timeout_s = 300;   // 0 = indefinite: an idle connection is reset after this long
  SourceLoc loc;
};

enum class SnatType { None, Automap };

// `ltm virtual NAME { destination A:P ip-protocol tcp mask M source CIDR pool P profiles {..}
//                     rules {..} source-address-translation { type automap|none } }`
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
  TcpProfile tcp;                     // the attached tcp profile (/Common/tcp when none is named)
  std::vector<std::string> rules;     // canonical rule names, in attachment order
  SnatType snat = SnatType::None;
  SourceLoc loc;
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

  const Pool* find_pool(const std::string& name) const;        // canonical or short name
  const Rule* find_rule(const std::string& name) const;
  const VirtualServer* find_virtual(const std::string& name) const;
  // The self IP used as SNAT automap source: the first self IP on a vlan named *internal*, else the
  // first self IP; nullptr when there is none.
  const SelfIp* automap_self_ip() const;
};

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
