// The iRule commands as data: a handler script and a request/response in; the result the script
// logs, the headers and the Transaction's decisions out.
#include <catch2/catch.hpp>

#include "test/unit/log_capture.h"
#include "test/unit/rule_config.h"

#include <unistd.h>

#include <fstream>

#include "core/log.h"
#include "tclext/tcl_rule_engine.h"

using namespace irulesd;
using namespace irulesd::tclext;

using irulesd::test::LogCapture;
using irulesd::test::one_rule_config;

namespace {

constexpr const char* kFile = "/etc/irulesd/bigip.conf";

struct Outcome {
  RuleOutcome outcome;
  std::vector<std::string> log;   // messages, without the line prefix
  struct OwnedHeader {
    std::string name;
    std::string value;
  };
  std::vector<OwnedHeader> headers;    // the head the event acted on, afterwards (copies: the list is gone)
  std::string uri;
  Transaction tx;
};

// Fires `when EVENT { SCRIPT }` once on a GET /a/b.html?x=1 HTTP/1.1 request (and, for HTTP_RESPONSE,
// a 404 HTTP/1.0 response) carrying headers.
// Pool states as a config version reports them: the second member of every pool is down.
struct SecondMemberDown final : PoolStates {
  std::size_t active_members(const Pool& pool) const override { return pool.members.size() - 1; }
  const char* member_status(const Pool&, std::size_t member) const override { return member == 1 ? "down" : "up"; }
};

const PoolStates* g_pool_states = nullptr;   // what run() gives the Transaction

Outcome run(Event event, const std::string& script, const std::vector<Header>& headers = {}) {
  LogCapture log;
  auto config = one_rule_config(std::string("when ") + event_name(event) + " {\n" + script + "\n}\n");
  REQUIRE(make_tcl_rule_engine_factory()->check(*config).empty());
  Outcome out;
  RequestHead request;
  ResponseHead response;
  {
    TclRuleEngine engine(config);
    Transaction tx;
    tx.client_addr = "192.0.2.7";
    tx.client_port = 51234;
    tx.local_addr = "127.0.0.10";
    tx.local_port = 8080;
    request.method = "GET";
    request.uri = "/a/b.html?x=1";
    response.status = 404;
    response.version_minor = 0;
    HeaderList& list = event == Event::HttpResponse ? response.headers : request.headers;
    for (const Header& h : headers) list.add(h.name, h.value);
    if (event == Event::HttpRequest || event == Event::HttpResponse) tx.request = &request;
    if (event == Event::HttpResponse) tx.response = &response;
    tx.pool_states = g_pool_states;
    out.outcome = engine.fire(config->virtuals.front(), event, tx);
    for (const Header& h : list.items()) out.headers.push_back({std::string(h.name), std::string(h.value)});
    out.uri = request.uri;
    tx.rule_scope.reset();
    out.tx.selected_pool = tx.selected_pool;
    out.tx.http_disabled = tx.http_disabled;
  }
  out.log = log.messages();
  return out;
}

// What `log -noname local0. RESULT` printed for each line of a script.
struct ResultCase {
  const char* script;
  std::vector<std::string> log;
};

void check_results(Event event, const std::vector<Header>& headers, const std::vector<ResultCase>& cases) {
  for (const ResultCase& c : cases) {
    INFO(c.script);
    Outcome out = run(event, c.script, headers);
    CHECK(out.outcome == RuleOutcome::Continue);
    CHECK(out.log == c.log);
  }
}

const std::vector<Header> kRequestHeaders = {
    {"Host", "www.example.com"}, {"Cookie", "a=1"}, {"Accept", "*/*"}, {"cookie", "b=2"}, {"X-Spaced", "one two"},
};

}  // namespace

TEST_CASE("HTTP::header reads: value, bare name, values, names, count, exists", "[tclext]") {
  check_results(Event::HttpRequest, kRequestHeaders,
                {
                    {"log -noname local0. [HTTP::header value Accept]", {"*/*"}},
                    {"log -noname local0. [HTTP::header ACCEPT]", {"*/*"}},
                    {"log -noname local0. [HTTP::header value COOKIE]", {"b=2"}},   // the last one
                    {"log -noname local0. \"<[HTTP::header value Missing]>\"", {"<>"}},
                    {"log -noname local0. \"<[HTTP::header Missing]>\"", {"<>"}},
                    {"log -noname local0. [HTTP::header values Cookie]", {"a=1 b=2"}},
                    {"log -noname local0. [llength [HTTP::header values cookie]]", {"2"}},
                    {"log -noname local0. [HTTP::header values X-Spaced]", {"one two"}},   // one value: as is
                    {"log -noname local0. \"<[HTTP::header values Missing]>\"", {"<>"}},
                    {"log -noname local0. [HTTP::header names]", {"Host Cookie Accept cookie X-Spaced"}},
                    {"log -noname local0. [HTTP::header count cookie]", {"2"}},
                    {"log -noname local0. [HTTP::header count]", {"5"}},
                    {"log -noname local0. [HTTP::header count Missing]", {"0"}},
                    {"log -noname local0. [HTTP::header exists host]", {"1"}},
                    {"log -noname local0. [HTTP::header exists Missing]", {"0"}},
                });
}

TEST_CASE("HTTP::header edits: insert, remove, replace", "[tclext]") {
  struct Case {
    const char* script;
    std::vector<Header> after;
  };
  const Case cases[] = {
      {"HTTP::header insert X-A 1", {{"Host", "h"}, {"Cookie", "a=1"}, {"cookie", "b=2"}, {"X-A", "1"}}},
      {"HTTP::header insert X-A 1 X-B \"2 3\"",
       {{"Host", "h"}, {"Cookie", "a=1"}, {"cookie", "b=2"}, {"X-A", "1"}, {"X-B", "2 3"}}},
      {"HTTP::header insert lws X-A 1", {{"Host", "h"}, {"Cookie", "a=1"}, {"cookie", "b=2"}, {"X-A", "1"}}},
      {"HTTP::header insert Cookie c=3", {{"Host", "h"}, {"Cookie", "a=1"}, {"cookie", "b=2"}, {"Cookie", "c=3"}}},
      {"HTTP::header remove COOKIE", {{"Host", "h"}}},
      {"HTTP::header remove Missing", {{"Host", "h"}, {"Cookie", "a=1"}, {"cookie", "b=2"}}},
      {"HTTP::header replace Cookie z=9", {{"Host", "h"}, {"Cookie", "a=1"}, {"cookie", "z=9"}}},   // the last one
      {"HTTP::header replace X-New v", {{"Host", "h"}, {"Cookie", "a=1"}, {"cookie", "b=2"}, {"X-New", "v"}}},
      {"HTTP::header replace Host", {{"Host", ""}, {"Cookie", "a=1"}, {"cookie", "b=2"}}},
  };
  const std::vector<Header> in = {{"Host", "h"}, {"Cookie", "a=1"}, {"cookie", "b=2"}};
  for (const Case& c : cases) {
    INFO(c.script);
    Outcome out = run(Event::HttpRequest, c.script, in);
    CHECK(out.outcome == RuleOutcome::Continue);
    REQUIRE(out.headers.size() == c.after.size());
    for (std::size_t i = 0; i < c.after.size(); ++i) {
      CHECK(out.headers[i].name == c.after[i].name);
      CHECK(out.headers[i].value == c.after[i].value);
    }
  }
}

TEST_CASE("HTTP::header acts on the response in HTTP_RESPONSE", "[tclext]") {
  Outcome out = run(Event::HttpResponse,
                    "log -noname local0. [HTTP::header Server]\nHTTP::header remove Server\n"
                    "HTTP::header insert X-Via irulesd\nlog -noname local0. \"[HTTP::status] [HTTP::version]\"",
                    {{"Server", "nginx"}, {"Content-Length", "0"}});
  CHECK(out.outcome == RuleOutcome::Continue);
  CHECK(out.log == std::vector<std::string>{"nginx", "404 1.0"});
  REQUIRE(out.headers.size() == 2);
  CHECK(out.headers[0].name == "Content-Length");
  CHECK(out.headers[1].name == "X-Via");
  CHECK(out.headers[1].value == "irulesd");
}

TEST_CASE("HTTP request commands: uri, path, method, host, version", "[tclext]") {
  check_results(Event::HttpRequest, kRequestHeaders,
                {
                    {"log -noname local0. [HTTP::uri]", {"/a/b.html?x=1"}},
                    {"log -noname local0. [HTTP::path]", {"/a/b.html"}},
                    {"log -noname local0. [HTTP::method]", {"GET"}},
                    {"log -noname local0. [HTTP::host]", {"www.example.com"}},
                    {"log -noname local0. [HTTP::version]", {"1.1"}},
                    {"HTTP::path /c\nlog -noname local0. \"[HTTP::uri] [HTTP::path]\"", {"/c?x=1 /c"}},
                    {"HTTP::uri /new?q=2\nlog -noname local0. \"[HTTP::uri] [HTTP::path]\"", {"/new?q=2 /new"}},
                });
  Outcome out = run(Event::HttpRequest, "HTTP::uri /rewritten");
  CHECK(out.uri == "/rewritten");
  CHECK(run(Event::HttpRequest, "log -noname local0. \"<[HTTP::host]>\"").log == std::vector<std::string>{"<>"});
}

TEST_CASE("HTTP::disable sets the Transaction's decision", "[tclext]") {
  CHECK(run(Event::HttpRequest, "HTTP::disable").tx.http_disabled);
  CHECK_FALSE(run(Event::HttpRequest, "HTTP::header value Upgrade").tx.http_disabled);
}

TEST_CASE("IP and TCP commands report the client connection", "[tclext]") {
  check_results(Event::ClientAccepted, {},
                {
                    {"log -noname local0. \"[IP::client_addr]:[TCP::client_port]\"", {"192.0.2.7:51234"}},
                    {"log -noname local0. \"[IP::remote_addr]:[TCP::remote_port]\"", {"192.0.2.7:51234"}},
                    {"log -noname local0. \"[IP::local_addr]:[TCP::local_port]\"", {"127.0.0.10:8080"}},
                });
}

TEST_CASE("pool selects a configured pool by short or full name", "[tclext]") {
  CHECK(run(Event::HttpRequest, "pool api_pool").tx.selected_pool == "/Common/api_pool");
  CHECK(run(Event::ClientAccepted, "pool /Common/web_pool").tx.selected_pool == "/Common/web_pool");
  // Named literally, an unknown pool is a load error (tclext_rule_loader_test.cc); from a variable, a
  // runtime one.
  Outcome unknown = run(Event::HttpRequest, "set p nope_pool; pool $p");
  CHECK(unknown.outcome == RuleOutcome::Reset);
  CHECK(unknown.tx.selected_pool.empty());
  REQUIRE(unknown.log.size() == 1);
  CHECK(unknown.log[0].rfind("TCL error: /Common/r <HTTP_REQUEST> - no such pool: nope_pool", 0) == 0);
}

TEST_CASE("log writes ltm lines with the mapped level", "[tclext]") {
  struct Case {
    const char* script;
    const char* level;
    const char* message;
  };
  const Case cases[] = {
      {"log local0. hello", "info", "Rule /Common/r <HTTP_REQUEST>: hello"},
      {"log \"no facility\"", "info", "Rule /Common/r <HTTP_REQUEST>: no facility"},
      {"log -noname local0. bare", "info", "bare"},
      {"log local0.info i", "info", "Rule /Common/r <HTTP_REQUEST>: i"},
      {"log local0.notice n", "notice", "Rule /Common/r <HTTP_REQUEST>: n"},
      {"log local0.warn w", "warning", "Rule /Common/r <HTTP_REQUEST>: w"},
      {"log local0.warning w", "warning", "Rule /Common/r <HTTP_REQUEST>: w"},
      {"log local0.err e", "err", "Rule /Common/r <HTTP_REQUEST>: e"},
      {"log local0.error e", "err", "Rule /Common/r <HTTP_REQUEST>: e"},
      {"log local0.debug d", "debug", "Rule /Common/r <HTTP_REQUEST>: d"},
      {"log local0.crit c", "crit", "Rule /Common/r <HTTP_REQUEST>: c"},
      {"log local0.alert a", "alert", "Rule /Common/r <HTTP_REQUEST>: a"},
      {"log local0.emerg x", "emerg", "Rule /Common/r <HTTP_REQUEST>: x"},
      {"log local7.info seven", "info", "Rule /Common/r <HTTP_REQUEST>: seven"},
      {"log 10.0.0.1:514 local0.info remote", "info", "Rule /Common/r <HTTP_REQUEST>: remote"},
      {"log local0. \"two\nlines\"", "info", "Rule /Common/r <HTTP_REQUEST>: two lines"},
  };
  for (const Case& c : cases) {
    INFO(c.script);
    LogCapture log;
    auto config = one_rule_config(std::string("when HTTP_REQUEST {\n") + c.script + "\n}\n");
    RequestHead request;
    TclRuleEngine engine(config);
    Transaction tx;
    tx.request = &request;
    CHECK(engine.fire(config->virtuals.front(), Event::HttpRequest, tx) == RuleOutcome::Continue);
    std::vector<std::string> lines = log.lines();
    REQUIRE(lines.size() == 1);
    CHECK(lines[0].find(std::string(" irulesd ") + c.level + " tmm[") != std::string::npos);
    CHECK(lines[0].substr(lines[0].find("]: ") + 3) == c.message);
  }
  Outcome bad = run(Event::HttpRequest, "log local0.loud x");
  CHECK(bad.outcome == RuleOutcome::Reset);
  REQUIRE(bad.log.size() == 1);
  CHECK(bad.log[0].rfind("TCL error: /Common/r <HTTP_REQUEST> - log: bad facility.level \"local0.loud\"", 0) == 0);
}

TEST_CASE("commands check their arguments and events", "[tclext]") {
  struct Case {
    Event event;
    const char* script;
    const char* error;   // start of the message after "TCL error: /Common/r <EVENT> - "
  };
  const Case cases[] = {
      // Named literally these are load errors (tclext_rule_loader_test.cc); reached through a variable,
      // the command itself refuses at run time.
      {Event::ClientAccepted, "set c HTTP::header; $c value Host", "HTTP::header: command is not valid in event CLIENT_ACCEPTED"},
      {Event::ClientAccepted, "set c HTTP::disable; $c", "HTTP::disable: command is not valid in event CLIENT_ACCEPTED"},
      {Event::ClientClosed, "set c HTTP::uri; $c", "HTTP::uri: command is not valid in event CLIENT_CLOSED"},
      {Event::HttpRequest, "set c HTTP::status; $c", "HTTP::status: command is not valid in event HTTP_REQUEST"},
      {Event::ServerClosed, "set c pool; $c web_pool", "pool: command is not valid in event SERVER_CLOSED"},
      {Event::HttpRequest, "HTTP::header", "wrong # args: should be \"HTTP::header ?value? name"},
      {Event::HttpRequest, "HTTP::header value", "wrong # args: should be \"HTTP::header value name\""},
      {Event::HttpRequest, "HTTP::header insert X", "wrong # args: should be \"HTTP::header insert ?lws? name value"},
      {Event::HttpRequest, "HTTP::header insert X 1 Y", "wrong # args"},
      {Event::HttpRequest, "HTTP::header insert \"Bad Name\" 1", "HTTP::header: invalid header name \"Bad Name\""},
      {Event::HttpRequest, "HTTP::header replace X \"a\\r\\nInjected: 1\"",
       "HTTP::header: header value of \"X\" contains CR, LF or NUL"},
      {Event::HttpRequest, "HTTP::disable now", "wrong # args: should be \"HTTP::disable\""},
      {Event::HttpRequest, "HTTP::uri \"/a b\"", "HTTP::uri: invalid URI \"/a b\""},
      {Event::HttpRequest, "pool", "wrong # args: should be \"pool name ?member addr ?port??\""},
      {Event::HttpRequest, "IP::client_addr x", "wrong # args: should be \"IP::client_addr\""},
      {Event::HttpRequest, "log", "wrong # args: should be \"log ?-noname? ?remote_ip[:port]? ?facility.level? message\""},
  };
  for (const Case& c : cases) {
    INFO(c.script);
    Outcome out = run(c.event, c.script);
    CHECK(out.outcome == RuleOutcome::Reset);
    REQUIRE(out.log.size() == 1);
    const std::string prefix = std::string("TCL error: /Common/r <") + event_name(c.event) + "> - " + c.error;
    CHECK(out.log[0].substr(0, prefix.size()) == prefix);
  }
}

TEST_CASE("active_members and LB::status read the pools' live state", "[tclext]") {
  SecondMemberDown states;
  g_pool_states = &states;
  auto members = [](const char* pool) {
    return std::string("set n [active_members ") + pool + "]; set l [active_members -list " + pool +
           "]; log -noname local0. \"$n <$l> [LB::status pool " + pool + " member 10.0.0.2 80] [LB::status pool " +
           pool + " member 10.0.0.1 80] [LB::status pool " + pool + " member 10.9.9.9 80]\"";
  };
  Outcome out = run(Event::HttpRequest, members("web_pool"));
  g_pool_states = nullptr;
  REQUIRE(out.outcome == RuleOutcome::Continue);
  CHECK(out.log == std::vector<std::string>{"1 <{10.0.0.1 80}> down up unknown"});
}
