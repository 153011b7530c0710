// Rule loading: `when` blocks, priorities, and load errors with the real line in the config file.
#include <catch2/catch.hpp>

#include <cstring>

#include <tcl.h>

#include "core/rule_engine.h"
#include "tclext/rule_loader.h"
#include "tclext/script_check.h"

using namespace irulesd;
using namespace irulesd::tclext;

namespace {

constexpr const char* kFile = "/etc/irulesd/bigip.conf";

Rule make_rule(const std::string& text, int line = 40, const std::string& name = "/Common/r") {
  Rule rule;
  rule.name = name;
  rule.text = text;
  rule.loc = SourceLoc{kFile, line};
  return rule;
}

// Loads one rule in a bare interpreter.
struct Loaded {
  bool ok = false;
  LoadedRule rule;
  std::vector<ConfigError> errors;
};

Loaded load(const std::string& text, int line = 40) {
  Tcl_FindExecutable(nullptr);
  Tcl_Interp* interp = Tcl_CreateInterp();
  Loaded out;
  out.ok = load_rule(interp, make_rule(text, line), &out.rule, &out.errors);
  Tcl_DeleteInterp(interp);
  return out;
}

}  // namespace

TEST_CASE("when blocks become handlers with their event, priority and body line", "[tclext]") {
  Loaded r = load(
      "# a comment before\n"                                  // 40
      "when CLIENT_ACCEPTED {\n"                              // 41
      "  set a 1\n"                                           // 42
      "}\n"                                                   // 43
      "when HTTP_REQUEST priority 100 {\n"                    // 44
      "  log local0. \"x\" ; # comment inside\n"              // 45
      "}\n"
      "when HTTP_RESPONSE { HTTP::header remove Server }\n"   // 47
      "when CLIENT_CLOSED priority 1000 {}\n");
  REQUIRE(r.ok);
  REQUIRE(r.errors.empty());
  REQUIRE(r.rule.handlers.size() == 4);
  CHECK(r.rule.name == "/Common/r");
  CHECK(r.rule.handlers[0].event == Event::ClientAccepted);
  CHECK(r.rule.handlers[0].priority == 500);
  CHECK(r.rule.handlers[0].body == "\n  set a 1\n");
  CHECK(r.rule.handlers[0].line == 41);
  CHECK(r.rule.handlers[1].event == Event::HttpRequest);
  CHECK(r.rule.handlers[1].priority == 100);
  CHECK(r.rule.handlers[2].event == Event::HttpResponse);
  CHECK(r.rule.handlers[2].body == " HTTP::header remove Server ");
  CHECK(r.rule.handlers[2].line == 47);
  CHECK(r.rule.handlers[3].priority == 1000);
}

TEST_CASE("a top-level priority sets the default of the rule's handlers", "[tclext]") {
  Loaded r = load("priority 200\nwhen HTTP_REQUEST { }\nwhen HTTP_RESPONSE priority 700 { }\n");
  REQUIRE(r.ok);
  REQUIRE(r.rule.handlers.size() == 2);
  CHECK(r.rule.handlers[0].priority == 200);
  CHECK(r.rule.handlers[1].priority == 700);
}

TEST_CASE("load errors name the rule and the real line of the file", "[tclext]") {
  struct Case {
    const char* what;
    const char* text;
    int line;               // rule text starts at line 40
    const char* message;    // expected message after "rule /Common/r: "
  };
  const Case cases[] = {
      {"unknown event", "when HTTP_REQUEST { }\nwhen SERVER_MAGIC { }\n", 41, "unknown event SERVER_MAGIC"},
      {"code outside when", "set x 1\nwhen HTTP_REQUEST { }\n", 40, "code outside of a when block: \"set\""},
      {"code after a when", "when HTTP_REQUEST {\n}\nlog local0. \"stray\"\n", 42,
       "code outside of a when block: \"log\""},
      {"missing close-bracket on the 3rd line",
       "when HTTP_REQUEST {\n  log local0. \"a\"\n  set x [string tolower \"a\"\n}\n", 42, "missing close-bracket"},
      {"extra characters after close-brace",
       "when HTTP_REQUEST {\n  if {1} {\n    log local0. a }x\n}\n", 42, "extra characters after close-brace"},
      {"unbalanced quote", "when HTTP_REQUEST {\n\n  log local0. \"abc\n}\n", 42, "missing \""},
      {"missing close-brace of the when", "\nwhen HTTP_REQUEST {\n  if {1} {\n    log local0. a\n}\n", 41,
       "missing close-brace"},
      {"bracket in an if condition",
       "when HTTP_REQUEST {\n  if { [HTTP::header exists X } {\n    log local0. a\n  }\n}\n", 41,
       "missing close-bracket"},
      {"bracket in an elseif body",
       "when HTTP_REQUEST {\n  if {0} {\n  } elseif {1} {\n    set a [list\n  }\n}\n", 43, "missing close-bracket"},
      {"bracket in a while body", "when HTTP_REQUEST {\n  while {0} {\n    set a [b\n  }\n}\n", 42,
       "missing close-bracket"},
      {"bracket in a foreach body", "when HTTP_REQUEST {\n  foreach x {1 2} {\n    set a [b\n  }\n}\n", 42,
       "missing close-bracket"},
      {"bracket in a for body", "when HTTP_REQUEST {\n  for {set i 0} {$i < 2} {incr i} {\n    set a [b\n  }\n}\n",
       42, "missing close-bracket"},
      {"bracket in a catch body", "when HTTP_REQUEST {\n  catch {\n    set a [b\n  }\n}\n", 42,
       "missing close-bracket"},
      {"bracket in a switch body",
       "when HTTP_REQUEST {\n  switch -glob [HTTP::uri] {\n    \"/a*\" { pool a }\n    default {\n      set a [b\n    "
       "}\n  }\n}\n",
       44, "missing close-bracket"},
      {"bracket in an eval body", "when HTTP_REQUEST {\n  eval {\n    set a [b\n  }\n}\n", 42,
       "missing close-bracket"},
      {"bracket in a command substitution's body",
       "when HTTP_REQUEST {\n  set v [if {1} {\n    string tolower [b\n  }]\n}\n", 42, "missing close-bracket"},
      {"priority out of range", "when HTTP_REQUEST priority 1001 { }\n", 40,
       "bad priority \"1001\": must be an integer from 0 to 1000"},
      {"when without body", "when HTTP_REQUEST\n", 40, "wrong # args: should be \"when EVENT ?priority N? BODY\""},
  };
  for (const Case& c : cases) {
    INFO(c.what);
    Loaded r = load(c.text, 40);
    CHECK_FALSE(r.ok);
    REQUIRE_FALSE(r.errors.empty());
    CHECK(r.errors[0].file == kFile);
    CHECK(r.errors[0].line == c.line);
    CHECK(r.errors[0].message == std::string("rule /Common/r: ") + c.message);
  }
}

TEST_CASE("valid scripts pass the syntax check", "[tclext]") {
  const char* scripts[] = {
      "if { \"websocket\" eq [string tolower [HTTP::header value \"Upgrade\"]] } { HTTP::disable }",
      "if {[HTTP::uri] starts_with \"/api\" and not ([HTTP::host] contains \"x\")} { pool a } else { pool b }",
      "switch -glob -- [HTTP::path] {\n  \"/a*\" -\n  \"/b*\" { pool a }\n  default { pool b }\n}",
      "switch [HTTP::method] GET { set m 1 } POST { set m 2 }",
      "set a \"x]\" ; set b {y]} ; set c \\]",
      "try { set a 1 } on error {m o} { log local0. $m } finally { set b 2 }",
      "foreach {k v} [list a 1 b 2] { set h($k) $v }",
      "# comment with [ and \"\nset x 1",
      "expr {\"a\" eq \"]\"}",
  };
  Tcl_FindExecutable(nullptr);
  Tcl_Interp* interp = Tcl_CreateInterp();
  for (const char* script : scripts) {
    INFO(script);
    auto error = check_script(interp, script, std::strlen(script));
    CHECK_FALSE(error.has_value());
  }
  Tcl_DeleteInterp(interp);
}

TEST_CASE("the factory's check reports every broken rule of a config", "[tclext]") {
  Config config;
  config.file = kFile;
  config.rules.push_back(make_rule("when HTTP_REQUEST { log local0. ok }\n", 10, "/Common/good"));
  config.rules.push_back(make_rule("when HTTP_REQUEST {\n  set x [y\n}\n", 20, "/Common/bad1"));
  config.rules.push_back(make_rule("when NOPE { }\n", 30, "/Common/bad2"));
  auto factory = make_tcl_rule_engine_factory();
  std::vector<ConfigError> errors = factory->check(config);
  REQUIRE(errors.size() == 2);
  CHECK(errors[0].line == 21);
  CHECK(errors[0].message == "rule /Common/bad1: missing close-bracket");
  CHECK(errors[1].line == 30);
  CHECK(errors[1].message == "rule /Common/bad2: unknown event NOPE");
}

TEST_CASE("a when body holding a line continuation loads, lines as written", "[tclext][f5-dialect]") {
  Loaded r = load(
      "when HTTP_REQUEST {\n"                    // 40
      "  if { $a eq \"b\" || \\\n"              // 41
      "       $c eq \"d\" } {\n"                // 42
      "    pool a\n"
      "  }\n"
      "}\n");
  REQUIRE(r.ok);
  REQUIRE(r.rule.handlers.size() == 1);
  CHECK(r.rule.handlers[0].line == 40);
  CHECK(r.rule.handlers[0].body == "\n  if { $a eq \"b\" || \\\n       $c eq \"d\" } {\n    pool a\n  }\n");
}

TEST_CASE("rules in F5's dialect load translated, errors on their real lines", "[tclext][f5-dialect]") {
  Loaded r = load(
      "when HTTP_REQUEST\n"                                           // 40
      "{\n"                                                           // 41
      "  if {[HTTP::uri] starts_with \"/a\" and not $x}{ pool a }\n"  // 42
      "}\n"
      "when HTTP_RESPONSE priority 10 { if {$a equals 1} {} }\n");    // 44
  REQUIRE(r.ok);
  REQUIRE(r.rule.handlers.size() == 2);
  CHECK(r.rule.handlers[0].line == 41);
  CHECK(r.rule.handlers[0].body == "\n  if {f5_starts_with([HTTP::uri], \"/a\") && ! $x} { pool a }\n");
  CHECK(r.rule.handlers[1].line == 44);
  CHECK(r.rule.handlers[1].priority == 10);
  CHECK(r.rule.handlers[1].body == " if {$a eq 1} {} ");

  struct Case {
    const char* text;
    int line;
    const char* message;
  };
  const Case cases[] = {
      {"when HTTP_REQUEST\n{\n  if { $a contains b }{\n  }\n  set x [y\n}\n", 44, "missing close-bracket"},
      {"when HTTP_REQUEST {\n  if { $a }{\n  } else{\n  }\n  set x \"y\n}\n", 44, "missing \""},
      {"when HTTP_REQUEST {\n  if {$a contains b} {\n    log local0. a }x\n}\n", 42,
       "extra characters after close-brace"},
      {"when HTTP_REQUEST\n\n{\n}\nwhen NOPE\n{\n}\n", 44, "unknown event NOPE"},
  };
  for (const Case& c : cases) {
    INFO(c.text);
    Loaded bad = load(c.text, 40);
    CHECK_FALSE(bad.ok);
    REQUIRE_FALSE(bad.errors.empty());
    CHECK(bad.errors[0].line == c.line);
    CHECK(bad.errors[0].message == std::string("rule /Common/r: ") + c.message);
  }
}

TEST_CASE("commands are checked when the rule loads: unknown, disabled, unsupported, wrong event", "[tclext]") {
  struct Case {
    const char* text;
    int line;
    const char* message;
  };
  const Case cases[] = {
      {"when HTTP_RESPONSE {\n  log local0. [HTTP::uri]\n}\n", 41,
       "rule /Common/r: command \"HTTP::uri\" is not valid in event HTTP_RESPONSE"},
      {"when RULE_INIT { set a [IP::client_addr] }\n", 40,
       "rule /Common/r: command \"IP::client_addr\" is not valid in event RULE_INIT"},
      {"when CLIENT_ACCEPTED {\n if {1} {\n  HTTP::header insert X 1\n }\n}\n", 42,
       "rule /Common/r: command \"HTTP::header\" is not valid in event CLIENT_ACCEPTED"},
      {"when HTTP_REQUEST { exec ls }\n", 40, "rule /Common/r: command \"exec\" is disabled in iRules"},
      {"when HTTP_REQUEST { catch { namespace eval x {} } }\n", 40,
       "rule /Common/r: command \"namespace\" is disabled in iRules"},
      {"when HTTP_REQUEST { set f [::open /etc/passwd] }\n", 40, "rule /Common/r: command \"open\" is disabled in iRules"},
      {"when HTTP_REQUEST { SSL::cipher name }\n", 40, "rule /Common/r: command \"SSL::cipher\" is not supported by irulesd"},
      {"when HTTP_REQUEST { ACCESS::session data get x }\n", 40,
       "rule /Common/r: command \"ACCESS::session\" is not supported by irulesd"},
      {"when HTTP_REQUEST { whereis [IP::client_addr] }\n", 40, "rule /Common/r: command \"whereis\" is not supported by irulesd"},
      {"when HTTP_REQUEST { frobnicate 1 }\n", 40, "rule /Common/r: unknown command \"frobnicate\""},
      {"when HTTP_REQUEST { after 10 { HTTP::status } }\n", 40,
       "rule /Common/r: command \"HTTP::status\" is not valid in event HTTP_REQUEST"},
      {"proc helper {} {\n  no_such_thing\n}\n", 41, "rule /Common/r: unknown command \"no_such_thing\""},
      {"when HTTP_REQUEST { log local0. a }\nwhen HTTP_REQUEST { log local0. b }\n", 41,
       "rule /Common/r: event HTTP_REQUEST is handled twice with priority 500 (give each a distinct priority)"},
  };
  for (const Case& c : cases) {
    INFO(c.text);
    Loaded r = load(c.text);
    CHECK_FALSE(r.ok);
    REQUIRE(r.errors.size() == 1);
    CHECK(r.errors[0].line == c.line);
    CHECK(r.errors[0].message == c.message);
  }
}

TEST_CASE("what a rule may use loads: Tcl, iRule commands in their events, procs in any event", "[tclext]") {
  Loaded r = load(
      "proc classify {uri} {\n"
      "  if { $uri starts_with \"/api\" } { return api }\n"
      "  return [string tolower [lindex [split $uri /] 1]]\n"
      "}\n"
      "when HTTP_REQUEST priority 100 { set kind [call classify [HTTP::uri]] }\n"
      "when HTTP_REQUEST priority 200 { pool web_pool }\n"
      "when HTTP_RESPONSE { HTTP::header insert X-Kind $kind\n clientside { log local0. [IP::remote_addr] } }\n"
      "when CLIENT_ACCEPTED { set id [after 100 -periodic { log local0. tick }]\n event disable all }\n");
  INFO((r.errors.empty() ? std::string() : r.errors[0].str()));
  CHECK(r.ok);
  REQUIRE(r.rule.procs.size() == 1);
  CHECK(r.rule.procs[0].name == "classify");
  CHECK(r.rule.procs[0].args == "uri");
  CHECK(r.rule.procs[0].line == 40);
}

TEST_CASE("a pool named literally must exist in the config", "[tclext]") {
  Tcl_FindExecutable(nullptr);
  Config config;
  Pool pool;
  pool.name = "/Common/web_pool";
  config.pools.push_back(pool);
  Tcl_Interp* interp = Tcl_CreateInterp();
  for (const char* text : {"when HTTP_REQUEST { pool web_pool }\n", "when HTTP_REQUEST { pool /Common/web_pool }\n",
                           "when HTTP_REQUEST { set p nope; pool $p }\n"}) {
    INFO(text);
    LoadedRule loaded;
    std::vector<ConfigError> errors;
    CHECK(load_rule(interp, make_rule(text), &loaded, &errors, &config));
  }
  LoadedRule loaded;
  std::vector<ConfigError> errors;
  CHECK_FALSE(load_rule(interp, make_rule("when HTTP_REQUEST {\n  pool nope_pool\n}\n"), &loaded, &errors, &config));
  REQUIRE(errors.size() == 1);
  CHECK(errors[0].str() == "/etc/irulesd/bigip.conf:41: rule /Common/r: no such pool: nope_pool");
  // Rules checked without a config (--check --rules-dir alone) cannot know the pools.
  config.objects_known = false;
  errors.clear();
  CHECK(load_rule(interp, make_rule("when HTTP_REQUEST { pool nope_pool }\n"), &loaded, &errors, &config));
  Tcl_DeleteInterp(interp);
}

TEST_CASE("events of modules irulesd lacks are named as unsupported, top-level timing is accepted", "[tclext]") {
  Loaded ssl = load("when CLIENTSSL_HANDSHAKE { log local0. hi }\n");
  REQUIRE(ssl.errors.size() == 1);
  CHECK(ssl.errors[0].message == "rule /Common/r: event CLIENTSSL_HANDSHAKE is not supported by irulesd");
  Loaded typo = load("when HTTP_REQEST { log local0. hi }\n");
  REQUIRE(typo.errors.size() == 1);
  CHECK(typo.errors[0].message == "rule /Common/r: unknown event HTTP_REQEST");
  Loaded timing = load("timing on\nwhen HTTP_REQUEST timing off { log local0. hi }\n");
  CHECK(timing.ok);
}
