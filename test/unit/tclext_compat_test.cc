// What public iRules need that irulesd lacked (tclext/compat_commands.cc, compat_builtins.cc,
// uri_normalize.cc, the event masks that follow BIG-IP's measured ones, and the load check of switch
// arms): the normalization as data, then each command through the real engine.
#include <catch2/catch.hpp>

#include "test/unit/log_capture.h"
#include "test/unit/rule_config.h"

#include <functional>
#include <string>
#include <vector>

#include "core/log.h"
#include "tclext/tcl_rule_engine.h"
#include "tclext/uri_normalize.h"

using namespace irulesd;
using namespace irulesd::tclext;

using irulesd::test::LogCapture;
using irulesd::test::one_rule_config;

namespace {

constexpr const char* kFile = "/etc/irulesd/bigip.conf";

// The load errors of a rule, as `irulesd --check` prints them (without the file).
std::vector<std::string> load_errors(const std::string& rule) {
  auto config = one_rule_config(rule);
  std::vector<std::string> out;
  for (const ConfigError& error : make_tcl_rule_engine_factory()->check(*config)) {
    out.push_back(std::to_string(error.line) + ": " + error.message);
  }
  return out;
}

struct Outcome {
  RuleOutcome outcome = RuleOutcome::Continue;
  std::vector<std::string> log;   // messages, without the line prefix
  std::vector<std::string> lines;   // whole log lines (with the level)
  std::string uri;
  std::string selected_pool;
  std::string selected_node_addr;
  uint16_t selected_node_port = 0;
  std::string http_fallback;
  bool collect_requested = false;
};

// Fires `when EVENT { SCRIPT }` once on GET `uri` (a request in every event but the connection-only
// ones, a 200 response in the response events); `setup` adjusts the Transaction first.
Outcome run(Event event, const std::string& script, const std::string& uri = "/a/b.html?x=1",
            const std::function<void(Transaction&)>& setup = nullptr) {
  LogCapture log;
  auto config = one_rule_config(std::string("when ") + event_name(event) + " {\n" + script + "\n}\n");
  const std::vector<ConfigError> errors = make_tcl_rule_engine_factory()->check(*config);
  for (const ConfigError& error : errors) UNSCOPED_INFO(error.str());
  REQUIRE(errors.empty());
  Outcome out;
  RequestHead request;
  request.method = "GET";
  request.uri = uri;
  request.headers.add("Host", "www.example.com");
  ResponseHead response;
  response.status = 200;
  {
    TclRuleEngine engine(config);
    Transaction tx;
    tx.client_addr = "192.0.2.7";
    tx.client_port = 51234;
    tx.local_addr = "127.0.0.10";
    tx.local_port = 8080;
    tx.virtual_name = "/Common/vs";
    if (event != Event::ClientAccepted && event != Event::ClientClosed) tx.request = &request;
    if (event == Event::HttpResponse) tx.response = &response;
    if (setup) setup(tx);
    out.outcome = engine.fire(config->virtuals.front(), event, tx);
    out.uri = request.uri;
    out.selected_pool = tx.selected_pool;
    out.selected_node_addr = tx.selected_node_addr;
    out.selected_node_port = tx.selected_node_port;
    out.http_fallback = tx.http_fallback;
    out.collect_requested = tx.http_collect.requested;
    tx.rule_scope.reset();
  }
  out.log = log.messages();
  out.lines = log.lines();
  return out;
}

// What the script logged with `log -noname local0.`, the handler ending normally.
std::vector<std::string> logged(Event event, const std::string& script, const std::string& uri = "/a/b.html?x=1") {
  Outcome out = run(event, script, uri);
  CHECK(out.outcome == RuleOutcome::Continue);
  return out.log;
}

// The result of one command, or its error message, in HTTP_REQUEST.
std::string result_of(const std::string& command, const std::string& uri = "/a/b.html?x=1") {
  std::vector<std::string> log = logged(Event::HttpRequest, "catch {" + command + "} r\nlog -noname local0. \"<$r>\"", uri);
  REQUIRE(log.size() == 1);
  return log[0].substr(1, log[0].size() - 2);
}

struct Case {
  const char* command;
  const char* result;   // the result, or the error message
};

void check_results(const std::vector<Case>& cases) {
  for (const Case& c : cases) {
    INFO(c.command);
    CHECK(result_of(c.command) == c.result);
  }
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// -normalized (uri_normalize.h)

TEST_CASE("normalization: escapes of unreserved characters decoded, the others upper-cased", "[compat]") {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"/%41%62%63", "/Abc"},
      {"/%7e%2D%2e%5F", "/~-._"},
      {"/a%2fb%3a%3F%23", "/a%2Fb%3A%3F%23"},
      {"/%c3%a9", "/%C3%A9"},
      {"/a b\"<>\\^`{|}", "/a%20b%22%3C%3E%5C%5E%60%7B%7C%7D"},
      {"/\x01\x7f\xc3\xa9", "/%01%7F%C3%A9"},
      {"/100%", "/100%25"},
      {"/%zz%4", "/%25zz%254"},
      {"/:@!$&'()*+,;=[]", "/:@!$&'()*+,;=[]"},
      // Microsoft's %uXXXX: the character's UTF-8, escaped unless unreserved; a pair of surrogates is
      // one character; a lone one is U+FFFD.
      {"/%u0041%U00e9%u20AC", "/A%C3%A9%E2%82%AC"},
      {"/%uD83D%uDE00", "/%F0%9F%98%80"},
      {"/%uD83Dx", "/%EF%BF%BDx"},
      {"/%u12", "/%25u12"},
      {"", ""},
  };
  for (const auto& [in, out] : cases) {
    INFO(in);
    CHECK(normalize_uri_escapes(in) == out);
  }
}

TEST_CASE("normalization: dot segments go from the path, after the escapes are decoded", "[compat]") {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"/a/b/c/./../../g", "/a/g"},   // RFC 3986 §5.2.4's examples
      {"mid/content=5/../6", "mid/6"},
      {"/a/./b", "/a/b"},
      {"/a/b/..", "/a/"},
      {"/a/b/.", "/a/b/"},
      {"/..", "/"},
      {"/../../x", "/x"},
      {"/a/%2e%2E/b", "/b"},
      {"/a/.%2e/b/%2E/c", "/b/c"},
      {"/a/..%2fb", "/a/..%2Fb"},   // an escaped slash separates nothing
      {"/a//b/../c", "/a//c"},
      {"/.hidden/..x", "/.hidden/..x"},
      {"/", "/"},
  };
  for (const auto& [in, out] : cases) {
    INFO(in);
    CHECK(normalize_uri_path(in) == out);
  }
  CHECK(normalize_request_target("/a/../b%2f?q=%7e/../%zz") == "/b%2F?q=~/../%25zz");
  CHECK(normalize_request_target("http://Host:80/a/./%62/../c?x") == "http://Host:80/a/c?x");
  CHECK(normalize_request_target("http://host") == "http://host");
  CHECK(normalize_request_target("*") == "*");
  CHECK(normalize_request_target("/a?") == "/a?");
}

TEST_CASE("HTTP::uri, HTTP::path and HTTP::query -normalized read the request normalized", "[compat]") {
  const std::string uri = "/app/%2e%2e/admin/./x%2fy%7e.jsp?class.module=%41%uD83D&b=1";
  CHECK(result_of("HTTP::uri -normalized", uri) == "/admin/x%2Fy~.jsp?class.module=A%EF%BF%BD&b=1");
  CHECK(result_of("HTTP::path -normalized", uri) == "/admin/x%2Fy~.jsp");
  CHECK(result_of("HTTP::query -normalized", uri) == "class.module=A%EF%BF%BD&b=1");
  CHECK(result_of("HTTP::query -normalized", "/a") == "");
  // Reading does not change the request; the plain forms still read it as sent.
  Outcome out = run(Event::HttpRequest, "log -noname local0. [HTTP::uri -normalized]\nlog -noname local0. [HTTP::uri]", uri);
  CHECK(out.log == std::vector<std::string>{"/admin/x%2Fy~.jsp?class.module=A%EF%BF%BD&b=1", uri});
  CHECK(out.uri == uri);
  // HTTP::path -normalized PATH sets the path as given (F5 documents the form, not a different meaning).
  CHECK(run(Event::HttpRequest, "HTTP::path -normalized /new/../p").uri == "/new/../p?x=1");
  check_results({
      {"HTTP::uri -normalized x", "wrong # args: should be \"HTTP::uri ?uri?\""},
      {"HTTP::path -normalized /a /b", "wrong # args: should be \"HTTP::path ?-normalized? ?path?\""},
      {"HTTP::path -normalized {/a b}", "HTTP::path: invalid path \"/a b\""},
      {"HTTP::query -normalized x", "wrong # args: should be \"HTTP::query ?query?\""},
  });
}

// ---------------------------------------------------------------------------------------------
// compat_commands.cc

TEST_CASE("HTTP::fallback sets where the core redirects when no member can take the request", "[compat]") {
  CHECK(run(Event::HttpRequest, "HTTP::fallback http://sorry.example.com/").http_fallback == "http://sorry.example.com/");
  CHECK(run(Event::LbFailed, "HTTP::fallback \"http://[HTTP::host]/down\"").http_fallback == "http://www.example.com/down");
  CHECK(run(Event::HttpRequest, "HTTP::fallback {}", "/", [](Transaction& tx) { tx.http_fallback = "http://x/"; })
            .http_fallback.empty());
  check_results({
      {"HTTP::fallback", "wrong # args: should be \"HTTP::fallback url\""},
      {"HTTP::fallback a b", "wrong # args: should be \"HTTP::fallback url\""},
      // (the log line has the line break as spaces)
      {"HTTP::fallback \"http://x/\\r\\nX: 1\"", "HTTP::fallback: invalid URL \"http://x/  X: 1\": contains CR, LF or NUL"},
  });
  CHECK(load_errors("when HTTP_RESPONSE { HTTP::fallback http://x/ }") ==
        std::vector<std::string>{"1: rule /Common/r: command \"HTTP::fallback\" is not valid in event HTTP_RESPONSE"});
}

TEST_CASE("HTTP::request_num, TMM::cmp_unit and IP::version", "[compat]") {
  auto third_on_worker_2 = [](Transaction& tx) {
    tx.request_count = 3;
    tx.worker_index = 2;
  };
  Outcome out = run(Event::HttpRequest,
                    "log -noname local0. \"[HTTP::request_num] [TMM::cmp_unit] [IP::version]\"", "/", third_on_worker_2);
  CHECK(out.log == std::vector<std::string>{"3 2 4"});
  CHECK(run(Event::HttpResponse, "log -noname local0. [HTTP::request_num]", "/", third_on_worker_2).log ==
        std::vector<std::string>{"3"});
  CHECK(run(Event::ClientAccepted, "log -noname local0. [TMM::cmp_unit][IP::version]", "/", third_on_worker_2).log ==
        std::vector<std::string>{"24"});
  check_results({
      {"HTTP::request_num 1", "wrong # args: should be \"HTTP::request_num\""},
      {"TMM::cmp_unit x", "wrong # args: should be \"TMM::cmp_unit\""},
      {"IP::version 6", "wrong # args: should be \"IP::version\""},
  });
  CHECK(load_errors("when CLIENT_ACCEPTED { HTTP::request_num }") ==
        std::vector<std::string>{"1: rule /Common/r: command \"HTTP::request_num\" is not valid in event CLIENT_ACCEPTED"});
  CHECK(load_errors("when RULE_INIT { IP::version }") ==
        std::vector<std::string>{"1: rule /Common/r: command \"IP::version\" is not valid in event RULE_INIT"});
  CHECK(load_errors("when RULE_INIT { set static::u [TMM::cmp_unit] }").empty());
}

TEST_CASE("members counts and lists every configured member", "[compat]") {
  check_results({
      {"members web_pool", "2"},
      {"members /Common/web_pool", "2"},
      {"members -list web_pool", "{10.0.0.1 80} {10.0.0.2 80}"},
      {"members empty_pool", "0"},
      {"members -list empty_pool", ""},
      {"members", "wrong # args: should be \"members ?-list? pool\""},
      {"members -x web_pool", "wrong # args: should be \"members ?-list? pool\""},
      {"members nope_pool", "no such pool: nope_pool"},
  });
  // In RULE_INIT too, as active_members.
  LogCapture log;
  auto config = one_rule_config("when RULE_INIT { log -noname local0. [members web_pool] }");
  REQUIRE(make_tcl_rule_engine_factory()->check(*config).empty());
  { TclRuleEngine engine(config); }
  CHECK(log.messages() == std::vector<std::string>{"2"});
}

TEST_CASE("use pool and use node choose as pool and node do", "[compat]") {
  Outcome pool = run(Event::HttpRequest, "use pool web_pool");
  CHECK(pool.selected_pool == "/Common/web_pool");
  CHECK(pool.selected_node_addr.empty());
  Outcome member = run(Event::HttpRequest, "use pool web_pool member 10.0.0.2 80");
  CHECK(member.selected_pool == "/Common/web_pool");
  CHECK(member.selected_node_addr == "10.0.0.2");
  CHECK(member.selected_node_port == 80);
  Outcome node = run(Event::HttpRequest, "use node 10.1.1.1:8080");
  CHECK(node.selected_node_addr == "10.1.1.1");
  CHECK(node.selected_node_port == 8080);
  CHECK(run(Event::HttpResponse, "use node 10.1.1.1").selected_node_addr == "10.1.1.1");
  check_results({
      {"use", "wrong # args: should be \"use pool name ?member addr ?port?? | node addr ?port?\""},
      {"use snat automap", "use: bad option \"snat\": must be pool or node"},
      {"use pool", "wrong # args: should be \"use pool name ?member addr ?port??\""},
      {"set p nope_pool; use pool $p", "no such pool: nope_pool"},
      {"use pool web_pool member 10.9.9.9 80", "use: 10.9.9.9:80 is not a member of pool /Common/web_pool"},
      {"use node", "wrong # args: should be \"use node addr ?port?\""},
      {"use node 10.1.1.1 x", "use: invalid port \"x\""},
  });
  // A pool named literally must exist, as for `pool`.
  CHECK(load_errors("when HTTP_REQUEST {\n  use pool nope_pool\n}") ==
        std::vector<std::string>{"2: rule /Common/r: no such pool: nope_pool"});
  CHECK(load_errors("when HTTP_REQUEST_SEND { use pool web_pool }") ==
        std::vector<std::string>{"1: rule /Common/r: command \"use\" is not valid in event HTTP_REQUEST_SEND"});
}

TEST_CASE("puts writes a log line at info", "[compat]") {
  Outcome out = run(Event::HttpRequest,
                    "puts \"debug: [HTTP::uri]\"\nputs stdout a\nputs -nonewline stderr \"b\\nc\"\nputs -nonewline");
  CHECK(out.outcome == RuleOutcome::Continue);
  CHECK(out.log == std::vector<std::string>{"Rule /Common/r <HTTP_REQUEST>: debug: /a/b.html?x=1",
                                            "Rule /Common/r <HTTP_REQUEST>: a", "Rule /Common/r <HTTP_REQUEST>: b c",
                                            "Rule /Common/r <HTTP_REQUEST>: -nonewline"});
  REQUIRE(out.lines.size() == 4);
  CHECK(out.lines[0].find(" info ") != std::string::npos);
  check_results({
      {"puts", "wrong # args: should be \"puts ?-nonewline? ?channelId? string\""},
      {"puts a b c", "wrong # args: should be \"puts ?-nonewline? ?channelId? string\""},
      {"puts file1 x", "can not find channel named \"file1\""},
      {"puts -nonewline file1 x", "can not find channel named \"file1\""},
  });
}

TEST_CASE("encoding converts and names, and changes nothing of the process", "[compat]") {
  check_results({
      {"binary encode hex [encoding convertto utf-8 \"\xc3\xa9\xe2\x82\xac\"]", "c3a9e282ac"},
      {"binary encode hex [encoding convertto iso8859-1 \"\xc3\xa9\xe2\x82\xac\"]", "e93f"},
      {"binary encode hex [encoding convertto \"\xc3\xa9\"]", "c3a9"},   // utf-8 by default
      {"binary encode hex [encoding convertt cp1252 \xe2\x82\xac]", "80"},   // a prefix, as Tcl takes it
      {"encoding convertfrom utf-8 [binary decode hex c3a9]", "\xc3\xa9"},
      {"encoding convertfrom iso8859-1 [binary decode hex e9]", "\xc3\xa9"},
      {"encoding convertfrom [binary decode hex e282ac]", "\xe2\x82\xac"},
      {"expr {\"utf-8\" in [encoding names] && \"iso8859-1\" in [encoding names]}", "1"},
      {"encoding", "wrong # args: should be \"encoding subcommand ?arg ...?\""},
      {"encoding convertto", "wrong # args: should be \"encoding convertto ?encoding? data\""},
      {"encoding convertfrom a b c", "wrong # args: should be \"encoding convertfrom ?encoding? data\""},
      {"encoding names x", "wrong # args: should be \"encoding names\""},
      {"encoding convertto nosuch x", "unknown encoding \"nosuch\""},
      {"encoding convertto ../../etc/passwd x", "unknown encoding \"../../etc/passwd\""},
      {"encoding convert x", "unknown or ambiguous subcommand \"convert\": must be convertfrom, convertto, or names"},
      {"encoding bogus", "unknown or ambiguous subcommand \"bogus\": must be convertfrom, convertto, or names"},
      {"encoding system", "encoding system: disabled in iRules (it changes the encoding of the whole process)"},
      {"encoding system iso8859-1", "encoding system: disabled in iRules (it changes the encoding of the whole process)"},
      {"encoding dirs", "encoding dirs: disabled in iRules (it changes where the process loads encodings from)"},
  });
  const std::string system = Tcl_GetEncodingName(nullptr);
  CHECK(result_of("encoding system identity") ==
        "encoding system: disabled in iRules (it changes the encoding of the whole process)");
  CHECK(Tcl_GetEncodingName(nullptr) == system);   // the process's own encoding is untouched
}

TEST_CASE("history is empty and records nothing", "[compat]") {
  check_results({
      {"history", ""},
      {"history info", ""},
      {"history info 5", ""},
      {"history nextid", "1"},
      {"history keep", "20"},
      {"history keep 50", ""},
      {"history clear", ""},
      {"history event", ""},
      {"history add {set x 1}", ""},
      {"history add {set x 1}; history", ""},
      {"history add {set x 7} exec", "7"},
      {"history add {set x 7} e; set x", "7"},   // runs where history is called
      {"history add {error boom} exec", "boom"},
      {"history event 3", "event \"3\" hasn't occured yet"},
      {"history redo", "event \"-1\" hasn't occured yet"},
      {"history change new 2", "event \"2\" hasn't occured yet"},
      {"history info x", "bad integer \"x\""},
      {"history keep -1", "illegal keep count \"-1\""},
      {"history add", "wrong # args: should be \"history add event ?exec?\""},
      {"history add a bogus", "bad argument \"bogus\": should be \"exec\""},
      {"history clear x", "wrong # args: should be \"history clear\""},
      {"history nextid x", "wrong # args: should be \"history nextid\""},
      {"history bogus",
       "unknown or ambiguous subcommand \"bogus\": must be add, change, clear, event, info, keep, nextid, or redo"},
  });
}

TEST_CASE("the Tcl builtins BIG-IP enables load, the channel commands stay unknown", "[compat]") {
  CHECK(load_errors("when HTTP_REQUEST { puts x; history; encoding names }").empty());
  CHECK(load_errors("when HTTP_REQUEST { read x }") ==
        std::vector<std::string>{"1: rule /Common/r: unknown command \"read\""});
  CHECK(load_errors("when HTTP_REQUEST { close x }") ==
        std::vector<std::string>{"1: rule /Common/r: unknown command \"close\""});
  CHECK(load_errors("when HTTP_REQUEST { fileevent x readable y }") ==
        std::vector<std::string>{"1: rule /Common/r: unknown command \"fileevent\""});
}

// ---------------------------------------------------------------------------------------------
// Event validity as BIG-IP measures it

TEST_CASE("pool, node and use load in LB_SELECTED, SERVER_CONNECTED, HTTP_RESPONSE and CLIENT_CLOSED", "[compat]") {
  for (const char* event : {"LB_SELECTED", "SERVER_CONNECTED", "HTTP_RESPONSE", "CLIENT_CLOSED"}) {
    INFO(event);
    CHECK(load_errors(std::string("when ") + event + " { pool web_pool; node 10.0.0.9 80; use pool web_pool }").empty());
  }
  CHECK(load_errors("when RULE_INIT { pool web_pool }") ==
        std::vector<std::string>{"1: rule /Common/r: command \"pool\" is not valid in event RULE_INIT"});
  CHECK(run(Event::LbSelected, "pool web_pool").selected_pool == "/Common/web_pool");
  CHECK(run(Event::ServerConnected, "node 10.0.0.9 81").selected_node_port == 81);
  CHECK(run(Event::ClientClosed, "pool web_pool").outcome == RuleOutcome::Continue);
}

TEST_CASE("HTTP::respond and HTTP::redirect are refused in LB_SELECTED, HTTP::collect and HTTP::status load",
          "[compat]") {
  CHECK(load_errors("when LB_SELECTED {\n  HTTP::respond 200\n}") ==
        std::vector<std::string>{"2: rule /Common/r: command \"HTTP::respond\" is not valid in event LB_SELECTED"});
  CHECK(load_errors("when LB_SELECTED { HTTP::redirect http://x/ }") ==
        std::vector<std::string>{"1: rule /Common/r: command \"HTTP::redirect\" is not valid in event LB_SELECTED"});
  CHECK(load_errors("when LB_FAILED { HTTP::respond 503 }").empty());
  // HTTP::status has no response to read yet: 0. HTTP::collect collects the request's body before
  // the chosen member is connected to (the core reads it, then connects).
  Outcome out = run(Event::LbSelected, "log -noname local0. \"[HTTP::status] [expr {[HTTP::status] == 200}]\"\nHTTP::collect 10");
  CHECK(out.log == std::vector<std::string>{"0 0"});
  CHECK(out.collect_requested);
  CHECK(run(Event::HttpRequest, "HTTP::collect 10").collect_requested);
  CHECK(logged(Event::LbSelected, "catch {HTTP::collect x} e; log -noname local0. $e") ==
        std::vector<std::string>{"bad length \"x\": must be a non-negative integer"});   // arguments still checked
}

// ---------------------------------------------------------------------------------------------
// The load check reaches every switch arm (script_check.cc)

TEST_CASE("the load check reaches a switch arm that holds a backslash-newline", "[compat]") {
  CHECK(load_errors("when HTTP_REQUEST {\n"
                    "  switch [HTTP::uri] {\n"
                    "    \"/a\" {\n"
                    "      log local0. \\\n"
                    "        \"x\"\n"
                    "      nosuchcmd\n"
                    "    }\n"
                    "  }\n"
                    "}\n") == std::vector<std::string>{"6: rule /Common/r: unknown command \"nosuchcmd\""});
  // The dialect's own backslash-newline (`if {c}` ⏎ `{`) inside an arm, with an else the check must
  // see: after a blank line it is a command of its own.
  CHECK(load_errors("when HTTP_REQUEST {\n"
                    "  switch -glob [HTTP::uri] {\n"
                    "    \"/v*\" {\n"
                    "      if { [HTTP::uri] starts_with \"/vip\" }\n"
                    "      {\n"
                    "        HTTP::respond 200 content vip\n"
                    "      }\n"
                    "\n"
                    "      else { HTTP::respond 200 content other }\n"
                    "    }\n"
                    "  }\n"
                    "}\n") == std::vector<std::string>{"9: rule /Common/r: unknown command \"else\""});
  // An expression with a backslash-newline is checked too.
  CHECK(load_errors("when HTTP_REQUEST {\n"
                    "  if { [HTTP::uri] eq \"/\" || \\\n"
                    "       [nosuchcmd] } { }\n"
                    "}\n") == std::vector<std::string>{"3: rule /Common/r: unknown command \"nosuchcmd\""});
}

TEST_CASE("a K&R if with else on the next line inside a switch arm takes the else branch", "[compat]") {
  const std::string script =
      "switch -glob [HTTP::uri] {\n"
      "  \"/vi*\" {\n"
      "    if { [HTTP::uri] starts_with \"/vip\" }\n"
      "    {\n"
      "      log -noname local0. vip\n"
      "    }\n"
      "    else {\n"
      "      log -noname local0. not-vip\n"
      "    }\n"
      "  }\n"
      "}";
  CHECK(logged(Event::HttpRequest, script, "/vip/x") == std::vector<std::string>{"vip"});
  CHECK(logged(Event::HttpRequest, script, "/video") == std::vector<std::string>{"not-vip"});
}
