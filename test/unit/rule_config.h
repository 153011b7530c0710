// Test helper: the config a single rule runs in — rule /Common/r (text from its first line, or `line`)
// on virtual /Common/vs (http profile) with pools web_pool and api_pool (members 10.0.0.1:80 and
// 10.0.0.2:80) and empty_pool (no members).
#pragma once

#include <memory>
#include <string>

#include "core/config.h"

namespace irulesd::test {

constexpr const char* kRuleConfigFile = "/etc/irulesd/bigip.conf";

inline std::shared_ptr<Config> one_rule_config(const std::string& text, int line = 1) {
  auto config = std::make_shared<Config>();
  config->file = kRuleConfigFile;
  for (const char* name : {"/Common/web_pool", "/Common/api_pool", "/Common/empty_pool"}) {
    Pool pool;
    pool.name = name;
    if (pool.name != "/Common/empty_pool") {
      for (const char* address : {"10.0.0.1", "10.0.0.2"}) {
        PoolMember member;
        member.name = std::string("/Common/") + address + ":80";
        member.address = address;
        member.port = 80;
        pool.members.push_back(member);
      }
    }
    config->pools.push_back(pool);
  }
  config->rules.push_back(Rule{"/Common/r", text, SourceLoc{kRuleConfigFile, line}});
  VirtualServer vs;
  vs.has_http_profile = true;   // the rules handle HTTP events
  vs.name = "/Common/vs";
  vs.rules = {"/Common/r"};
  config->virtuals.push_back(vs);
  return config;
}

}  // namespace irulesd::test
