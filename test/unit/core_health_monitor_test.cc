// HealthMonitor on a real uv loop against a loopback server on the same loop (port 0): a tcp monitor
// follows the server going away and coming back, an http monitor follows what the answer says
// (recv, recv-disable), with BIG-IP's log lines. Intervals of 1 s, timeouts of 2 s: every wait bounded.
#include <catch2/catch.hpp>

#include "test/unit/log_capture.h"

#include <functional>
#include <string>

#include "core/health_monitor.h"

using namespace irulesd;
using irulesd::test::LogCapture;

namespace {

bool run_until(uv_loop_t* loop, const std::function<bool()>& done, uint64_t limit_ms = 8000) {
  uv_timer_t tick;
  uv_timer_init(loop, &tick);
  uv_timer_start(&tick, [](uv_timer_t*) {}, 5, 5);
  const uint64_t deadline = uv_hrtime() + limit_ms * 1000000;
  bool ok = done();
  while (!ok && uv_hrtime() < deadline) {
    uv_run(loop, UV_RUN_ONCE);
    ok = done();
  }
  uv_close(reinterpret_cast<uv_handle_t*>(&tick), nullptr);
  uv_run(loop, UV_RUN_NOWAIT);
  return ok;
}

// A server that answers every connection with `answer` and closes; stop() closes the listener.
struct Server {
  uv_loop_t* loop;
  uv_tcp_t listener;
  std::string answer = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";
  uint16_t port = 0;
  bool listening = false;

  explicit Server(uv_loop_t* l, uint16_t want_port = 0) : loop(l) { start(want_port); }
  void start(uint16_t want_port) {
    uv_tcp_init(loop, &listener);
    listener.data = this;
    sockaddr_in addr{};
    uv_ip4_addr("127.0.0.1", want_port, &addr);
    REQUIRE(uv_tcp_bind(&listener, reinterpret_cast<const sockaddr*>(&addr), 0) == 0);
    REQUIRE(uv_listen(reinterpret_cast<uv_stream_t*>(&listener), 16, [](uv_stream_t* server, int) {
      auto* self = static_cast<Server*>(server->data);
      auto* client = new uv_tcp_t{};
      uv_tcp_init(self->loop, client);
      if (uv_accept(server, reinterpret_cast<uv_stream_t*>(client)) != 0) {
        uv_close(reinterpret_cast<uv_handle_t*>(client), [](uv_handle_t* h) { delete reinterpret_cast<uv_tcp_t*>(h); });
        return;
      }
      auto* req = new uv_write_t{};
      req->data = client;
      uv_buf_t buf = uv_buf_init(self->answer.data(), static_cast<unsigned>(self->answer.size()));
      uv_write(req, reinterpret_cast<uv_stream_t*>(client), &buf, 1, [](uv_write_t* w, int) {
        uv_close(static_cast<uv_handle_t*>(w->data), [](uv_handle_t* h) { delete reinterpret_cast<uv_tcp_t*>(h); });
        delete w;
      });
    }) == 0);
    sockaddr_storage bound{};
    int len = sizeof bound;
    uv_tcp_getsockname(&listener, reinterpret_cast<sockaddr*>(&bound), &len);
    port = ntohs(reinterpret_cast<sockaddr_in&>(bound).sin_port);
    listening = true;
  }
  void stop() {
    uv_close(reinterpret_cast<uv_handle_t*>(&listener), nullptr);
    listening = false;
    uv_run(loop, UV_RUN_NOWAIT);
  }
};

MonitorTarget target(uint16_t port, std::shared_ptr<EndpointStats> stats, MonitorSpec spec) {
  MonitorTarget t;
  t.key = "member /Common/p 127.0.0.1:" + std::to_string(port);
  t.log_name = "Pool /Common/p member /Common/n:" + std::to_string(port);
  t.address = "127.0.0.1";
  t.port = port;
  t.stats = std::move(stats);
  t.monitors.push_back(std::move(spec));
  return t;
}

bool contains(const std::vector<std::string>& lines, const std::string& text) {
  for (const std::string& line : lines) {
    if (line.find(text) != std::string::npos) return true;
  }
  return false;
}

}  // namespace

TEST_CASE("a tcp monitor marks a member down after its timeout and up again at once", "[monitor]") {
  LogCapture log;
  uv_loop_t loop;
  uv_loop_init(&loop);
  Server server(&loop);
  const uint16_t port = server.port;
  auto stats = std::make_shared<EndpointStats>();
  MonitorSpec tcp;
  tcp.name = "/Common/tcp";
  tcp.interval_s = 1;
  tcp.timeout_s = 2;
  {
    HealthMonitor monitor(&loop);
    monitor.set_targets({target(port, stats, tcp)});
    CHECK(run_until(&loop, [&] { return false; }, 1500) == false);   // a second of good checks
    CHECK(stats->monitor_up);
    server.stop();
    const uint64_t stopped = uv_hrtime();
    REQUIRE(run_until(&loop, [&] { return !stats->monitor_up; }));
    const double seconds = double(uv_hrtime() - stopped) / 1e9;
    CHECK(seconds >= 1.0);   // not at the first failed check: after `timeout` without a good one
    CHECK(seconds <= 3.5);
    CHECK(contains(log.messages(), "Pool /Common/p member /Common/n:" + std::to_string(port) +
                                       " monitor status down. [ /Common/tcp: down; last error: connection refused ]"));
    server.start(port);
    REQUIRE(run_until(&loop, [&] { return stats->monitor_up.load(); }));
    CHECK(stats->up_since_ms > 0);
    CHECK(contains(log.messages(), "monitor status up. [ /Common/tcp: up ]  [ was down for "));
    monitor.close();
  }
  server.stop();
  uv_run(&loop, UV_RUN_DEFAULT);   // every handle closed: the loop ends
  CHECK(uv_loop_close(&loop) == 0);
}

TEST_CASE("an http monitor follows recv and recv-disable, a target it no longer watches is up", "[monitor]") {
  LogCapture log;
  uv_loop_t loop;
  uv_loop_init(&loop);
  Server server(&loop);
  auto stats = std::make_shared<EndpointStats>();
  MonitorSpec http;
  http.name = "/Common/app_http";
  http.kind = MonitorSpec::Kind::Http;
  http.send = "GET /health HTTP/1.0\r\n\r\n";
  http.recv = "^HTTP/1\\.[01] 200";
  http.recv_disable = "MAINTENANCE";
  http.interval_s = 1;
  http.timeout_s = 2;
  {
    HealthMonitor monitor(&loop);
    monitor.set_targets({target(server.port, stats, http)});
    run_until(&loop, [&] { return false; }, 1200);
    CHECK(stats->monitor_up);
    server.answer = "HTTP/1.1 500 Internal Server Error\r\n\r\n";
    REQUIRE(run_until(&loop, [&] { return !stats->monitor_up; }));
    CHECK(contains(log.messages(), "[ /Common/app_http: down; last error: answer did not match recv ]"));
    server.answer = "HTTP/1.1 200 OK\r\n\r\nok";
    REQUIRE(run_until(&loop, [&] { return stats->monitor_up.load(); }));
    server.answer = "HTTP/1.1 503 Service Unavailable\r\n\r\nMAINTENANCE";
    REQUIRE(run_until(&loop, [&] { return stats->monitor_disabled.load(); }));   // at the first such answer
    CHECK(stats->monitor_up);   // disabled, not down: persisted clients still reach it
    CHECK(contains(log.messages(), "monitor status disabled. [ recv-disable matched ]"));
    server.answer = "HTTP/1.1 200 OK\r\n\r\nMAINTENANCE";   // recv matches too: up and enabled
    REQUIRE(run_until(&loop, [&] { return !stats->monitor_disabled.load(); }));
    monitor.set_targets({});   // the new version has no monitor for it
    CHECK(stats->monitor_up);
    monitor.close();
  }
  server.stop();
  uv_run(&loop, UV_RUN_DEFAULT);
  CHECK(uv_loop_close(&loop) == 0);
}

TEST_CASE("min N of: a member is up while N of its monitors are, down when fewer", "[monitor]") {
  LogCapture log;
  uv_loop_t loop;
  uv_loop_init(&loop);
  Server server(&loop);
  Server dead(&loop);
  const uint16_t dead_port = dead.port;
  dead.stop();   // nothing listens there any more: its monitor fails
  auto at_least_one = std::make_shared<EndpointStats>();
  auto both = std::make_shared<EndpointStats>();
  MonitorSpec live;
  live.name = "/Common/live";
  live.interval_s = 1;
  live.timeout_s = 2;
  MonitorSpec failing = live;
  failing.name = "/Common/failing";
  failing.dest_port = dead_port;
  {
    HealthMonitor monitor(&loop);
    MonitorTarget one_of_two = target(server.port, at_least_one, live);
    one_of_two.key += " min1";
    one_of_two.monitors.push_back(failing);
    one_of_two.min_up = 1;   // `min 1 of { live failing }`
    MonitorTarget all_of_two = target(server.port, both, live);
    all_of_two.key += " all";
    all_of_two.log_name = "Pool /Common/p member /Common/all";
    all_of_two.monitors.push_back(failing);   // `live and failing`
    monitor.set_targets({one_of_two, all_of_two});
    REQUIRE(run_until(&loop, [&] { return !both->monitor_up.load(); }));
    CHECK(at_least_one->monitor_up);
    CHECK(contains(log.messages(), "Pool /Common/p member /Common/all monitor status down. [ /Common/live: up, "
                                   "/Common/failing: down; last error: connection refused ]"));
    monitor.close();
  }
  server.stop();
  uv_run(&loop, UV_RUN_DEFAULT);
  CHECK(uv_loop_close(&loop) == 0);
}

TEST_CASE("time-until-up: a member that comes back is up only after good answers for that long", "[monitor]") {
  LogCapture log;
  uv_loop_t loop;
  uv_loop_init(&loop);
  Server server(&loop);
  const uint16_t port = server.port;
  auto stats = std::make_shared<EndpointStats>();
  MonitorSpec tcp;
  tcp.name = "/Common/tcp";
  tcp.interval_s = 1;
  tcp.timeout_s = 2;
  tcp.time_until_up_s = 3;
  {
    HealthMonitor monitor(&loop);
    monitor.set_targets({target(port, stats, tcp)});
    server.stop();
    REQUIRE(run_until(&loop, [&] { return !stats->monitor_up.load(); }));
    server.start(port);
    const uint64_t back = uv_hrtime();
    REQUIRE(run_until(&loop, [&] { return stats->monitor_up.load(); }, 10000));
    CHECK(double(uv_hrtime() - back) / 1e9 >= 2.5);   // not at the first good answer
    monitor.close();
  }
  server.stop();
  uv_run(&loop, UV_RUN_DEFAULT);
  CHECK(uv_loop_close(&loop) == 0);
}
