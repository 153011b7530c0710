// ltm monitor tcp / http / gateway-icmp: the built-ins with BIG-IP's defaults, defaults-from chains,
// strings kept byte-exact, every bad value's message and line.
#include <catch2/catch.hpp>

#include "core/config.h"
#include "core/config_values.h"
#include "test/unit/core_config_test_util.h"

using namespace irulesd;
using namespace config_test;

TEST_CASE("config monitor: the built-ins carry BIG-IP's defaults", "[config]") {
  auto c = parse_ok("");
  const Monitor* tcp = c->find_monitor("/Common/tcp");
  const Monitor* http = c->find_monitor("http");
  const Monitor* icmp = c->find_monitor("/Common/gateway_icmp");
  REQUIRE(tcp);
  REQUIRE(http);
  REQUIRE(icmp);
  CHECK(builtin_monitors().size() == 3);
  CHECK(tcp->type == MonitorType::Tcp);
  CHECK(http->type == MonitorType::Http);
  CHECK(icmp->type == MonitorType::GatewayIcmp);
  for (const Monitor* m : {tcp, http, icmp}) {
    CHECK(m->interval_s == 5);
    CHECK(m->timeout_s == 16);
    CHECK(m->up_interval_s == 0);
    CHECK(m->time_until_up_s == 0);
    CHECK(m->dest_address.empty());
    CHECK(m->dest_port == 0);
    CHECK(m->recv.empty());
    CHECK(m->recv_disable.empty());
    CHECK(m->defaults_from.empty());
    CHECK(m->loc.line == 0);
  }
  CHECK(tcp->send.empty());
  CHECK(http->send == "GET /\\r\\n");
  CHECK(monitor_send_bytes(http->send) == "GET /\r\n");
  CHECK(c->find_monitor("/Common/https") == nullptr);
  CHECK(c->monitors.empty());
}

TEST_CASE("config monitor: a custom http monitor, strings byte-exact", "[config]") {
  auto c = parse_ok(
      "ltm monitor http /Common/global_http_monitor {\n"
      "    adaptive disabled\n"
      "    defaults-from /Common/http\n"
      "    destination *:*\n"
      "    interval 10\n"
      "    ip-dscp 0\n"
      "    recv \"^HTTP/1\\.[01] 200\"\n"
      "    recv-disable \"maint\\.html\"\n"
      "    send \"GET /health HTTP/1.1\\r\\nHost: a\\r\\nX-Q: \\\"x\\\"\\r\\n\\r\\n\"\n"
      "    time-until-up 30\n"
      "    up-interval 20\n"
      "    timeout 31\n"
      "    description \"the app's { check\"\n"
      "    manual-resume disabled\n    reverse disabled\n    transparent disabled\n"
      "    username none\n    password none\n    app-service none\n"
      "}\n");
  REQUIRE(c->monitors.size() == 1);
  const Monitor& m = c->monitors[0];
  CHECK(m.name == "/Common/global_http_monitor");
  CHECK(m.type == MonitorType::Http);
  CHECK(m.defaults_from == "/Common/http");
  CHECK(m.interval_s == 10);
  CHECK(m.timeout_s == 31);
  CHECK(m.up_interval_s == 20);
  CHECK(m.time_until_up_s == 30);
  CHECK(m.recv == "^HTTP/1\\.[01] 200");
  CHECK(m.recv_disable == "maint\\.html");
  CHECK(m.send == "GET /health HTTP/1.1\\r\\nHost: a\\r\\nX-Q: \\\"x\\\"\\r\\n\\r\\n");
  CHECK(monitor_send_bytes(m.send) == "GET /health HTTP/1.1\r\nHost: a\r\nX-Q: \"x\"\r\n\r\n");
  CHECK(m.description == "the app's { check");
  CHECK(m.loc.line == 1);
  CHECK(c->find_monitor("global_http_monitor") == &m);
}

TEST_CASE("config monitor: defaults-from chains, in any order", "[config]") {
  auto c = parse_ok(
      "ltm monitor tcp /Common/child {\n    defaults-from /Common/parent\n    timeout 91\n}\n"
      "ltm monitor tcp /Common/parent {\n    defaults-from /Common/tcp\n    interval 20\n    timeout 61\n"
      "    send \"PING\\r\\n\"\n    recv PONG\n    destination 10.0.0.9:7000\n}\n"
      "ltm monitor gateway-icmp /Common/ping {\n    defaults-from /Common/gateway_icmp\n    destination *\n}\n"
      "ltm monitor gateway-icmp /Common/ping2 { defaults-from ping destination 10.1.1.1 }\n"
      "ltm monitor http /Common/h2 { defaults-from http recv none send none }\n");
  REQUIRE(c->monitors.size() == 5);
  const Monitor& child = c->monitors[0];
  CHECK(child.name == "/Common/child");
  CHECK(child.defaults_from == "/Common/parent");
  CHECK(child.type == MonitorType::Tcp);
  CHECK(child.interval_s == 20);
  CHECK(child.timeout_s == 91);
  CHECK(child.send == "PING\\r\\n");
  CHECK(child.recv == "PONG");
  CHECK(child.dest_address == "10.0.0.9");
  CHECK(child.dest_port == 7000);
  const Monitor& parent = c->monitors[1];
  CHECK(parent.timeout_s == 61);
  CHECK(parent.loc.line == 5);
  CHECK(c->monitors[2].type == MonitorType::GatewayIcmp);
  CHECK(c->monitors[2].dest_address.empty());
  CHECK(c->monitors[3].dest_address == "10.1.1.1");
  CHECK(c->monitors[3].dest_port == 0);
  CHECK(c->monitors[4].send.empty());   // bare none: no send string
  CHECK(c->monitors[4].recv.empty());
}

TEST_CASE("config monitor: destinations", "[config]") {
  struct Case {
    const char* dest;
    const char* address;
    uint16_t port;
  };
  const Case cases[] = {{"*:*", "", 0}, {"*:8080", "", 8080}, {"10.0.0.1:*", "10.0.0.1", 0}, {"10.0.0.1:443", "10.0.0.1", 443}};
  for (const Case& k : cases) {
    INFO(k.dest);
    auto c = parse_ok(std::string("ltm monitor tcp t { defaults-from tcp destination ") + k.dest + " }\n");
    CHECK(c->monitors[0].dest_address == k.address);
    CHECK(c->monitors[0].dest_port == k.port);
  }
  const std::string t = "ltm monitor tcp /Common/t: ";
  expect_exact("ltm monitor tcp t {\n    defaults-from tcp\n    destination *\n}\n", 3,
               t + "destination * is not *:*, *:PORT, A.B.C.D:* or A.B.C.D:PORT");
  expect_exact("ltm monitor tcp t {\n    defaults-from tcp\n    destination 10.0.0.1:0\n}\n", 3,
               t + "destination 10.0.0.1:0 is not *:*, *:PORT, A.B.C.D:* or A.B.C.D:PORT");
  expect_exact("ltm monitor tcp t {\n    defaults-from tcp\n    destination host:80\n}\n", 3,
               t + "destination host:80 is not *:*, *:PORT, A.B.C.D:* or A.B.C.D:PORT");
  expect_exact("ltm monitor gateway-icmp g {\n    defaults-from gateway_icmp\n    destination 10.0.0\n}\n", 3,
               "ltm monitor gateway-icmp /Common/g: destination 10.0.0 is not *, A.B.C.D, *:*, *:PORT, A.B.C.D:* or "
               "A.B.C.D:PORT");
}

TEST_CASE("config monitor: bad values", "[config]") {
  const std::string h = "ltm monitor http /Common/m: ";
  auto http = [](const std::string& line) { return "ltm monitor http m {\n    defaults-from /Common/http\n" + line + "}\n"; };
  expect_exact(http("    interval 0\n"), 3, h + "interval 0 is not a positive integer");
  expect_exact(http("    interval 86401\n"), 3, h + "interval 86401 is more than 86400");
  expect_exact(http("    timeout soon\n"), 3, h + "timeout soon is not a positive integer");
  expect_exact(http("    up-interval x\n"), 3, h + "up-interval x is not an integer from 0 to 86400 or disabled");
  expect_exact(http("    time-until-up -1\n"), 3, h + "time-until-up -1 is not an integer from 0 to 86400");
  expect_exact(http("    reverse enabled\n"), 3, h + "reverse enabled is not supported (disabled only)");
  expect_exact(http("    transparent enabled\n"), 3, h + "transparent enabled is not supported (disabled only)");
  expect_exact(http("    manual-resume enabled\n"), 3, h + "manual-resume enabled is not supported (disabled only)");
  expect_exact(http("    adaptive enabled\n"), 3, h + "adaptive enabled is not supported (disabled only)");
  expect_exact(http("    ip-dscp 8\n"), 3, h + "ip-dscp 8 is not supported (0 only)");
  expect_exact(http("    username admin\n"), 3, h + "username admin is not supported (none only)");
  expect_exact(http("    recv { x }\n"), 3, h + "recv takes a value, not a { } block");
  expect_exact(http("    send\n"), 3, h + "send is missing its value");
  expect_exact(http("    compatibility enabled\n"), 3, h + "unknown property compatibility");
  // interval must stay below timeout, including what a parent gives.
  expect_exact(http("    interval 16\n"), 1, h + "interval 16 must be less than timeout 16");
  expect_exact("ltm monitor tcp p { defaults-from tcp interval 30 timeout 91 }\nltm monitor tcp c {\n"
               "    defaults-from p\n    timeout 30\n}\n",
               2, "ltm monitor tcp /Common/c: interval 30 must be less than timeout 30");
  // gateway-icmp sends nothing.
  expect_exact("ltm monitor gateway-icmp g {\n    defaults-from gateway_icmp\n    send x\n}\n", 3,
               "ltm monitor gateway-icmp /Common/g: unknown property send");
}

TEST_CASE("config monitor: defaults-from and names", "[config]") {
  expect_exact("ltm monitor http m { interval 5 }\n", 1,
               "ltm monitor http /Common/m: missing defaults-from (a custom http monitor derives from /Common/http)");
  expect_exact("ltm monitor http m {\n    defaults-from /Common/tcp\n}\n", 2,
               "ltm monitor http /Common/m: defaults-from /Common/tcp is not an http monitor");
  expect_exact("ltm monitor tcp t { defaults-from tcp }\nltm monitor http m {\n    defaults-from t\n}\n", 3,
               "ltm monitor http /Common/m: defaults-from /Common/t is not an http monitor");
  expect_exact("ltm monitor http m {\n    defaults-from /Common/http_head_f5\n}\n", 2,
               "ltm monitor http /Common/m: defaults-from /Common/http_head_f5 is a BIG-IP built-in irulesd does not "
               "have (derive from /Common/http)");
  expect_exact("ltm monitor http m {\n    defaults-from /Common/nothing\n}\n", 2,
               "ltm monitor http /Common/m: defaults-from /Common/nothing: monitor does not exist");
  expect_exact("ltm monitor https s { defaults-from https }\nltm monitor http m {\n    defaults-from s\n}\n",
               1, "ltm monitor https /Common/s: object type is not supported (monitors: tcp, http and gateway-icmp)");
  expect_exact("ltm monitor tcp /Common/gateway_icmp { defaults-from tcp }\n", 1,
               "ltm monitor tcp /Common/gateway_icmp: a built-in monitor cannot be redefined");
  expect_exact("ltm monitor http m { defaults-from http }\nltm monitor tcp m { defaults-from tcp }\n", 2,
               "ltm monitor tcp /Common/m: duplicate name (first defined at line 1)");
  std::vector<ConfigError> cycle =
      parse_errors("ltm monitor tcp a { defaults-from b }\nltm monitor tcp b {\n    defaults-from a\n}\n");
  REQUIRE(cycle.size() == 1);
  CHECK(cycle[0].str() == "bigip.conf:1: ltm monitor tcp /Common/a: defaults-from forms a cycle through /Common/b");
  // A monitor and a profile may share a name (different families).
  parse_ok("ltm monitor http /Common/x { defaults-from http }\nltm profile http /Common/x { defaults-from http }\n");
}

TEST_CASE("config monitor: types irulesd lacks get one error each", "[config]") {
  expect_all(
      "ltm monitor tcp-half-open /Common/q {\n    defaults-from /Common/tcp_half_open\n    interval 1\n}\n"
      "ltm monitor udp /Common/u {\n    defaults-from /Common/udp\n}\n"
      "ltm monitor dns /Common/d { defaults-from /Common/dns }\n",
      {"bigip.conf:1: ltm monitor tcp-half-open /Common/q: object type is not supported (monitors: tcp, http and "
       "gateway-icmp)",
       "bigip.conf:5: ltm monitor udp /Common/u: object type is not supported (monitors: tcp, http and gateway-icmp)",
       "bigip.conf:8: ltm monitor dns /Common/d: object type is not supported (monitors: tcp, http and gateway-icmp)"});
}

TEST_CASE("config values: monitor_send_bytes and tmsh durations", "[config]") {
  CHECK(monitor_send_bytes("GET /\\r\\n") == "GET /\r\n");
  CHECK(monitor_send_bytes("a\\tb\\\\c\\\"d") == "a\tb\\c\"d");
  CHECK(monitor_send_bytes("x\\.y\\") == "x\\.y\\");   // other escapes and a trailing backslash stay
  CHECK(monitor_send_bytes("") == "");

  uint32_t s = 99;
  CHECK(parse_tmsh_duration("0", &s));
  CHECK(s == 0);
  CHECK(parse_tmsh_duration("3600", &s));
  CHECK(s == 3600);
  CHECK(parse_tmsh_duration("1:30", &s));
  CHECK(s == 90);
  CHECK(parse_tmsh_duration("2:05:00", &s));
  CHECK(s == 7500);
  CHECK(parse_tmsh_duration("1:0:0:0", &s));
  CHECK(s == 86400);
  CHECK(parse_tmsh_duration("365:23:59:59", &s));
  CHECK(s == 365u * 86400 + 23 * 3600 + 59 * 60 + 59);
  CHECK(parse_tmsh_duration("90:00", &s));   // a large leading part is fine
  CHECK(s == 5400);
  s = 7;
  for (const char* bad : {"", ":", "1:", ":1", "1:60", "1:24:00:00", "1:2:3:4:5", "-1", "1.5", "a", "50000:0:0:0",
                          "4294967296"}) {
    INFO(bad);
    CHECK_FALSE(parse_tmsh_duration(bad, &s));
  }
  CHECK(s == 7);
}
