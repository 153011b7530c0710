// `ltm persistence source-addr`, `cookie`, `universal` and `hash`: their properties and what each sets
// in the model. The built-ins (/Common/source_addr, /Common/cookie, /Common/universal, /Common/hash) are
// in builtin_persistence_profiles().
#include "core/config_parser_impl.h"

namespace irulesd::config_parser {
namespace {

enum : int {
  kTimeout, kMatchAcrossServices, kMatchAcrossVirtuals, kMatchAcrossPools, kOverrideConnectionLimit, kMask,
  kHashAlgorithm, kCookieName, kExpiration, kHttpOnly, kSecure, kAlwaysSend, kRule,
};

// What every persistence type has.
std::vector<Setting> common_settings() {
  return {
      count("timeout", kTimeout, 1, 0xfffffffe, {{"indefinite", 0}}),
      enabled_disabled("match-across-services", kMatchAcrossServices),
      enabled_disabled("match-across-virtuals", kMatchAcrossVirtuals),
      enabled_disabled("match-across-pools", kMatchAcrossPools),
      enabled_disabled("override-connection-limit", kOverrideConnectionLimit),
      // HA: mirroring records to a standby unit. irulesd has no standby, so either value changes nothing.
      Setting{"mirror", ValueKind::Choice, kIgnored, 0, 0, {{"enabled", 1}, {"disabled", 0}}},
  };
}

Setting hash_algorithm() {
  return Setting{"hash-algorithm", ValueKind::Choice, kHashAlgorithm, 0, 0,
                 {{"default", static_cast<uint64_t>(PersistHashAlgorithm::Default)},
                  {"carp", static_cast<uint64_t>(PersistHashAlgorithm::Carp)}}};
}

const std::vector<Setting>& source_addr_settings() {
  static const std::vector<Setting> settings = [] {
    std::vector<Setting> s = common_settings();
    s.push_back(Setting{"mask", ValueKind::Netmask, kMask, 0, 0, {{"none", 0xffffffff}}});
    s.push_back(hash_algorithm());
    // AOL's proxy farms of the 1990s, mapped to one client: those address ranges are long gone.
    s.push_back(Setting{"map-proxies", ValueKind::Choice, kIgnored, 0, 0, {{"enabled", 1}, {"disabled", 0}}});
    return s;
  }();
  return settings;
}

const std::vector<Setting>& cookie_settings() {
  static const std::vector<Setting> settings = [] {
    std::vector<Setting> s = common_settings();
    s.push_back(Setting{"method", ValueKind::Choice, kIgnored, 0, 0,
                        {{"insert", 0}, {"hash", 1}, {"passive", 2}, {"rewrite", 3}},
                        {"insert"}});
    s.push_back(Setting{"cookie-name", ValueKind::Text, kCookieName});
    s.push_back(Setting{"expiration", ValueKind::Expiration, kExpiration});
    s.push_back(enabled_disabled("httponly", kHttpOnly));
    s.push_back(enabled_disabled("secure", kSecure));
    s.push_back(enabled_disabled("always-send", kAlwaysSend));
    s.push_back(only("cookie-encryption", {"disabled"}));
    s.push_back(only("cookie-encryption-passphrase", {"none"}));
    s.push_back(only("encrypt-cookie-poolname", {"disabled"}));
    s.push_back(only("hash-offset", {"0"}));
    s.push_back(only("hash-length", {"0"}));
    return s;
  }();
  return settings;
}

const std::vector<Setting>& universal_settings() {
  static const std::vector<Setting> settings = [] {
    std::vector<Setting> s = common_settings();
    s.push_back(Setting{"rule", ValueKind::Name, kRule});
    return s;
  }();
  return settings;
}

const std::vector<Setting>& hash_settings() {
  static const std::vector<Setting> settings = [] {
    std::vector<Setting> s = common_settings();
    s.push_back(Setting{"rule", ValueKind::Name, kRule});
    s.push_back(hash_algorithm());
    // Hashing a pattern of the payload: irulesd hashes what the rule gives.
    s.push_back(only("hash-offset", {"0"}));
    s.push_back(only("hash-length", {"0"}));
    s.push_back(only("hash-start-pattern", {"none"}));
    s.push_back(only("hash-end-pattern", {"none"}));
    s.push_back(only("hash-buffer-limit", {"0"}));
    return s;
  }();
  return settings;
}

}  // namespace

std::vector<TemplateType> persistence_template_types() {
  return {
      {Family::Persistence, "source-addr", "/Common/source_addr", &source_addr_settings()},
      {Family::Persistence, "cookie", "/Common/cookie", &cookie_settings()},
      {Family::Persistence, "universal", "/Common/universal", &universal_settings()},
      {Family::Persistence, "hash", "/Common/hash", &hash_settings()},
  };
}

void apply_setting(PersistenceProfile& p, const OwnSetting& s) {
  const uint64_t n = s.value.n;
  switch (s.setting->id) {
    case kTimeout: p.timeout_s = static_cast<uint32_t>(n); break;
    case kMatchAcrossServices: p.match_across_services = n != 0; break;
    case kMatchAcrossVirtuals: p.match_across_virtuals = n != 0; break;
    case kMatchAcrossPools: p.match_across_pools = n != 0; break;
    case kOverrideConnectionLimit: p.override_connection_limit = n != 0; break;
    case kMask: p.mask = static_cast<uint32_t>(n); break;
    case kHashAlgorithm: p.hash_algorithm = static_cast<PersistHashAlgorithm>(n); break;
    case kCookieName: p.cookie_name = s.value.s; break;
    case kExpiration: p.expiration_s = static_cast<uint32_t>(n); break;
    case kHttpOnly: p.httponly = n != 0; break;
    case kSecure: p.secure = n != 0; break;
    case kAlwaysSend: p.always_send = n != 0; break;
    case kRule: p.rule = s.value.s; break;
    case kDescription: p.description = s.value.s; break;
    default: break;
  }
}

}  // namespace irulesd::config_parser
