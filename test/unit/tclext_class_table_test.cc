// class, matchclass, findclass, table and session through the real interpreter: a rule runs in an
// event against a config parsed from bigip.conf text (so the data groups carry the index the parser
// builds) and logs what the commands return.
#include <catch2/catch.hpp>

#include "test/unit/log_capture.h"

#include "core/log.h"
#include "core/session_table.h"
#include "tclext/tcl_rule_engine.h"

using namespace irulesd;
using namespace irulesd::tclext;

using irulesd::test::LogCapture;

namespace {

constexpr const char* kFile = "/etc/irulesd/bigip.conf";

constexpr const char* kGroups = R"(
ltm data-group internal /Common/uri_map {
    records {
        /images { data img }
        /api/v2 { data api2_pool }
        / { data root }
        /api { data api_pool }
        "a b" { data "x y" }
    }
    type string
}
ltm data-group internal nets {
    records {
        10.0.0.0/8 { data ten }
        10.1.0.0/16 { data ten-one }
        192.168.1.1 { }
        2001:db8::/32 { data doc }
    }
    type ip
}
ltm data-group internal ports { records { 443 { data https } 80 { data http } } type integer }
ltm data-group internal /Part/other { records { k { data v } } type string }
)";

// The config of kGroups plus rule /Common/r on virtual /Common/vs.
std::shared_ptr<Config> config_with_rule(const std::string& rule) {
  ConfigLoadResult parsed = parse_config(kGroups, kFile, "/nonexistent");
  REQUIRE(parsed.errors.empty());
  auto config = std::make_shared<Config>(*parsed.config);
  config->rules.push_back(Rule{"/Common/r", rule, SourceLoc{kFile, 1}});
  VirtualServer vs;
  vs.has_http_profile = true;   // the rules handle HTTP events
  vs.name = "/Common/vs";
  vs.rules = {"/Common/r"};
  config->virtuals.push_back(vs);
  return config;
}

// Fires `when EVENT { SCRIPT }` once (RULE_INIT runs when the engine is built) and returns the log.
std::vector<std::string> run(const std::string& script, Event event = Event::HttpRequest) {
  LogCapture log;
  auto config = config_with_rule(std::string("when ") + event_name(event) + " {\n" + script + "\n}\n");
  REQUIRE(make_tcl_rule_engine_factory()->check(*config).empty());
  {
    TclRuleEngine engine(config);
    if (event != Event::RuleInit) {
      Transaction tx;
      tx.client_addr = "10.1.2.3";
      tx.client_port = 40000;
      CHECK(engine.fire(config->virtuals.front(), event, tx) == RuleOutcome::Continue);
      tx.rule_scope.reset();
    }
  }
  return log.messages();
}

// What `log -noname local0. [EXPR]` prints for each case.
struct Case {
  const char* expr;
  const char* result;
};

void check_results(const std::vector<Case>& cases, Event event = Event::HttpRequest) {
  std::string script;
  std::vector<std::string> want;
  for (const Case& c : cases) {
    script += std::string("log -noname local0. \"<[") + c.expr + "]>\"\n";
    want.push_back(std::string("<") + c.result + ">");
  }
  CHECK(run(script, event) == want);
}

// The error each command raises, caught in the rule.
void check_errors(const std::vector<Case>& cases) {
  std::string script;
  std::vector<std::string> want;
  for (const Case& c : cases) {
    script += std::string("log -noname local0. \"[catch {") + c.expr + "} e] $e\"\n";
    want.push_back(std::string("1 ") + c.result);
  }
  CHECK(run(script) == want);
}

// The global session table, empty and on a fake clock for one test.
std::atomic<int64_t> fake_ms{5000000};
int64_t fake_clock() { return fake_ms.load(); }
struct TableOnFakeClock {
  TableOnFakeClock() {
    SessionTable::global().clear();
    SessionTable::global().set_clock(&fake_clock);
  }
  ~TableOnFakeClock() {
    SessionTable::global().clear();
    SessionTable::global().set_clock(nullptr);
    SessionTable::global().set_max_entries(kTableDefaultMaxEntries);
  }
};

}  // namespace

// ---- class ---------------------------------------------------------------------------------------------

TEST_CASE("class match: 1/0, -index -name -value -element, -all, --", "[class]") {
  check_results({
      {"class match /api/v2/users starts_with uri_map", "1"},
      {"class match /api/v2/users starts_with /Common/uri_map", "1"},
      {"class match api starts_with uri_map", "0"},
      {"class match -name /api/v2/users starts_with uri_map", "/"},   // first in element order
      {"class match -index /api/v2/users starts_with uri_map", "0"},
      {"class match -value /api/v2 equals uri_map", "api2_pool"},
      {"class match -element /images/a.png starts_with uri_map", "/ root"},
      {"class match -value -all /api/v2/users starts_with uri_map", "root api_pool api2_pool"},
      {"class match -all -name /api/v2/users starts_with uri_map", "/ /api /api/v2"},
      {"class match -all -index /api/v2/users starts_with uri_map", "0 1 2"},
      {"class match -element -all /images starts_with uri_map", "{/ root} {/images img}"},
      {"class match -all /api starts_with uri_map", "1"},
      {"class match -name -index nothing equals uri_map", "-1"},   // the last option wins
      {"class match -index nothing equals uri_map", "-1"},
      {"class match -name nothing equals uri_map", ""},
      {"class match -all -name nothing equals uri_map", ""},
      {"class match {a b} equals uri_map", "1"},
      {"class match -value {xa b} ends_with uri_map", "x y"},
      {"class match -name -all {1/api/v2/} contains uri_map", "/ /api /api/v2"},
      {"class match -- -x equals uri_map", "0"},
      {"class match -x equals uri_map", "0"},   // three words: the item, not an option
      {"class match -name -- /a starts_with uri_map", "/"},
      {"class match k equals /Part/other", "1"},
  });
}

TEST_CASE("class search: the key on the left of the operator", "[class]") {
  check_results({
      {"class search uri_map starts_with /api", "1"},
      {"class search -name uri_map starts_with /api", "/api"},
      {"class search -name -all uri_map starts_with /api", "/api /api/v2"},
      {"class search -value uri_map ends_with v2", "api2_pool"},
      {"class search -name -all uri_map contains a", "/api /api/v2 /images {a b}"},
      {"class search -index uri_map contains zzz", "-1"},
      {"class search uri_map equals /", "1"},
      {"class search -value nets equals 10.1.1.1", "ten-one"},
  });
}

TEST_CASE("class match on ip and integer groups", "[class]") {
  check_results({
      {"class match 10.1.2.3 equals nets", "1"},
      {"class match -value 10.1.2.3 equals nets", "ten-one"},   // the most specific network
      {"class match -value -all 10.1.2.3 equals nets", "ten ten-one"},
      {"class match -name 192.168.1.1 equals nets", "192.168.1.1/32"},
      {"class match -name 192.168.1.1%0 equals nets", "192.168.1.1/32"},
      {"class match -value 2001:db8::1 equals nets", "doc"},
      {"class match -value ::ffff:10.9.9.9 equals nets", "ten"},
      {"class match 8.8.8.8 equals nets", "0"},
      {"class match garbage equals nets", "0"},
      {"class match [IP::client_addr] equals nets", "1"},
      {"class match -value 443 equals ports", "https"},
      {"class match 0080 equals ports", "1"},
      {"class match 81 equals ports", "0"},
  });
}

TEST_CASE("class lookup, element, type, exists, size", "[class]") {
  check_results({
      {"class lookup /api uri_map", "api_pool"},
      {"class lookup {a b} uri_map", "x y"},
      {"class lookup /api/ uri_map", ""},
      {"class lookup 10.200.0.1 nets", "ten"},
      {"class lookup 80 ports", "http"},
      {"class element 1 uri_map", "/api api_pool"},
      {"class element -name 1 uri_map", "/api"},
      {"class element -value 4 uri_map", "x y"},
      {"class element 0 ports", "80 http"},   // integer keys in numeric order
      {"class element 5 uri_map", ""},
      {"class element -1 uri_map", ""},
      {"class type uri_map", "string"},
      {"class type nets", "ip"},
      {"class type ports", "integer"},
      {"class exists uri_map", "1"},
      {"class exists /Common/nets", "1"},
      {"class exists /Part/other", "1"},
      {"class exists other", "0"},
      {"class exists nope", "0"},
      {"class size uri_map", "5"},
      {"class size nets", "4"},
  });
}

TEST_CASE("class names and get, with glob patterns and -nocase", "[class]") {
  check_results({
      {"class names uri_map", "/ /api /api/v2 /images {a b}"},
      {"class names uri_map /api*", "/api /api/v2"},
      {"class names uri_map /API*", ""},
      {"class names -nocase uri_map /API*", "/api /api/v2"},
      {"class names nets", "10.0.0.0/8 10.1.0.0/16 192.168.1.1/32 2001:db8::/32"},
      {"class get ports", "{80 http} {443 https}"},
      {"class get uri_map /i*", "{/images img}"},
      {"class get -nocase uri_map {A *}", "{{a b} {x y}}"},
  });
}

TEST_CASE("class startsearch, nextelement, anymore, donesearch", "[class]") {
  CHECK(run("set id [class startsearch ports]\n"
            "while {[class anymore ports $id]} { lappend out [class nextelement ports $id] }\n"
            "log -noname local0. \"$id: $out <[class nextelement ports $id]>\"\n"
            "set id2 [class startsearch uri_map]\n"
            "log -noname local0. [class nextelement -name uri_map $id2]\n"
            "log -noname local0. [class nextelement -index uri_map $id2]\n"
            "log -noname local0. [class nextelement -value uri_map $id2]\n"
            "class donesearch uri_map $id2\n"
            "log -noname local0. [catch {class anymore uri_map $id2} e]:$e\n"
            "log -noname local0. [catch {class nextelement uri_map $id} e]:$e\n") ==
        std::vector<std::string>{"1: {80 http} {443 https} <>", "/", "1", "api2_pool",
                                 "1:class anymore: no search \"2\" open on data group /Common/uri_map",
                                 "1:class nextelement: no search \"1\" open on data group /Common/uri_map"});
  // A rule that never ends its searches cannot grow the list without bound: the oldest goes.
  CHECK(run("set first [class startsearch ports]\n"
            "for {set i 0} {$i < 300} {incr i} { class startsearch ports }\n"
            "log -noname local0. [catch {class anymore ports $first} e]:$e\n") ==
        std::vector<std::string>{"1:class anymore: no search \"1\" open on data group /Common/ports"});
}

TEST_CASE("class errors", "[class]") {
  check_errors({
      {"class", "wrong # args: should be \"class subcommand ?arg ...?\""},
      {"class bogus x",
       "bad subcommand \"bogus\": must be anymore, donesearch, element, exists, get, lookup, match, names, "
       "nextelement, search, size, startsearch, or type"},
      {"class mat a equals uri_map", "bad subcommand \"mat\": must be anymore, donesearch, element, exists, get, "
                                     "lookup, match, names, nextelement, search, size, startsearch, or type"},
      {"class match a equals", "wrong # args: should be \"class match ?options? item operator class\""},
      {"class search uri_map equals", "wrong # args: should be \"class search ?options? class operator item\""},
      {"class match a like uri_map", "bad operator \"like\": must be equals, starts_with, ends_with, or contains"},
      {"class match -foo a equals uri_map",
       "bad option \"-foo\": must be -all, -element, -index, -name, -value, or --"},
      {"class match -- -name a equals uri_map", "class match: \"--\" must be the last option"},
      {"class match a equals nope", "class match: no data group named \"nope\""},
      {"class match a equals other", "class match: no data group named \"other\""},
      {"class match 10.0.0.1 starts_with nets",
       "class match: operator starts_with does not apply to ip data group /Common/nets (equals only)"},
      {"class search nets contains 10", "class search: operator contains does not apply to ip data group "
                                        "/Common/nets (equals only)"},
      {"class lookup a", "wrong # args: should be \"class lookup item class\""},
      {"class lookup a nope", "class lookup: no data group named \"nope\""},
      {"class element x uri_map", "expected integer but got \"x\""},
      {"class element -key 1 uri_map", "bad option \"-key\": must be -name, -value, or --"},
      {"class element 1", "wrong # args: should be \"class element ?-name|-value? index class\""},
      {"class type", "wrong # args: should be \"class type class\""},
      {"class size nope", "class size: no data group named \"nope\""},
      {"class exists a b", "wrong # args: should be \"class exists class\""},
      {"class names", "wrong # args: should be \"class names ?-nocase? class ?pattern?\""},
      {"class get uri_map a b", "wrong # args: should be \"class get ?-nocase? class ?pattern?\""},
      {"class names -nocase", "class names: no data group named \"-nocase\""},
      {"class startsearch", "wrong # args: should be \"class startsearch class\""},
      {"class nextelement ports 99", "class nextelement: no search \"99\" open on data group /Common/ports"},
      {"class nextelement -key ports 1", "bad option \"-key\": must be -index, -name, -value, or --"},
      {"class donesearch ports", "wrong # args: should be \"class donesearch class search_id\""},
      {"class anymore nope 1", "class anymore: no data group named \"nope\""},
  });
}

TEST_CASE("matchclass and findclass", "[class]") {
  check_results({
      {"matchclass uri_map starts_with /api", "2"},           // an element that starts with /api: 1-based
      {"matchclass /api/v2/x starts_with uri_map", "1"},      // the value starts with an element
      {"matchclass uri_map ends_with v2", "3"},
      {"matchclass nothing equals uri_map", "0"},
      {"matchclass /Common/uri_map equals /images", "4"},
      {"matchclass 10.1.1.1 equals nets", "2"},
      {"matchclass nets equals 10.1.1.1", "2"},
      {"findclass /ima uri_map", "/images img"},
      {"findclass /ima uri_map { }", "img"},
      {"findclass /api uri_map", "/api api_pool"},
      {"findclass /api uri_map _pool", ""},
      {"findclass /api uri_map /", "api api_pool"},
      {"findclass {a } uri_map", "a b x y"},
      {"findclass zzz uri_map", ""},
      {"findclass k /Part/other", "k v"},
  });
  check_errors({
      {"matchclass a equals b", "matchclass: neither \"a\" nor \"b\" is a data group"},
      {"matchclass uri_map like x", "bad operator \"like\": must be equals, starts_with, ends_with, or contains"},
      {"matchclass uri_map equals", "wrong # args: should be \"matchclass data-group|value operator value|data-group\""},
      {"matchclass nets contains 10", "matchclass: operator contains does not apply to ip data group /Common/nets "
                                      "(equals only)"},
      {"findclass a", "wrong # args: should be \"findclass value data-group ?separator?\""},
      {"findclass a nope", "findclass: no data group named \"nope\""},
      {"findclass 10 nets", "findclass: operator starts_with does not apply to ip data group /Common/nets (equals only)"},
  });
}

TEST_CASE("class runs in RULE_INIT, table and session do not", "[class]") {
  TableOnFakeClock table;
  // Named literally, the rule does not load; reached through a variable, the call fails when it runs.
  for (const char* command : {"table", "session"}) {
    auto config = config_with_rule(std::string("when RULE_INIT { ") + command + " lookup uie a }\n");
    std::vector<ConfigError> errors = make_tcl_rule_engine_factory()->check(*config);
    REQUIRE(errors.size() == 1);
    CHECK_THAT(errors[0].message, Catch::Contains(std::string("\"") + command + "\"") && Catch::Contains("RULE_INIT"));
  }
  check_results({{"class lookup /api uri_map", "api_pool"},
                 {"set c table; catch {$c set a b} e; set e", "table: command is not valid in event RULE_INIT"},
                 {"set c session; catch {$c lookup uie a} e; set e", "session: command is not valid in event RULE_INIT"}},
                Event::RuleInit);
}

// ---- table ---------------------------------------------------------------------------------------------

TEST_CASE("table set, add, replace, lookup", "[table]") {
  TableOnFakeClock table;
  check_results({
      {"table lookup k", ""},
      {"table set k v1", "v1"},
      {"table lookup k", "v1"},
      {"table add k v2", "v1"},   // exists: its value
      {"table add k2 v2", "v2"},
      {"table replace k3 v3", ""},
      {"table lookup k3", ""},
      {"table replace k v4", "v4"},
      {"table set -excl k v5", "v4"},
      {"table set -mustexist k6 v6", ""},
      {"table set -mustexist k v7", "v7"},
      {"table set -subtable s k sub", "sub"},
      {"table lookup k", "v7"},
      {"table lookup -subtable s k", "sub"},
      {"table set -- -dash v", "v"},
      {"table lookup -- -dash", "v"},
      {"table set -notouch -subtable s -- k2 w 10 20", "w"},
      {"table timeout -subtable s k2", "10"},
      {"table lifetime -subtable s k2", "20"},
      {"table set k8 v indefinite indefinite", "v"},
      {"table timeout k8", "indefinite"},
      {"table lifetime k8", "indefinite"},
      {"table set k8 v 0 0", "v"},   // 0 keeps the entry's own
      {"table timeout k8", "indefinite"},
      {"table set k8 v", "v"},   // no timeout given: the default 180 s, lifetime indefinite
      {"table timeout k8", "180"},
  });
}

TEST_CASE("table timeouts and lifetimes expire on the clock, lookup touches unless -notouch", "[table]") {
  TableOnFakeClock table;
  check_results({{"table set a 1 10", "1"}, {"table set b 2 indefinite 15", "2"}, {"table set c 3", "3"}});
  fake_ms += 9000;
  check_results({{"table lookup a", "1"}, {"table lookup -notouch b", "2"}, {"table timeout -remaining a", "10"},
                 {"table lifetime -remaining b", "6"}, {"table timeout -remaining b", "indefinite"}});
  fake_ms += 1000;
  check_results({{"table lookup -notouch a", "1"}, {"table timeout -remaining a", "9"}, {"table lookup b", "2"},
                 {"table lifetime -remaining b", "5"}});
  fake_ms += 5000;
  check_results({{"table lookup b", ""}});   // the lifetime ends it, lookups or not
  fake_ms += 4000;
  check_results({{"table lookup a", ""}, {"table timeout a", "-1"}, {"table lifetime -remaining a", "-1"},
                 {"table timeout -remaining c", "161"}});
  check_results({{"table timeout c 30", "30"}, {"table timeout -remaining c", "30"}, {"table lifetime c 100", "100"},
                 {"table lifetime -remaining c", "81"}, {"table timeout c indefinite", "indefinite"},
                 {"table timeout missing 5", "-1"}});
}

TEST_CASE("table incr, append, delete, keys", "[table]") {
  TableOnFakeClock table;
  check_results({
      {"table incr n", "1"},
      {"table incr n 41", "42"},
      {"table incr -mustexist missing", ""},
      {"table incr n -43", "18446744073709551615"},
      {"table incr -subtable s n", "1"},
      {"table append t ab", "ab"},
      {"table append -mustexist t cd", "abcd"},
      {"table append -mustexist u x", ""},
      {"table delete t", ""},
      {"table lookup t", ""},
      {"table delete nothing", ""},
      {"table set -subtable users alice 1", "1"},
      {"table set -subtable users bob 2", "2"},
      {"lsort [table keys -subtable users]", "alice bob"},
      {"table keys -subtable users -count", "2"},
      {"table keys -count -subtable nobody", "0"},
      {"table keys -subtable nobody", ""},
      {"table delete -subtable users bob", ""},
      {"table keys -notouch -subtable users", "alice"},
      {"table delete -subtable users -all", ""},
      {"table keys -subtable users -count", "0"},
      {"table set -subtable users carol 3", "3"},
      {"table delete -all -subtable users", ""},
      {"table keys -subtable users", ""},
      {"table lookup n", "18446744073709551615"},
  });
}

TEST_CASE("table shares one store across engines and config versions", "[table]") {
  TableOnFakeClock table;
  check_results({{"table set shared 1", "1"}});
  check_results({{"table incr shared", "2"}}, Event::ClientAccepted);   // a new engine: a reload
  CHECK(SessionTable::global().size() == 1);
}

TEST_CASE("table refuses new entries past the configured limit with an error", "[table]") {
  TableOnFakeClock table;
  SessionTable::global().set_max_entries(2);
  check_errors({{"table set a 1; table set b 2; table set c 3", "table set: the session table is full (2 entries)"},
                {"table incr x", "table incr: the session table is full (2 entries)"},
                {"session add uie y 1", "session add: the session table is full (2 entries)"}});
  check_results({{"table set a changed", "changed"}});
}

TEST_CASE("session add, lookup, delete map onto the table", "[table]") {
  TableOnFakeClock table;
  check_results({
      {"session add uie k v", ""},
      {"session lookup uie k", "v"},
      {"table lookup k", "v"},   // uie is the table's main namespace
      {"session add source_addr k other 10", ""},
      {"session lookup source_addr k", "other"},
      {"session lookup uie k", "v"},
      {"session lookup ssl k", ""},
      {"session delete uie k", ""},
      {"table lookup k", ""},
      {"session lookup source_addr k", "other"},
  });
  fake_ms += 10000;
  check_results({{"session lookup source_addr k", ""}});
}

TEST_CASE("table and session errors", "[table]") {
  TableOnFakeClock table;
  check_errors({
      {"table", "wrong # args: should be \"table subcommand ?arg ...?\""},
      {"table get k", "bad subcommand \"get\": must be add, append, delete, incr, keys, lifetime, lookup, replace, "
                      "set, or timeout"},
      {"table set k", "wrong # args: should be \"table set ?-notouch? ?-subtable name? ?-mustexist|-excl? key value "
                      "?timeout|indefinite? ?lifetime|indefinite?\""},
      {"table add k v 1 2 3", "wrong # args: should be \"table add ?-notouch? ?-subtable name? key value "
                              "?timeout|indefinite? ?lifetime|indefinite?\""},
      {"table set -mustexist -excl k v", "table set: -mustexist and -excl exclude each other"},
      {"table add -excl k v", "table add: bad option \"-excl\": must be -notouch, -subtable, or --"},
      {"table set -bogus k v", "table set: bad option \"-bogus\": must be -notouch, -subtable, -mustexist, -excl, or --"},
      {"table set -subtable", "table set: -subtable needs a name"},
      {"table set k v soon", "bad timeout \"soon\": must be a non-negative integer or indefinite"},
      {"table set k v 10 -1", "bad lifetime \"-1\": must be a non-negative integer or indefinite"},
      {"table set k v 4294967295", "bad timeout \"4294967295\": must be a non-negative integer or indefinite"},
      {"table lookup", "wrong # args: should be \"table lookup ?-notouch? ?-subtable name? key\""},
      {"table lookup -mustexist k", "table lookup: bad option \"-mustexist\": must be -notouch, -subtable, or --"},
      {"table incr k x", "expected integer but got \"x\""},
      {"table incr", "wrong # args: should be \"table incr ?-notouch? ?-subtable name? ?-mustexist? key ?delta?\""},
      {"table append k", "wrong # args: should be \"table append ?-notouch? ?-subtable name? ?-mustexist? key string\""},
      {"table delete", "wrong # args: should be \"table delete ?-subtable name? key|-all\""},
      {"table delete -all", "table delete: -all needs -subtable name"},
      {"table delete -all k", "wrong # args: should be \"table delete ?-subtable name? key|-all\""},
      {"table timeout -remaining k 5", "wrong # args: should be \"table timeout ?-subtable name? ?-remaining? key ?timeout?\""},
      {"table lifetime k later", "bad lifetime \"later\": must be a non-negative integer or indefinite"},
      {"table keys", "wrong # args: should be \"table keys -subtable name ?-notouch|-count?\""},
      {"table keys -subtable s -notouch -count", "table keys: -notouch and -count exclude each other"},
      {"table keys -subtable s extra", "wrong # args: should be \"table keys -subtable name ?-notouch|-count?\""},
      {"session", "wrong # args: should be \"session add|lookup|delete mode key ?data? ?timeout?\""},
      {"session find uie k", "bad subcommand \"find\": must be add, delete, or lookup"},
      {"session add uie k", "wrong # args: should be \"session add mode key data ?timeout?\""},
      {"session lookup uie", "wrong # args: should be \"session lookup mode key\""},
      {"session lookup cookie k", "bad mode \"cookie\": must be uie, source_addr, dest_addr, ssl, hash, or sip"},
      {"session add uie k v never", "bad timeout \"never\": must be a non-negative integer or indefinite"},
  });
}

TEST_CASE("class and table inside F5 expressions, as rules write them", "[class]") {
  TableOnFakeClock table;
  CHECK(run("if { [class match /api/x starts_with uri_map] and not ([class match /x contains uri_map] == 0) } {\n"
            "  log -noname local0. \"pool [class match -value /api/x starts_with uri_map]\"\n"
            "}\n"
            "if { [matchclass [IP::client_addr] equals nets] && [table incr hits] == 1 } { log -noname local0. first }\n"
            "if { [class lookup /api uri_map] ends_with \"_pool\" } { log -noname local0. ok }\n") ==
        std::vector<std::string>{"pool root", "first", "ok"});
}
