// Names BIG-IP has and irulesd does not run: the modules and ltm object types of tmsh, and the built-in
// profiles, monitors and persistence profiles every BIG-IP carries. They turn "does not exist" into
// "is not supported", which is what the administrator of a real bigip.conf needs to read.
#include <algorithm>
#include <string>

#include "core/config_parser_impl.h"

namespace irulesd::config_parser {
namespace {

template <std::size_t N>
bool contains(const char* const (&list)[N], const std::string& word) {
  return std::any_of(std::begin(list), std::end(list), [&](const char* item) { return word == item; });
}

// A built-in lives in /Common; the short name is what the lists hold.
bool common_builtin(const std::string& name, bool (*in_list)(const std::string&)) {
  static const std::string kCommon = "/Common/";
  return name.compare(0, kCommon.size(), kCommon) == 0 && in_list(name.substr(kCommon.size()));
}

}  // namespace

bool is_bigip_module(const std::string& word) {
  static const char* const kModules[] = {"afm", "analytics", "apm", "asm", "auth", "avr", "cli", "cm",
                                         "gtm", "ilx", "ltm", "net", "pem", "security", "sys", "vcmp",
                                         "wam", "wom"};
  return contains(kModules, word);
}

bool is_bigip_ltm_object_type(const std::string& word) {
  static const char* const kTypes[] = {
      "alg-log-profile", "auth", "bwc", "cipher", "classification", "clientssl-proxy", "data-group",
      "default-node-monitor", "dns", "eviction-policy", "global-settings", "html-rule", "ifile",
      "lsn-log-profile", "lsn-pool", "message-routing", "monitor", "nat", "node", "persistence", "policy",
      "policy-strategy", "pool", "profile", "rule", "rule-profiler", "snat", "snat-translation", "snatpool",
      "tacdb", "traffic-class", "traffic-matching-criteria", "tunnel", "virtual", "virtual-address"};
  return contains(kTypes, word);
}

bool is_bigip_builtin_profile(const std::string& name) {
  return common_builtin(name, [](const std::string& n) {
    static const char* const kProfiles[] = {
        "analytics", "apm-forwarding-client-tcp", "apm-forwarding-fastL4", "apm-forwarding-server-tcp",
        "client-ldap", "clientssl", "clientssl-insecure-compatible", "clientssl-secure", "dns", "f5-tcp-lan",
        "f5-tcp-mobile", "f5-tcp-progressive", "f5-tcp-wan", "fasthttp", "fastL4", "fix", "ftp", "html",
        "http-explicit", "http-transparent", "http2", "httpcompression", "icap", "ipother", "mptcp-mobile-optimized",
        "ntlm", "pptp", "radiusLB", "request-log", "rewrite", "rtsp", "sctp", "server-ldap", "serverssl",
        "serverssl-insecure-compatible", "serverssl-secure", "sip", "smtps", "socks", "splitsessionclient",
        "splitsessionserver", "statistics", "stream", "tcp-lan-optimized", "tcp-legacy", "tcp-mobile-optimized",
        "tcp-wan-optimized", "tftp", "udp", "udp_decrement_ttl", "udp_gtm_dns", "wan-optimized-compression",
        "webacceleration", "websecurity", "xml"};
    return contains(kProfiles, n);
  });
}

bool is_bigip_builtin_monitor(const std::string& name) {
  return common_builtin(name, [](const std::string& n) {
    static const char* const kMonitors[] = {
        "diameter", "dns", "external", "firepass", "ftp", "http2", "http2_head_f5", "http_head_f5", "https",
        "https_443", "https_head_f5", "icmp", "imap", "inband", "ldap", "module_score", "mqtt", "mssql", "mysql",
        "nntp", "none", "oracle", "pop3", "postgresql", "radius", "radius_accounting", "real_server", "rpc",
        "sasp", "scripted", "sip", "smb", "smtp", "snmp_dca", "snmp_dca_base", "soap", "tcp_echo",
        "tcp_half_open", "udp", "virtual_location", "wap", "wmi"};
    return contains(kMonitors, n);
  });
}

bool is_bigip_builtin_persistence(const std::string& name) {
  return common_builtin(name, [](const std::string& n) {
    static const char* const kPersistence[] = {"dest_addr", "host", "msrdp", "sip_info", "ssl"};
    return contains(kPersistence, n);
  });
}

}  // namespace irulesd::config_parser
