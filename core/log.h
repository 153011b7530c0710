// ltm-style log lines: "Nov 25 12:00:00 irulesd info tmm[PID]: MESSAGE". Thread-safe: each line is
// one write(2) to the log file (O_APPEND) or stderr.
#pragma once

#include <string>
#include <string_view>

#include <fmt/format.h>

namespace irulesd {

enum class LogLevel { Emerg, Alert, Crit, Err, Warning, Notice, Info, Debug };
const char* log_level_name(LogLevel level);   // "emerg" ... "debug" (syslog names as ltm prints)

// Opens the log file (append); empty path = stderr. Returns false with errno set on failure.
bool log_open(const std::string& path);
void log_write(LogLevel level, std::string_view message);

// A worker thread that logs on every request batches its lines: they collect in a per-thread
// buffer and go out in one write(2) per loop iteration (log_flush), or when the buffer fills.
void log_batch_begin();
void log_flush();

template <typename... Args>
void log_line(LogLevel level, fmt::format_string<Args...> format, Args&&... args) {
  // Formatted into a buffer each thread reuses: a rule that logs on every request allocates nothing
  // here once the buffer has grown to its longest line.
  thread_local std::string line;
  line.clear();
  fmt::format_to(std::back_inserter(line), format, std::forward<Args>(args)...);
  log_write(level, line);
}

}  // namespace irulesd
