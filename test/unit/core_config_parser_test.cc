// parse_config / load_config: the bigip.conf subset into the Config model, and every error class with
// the line it is reported at.
#include <catch2/catch.hpp>

#include <filesystem>
#include <string>

#include "core/config.h"
#include "test/unit/core_config_test_util.h"

using namespace irulesd;
namespace fs = std::filesystem;

using namespace config_test;

namespace {

// The guide's example from DESIGN.md, without the monitor line.
const char* kGuide = R"(net self /Common/internal-self { address 127.0.0.20/24 vlan /Common/internal }
ltm node /Common/Gateway-1 { address 127.0.0.11 }
ltm pool /Common/gateway_pool {
    load-balancing-mode round-robin
    members { /Common/Gateway-1:8001 { address 127.0.0.11 } /Common/Gateway-2:8001 { address 127.0.0.12 } }
}
ltm virtual /Common/gateway_vs {
    destination /Common/127.0.0.10:8080
    ip-protocol tcp
    pool /Common/gateway_pool
    profiles { /Common/http { } /Common/tcp { } }
    rules { /Common/allow-ws }
    source 0.0.0.0/0
    source-address-translation { type automap }
}
)";

const char* kAllowWs = R"(when HTTP_REQUEST {
 log local0. "processing irule for http request"
 if { "websocket" eq [string tolower [HTTP::header value "Upgrade"]] } {
  HTTP::disable
  log local0. "enabling websockets and disabling http"
 }
}
)";

// A minimal valid config around one virtual body.
std::string with_virtual(const std::string& body) {
  return "ltm pool p { members { n:80 { address 10.0.0.1 } } }\nltm virtual v {\n" + body + "}\n";
}

}  // namespace

TEST_CASE("config: the guide's example parses to the expected model", "[config]") {
  TempDir dir;
  dir.write("allow-ws.tcl", kAllowWs);
  auto c = parse_ok(kGuide, dir.path.string());
  CHECK(c->file == "bigip.conf");
  CHECK(c->rules_dir == dir.path.string());

  REQUIRE(c->self_ips.size() == 1);
  CHECK(c->self_ips[0].name == "/Common/internal-self");
  CHECK(c->self_ips[0].address == "127.0.0.20");
  CHECK(c->self_ips[0].prefix_len == 24);
  CHECK(c->self_ips[0].vlan == "/Common/internal");
  CHECK(c->self_ips[0].loc.line == 1);
  CHECK(c->automap_self_ip() == &c->self_ips[0]);

  REQUIRE(c->nodes.size() == 1);
  CHECK(c->nodes[0].name == "/Common/Gateway-1");
  CHECK(c->nodes[0].address == "127.0.0.11");
  CHECK(c->nodes[0].loc.line == 2);

  REQUIRE(c->pools.size() == 1);
  const Pool& pool = c->pools[0];
  CHECK(pool.name == "/Common/gateway_pool");
  CHECK(pool.lb_mode == LbMode::RoundRobin);
  CHECK(pool.loc.line == 3);
  REQUIRE(pool.members.size() == 2);
  CHECK(pool.members[0].name == "/Common/Gateway-1:8001");
  CHECK(pool.members[0].node == "/Common/Gateway-1");
  CHECK(pool.members[0].address == "127.0.0.11");
  CHECK(pool.members[0].port == 8001);
  CHECK(pool.members[0].loc.line == 5);
  CHECK(pool.members[1].name == "/Common/Gateway-2:8001");
  CHECK(pool.members[1].address == "127.0.0.12");

  REQUIRE(c->virtuals.size() == 1);
  const VirtualServer& vs = c->virtuals[0];
  CHECK(vs.name == "/Common/gateway_vs");
  CHECK(vs.dest_address == "127.0.0.10");
  CHECK(vs.dest_port == 8080);
  CHECK(vs.mask == "255.255.255.255");
  CHECK(vs.source_address == "0.0.0.0");
  CHECK(vs.source_prefix_len == 0);
  CHECK(vs.pool == "/Common/gateway_pool");
  CHECK(vs.profiles == std::vector<std::string>{"/Common/http", "/Common/tcp"});
  CHECK(vs.has_http_profile);
  CHECK_FALSE(vs.has_websocket_profile);
  CHECK(vs.http.max_header_size == 32768);
  CHECK(vs.http.max_header_count == 64);
  CHECK(vs.rules == std::vector<std::string>{"/Common/allow-ws"});
  CHECK(vs.snat == SnatType::Automap);
  CHECK(vs.loc.line == 7);

  REQUIRE(c->rules.size() == 1);
  CHECK(c->rules[0].name == "/Common/allow-ws");
  CHECK(c->rules[0].text == kAllowWs);
  CHECK(c->rules[0].loc.file == (dir.path / "allow-ws.tcl").string());
  CHECK(c->rules[0].loc.line == 1);
  CHECK(c->http_profiles.empty());
}

TEST_CASE("config: /Common/ prefixes resolve both ways", "[config]") {
  auto c = parse_ok(
      "ltm pool gateway_pool { members { Gateway-1:8001 { address 127.0.0.11 } } }\n"
      "ltm rule /Common/r { }\n"
      "ltm virtual vs { destination 127.0.0.10:8080 pool gateway_pool profiles { http { } tcp { } websocket { } }"
      " rules { r } }\n"
      "ltm virtual /Common/vs2 { destination 127.0.0.10:8081 pool /Common/gateway_pool }\n"
      "ltm virtual /Part/vs3 { destination /Part/127.0.0.10:8082 }\n");
  REQUIRE(c->virtuals.size() == 3);
  CHECK(c->pools[0].name == "/Common/gateway_pool");
  CHECK(c->pools[0].members[0].name == "/Common/Gateway-1:8001");
  CHECK(c->pools[0].members[0].node == "/Common/Gateway-1");
  CHECK(c->virtuals[0].name == "/Common/vs");
  CHECK(c->virtuals[0].pool == "/Common/gateway_pool");
  CHECK(c->virtuals[0].profiles == std::vector<std::string>{"/Common/http", "/Common/tcp", "/Common/websocket"});
  CHECK(c->virtuals[0].has_websocket_profile);
  CHECK(c->virtuals[0].rules == std::vector<std::string>{"/Common/r"});
  CHECK(c->virtuals[1].pool == "/Common/gateway_pool");
  CHECK(c->virtuals[2].name == "/Part/vs3");
  CHECK(c->virtuals[2].dest_address == "127.0.0.10");
  CHECK(c->virtuals[2].dest_port == 8082);
  CHECK_FALSE(c->virtuals[1].has_http_profile);

  CHECK(c->find_pool("gateway_pool") == &c->pools[0]);
  CHECK(c->find_pool("/Common/gateway_pool") == &c->pools[0]);
  CHECK(c->find_pool("other") == nullptr);
  CHECK(c->find_virtual("vs") == &c->virtuals[0]);
  CHECK(c->find_virtual("/Common/vs2") == &c->virtuals[1]);
  CHECK(c->find_virtual("/Part/vs3") == &c->virtuals[2]);
  CHECK(c->find_virtual("vs3") == nullptr);
  CHECK(c->find_rule("r") == &c->rules[0]);
  CHECK(c->find_rule("/Common/r") == &c->rules[0]);
}

TEST_CASE("config: canonical_name and ConfigError::str", "[config]") {
  CHECK(canonical_name("x") == "/Common/x");
  CHECK(canonical_name("/Common/x") == "/Common/x");
  CHECK(canonical_name("/Part/x") == "/Part/x");
  CHECK(ConfigError{"a.conf", 12, "boom"}.str() == "a.conf:12: boom");
}

TEST_CASE("config: automap picks the self IP on an internal vlan, else the first", "[config]") {
  auto c = parse_ok(
      "net self ext { address 10.1.0.1/16 vlan external }\n"
      "net self int { address 10.2.0.1/16 vlan /Common/internal }\n");
  REQUIRE(c->self_ips.size() == 2);
  CHECK(c->automap_self_ip() == &c->self_ips[1]);
  auto first = parse_ok("net self ext { address 10.1.0.1/16 vlan external }\n");
  CHECK(first->automap_self_ip() == &first->self_ips[0]);
  CHECK(parse_ok("")->automap_self_ip() == nullptr);
}

TEST_CASE("config: inline rule kept byte-exact with its start line", "[config]") {
  const std::string body = "\n    when HTTP_REQUEST {\n\tlog local0. \"uri \\{ [HTTP::uri]\"\n    }\n";
  auto c = parse_ok("ltm node n { address 1.1.1.1 }\n\nltm rule /Common/inline {" + body +
                    "}\nltm virtual v { destination 1.1.1.1:80 rules { inline } }\n");
  REQUIRE(c->rules.size() == 1);
  CHECK(c->rules[0].name == "/Common/inline");
  CHECK(c->rules[0].text == body);
  CHECK(c->rules[0].loc.file == "bigip.conf");
  CHECK(c->rules[0].loc.line == 3);
}

TEST_CASE("config: inline rules not attached are still loaded, file rules only when named", "[config]") {
  TempDir dir;
  dir.write("used.tcl", "when HTTP_REQUEST { }\n");
  dir.write("unused.tcl", "this is { not even valid\n");
  auto c = parse_ok(
      "ltm rule lonely { when CLIENT_ACCEPTED { } }\n"
      "ltm virtual a { destination 1.1.1.1:80 rules { used lonely } }\n"
      "ltm virtual b { destination 1.1.1.1:81 rules { /Common/used } }\n",
      dir.path.string());
  REQUIRE(c->rules.size() == 2);
  CHECK(c->rules[0].name == "/Common/lonely");
  CHECK(c->rules[1].name == "/Common/used");
  CHECK(c->rules[1].text == "when HTTP_REQUEST { }\n");
  CHECK(c->virtuals[0].rules == std::vector<std::string>{"/Common/used", "/Common/lonely"});
}

TEST_CASE("config: an inline rule wins over a file of the same name", "[config]") {
  TempDir dir;
  dir.write("r.tcl", "from file\n");
  auto c = parse_ok("ltm virtual a { destination 1.1.1.1:80 rules { r } }\nltm rule r {inline}\n", dir.path.string());
  REQUIRE(c->rules.size() == 1);
  CHECK(c->rules[0].text == "inline");
}

TEST_CASE("config: a missing rule file is an error at the virtual's rules line", "[config]") {
  TempDir dir;
  ConfigLoadResult r = parse_config(
      "ltm virtual /Common/gateway_vs {\n    destination 127.0.0.10:8080\n    rules { /Common/allow-ws }\n}\n",
      "bigip.conf", dir.path.string());
  CHECK_FALSE(r.config);
  REQUIRE(r.errors.size() == 1);
  CHECK(r.errors[0].str() == "bigip.conf:3: ltm virtual /Common/gateway_vs: rule /Common/allow-ws is not defined "
                             "inline and " + (dir.path / "allow-ws.tcl").string() +
                             " cannot be read: No such file or directory");
}

TEST_CASE("config: rules dir defaults to irules/ beside the config file", "[config]") {
  TempDir dir;
  fs::create_directories(dir.path / "irules");
  dir.write("irules/allow-ws.tcl", kAllowWs);
  dir.write("bigip.conf", kGuide);
  ConfigLoadResult r = load_config((dir.path / "bigip.conf").string(), "");
  REQUIRE(r.errors.empty());
  CHECK(r.config->rules_dir == (dir.path / "irules").string());
  REQUIRE(r.config->rules.size() == 1);
  CHECK(r.config->rules[0].loc.file == (dir.path / "irules" / "allow-ws.tcl").string());

  // An explicit rules dir wins.
  ConfigLoadResult other = load_config((dir.path / "bigip.conf").string(), (dir.path / "none").string());
  REQUIRE(other.errors.size() == 1);
  CHECK(other.errors[0].file == (dir.path / "bigip.conf").string());
  CHECK(other.errors[0].line == 12);
}

TEST_CASE("config: an unreadable config file is an error at line 0", "[config]") {
  ConfigLoadResult r = load_config("/nonexistent/bigip.conf", "");
  CHECK_FALSE(r.config);
  REQUIRE(r.errors.size() == 1);
  CHECK(r.errors[0].str() == "/nonexistent/bigip.conf:0: cannot read config: No such file or directory");
}

TEST_CASE("config: member address from its node, defined before or after", "[config]") {
  auto c = parse_ok(
      "ltm node /Common/early { address 10.0.0.1 description \"first\" }\n"
      "ltm pool p {\n"
      "    members {\n"
      "        early:80 { }\n"
      "        /Common/late:81 { description \"x\" }\n"
      "        10.0.0.3:82 { address 10.0.0.3 }\n"
      "        early:83 { address 10.0.0.1 }\n"
      "    }\n"
      "}\n"
      "ltm node late { address 10.0.0.2 }\n");
  const auto& m = c->pools[0].members;
  REQUIRE(m.size() == 4);
  CHECK(m[0].address == "10.0.0.1");
  CHECK(m[0].loc.line == 4);
  CHECK(m[1].address == "10.0.0.2");
  CHECK(m[1].node == "/Common/late");
  CHECK(m[2].name == "/Common/10.0.0.3:82");
  CHECK(m[3].port == 83);
}

TEST_CASE("config: a pool with no members is allowed", "[config]") {
  auto c = parse_ok("ltm pool empty { }\nltm pool empty2 { members { } load-balancing-mode round-robin }\n");
  CHECK(c->pools.size() == 2);
  CHECK(c->pools[0].members.empty());
}

TEST_CASE("config: custom http profile limits reach the virtual", "[config]") {
  auto c = parse_ok(
      "ltm virtual v {\n    destination 10.0.0.1:80\n    profiles { /Common/child { context clientside } tcp { context all } }\n}\n"
      "ltm profile http /Common/child { defaults-from parent max-header-count 10 }\n"
      "ltm profile http parent {\n    defaults-from /Common/http\n    max-header-size 8192\n}\n");
  REQUIRE(c->http_profiles.size() == 2);
  const VirtualServer& vs = c->virtuals[0];
  CHECK(vs.has_http_profile);
  CHECK(vs.http.name == "/Common/child");
  CHECK(vs.http.max_header_size == 8192);
  CHECK(vs.http.max_header_count == 10);
  CHECK(c->http_profiles[1].name == "/Common/parent");
  CHECK(c->http_profiles[1].max_header_size == 8192);
  CHECK(c->http_profiles[1].max_header_count == 64);
  CHECK(c->http_profiles[1].loc.line == 6);
}

TEST_CASE("config: optional virtual properties", "[config]") {
  auto c = parse_ok(with_virtual(
      "    destination 10.0.0.1:443\n    mask 255.255.255.0\n    source 192.168.0.0/16\n"
      "    translate-address enabled\n    translate-port enabled\n    description \"a { b\"\n"
      "    source-address-translation { type none }\n"));
  const VirtualServer& vs = c->virtuals[0];
  CHECK(vs.mask == "255.255.255.0");
  CHECK(vs.source_address == "192.168.0.0");
  CHECK(vs.source_prefix_len == 16);
  CHECK(vs.snat == SnatType::None);
  CHECK(vs.pool.empty());
  CHECK(vs.profiles.empty());
}

TEST_CASE("config: unknown object types", "[config]") {
  expect_error("ltm node a { address 1.1.1.1 }\nltm foo bar { }\n", 2, "unknown object type ltm foo");
  expect_exact("\nsys x { }\n", 2, "sys x: object type is not supported");
  expect_exact("frob x { }\n", 1, "frob x: unknown object type frob");
  expect_exact("ltm monitor https /Common/m { }\n", 1,
               "ltm monitor https /Common/m: object type is not supported (monitors: tcp, http and gateway-icmp)");
  expect_error("ltm data-group external dg { type string }\n", 1,
               "ltm data-group external /Common/dg: external data groups are not supported");
  expect_exact("ltm profile fastl4 t { }\n", 1,
               "ltm profile fastl4 /Common/t: object type is not supported (profiles: http, tcp and one-connect)");
  expect_error("ltm node { address 1.1.1.1 }\n", 1, "missing object name");
  expect_error("ltm node a\n", 1, "missing { } body");
  expect_error("ltm node a { address 1.1.1.1 } extra\n", 1, "unexpected extra after the { } body");
}

TEST_CASE("config: unknown properties and missing values", "[config]") {
  expect_error("net self s {\n    address 10.0.0.1/24\n    allow-service all\n}\n", 3,
               "net self /Common/s: unknown property allow-service");
  expect_error("net self s { address 10.0.0.1/24 floating enabled }\n", 1, "unknown property floating");
  expect_error("ltm node a {\n    address 1.1.1.1\n    frob x\n}\n", 3, "ltm node /Common/a: unknown property frob");
  expect_error("ltm node a {\n    address\n}\n", 2, "address is missing its value");
  expect_error("ltm node a { description x }\n", 1, "ltm node /Common/a: missing address");
  expect_error("ltm pool p {\n    members { m:80 { address 1.1.1.1 weight 2 } }\n}\n", 2,
               "ltm pool /Common/p member /Common/m:80: unknown property weight");
  expect_error("ltm pool p {\n    slow-ramp 10\n}\n", 2, "unknown property slow-ramp");
  expect_error(with_virtual("    destination 10.0.0.1:80\n    vlans-on\n"), 4, "unknown property vlans-on");
  expect_error(with_virtual("    destination 10.0.0.1:80\n    profiles { http { context other } }\n"), 4,
               "context other");
  expect_error(with_virtual("    destination 10.0.0.1:80\n    profiles { http { foo } }\n"), 4, "unknown property foo");
  expect_error(with_virtual("    destination 10.0.0.1:80\n    pool\n"), 4, "pool is missing its value");
  expect_error(with_virtual("    destination 10.0.0.1:80\n    rules none\n"), 4, "rules takes a { } block");
  expect_error(with_virtual("    pool p\n"), 2, "ltm virtual /Common/v: missing destination");
  expect_error("ltm profile http h { max-header-size 10 }\n", 1, "missing defaults-from");
  expect_error("ltm profile http h {\n  defaults-from http\n  insert-x-forwarded-for enabled\n}\n", 3,
               "unknown property insert-x-forwarded-for");
}

TEST_CASE("config: pool errors", "[config]") {
  expect_error("ltm pool p {\n    load-balancing-mode least-connection-member\n}\n", 2,
               "load-balancing-mode least-connection-member is not a BIG-IP load-balancing method");
  expect_error("ltm pool /Common/p {\n    members { a:80 { address 1.1.1.1 } }\n    monitor /Common/tcpx\n}\n", 3,
               "ltm pool /Common/p: monitor /Common/tcpx does not exist");
  expect_error("ltm pool p {\n    members {\n        ghost:80 { }\n    }\n}\n", 3,
               "member /Common/ghost:80 has no address and there is no ltm node /Common/ghost");
  expect_error("ltm pool p {\n    members {\n        a { address 1.1.1.1 }\n    }\n}\n", 3, "not NODE:PORT");
  expect_error("ltm pool p {\n    members {\n        a:0 { address 1.1.1.1 }\n    }\n}\n", 3, "not NODE:PORT");
  expect_error("ltm pool p {\n    members {\n        a:70000 { address 1.1.1.1 }\n    }\n}\n", 3, "not NODE:PORT");
  expect_error("ltm pool p {\n    members {\n        a:80\n    }\n}\n", 3, "missing its { } body");
  expect_error("ltm pool p {\n    members {\n        a:80 { address 1.1.1.1 }\n        /Common/a:80 { }\n    }\n}\n",
               4, "duplicate member /Common/a:80");
  expect_error("ltm node a { address 1.1.1.1 }\nltm pool p {\n    members { a:80 { address 1.1.1.2 } }\n}\n", 3,
               "differs from ltm node /Common/a address 1.1.1.1");
}

TEST_CASE("config: bad addresses, ports, prefixes and masks", "[config]") {
  expect_error("ltm node a {\n    address 1.2.3\n}\n", 2, "address 1.2.3 is not an IPv4 address");
  expect_error("ltm node a { address 1.2.3.256 }\n", 1, "not an IPv4 address");
  expect_error("ltm node a { address 01.2.3.4 }\n", 1, "not an IPv4 address");
  expect_error("ltm node a { address 10.0.0.1%2 }\n", 1, "not an IPv4 address");
  expect_error("ltm node a { address ::1 }\n", 1, "not an IPv4 address");
  expect_error("ltm pool p {\n  members { m:80 { address 300.1.1.1 } }\n}\n", 2, "address 300.1.1.1");
  expect_error("net self s {\n  address 10.0.0.1\n}\n", 2, "not an IPv4 address with a prefix");
  expect_error("net self s { address 10.0.0.1/33 }\n", 1, "not an IPv4 address with a prefix");
  expect_error(with_virtual("    destination 10.0.0.1:0\n"), 3, "destination 10.0.0.1:0 is not an IPv4 A.B.C.D:PORT");
  expect_error(with_virtual("    destination 10.0.0.1:65536\n"), 3, "is not an IPv4 A.B.C.D:PORT");
  expect_error(with_virtual("    destination 10.0.0.1.80\n"), 3, "is not an IPv4 A.B.C.D:PORT");
  expect_error(with_virtual("    destination /Common/10.0.0.1:http\n"), 3, "is not an IPv4 A.B.C.D:PORT");
  expect_error(with_virtual("    destination 10.0.0.1:80\n    mask 255.0.255.0\n"), 4, "mask 255.0.255.0 is not");
  expect_error(with_virtual("    destination 10.0.0.1:80\n    mask 255.255.255.256\n"), 4, "is not an IPv4 netmask");
  expect_error(with_virtual("    destination 10.0.0.1:80\n    source 0.0.0.0\n"), 4, "source 0.0.0.0 is not");
  expect_error(with_virtual("    destination 10.0.0.1:80\n    source 10.0.0.1/8\n"), 4, "bits set beyond");
  expect_error("ltm profile http h {\n  defaults-from http\n  max-header-size -5\n}\n", 3, "not a positive integer");
  expect_error("ltm profile http h {\n  defaults-from http\n  max-header-count 0\n}\n", 3, "not a positive integer");
}

TEST_CASE("config: virtual errors", "[config]") {
  expect_error(with_virtual("    destination 10.0.0.1:80\n    ip-protocol udp\n"), 4,
               "ip-protocol udp is not supported (tcp only)");
  expect_error(with_virtual("    destination 10.0.0.1:80\n    pool missing_pool\n"), 4,
               "ltm virtual /Common/v: pool /Common/missing_pool does not exist");
  expect_error(with_virtual("    destination 10.0.0.1:80\n    profiles {\n        /Common/http { }\n"
                            "        /Common/oneconnection { }\n    }\n"),
               6, "profile /Common/oneconnection does not exist");
  expect_error(with_virtual("    destination 10.0.0.1:80\n    profiles { tcp { } websocket { } }\n"), 4,
               "requires an http profile");
  expect_error(with_virtual("    destination 10.0.0.1:80\n    profiles { tcp { } tcp { } }\n"), 4, "attached twice");
  expect_error("ltm profile http h { defaults-from http }\n" +
                   with_virtual("    destination 10.0.0.1:80\n    profiles { http { } h { } }\n"),
               5, "more than one http profile");
  expect_error(with_virtual("    destination 10.0.0.1:80\n    translate-address disabled\n"), 4,
               "translate-address disabled is not supported");
  expect_error(with_virtual("    destination 10.0.0.1:80\n    translate-port disabled\n"), 4,
               "translate-port disabled is not supported");
  expect_error(with_virtual("    destination 10.0.0.1:80\n    source-address-translation { type lsn }\n"),
               4, "type lsn is not supported");
  expect_error(with_virtual("    destination 10.0.0.1:80\n    persist { cookie { default yes } }\n"), 4,
               "persistence profile /Common/cookie (cookie) requires an http profile on the same virtual");
  expect_error("ltm virtual a { destination 10.0.0.1:80 }\nltm virtual b { destination /Common/10.0.0.1:80 }\n", 2,
               "destination 10.0.0.1:80 is already used by ltm virtual /Common/a");
}

TEST_CASE("config: http profile errors", "[config]") {
  expect_error("ltm profile http h {\n    defaults-from /Common/tcp\n}\n", 2, "not an http profile");
  expect_error("ltm profile http h {\n    defaults-from nothing\n}\n", 2,
               "defaults-from /Common/nothing: profile does not exist");
  expect_error("ltm profile http /Common/http { defaults-from http }\n", 1, "built-in");
  std::vector<ConfigError> cycle =
      parse_errors("ltm profile http a { defaults-from b }\nltm profile http b { defaults-from a }\n");
  REQUIRE_FALSE(cycle.empty());
  CHECK(cycle[0].message.find("cycle") != std::string::npos);
}

TEST_CASE("config: duplicate names mention the first definition", "[config]") {
  expect_error("ltm pool p { }\n\nltm pool /Common/p { }\n", 3,
               "ltm pool /Common/p: duplicate name (first defined at line 1)");
  expect_error("ltm node /Common/n { address 1.1.1.1 }\nltm node n { address 1.1.1.2 }\n", 2, "first defined at line 1");
  expect_error("ltm rule r { }\nltm rule /Common/r { }\n", 2, "first defined at line 1");
  expect_error("ltm virtual v { destination 1.1.1.1:80 }\nltm virtual v { destination 1.1.1.1:81 }\n", 2,
               "first defined at line 1");
  expect_error("net self s { address 1.1.1.1/24 }\nnet self s { address 1.1.1.2/24 }\n", 2, "first defined at line 1");
  expect_error("ltm profile http h { defaults-from http }\nltm profile http h { defaults-from http }\n", 2,
               "first defined at line 1");
  expect_error(with_virtual("    destination 1.1.1.1:80\n    rules { r /Common/r }\n") + "ltm rule r { }\n", 4,
               "rule /Common/r is attached twice");
  // Same name, different object types: no clash.
  parse_ok("ltm pool x { }\nltm node x { address 1.1.1.1 }\nltm rule x { }\n");
}

TEST_CASE("config: every error is collected, in line order", "[config]") {
  std::vector<ConfigError> errors = parse_errors(
      "ltm virtual v {\n    destination 10.0.0.1:80\n    pool nowhere\n}\n"
      "ltm node a { address 1.1.1 }\n"
      "ltm foo x { }\n"
      "ltm pool p {\n    monitor /Common/nothing\n    load-balancing-mode dynamic-ratio-member\n}\n");
  REQUIRE(errors.size() == 5);
  CHECK(errors[0].line == 3);
  CHECK(errors[1].line == 5);
  CHECK(errors[2].line == 6);
  CHECK(errors[3].line == 8);
  CHECK(errors[4].line == 9);
}

TEST_CASE("config: tokenizer errors come through parse_config", "[config]") {
  ConfigLoadResult r = parse_config("ltm node a { address 1.1.1.1 }\nltm pool p {\n", "x.conf", "");
  CHECK_FALSE(r.config);
  REQUIRE(r.errors.size() == 1);
  CHECK(r.errors[0].file == "x.conf");
  CHECK(r.errors[0].line == 2);
}

TEST_CASE("config: tcp profile idle-timeout reaches the virtual, default 300", "[config]") {
  auto c = parse_ok(
      "ltm virtual v {\n    destination 10.0.0.1:80\n    profiles { ws_tcp { } http { } }\n}\n"
      "ltm virtual w {\n    destination 10.0.0.1:81\n    profiles { tcp { } }\n}\n"
      "ltm profile tcp ws_tcp { defaults-from base }\n"
      "ltm profile tcp base {\n    defaults-from /Common/tcp\n    idle-timeout 3600\n}\n"
      "ltm profile tcp forever { defaults-from tcp idle-timeout indefinite }\n");
  REQUIRE(c->tcp_profiles.size() == 3);
  CHECK(c->virtuals[0].tcp.name == "/Common/ws_tcp");
  CHECK(c->virtuals[0].tcp.idle_timeout_s == 3600);
  CHECK(c->virtuals[1].tcp.name == "/Common/tcp");
  CHECK(c->virtuals[1].tcp.idle_timeout_s == 300);
  CHECK(c->tcp_profiles[2].idle_timeout_s == 0);
  CHECK(c->tcp_profiles[1].loc.line == 10);
}

TEST_CASE("config: tcp profile errors", "[config]") {
  expect_error("ltm profile tcp t {\n    defaults-from /Common/tcp\n    idle-timeout soon\n}\n", 3,
               "idle-timeout soon is not a positive integer or indefinite");
  expect_error("ltm profile tcp t {\n    defaults-from /Common/http\n}\n", 2, "not a tcp profile");
  expect_error("ltm profile tcp t { defaults-from tcp max-header-size 5 }\n", 1, "unknown property max-header-size");
  expect_error("ltm profile http h { defaults-from http }\nltm profile tcp h { defaults-from tcp }\n", 2,
               "first defined at line 1");
  expect_error("ltm profile tcp t { defaults-from tcp }\nltm profile http h { defaults-from t }\n", 2,
               "not an http profile");
  expect_error(with_virtual("    destination 1.1.1.1:80\n    profiles { tcp { } t { } }\n") +
                   "ltm profile tcp t { defaults-from tcp }\n",
               4, "more than one tcp profile");
}
