#include "core/health_monitor.h"

#include <algorithm>

#include "core/log.h"
#include "core/net_util.h"

namespace irulesd {
namespace {

constexpr std::size_t kMaxAnswer = 64 * 1024;   // the part of an answer recv is matched against

std::string duration_text(int64_t ms) {
  const int64_t s = std::max<int64_t>(ms, 0) / 1000;
  return fmt::format("{}hr:{}min:{}sec", s / 3600, s / 60 % 60, s % 60);
}

}  // namespace

// One monitor of one target: a check every interval, its verdict kept.
struct HealthMonitor::Probe {
  Target* target = nullptr;
  MonitorSpec spec;
  std::regex recv;
  std::regex recv_disable;
  bool has_recv = false;
  bool has_recv_disable = false;
  uv_timer_t interval_timer;
  uv_timer_t check_timer;   // the deadline of the check in flight
  uv_tcp_t* conn = nullptr; // the check in flight
  uv_connect_t connect_req;
  uv_write_t write_req;
  std::string answer;
  bool up = true;           // until `timeout` passes without a good answer
  bool disabled = false;    // recv-disable matched
  int64_t last_success_ms = 0;
  int64_t streak_start_ms = -1;   // first good answer since the last bad one
  std::string last_error;
  int open_handles = 0;
  bool closing = false;

  void start(uv_loop_t* loop);
  void schedule();
  void begin_check();
  void finish_check(bool good, bool disable, const std::string& error);
  void close_conn();
  void close();
};

struct HealthMonitor::Target {
  MonitorTarget spec;
  std::vector<std::unique_ptr<Probe>> probes;
  bool up = true;
  int64_t changed_ms = 0;
  uv_loop_t* loop = nullptr;

  void evaluate();
};

namespace {

HealthMonitor::Probe* probe_of(uv_handle_t* handle) { return static_cast<HealthMonitor::Probe*>(handle->data); }

void on_handle_closed(uv_handle_t* handle) {
  HealthMonitor::Probe* probe = probe_of(handle);
  if (reinterpret_cast<uv_tcp_t*>(handle) == probe->conn) probe->conn = nullptr;
  if (handle->type == UV_TCP) delete reinterpret_cast<uv_tcp_t*>(handle);
  if (--probe->open_handles == 0 && probe->closing) delete probe;
}

}  // namespace

void HealthMonitor::Probe::start(uv_loop_t* loop) {
  has_recv = !spec.recv.empty();
  has_recv_disable = !spec.recv_disable.empty();
  try {
    if (has_recv) recv = std::regex(spec.recv, std::regex::extended);
    if (has_recv_disable) recv_disable = std::regex(spec.recv_disable, std::regex::extended);
  } catch (const std::regex_error&) {
    // The parser checked the patterns; a pattern std::regex still refuses is matched literally.
    if (has_recv) recv = std::regex(std::regex_replace(spec.recv, std::regex(R"([.^$|()\[\]{}*+?\\])"), R"(\$&)"));
  }
  uv_timer_init(loop, &interval_timer);
  uv_timer_init(loop, &check_timer);
  interval_timer.data = this;
  check_timer.data = this;
  open_handles = 2;
  last_success_ms = static_cast<int64_t>(uv_now(loop));
  uv_timer_start(&interval_timer, [](uv_timer_t* t) { static_cast<Probe*>(t->data)->begin_check(); }, 0, 0);
}

void HealthMonitor::Probe::schedule() {
  const uint32_t every = up && spec.up_interval_s != 0 ? spec.up_interval_s : spec.interval_s;
  uv_timer_start(&interval_timer, [](uv_timer_t* t) { static_cast<Probe*>(t->data)->begin_check(); },
                 uint64_t{std::max<uint32_t>(every, 1)} * 1000, 0);
}

void HealthMonitor::Probe::begin_check() {
  schedule();
  if (conn != nullptr || closing) return;   // the previous check is still going: its deadline decides
  sockaddr_in target{};
  const std::string& address = spec.dest_address.empty() ? this->target->spec.address : spec.dest_address;
  const uint16_t port = spec.dest_port != 0 ? spec.dest_port : this->target->spec.port;
  if (!make_ipv4(address, port, target)) return finish_check(false, false, "not an IPv4 address: " + address);
  answer.clear();
  conn = new uv_tcp_t{};
  uv_tcp_init(interval_timer.loop, conn);
  conn->data = this;
  ++open_handles;
  connect_req.data = this;
  const uint32_t deadline_s = std::max<uint32_t>(1, std::min(spec.interval_s, spec.timeout_s));
  uv_timer_start(&check_timer, [](uv_timer_t* t) {
    auto* probe = static_cast<Probe*>(t->data);
    probe->finish_check(false, false, "no answer within " + std::to_string(std::max<uint32_t>(
                                          1, std::min(probe->spec.interval_s, probe->spec.timeout_s))) + " s");
  }, uint64_t{deadline_s} * 1000, 0);
  const int err = uv_tcp_connect(&connect_req, conn, reinterpret_cast<const sockaddr*>(&target), [](uv_connect_t* req, int status) {
    auto* probe = static_cast<Probe*>(req->data);
    if (probe->conn == nullptr || probe->closing) return;
    if (status == UV_ECONNREFUSED && probe->spec.refused_is_up) return probe->finish_check(true, false, "");
    if (status != 0) return probe->finish_check(false, false, uv_strerror(status));
    if (probe->spec.send.empty() && !probe->has_recv) return probe->finish_check(true, false, "");
    if (!probe->spec.send.empty()) {
      uv_buf_t buf = uv_buf_init(probe->spec.send.data(), static_cast<unsigned>(probe->spec.send.size()));
      probe->write_req.data = probe;
      uv_write(&probe->write_req, reinterpret_cast<uv_stream_t*>(probe->conn), &buf, 1, [](uv_write_t*, int) {});
    }
    if (!probe->has_recv) return probe->finish_check(true, false, "");
    uv_read_start(
        reinterpret_cast<uv_stream_t*>(probe->conn),
        [](uv_handle_t*, std::size_t, uv_buf_t* buf) {
          static char block[16 * 1024];   // the monitor loop reads one answer at a time
          *buf = uv_buf_init(block, sizeof block);
        },
        [](uv_stream_t* stream, ssize_t nread, const uv_buf_t* buf) {
          auto* probe = static_cast<Probe*>(stream->data);
          if (nread > 0) {
            probe->answer.append(buf->base, static_cast<std::size_t>(nread));
            if (probe->answer.size() > kMaxAnswer) probe->answer.resize(kMaxAnswer);
            // An answer that matches recv is up and enabled, even when it also matches recv-disable.
            if (std::regex_search(probe->answer, probe->recv)) return probe->finish_check(true, false, "");
            if (probe->has_recv_disable && std::regex_search(probe->answer, probe->recv_disable)) {
              return probe->finish_check(true, true, "");
            }
            if (probe->answer.size() >= kMaxAnswer) return probe->finish_check(false, false, "answer did not match recv");
          } else if (nread < 0) {
            probe->finish_check(false, false, nread == UV_EOF ? "answer did not match recv" : uv_strerror(static_cast<int>(nread)));
          }
        });
  });
  if (err != 0) finish_check(false, false, uv_strerror(err));
}

void HealthMonitor::Probe::finish_check(bool good, bool disable, const std::string& error) {
  close_conn();
  uv_timer_stop(&check_timer);
  const int64_t now = static_cast<int64_t>(uv_now(interval_timer.loop));
  disabled = good && disable;
  if (good) {
    last_success_ms = now;
    if (streak_start_ms < 0) streak_start_ms = now;
    if (!up && now - streak_start_ms >= int64_t{spec.time_until_up_s} * 1000) up = true;
  } else {
    last_error = error;
    streak_start_ms = -1;
    if (up && now - last_success_ms >= int64_t{spec.timeout_s} * 1000) up = false;
  }
  target->evaluate();
}

void HealthMonitor::Probe::close_conn() {
  if (conn == nullptr) return;
  uv_tcp_t* closing_conn = conn;
  conn = nullptr;
  uv_close(reinterpret_cast<uv_handle_t*>(closing_conn), on_handle_closed);
}

void HealthMonitor::Probe::close() {
  closing = true;
  close_conn();
  uv_close(reinterpret_cast<uv_handle_t*>(&interval_timer), on_handle_closed);
  uv_close(reinterpret_cast<uv_handle_t*>(&check_timer), on_handle_closed);
}

void HealthMonitor::Target::evaluate() {
  std::size_t up_count = 0;
  bool disabled = false;
  for (const auto& probe : probes) {
    up_count += probe->up;
    disabled = disabled || probe->disabled;
  }
  const std::size_t needed = spec.min_up == 0 ? probes.size() : spec.min_up;
  const bool now_up = up_count >= needed;
  // recv-disable: the target stays up (persisted clients reach it) but takes no new connections.
  if (now_up && disabled != spec.stats->monitor_disabled.load(std::memory_order_relaxed)) {
    spec.stats->monitor_disabled.store(disabled, std::memory_order_relaxed);
    log_line(LogLevel::Notice, "{} monitor status {}. [ recv-disable {} ]", spec.log_name,
             disabled ? "disabled" : "enabled", disabled ? "matched" : "no longer matches");
  }
  if (now_up == up) return;
  const int64_t now = static_cast<int64_t>(uv_now(loop));
  std::string detail;
  for (const auto& probe : probes) {
    detail += fmt::format("{}{}: {}", detail.empty() ? "" : ", ", probe->spec.name,
                          probe->disabled ? "disabled" : probe->up ? "up" : "down");
    if (!probe->up && !probe->last_error.empty()) detail += "; last error: " + probe->last_error;
  }
  log_line(LogLevel::Notice, "{} monitor status {}. [ {} ]  [ was {} for {} ]", spec.log_name,
           now_up ? "up" : "down", detail, up ? "up" : "down", duration_text(now - changed_ms));
  up = now_up;
  changed_ms = now;
  spec.stats->monitor_up.store(now_up, std::memory_order_relaxed);
  if (now_up) spec.stats->up_since_ms.store(now, std::memory_order_relaxed);
  for (const auto& watch : spec.pool_watches) watch->check();
}

std::size_t PoolUpWatch::up_count() const {
  std::size_t up = 0;
  for (std::size_t i = 0; i < members.size(); ++i) {
    up += members[i]->monitor_up.load(std::memory_order_relaxed) &&
          (nodes[i] == nullptr || nodes[i]->monitor_up.load(std::memory_order_relaxed));
  }
  return up;
}

void PoolUpWatch::check(bool quiet) {
  const std::size_t up = up_count();
  const bool now_below = up < min_up_members;
  if (now_below == below) return;
  below = now_below;
  if (quiet) return;
  if (now_below) {
    log_line(LogLevel::Err,
             "Pool {}: {} of {} members up, fewer than min-up-members {}; min-up-members-action {} not taken "
             "(irulesd is not part of an HA cluster)",
             pool_name, up, members.size(), min_up_members, action);
  } else {
    log_line(LogLevel::Notice, "Pool {}: {} of {} members up, min-up-members {} met again", pool_name, up,
             members.size(), min_up_members);
  }
}

HealthMonitor::HealthMonitor(uv_loop_t* loop) : loop_(loop) {}

HealthMonitor::~HealthMonitor() { close(); }

namespace {

bool same_monitors(const MonitorTarget& a, const MonitorTarget& b) {
  if (a.monitors.size() != b.monitors.size() || a.min_up != b.min_up || a.port != b.port || a.address != b.address) {
    return false;
  }
  for (std::size_t i = 0; i < a.monitors.size(); ++i) {
    const MonitorSpec& x = a.monitors[i];
    const MonitorSpec& y = b.monitors[i];
    if (x.name != y.name || x.kind != y.kind || x.send != y.send || x.recv != y.recv || x.recv_disable != y.recv_disable ||
        x.interval_s != y.interval_s || x.timeout_s != y.timeout_s || x.up_interval_s != y.up_interval_s ||
        x.time_until_up_s != y.time_until_up_s || x.dest_address != y.dest_address || x.dest_port != y.dest_port ||
        x.refused_is_up != y.refused_is_up) {
      return false;
    }
  }
  return true;
}

}  // namespace

void HealthMonitor::set_targets(std::vector<MonitorTarget> targets) {
  std::map<std::string, std::unique_ptr<Target>> next;
  for (MonitorTarget& spec : targets) {
    auto old = targets_.find(spec.key);
    if (old != targets_.end() && same_monitors(old->second->spec, spec) && old->second->spec.stats == spec.stats) {
      old->second->spec.log_name = spec.log_name;
      old->second->spec.pool_watches = std::move(spec.pool_watches);
      next[spec.key] = std::move(old->second);
      targets_.erase(old);
      continue;
    }
    auto target = std::make_unique<Target>();
    target->spec = std::move(spec);
    target->loop = loop_;
    target->changed_ms = static_cast<int64_t>(uv_now(loop_));
    target->up = target->spec.stats->monitor_up.load(std::memory_order_relaxed);
    for (const MonitorSpec& monitor : target->spec.monitors) {
      auto* probe = new Probe();
      probe->target = target.get();
      probe->spec = monitor;
      probe->up = target->up;
      probe->start(loop_);
      target->probes.emplace_back(probe);
    }
    const std::string key = target->spec.key;
    next[key] = std::move(target);
  }
  // What the new version no longer monitors stops; its members count as up again (no monitor).
  for (auto& [key, target] : targets_) {
    for (auto& probe : target->probes) probe.release()->close();
    target->spec.stats->monitor_up.store(true, std::memory_order_relaxed);
    target->spec.stats->monitor_disabled.store(false, std::memory_order_relaxed);
  }
  targets_ = std::move(next);
  // A new version's checks start from where their pools stand (the member state outlives a reload:
  // a pool already below its minimum is not logged again); later crossings are logged.
  for (auto& [key, target] : targets_) {
    for (const auto& watch : target->spec.pool_watches) watch->check(true);
  }
}

void HealthMonitor::close() {
  for (auto& [key, target] : targets_) {
    for (auto& probe : target->probes) probe.release()->close();
  }
  targets_.clear();
}

}  // namespace irulesd
