// `ltm profile http`, `tcp` and `one-connect`: their properties and what each sets in the model. The
// built-ins (/Common/http, /Common/tcp, /Common/oneconnect) are the structs' defaults (BIG-IP's).
#include "core/config_parser_impl.h"

namespace irulesd::config_parser {
namespace {

constexpr uint64_t kMaxU32 = 0xffffffff;

enum : int {
  kMaxHeaderSize, kMaxHeaderCount, kInsertXff, kOversizeClientHeaders, kExcessClientHeaders,
  kRequestHeaderTimeout, kIdleTimeout, kSynMaxRetrans, kSourceMask, kMaxSize, kMaxAge, kMaxReuse,
  kIdleTimeoutOverride,
};

Setting oversize(const char* key, int id) {
  return Setting{key, ValueKind::Choice, id, 0, 0,
                 {{"reject", static_cast<uint64_t>(OversizeAction::Reject)},
                  {"pass-through", static_cast<uint64_t>(OversizeAction::PassThrough)}}};
}

const std::vector<Setting>& http_settings() {
  static const std::vector<Setting> settings = {
      count("max-header-size", kMaxHeaderSize, 1, 0x7fffffff),
      count("max-header-count", kMaxHeaderCount, 1, 0xffff),
      enabled_disabled("insert-xforwarded-for", kInsertXff),
      oversize("oversize-client-headers", kOversizeClientHeaders),
      oversize("excess-client-headers", kExcessClientHeaders),
      // irulesd's own: BIG-IP's http profile has no time limit on a request head.
      count("irulesd-request-header-timeout", kRequestHeaderTimeout, 0, kMaxU32),
      // BIG-IP features irulesd does not run, at the values that leave them off.
      only("proxy-type", {"reverse"}),
      only("redirect-rewrite", {"none"}),
      only("oneconnect-transformations", {"enabled"}),
      only("accept-xff", {"disabled"}),
      only("xff-alternative-names", {"none"}),
      only("fallback-host", {"none"}),
      only("fallback-status-codes", {"none"}),
      only("header-erase", {"none"}),
      only("header-insert", {"none"}),
      only("request-chunking", {"preserve", "selective", "sustain"}),
      only("response-chunking", {"preserve", "selective", "sustain"}),
      only("via-request", {"preserve"}),
      only("via-response", {"preserve"}),
      only("lws-separator", {"none"}),
      only("lws-width", {"80"}),
      only("encrypt-cookies", {"none"}),
      only("server-agent-name", {"BigIP"}),
      only("basic-auth-realm", {"none"}),
      // enforcement { }
      only("max-requests", {"0"}),
      only("pipeline", {"allow"}),
      only("unknown-method", {"allow"}),
      only("truncated-redirects", {"disabled"}),
      only("oversize-server-headers", {"reject"}),
      only("excess-server-headers", {"reject"}),
      Setting{"known-methods", ValueKind::Any},
  };
  return settings;
}

const std::vector<Setting>& tcp_settings() {
  static const std::vector<Setting> settings = {
      count("idle-timeout", kIdleTimeout, 1, 0xfffffffe, {{"indefinite", 0}}),
      count("syn-max-retrans", kSynMaxRetrans, 0, 255),
      // Tuning of BIG-IP's own TCP stack: irulesd uses the kernel's, so these change nothing here.
      Setting{"nagle", ValueKind::Any},
      Setting{"delayed-acks", ValueKind::Any},
      Setting{"ack-on-push", ValueKind::Any},
      Setting{"congestion-control", ValueKind::Any},
      Setting{"init-cwnd", ValueKind::Any},
      Setting{"init-rwnd", ValueKind::Any},
      Setting{"slow-start", ValueKind::Any},
      Setting{"proxy-buffer-high", ValueKind::Any},
      Setting{"proxy-buffer-low", ValueKind::Any},
      Setting{"receive-window-size", ValueKind::Any},
      Setting{"send-buffer-size", ValueKind::Any},
      Setting{"minimum-rto", ValueKind::Any},
  };
  return settings;
}

const std::vector<Setting>& oneconnect_settings() {
  static const std::vector<Setting> settings = {
      Setting{"source-mask", ValueKind::Netmask, kSourceMask, 0, 0, {{"any", 0}}},
      count("max-size", kMaxSize, 0, kMaxU32),
      count("max-age", kMaxAge, 0, kMaxU32),
      count("max-reuse", kMaxReuse, 0, kMaxU32),
      count("idle-timeout-override", kIdleTimeoutOverride, 1, 0xfffffffe,
            {{"disabled", OneConnectProfile::kIdleTimeoutOverrideDisabled},
             {"indefinite", OneConnectProfile::kIdleTimeoutOverrideIndefinite}}),
      only("limit-type", {"none"}),
      only("share-pools", {"disabled"}),
  };
  return settings;
}

}  // namespace

std::vector<TemplateType> profile_template_types() {
  return {
      {Family::Profile, "http", "/Common/http", &http_settings()},
      {Family::Profile, "tcp", "/Common/tcp", &tcp_settings()},
      {Family::Profile, "one-connect", "/Common/oneconnect", &oneconnect_settings()},
  };
}

void apply_setting(HttpProfile& p, const OwnSetting& s) {
  const uint64_t n = s.value.n;
  switch (s.setting->id) {
    case kMaxHeaderSize: p.max_header_size = n; break;
    case kMaxHeaderCount: p.max_header_count = n; break;
    case kInsertXff: p.insert_xforwarded_for = n != 0; break;
    case kOversizeClientHeaders: p.oversize_client_headers = static_cast<OversizeAction>(n); break;
    case kExcessClientHeaders: p.excess_client_headers = static_cast<OversizeAction>(n); break;
    case kRequestHeaderTimeout: p.request_header_timeout_s = static_cast<uint32_t>(n); break;
    default: break;
  }
}

void apply_setting(TcpProfile& p, const OwnSetting& s) {
  const uint64_t n = s.value.n;
  switch (s.setting->id) {
    case kIdleTimeout: p.idle_timeout_s = static_cast<uint32_t>(n); break;
    case kSynMaxRetrans: p.syn_max_retrans = static_cast<uint32_t>(n); break;
    default: break;
  }
}

void apply_setting(OneConnectProfile& p, const OwnSetting& s) {
  const uint32_t n = static_cast<uint32_t>(s.value.n);
  switch (s.setting->id) {
    case kSourceMask: p.source_mask = n; break;
    case kMaxSize: p.max_size = n; break;
    case kMaxAge: p.max_age_s = n; break;
    case kMaxReuse: p.max_reuse = n; break;
    case kIdleTimeoutOverride: p.idle_timeout_override_s = n; break;
    default: break;
  }
}

}  // namespace irulesd::config_parser
