// ltm profile http / tcp / one-connect: the properties of issue 4 (X-Forwarded-For, oversize handling,
// the request-head timeout, SYN retransmissions, OneConnect), client- and server-side tcp profiles.
#include <catch2/catch.hpp>

#include "core/config.h"
#include "test/unit/core_config_test_util.h"

using namespace irulesd;
using namespace config_test;

TEST_CASE("config profile: http defaults are /Common/http's", "[config]") {
  HttpProfile h;
  CHECK(h.name == "/Common/http");
  CHECK(h.max_header_size == 32768);
  CHECK(h.max_header_count == 64);
  CHECK_FALSE(h.insert_xforwarded_for);
  CHECK(h.oversize_client_headers == OversizeAction::Reject);
  CHECK(h.excess_client_headers == OversizeAction::Reject);
  CHECK(h.request_header_timeout_s == 0);
  const auto parsed = parse_ok(virtual_with("    profiles { http { } }\n"));   // kept alive: vs refers into it
  const VirtualServer& vs = parsed->virtuals[0];
  CHECK(vs.http.name == "/Common/http");
  CHECK_FALSE(vs.http.insert_xforwarded_for);
}

TEST_CASE("config profile: http properties, top level and in enforcement { }", "[config]") {
  auto c = parse_ok(
      "ltm profile http /Common/xff {\n    app-service none\n    defaults-from /Common/http\n"
      "    insert-xforwarded-for enabled\n    proxy-type reverse\n    irulesd-request-header-timeout 10\n"
      "    enforcement {\n        max-header-count 32\n        max-header-size 8192\n"
      "        oversize-client-headers pass-through\n        excess-client-headers pass-through\n"
      "        pipeline allow\n        unknown-method allow\n        max-requests 0\n"
      "        known-methods { CONNECT DELETE GET HEAD LOCK OPTIONS POST PROPFIND PUT TRACE UNLOCK }\n"
      "        oversize-server-headers reject\n    }\n}\n"
      "ltm profile http /Common/child { defaults-from xff max-header-count 16 insert-xforwarded-for disabled }\n" +
      virtual_with("    profiles { child { } tcp { } }\n"));
  const HttpProfile& x = c->http_profiles[0];
  CHECK(x.insert_xforwarded_for);
  CHECK(x.max_header_count == 32);
  CHECK(x.max_header_size == 8192);
  CHECK(x.oversize_client_headers == OversizeAction::PassThrough);
  CHECK(x.excess_client_headers == OversizeAction::PassThrough);
  CHECK(x.request_header_timeout_s == 10);
  const HttpProfile& vs_http = c->virtuals[0].http;
  CHECK(vs_http.name == "/Common/child");
  CHECK_FALSE(vs_http.insert_xforwarded_for);
  CHECK(vs_http.max_header_count == 16);
  CHECK(vs_http.max_header_size == 8192);
  CHECK(vs_http.request_header_timeout_s == 10);
}

TEST_CASE("config profile: bad http values", "[config]") {
  const std::string h = "ltm profile http /Common/h: ";
  auto http = [](const std::string& line) { return "ltm profile http h {\n    defaults-from http\n" + line + "}\n"; };
  expect_exact(http("    insert-xforwarded-for yes\n"), 3, h + "insert-xforwarded-for yes must be enabled or disabled");
  expect_exact(http("    enforcement {\n        oversize-client-headers drop\n    }\n"), 4,
               h + "oversize-client-headers drop must be reject or pass-through");
  expect_exact(http("    enforcement {\n        max-header-size 0\n    }\n"), 4, h + "max-header-size 0 is not a positive integer");
  expect_exact(http("    enforcement {\n        max-requests 100\n    }\n"), 4, h + "max-requests 100 is not supported (0 only)");
  expect_exact(http("    enforcement {\n        pipeline reject\n    }\n"), 4, h + "pipeline reject is not supported (allow only)");
  expect_exact(http("    enforcement x\n"), 3, h + "enforcement takes a { } block, not x");
  expect_exact(http("    irulesd-request-header-timeout soon\n"), 3,
               h + "irulesd-request-header-timeout soon is not an integer from 0 to 4294967295");
  expect_exact(http("    redirect-rewrite matching\n"), 3, h + "redirect-rewrite matching is not supported (none only)");
  expect_exact(http("    proxy-type explicit\n"), 3, h + "proxy-type explicit is not supported (reverse only)");
  expect_exact(http("    request-chunking rechunk\n"), 3,
               h + "request-chunking rechunk is not supported (preserve, selective or sustain only)");
  expect_exact(http("    hsts { mode enabled }\n"), 3, h + "unknown property hsts");
  expect_exact("ltm profile http h {\n    defaults-from /Common/http-explicit\n}\n", 2,
               h + "defaults-from /Common/http-explicit is a BIG-IP built-in irulesd does not have (derive from "
                   "/Common/http)");
  expect_exact("ltm profile http h {\n    defaults-from /Common/oneconnect\n}\n", 2,
               h + "defaults-from /Common/oneconnect is not an http profile");
}

TEST_CASE("config profile: tcp syn-max-retrans gives the connect timeout", "[config]") {
  TcpProfile t;
  CHECK(t.syn_max_retrans == 3);
  CHECK(t.connect_timeout_ms() == 21000);
  auto c = parse_ok(
      "ltm profile tcp fast { defaults-from tcp syn-max-retrans 2 }\n"
      "ltm profile tcp none { defaults-from fast syn-max-retrans 0 idle-timeout 60 }\n"
      "ltm profile tcp slow { defaults-from tcp syn-max-retrans 4 }\n"
      "ltm profile tcp tuned {\n    defaults-from tcp\n    nagle disabled\n    delayed-acks enabled\n"
      "    proxy-buffer-high 131072\n    proxy-buffer-low 98304\n    receive-window-size 131072\n"
      "    send-buffer-size 262144\n    congestion-control cubic\n    init-cwnd 10\n    app-service none\n}\n");
  CHECK(c->tcp_profiles[0].syn_max_retrans == 2);
  CHECK(c->tcp_profiles[0].connect_timeout_ms() == 9000);
  CHECK(c->tcp_profiles[1].syn_max_retrans == 0);
  CHECK(c->tcp_profiles[1].connect_timeout_ms() == 3000);
  CHECK(c->tcp_profiles[1].idle_timeout_s == 60);
  CHECK(c->tcp_profiles[2].connect_timeout_ms() == 45000);
  CHECK(c->tcp_profiles[3].syn_max_retrans == 3);
  expect_exact("ltm profile tcp t {\n    defaults-from tcp\n    syn-max-retrans 256\n}\n", 3,
               "ltm profile tcp /Common/t: syn-max-retrans 256 is more than 255");
  expect_exact("ltm profile tcp t {\n    defaults-from /Common/f5-tcp-progressive\n}\n", 2,
               "ltm profile tcp /Common/t: defaults-from /Common/f5-tcp-progressive is a BIG-IP built-in irulesd "
               "does not have (derive from /Common/tcp)");
}

TEST_CASE("config profile: client- and server-side tcp profiles", "[config]") {
  auto c = parse_ok(
      "ltm profile tcp /Common/wan { defaults-from tcp idle-timeout 600 }\n"
      "ltm profile tcp /Common/lan { defaults-from tcp syn-max-retrans 1 }\n" +
      virtual_with("    profiles {\n        /Common/wan { context clientside }\n        /Common/lan { context serverside }\n"
                   "    }\n") +
      "ltm virtual /Common/w { destination 10.0.0.1:81 profiles { lan { } } }\n"
      "ltm virtual /Common/x { destination 10.0.0.1:82 }\n");
  const VirtualServer& v = c->virtuals[0];
  CHECK(v.tcp.name == "/Common/wan");
  CHECK(v.tcp.idle_timeout_s == 600);
  CHECK(v.server_tcp.name == "/Common/lan");
  CHECK(v.server_tcp.syn_max_retrans == 1);
  CHECK(c->virtuals[1].tcp.name == "/Common/lan");
  CHECK(c->virtuals[1].server_tcp.name == "/Common/lan");
  CHECK(c->virtuals[2].tcp.name == "/Common/tcp");
  CHECK(c->virtuals[2].server_tcp.name == "/Common/tcp");
  CHECK(c->virtuals[2].server_tcp.connect_timeout_ms() == 21000);
  expect_exact("ltm profile tcp /Common/a { defaults-from tcp }\n" +
                   virtual_with("    profiles {\n        /Common/tcp { context serverside }\n"
                                "        /Common/a { context all }\n    }\n"),
               6, "ltm virtual /Common/v: more than one tcp profile is attached");
}

TEST_CASE("config profile: one-connect defaults and properties", "[config]") {
  OneConnectProfile d;
  CHECK(d.name == "/Common/oneconnect");
  CHECK(d.source_mask == 0);
  CHECK(d.max_size == 10000);
  CHECK(d.max_age_s == 86400);
  CHECK(d.max_reuse == 1000);
  CHECK(d.idle_timeout_override_s == OneConnectProfile::kIdleTimeoutOverrideDisabled);
  auto c = parse_ok(
      "ltm profile one-connect /Common/oc {\n    app-service none\n    defaults-from /Common/oneconnect\n"
      "    idle-timeout-override 30\n    limit-type none\n    max-age 3600\n    max-reuse 100\n    max-size 500\n"
      "    share-pools disabled\n    source-mask 255.255.255.0\n}\n"
      "ltm profile one-connect forever { defaults-from oc idle-timeout-override indefinite source-mask any }\n"
      "ltm profile one-connect off { defaults-from forever idle-timeout-override disabled source-mask 0.0.0.0 }\n" +
      virtual_with("    profiles { http { } oc { } }\n") +
      "ltm virtual /Common/w { destination 10.0.0.1:81 profiles { http { } oneconnect { } } }\n"
      "ltm virtual /Common/x { destination 10.0.0.1:82 profiles { http { } } }\n");
  REQUIRE(c->oneconnect_profiles.size() == 3);
  const OneConnectProfile& oc = c->oneconnect_profiles[0];
  CHECK(oc.source_mask == 0xffffff00u);
  CHECK(oc.max_size == 500);
  CHECK(oc.max_age_s == 3600);
  CHECK(oc.max_reuse == 100);
  CHECK(oc.idle_timeout_override_s == 30);
  CHECK(oc.loc.line == 1);
  CHECK(c->oneconnect_profiles[1].idle_timeout_override_s == OneConnectProfile::kIdleTimeoutOverrideIndefinite);
  CHECK(c->oneconnect_profiles[1].source_mask == 0);
  CHECK(c->oneconnect_profiles[1].max_size == 500);
  CHECK(c->oneconnect_profiles[2].idle_timeout_override_s == OneConnectProfile::kIdleTimeoutOverrideDisabled);
  REQUIRE(c->virtuals[0].oneconnect);
  CHECK(c->virtuals[0].oneconnect->name == "/Common/oc");
  CHECK(c->virtuals[0].oneconnect->max_reuse == 100);
  REQUIRE(c->virtuals[1].oneconnect);
  CHECK(c->virtuals[1].oneconnect->name == "/Common/oneconnect");
  CHECK(c->virtuals[1].oneconnect->max_size == 10000);
  CHECK_FALSE(c->virtuals[2].oneconnect);
}

TEST_CASE("config profile: bad one-connect values", "[config]") {
  const std::string o = "ltm profile one-connect /Common/o: ";
  auto oc = [](const std::string& line) {
    return "ltm profile one-connect o {\n    defaults-from oneconnect\n" + line + "}\n";
  };
  expect_exact(oc("    source-mask 255.0.255.0\n"), 3, o + "source-mask 255.0.255.0 is not an IPv4 netmask or any");
  expect_exact(oc("    source-mask 24\n"), 3, o + "source-mask 24 is not an IPv4 netmask or any");
  expect_exact(oc("    max-size lots\n"), 3, o + "max-size lots is not an integer from 0 to 4294967295");
  expect_exact(oc("    idle-timeout-override 0\n"), 3,
               o + "idle-timeout-override 0 is not a positive integer, disabled or indefinite");
  expect_exact(oc("    limit-type strict\n"), 3, o + "limit-type strict is not supported (none only)");
  expect_exact(oc("    share-pools enabled\n"), 3, o + "share-pools enabled is not supported (disabled only)");
  expect_exact("ltm profile one-connect o { max-size 5 }\n", 1,
               o + "missing defaults-from (a custom one-connect profile derives from /Common/oneconnect)");
  expect_exact("ltm profile one-connect /Common/oneconnect { defaults-from oneconnect }\n", 1,
               "ltm profile one-connect /Common/oneconnect: a built-in profile cannot be redefined");
  // OneConnect reuses server connections between HTTP requests: without an http profile there are none.
  expect_exact(virtual_with("    profiles {\n        tcp { }\n        oneconnect { }\n    }\n"), 5,
               "ltm virtual /Common/v: profile /Common/oneconnect (one-connect) requires an http profile on the same "
               "virtual");
  expect_exact("ltm profile one-connect o { defaults-from oneconnect }\n" +
                   virtual_with("    profiles {\n        http { }\n        oneconnect { }\n        o { }\n    }\n"),
               7, "ltm virtual /Common/v: more than one one-connect profile is attached");
}

TEST_CASE("config profile: BIG-IP's profiles irulesd lacks", "[config]") {
  expect_exact(virtual_with("    profiles {\n        /Common/http { }\n        /Common/clientssl { context clientside }\n"
                            "    }\n"),
               5, "ltm virtual /Common/v: profile /Common/clientssl is a BIG-IP built-in irulesd does not support");
  // A custom profile of a type irulesd lacks: one error, at its definition.
  expect_all(
      "ltm profile client-ssl /Common/app3_clientssl {\n    app-service none\n    cert-key-chain {\n"
      "        default {\n            cert /Common/default.crt\n            key /Common/default.key\n        }\n"
      "    }\n    defaults-from /Common/clientssl\n}\n" +
          virtual_with("    profiles {\n        /Common/app3_clientssl { context clientside }\n        /Common/http { }\n"
                       "    }\n"),
      {"bigip.conf:1: ltm profile client-ssl /Common/app3_clientssl: object type is not supported (profiles: http, "
       "tcp and one-connect)"});
}
