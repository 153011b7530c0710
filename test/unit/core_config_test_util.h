// Helpers for the config parser tests (test/unit/core_config_*_test.cc): parse a text, expect it to load
// or to fail with given errors at given lines.
#pragma once

#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <unistd.h>
#include <vector>

#include "core/config.h"

namespace config_test {

// A fresh folder under the system temp dir, removed with its contents at scope exit.
struct TempDir {
  std::filesystem::path path;
  TempDir() {
    static int counter = 0;
    path = std::filesystem::temp_directory_path() /
           ("irulesd_config_test_" + std::to_string(::getpid()) + "_" + std::to_string(counter++));
    std::filesystem::remove_all(path);
    std::filesystem::create_directories(path);
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
  }
  void write(const std::string& name, const std::string& text) const {
    std::ofstream(path / name, std::ios::binary) << text;
  }
};

inline std::string all_errors(const std::vector<irulesd::ConfigError>& errors) {
  std::string all;
  for (const irulesd::ConfigError& e : errors) all += e.str() + "\n";
  return all;
}

inline std::shared_ptr<const irulesd::Config> parse_ok(const std::string& text,
                                                       const std::string& rules_dir = "/nonexistent") {
  irulesd::ConfigLoadResult r = irulesd::parse_config(text, "bigip.conf", rules_dir);
  INFO(all_errors(r.errors));
  REQUIRE(r.errors.empty());
  REQUIRE(r.config);
  return r.config;
}

inline std::vector<irulesd::ConfigError> parse_errors(const std::string& text,
                                                      const std::string& rules_dir = "/nonexistent") {
  irulesd::ConfigLoadResult r = irulesd::parse_config(text, "bigip.conf", rules_dir);
  CHECK_FALSE(r.config);
  REQUIRE_FALSE(r.errors.empty());
  return r.errors;
}

// Exactly one error, at `line`, whose message contains `fragment`.
inline void expect_error(const std::string& text, int line, const std::string& fragment) {
  std::vector<irulesd::ConfigError> errors = parse_errors(text);
  INFO(all_errors(errors));
  REQUIRE(errors.size() == 1);
  CHECK(errors[0].file == "bigip.conf");
  CHECK(errors[0].line == line);
  CHECK(errors[0].message.find(fragment) != std::string::npos);
}

// Exactly one error: "bigip.conf:LINE: MESSAGE", the message whole.
inline void expect_exact(const std::string& text, int line, const std::string& message) {
  std::vector<irulesd::ConfigError> errors = parse_errors(text);
  INFO(all_errors(errors));
  REQUIRE(errors.size() == 1);
  CHECK(errors[0].str() == "bigip.conf:" + std::to_string(line) + ": " + message);
}

// Exactly these errors, in order: "bigip.conf:LINE: MESSAGE" each.
inline void expect_all(const std::string& text, const std::vector<std::string>& expected) {
  std::vector<irulesd::ConfigError> errors = parse_errors(text);
  std::vector<std::string> got;
  for (const irulesd::ConfigError& e : errors) got.push_back(e.str());
  CHECK(got == expected);
}

// A virtual server on 10.0.0.1:80 with `props` (lines of properties) in its body.
inline std::string virtual_with(const std::string& props) {
  return "ltm virtual /Common/v {\n    destination 10.0.0.1:80\n" + props + "}\n";
}

}  // namespace config_test
