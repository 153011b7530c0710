#include "core/log.h"

#include <fcntl.h>
#include <time.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>

namespace irulesd {
namespace {
std::atomic<int> g_log_fd{STDERR_FILENO};
constexpr std::size_t kBatchLimit = 32 * 1024;
thread_local bool t_batching = false;
thread_local fmt::memory_buffer t_batch;

void write_all(const char* p, std::size_t left) {
  int fd = g_log_fd.load();
  while (left > 0) {
    ssize_t n = ::write(fd, p, left);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    p += n;
    left -= static_cast<std::size_t>(n);
  }
}
}  // namespace

void log_batch_begin() { t_batching = true; }

void log_flush() {
  if (t_batch.size() == 0) return;
  write_all(t_batch.data(), t_batch.size());
  t_batch.clear();
}

const char* log_level_name(LogLevel level) {
  switch (level) {
    case LogLevel::Emerg: return "emerg";
    case LogLevel::Alert: return "alert";
    case LogLevel::Crit: return "crit";
    case LogLevel::Err: return "err";
    case LogLevel::Warning: return "warning";
    case LogLevel::Notice: return "notice";
    case LogLevel::Info: return "info";
    case LogLevel::Debug: return "debug";
  }
  return "info";
}

bool log_open(const std::string& path) {
  if (path.empty()) {
    g_log_fd = STDERR_FILENO;
    return true;
  }
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd < 0) return false;
  int old = g_log_fd.exchange(fd);
  if (old != STDERR_FILENO) ::close(old);
  return true;
}

void log_write(LogLevel level, std::string_view message) {
  // A rule may log on every request: format the time once per second per thread, and the pid once.
  static const int pid = static_cast<int>(getpid());
  thread_local time_t stamp_second = -1;
  thread_local char stamp[32];
  time_t now = time(nullptr);
  if (now != stamp_second) {
    struct tm tm_now;
    localtime_r(&now, &tm_now);
    strftime(stamp, sizeof stamp, "%b %e %H:%M:%S", &tm_now);
    stamp_second = now;
  }
  // Whole lines per write(2): lines from different threads never interleave. A thread that does not
  // batch writes each line at once.
  fmt::format_to(std::back_inserter(t_batch), "{} irulesd {} tmm[{}]: {}\n", stamp, log_level_name(level), pid,
                 message);
  if (!t_batching || t_batch.size() >= kBatchLimit) log_flush();
}

}  // namespace irulesd
