// BIG-IP's built-in monitors and persistence profiles that irulesd runs, with BIG-IP's defaults. A
// custom object starts from one of these (defaults-from) and overrides what it names.
#include "core/config.h"

namespace irulesd {

const std::vector<Monitor>& builtin_monitors() {
  static const std::vector<Monitor> monitors = [] {
    Monitor tcp;   // connect only: no send, no recv
    tcp.name = "/Common/tcp";
    tcp.type = MonitorType::Tcp;
    Monitor http;
    http.name = "/Common/http";
    http.type = MonitorType::Http;
    http.send = "GET /\\r\\n";   // as tmsh writes it: backslash-r backslash-n (monitor_send_bytes: CR LF)
    Monitor icmp;
    icmp.name = "/Common/gateway_icmp";
    icmp.type = MonitorType::GatewayIcmp;
    return std::vector<Monitor>{tcp, http, icmp};   // interval 5, timeout 16: the struct's defaults
  }();
  return monitors;
}

const std::vector<PersistenceProfile>& builtin_persistence_profiles() {
  static const std::vector<PersistenceProfile> profiles = [] {
    // timeout 180, match-across-* disabled, mask none, cookie insert as a session cookie with httponly
    // and secure: the struct's defaults.
    auto make = [](const char* name, PersistenceType type) {
      PersistenceProfile p;
      p.name = name;
      p.type = type;
      return p;
    };
    return std::vector<PersistenceProfile>{make("/Common/source_addr", PersistenceType::SourceAddr),
                                           make("/Common/cookie", PersistenceType::Cookie),
                                           make("/Common/universal", PersistenceType::Universal),
                                           make("/Common/hash", PersistenceType::Hash)};
  }();
  return profiles;
}

}  // namespace irulesd
