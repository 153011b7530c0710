// Test helper: sends log lines to a temporary file for the life of the object; lines() reads them
// back whole, messages() without the "time host level tmm[pid]: " prefix.
#pragma once

#include <stdlib.h>
#include <unistd.h>

#include <fstream>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "core/log.h"

namespace irulesd::test {

class LogCapture {
 public:
  LogCapture() {
    char path[] = "/tmp/irulesd_test_log_XXXXXX";
    int fd = mkstemp(path);
    REQUIRE(fd >= 0);
    ::close(fd);
    path_ = path;
    REQUIRE(log_open(path_));
  }
  ~LogCapture() {
    log_open("");
    ::unlink(path_.c_str());
  }
  LogCapture(const LogCapture&) = delete;
  LogCapture& operator=(const LogCapture&) = delete;

  std::vector<std::string> lines() const {
    std::ifstream in(path_);
    std::vector<std::string> out;
    for (std::string line; std::getline(in, line);) out.push_back(line);
    return out;
  }
  std::vector<std::string> messages() const {
    std::vector<std::string> out;
    for (const std::string& line : lines()) {
      std::size_t at = line.find("]: ");
      out.push_back(at == std::string::npos ? line : line.substr(at + 3));
    }
    return out;
  }

 private:
  std::string path_;
};

}  // namespace irulesd::test
