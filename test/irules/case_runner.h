// Runs one case through the real config parser, rule engine and core::Worker, with a real client
// and backend on loopback sockets, and says what did not match.
#pragma once

#include <string>
#include <vector>

#include "core/rule_engine.h"
#include "test/irules/case_file.h"

namespace irulesd::cases {

// Fixed loopback addresses (ports are ephemeral, so cases never collide, even run in parallel).
inline constexpr const char* kClientAddr = "127.0.0.2";
inline constexpr const char* kVirtualAddr = "127.0.0.10";
inline constexpr const char* kBackendAddr = "127.0.0.11";
// How long the client waits for one response: a hung case fails, it never hangs the suite.
inline constexpr int kReadTimeoutMs = 3000;

// One mismatch: the line of the case file it concerns (the section's header) and a readable report.
struct Failure {
  int line;
  std::string message;
};

// Every mismatch; empty when the case passed. `expect-failure` is not applied here.
std::vector<Failure> run_case(const Case& c, RuleEngineFactory& factory);

// For a case with `--- expect-failure`: the case must fail, and its reports contain each listed line
// (as a substring of one of their lines, in order). Returns the problems with that, empty when it holds.
std::vector<Failure> check_expected_failure(const Case& c, const std::vector<Failure>& failures);

}  // namespace irulesd::cases
