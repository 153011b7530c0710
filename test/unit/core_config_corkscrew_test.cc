// A real public bigip.conf (test/fixtures/corkscrew: F5's f5-corkscrew test artifact, Apache-2.0, see
// NOTICE there) through the parser: it does not crash, refuses the file, and gives one clear error,
// with its line, per object or property irulesd does not run — and none for what it does run (nodes
// with addresses, pools, rules, snat pools, data groups, tcp/http monitors, cookie and source-addr
// persistence, http profiles).
#include <catch2/catch.hpp>

#include <filesystem>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "core/config.h"

using namespace irulesd;

namespace {

std::string fixture_path() {
  const std::filesystem::path relative = "test/fixtures/corkscrew/f5_corkscrew_test.conf";
  if (std::filesystem::exists(relative)) return relative.string();   // ctest runs in the source dir
  return (std::filesystem::path(__FILE__).parent_path() / "../fixtures/corkscrew/f5_corkscrew_test.conf").string();
}

const ConfigLoadResult& corkscrew() {
  static const ConfigLoadResult result = load_config(fixture_path(), "/nonexistent");
  return result;
}

// "LINE: MESSAGE" for every error, in order.
std::vector<std::string> errors() {
  std::vector<std::string> out;
  for (const ConfigError& e : corkscrew().errors) out.push_back(std::to_string(e.line) + ": " + e.message);
  return out;
}

bool has(const std::string& line_and_message) {
  for (const std::string& e : errors()) {
    if (e == line_and_message) return true;
  }
  return false;
}

}  // namespace

TEST_CASE("corkscrew: the file is refused with 181 errors, each with a line, none twice", "[corkscrew]") {
  REQUIRE(std::filesystem::exists(fixture_path()));
  const ConfigLoadResult& r = corkscrew();
  CHECK_FALSE(r.config);
  CHECK(r.errors.size() == 181);
  std::set<std::string> seen;
  for (const ConfigError& e : r.errors) {
    INFO(e.str());
    CHECK(e.line > 0);
    CHECK_FALSE(e.message.empty());
    CHECK(seen.insert(e.str()).second);
  }
}

TEST_CASE("corkscrew: one error per object of a module irulesd lacks", "[corkscrew]") {
  // Counted by the object's first word(s): every apm, asm, auth, ilx, pem, net dns-resolver/ipsec
  // object and analytics gives exactly one "object type is not supported".
  std::map<std::string, int> per_module;
  for (const ConfigError& e : corkscrew().errors) {
    if (e.message.find(": object type is not supported") == std::string::npos) continue;
    per_module[e.message.substr(0, e.message.find(' '))]++;
  }
  CHECK(per_module["apm"] == 72);
  CHECK(per_module["asm"] == 46);
  CHECK(per_module["auth"] == 5);
  CHECK(per_module["pem"] == 3);
  CHECK(per_module["net"] == 2);
  CHECK(per_module["ilx"] == 1);
  CHECK(per_module["analytics"] == 1);
  CHECK(has("3: analytics global-settings: object type is not supported"));
  CHECK(has("602: asm policy /Common/basic_policy_1: object type is not supported"));
  CHECK(has("665: auth radius-server /Common/system_auth_name1: object type is not supported"));
  CHECK(has("1470: net dns-resolver /Common/f5-aws-dns: object type is not supported"));
}

TEST_CASE("corkscrew: ltm objects irulesd does not run, each named with the reason", "[corkscrew]") {
  CHECK(has("693: ltm node /Common/api.chucknorris.io: fqdn nodes are not supported (give the node an address)"));
  CHECK(has("745: ltm policy /Common/app4_ltPolicy: object type is not supported"));
  CHECK(has("1318: ltm monitor dns /Common/dubNameTst1_monitor: object type is not supported (monitors: tcp, "
            "http and gateway-icmp)"));
  CHECK(has("1442: ltm profile fastl4 /Common/fastl4_loose: object type is not supported (profiles: http, tcp "
            "and one-connect)"));
  CHECK(has("830: ltm pool /Common/bigiq.benlab.io_t443_pool: monitor /Common/https_head_f5 is a BIG-IP built-in "
            "irulesd does not run (tcp, http, gateway_icmp and monitors derived from them)"));
  CHECK(has("905: ltm pool /Common/manyOptions_pool: queue-depth-limit 66 is not supported (0 only)"));
  CHECK(has("902: ltm pool /Common/manyOptions_pool: profiles on a pool are not supported"));
  CHECK(has("1071: ltm virtual /Common/bigiq.benlab.io_t443_vs: policies (ltm policy) are not supported"));
  CHECK(has("1199: ltm virtual /Common/forwarder_net_0.0.0.0: virtual server type ip-forward is not supported "
            "(standard virtuals only)"));
  CHECK(has("1021: ltm virtual /Common/app1_t80_vs: rule /Common/_sys_https_redirect is not defined inline and "
            "/nonexistent/_sys_https_redirect.tcl cannot be read: No such file or directory"));
}

TEST_CASE("corkscrew: what irulesd runs gives no error", "[corkscrew]") {
  for (const std::string& e : errors()) {
    INFO(e);
    // Objects irulesd supports, present in the file: none of them is named in an error.
    for (const char* fine : {"ltm node /Common/app1_Node1", "ltm pool /Common/app1_t80_pool", "ltm pool /Common/app2_t80_pool",
                             "ltm rule /Common/app4_pool_rule", "ltm snatpool /Common/app3_snat_pool",
                             "ltm data-group internal", "ltm monitor http /Common/global_http_monitor",
                             "ltm monitor tcp /Common/test_tcp_monitor", "ltm persistence cookie /Common/app3_cookie",
                             "ltm persistence source-addr /Common/app3_srcAddr_persist",
                             "ltm profile http /Common/dubNameTst1_profile", "ltm virtual /Common/app1_t443_vs",
                             "ltm virtual /Common/app2_t443_vs", "ltm virtual /Common/persistTest_80_vs"}) {
      CHECK(e.find(fine) == std::string::npos);
    }
  }
}
