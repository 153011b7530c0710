// HslSender on a real uv loop with real loopback peers (the one unit test that opens sockets: a UDP
// receiver and TCP listeners on 127.0.0.1, port 0): datagrams and lines arrive in order, round robin
// over members, reconnect after a collector restarts, the queue bound drops and counts, close()
// lets the loop end. Every wait is bounded.
#include <catch2/catch.hpp>

#include "test/unit/log_capture.h"

#include <algorithm>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "core/hsl_sender.h"

using namespace irulesd;
using irulesd::test::LogCapture;

namespace {

constexpr uint64_t kWaitMs = 5000;   // the bound of every wait; a pass takes milliseconds

// Runs the loop until done() or kWaitMs; a ticking timer makes every iteration return.
bool run_until(uv_loop_t* loop, const std::function<bool()>& done) {
  uv_timer_t tick;
  uv_timer_init(loop, &tick);
  uv_timer_start(&tick, [](uv_timer_t*) {}, 2, 2);
  const uint64_t deadline = uv_hrtime() + kWaitMs * 1000000;
  bool ok = done();
  while (!ok && uv_hrtime() < deadline) {
    uv_run(loop, UV_RUN_ONCE);
    ok = done();
  }
  uv_close(reinterpret_cast<uv_handle_t*>(&tick), nullptr);
  uv_run(loop, UV_RUN_NOWAIT);
  return ok;
}

// Runs the loop for ms milliseconds (for "nothing more arrives" checks).
void run_for(uv_loop_t* loop, uint64_t ms) {
  const uint64_t until = uv_hrtime() + ms * 1000000;
  run_until(loop, [until] { return uv_hrtime() >= until; });
}

uint16_t port_of(const uv_handle_t* handle) {
  sockaddr_storage addr{};
  int len = sizeof addr;
  if (handle->type == UV_UDP) {
    uv_udp_getsockname(reinterpret_cast<const uv_udp_t*>(handle), reinterpret_cast<sockaddr*>(&addr), &len);
  } else {
    uv_tcp_getsockname(reinterpret_cast<const uv_tcp_t*>(handle), reinterpret_cast<sockaddr*>(&addr), &len);
  }
  return ntohs(reinterpret_cast<sockaddr_in&>(addr).sin_port);
}

// A collector over UDP: every datagram it gets, in arrival order.
struct UdpReceiver {
  uv_udp_t udp;
  std::vector<std::string> datagrams;
  uint16_t port = 0;

  explicit UdpReceiver(uv_loop_t* loop) {
    uv_udp_init(loop, &udp);
    udp.data = this;
    sockaddr_in addr;
    uv_ip4_addr("127.0.0.1", 0, &addr);
    REQUIRE(uv_udp_bind(&udp, reinterpret_cast<const sockaddr*>(&addr), 0) == 0);
    port = port_of(reinterpret_cast<uv_handle_t*>(&udp));
    uv_udp_recv_start(
        &udp, [](uv_handle_t*, size_t size, uv_buf_t* buf) { *buf = uv_buf_init(new char[size], size); },
        [](uv_udp_t* handle, ssize_t nread, const uv_buf_t* buf, const sockaddr* from, unsigned) {
          if (nread >= 0 && from != nullptr) {
            static_cast<UdpReceiver*>(handle->data)->datagrams.emplace_back(buf->base, nread);
          }
          delete[] buf->base;
        });
  }
  void close() { uv_close(reinterpret_cast<uv_handle_t*>(&udp), nullptr); }
};

// A collector over TCP: everything it got (all connections, in order of arrival), how many
// connections it accepted; stop() closes the listener and every connection, start() listens again.
struct TcpCollector {
  struct Conn {
    uv_tcp_t tcp;
    TcpCollector* owner;
  };
  uv_loop_t* loop;
  uv_tcp_t listener;
  bool listening = false;
  uint16_t port = 0;
  std::string received;
  int accepted = 0;
  std::vector<Conn*> conns;

  explicit TcpCollector(uv_loop_t* l, uint16_t at_port = 0) : loop(l) { start(at_port); }

  void start(uint16_t at_port) {
    uv_tcp_init(loop, &listener);
    listener.data = this;
    sockaddr_in addr;
    uv_ip4_addr("127.0.0.1", at_port, &addr);
    REQUIRE(uv_tcp_bind(&listener, reinterpret_cast<const sockaddr*>(&addr), 0) == 0);
    REQUIRE(uv_listen(reinterpret_cast<uv_stream_t*>(&listener), 16, [](uv_stream_t* server, int status) {
              if (status == 0) static_cast<TcpCollector*>(server->data)->accept();
            }) == 0);
    port = port_of(reinterpret_cast<uv_handle_t*>(&listener));
    listening = true;
  }

  void accept() {
    auto* conn = new Conn{{}, this};
    uv_tcp_init(loop, &conn->tcp);
    conn->tcp.data = conn;
    if (uv_accept(reinterpret_cast<uv_stream_t*>(&listener), reinterpret_cast<uv_stream_t*>(&conn->tcp)) != 0) {
      close_conn(conn);
      return;
    }
    ++accepted;
    conns.push_back(conn);
    uv_read_start(
        reinterpret_cast<uv_stream_t*>(&conn->tcp),
        [](uv_handle_t*, size_t size, uv_buf_t* buf) { *buf = uv_buf_init(new char[size], size); },
        [](uv_stream_t* stream, ssize_t nread, const uv_buf_t* buf) {
          auto* c = static_cast<Conn*>(stream->data);
          if (nread > 0) c->owner->received.append(buf->base, nread);
          delete[] buf->base;
          if (nread < 0) c->owner->drop(c);
        });
  }

  static void close_conn(Conn* conn) {
    uv_close(reinterpret_cast<uv_handle_t*>(&conn->tcp), [](uv_handle_t* h) { delete static_cast<Conn*>(h->data); });
  }
  void drop(Conn* conn) {
    conns.erase(std::find(conns.begin(), conns.end(), conn));
    close_conn(conn);
  }

  void stop() {
    if (listening) uv_close(reinterpret_cast<uv_handle_t*>(&listener), nullptr);
    listening = false;
    while (!conns.empty()) drop(conns.back());
  }
};

// A pool of members on 127.0.0.1 (port 0 members and address-less ones as given).
std::shared_ptr<Config> pool_config(const std::vector<std::pair<std::string, uint16_t>>& members,
                                    const std::string& name = "/Common/syslog_pool") {
  auto config = std::make_shared<Config>();
  Pool pool;
  pool.name = name;
  for (const auto& [address, port] : members) {
    PoolMember member;
    member.address = address;
    member.port = port;
    member.name = "/Common/" + address + ":" + std::to_string(port);
    pool.members.push_back(member);
  }
  config->pools.push_back(pool);
  return config;
}

// A loop with a sender; the destructor closes everything and checks the loop ends.
struct Fixture {
  uv_loop_t loop;
  std::unique_ptr<HslSender> sender;

  explicit Fixture(HslOptions options = {}) {
    uv_loop_init(&loop);
    sender = std::make_unique<HslSender>(&loop, options);
  }
  // Closes the sender and runs the loop to its end (bounded): nothing of the sender stays open.
  bool finish() {
    sender->close();
    // Handles leave the loop's list when their close completes; run_until's own tick is the one left.
    return run_until(&loop, [this] {
      int handles = 0;
      uv_walk(&loop, [](uv_handle_t*, void* count) { ++*static_cast<int*>(count); }, &handles);
      return handles <= 1;
    });
  }
  ~Fixture() {
    uv_walk(&loop, [](uv_handle_t* h, void*) { if (!uv_is_closing(h)) uv_close(h, nullptr); }, nullptr);
    uv_run(&loop, UV_RUN_DEFAULT);
    sender.reset();
    uv_loop_close(&loop);
  }
};

std::string open_ok(HslSender& sender, const Config& config, const std::string& pool, bool tcp) {
  std::string error;
  std::string handle = sender.hsl_open(config, pool, tcp, &error);
  INFO(error);
  REQUIRE(!handle.empty());
  CHECK(error.empty());
  return handle;
}

HslOptions fast_options() {
  HslOptions options;
  options.reconnect_initial_ms = 20;
  options.reconnect_max_ms = 50;
  return options;
}

}  // namespace

TEST_CASE("HSL UDP: every message is one datagram, in order", "[hsl]") {
  Fixture f;
  UdpReceiver rx(&f.loop);
  auto config = pool_config({{"127.0.0.1", rx.port}});
  std::string h = open_ok(*f.sender, *config, "syslog_pool", false);
  std::vector<std::string> sent;
  for (int i = 0; i < 20; ++i) {
    sent.push_back("<190> message " + std::to_string(i) + "\n");
    CHECK(f.sender->hsl_send(h, sent.back()));
  }
  CHECK(run_until(&f.loop, [&] { return rx.datagrams.size() >= sent.size(); }));
  CHECK(rx.datagrams == sent);
  CHECK(f.sender->udp_counters().sent == 20);
  CHECK(f.sender->udp_counters().dropped == 0);
  rx.close();
  CHECK(f.finish());
}

TEST_CASE("HSL UDP: round robin per message over two members, port 0 and address-less members skipped", "[hsl]") {
  Fixture f;
  UdpReceiver a(&f.loop), b(&f.loop);
  auto config = pool_config({{"127.0.0.1", a.port}, {"127.0.0.1", 0}, {"", 514}, {"127.0.0.1", b.port}});
  std::string h = open_ok(*f.sender, *config, "/Common/syslog_pool", false);
  for (int i = 0; i < 6; ++i) CHECK(f.sender->hsl_send(h, "m" + std::to_string(i)));
  CHECK(run_until(&f.loop, [&] { return a.datagrams.size() + b.datagrams.size() >= 6; }));
  CHECK(a.datagrams == std::vector<std::string>{"m0", "m2", "m4"});
  CHECK(b.datagrams == std::vector<std::string>{"m1", "m3", "m5"});
  a.close();
  b.close();
  CHECK(f.finish());
}

TEST_CASE("HSL open: handles per pool and protocol, unknown pools, pools without members", "[hsl]") {
  Fixture f;
  auto config = pool_config({{"127.0.0.1", 9}});
  Pool other;
  other.name = "/Common/other";
  config->pools.push_back(other);
  Pool unusable;
  unusable.name = "/Common/unusable";
  unusable.members.push_back(PoolMember{"/Common/n:0", "/Common/n", "127.0.0.1", 0, {}});
  unusable.members.push_back(PoolMember{"/Common/m:514", "/Common/m", "", 514, {}});
  config->pools.push_back(unusable);

  const std::string udp = open_ok(*f.sender, *config, "syslog_pool", false);
  CHECK(udp == "hsl:UDP:/Common/syslog_pool");
  CHECK(open_ok(*f.sender, *config, "/Common/syslog_pool", false) == udp);   // same on every open
  const std::string tcp = open_ok(*f.sender, *config, "syslog_pool", true);
  CHECK(tcp == "hsl:TCP:/Common/syslog_pool");

  std::string error;
  CHECK(f.sender->hsl_open(*config, "nope", false, &error).empty());
  CHECK(error == "no such pool: nope");
  error.clear();
  CHECK(f.sender->hsl_open(*config, "other", true, &error).empty());
  CHECK(error == "pool /Common/other has no members to send to");
  error.clear();
  CHECK(f.sender->hsl_open(*config, "unusable", false, &error).empty());
  CHECK(error == "pool /Common/unusable has no members to send to");

  CHECK_FALSE(f.sender->hsl_send("hsl:UDP:/Common/other", "x"));   // never opened successfully
  CHECK_FALSE(f.sender->hsl_send("garbage", "x"));
  CHECK(f.sender->udp_counters().sent == 0);
  CHECK(f.finish());
  // After close nothing opens.
  error.clear();
  CHECK(f.sender->hsl_open(*config, "syslog_pool", false, &error).empty());
  CHECK(error == "the worker is stopping");
}

TEST_CASE("HSL UDP: a datagram the kernel refuses is dropped, counted and logged once", "[hsl]") {
  LogCapture log;
  Fixture f;
  UdpReceiver rx(&f.loop);
  auto config = pool_config({{"127.0.0.1", rx.port}});
  std::string h = open_ok(*f.sender, *config, "syslog_pool", false);
  const std::string huge(70000, 'x');   // larger than any UDP datagram: EMSGSIZE
  CHECK_FALSE(f.sender->hsl_send(h, huge));
  CHECK_FALSE(f.sender->hsl_send(h, huge));
  CHECK(f.sender->hsl_send(h, "fits"));
  CHECK(run_until(&f.loop, [&] { return !rx.datagrams.empty(); }));
  CHECK(rx.datagrams == std::vector<std::string>{"fits"});
  CHECK(f.sender->udp_counters().dropped == 2);
  CHECK(f.sender->udp_counters().sent == 1);
  const std::vector<std::string> lines = log.messages();
  REQUIRE(lines.size() == 2);
  CHECK(lines[0] == "HSL: sending to 127.0.0.1:" + std::to_string(rx.port) +
                        " (UDP) failed: message too long; dropping messages until it works");
  CHECK(lines[1] == "HSL: sending to 127.0.0.1:" + std::to_string(rx.port) + " (UDP) works again");
  rx.close();
  CHECK(f.finish());
}

TEST_CASE("HSL UDP: a reload that changes the pool's members moves the same handle to them", "[hsl]") {
  Fixture f;
  UdpReceiver a(&f.loop), b(&f.loop);
  auto first = pool_config({{"127.0.0.1", a.port}});
  auto second = pool_config({{"127.0.0.1", b.port}});
  std::string h = open_ok(*f.sender, *first, "syslog_pool", false);
  CHECK(f.sender->hsl_send(h, "old"));
  CHECK(open_ok(*f.sender, *second, "syslog_pool", false) == h);
  CHECK(f.sender->hsl_send(h, "new"));
  CHECK(run_until(&f.loop, [&] { return a.datagrams.size() + b.datagrams.size() >= 2; }));
  CHECK(a.datagrams == std::vector<std::string>{"old"});
  CHECK(b.datagrams == std::vector<std::string>{"new"});
  a.close();
  b.close();
  CHECK(f.finish());
}

TEST_CASE("HSL TCP: lines arrive in order on one connection, queued until it is up", "[hsl]") {
  Fixture f;
  TcpCollector c(&f.loop);
  auto config = pool_config({{"127.0.0.1", c.port}});
  std::string h = open_ok(*f.sender, *config, "syslog_pool", true);
  std::string expected;
  // The first ones wait for the connection that open started; later ones go straight out.
  for (int i = 0; i < 5; ++i) {
    expected += "<190> early " + std::to_string(i) + "\n";
    CHECK(f.sender->hsl_send(h, "<190> early " + std::to_string(i) + "\n"));
  }
  CHECK(run_until(&f.loop, [&] { return f.sender->tcp_connected() == 1; }));
  for (int i = 0; i < 200; ++i) {
    const std::string line = "<190> line " + std::to_string(i) + "\n";
    expected += line;
    CHECK(f.sender->hsl_send(h, line));
  }
  CHECK(run_until(&f.loop, [&] { return c.received.size() >= expected.size(); }));
  CHECK(c.received == expected);
  CHECK(c.accepted == 1);
  CHECK(f.sender->tcp_counters().sent == 205);
  CHECK(f.sender->tcp_counters().dropped == 0);
  c.stop();
  CHECK(f.finish());
}

TEST_CASE("HSL TCP: round robin over the connected members, one connection per member", "[hsl]") {
  Fixture f;
  TcpCollector a(&f.loop), b(&f.loop);
  auto config = pool_config({{"127.0.0.1", a.port}, {"127.0.0.1", b.port}});
  std::string h = open_ok(*f.sender, *config, "syslog_pool", true);
  CHECK(run_until(&f.loop, [&] { return f.sender->tcp_connected() == 2; }));
  // A second pool naming the same collector shares its connection.
  config->pools.push_back(pool_config({{"127.0.0.1", a.port}}, "/Common/second")->pools[0]);
  std::string h2 = open_ok(*f.sender, *config, "second", true);
  for (int i = 0; i < 6; ++i) CHECK(f.sender->hsl_send(h, "m" + std::to_string(i) + "\n"));
  CHECK(f.sender->hsl_send(h2, "second\n"));
  CHECK(run_until(&f.loop, [&] { return a.received.size() + b.received.size() >= 25; }));
  CHECK(a.received == "m0\nm2\nm4\nsecond\n");
  CHECK(b.received == "m1\nm3\nm5\n");
  CHECK(a.accepted == 1);
  CHECK(b.accepted == 1);
  a.stop();
  b.stop();
  CHECK(f.finish());
}

TEST_CASE("HSL TCP: a member that is down gets nothing while another is connected", "[hsl]") {
  LogCapture log;
  Fixture f(fast_options());
  TcpCollector a(&f.loop);
  TcpCollector gone(&f.loop);
  const uint16_t gone_port = gone.port;
  gone.stop();   // a port nobody listens on: connections are refused
  auto config = pool_config({{"127.0.0.1", gone_port}, {"127.0.0.1", a.port}});
  std::string h = open_ok(*f.sender, *config, "syslog_pool", true);
  CHECK(run_until(&f.loop, [&] { return f.sender->tcp_connected() == 1; }));
  for (int i = 0; i < 4; ++i) CHECK(f.sender->hsl_send(h, std::to_string(i)));
  CHECK(run_until(&f.loop, [&] { return a.received.size() >= 4; }));
  CHECK(a.received == "0123");
  CHECK(f.sender->tcp_counters().sent == 4);
  CHECK(log.messages() == std::vector<std::string>{"HSL: connection to 127.0.0.1:" + std::to_string(gone_port) +
                                                   " (TCP) failed to connect: connection refused; retrying"});
  a.stop();
  CHECK(f.finish());
}

TEST_CASE("HSL TCP: reconnects after the collector restarts, logged once per state change", "[hsl]") {
  LogCapture log;
  Fixture f(fast_options());
  TcpCollector c(&f.loop);
  const uint16_t port = c.port;
  const std::string label = "127.0.0.1:" + std::to_string(port);
  auto config = pool_config({{"127.0.0.1", port}});
  std::string h = open_ok(*f.sender, *config, "syslog_pool", true);
  CHECK(f.sender->hsl_send(h, "before\n"));
  CHECK(run_until(&f.loop, [&] { return c.received == "before\n"; }));

  c.stop();   // the collector goes away: its close is read as EOF, reconnects are refused
  CHECK(run_until(&f.loop, [&] { return f.sender->tcp_connected() == 0; }));
  run_for(&f.loop, 150);   // several refused attempts (backoff 20, 40, 50 ms): one log line
  for (int i = 0; i < 3; ++i) CHECK(f.sender->hsl_send(h, "during " + std::to_string(i) + "\n"));

  c.start(port);
  const std::string expected = "before\nduring 0\nduring 1\nduring 2\n";
  CHECK(run_until(&f.loop, [&] { return c.received.size() >= expected.size(); }));
  CHECK(c.received == expected);
  CHECK(c.accepted == 2);
  CHECK(f.sender->tcp_counters().sent == 4);
  CHECK(f.sender->tcp_counters().dropped == 0);
  CHECK(f.sender->hsl_send(h, "after\n"));
  CHECK(run_until(&f.loop, [&] { return c.received.size() >= expected.size() + 6; }));
  CHECK(c.received.substr(expected.size()) == "after\n");

  const std::vector<std::string> lines = log.messages();
  REQUIRE(lines.size() == 2);
  CHECK(lines[0] == "HSL: connection to " + label + " (TCP) was closed by the collector: end of file; retrying");
  CHECK(lines[1] == "HSL: connection to " + label + " (TCP) is up again");
  c.stop();
  CHECK(f.finish());
}

TEST_CASE("HSL TCP: the queue bound drops and counts what does not fit, the rest goes out later", "[hsl]") {
  LogCapture log;
  HslOptions options = fast_options();
  options.queue_limit = 100;
  Fixture f(options);
  TcpCollector c(&f.loop);
  const uint16_t port = c.port;
  const std::string label = "127.0.0.1:" + std::to_string(port);
  c.stop();   // down from the start: the messages wait
  auto config = pool_config({{"127.0.0.1", port}});
  std::string h = open_ok(*f.sender, *config, "syslog_pool", true);
  CHECK(run_until(&f.loop, [&] { return !log.messages().empty(); }));   // the first refusal
  int accepted = 0;
  for (int i = 0; i < 15; ++i) accepted += f.sender->hsl_send(h, "message-" + std::to_string(i % 10) + "\n") ? 1 : 0;
  CHECK(accepted == 10);   // 10 bytes each, 100 bytes of room
  CHECK(f.sender->tcp_counters().dropped == 5);
  CHECK_FALSE(f.sender->hsl_send(h, std::string(101, 'x')));   // never fits
  CHECK(f.sender->tcp_counters().dropped == 6);

  c.start(port);
  CHECK(run_until(&f.loop, [&] { return c.received.size() >= 100; }));
  CHECK(c.received.substr(0, 20) == "message-0\nmessage-1\n");
  CHECK(c.received.size() == 100);
  CHECK(f.sender->tcp_counters().sent == 10);
  CHECK(f.sender->hsl_send(h, "room\n"));   // room again: logged once
  CHECK(run_until(&f.loop, [&] { return c.received.size() >= 105; }));

  const std::vector<std::string> lines = log.messages();
  REQUIRE(lines.size() == 4);
  CHECK(lines[0] == "HSL: connection to " + label + " (TCP) failed to connect: connection refused; retrying");
  CHECK(lines[1] == "HSL: queue to " + label + " (TCP) is full (100 bytes waiting); dropping messages");
  CHECK(lines[2] == "HSL: connection to " + label + " (TCP) is up");   // never was before
  CHECK(lines[3] == "HSL: queue to " + label + " (TCP) has room again; 6 messages were dropped");
  c.stop();
  CHECK(f.finish());
}

TEST_CASE("HSL close: queued messages are dropped and counted, the loop ends, nothing sends after", "[hsl]") {
  LogCapture log;
  Fixture f(fast_options());
  TcpCollector c(&f.loop);
  const uint16_t port = c.port;
  c.stop();
  UdpReceiver rx(&f.loop);
  auto config = pool_config({{"127.0.0.1", port}});
  config->pools.push_back(pool_config({{"127.0.0.1", rx.port}}, "/Common/udp_pool")->pools[0]);
  std::string tcp = open_ok(*f.sender, *config, "syslog_pool", true);
  std::string udp = open_ok(*f.sender, *config, "udp_pool", false);
  CHECK(f.sender->hsl_send(tcp, "queued\n"));
  CHECK(f.sender->hsl_send(tcp, "queued\n"));
  rx.close();
  CHECK(f.finish());
  CHECK(f.sender->tcp_counters().dropped == 2);
  CHECK_FALSE(f.sender->hsl_send(tcp, "late\n"));
  CHECK_FALSE(f.sender->hsl_send(udp, "late\n"));
  CHECK(f.sender->tcp_counters().dropped == 3);
  CHECK(f.sender->udp_counters().dropped == 1);
}
