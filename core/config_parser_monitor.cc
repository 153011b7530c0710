// `ltm monitor tcp`, `http` and `gateway-icmp`: their properties and what each sets in the model. The
// built-ins (/Common/tcp, /Common/http, /Common/gateway_icmp) are in builtin_monitors().
#include "core/config_parser_impl.h"

namespace irulesd::config_parser {
namespace {

enum : int { kInterval, kTimeout, kUpInterval, kTimeUntilUp, kDestination, kSend, kRecv, kRecvDisable };

constexpr uint64_t kMaxSeconds = 86400;

// What every monitor type has.
std::vector<Setting> common_settings(bool bare_destination) {
  return {
      count("interval", kInterval, 1, kMaxSeconds),
      count("timeout", kTimeout, 1, kMaxSeconds),
      count("up-interval", kUpInterval, 0, kMaxSeconds, {{"disabled", 0}}),
      count("time-until-up", kTimeUntilUp, 0, kMaxSeconds),
      Setting{"destination", ValueKind::Destination, kDestination, 0, bare_destination ? 1u : 0u},
      // BIG-IP features irulesd does not run, at the values that leave them off.
      only("manual-resume", {"disabled"}),
      only("adaptive", {"disabled"}),
      only("ip-dscp", {"0"}),
      only("reverse", {"disabled"}),
      only("transparent", {"disabled"}),
      only("debug", {"no"}),
      // Only read when adaptive is enabled, which it cannot be here.
      Setting{"adaptive-divergence-type", ValueKind::Any},
      Setting{"adaptive-divergence-value", ValueKind::Any},
      Setting{"adaptive-limit", ValueKind::Any},
      Setting{"adaptive-sampling-timespan", ValueKind::Any},
  };
}

// tcp and http: a string to send and regular expressions to match the answer against.
std::vector<Setting> send_recv_settings() {
  std::vector<Setting> s = common_settings(false);
  s.push_back(Setting{"send", ValueKind::Text, kSend});
  s.push_back(Setting{"recv", ValueKind::Text, kRecv});
  s.push_back(Setting{"recv-disable", ValueKind::Text, kRecvDisable});
  return s;
}

const std::vector<Setting>& tcp_settings() {
  static const std::vector<Setting> settings = send_recv_settings();
  return settings;
}

const std::vector<Setting>& http_settings() {
  static const std::vector<Setting> settings = [] {
    std::vector<Setting> s = send_recv_settings();
    s.push_back(only("username", {"none"}));
    s.push_back(only("password", {"none"}));
    return s;
  }();
  return settings;
}

const std::vector<Setting>& gateway_icmp_settings() {
  static const std::vector<Setting> settings = common_settings(true);
  return settings;
}

}  // namespace

std::vector<TemplateType> monitor_template_types() {
  return {
      {Family::Monitor, "tcp", "/Common/tcp", &tcp_settings()},
      {Family::Monitor, "http", "/Common/http", &http_settings()},
      {Family::Monitor, "gateway-icmp", "/Common/gateway_icmp", &gateway_icmp_settings()},
  };
}

void apply_setting(Monitor& m, const OwnSetting& s) {
  const uint32_t n = static_cast<uint32_t>(s.value.n);
  switch (s.setting->id) {
    case kInterval: m.interval_s = n; break;
    case kTimeout: m.timeout_s = n; break;
    case kUpInterval: m.up_interval_s = n; break;
    case kTimeUntilUp: m.time_until_up_s = n; break;
    case kDestination:
      m.dest_address = s.value.s;
      m.dest_port = static_cast<uint16_t>(n);
      break;
    case kSend: m.send = s.value.s; break;
    case kRecv: m.recv = s.value.s; break;
    case kRecvDisable: m.recv_disable = s.value.s; break;
    case kDescription: m.description = s.value.s; break;
    default: break;
  }
}

}  // namespace irulesd::config_parser
