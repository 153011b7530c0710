// ltm virtual limits and SNAT (snatpool, snat-translation), ltm virtual-address, and the metadata and
// BIG-IP-only switches real bigip.conf files carry on a virtual.
#include <catch2/catch.hpp>

#include "core/config.h"
#include "test/unit/core_config_test_util.h"

using namespace irulesd;
using namespace config_test;

TEST_CASE("config virtual: connection-limit", "[config]") {
  CHECK(parse_ok(virtual_with(""))->virtuals[0].connection_limit == 0);
  CHECK(parse_ok(virtual_with("    connection-limit 10000\n"))->virtuals[0].connection_limit == 10000);
  expect_exact(virtual_with("    connection-limit -1\n"), 3,
               "ltm virtual /Common/v: connection-limit -1 is not an integer from 0 to 4294967295");
}

TEST_CASE("config virtual: snatpool with type snat", "[config]") {
  auto c = parse_ok(
      "ltm snat-translation /Common/192.168.1.51 {\n    address 192.168.1.51\n    inherited-traffic-group true\n"
      "    traffic-group /Common/traffic-group-1\n}\n"
      "ltm snat-translation /Common/named { address 10.9.9.9 arp enabled connection-limit 0 enabled "
      "ip-idle-timeout indefinite tcp-idle-timeout indefinite udp-idle-timeout indefinite unit 1 }\n"
      "ltm snatpool /Common/app3_snat_pool {\n    members {\n        /Common/192.168.1.51\n    }\n}\n"
      "ltm snatpool /Common/testSnat1_pool {\n    members {\n        /Common/1.1.1.1\n        1.1.1.2\n"
      "        /Common/named\n        /Common/1.1.1.4 { }\n    }\n}\n" +
      virtual_with("    source-address-translation {\n        pool /Common/app3_snat_pool\n        type snat\n    }\n") +
      "ltm virtual /Common/w { destination 10.0.0.1:81 source-address-translation { type snat pool testSnat1_pool } }\n"
      "ltm virtual /Common/x { destination 10.0.0.1:82 source-address-translation { type automap pool none } }\n");
  REQUIRE(c->snat_translations.size() == 2);
  CHECK(c->snat_translations[1].name == "/Common/named");
  CHECK(c->snat_translations[1].address == "10.9.9.9");
  REQUIRE(c->snat_pools.size() == 2);
  CHECK(c->snat_pools[0].addresses == std::vector<std::string>{"192.168.1.51"});
  CHECK(c->snat_pools[1].addresses == std::vector<std::string>{"1.1.1.1", "1.1.1.2", "10.9.9.9", "1.1.1.4"});
  CHECK(c->snat_pools[1].loc.line == 12);
  CHECK(c->find_snat_pool("testSnat1_pool") == &c->snat_pools[1]);
  const VirtualServer& v = c->virtuals[0];
  CHECK(v.snat == SnatType::Snat);
  REQUIRE(v.snat_pool);
  CHECK(v.snat_pool->name == "/Common/app3_snat_pool");
  CHECK(v.snat_pool->addresses == std::vector<std::string>{"192.168.1.51"});
  REQUIRE(c->virtuals[1].snat_pool);
  CHECK(c->virtuals[1].snat_pool->addresses.size() == 4);
  CHECK(c->virtuals[2].snat == SnatType::Automap);
  CHECK_FALSE(c->virtuals[2].snat_pool);
}

TEST_CASE("config virtual: snat errors", "[config]") {
  const std::string v = "ltm virtual /Common/v: ";
  expect_exact(virtual_with("    source-address-translation {\n        type snat\n    }\n"), 4,
               v + "source-address-translation type snat needs a pool (an ltm snatpool)");
  expect_exact(virtual_with("    source-address-translation {\n        type automap\n        pool sp\n    }\n") +
                   "ltm snatpool sp { members { 1.1.1.1 } }\n",
               5, v + "source-address-translation pool /Common/sp needs type snat");
  expect_exact(virtual_with("    source-address-translation {\n        type snat\n        pool nothing\n    }\n"), 5,
               v + "snatpool /Common/nothing does not exist");
  expect_exact(virtual_with("    source-address-translation {\n        type lsn\n    }\n"), 4,
               v + "source-address-translation type lsn is not supported (automap, snat or none)");
  expect_exact(virtual_with("    source-address-translation {\n        mode x\n    }\n"), 4,
               "ltm virtual /Common/v source-address-translation: unknown property mode");
  const std::string s = "ltm snatpool /Common/sp: ";
  expect_exact("ltm snatpool sp {\n    members {\n        /Common/web\n    }\n}\n", 3,
               s + "member /Common/web is neither an ltm snat-translation nor an IPv4 address");
  expect_exact("ltm snatpool sp {\n    members {\n        1.1.1.1\n        /Common/1.1.1.1\n    }\n}\n", 4,
               s + "member /Common/1.1.1.1: address 1.1.1.1 is in the snatpool twice");
  expect_exact("ltm snatpool sp { members { } }\n", 1, s + "a snatpool needs at least one member");
  expect_exact("ltm snatpool sp { }\n", 1, s + "a snatpool needs at least one member");
  expect_exact("ltm snatpool sp { members { 1.1.1.1 } frob 1 }\n", 1, s + "unknown property frob");
  expect_exact("ltm snat-translation t {\n    arp enabled\n}\n", 1, "ltm snat-translation /Common/t: missing address");
  expect_exact("ltm snat-translation t {\n    address 1.1.1\n}\n", 2,
               "ltm snat-translation /Common/t: address 1.1.1 is not an IPv4 address (A.B.C.D)");
  expect_exact("ltm snat-translation t {\n    address 1.1.1.1\n    disabled\n}\n", 3,
               "ltm snat-translation /Common/t: a disabled snat-translation is not supported (remove it)");
  expect_exact("ltm snat-translation t {\n    address 1.1.1.1\n    connection-limit 5\n}\n", 3,
               "ltm snat-translation /Common/t: connection-limit 5 is not supported (0 only)");
  expect_exact("ltm snat /Common/outbound { automap origins { 10.0.0.0/8 { } } }\n", 1,
               "ltm snat /Common/outbound: object type is not supported");
}

TEST_CASE("config virtual: metadata and BIG-IP switches at their defaults are accepted", "[config]") {
  auto c = parse_ok(virtual_with(
      "    creation-time 2020-09-17:08:50:22\n    last-modified-time 2020-09-17:08:51:07\n    vs-index 2\n"
      "    app-service none\n    partition Common\n    metadata {\n        owner {\n            value ops\n        }\n"
      "    }\n    description \"not flowing traffic, just used for GTM\"\n    serverssl-use-sni disabled\n"
      "    translate-address enabled\n    translate-port enabled\n    source-port preserve\n    mask 255.255.255.255\n"
      "    vlans-disabled\n    enabled\n    auto-lasthop default\n    cmp-enabled yes\n    gtm-score 0\n"
      "    nat64 disabled\n    rate-limit disabled\n    rate-limit-mode object\n    mirror enabled\n"
      "    policies { }\n    vlans { }\n    security-log-profiles { }\n    syn-cookie-status not-activated\n"
      "    source 0.0.0.0/0\n    ip-protocol tcp\n    pool none\n"));
  CHECK(c->virtuals[0].pool.empty());
  CHECK(c->virtuals[0].mask == "255.255.255.255");
  CHECK(parse_ok(virtual_with("    mask any\n"))->virtuals[0].mask == "0.0.0.0");
}

TEST_CASE("config virtual: what irulesd cannot run is an error each", "[config]") {
  const std::string v = "ltm virtual /Common/v: ";
  expect_exact(virtual_with("    ip-forward\n"), 3, v + "virtual server type ip-forward is not supported (standard virtuals only)");
  expect_exact(virtual_with("    reject\n"), 3, v + "virtual server type reject is not supported (standard virtuals only)");
  expect_exact(virtual_with("    disabled\n"), 3, v + "a disabled virtual server is not supported (remove it)");
  expect_exact(virtual_with("    vlans-enabled\n"), 3,
               v + "vlans-enabled is not supported (irulesd listens on the destination address)");
  expect_exact(virtual_with("    vlans {\n        /Common/vlan245\n    }\n"), 3,
               v + "vlans is not supported (irulesd listens on the destination address; remove the list)");
  expect_exact(virtual_with("    policies {\n        /Common/app4_ltPolicy { }\n    }\n"), 3,
               v + "policies (ltm policy) are not supported");
  expect_exact(virtual_with("    source-port change\n"), 3, v + "source-port change is not supported (preserve only)");
  expect_exact(virtual_with("    rate-limit 500\n"), 3, v + "rate-limit 500 is not supported (disabled or 0 only)");
  expect_exact(virtual_with("    translate-address disabled\n"), 3,
               v + "translate-address disabled is not supported (enabled only)");
  expect_exact(virtual_with("    translate-port maybe\n"), 3, v + "translate-port maybe must be enabled or disabled");
  expect_exact(virtual_with("    mirror sometimes\n"), 3, v + "mirror sometimes must be enabled or disabled");
  expect_exact(virtual_with("    last-hop-pool /Common/web_pool\n"), 3,
               v + "last-hop-pool /Common/web_pool is not supported (none only)");
}

TEST_CASE("config virtual: ltm virtual-address is accepted, what would change traffic is not", "[config]") {
  auto c = parse_ok(
      "ltm virtual-address /Common/192.168.1.21 {\n    address 192.168.1.21\n    arp enabled\n"
      "    mask 255.255.255.255\n    traffic-group /Common/traffic-group-1\n    icmp-echo disabled\n"
      "    route-advertisement disabled\n    enabled yes\n    connection-limit 0\n}\n"
      "ltm virtual-address /Common/0.0.0.0 { address any arp disabled icmp-echo disabled mask any "
      "traffic-group /Common/traffic-group-1 }\n");
  CHECK(c->virtuals.empty());
  expect_exact("ltm virtual-address /Common/1.1.1.1 {\n    address 1.1.1.1\n    enabled no\n}\n", 3,
               "ltm virtual-address /Common/1.1.1.1: enabled no is not supported (yes only)");
  expect_exact("ltm virtual-address /Common/1.1.1.1 {\n    connection-limit 100\n}\n", 2,
               "ltm virtual-address /Common/1.1.1.1: connection-limit 100 is not supported (0 only)");
  expect_exact("ltm virtual-address /Common/1.1.1.1 {\n    frob 1\n}\n", 2,
               "ltm virtual-address /Common/1.1.1.1: unknown property frob");
}
