// A bigip.conf with the object shapes of a real one (those of f5devcentral/f5-corkscrew's
// tests/artifacts/f5_corkscrew_test.conf, written here anew: APM, ASM, security and sys objects, ltm
// policies, fqdn nodes and members, pools with every option, persistence, SSL and fastL4 profiles,
// monitors of many types, virtual addresses, SNAT pools). Every object or property irulesd does not
// run gets one error, nothing crashes, nothing is dropped silently; the rest reaches the model.
#include <catch2/catch.hpp>

#include "core/config.h"
#include "test/unit/core_config_test_util.h"

using namespace irulesd;
using namespace config_test;

namespace {

const char* kShapes = R"CONF(#TMSH-VERSION: 15.1.8.2

analytics global-settings { }
apm aaa localdb /Common/users { }
apm policy access-policy /Common/portal_policy {
    default-ending /Common/portal_policy_end_deny
    items {
        /Common/portal_policy_ent { }
    }
    start-item /Common/portal_policy_ent
}
apm policy policy-item /Common/portal_policy_ent {
    caption Start
    rules {
        {
            caption fallback
            expression "expr {[mcget {session.logon.last.result}] == 1}"
            next-item /Common/portal_policy_end_deny
        }
    }
}
apm profile access /Common/portal {
    accept-languages { en }
    log-settings {
        /Common/default-log-setting
    }
    secure-cookie true
}
apm report default-report {
    report-name sessionReports/sessionSummary
}
asm policy /Common/waf_policy {
    active
    blocking-mode enabled
    description 'a waf policy'
}
auth remote-user {
    default-role admin
}
ilx global-settings {
    debug-port-blacklist { 47019 54321 }
}
ltm default-node-monitor {
    rule none
}
ltm node /Common/10.20.0.15 {
    address 10.20.0.15
    description mgmt01
}
ltm node /Common/web_a {
    address 192.168.10.22
}
ltm node /Common/web_b {
    address 192.168.10.23
    description web_b
}
ltm node /Common/api.example.net {
    fqdn {
        address-family all
        autopopulate enabled
        name api.example.net
    }
}
ltm policy /Common/route_policy {
    controls { forwarding }
    requires { http }
    rules {
        css_rule {
            actions {
                0 {
                    forward
                    select
                    pool /Common/web_pool
                }
            }
        }
    }
    strategy /Common/first-match
}
ltm pool /Common/web_pool {
    members {
        /Common/web_a:80 {
            address 192.168.10.22
        }
        /Common/web_b:80 {
            address 192.168.10.23
        }
    }
    monitor /Common/http and /Common/tcp
}
ltm pool /Common/lc_pool {
    load-balancing-mode least-connections-member
    members {
        /Common/web_a:8080 {
            address 192.168.10.22
        }
    }
    monitor /Common/site_http and /Common/site_https
}
ltm pool /Common/half_open_pool {
    load-balancing-mode least-connections-member
    members {
        /Common/web_b:8443 {
            address 192.168.10.23
        }
    }
    monitor /Common/quick_half_open and /Common/http_head_f5 and /Common/http
}
ltm pool /Common/everything_pool {
    allow-nat no
    allow-snat no
    description "every option"
    ignore-persisted-weight enabled
    ip-tos-to-client mimic
    ip-tos-to-server mimic
    link-qos-to-client 5
    link-qos-to-server 6
    load-balancing-mode observed-member
    members {
        /Common/10.3.0.10:80 {
            address 10.3.0.10
        }
        /Common/far.example.net:8443 {
            fqdn {
                autopopulate enabled
                name far.example.net
            }
        }
        /Common/near.example.net:443 {
            description x
            monitor /Common/http
            fqdn {
                name near.example.net
            }
        }
    }
    monitor min 2 of { /Common/gateway_icmp /Common/http /Common/http2 }
    profiles {
        /Common/nvgre
    }
    queue-depth-limit 66
    queue-time-limit 88
    reselect-tries 7
    service-down-action reset
    slow-ramp-time 300
}
ltm pool /Common/empty_pool { }
ltm rule /Common/tag_rule {
# a comment with a " quote
when HTTP_REQUEST {
    HTTP::header insert X-Tag "yes"
}
}
ltm snat-translation /Common/192.168.10.51 {
    address 192.168.10.51
    inherited-traffic-group true
    traffic-group /Common/traffic-group-1
}
ltm snatpool /Common/out_snat_pool {
    members {
        /Common/192.168.10.51
    }
}
ltm snatpool /Common/spare_snat_pool {
    members {
        /Common/2.2.2.1
        /Common/2.2.2.2
    }
}
ltm virtual /Common/web_80_vs {
    creation-time 2020-09-17:08:50:22
    destination /Common/192.168.10.21:80
    ip-protocol tcp
    last-modified-time 2020-09-17:08:51:07
    mask 255.255.255.255
    pool /Common/web_pool
    profiles {
        /Common/http { }
        /Common/tcp { }
    }
    rules {
        /Common/tag_rule
    }
    serverssl-use-sni disabled
    source 0.0.0.0/0
    source-address-translation {
        type automap
    }
    translate-address enabled
    translate-port enabled
}
ltm virtual /Common/gtm_only_vs {
    description "only for GTM"
    destination /Common/10.20.0.15:443
    ip-protocol tcp
    policies {
        /Common/route_policy { }
    }
    pool /Common/web_pool
    profiles {
        /Common/f5-tcp-progressive { }
        /Common/http { }
        /Common/websecurity { }
    }
    source 0.0.0.0/0
    vlans {
        /Common/vlan10
    }
    vlans-enabled
}
ltm virtual /Common/persist_vs {
    creation-time 2023-05-09:11:25:01
    description "cookie with a source address fallback"
    destination /Common/10.6.3.4:80
    fallback-persistence /Common/source_addr
    ip-protocol tcp
    mask 255.255.255.255
    persist {
        /Common/cookie {
            default yes
        }
    }
    profiles {
        /Common/http { }
        /Common/tcp { }
    }
    source 0.0.0.0/0
    translate-address enabled
    translate-port enabled
}
ltm virtual /Common/tls_vs {
    destination /Common/192.168.10.51:8443
    fallback-persistence /Common/src_persist
    ip-protocol tcp
    persist {
        /Common/site_cookie {
            default yes
        }
    }
    pool /Common/lc_pool
    profiles {
        /Common/site_clientssl {
            context clientside
        }
        /Common/site_serverssl {
            context serverside
        }
        /Common/http { }
        /Common/tcp { }
    }
    source 0.0.0.0/0
    source-address-translation {
        pool /Common/out_snat_pool
        type snat
    }
}
ltm virtual /Common/forwarder {
    destination /Common/0.0.0.0:0
    ip-forward
    mask any
    profiles {
        /Common/fastl4_loose { }
    }
    source 0.0.0.0/0
    translate-address disabled
    translate-port disabled
}
ltm virtual-address /Common/192.168.10.21 {
    address 192.168.10.21
    arp enabled
    mask 255.255.255.255
    traffic-group /Common/traffic-group-1
}
ltm data-group internal /Common/declarations {
    description "records with long data"
    records {
        0 {
            data "date^2020-10-05T11:30:18.975Z|id^1601897415002"
        }
        1 {
            data eNoNzL0OwyAMBOB38dwgm5TmZ6vatVvUoRsCS0GCEAHtEuXd6
        }
    }
    type integer
}
ltm data-group internal /Common/empty_store {
    type string
}
ltm monitor dns /Common/name_check {
    accept-rcode no-error
    defaults-from /Common/dns
    qname query.test.com
}
ltm monitor http /Common/site_http {
    adaptive disabled
    defaults-from /Common/http
    interval 5
    ip-dscp 0
    recv "ok 200"
    recv-disable none
    send "GET /health\r\n"
    time-until-up 0
    timeout 16
}
ltm monitor https /Common/site_https {
    adaptive disabled
    defaults-from /Common/https
    recv "201 continue"
}
ltm monitor tcp /Common/echo_tcp {
    adaptive disabled
    defaults-from /Common/tcp
    interval 5
    ip-dscp 0
    recv "pong"
    recv-disable none
    send "ping"
    time-until-up 0
    timeout 16
}
ltm monitor tcp-half-open /Common/quick_half_open {
    defaults-from /Common/tcp_half_open
    destination *:*
    interval 1
    time-until-up 0
    timeout 4
}
ltm persistence cookie /Common/site_cookie {
    always-send disabled
    app-service none
    cookie-encryption disabled
    cookie-name SiteCookie
    defaults-from /Common/cookie
    encrypt-cookie-poolname disabled
    expiration 0
    httponly enabled
    method insert
    override-connection-limit disabled
    secure enabled
}
ltm persistence source-addr /Common/src_persist {
    app-service none
    defaults-from /Common/source_addr
    hash-algorithm default
    map-proxies enabled
    mask none
    match-across-pools disabled
    match-across-services disabled
    match-across-virtuals disabled
    override-connection-limit disabled
    timeout 180
}
ltm profile client-ssl /Common/site_clientssl {
    app-service none
    cert-key-chain {
        default {
            cert /Common/default.crt
            key /Common/default.key
        }
    }
    defaults-from /Common/clientssl
}
ltm profile fastl4 /Common/fastl4_loose {
    app-service none
    loose-close enabled
}
ltm profile http /Common/site_http_profile {
    app-service none
    defaults-from /Common/http
    proxy-type reverse
}
ltm profile server-ssl /Common/site_serverssl {
    app-service none
    defaults-from /Common/serverssl
}
net dns-resolver /Common/resolver {
    forward-zones {
        example.com {
            nameservers {
                8.8.8.8:53 { }
            }
        }
    }
    route-domain /Common/0
}
pem global-settings analytics { }
security dos profile /Common/site_dos {
    app-service none
    description "a dos profile"
}
sys compatibility-level {
    level 0
}
sys file ssl-key /Common/site.key {
    cache-path /config/filestore/files_d/Common_d/certificate_key_d/:Common:site.key_1_1
    revision 1
}
wom endpoint-discovery { }
)CONF";

}  // namespace

TEST_CASE("config bigip.conf shapes: one error per object or property irulesd does not run", "[config]") {
  expect_all(kShapes, {
      "bigip.conf:3: analytics global-settings: object type is not supported",
      "bigip.conf:4: apm aaa localdb /Common/users: object type is not supported",
      "bigip.conf:5: apm policy access-policy /Common/portal_policy: object type is not supported",
      "bigip.conf:12: apm policy policy-item /Common/portal_policy_ent: object type is not supported",
      "bigip.conf:22: apm profile access /Common/portal: object type is not supported",
      "bigip.conf:29: apm report default-report: object type is not supported",
      "bigip.conf:32: asm policy /Common/waf_policy: object type is not supported",
      "bigip.conf:37: auth remote-user: object type is not supported",
      "bigip.conf:40: ilx global-settings: object type is not supported",
      "bigip.conf:58: ltm node /Common/api.example.net: fqdn nodes are not supported (give the node an address)",
      "bigip.conf:64: ltm policy /Common/route_policy: object type is not supported",
      "bigip.conf:107: ltm pool /Common/half_open_pool: monitor /Common/http_head_f5 is a BIG-IP built-in irulesd does not run (tcp, http, gateway_icmp and monitors derived from them)",
      "bigip.conf:110: ltm pool /Common/everything_pool: allow-nat no is not supported (yes only)",
      "bigip.conf:111: ltm pool /Common/everything_pool: allow-snat no is not supported (yes only)",
      "bigip.conf:113: ltm pool /Common/everything_pool: ignore-persisted-weight enabled is not supported (disabled only)",
      "bigip.conf:114: ltm pool /Common/everything_pool: ip-tos-to-client mimic is not supported (pass-through only)",
      "bigip.conf:115: ltm pool /Common/everything_pool: ip-tos-to-server mimic is not supported (pass-through only)",
      "bigip.conf:116: ltm pool /Common/everything_pool: link-qos-to-client 5 is not supported (pass-through only)",
      "bigip.conf:117: ltm pool /Common/everything_pool: link-qos-to-server 6 is not supported (pass-through only)",
      "bigip.conf:124: ltm pool /Common/everything_pool member /Common/far.example.net:8443: fqdn members are not supported (give the member an address)",
      "bigip.conf:132: ltm pool /Common/everything_pool member /Common/near.example.net:443: fqdn members are not supported (give the member an address)",
      "bigip.conf:137: ltm pool /Common/everything_pool: monitor /Common/http2 is a BIG-IP built-in irulesd does not run (tcp, http, gateway_icmp and monitors derived from them)",
      "bigip.conf:138: ltm pool /Common/everything_pool: profiles on a pool are not supported",
      "bigip.conf:141: ltm pool /Common/everything_pool: queue-depth-limit 66 is not supported (0 only)",
      "bigip.conf:142: ltm pool /Common/everything_pool: queue-time-limit 88 is not supported (0 only)",
      "bigip.conf:196: ltm virtual /Common/gtm_only_vs: policies (ltm policy) are not supported",
      "bigip.conf:201: ltm virtual /Common/gtm_only_vs: profile /Common/f5-tcp-progressive is a BIG-IP built-in irulesd does not support",
      "bigip.conf:203: ltm virtual /Common/gtm_only_vs: profile /Common/websecurity is a BIG-IP built-in irulesd does not support",
      "bigip.conf:206: ltm virtual /Common/gtm_only_vs: vlans is not supported (irulesd listens on the destination address; remove the list)",
      "bigip.conf:209: ltm virtual /Common/gtm_only_vs: vlans-enabled is not supported (irulesd listens on the destination address)",
      "bigip.conf:258: ltm virtual /Common/forwarder: destination /Common/0.0.0.0:0 is not an IPv4 A.B.C.D:PORT with a port 1-65535",
      "bigip.conf:259: ltm virtual /Common/forwarder: virtual server type ip-forward is not supported (standard virtuals only)",
      "bigip.conf:265: ltm virtual /Common/forwarder: translate-address disabled is not supported (enabled only)",
      "bigip.conf:266: ltm virtual /Common/forwarder: translate-port disabled is not supported (enabled only)",
      "bigip.conf:289: ltm monitor dns /Common/name_check: object type is not supported (monitors: tcp, http and gateway-icmp)",
      "bigip.conf:305: ltm monitor https /Common/site_https: object type is not supported (monitors: tcp, http and gateway-icmp)",
      "bigip.conf:321: ltm monitor tcp-half-open /Common/quick_half_open: object type is not supported (monitors: tcp, http and gateway-icmp)",
      "bigip.conf:353: ltm profile client-ssl /Common/site_clientssl: object type is not supported (profiles: http, tcp and one-connect)",
      "bigip.conf:363: ltm profile fastl4 /Common/fastl4_loose: object type is not supported (profiles: http, tcp and one-connect)",
      "bigip.conf:372: ltm profile server-ssl /Common/site_serverssl: object type is not supported (profiles: http, tcp and one-connect)",
      "bigip.conf:376: net dns-resolver /Common/resolver: object type is not supported",
      "bigip.conf:386: pem global-settings analytics: object type is not supported",
      "bigip.conf:387: security dos profile /Common/site_dos: object type is not supported",
      "bigip.conf:391: sys compatibility-level: object type is not supported",
      "bigip.conf:394: sys file ssl-key /Common/site.key: object type is not supported",
      "bigip.conf:398: wom endpoint-discovery: object type is not supported",
  });
}

namespace {

// The objects of kShapes that irulesd runs, as they stand there.
const char* kSupported = R"CONF(#TMSH-VERSION: 15.1.8.2

ltm default-node-monitor {
    rule none
}
ltm node /Common/web_a {
    address 192.168.10.22
}
ltm node /Common/web_b {
    address 192.168.10.23
    description web_b
}
ltm pool /Common/web_pool {
    members {
        /Common/web_a:80 {
            address 192.168.10.22
        }
        /Common/web_b:80 {
            address 192.168.10.23
        }
    }
    monitor /Common/http and /Common/tcp
}
ltm pool /Common/lc_pool {
    load-balancing-mode least-connections-member
    members {
        /Common/web_a:8080 {
            address 192.168.10.22
        }
    }
    monitor /Common/site_http and /Common/echo_tcp
    reselect-tries 7
    service-down-action reset
    slow-ramp-time 300
}
ltm rule /Common/tag_rule {
# a comment with a " quote
when HTTP_REQUEST {
    HTTP::header insert X-Tag "yes"
}
}
ltm snat-translation /Common/192.168.10.51 {
    address 192.168.10.51
    inherited-traffic-group true
    traffic-group /Common/traffic-group-1
}
ltm snatpool /Common/out_snat_pool {
    members {
        /Common/192.168.10.51
    }
}
ltm virtual /Common/persist_vs {
    creation-time 2023-05-09:11:25:01
    description "cookie with a source address fallback"
    destination /Common/10.6.3.4:80
    fallback-persistence /Common/src_persist
    ip-protocol tcp
    mask 255.255.255.255
    persist {
        /Common/site_cookie {
            default yes
        }
    }
    pool /Common/lc_pool
    profiles {
        /Common/site_http_profile { }
        /Common/tcp { }
    }
    rules {
        /Common/tag_rule
    }
    serverssl-use-sni disabled
    source 0.0.0.0/0
    source-address-translation {
        pool /Common/out_snat_pool
        type snat
    }
    translate-address enabled
    translate-port enabled
}
ltm virtual-address /Common/10.6.3.4 {
    address 10.6.3.4
    arp enabled
    mask 255.255.255.255
    traffic-group /Common/traffic-group-1
}
ltm monitor http /Common/site_http {
    adaptive disabled
    defaults-from /Common/http
    interval 5
    ip-dscp 0
    recv "ok 200"
    recv-disable none
    send "GET /health\r\n"
    time-until-up 0
    timeout 16
}
ltm monitor tcp /Common/echo_tcp {
    adaptive disabled
    defaults-from /Common/tcp
    interval 5
    ip-dscp 0
    recv "pong"
    recv-disable none
    send "ping"
    time-until-up 0
    timeout 16
}
ltm persistence cookie /Common/site_cookie {
    always-send disabled
    app-service none
    cookie-encryption disabled
    cookie-name SiteCookie
    defaults-from /Common/cookie
    encrypt-cookie-poolname disabled
    expiration 0
    httponly enabled
    method insert
    override-connection-limit disabled
    secure enabled
}
ltm persistence source-addr /Common/src_persist {
    app-service none
    defaults-from /Common/source_addr
    hash-algorithm default
    map-proxies enabled
    mask none
    match-across-pools disabled
    match-across-services disabled
    match-across-virtuals disabled
    override-connection-limit disabled
    timeout 180
}
ltm profile http /Common/site_http_profile {
    app-service none
    defaults-from /Common/http
    proxy-type reverse
}
)CONF";

}  // namespace

TEST_CASE("config bigip.conf shapes: what irulesd runs reaches the model", "[config]") {
  auto c = parse_ok(kSupported);
  CHECK(c->default_node_monitor.kind == MonitorRule::Kind::None);
  REQUIRE(c->nodes.size() == 2);
  CHECK(c->nodes[1].description == "web_b");
  REQUIRE(c->pools.size() == 2);
  CHECK(c->pools[0].monitor.monitors == std::vector<std::string>{"/Common/http", "/Common/tcp"});
  const Pool& lc = c->pools[1];
  CHECK(lc.lb_mode == LbMode::LeastConnectionsMember);
  CHECK(lc.reselect_tries == 7);
  CHECK(lc.service_down_action == ServiceDownAction::Reset);
  CHECK(lc.slow_ramp_time_s == 300);
  CHECK(lc.members[0].address == "192.168.10.22");
  const Monitor* site = c->find_monitor("/Common/site_http");
  REQUIRE(site);
  CHECK(site->recv == "ok 200");
  CHECK(site->send == "GET /health\\r\\n");
  CHECK(site->recv_disable.empty());
  CHECK(c->find_monitor("/Common/echo_tcp")->send == "ping");

  const VirtualServer& vs = c->virtuals[0];
  CHECK(vs.dest_address == "10.6.3.4");
  CHECK(vs.dest_port == 80);
  CHECK(vs.pool == "/Common/lc_pool");
  CHECK(vs.has_http_profile);
  CHECK(vs.http.name == "/Common/site_http_profile");
  CHECK(vs.tcp.name == "/Common/tcp");
  REQUIRE(vs.persist);
  CHECK(vs.persist->name == "/Common/site_cookie");
  CHECK(vs.persist->cookie_name == "SiteCookie");
  CHECK(vs.persist->expiration_s == 0);
  REQUIRE(vs.fallback_persist);
  CHECK(vs.fallback_persist->name == "/Common/src_persist");
  CHECK(vs.fallback_persist->timeout_s == 180);
  CHECK(vs.snat == SnatType::Snat);
  REQUIRE(vs.snat_pool);
  CHECK(vs.snat_pool->addresses == std::vector<std::string>{"192.168.10.51"});
  CHECK(vs.rules == std::vector<std::string>{"/Common/tag_rule"});
  REQUIRE(c->find_rule("/Common/tag_rule"));
  CHECK(c->find_rule("/Common/tag_rule")->text ==
        "\n# a comment with a \" quote\nwhen HTTP_REQUEST {\n    HTTP::header insert X-Tag \"yes\"\n}\n");
}
