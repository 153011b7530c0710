// ns per HTTP_REQUEST dispatch inside one process: the real config parser, the real Tcl rule engine
// and its commands, a request as the core hands it over. Rules: allow-ws (irules/allow-ws.tcl, with and
// without an Upgrade header), the 30-line rule (bench/rules/thirty-line.tcl) and an empty handler (the
// cost of dispatch itself). Not a test: bench/rule_dispatch.sh builds Release and runs it.
//   rule_dispatch SOURCE_DIR [FIRES]
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

#include "core/config.h"
#include "core/log.h"
#include "core/rule_engine.h"

using namespace irulesd;

namespace {

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  std::ostringstream text;
  text << in.rdbuf();
  if (!in) {
    std::fprintf(stderr, "cannot read %s\n", path.c_str());
    std::exit(1);
  }
  return text.str();
}

std::string config_text(const std::string& rule_name) {
  return "net self /Common/self { address 127.0.0.20/24 vlan /Common/internal }\n"
         "ltm pool /Common/web_pool { members { /Common/w:80 { address 127.0.0.11 } } }\n"
         "ltm pool /Common/api_pool { members { /Common/a:80 { address 127.0.0.12 } } }\n"
         "ltm data-group internal /Common/admin_clients { records { 10.0.0.1 { } 10.0.0.2 { } 192.168.1.0/24 { } }"
         " type ip }\n"
         "ltm data-group internal /Common/blocked_hosts { records { .evil.example { } .spam.example { } "
         ".bad.example { } } type string }\n"
         "ltm virtual /Common/vs { destination /Common/127.0.0.10:80 ip-protocol tcp pool /Common/web_pool "
         "profiles { /Common/http { } /Common/tcp { } } rules { " + rule_name + " } }\n";
}

RequestHead sample_request(bool upgrade) {
  RequestHead head;
  head.method = "GET";
  head.uri = "/api/v1/users/42?fields=name";
  for (auto [name, value] : {std::pair{"Host", "www.example.com"}, {"User-Agent", "Mozilla/5.0 (X11; Linux x86_64)"},
                             {"Accept", "*/*"}, {"Accept-Encoding", "gzip"}, {"X-Forwarded-For", "10.0.0.7, 10.1.1.1"},
                             {"Cookie", "session=abc123; theme=dark"}}) {
    head.headers.add(name, value);
  }
  if (upgrade) {
    head.headers.add("Connection", "Upgrade");
    head.headers.add("Upgrade", "websocket");
  }
  return head;
}

// ns per fire of `rule_text`, on a fresh copy of `request` each time (the copy is timed separately and
// taken off: the core parses a new head per request, it does not copy one).
double ns_per_fire(const std::string& source_dir, const std::string& rule_name, const std::string& rule_text,
                   const RequestHead& request, int fires) {
  ConfigLoadResult loaded = parse_config(config_text(rule_name) + "ltm rule " + rule_name + " {\n" + rule_text + "\n}\n",
                                         "bench.conf", source_dir + "/irules");
  if (!loaded.config) {
    for (const ConfigError& e : loaded.errors) std::fprintf(stderr, "%s\n", e.str().c_str());
    std::exit(1);
  }
  auto factory = make_tcl_rule_engine_factory();
  if (auto errors = factory->check(*loaded.config); !errors.empty()) {
    for (const ConfigError& e : errors) std::fprintf(stderr, "%s\n", e.str().c_str());
    std::exit(1);
  }
  auto engine = factory->create(loaded.config);
  const VirtualServer& vs = loaded.config->virtuals.front();
  Transaction tx;
  tx.virtual_name = vs.name;
  tx.client_addr = "10.0.0.7";
  tx.client_port = 51000;
  tx.local_addr = "127.0.0.10";
  tx.local_port = 80;
  RequestHead head;
  using clock = std::chrono::steady_clock;
  auto copy_start = clock::now();
  for (int i = 0; i < fires; ++i) {
    head = request;
    asm volatile("" : : "r"(&head) : "memory");
  }
  const double copy_ns = std::chrono::duration<double, std::nano>(clock::now() - copy_start).count();
  auto start = clock::now();
  for (int i = 0; i < fires; ++i) {
    head = request;
    tx.request = &head;
    tx.begin_request();
    engine->fire(vs, Event::HttpRequest, tx);
  }
  const double total_ns = std::chrono::duration<double, std::nano>(clock::now() - start).count();
  tx.rule_scope.reset();
  engine.reset();
  factory->thread_finished();
  return (total_ns - copy_ns) / fires;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: rule_dispatch SOURCE_DIR [FIRES]\n");
    return 2;
  }
  const std::string source_dir = argv[1];
  const int fires = argc > 2 ? std::atoi(argv[2]) : 200000;
  log_open("/dev/null");
  log_batch_begin();   // as on a worker: log lines collect and go out in one write per batch
  const std::string allow_ws = read_file(source_dir + "/irules/allow-ws.tcl");
  const std::string quiet_ws =
      "when HTTP_REQUEST {\n if { \"websocket\" eq [string tolower [HTTP::header value \"Upgrade\"]] } {\n"
      "  HTTP::disable\n }\n}\n";
  const std::string thirty = read_file(source_dir + "/bench/rules/thirty-line.tcl");
  struct Row {
    const char* what;
    std::string name;
    const std::string* text;
    bool upgrade;
  } rows[] = {
      {"empty HTTP_REQUEST handler (dispatch alone)", "/Common/empty", nullptr, false},
      {"allow-ws, plain request (1 log line)", "/Common/allow-ws", &allow_ws, false},
      {"allow-ws, WebSocket upgrade (2 log lines)", "/Common/allow-ws", &allow_ws, true},
      {"allow-ws without its log lines", "/Common/allow-ws-quiet", &quiet_ws, false},
      {"30-line rule (headers, switch -glob, class match x2, insert, pool)", "/Common/thirty", &thirty, false},
  };
  const std::string empty = "when HTTP_REQUEST { }\n";
  std::printf("%-70s %10s\n", "rule", "ns/fire");
  for (const Row& row : rows) {
    const double ns = ns_per_fire(source_dir, row.name, row.text ? *row.text : empty, sample_request(row.upgrade), fires);
    std::printf("%-70s %10.0f\n", row.what, ns);
  }
  log_flush();
  log_open("");
  return 0;
}
