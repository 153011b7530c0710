// HSL::open and HSL::send through the real interpreter, against a recording WorkerServices (the
// sockets themselves are core_hsl_sender_test's), and once end to end with the real HslSender and a
// loopback UDP receiver.
#include <catch2/catch.hpp>

#include "test/unit/log_capture.h"
#include "test/unit/rule_config.h"

#include <string>
#include <vector>

#include "core/hsl_sender.h"
#include "core/worker_services.h"
#include "tclext/tcl_rule_engine.h"

using namespace irulesd;
using namespace irulesd::tclext;

using irulesd::test::LogCapture;
using irulesd::test::one_rule_config;

namespace {

constexpr const char* kFile = "/etc/irulesd/bigip.conf";

// Records what the commands ask of the worker.
struct FakeServices : WorkerServices {
  struct Open {
    const Config* config;
    std::string pool;
    bool tcp;
  };
  std::vector<Open> opens;
  std::vector<std::pair<std::string, std::string>> sends;   // handle, data
  std::string open_error;    // non-empty: hsl_open fails with it
  bool send_result = true;

  std::string hsl_open(const Config& config, const std::string& pool, bool tcp, std::string* error) override {
    opens.push_back({&config, pool, tcp});
    if (!open_error.empty()) {
      *error = open_error;
      return {};
    }
    return std::string("h:") + (tcp ? "TCP:" : "UDP:") + pool;
  }
  bool hsl_send(const std::string& handle, std::string_view data) override {
    sends.emplace_back(handle, std::string(data));
    return send_result;
  }
  void close() override {}
};

struct Outcome {
  RuleOutcome outcome;
  std::vector<std::string> log;   // messages, without the line prefix
  const Config* config = nullptr;
};

// Fires `when EVENT { SCRIPT }` once with services as the connection's worker services (none when null).
Outcome run(const std::string& script, WorkerServices* services, Event event = Event::HttpRequest,
            std::shared_ptr<Config> config = nullptr) {
  const std::string text = std::string("when ") + event_name(event) + " {\n" + script + "\n}\n";
  if (config == nullptr) {
    config = one_rule_config(text);
  } else {
    config->rules.push_back(Rule{"/Common/r", text, SourceLoc{kFile, 1}});
    VirtualServer vs;
    vs.has_http_profile = true;   // the rules handle HTTP events
    vs.name = "/Common/vs";
    vs.rules = {"/Common/r"};
    config->virtuals.push_back(vs);
  }
  REQUIRE(make_tcl_rule_engine_factory()->check(*config).empty());
  LogCapture log;   // after the check, which runs RULE_INIT of its own
  Outcome out;
  out.config = config.get();
  {
    TclRuleEngine engine(config);
    Transaction tx;
    tx.services = services;
    RequestHead request;
    request.method = "GET";
    request.uri = "/";
    if (event == Event::HttpRequest) tx.request = &request;
    // RULE_INIT ran when the engine was made.
    out.outcome = event == Event::RuleInit ? RuleOutcome::Continue : engine.fire(config->virtuals.front(), event, tx);
    tx.rule_scope.reset();
  }
  out.log = log.messages();
  return out;
}

// The log line of a runtime error in HTTP_REQUEST whose message is exactly `message` (Tcl's error
// info follows it after white space).
bool is_error(const std::string& line, const std::string& message) {
  const std::string prefix = "TCL error: /Common/r <HTTP_REQUEST> - " + message;
  return line.rfind(prefix, 0) == 0 && line.size() > prefix.size() && line[prefix.size()] == ' ';
}

}  // namespace

TEST_CASE("HSL::open -proto UDP|TCP -pool: a handle from the worker for the rule's config", "[hsl]") {
  FakeServices services;
  Outcome out = run("log -noname local0. [HSL::open -proto UDP -pool syslog_pool]\n"
                    "log -noname local0. [HSL::open -pool /Common/tcp_pool -proto TCP]",
                    &services);
  CHECK(out.outcome == RuleOutcome::Continue);
  CHECK(out.log == std::vector<std::string>{"h:UDP:syslog_pool", "h:TCP:/Common/tcp_pool"});
  REQUIRE(services.opens.size() == 2);
  CHECK(services.opens[0].pool == "syslog_pool");
  CHECK_FALSE(services.opens[0].tcp);
  CHECK(services.opens[1].tcp);
  CHECK(services.opens[0].config == out.config);   // the config the rule runs under
}

TEST_CASE("HSL::send: the data as is, 1 when sent or queued, 0 when dropped", "[hsl]") {
  FakeServices services;
  Outcome out = run("set hsl [HSL::open -proto UDP -pool syslog_pool]\n"
                    "log -noname local0. [HSL::send $hsl \"<190> [HTTP::method] [HTTP::uri]\\n\"]\n"
                    "log -noname local0. [HSL::send $hsl [binary format a3 \"a\\0b\"]]",
                    &services);
  CHECK(out.outcome == RuleOutcome::Continue);
  CHECK(out.log == std::vector<std::string>{"1", "1"});
  REQUIRE(services.sends.size() == 2);
  CHECK(services.sends[0] == std::make_pair(std::string("h:UDP:syslog_pool"), std::string("<190> GET /\n")));
  CHECK(services.sends[1].second == std::string("a\0b", 3));   // byte-exact, NUL included

  services.send_result = false;
  Outcome dropped = run("log -noname local0. [HSL::send [HSL::open -proto TCP -pool p] x]", &services);
  CHECK(dropped.log == std::vector<std::string>{"0"});
}

TEST_CASE("HSL commands: argument, protocol, publisher, pool and worker errors", "[hsl]") {
  FakeServices services;
  struct Case {
    const char* script;
    const char* error;   // the message after "TCL error: /Common/r <HTTP_REQUEST> - "
  };
  const Case cases[] = {
      {"HSL::open", "wrong # args: should be \"HSL::open -proto UDP|TCP -pool pool\""},
      {"HSL::open -proto UDP", "wrong # args: should be \"HSL::open -proto UDP|TCP -pool pool\""},
      {"HSL::open -proto UDP -pool", "wrong # args: should be \"HSL::open -proto UDP|TCP -pool pool\""},
      {"HSL::open -proto UDP -proto TCP", "wrong # args: should be \"HSL::open -proto UDP|TCP -pool pool\""},
      {"HSL::open -proto UDP -host p", "wrong # args: should be \"HSL::open -proto UDP|TCP -pool pool\""},
      {"HSL::open -proto {} -proto UDP", "wrong # args: should be \"HSL::open -proto UDP|TCP -pool pool\""},
      {"HSL::open -pool a -pool b", "wrong # args: should be \"HSL::open -proto UDP|TCP -pool pool\""},
      {"HSL::open -proto {} -pool p", "HSL::open: bad protocol \"\": must be UDP or TCP"},
      {"HSL::open -proto udp -pool p", "HSL::open: bad protocol \"udp\": must be UDP or TCP"},
      {"HSL::open -proto SCTP -pool p", "HSL::open: bad protocol \"SCTP\": must be UDP or TCP"},
      {"HSL::open -publisher /Common/lpAll",
       "HSL::open: -publisher is not supported (irulesd has no log publishers); use HSL::open -proto UDP|TCP "
       "-pool pool"},
      {"HSL::open -pub lp", "HSL::open: -publisher is not supported (irulesd has no log publishers); use "
                            "HSL::open -proto UDP|TCP -pool pool"},
      {"HSL::send", "wrong # args: should be \"HSL::send handle data\""},
      {"HSL::send h", "wrong # args: should be \"HSL::send handle data\""},
      {"HSL::send h a b", "wrong # args: should be \"HSL::send handle data\""},
  };
  for (const Case& c : cases) {
    INFO(c.script);
    Outcome out = run(c.script, &services);
    CHECK(out.outcome == RuleOutcome::Reset);
    REQUIRE(out.log.size() == 1);
    CHECK(is_error(out.log[0], c.error));
  }
  CHECK(services.opens.empty());
  CHECK(services.sends.empty());

  services.open_error = "no such pool: nope";
  Outcome unknown = run("HSL::open -proto UDP -pool nope", &services);
  CHECK(unknown.outcome == RuleOutcome::Reset);
  REQUIRE(unknown.log.size() == 1);
  CHECK(is_error(unknown.log[0], "HSL::open: no such pool: nope"));

  // A Transaction outside a worker has no services.
  for (const char* script : {"HSL::open -proto UDP -pool p", "HSL::send h data"}) {
    INFO(script);
    Outcome none = run(script, nullptr);
    CHECK(none.outcome == RuleOutcome::Reset);
    REQUIRE(none.log.size() == 1);
    const std::string command = std::string(script).substr(0, 9);
    CHECK(is_error(none.log[0], command + ": high-speed logging is not available outside a worker's connection"));
  }
}

TEST_CASE("HSL commands run in connection events, not in RULE_INIT", "[hsl]") {
  FakeServices services;
  for (Event event : {Event::ClientAccepted, Event::HttpRequest, Event::ClientClosed}) {
    INFO(event_name(event));
    services.sends.clear();
    Outcome out = run("HSL::send [HSL::open -proto UDP -pool p] x", &services, event);
    CHECK(out.outcome == RuleOutcome::Continue);
    CHECK(services.sends.size() == 1);
  }
  // RULE_INIT has no connection. Refused when the rule loads where the load-time command check
  // knows the events (tclext/command_policy), otherwise when it runs.
  for (const char* command : {"HSL::open -proto UDP -pool p", "HSL::send h x"}) {
    INFO(command);
    const std::string name = std::string(command).substr(0, 9);
    auto config = one_rule_config(std::string("when RULE_INIT {\n") + command + "\n}\n");
    const std::vector<ConfigError> errors = make_tcl_rule_engine_factory()->check(*config);
    if (!errors.empty()) {
      CHECK(errors[0].message.find("\"" + name + "\" is not valid in event RULE_INIT") != std::string::npos);
      continue;
    }
    Outcome init = run(std::string("catch {") + command + "} e\nlog -noname local0. $e", &services, Event::RuleInit);
    CHECK(init.log == std::vector<std::string>{name + ": command is not valid in event RULE_INIT"});
  }
}

TEST_CASE("HSL end to end: a rule sends through the real sender to a loopback UDP collector", "[hsl]") {
  uv_loop_t loop;
  uv_loop_init(&loop);
  uv_udp_t rx;
  uv_udp_init(&loop, &rx);
  sockaddr_in addr;
  uv_ip4_addr("127.0.0.1", 0, &addr);
  REQUIRE(uv_udp_bind(&rx, reinterpret_cast<const sockaddr*>(&addr), 0) == 0);
  int len = sizeof addr;
  uv_udp_getsockname(&rx, reinterpret_cast<sockaddr*>(&addr), &len);

  auto config = std::make_shared<Config>();
  config->file = kFile;
  Pool pool;
  pool.name = "/Common/syslog_pool";
  pool.members.push_back(PoolMember{"/Common/c:x", "/Common/c", "127.0.0.1", ntohs(addr.sin_port), {}});
  config->pools.push_back(pool);
  {
    HslSender sender(&loop);
    Outcome out = run("set hsl [HSL::open -proto UDP -pool syslog_pool]\n"
                      "log -noname local0. \"$hsl [HSL::send $hsl \"<190> [HTTP::uri]\\n\"]\"",
                      &sender, Event::HttpRequest, config);
    CHECK(out.log == std::vector<std::string>{"hsl:UDP:/Common/syslog_pool 1"});
    CHECK(sender.udp_counters().sent == 1);
    sender.close();
    uv_run(&loop, UV_RUN_NOWAIT);   // the sender's socket closes: only the receiver is left
    int handles = 0;
    uv_walk(&loop, [](uv_handle_t*, void* count) { ++*static_cast<int*>(count); }, &handles);
    CHECK(handles == 1);
  }
  // The datagram waits in the receiver's socket.
  char buf[64];
  uv_os_fd_t fd;
  REQUIRE(uv_fileno(reinterpret_cast<uv_handle_t*>(&rx), &fd) == 0);
  const ssize_t n = ::recv(fd, buf, sizeof buf, MSG_DONTWAIT);
  CHECK(std::string(buf, n > 0 ? static_cast<std::size_t>(n) : 0) == "<190> /\n");
  uv_close(reinterpret_cast<uv_handle_t*>(&rx), nullptr);
  uv_run(&loop, UV_RUN_NOWAIT);
  CHECK(uv_loop_close(&loop) == 0);
}
