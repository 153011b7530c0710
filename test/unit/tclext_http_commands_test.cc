// HTTP::cookie, HTTP::query, is_keepalive, is_redirect, request, username, password, enable, the
// HTTP::header forms beyond the basic ones, and byte-faithful values (value_bytes) in the setters
// and in log. Every case fires a real rule through TclRuleEngine on a request (and response).
#include <catch2/catch.hpp>

#include "test/unit/log_capture.h"
#include "test/unit/rule_config.h"

#include <ctime>
#include <string>
#include <vector>

#include "core/log.h"
#include "tclext/cookie_date.h"
#include "tclext/tcl_rule_engine.h"

using namespace irulesd;
using namespace irulesd::tclext;

using irulesd::test::LogCapture;
using irulesd::test::one_rule_config;

namespace {

constexpr const char* kFile = "/etc/irulesd/bigip.conf";

// The exchange a rule fires on: GET /a/b.html?x=1 HTTP/1.1 and, in the response events, a 200.
// Headers given by value: a Header is views, and these are often built from temporaries.
struct OwnedHeader {
  std::string name;
  std::string value;
};

struct Msg {
  Event event = Event::HttpRequest;
  std::vector<OwnedHeader> request_headers;
  std::vector<OwnedHeader> response_headers;
  std::string uri = "/a/b.html?x=1";
  int request_minor = 1;
  int status = 200;
  int response_minor = 1;
};

struct Fired {
  RuleOutcome outcome = RuleOutcome::Continue;
  std::vector<std::string> log;   // messages, without the line prefix
  std::vector<std::string> request_headers;    // "Name: value", afterwards
  std::vector<std::string> response_headers;
  std::string uri;
  bool http_disabled = false;
};

std::vector<std::string> lines(const HeaderList& headers) {
  std::vector<std::string> out;
  for (const Header& h : headers.items()) out.push_back(std::string(h.name) + ": " + std::string(h.value));
  return out;
}

// Fires `when EVENT { SCRIPT }` once.
Fired fire(const Msg& m, const std::string& script) {
  LogCapture log;
  auto config = one_rule_config(std::string("when ") + event_name(m.event) + " {\n" + script + "\n}\n");
  REQUIRE(make_tcl_rule_engine_factory()->check(*config).empty());
  Fired out;
  RequestHead request;
  ResponseHead response;
  {
    TclRuleEngine engine(config);
    Transaction tx;
    tx.client_addr = "192.0.2.7";
    tx.client_port = 51234;
    request.method = "GET";
    request.uri = m.uri;
    request.version_minor = m.request_minor;
    for (const OwnedHeader& h : m.request_headers) request.headers.add(h.name, h.value);
    response.status = m.status;
    response.version_minor = m.response_minor;
    for (const OwnedHeader& h : m.response_headers) response.headers.add(h.name, h.value);
    const unsigned bit = 1u << static_cast<unsigned>(m.event);
    const unsigned response_events = (1u << static_cast<unsigned>(Event::HttpResponse)) |
                                     (1u << static_cast<unsigned>(Event::HttpResponseData)) |
                                     (1u << static_cast<unsigned>(Event::HttpResponseRelease));
    if (m.event >= Event::HttpRequest && m.event <= Event::HttpResponseRelease) tx.request = &request;
    if ((bit & response_events) != 0) tx.response = &response;
    out.outcome = engine.fire(config->virtuals.front(), m.event, tx);
    out.uri = request.uri;
    out.http_disabled = tx.http_disabled;
    tx.rule_scope.reset();
  }
  out.request_headers = lines(request.headers);
  out.response_headers = lines(response.headers);
  out.log = log.messages();
  return out;
}

// (A command that the event does not allow is called through a variable in these tests: the
// load-time check rejects a literal one before the rule runs; these cases test the run-time check.)

// What one Tcl command returns in the event (after `setup`), between < and >.
std::string result(const Msg& m, const std::string& command, const std::string& setup = "") {
  Fired out = fire(m, setup + "\nset r [" + command + "]\nlog -noname local0. \"<$r>\"");
  INFO(command);
  REQUIRE(out.outcome == RuleOutcome::Continue);
  REQUIRE(out.log.size() == 1);
  return out.log[0];
}

// The error message of one Tcl command that must fail.
std::string error_of(const Msg& m, const std::string& command, const std::string& setup = "") {
  Fired out = fire(m, setup + "\nif {[catch {" + command + "} e]} {log -noname local0. $e} else {log -noname local0. OK}");
  INFO(command);
  REQUIRE(out.outcome == RuleOutcome::Continue);
  REQUIRE(out.log.size() == 1);
  return out.log[0];
}

struct Case {
  std::string command;
  std::string result;
};

void check_results(const Msg& m, const std::vector<Case>& cases) {
  for (const Case& c : cases) {
    INFO(c.command);
    CHECK(result(m, c.command) == "<" + c.result + ">");
  }
}

void check_errors(const Msg& m, const std::vector<Case>& cases) {
  for (const Case& c : cases) {
    INFO(c.command);
    CHECK(error_of(m, c.command) == c.result);
  }
}

// The request (or response) headers after a script that must succeed.
struct Edit {
  std::string script;
  std::vector<std::string> after;
};

void check_request_edits(const Msg& m, const std::vector<Edit>& edits) {
  for (const Edit& e : edits) {
    INFO(e.script);
    Fired out = fire(m, e.script);
    CHECK(out.outcome == RuleOutcome::Continue);
    CHECK(out.log.empty());
    CHECK(out.request_headers == e.after);
  }
}

void check_response_edits(const Msg& m, const std::vector<Edit>& edits) {
  for (const Edit& e : edits) {
    INFO(e.script);
    Fired out = fire(m, e.script);
    CHECK(out.outcome == RuleOutcome::Continue);
    CHECK(out.log.empty());
    CHECK(out.response_headers == e.after);
  }
}

// ---- the messages the cases share ----

// Two Cookie headers: version 0 cookies with RFC 2965 attributes, then a $Version=1 cookie.
Msg cookie_request() {
  Msg m;
  m.request_headers = {{"Host", "h"},
                       {"Cookie", "a=1; b=two; $Path=/p; $Domain=.ex.com"},
                       {"Cookie", "$Version=\"1\"; c=\"q\"; $Port=\"80,8080\""}};
  return m;
}

const std::string kCookie1 = "Cookie: a=1; b=two; $Path=/p; $Domain=.ex.com";
const std::string kCookie2 = "Cookie: $Version=\"1\"; c=\"q\"; $Port=\"80,8080\"";

constexpr const char* kSid = "sid=abc; Path=/; Domain=.ex.com; Expires=Wed, 09 Jun 2021 10:18:14 GMT; Secure; HttpOnly";
constexpr const char* kV1 = "v1=x; Version=1; Max-Age=60; Comment=hi; CommentURL=\"http://c\"; Port=\"80\"";

Msg cookie_response() {
  Msg m;
  m.event = Event::HttpResponse;
  m.response_headers = {{"Set-Cookie", kSid}, {"Content-Type", "text/html"}, {"Set-Cookie", kV1},
                        {"Set-Cookie2", "v2=y; Version=1"}};
  return m;
}

std::string sc(const std::string& v) { return "Set-Cookie: " + v; }

}  // namespace

// ---------------------------------------------------------------------------------------------
// HTTP::cookie on a request

TEST_CASE("HTTP::cookie reads request cookies and their RFC 2965 attributes", "[http-commands]") {
  check_results(cookie_request(), {
                                      {"HTTP::cookie names", "a b c"},
                                      {"HTTP::cookie count", "3"},
                                      {"HTTP::cookie value a", "1"},
                                      {"HTTP::cookie a", "1"},
                                      {"HTTP::cookie value b", "two"},
                                      {"HTTP::cookie c", "\"q\""},   // the value as sent
                                      {"HTTP::cookie value missing", ""},
                                      {"HTTP::cookie missing", ""},
                                      {"HTTP::cookie exists a", "1"},
                                      {"HTTP::cookie exists A", "0"},   // names are case-sensitive
                                      {"HTTP::cookie exists zz", "0"},
                                      {"HTTP::cookie path b", "/p"},
                                      {"HTTP::cookie domain b", ".ex.com"},
                                      {"HTTP::cookie path a", ""},
                                      {"HTTP::cookie ports c", "80,8080"},
                                      {"HTTP::cookie version c", "1"},
                                      {"HTTP::cookie version a", "0"},
                                      {"HTTP::cookie version missing", "0"},
                                      {"HTTP::cookie secure a", "disable"},
                                      {"HTTP::cookie httponly a", "disable"},
                                      {"HTTP::cookie expires a", ""},
                                      {"HTTP::cookie maxage a", ""},
                                      {"HTTP::cookie comment a", ""},
                                      {"HTTP::cookie commenturl a", ""},
                                      {"join [HTTP::cookie attribute b names] ,", "$Path,$Domain"},
                                      {"HTTP::cookie attribute b count", "2"},
                                      {"HTTP::cookie attribute a count", "0"},
                                      {"HTTP::cookie attribute b exists {$path}", "1"},
                                      {"HTTP::cookie attribute b exists Path", "0"},
                                      {"HTTP::cookie attribute b value {$Domain}", ".ex.com"},
                                      {"HTTP::cookie attribute c value {$Port}", "\"80,8080\""},   // raw
                                      {"HTTP::cookie attribute missing names", ""},
                                  });
  Msg none;
  check_results(none, {{"HTTP::cookie names", ""}, {"HTTP::cookie count", "0"}, {"HTTP::cookie value a", ""}});
  Msg tight;   // no space after ';', a name without a value
  tight.request_headers = {{"Cookie", "x=1;y=2;flag"}};
  check_results(tight, {{"HTTP::cookie names", "x y flag"}, {"HTTP::cookie y", "2"}, {"HTTP::cookie exists flag", "1"}});
}

TEST_CASE("HTTP::cookie edits request cookies in place", "[http-commands]") {
  check_request_edits(
      cookie_request(),
      {
          {"HTTP::cookie value b 3", {"Host: h", "Cookie: a=1; b=3; $Path=/p; $Domain=.ex.com", kCookie2}},
          {"HTTP::cookie a 9", {"Host: h", "Cookie: a=9; b=two; $Path=/p; $Domain=.ex.com", kCookie2}},
          {"HTTP::cookie value a {}", {"Host: h", "Cookie: a=; b=two; $Path=/p; $Domain=.ex.com", kCookie2}},
          {"HTTP::cookie value missing 1", {"Host: h", kCookie1, kCookie2}},   // only existing cookies
          {"HTTP::cookie remove a", {"Host: h", "Cookie: b=two; $Path=/p; $Domain=.ex.com", kCookie2}},
          {"HTTP::cookie remove b", {"Host: h", "Cookie: a=1", kCookie2}},
          {"HTTP::cookie remove c", {"Host: h", kCookie1}},   // the header goes with its last cookie
          {"HTTP::cookie remove a; HTTP::cookie remove b", {"Host: h", kCookie2}},
          {"HTTP::cookie remove missing", {"Host: h", kCookie1, kCookie2}},
          {"HTTP::cookie insert name n value v", {"Host: h", kCookie1, kCookie2 + "; n=v"}},
          {"HTTP::cookie insert name n value v path /x domain d version 1",
           {"Host: h", kCookie1, kCookie2 + "; $Version=1; n=v; $Path=/x; $Domain=d"}},
          {"HTTP::cookie path b /new", {"Host: h", "Cookie: a=1; b=two; $Path=/new; $Domain=.ex.com", kCookie2}},
          {"HTTP::cookie path a /x", {"Host: h", "Cookie: a=1; $Path=/x; b=two; $Path=/p; $Domain=.ex.com", kCookie2}},
          {"HTTP::cookie domain b other", {"Host: h", "Cookie: a=1; b=two; $Path=/p; $Domain=other", kCookie2}},
          {"HTTP::cookie ports c 81", {"Host: h", kCookie1, "Cookie: $Version=\"1\"; c=\"q\"; $Port=81"}},
          {"HTTP::cookie version a 1", {"Host: h", "Cookie: $Version=1; a=1; b=two; $Path=/p; $Domain=.ex.com", kCookie2}},
          {"HTTP::cookie version c 0", {"Host: h", kCookie1, "Cookie: $Version=0; c=\"q\"; $Port=\"80,8080\""}},
          {"HTTP::cookie sanitize b path", {"Host: h", "Cookie: a=1; b=two; $Path=/p", kCookie2}},
          {"HTTP::cookie sanitize b", {"Host: h", "Cookie: a=1; b=two", kCookie2}},
          {"HTTP::cookie sanitize -attributes domain",
           {"Host: h", "Cookie: a=1; b=two; $Domain=.ex.com", "Cookie: $Version=\"1\"; c=\"q\""}},
          {"HTTP::cookie sanitize -names c a", {"Host: h", "Cookie: a=1", kCookie2}},
          {"HTTP::cookie sanitize -names", {"Host: h"}},
          {"HTTP::cookie attribute b insert {$X} 1",
           {"Host: h", "Cookie: a=1; b=two; $Path=/p; $Domain=.ex.com; $X=1", kCookie2}},
          {"HTTP::cookie attribute b remove {$PATH}", {"Host: h", "Cookie: a=1; b=two; $Domain=.ex.com", kCookie2}},
      });
  Msg none;
  none.request_headers = {{"Host", "h"}};
  check_request_edits(none, {{"HTTP::cookie insert name n value v", {"Host: h", "Cookie: n=v"}},
                             {"HTTP::cookie insert name n value v version 1", {"Host: h", "Cookie: $Version=1; n=v"}}});
}

// ---------------------------------------------------------------------------------------------
// HTTP::cookie on a response

TEST_CASE("HTTP::cookie reads Set-Cookie and Set-Cookie2 with their attributes", "[http-commands]") {
  check_results(cookie_response(), {
                                       {"HTTP::cookie names", "sid v1 v2"},
                                       {"HTTP::cookie count", "3"},
                                       {"HTTP::cookie value sid", "abc"},
                                       {"HTTP::cookie v2", "y"},
                                       {"HTTP::cookie exists v1", "1"},
                                       {"HTTP::cookie exists Content-Type", "0"},
                                       {"HTTP::cookie path sid", "/"},
                                       {"HTTP::cookie domain sid", ".ex.com"},
                                       {"HTTP::cookie expires sid", "1623233894"},
                                       {"HTTP::cookie expires v1", ""},
                                       {"HTTP::cookie secure sid", "enable"},
                                       {"HTTP::cookie httponly sid", "enable"},
                                       {"HTTP::cookie secure v1", "disable"},
                                       {"HTTP::cookie httponly v1", "disable"},
                                       {"HTTP::cookie version sid", "0"},
                                       {"HTTP::cookie version v1", "1"},
                                       {"HTTP::cookie version v2", "2"},
                                       {"HTTP::cookie maxage v1", "60"},
                                       {"HTTP::cookie comment v1", "hi"},
                                       {"HTTP::cookie commenturl v1", "http://c"},
                                       {"HTTP::cookie ports v1", "80"},
                                       {"HTTP::cookie attribute sid names", "Path Domain Expires Secure HttpOnly"},
                                       {"HTTP::cookie attribute sid count", "5"},
                                       {"HTTP::cookie attribute sid exists secure", "1"},
                                       {"HTTP::cookie attribute sid exists Max-Age", "0"},
                                       {"HTTP::cookie attribute sid value expires", "Wed, 09 Jun 2021 10:18:14 GMT"},
                                       {"HTTP::cookie attribute sid value secure", ""},
                                   });
  // Expires as user agents read it (RFC 6265 5.1.1): the other date forms too.
  const std::vector<std::pair<std::string, std::string>> dates = {
      {"Wed, 09-Jun-2021 10:18:14 GMT", "1623233894"},    // Netscape
      {"Wednesday, 09-Jun-21 10:18:14 GMT", "1623233894"},   // RFC 850
      {"Wed Jun  9 10:18:14 2021", "1623233894"},          // asctime
      {"tomorrow", ""},
      {"Wed, 32 Jun 2021 10:18:14 GMT", ""},
  };
  for (const auto& [date, epoch] : dates) {
    INFO(date);
    Msg m;
    m.event = Event::HttpResponse;
    m.response_headers = {{"Set-Cookie", "e=1; Expires=" + date}};
    CHECK(result(m, "HTTP::cookie expires e") == "<" + epoch + ">");
  }
}

TEST_CASE("HTTP::cookie edits Set-Cookie headers in place", "[http-commands]") {
  const std::string ct = "Content-Type: text/html";
  const std::string v2 = "Set-Cookie2: v2=y; Version=1";
  check_response_edits(
      cookie_response(),
      {
          {"HTTP::cookie value sid new",
           {sc("sid=new; Path=/; Domain=.ex.com; Expires=Wed, 09 Jun 2021 10:18:14 GMT; Secure; HttpOnly"), ct, sc(kV1), v2}},
          {"HTTP::cookie path sid /app",
           {sc("sid=abc; Path=/app; Domain=.ex.com; Expires=Wed, 09 Jun 2021 10:18:14 GMT; Secure; HttpOnly"), ct, sc(kV1), v2}},
          {"HTTP::cookie domain v2 d.example", {sc(kSid), ct, sc(kV1), "Set-Cookie2: v2=y; Version=1; Domain=d.example"}},
          {"HTTP::cookie secure sid disable",
           {sc("sid=abc; Path=/; Domain=.ex.com; Expires=Wed, 09 Jun 2021 10:18:14 GMT; HttpOnly"), ct, sc(kV1), v2}},
          {"HTTP::cookie secure sid enable", {sc(kSid), ct, sc(kV1), v2}},   // already there
          {"HTTP::cookie httponly v2 enable", {sc(kSid), ct, sc(kV1), "Set-Cookie2: v2=y; Version=1; HttpOnly"}},
          {"HTTP::cookie httponly sid disable",
           {sc("sid=abc; Path=/; Domain=.ex.com; Expires=Wed, 09 Jun 2021 10:18:14 GMT; Secure"), ct, sc(kV1), v2}},
          {"HTTP::cookie maxage v1 120",
           {sc(kSid), ct, sc("v1=x; Version=1; Max-Age=120; Comment=hi; CommentURL=\"http://c\"; Port=\"80\""), v2}},
          {"HTTP::cookie comment v1 {a note}",
           {sc(kSid), ct, sc("v1=x; Version=1; Max-Age=60; Comment=a note; CommentURL=\"http://c\"; Port=\"80\""), v2}},
          {"HTTP::cookie commenturl v1 http://d",
           {sc(kSid), ct, sc("v1=x; Version=1; Max-Age=60; Comment=hi; CommentURL=http://d; Port=\"80\""), v2}},
          {"HTTP::cookie ports v1 80,443",
           {sc(kSid), ct, sc("v1=x; Version=1; Max-Age=60; Comment=hi; CommentURL=\"http://c\"; Port=80,443"), v2}},
          {"HTTP::cookie expires sid 1700000000 absolute",
           {sc("sid=abc; Path=/; Domain=.ex.com; Expires=Tue, 14 Nov 2023 22:13:20 GMT; Secure; HttpOnly"), ct, sc(kV1), v2}},
          {"HTTP::cookie expires v2 0 absolute",
           {sc(kSid), ct, sc(kV1), "Set-Cookie2: v2=y; Version=1; Expires=Thu, 01 Jan 1970 00:00:00 GMT"}},
          {"HTTP::cookie version sid 1",
           {sc("sid=abc; Path=/; Domain=.ex.com; Expires=Wed, 09 Jun 2021 10:18:14 GMT; Secure; HttpOnly; Version=1"), ct,
            sc(kV1), v2}},
          {"HTTP::cookie version v1 2",
           {sc(kSid), ct, "Set-Cookie2: v1=x; Version=1; Max-Age=60; Comment=hi; CommentURL=\"http://c\"; Port=\"80\"", v2}},
          {"HTTP::cookie version v2 0", {sc(kSid), ct, sc(kV1), sc("v2=y")}},
          {"HTTP::cookie remove v1", {sc(kSid), ct, v2}},
          {"HTTP::cookie remove sid; HTTP::cookie remove v2", {ct, sc(kV1)}},
          {"HTTP::cookie insert name n value v", {sc(kSid), ct, sc(kV1), v2, sc("n=v")}},
          {"HTTP::cookie insert name n value v path /p domain d version 1",
           {sc(kSid), ct, sc(kV1), v2, sc("n=v; Version=1; Path=/p; Domain=d")}},
          {"HTTP::cookie insert name n value v version 2", {sc(kSid), ct, sc(kV1), v2, "Set-Cookie2: n=v; Version=1"}},
          {"HTTP::cookie sanitize sid path", {sc("sid=abc; Path=/"), ct, sc(kV1), v2}},
          {"HTTP::cookie sanitize -attributes secure version",
           {sc("sid=abc; Secure"), ct, sc("v1=x; Version=1"), v2}},
          {"HTTP::cookie sanitize -names sid", {sc(kSid), ct}},
          {"HTTP::cookie attribute v2 insert SameSite Lax", {sc(kSid), ct, sc(kV1), "Set-Cookie2: v2=y; Version=1; SameSite=Lax"}},
          {"HTTP::cookie attribute v2 insert Partitioned",
           {sc(kSid), ct, sc(kV1), "Set-Cookie2: v2=y; Version=1; Partitioned"}},
          {"HTTP::cookie attribute sid remove EXPIRES",
           {sc("sid=abc; Path=/; Domain=.ex.com; Secure; HttpOnly"), ct, sc(kV1), v2}},
          {"HTTP::cookie path missing /x; HTTP::cookie secure missing enable", {sc(kSid), ct, sc(kV1), v2}},
      });
  // relative (the default): seconds from now, read back as an absolute time.
  Fired out = fire(cookie_response(),
                   "set t [clock seconds]\nHTTP::cookie expires v1 100\n"
                   "log -noname local0. [expr {[HTTP::cookie expires v1] - $t}]");
  REQUIRE(out.log.size() == 1);
  CHECK((out.log[0] == "100" || out.log[0] == "101"));
  out = fire(cookie_response(),
             "set t [clock seconds]\nHTTP::cookie expires v1 -60 relative\n"
             "log -noname local0. [expr {[HTTP::cookie expires v1] - $t}]");
  REQUIRE(out.log.size() == 1);
  CHECK((out.log[0] == "-60" || out.log[0] == "-59"));
}

TEST_CASE("HTTP::cookie rejects bad arguments with Tcl-style messages", "[http-commands]") {
  check_errors(
      cookie_request(),
      {
          {"HTTP::cookie", "wrong # args: should be \"HTTP::cookie ?value? name ?string? | subcommand ?arg ...?\""},
          {"HTTP::cookie names x", "wrong # args: should be \"HTTP::cookie names\""},
          {"HTTP::cookie count x", "wrong # args: should be \"HTTP::cookie count\""},
          {"HTTP::cookie value", "wrong # args: should be \"HTTP::cookie value name ?string?\""},
          {"HTTP::cookie a b c", "wrong # args: should be \"HTTP::cookie ?value? name ?string?\""},
          {"HTTP::cookie exists", "wrong # args: should be \"HTTP::cookie exists name\""},
          {"HTTP::cookie remove", "wrong # args: should be \"HTTP::cookie remove name\""},
          {"HTTP::cookie path", "wrong # args: should be \"HTTP::cookie path name ?path?\""},
          {"HTTP::cookie domain a b c", "wrong # args: should be \"HTTP::cookie domain name ?domain?\""},
          {"HTTP::cookie ports", "wrong # args: should be \"HTTP::cookie ports name ?portlist?\""},
          {"HTTP::cookie version", "wrong # args: should be \"HTTP::cookie version name ?version?\""},
          {"HTTP::cookie maxage", "wrong # args: should be \"HTTP::cookie maxage name ?seconds?\""},
          {"HTTP::cookie expires", "wrong # args: should be \"HTTP::cookie expires name ?seconds? ?absolute|relative?\""},
          {"HTTP::cookie comment", "wrong # args: should be \"HTTP::cookie comment name ?comment?\""},
          {"HTTP::cookie commenturl", "wrong # args: should be \"HTTP::cookie commenturl name ?commenturl?\""},
          {"HTTP::cookie secure", "wrong # args: should be \"HTTP::cookie secure name ?enable|disable?\""},
          {"HTTP::cookie httponly a b c", "wrong # args: should be \"HTTP::cookie httponly name ?enable|disable?\""},
          {"HTTP::cookie sanitize", "wrong # args: should be \"HTTP::cookie sanitize name|-attributes|-names ?attribute|name ...?\""},
          {"HTTP::cookie insert name a",
           "wrong # args: should be \"HTTP::cookie insert name name value value ?path path? ?domain domain? ?version 0|1|2?\""},
          {"HTTP::cookie insert name a path /",
           "wrong # args: should be \"HTTP::cookie insert name name value value ?path path? ?domain domain? ?version 0|1|2?\""},
          {"HTTP::cookie insert name a value 1 colour red",
           "bad option \"colour\": must be name, value, path, domain, or version"},
          {"HTTP::cookie insert name {a b} value 1", "HTTP::cookie: invalid cookie name \"a b\""},
          {"HTTP::cookie insert name a value {1;x=2}", "HTTP::cookie: value of cookie \"a\" contains CR, LF, NUL or \";\""},
          {"HTTP::cookie insert name a value 1 path \"/\\r\\nX: 1\"",
           "HTTP::cookie: path of cookie \"a\" contains CR, LF, NUL or \";\""},
          {"HTTP::cookie insert name a value 1 version 3", "HTTP::cookie version: bad version \"3\": must be 0, 1 or 2"},
          {"HTTP::cookie value a \"x\\r\\nInjected: 1\"", "HTTP::cookie: value of cookie \"a\" contains CR, LF, NUL or \";\""},
          {"HTTP::cookie a x\\0y", "HTTP::cookie: value of cookie \"a\" contains CR, LF, NUL or \";\""},
          {"HTTP::cookie domain b {x; $Secure}", "HTTP::cookie: domain of cookie \"b\" contains CR, LF, NUL or \";\""},
          {"HTTP::cookie version a 9", "HTTP::cookie version: bad version \"9\": must be 0, 1 or 2"},
          {"HTTP::cookie maxage a soon", "expected integer but got \"soon\""},
          {"HTTP::cookie expires a soon", "expected integer but got \"soon\""},
          {"HTTP::cookie expires a 1 later", "bad option \"later\": must be absolute or relative"},
          {"HTTP::cookie secure a maybe", "bad option \"maybe\": must be enable or disable"},
          {"HTTP::cookie secure a enable",
           "HTTP::cookie secure: a request cookie has no secure attribute (only Set-Cookie does)"},
          {"HTTP::cookie httponly a enable",
           "HTTP::cookie httponly: a request cookie has no httponly attribute (only Set-Cookie does)"},
          {"HTTP::cookie maxage a 1", "HTTP::cookie maxage: a request cookie has no maxage attribute (only Set-Cookie does)"},
          {"HTTP::cookie expires a 1", "HTTP::cookie expires: a request cookie has no expires attribute (only Set-Cookie does)"},
          {"HTTP::cookie comment a x", "HTTP::cookie comment: a request cookie has no comment attribute (only Set-Cookie does)"},
          {"HTTP::cookie commenturl a x",
           "HTTP::cookie commenturl: a request cookie has no commenturl attribute (only Set-Cookie does)"},
          {"HTTP::cookie attribute a", "wrong # args: should be \"HTTP::cookie attribute name names|count|exists attribute|value "
                                       "attribute|insert attribute ?value?|remove attribute\""},
          {"HTTP::cookie attribute a frob x", "bad subcommand \"frob\": must be names, count, exists, value, insert, or remove"},
          {"HTTP::cookie attribute a exists", "wrong # args: should be \"HTTP::cookie attribute name exists attribute\""},
          {"HTTP::cookie attribute a names x", "wrong # args: should be \"HTTP::cookie attribute name names\""},
          {"HTTP::cookie attribute a insert x 1 2", "wrong # args: should be \"HTTP::cookie attribute name insert attribute ?value?\""},
          {"HTTP::cookie attribute a insert {a b}", "HTTP::cookie: invalid attribute name \"a b\""},
          {"HTTP::cookie attribute a insert x {1;y}",
           "HTTP::cookie: attribute x of cookie \"a\" contains CR, LF, NUL or \";\""},
          {"HTTP::cookie encrypt a", "wrong # args: should be \"HTTP::cookie encrypt name passphrase ?128|192|256?\""},
          {"HTTP::cookie decrypt a k 256 x", "wrong # args: should be \"HTTP::cookie decrypt name passphrase ?128|192|256?\""},
          {"HTTP::cookie encrypt a k 512", "HTTP::cookie encrypt: bad key length \"512\": must be 128, 192 or 256"},
          {"HTTP::cookie decrypt a k 64", "HTTP::cookie decrypt: bad key length \"64\": must be 128, 192 or 256"},
      });
  Msg accepted;
  accepted.event = Event::ClientAccepted;
  CHECK(error_of(accepted, "$cmd names", "set cmd HTTP::cookie") == "HTTP::cookie: command is not valid in event CLIENT_ACCEPTED");
  CHECK(error_of(cookie_request(), "HTTP::cookie names", "HTTP::respond 200 content x") ==
        "HTTP::cookie: illegal after HTTP::respond or HTTP::redirect in this request");
}

TEST_CASE("HTTP::cookie encrypt and decrypt seal a value that only the pass phrase opens", "[http-commands]") {
  // Sealed in the response, opened in the next request: the way rules use the pair.
  Msg response;
  response.event = Event::HttpResponse;
  response.response_headers = {{"Set-Cookie", "sid=s3cret; Path=/"}};
  for (const char* bits : {"", " 128", " 192", " 256"}) {
    INFO("bits:" << bits);
    Fired sealed = fire(response, std::string("log -noname local0. [HTTP::cookie encrypt sid pass") + bits + "]");
    REQUIRE(sealed.log.size() == 1);
    const std::string value = sealed.log[0];
    CHECK(value != "s3cret");
    CHECK(value.size() == 4 * ((12 + 6 + 16 + 2) / 3));   // base64 of nonce, value and tag
    CHECK(sealed.response_headers == std::vector<std::string>{"Set-Cookie: sid=" + value + "; Path=/"});
    Msg next;
    next.request_headers = {{"Cookie", "a=1; sid=" + value}};
    Fired opened = fire(next, std::string("log -noname local0. <[HTTP::cookie decrypt sid pass") + bits + "]>");
    CHECK(opened.log == std::vector<std::string>{"<s3cret>"});
    CHECK(opened.request_headers == std::vector<std::string>{"Cookie: a=1; sid=s3cret"});
    // The wrong pass phrase or key length, or a changed value: no value, the cookie as it was.
    Fired wrong = fire(next, std::string("log -noname local0. <[HTTP::cookie decrypt sid other") + bits + "]>");
    CHECK(wrong.log == std::vector<std::string>{"<>"});
    CHECK(wrong.request_headers == std::vector<std::string>{"Cookie: a=1; sid=" + value});
    std::string changed = value;
    changed[20] = changed[20] == 'A' ? 'B' : 'A';
    next.request_headers = {{"Cookie", "sid=" + changed}};
    CHECK(fire(next, std::string("log -noname local0. <[HTTP::cookie decrypt sid pass") + bits + "]>").log ==
          std::vector<std::string>{"<>"});
  }
  Fired other_length = fire(response, "HTTP::cookie encrypt sid pass 256\nlog -noname local0. [HTTP::cookie sid]");
  REQUIRE(other_length.log.size() == 1);
  Msg next;
  next.request_headers = {{"Cookie", "sid=" + other_length.log[0]}};
  CHECK(result(next, "HTTP::cookie decrypt sid pass 128") == "<>");
  // Two seals of one value differ (a fresh nonce each time).
  Fired twice = fire(response, "set a [HTTP::cookie encrypt sid k]\nHTTP::cookie value sid s3cret\n"
                               "log -noname local0. [expr {$a eq [HTTP::cookie encrypt sid k]}]");
  CHECK(twice.log == std::vector<std::string>{"0"});
  Msg plain;
  plain.request_headers = {{"Cookie", "sid=not-sealed"}};
  CHECK(result(plain, "HTTP::cookie decrypt sid k") == "<>");
  CHECK(result(plain, "HTTP::cookie encrypt missing k") == "<>");
}

// ---------------------------------------------------------------------------------------------
// HTTP::header: the forms beyond value/values/names/count/exists/insert/remove/replace

TEST_CASE("HTTP::header at, lws, is_keepalive, is_redirect, set forms", "[http-commands]") {
  Msg m;
  m.request_headers = {{"Host", "h"}, {"Accept", "*/*"}, {"X-Folded", "one\r\n two"}};
  check_results(m, {
                       {"HTTP::header at 0", "Host"},
                       {"HTTP::header at 2", "X-Folded"},
                       {"HTTP::header at 3", ""},
                       {"HTTP::header at -1", ""},
                       {"HTTP::header lws", "1"},
                       {"HTTP::header is_keepalive", "1"},
                       {"HTTP::header is_redirect", "0"},
                   });
  Msg plain;
  plain.request_headers = {{"Host", "h"}};
  CHECK(result(plain, "HTTP::header lws") == "<0>");
  Msg redirect;
  redirect.event = Event::HttpResponse;
  redirect.status = 302;
  CHECK(result(redirect, "HTTP::header is_redirect") == "<1>");
  redirect.response_headers = {{"Connection", "close"}};
  CHECK(result(redirect, "HTTP::header is_keepalive") == "<0>");
  check_request_edits(plain, {
                                 {"HTTP::header value Host other", {"Host: other"}},
                                 {"HTTP::header Host other", {"Host: other"}},
                                 {"HTTP::header X-New 1", {"Host: h", "X-New: 1"}},
                                 {"HTTP::header value X-New 1", {"Host: h", "X-New: 1"}},
                                 {"HTTP::header insert lws X-Long [string repeat a 100]",
                                  {"Host: h", "X-Long: " + std::string(100, 'a')}},   // never folded
                             });
  check_errors(m, {
                      {"HTTP::header at", "wrong # args: should be \"HTTP::header at index\""},
                      {"HTTP::header at x", "expected integer but got \"x\""},
                      {"HTTP::header lws x", "wrong # args: should be \"HTTP::header lws\""},
                      {"HTTP::header is_keepalive x", "wrong # args: should be \"HTTP::header is_keepalive\""},
                      {"HTTP::header is_redirect x", "wrong # args: should be \"HTTP::header is_redirect\""},
                      {"HTTP::header value a b c", "wrong # args: should be \"HTTP::header value name\""},
                      {"HTTP::header X-A \"1\\r\\nX-B: 2\"", "HTTP::header: header value of \"X-A\" contains CR, LF or NUL"},
                      {"HTTP::header insert_modssl_fields addr port",
                       "HTTP::header insert_modssl_fields: not supported by irulesd (no client SSL profile)"},
                  });
}

TEST_CASE("HTTP::header sanitize keeps the listed headers and the framing ones", "[http-commands]") {
  Msg m;
  m.request_headers = {{"Host", "h"},         {"Cookie", "a=1"},         {"Accept", "*/*"}, {"content-length", "3"},
                       {"Content-Type", "t"}, {"Transfer-Encoding", "x"}, {"Connection", "c"}, {"X-A", "1"},
                       {"accept", "2"}};
  check_request_edits(
      m, {
             {"HTTP::header sanitize Accept",
              {"Accept: */*", "content-length: 3", "Content-Type: t", "Transfer-Encoding: x", "Connection: c", "accept: 2"}},
             {"HTTP::header sanitize host x-a",
              {"Host: h", "content-length: 3", "Content-Type: t", "Transfer-Encoding: x", "Connection: c", "X-A: 1"}},
             {"HTTP::header sanitize", {"content-length: 3", "Content-Type: t", "Transfer-Encoding: x", "Connection: c"}},
         });
  Msg response;
  response.event = Event::HttpResponse;
  response.response_headers = {{"Server", "s"}, {"Set-Cookie", "a=1"}, {"Set-Cookie2", "b=2"}, {"Content-Encoding", "gzip"},
                               {"Proxy-Connection", "p"}};
  check_response_edits(response, {{"HTTP::header sanitize",
                                   {"Set-Cookie: a=1", "Set-Cookie2: b=2", "Content-Encoding: gzip", "Proxy-Connection: p"}}});
}

TEST_CASE("HTTP::header, uri, path and log read byte arrays as their bytes", "[http-commands]") {
  Msg m;
  m.request_headers = {{"Host", "h"}};
  check_request_edits(m, {
                             {"HTTP::header insert X-Bin [binary format H* c3a9ff]", {"Host: h", "X-Bin: \xc3\xa9\xff"}},
                             {"HTTP::header insert X-Txt \"\xc3\xa9\"", {"Host: h", "X-Txt: \xc3\xa9"}},
                             {"HTTP::header replace Host [binary format H* 6869ff]", {"Host: hi\xff"}},
                             {"HTTP::header Host [binary format H* e9]", {"Host: \xe9"}},
                         });
  CHECK(fire(m, "HTTP::uri [binary format H* 2fe9]").uri == "/\xe9");
  CHECK(fire(m, "HTTP::path [binary format H* 2fff]").uri == "/\xff?x=1");
  CHECK(fire(m, "HTTP::query [binary format H* 613de9]").uri == "/a/b.html?a=\xe9");
  Msg response;
  response.event = Event::HttpResponse;
  response.response_headers = {{"Set-Cookie", "a=1"}};
  CHECK(fire(response, "HTTP::cookie value a [binary format H* e9]").response_headers ==
        std::vector<std::string>{"Set-Cookie: a=\xe9"});
  // log: a byte array logs its bytes; text its UTF-8.
  CHECK(fire(m, "log -noname local0. [binary format H* e941]").log == std::vector<std::string>{"\xe9" "A"});
  CHECK(fire(m, "log -noname local0. \"\xc3\xa9\"").log == std::vector<std::string>{"\xc3\xa9"});
  CHECK(fire(m, "log -noname local0. [b64decode w6k=]").log == std::vector<std::string>{"\xc3\xa9"});
  CHECK(fire(m, "log local0. [binary format H* ff]").log == std::vector<std::string>{"Rule /Common/r <HTTP_REQUEST>: \xff"});
}

// ---------------------------------------------------------------------------------------------
// HTTP::query, is_keepalive, is_redirect, request, username, password, enable

TEST_CASE("HTTP::query reads and sets the query string", "[http-commands]") {
  Msg m;
  check_results(m, {{"HTTP::query", "x=1"}});
  Msg bare;
  bare.uri = "/a";
  check_results(bare, {{"HTTP::query", ""}});
  Msg odd;
  odd.uri = "/a?b?c=1";
  check_results(odd, {{"HTTP::query", "b?c=1"}});
  CHECK(fire(m, "HTTP::query a=2&b=3").uri == "/a/b.html?a=2&b=3");
  CHECK(fire(bare, "HTTP::query q").uri == "/a?q");
  CHECK(fire(m, "HTTP::query {}").uri == "/a/b.html");
  CHECK(result(m, "HTTP::query", "HTTP::query y=2") == "<y=2>");
  CHECK(result(m, "HTTP::uri", "HTTP::path /z") == "</z?x=1>");
  check_errors(m, {
                      {"HTTP::query a b", "wrong # args: should be \"HTTP::query ?query?\""},
                      {"HTTP::query {a b}", "HTTP::query: invalid query \"a b\""},
                      {"HTTP::query a#b", "HTTP::query: invalid query \"a#b\""},
                      {"HTTP::query \"a\\r\\nX: 1\"", "HTTP::query: invalid query \"a  X: 1\""},   // log: one line
                      // -normalized reads (tclext_compat_test.cc); it takes no value.
                      {"HTTP::query -normalized x", "wrong # args: should be \"HTTP::query ?query?\""},
                      {"HTTP::uri -normalized x", "wrong # args: should be \"HTTP::uri ?uri?\""},
                      {"HTTP::path -normalized /a /b", "wrong # args: should be \"HTTP::path ?-normalized? ?path?\""},
                  });
  Msg response;
  response.event = Event::HttpResponse;
  CHECK(error_of(response, "$cmd", "set cmd HTTP::query") == "HTTP::query: command is not valid in event HTTP_RESPONSE");
}

TEST_CASE("HTTP::is_keepalive follows the version and Connection", "[http-commands]") {
  struct KeepAlive {
    int request_minor;
    std::vector<OwnedHeader> request;
    bool response_event;
    int response_minor;
    std::vector<OwnedHeader> response;
    const char* result;
  };
  const KeepAlive cases[] = {
      {1, {}, false, 1, {}, "1"},
      {1, {{"Connection", "close"}}, false, 1, {}, "0"},
      {1, {{"Connection", "Upgrade, CLOSE"}}, false, 1, {}, "0"},
      {1, {{"Connection", "keep-alive"}}, false, 1, {}, "1"},
      {0, {}, false, 1, {}, "0"},
      {0, {{"Connection", "Keep-Alive"}}, false, 1, {}, "1"},
      {1, {}, true, 1, {}, "1"},
      {1, {}, true, 1, {{"Connection", "close"}}, "0"},
      {1, {}, true, 0, {}, "0"},
      {1, {}, true, 0, {{"Connection", "keep-alive"}}, "1"},
      {1, {{"Connection", "close"}}, true, 1, {}, "0"},
  };
  for (const KeepAlive& c : cases) {
    Msg m;
    m.request_minor = c.request_minor;
    m.request_headers = c.request;
    m.event = c.response_event ? Event::HttpResponse : Event::HttpRequest;
    m.response_minor = c.response_minor;
    m.response_headers = c.response;
    INFO("request 1." << c.request_minor << " response event " << c.response_event);
    CHECK(result(m, "HTTP::is_keepalive") == std::string("<") + c.result + ">");
    CHECK(result(m, "HTTP::header is_keepalive") == std::string("<") + c.result + ">");
  }
  check_errors(Msg{}, {{"HTTP::is_keepalive x", "wrong # args: should be \"HTTP::is_keepalive\""}});
  Msg accepted;
  accepted.event = Event::ClientAccepted;
  CHECK(error_of(accepted, "$cmd", "set cmd HTTP::is_keepalive") == "HTTP::is_keepalive: command is not valid in event CLIENT_ACCEPTED");
}

TEST_CASE("HTTP::is_redirect counts 301 302 303 305 307 308", "[http-commands]") {
  for (int status : {301, 302, 303, 305, 307, 308, 300, 304, 200, 404, 500}) {
    Msg m;
    m.event = Event::HttpResponse;
    m.status = status;
    const bool redirect = status == 301 || status == 302 || status == 303 || status == 305 || status == 307 || status == 308;
    INFO(status);
    CHECK(result(m, "HTTP::is_redirect") == (redirect ? "<1>" : "<0>"));
  }
  check_results(Msg{}, {{"HTTP::is_redirect", "0"}});   // no response yet
  check_errors(Msg{}, {{"HTTP::is_redirect 1", "wrong # args: should be \"HTTP::is_redirect\""}});
}

TEST_CASE("HTTP::request gives the request head as text", "[http-commands]") {
  Msg m;
  m.request_headers = {{"Host", "h"}, {"X", "y"}};
  const std::string text = "string map {\\r\\n |} [HTTP::request]";
  check_results(m, {{text, "GET /a/b.html?x=1 HTTP/1.1|Host: h|X: y||"},
                    {"string length [HTTP::request]", "45"}});
  CHECK(result(m, text, "HTTP::header insert Z 1\nHTTP::uri /new") == "<GET /new HTTP/1.1|Host: h|X: y|Z: 1||>");
  m.request_minor = 0;
  m.event = Event::HttpResponse;
  CHECK(result(m, text) == "<GET /a/b.html?x=1 HTTP/1.0|Host: h|X: y||>");
  check_errors(m, {{"HTTP::request x", "wrong # args: should be \"HTTP::request\""}});
  Msg accepted;
  accepted.event = Event::ClientAccepted;
  CHECK(error_of(accepted, "$cmd", "set cmd HTTP::request") == "HTTP::request: command is not valid in event CLIENT_ACCEPTED");
}

TEST_CASE("HTTP::username and HTTP::password decode Basic credentials", "[http-commands]") {
  struct Auth {
    std::vector<OwnedHeader> headers;
    const char* user;
    const char* password;
  };
  const Auth cases[] = {
      {{{"Authorization", "Basic dXNlcjpwYXNzOndvcmQ="}}, "user", "pass:word"},
      {{{"authorization", "basic   dXNlcjpwdw  "}}, "user", "pw"},   // any case, no padding
      {{{"Authorization", "Basic Y2Fmw6k6eA=="}}, "caf\xc3\xa9", "x"},
      {{{"Authorization", "Basic dXNlcg=="}}, "user", ""},   // no ':'
      {{{"Authorization", "Bearer dXNlcjpwdw=="}}, "", ""},
      {{{"Authorization", "Basic !!!"}}, "", ""},
      {{{"Authorization", "Basic"}}, "", ""},
      {{}, "", ""},
  };
  for (const Auth& c : cases) {
    Msg m;
    m.request_headers = c.headers;
    INFO((c.headers.empty() ? std::string("none") : c.headers[0].value));
    CHECK(result(m, "HTTP::username") == std::string("<") + c.user + ">");
    CHECK(result(m, "HTTP::password") == std::string("<") + c.password + ">");
  }
  Msg response;
  response.event = Event::HttpResponse;
  response.request_headers = {{"Authorization", "Basic dXNlcjpwdw=="}};
  CHECK(result(response, "HTTP::username") == "<user>");
  check_errors(Msg{}, {{"HTTP::username x", "wrong # args: should be \"HTTP::username\""},
                       {"HTTP::password x", "wrong # args: should be \"HTTP::password\""}});
}

TEST_CASE("HTTP::enable takes back a pending HTTP::disable and is otherwise a no-op", "[http-commands]") {
  CHECK(fire(Msg{}, "HTTP::disable").http_disabled);
  CHECK_FALSE(fire(Msg{}, "HTTP::disable\nHTTP::enable").http_disabled);
  Fired plain = fire(Msg{}, "HTTP::enable");
  CHECK(plain.outcome == RuleOutcome::Continue);
  CHECK_FALSE(plain.http_disabled);
  Msg accepted;
  accepted.event = Event::ClientAccepted;
  CHECK(error_of(accepted, "HTTP::enable") == "OK");
  check_errors(Msg{}, {{"HTTP::enable now", "wrong # args: should be \"HTTP::enable\""}});
}

TEST_CASE("cookie dates format as RFC 6265 sane-cookie-date", "[http-commands]") {
  CHECK(format_cookie_date(0) == "Thu, 01 Jan 1970 00:00:00 GMT");
  CHECK(format_cookie_date(1623233894) == "Wed, 09 Jun 2021 10:18:14 GMT");
  CHECK(parse_cookie_date(format_cookie_date(1700000000)) == 1700000000);
  CHECK(parse_cookie_date("Sun, 06 Nov 1994 08:49:37 GMT") == 784111777);
  CHECK(parse_cookie_date("06 Nov 69 08:49:37") == parse_cookie_date("06 Nov 2069 08:49:37"));
  CHECK_FALSE(parse_cookie_date("Sun, 06 Nov 1994").has_value());   // no time
  CHECK_FALSE(parse_cookie_date("").has_value());
}
