// ltm persistence source-addr / cookie / universal / hash, and a virtual's persist and
// fallback-persistence: the built-ins with BIG-IP's defaults, every property, every bad value.
#include <catch2/catch.hpp>

#include "core/config.h"
#include "test/unit/core_config_test_util.h"

using namespace irulesd;
using namespace config_test;

namespace {

const char* kHttp = "    profiles { /Common/http { } /Common/tcp { } }\n";

}  // namespace

TEST_CASE("config persistence: the built-ins carry BIG-IP's defaults", "[config]") {
  auto c = parse_ok("");
  CHECK(builtin_persistence_profiles().size() == 4);
  const std::pair<const char*, PersistenceType> builtins[] = {{"/Common/source_addr", PersistenceType::SourceAddr},
                                                              {"/Common/cookie", PersistenceType::Cookie},
                                                              {"/Common/universal", PersistenceType::Universal},
                                                              {"/Common/hash", PersistenceType::Hash}};
  for (const auto& [name, type] : builtins) {
    INFO(name);
    const PersistenceProfile* p = c->find_persistence(name);
    REQUIRE(p);
    CHECK(p->type == type);
    CHECK(p->timeout_s == 180);
    CHECK_FALSE(p->match_across_services);
    CHECK_FALSE(p->match_across_virtuals);
    CHECK_FALSE(p->match_across_pools);
    CHECK_FALSE(p->override_connection_limit);
    CHECK(p->mask == 0xffffffffu);
    CHECK(p->hash_algorithm == PersistHashAlgorithm::Default);
    CHECK(p->cookie_name.empty());
    CHECK(p->expiration_s == 0);
    CHECK(p->httponly);
    CHECK(p->secure);
    CHECK_FALSE(p->always_send);
    CHECK(p->rule.empty());
    CHECK(p->defaults_from.empty());
  }
  CHECK(c->find_persistence("source_addr") == c->find_persistence("/Common/source_addr"));
  CHECK(c->find_persistence("/Common/dest_addr") == nullptr);
}

TEST_CASE("config persistence: source-addr as tmsh saves it", "[config]") {
  auto c = parse_ok(
      "ltm persistence source-addr /Common/app3_srcAddr_persist {\n"
      "    app-service none\n    defaults-from /Common/source_addr\n    hash-algorithm carp\n"
      "    map-proxies enabled\n    mask 255.255.255.0\n    match-across-pools enabled\n"
      "    match-across-services enabled\n    match-across-virtuals enabled\n    mirror disabled\n"
      "    override-connection-limit enabled\n    timeout 3600\n    description \"sticky\"\n}\n"
      "ltm persistence source-addr forever { defaults-from app3_srcAddr_persist timeout indefinite mask none }\n");
  REQUIRE(c->persistence_profiles.size() == 2);
  const PersistenceProfile& p = c->persistence_profiles[0];
  CHECK(p.name == "/Common/app3_srcAddr_persist");
  CHECK(p.type == PersistenceType::SourceAddr);
  CHECK(p.defaults_from == "/Common/source_addr");
  CHECK(p.hash_algorithm == PersistHashAlgorithm::Carp);
  CHECK(p.mask == 0xffffff00u);
  CHECK(p.match_across_pools);
  CHECK(p.match_across_services);
  CHECK(p.match_across_virtuals);
  CHECK(p.override_connection_limit);
  CHECK(p.timeout_s == 3600);
  CHECK(p.description == "sticky");
  CHECK(p.loc.line == 1);
  const PersistenceProfile& f = c->persistence_profiles[1];
  CHECK(f.timeout_s == 0);
  CHECK(f.mask == 0xffffffffu);
  CHECK(f.match_across_pools);   // inherited
  CHECK(c->find_persistence("forever") == &f);
}

TEST_CASE("config persistence: cookie insert as tmsh saves it", "[config]") {
  auto c = parse_ok(
      "ltm persistence cookie /Common/app3_cookie {\n    always-send enabled\n    app-service none\n"
      "    cookie-encryption disabled\n    cookie-name app3CustomeCookie\n    defaults-from /Common/cookie\n"
      "    encrypt-cookie-poolname disabled\n    expiration 1:0:0:0\n    httponly disabled\n    method insert\n"
      "    override-connection-limit disabled\n    secure disabled\n}\n"
      "ltm persistence cookie quoted { defaults-from cookie cookie-name \"my cookie\" expiration 0 }\n"
      "ltm persistence cookie session { defaults-from app3_cookie expiration \"session cookie\" }\n");
  const PersistenceProfile& p = c->persistence_profiles[0];
  CHECK(p.type == PersistenceType::Cookie);
  CHECK(p.always_send);
  CHECK(p.cookie_name == "app3CustomeCookie");
  CHECK(p.expiration_s == 86400);
  CHECK_FALSE(p.httponly);
  CHECK_FALSE(p.secure);
  CHECK(c->persistence_profiles[1].cookie_name == "my cookie");
  CHECK(c->persistence_profiles[1].expiration_s == 0);
  CHECK(c->persistence_profiles[2].expiration_s == 0);
  CHECK(c->persistence_profiles[2].cookie_name == "app3CustomeCookie");
  for (const auto& [text, seconds] : std::vector<std::pair<std::string, uint32_t>>{
           {"90", 90}, {"5:00", 300}, {"1:30:00", 5400}, {"2:0:0:30", 172830}}) {
    INFO(text);
    CHECK(parse_ok("ltm persistence cookie c { defaults-from cookie expiration " + text + " }\n")
              ->persistence_profiles[0]
              .expiration_s == seconds);
  }
}

TEST_CASE("config persistence: bad cookie values", "[config]") {
  const std::string c = "ltm persistence cookie /Common/c: ";
  auto cookie = [](const std::string& line) {
    return "ltm persistence cookie c {\n    defaults-from /Common/cookie\n" + line + "}\n";
  };
  expect_exact(cookie("    method rewrite\n"), 3, c + "method rewrite is not supported (insert only)");
  expect_exact(cookie("    method passive\n"), 3, c + "method passive is not supported (insert only)");
  expect_exact(cookie("    method hash\n"), 3, c + "method hash is not supported (insert only)");
  expect_exact(cookie("    method bake\n"), 3, c + "method bake must be insert, hash, passive or rewrite");
  expect_exact(cookie("    expiration 1:60\n"), 3,
               c + "expiration 1:60 is not a duration (seconds, m:s, h:m:s or d:h:m:s; 0 = session cookie)");
  expect_exact(cookie("    expiration tomorrow\n"), 3,
               c + "expiration tomorrow is not a duration (seconds, m:s, h:m:s or d:h:m:s; 0 = session cookie)");
  expect_exact(cookie("    httponly yes\n"), 3, c + "httponly yes must be enabled or disabled");
  expect_exact(cookie("    cookie-encryption required\n"), 3, c + "cookie-encryption required is not supported (disabled only)");
  expect_exact(cookie("    encrypt-cookie-poolname enabled\n"), 3,
               c + "encrypt-cookie-poolname enabled is not supported (disabled only)");
  expect_exact(cookie("    timeout 0\n"), 3, c + "timeout 0 is not a positive integer or indefinite");
  expect_exact(cookie("    mask 255.255.255.0\n"), 3, c + "unknown property mask");
  expect_exact(cookie("    cookie-name\n"), 3, c + "cookie-name is missing its value");
}

TEST_CASE("config persistence: bad source-addr values and defaults-from", "[config]") {
  const std::string s = "ltm persistence source-addr /Common/s: ";
  auto src = [](const std::string& line) {
    return "ltm persistence source-addr s {\n    defaults-from /Common/source_addr\n" + line + "}\n";
  };
  expect_exact(src("    mask 255.0.255.0\n"), 3, s + "mask 255.0.255.0 is not an IPv4 netmask or none");
  expect_exact(src("    hash-algorithm md5\n"), 3, s + "hash-algorithm md5 must be default or carp");
  expect_exact(src("    match-across-pools yes\n"), 3, s + "match-across-pools yes must be enabled or disabled");
  expect_exact(src("    cookie-name x\n"), 3, s + "unknown property cookie-name");
  expect_exact("ltm persistence source-addr s {\n    defaults-from /Common/cookie\n}\n", 2,
               s + "defaults-from /Common/cookie is not a source-addr persistence profile");
  expect_exact("ltm persistence source-addr s {\n    defaults-from /Common/dest_addr\n}\n", 2,
               s + "defaults-from /Common/dest_addr is a BIG-IP built-in irulesd does not have (derive from "
                   "/Common/source_addr)");
  expect_exact("ltm persistence source-addr s {\n    defaults-from nothing\n}\n", 2,
               s + "defaults-from /Common/nothing: persistence profile does not exist");
  expect_exact("ltm persistence source-addr s { timeout 5 }\n", 1,
               s + "missing defaults-from (a custom source-addr persistence profile derives from /Common/source_addr)");
  expect_exact("ltm persistence cookie /Common/cookie { defaults-from cookie }\n", 1,
               "ltm persistence cookie /Common/cookie: a built-in persistence profile cannot be redefined");
  expect_exact("ltm persistence dest-addr /Common/d {\n    defaults-from /Common/dest_addr\n}\n", 1,
               "ltm persistence dest-addr /Common/d: object type is not supported (persistence: source-addr, cookie, "
               "universal and hash)");
  expect_exact("ltm persistence global-settings { }\n", 1,
               "ltm persistence global-settings: object type is not supported (persistence: source-addr, cookie, "
               "universal and hash)");
}

TEST_CASE("config persistence: universal and hash with their rule", "[config]") {
  TempDir dir;
  dir.write("from_file.tcl", "when HTTP_RESPONSE { persist add uie [HTTP::cookie x] }\n");
  auto c = parse_ok(
      "ltm rule /Common/uie_rule {\nwhen HTTP_REQUEST { persist uie [HTTP::cookie x] }\n}\n"
      "ltm persistence universal /Common/u {\n    defaults-from /Common/universal\n    rule /Common/uie_rule\n"
      "    timeout 600\n    match-across-virtuals enabled\n}\n"
      "ltm persistence hash /Common/h {\n    defaults-from /Common/hash\n    rule from_file\n    hash-algorithm carp\n"
      "    hash-offset 0\n    hash-length 0\n    hash-start-pattern none\n    hash-end-pattern none\n"
      "    hash-buffer-limit 0\n}\n"
      "ltm persistence universal /Common/u2 { defaults-from u }\n",
      dir.path.string());
  const PersistenceProfile& u = c->persistence_profiles[0];
  CHECK(u.type == PersistenceType::Universal);
  CHECK(u.rule == "/Common/uie_rule");
  CHECK(u.timeout_s == 600);
  CHECK(u.match_across_virtuals);
  const PersistenceProfile& h = c->persistence_profiles[1];
  CHECK(h.type == PersistenceType::Hash);
  CHECK(h.rule == "/Common/from_file");
  CHECK(h.hash_algorithm == PersistHashAlgorithm::Carp);
  CHECK(c->persistence_profiles[2].rule == "/Common/uie_rule");
  REQUIRE(c->find_rule("/Common/from_file"));
  CHECK(c->find_rule("/Common/from_file")->text == "when HTTP_RESPONSE { persist add uie [HTTP::cookie x] }\n");

  expect_error("ltm persistence universal u {\n    defaults-from universal\n    rule missing\n}\n", 3,
               "ltm persistence universal /Common/u: rule /Common/missing is not defined inline and");
  expect_exact("ltm persistence hash h {\n    defaults-from hash\n    hash-length 16\n}\n", 3,
               "ltm persistence hash /Common/h: hash-length 16 is not supported (0 only)");
  expect_exact("ltm persistence hash h {\n    defaults-from hash\n    hash-start-pattern \"id=\"\n}\n", 3,
               "ltm persistence hash /Common/h: hash-start-pattern \"id=\" is not supported (none only)");
  expect_exact("ltm persistence universal u {\n    defaults-from universal\n    rule\n}\n", 3,
               "ltm persistence universal /Common/u: rule is missing its value");
}

TEST_CASE("config persistence: a virtual's persist and fallback-persistence", "[config]") {
  auto c = parse_ok(
      "ltm persistence cookie /Common/app3_cookie { defaults-from /Common/cookie cookie-name c3 }\n"
      "ltm rule /Common/uie_rule {\nwhen HTTP_REQUEST { persist uie [HTTP::cookie x] }\n}\n"
      "ltm rule /Common/other {\nwhen HTTP_REQUEST { }\n}\n"
      "ltm persistence universal /Common/u { defaults-from universal rule uie_rule }\n" +
      virtual_with(std::string(kHttp) +
                   "    persist {\n        /Common/app3_cookie {\n            default yes\n        }\n    }\n"
                   "    fallback-persistence /Common/source_addr\n") +
      "ltm virtual /Common/w {\n    destination 10.0.0.1:81\n    rules { other }\n    persist { u { default yes } }\n}\n"
      "ltm virtual /Common/x {\n    destination 10.0.0.1:82\n    rules { uie_rule other }\n    persist { u }\n"
      "    fallback-persistence none\n}\n"
      "ltm virtual /Common/y { destination 10.0.0.1:83 fallback-persistence u }\n");
  const VirtualServer& v = c->virtuals[0];
  REQUIRE(v.persist);
  CHECK(v.persist->name == "/Common/app3_cookie");
  CHECK(v.persist->type == PersistenceType::Cookie);
  CHECK(v.persist->cookie_name == "c3");
  REQUIRE(v.fallback_persist);
  CHECK(v.fallback_persist->name == "/Common/source_addr");
  CHECK(v.fallback_persist->type == PersistenceType::SourceAddr);
  // The universal profile's rule runs on the virtual, after the rules attached to it, once.
  const VirtualServer& w = c->virtuals[1];
  REQUIRE(w.persist);
  CHECK(w.persist->rule == "/Common/uie_rule");
  CHECK(w.rules == std::vector<std::string>{"/Common/other", "/Common/uie_rule"});
  CHECK_FALSE(w.fallback_persist);
  CHECK(c->virtuals[2].rules == std::vector<std::string>{"/Common/uie_rule", "/Common/other"});
  CHECK_FALSE(c->virtuals[2].fallback_persist);
  CHECK_FALSE(c->virtuals[3].persist);
  CHECK(c->virtuals[3].rules == std::vector<std::string>{"/Common/uie_rule"});
  CHECK_FALSE(parse_ok(virtual_with(""))->virtuals[0].persist);
}

TEST_CASE("config persistence: bad persist and fallback-persistence", "[config]") {
  const std::string v = "ltm virtual /Common/v: ";
  expect_exact(virtual_with("    persist {\n        /Common/cookie { default yes }\n    }\n"), 4,
               v + "persistence profile /Common/cookie (cookie) requires an http profile on the same virtual");
  expect_exact(virtual_with(std::string(kHttp) + "    fallback-persistence /Common/cookie\n"), 4,
               v + "fallback-persistence /Common/cookie: a cookie persistence profile cannot be the fallback "
                   "(source-addr, universal or hash)");
  expect_exact(virtual_with("    persist {\n        source_addr { default yes }\n        hash { default no }\n    }\n"),
               5, v + "persist: more than one persistence profile (irulesd runs one; a second one belongs in "
                      "fallback-persistence)");
  expect_exact(virtual_with("    persist {\n        source_addr { default no }\n    }\n"), 4,
               v + "persist /Common/source_addr: default no is not supported (the profile a virtual persists with "
                   "is its default one)");
  expect_exact(virtual_with("    persist {\n        source_addr { default maybe }\n    }\n"), 4,
               "ltm virtual /Common/v persist /Common/source_addr: default maybe must be yes or no");
  expect_exact(virtual_with("    persist {\n        source_addr { mirror yes }\n    }\n"), 4,
               "ltm virtual /Common/v persist /Common/source_addr: unknown property mirror");
  expect_exact(virtual_with("    persist {\n        /Common/nothing { default yes }\n    }\n"), 4,
               v + "persistence profile /Common/nothing does not exist");
  expect_exact(virtual_with("    persist {\n        /Common/dest_addr { default yes }\n    }\n"), 4,
               v + "persistence profile /Common/dest_addr is a BIG-IP built-in irulesd does not support");
  expect_exact(virtual_with("    fallback-persistence /Common/ssl\n"), 3,
               v + "persistence profile /Common/ssl is a BIG-IP built-in irulesd does not support");
  expect_exact(virtual_with("    persist source_addr\n"), 3, v + "persist takes a { } block, not source_addr");
  // A persistence profile of a type irulesd lacks: its definition has the one error.
  expect_all("ltm persistence ssl /Common/s { defaults-from /Common/ssl }\n" +
                 virtual_with("    persist {\n        /Common/s { default yes }\n    }\n"),
             {"bigip.conf:1: ltm persistence ssl /Common/s: object type is not supported (persistence: source-addr, "
              "cookie, universal and hash)"});
}
