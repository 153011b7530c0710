// F5's Tcl dialect: the translation as data (text in, text out, the same lines), then rules written in
// the dialect run through the real engine, whose log shows what each operator answered.
#include <catch2/catch.hpp>

#include "test/unit/log_capture.h"
#include "test/unit/rule_config.h"

#include <algorithm>
#include <cstring>
#include <string>
#include <vector>

#include <tcl.h>

#include "core/log.h"
#include "tclext/f5_dialect.h"
#include "tclext/f5_operators.h"
#include "tclext/rule_loader.h"
#include "tclext/tcl_rule_engine.h"

using namespace irulesd;
using namespace irulesd::tclext;

using irulesd::test::LogCapture;
using irulesd::test::one_rule_config;

namespace {

constexpr const char* kFile = "/etc/irulesd/bigip.conf";

long lines(const std::string& text) { return std::count(text.begin(), text.end(), '\n'); }

struct Case {
  const char* in;
  const char* out;   // nullptr: as written
};

void check_translations(const std::vector<Case>& cases) {
  for (const Case& c : cases) {
    INFO(c.in);
    const std::string expected = c.out != nullptr ? c.out : c.in;
    const std::string got = translate_f5_dialect(c.in);
    CHECK(got == expected);
    CHECK(lines(got) == lines(c.in));
    // Translating twice changes nothing more: the output is plain Tcl.
    CHECK(translate_f5_dialect(got) == got);
  }
}

struct Fired {
  RuleOutcome outcome;
  std::vector<std::string> log;   // messages, without the line prefix
};

// Loads `rule` (starting at line 1 of the file) and fires HTTP_REQUEST once on GET `uri`.
Fired fire(const std::string& rule, const std::string& uri = "/api/v2/users") {
  LogCapture log;
  auto config = one_rule_config(rule);
  const std::vector<ConfigError> errors = make_tcl_rule_engine_factory()->check(*config);
  for (const ConfigError& error : errors) UNSCOPED_INFO(error.str());
  REQUIRE(errors.empty());
  Fired out;
  {
    TclRuleEngine engine(config);
    RequestHead request;
    request.method = "GET";
    request.uri = uri;
    request.headers.add("Host", "www.example.com");
    Transaction tx;
    tx.client_addr = "192.0.2.7";
    tx.client_port = 51234;
    tx.local_addr = "127.0.0.10";
    tx.local_port = 8080;
    tx.request = &request;
    out.outcome = engine.fire(config->virtuals.front(), Event::HttpRequest, tx);
    tx.rule_scope.reset();
  }
  out.log = log.messages();
  return out;
}

// What the script, run in HTTP_REQUEST, logged with `log -noname local0.`.
std::vector<std::string> logged(const std::string& script, const std::string& uri = "/api/v2/users") {
  Fired out = fire("when HTTP_REQUEST {\n" + script + "\n}\n", uri);
  CHECK(out.outcome == RuleOutcome::Continue);
  return out.log;
}

}  // namespace

TEST_CASE("F5 operators become Tcl: functions for the string tests, eq && || ! for the others", "[f5-dialect]") {
  check_translations({
      {"if { [HTTP::uri] contains \"aol\" } { pool aol_pool }",
       "if { f5_contains([HTTP::uri], \"aol\") } { pool aol_pool }"},
      {"if {[HTTP::path] starts_with \"/abc\"} {}", "if {f5_starts_with([HTTP::path], \"/abc\")} {}"},
      {"if {[HTTP::path] ends_with \"cgi\"} {}", "if {f5_ends_with([HTTP::path], \"cgi\")} {}"},
      {"if {[HTTP::uri] matches_glob \"/a*\"} {}", "if {f5_matches_glob([HTTP::uri], \"/a*\")} {}"},
      {"if {[HTTP::uri] matches_regex {^/a[0-9]+$}} {}",
       "if {f5_matches_regex([HTTP::uri], {^/a[0-9]+$})} {}"},
      {"if {[HTTP::uri] matches {^/a}} {}", "if {f5_matches_regex([HTTP::uri], {^/a})} {}"},
      {"if {[HTTP::host] equals \"a.com\"} {}", "if {[HTTP::host] eq \"a.com\"} {}"},
      {"if {$a and $b or not $c} {}", "if {$a && $b || ! $c} {}"},
      {"if {not($a)} {}", "if {!($a)} {}"},
      {"if {\"a\"contains\"b\"} {}", "if {f5_contains(\"a\",\"b\")} {}"},
      {"if {\"a\"equals\"b\"} {}", "if {\"a\"eq\"b\"} {}"},
  });
}

TEST_CASE("F5 operators bind like eq, not like !, and/or like && and ||", "[f5-dialect]") {
  check_translations({
      {"if {$a contains \"x\" && $b equals \"y\"} {}", "if {f5_contains($a, \"x\") && $b eq \"y\"} {}"},
      {"if {not $x eq 1} {}", "if {! $x eq 1} {}"},
      {"if {$a + 1 equals 2} {}", "if {$a + 1 eq 2} {}"},
      {"if {[HTTP::uri] starts_with \"/api\" or [HTTP::host] ends_with \".com\"} {}",
       "if {f5_starts_with([HTTP::uri], \"/api\") || f5_ends_with([HTTP::host], \".com\")} {}"},
      // Arithmetic, comparison and == bind tighter; in, &, ^, |, &&, ||, ?: looser.
      {"if {$a + 1 contains 2 * $b} {}", "if {f5_contains($a + 1, 2 * $b)} {}"},
      {"if {$a << 1 < 3 contains 1} {}", "if {f5_contains($a << 1 < 3, 1)} {}"},
      {"if {$a == 1 contains 1 != 0} {}", "if {f5_contains($a == 1, 1 != 0)} {}"},
      {"if {$a contains $b in $l} {}", "if {f5_contains($a, $b) in $l} {}"},
      {"if {$a & $b contains \"x\" | $c} {}", "if {$a & f5_contains($b, \"x\") | $c} {}"},
      {"if {$a ^ $b ends_with $c} {}", "if {$a ^ f5_ends_with($b, $c)} {}"},
      // Same level as eq and ne: left to right.
      {"if {$a contains \"b\" eq 1} {}", "if {f5_contains($a, \"b\") eq 1} {}"},
      {"if {$a eq \"b\" contains 1} {}", "if {f5_contains($a eq \"b\", 1)} {}"},
      {"if {$a contains b contains c} {}", "if {f5_contains(f5_contains($a, b), c)} {}"},
      {"if {$a ne $b starts_with $c equals $d} {}", "if {f5_starts_with($a ne $b, $c) eq $d} {}"},
      // not is unary: it takes the operand next to it only.
      {"if {not $a contains \"b\"} {}", "if {f5_contains(! $a, \"b\")} {}"},
      {"if {not ($a contains \"b\")} {}", "if {! (f5_contains($a, \"b\"))} {}"},
      {"if {!($a starts_with \"/x\") and -$n < 0} {}", "if {!(f5_starts_with($a, \"/x\")) && -$n < 0} {}"},
      {"if {$a contains \"b\" and $c contains \"d\" or $e contains \"f\"} {}",
       "if {f5_contains($a, \"b\") && f5_contains($c, \"d\") || f5_contains($e, \"f\")} {}"},
      // The conditional operator, function calls, nested parentheses.
      {"if {$x ? $a contains \"b\" : $c starts_with \"d\"} {}",
       "if {$x ? f5_contains($a, \"b\") : f5_starts_with($c, \"d\")} {}"},
      {"if {$a contains \"b\" ? 1 : 0} {}", "if {f5_contains($a, \"b\") ? 1 : 0} {}"},
      {"if {max(1, $a contains \"b\") and abs(-1)} {}", "if {max(1, f5_contains($a, \"b\")) && abs(-1)} {}"},
      {"if {((($a contains \"b\")))} {}", "if {(((f5_contains($a, \"b\"))))} {}"},
      {"if {$a ** 2 ** 3 contains 1} {}", "if {f5_contains($a ** 2 ** 3, 1)} {}"},
  });
}

TEST_CASE("every kind of operand, operator words inside operands stay as written", "[f5-dialect]") {
  check_translations({
      {"if {${a b} contains x} {}", "if {f5_contains(${a b}, x)} {}"},
      {"if {$arr(idx) contains \"x\"} {}", "if {f5_contains($arr(idx), \"x\")} {}"},
      {"if {$::ns::v starts_with \"x\"} {}", "if {f5_starts_with($::ns::v, \"x\")} {}"},
      {"if {$arr([HTTP::uri]) contains $static::x} {}", "if {f5_contains($arr([HTTP::uri]), $static::x)} {}"},
      {"if {{a b} contains \"b\"} {}", "if {f5_contains({a b}, \"b\")} {}"},
      {"if {10 contains 1.5e+3} {}", "if {f5_contains(10, 1.5e+3)} {}"},
      {"if {0x1F equals .5} {}", "if {0x1F eq .5} {}"},
      {"if {true and $x} {}", "if {true && $x} {}"},
      {"if {\"[HTTP::host]:$port\" ends_with \":443\"} {}", "if {f5_ends_with(\"[HTTP::host]:$port\", \":443\")} {}"},
      // The words as strings, in quotes, braces, commands, variables: never operators.
      {"if {\"contains\" eq $x} {}", nullptr},
      {"if {{a and b} eq $x} {}", nullptr},
      {"if {\"x\" contains \"contains\"} {}", "if {f5_contains(\"x\", \"contains\")} {}"},
      {"if {[string match \"*contains*\" $x] and $not} {}", "if {[string match \"*contains*\" $x] && $not} {}"},
      {"if {[class match [HTTP::uri] starts_with dg] or $a(or)} {}",
       "if {[class match [HTTP::uri] starts_with dg] || $a(or)} {}"},
      {"if {[lsearch $l \"not\"] >= 0 and \"[log local0. {a or b}]\" eq \"\"} {}",
       "if {[lsearch $l \"not\"] >= 0 && \"[log local0. {a or b}]\" eq \"\"} {}"},
      // Upper case is not an operator: left for Tcl.
      {"if {$a CONTAINS \"b\"} {}", nullptr},
      // Expressions inside command substitutions, inside expressions.
      {"if {[expr {$a contains \"b\"}] and [llength [lsearch -all $l [expr {$x equals 1}]]]} {}",
       "if {[expr {f5_contains($a, \"b\")}] && [llength [lsearch -all $l [expr {$x eq 1}]]]} {}"},
      {"if {\"[if {$a contains \"]\"} {set x 1}]\" eq \"1\"} {}",
       "if {\"[if {f5_contains($a, \"]\")} {set x 1}]\" eq \"1\"} {}"},
  });
}

TEST_CASE("expressions are translated wherever Tcl evaluates one, at any depth", "[f5-dialect]") {
  check_translations({
      {"when HTTP_REQUEST {\n  if {$a contains b} {\n    if {$c and $d} { pool x }\n  }\n}",
       "when HTTP_REQUEST {\n  if {f5_contains($a, b)} {\n    if {$c && $d} { pool x }\n  }\n}"},
      {"when HTTP_REQUEST priority 100 timing on { expr {$a or $b} }",
       "when HTTP_REQUEST priority 100 timing on { expr {$a || $b} }"},
      {"if {$a} {} elseif {$b and $c} {} else { if {$d or $e} {} }",
       "if {$a} {} elseif {$b && $c} {} else { if {$d || $e} {} }"},
      {"if {$a} then {set x [expr {$b or $c}]} elseif {$d or $e} then {}",
       "if {$a} then {set x [expr {$b || $c}]} elseif {$d || $e} then {}"},
      {"while {$i < 3 and not $done} { if {$a or $b} {incr i} }",
       "while {$i < 3 && ! $done} { if {$a || $b} {incr i} }"},
      {"for {set i 0} {$i < 3 and $ok} {incr i} { while {$a or $b} {} }",
       "for {set i 0} {$i < 3 && $ok} {incr i} { while {$a || $b} {} }"},
      {"foreach {k v} $l { if {$k starts_with \"x\"} {} }", "foreach {k v} $l { if {f5_starts_with($k, \"x\")} {} }"},
      {"lmap x $l { expr {$x or 1} }", "lmap x $l { expr {$x || 1} }"},
      {"catch { if {$a or $b} {} } result", "catch { if {$a || $b} {} } result"},
      {"eval { if {$a or $b} {} }", "eval { if {$a || $b} {} }"},
      {"proc p {a} { return [expr {$a contains \"x\"}] }", "proc p {a} { return [expr {f5_contains($a, \"x\")}] }"},
      {"try { expr {$a or $b} } on error {m o} { expr {$c and $d} } finally { expr {not $e} }",
       "try { expr {$a || $b} } on error {m o} { expr {$c && $d} } finally { expr {! $e} }"},
      {"after 100 { if {$a or $b} {} }", "after 100 { if {$a || $b} {} }"},
      {"set x [string tolower [expr {$a equals $b}]]", "set x [string tolower [expr {$a eq $b}]]"},
      {"log local0. \"[expr {$a or $b}] or\"", "log local0. \"[expr {$a || $b}] or\""},
      {"::if {$a or $b} {}", "::if {$a || $b} {}"},
  });
}

TEST_CASE("switch bodies are scripts, switch patterns never are", "[f5-dialect]") {
  check_translations({
      {"switch -glob -- [HTTP::uri] {\n"
       "  \"*contains*\" -\n"
       "  {$a contains b} { if {$x contains \"a\"} { pool a } }\n"
       "  default {\n"
       "    while {$i and not $j} { incr i }\n"
       "  }\n"
       "}",
       "switch -glob -- [HTTP::uri] {\n"
       "  \"*contains*\" -\n"
       "  {$a contains b} { if {f5_contains($x, \"a\")} { pool a } }\n"
       "  default {\n"
       "    while {$i && ! $j} { incr i }\n"
       "  }\n"
       "}"},
      {"switch -regexp -matchvar m $x {a or b} { expr {$a or $b} } {not} { expr {not $c} }",
       "switch -regexp -matchvar m $x {a or b} { expr {$a || $b} } {not} { expr {! $c} }"},
      // An odd list is not pairs: as written, for Tcl to report.
      {"switch $x {\n  {a or b} { expr {$a or $b} }\n  default\n}", nullptr},
  });
}

TEST_CASE("words that are not expressions or scripts stay as written", "[f5-dialect]") {
  check_translations({
      {"log local0. \"a contains b and not c\"", nullptr},
      {"set y [class match [HTTP::uri] starts_with dg]", nullptr},
      {"set not 1; set and {a or b}", nullptr},
      {"expr $a contains b", nullptr},                         // unbraced: Tcl concatenates first
      {"if \"$a contains b\" {}", nullptr},                     // quoted condition
      {"set body {if {$a contains b} {}}", nullptr},           // data, even if it is later eval'd
      {"# if {$a contains b} {}\nset x 1", nullptr},           // a comment
      {"when HTTP_REQUEST {\n  # if {$a and $b} {\n  #}\n}", nullptr},
      {"foreach x {$a or $b} {}", nullptr},                    // the list of foreach
      {"after cancel {$a or $b}", nullptr},
  });
}

TEST_CASE("a close-brace glued to the next word gets its space", "[f5-dialect]") {
  check_translations({
      {"if {$x}{ pool a }", "if {$x} { pool a }"},
      {"if {$x} { pool a } else{ pool b }", "if {$x} { pool a } else { pool b }"},
      {"if {$x} { pool a }else{ pool b }", "if {$x} { pool a } else { pool b }"},
      {"if {$x} { pool a }elseif{$y}{ pool b }else { pool c }",
       "if {$x} { pool a } elseif {$y} { pool b } else { pool c }"},
      {"if {$x} then{ pool a }", "if {$x} then { pool a }"},
      {"if{$x contains \"y\"}{\n  pool a\n}", "if {f5_contains($x, \"y\")} {\n  pool a\n}"},
      {"when HTTP_REQUEST {\n  if { $a }{\n    set x [if {$b}{set c}]\n  }\n}",
       "when HTTP_REQUEST {\n  if { $a } {\n    set x [if {$b} {set c}]\n  }\n}"},
      // Not inside data, quotes or comments; and other glued characters are left for Tcl to report.
      {"set x {a}; set y \"}{\"; # }{", nullptr},
      {"set x {a}b", nullptr},
      {"set x elsewhere{", nullptr},
  });
}

TEST_CASE("a line starting with { continues the command before it, lines unmoved", "[f5-dialect]") {
  check_translations({
      {"when HTTP_REQUEST\n{\n  pool a\n}\n", "when HTTP_REQUEST\\\n{\n  pool a\n}\n"},
      {"when HTTP_REQUEST priority 10\n  {\n}\n", "when HTTP_REQUEST priority 10\\\n  {\n}\n"},
      {"when HTTP_REQUEST {\n  if { $a contains \"b\" }\n  {\n    pool a\n  } else\n  {\n    pool b\n  }\n}",
       "when HTTP_REQUEST {\n  if { f5_contains($a, \"b\") }\\\n  {\n    pool a\n  } else\\\n  {\n    pool b\n  }\n}"},
      {"if { $a }\n\n{\n}", "if { $a }\\\n\\\n{\n}"},
      {"if { $a } \r\n{\r\n}", "if { $a } \r\\\n{\r\n}"},
      {"set x [if { $a }\n{ set b }]", "set x [if { $a }\\\n{ set b }]"},
      // Not after a comment, not at the start of a script, not after ;, not before {*}.
      {"# when HTTP_REQUEST\n{\n}", nullptr},
      {"{\n}", nullptr},
      {"when X {\n{a}\n}", nullptr},
      {"set a 1;\n{\n}", nullptr},
      {"list a\n{*}$args", nullptr},
  });
}

TEST_CASE("else / elseif at the start of the line after an if's } joins the if, lines unmoved", "[f5-dialect]") {
  check_translations({
      {"if {$a} {\n  pool a\n}\nelse {\n  pool b\n}", "if {$a} {\n  pool a\n}\\\nelse {\n  pool b\n}"},
      {"if {$a} { pool a }\n  elseif {$b} { pool b }\n  else { pool c }",
       "if {$a} { pool a }\\\n  elseif {$b} { pool b }\\\n  else { pool c }"},
      {"if {$a} then { pool a }\nelseif {$b} then { pool b }\nelse { pool c }",
       "if {$a} then { pool a }\\\nelseif {$b} then { pool b }\\\nelse { pool c }"},
      {"if {$a} { pool a }  \t\n\t else{ pool b }", "if {$a} { pool a }  \t\\\n\t else { pool b }"},
      {"if {$a} { pool a }\r\nelse { pool b }", "if {$a} { pool a }\r\\\nelse { pool b }"},
      {"if {$a} { pool a }\nelse\n{ pool b }", "if {$a} { pool a }\\\nelse\\\n{ pool b }"},
      {"if { $a contains \"x\" }\n{\n  pool a\n}\nelseif { $a equals \"y\" }\n{\n}\nelse\n{\n}",
       "if { f5_contains($a, \"x\") }\\\n{\n  pool a\n}\\\nelseif { $a eq \"y\" }\\\n{\n}\\\nelse\\\n{\n}"},
      {"when HTTP_REQUEST {\n  if {$a} {\n  }\n  else {\n    if {$b} { }\n    else { }\n  }\n}",
       "when HTTP_REQUEST {\n  if {$a} {\n  }\\\n  else {\n    if {$b} { }\\\n    else { }\n  }\n}"},
      {"set x [if {$a} {set b}\nelse {set c}]", "set x [if {$a} {set b}\\\nelse {set c}]"},
      {"switch $x {\n  a {\n    if {$a} { }\n    else { }\n  }\n}",
       "switch $x {\n  a {\n    if {$a} { }\\\n    else { }\n  }\n}"},
      {"if {$a} { }\nelse\\\n{ }", "if {$a} { }\\\nelse\\\n{ }"},
      // Not after a blank line (BIG-IP then runs `else` as a command of its own), not after the else
      // clause, a comment, a `;`, a body that is not braced or a condition; not in data; not
      // another word.
      {"if {$a} { pool a }\n\nelse { pool b }", nullptr},
      {"if {$a} { pool a }\n \t\nelse { pool b }", nullptr},
      {"if {$a} { pool a } else { pool b }\nelse { pool c }", nullptr},
      {"if {$a} { pool a }\n# else\nelse { pool b }", nullptr},
      {"if {$a} { pool a };\nelse { pool b }", nullptr},
      {"if {$a} pool_a\nelse { pool b }", nullptr},
      {"if {$a}\nelse { pool b }", nullptr},
      {"set x {a}\nelse { pool b }", nullptr},
      {"set s {\nif {$a} {b}\nelse {c}\n}", nullptr},
      {"if {$a} { pool a }\nelsewhere { pool b }", nullptr},
      {"if {$a} { pool a }\nelse_x", nullptr},
      {"if {$a} { pool a }\nels { pool b }", nullptr},
  });
}

TEST_CASE("text the translator cannot parse is left as written", "[f5-dialect]") {
  check_translations({
      {"if {$a contains} {}", nullptr},
      {"if {$a @ $b contains c} {}", nullptr},
      {"if {($a contains b} {}", nullptr},
      {"if {$a contains \"b} {}", nullptr},
      {"if {$a contains [b} {}", nullptr},
      {"if {f($a contains b} {}", nullptr},
      {"if {} {}", nullptr},
      {"when HTTP_REQUEST {\n  if {$a contains b} {\n", nullptr},               // missing close-brace
      {"when HTTP_REQUEST {\n  if {$a or b} {}\n  set x [y\n  if {$a or b} {}\n}",
       "when HTTP_REQUEST {\n  if {$a || b} {}\n  set x [y\n  if {$a or b} {}\n}"},   // from the error on
      {"set x \"a\"b; if {$a or $b} {}", nullptr},
      {"set x $a(b; if {$a or $b} {}", nullptr},
      {"set x ${a; if {$a or $b} {}", nullptr},
      {"\\", nullptr},
      {"", nullptr},
  });
}

TEST_CASE("plain Tcl 8.6 comes out byte for byte", "[f5-dialect]") {
  check_translations({
      {"when HTTP_REQUEST {\n log local0. \"processing\"\n if { \"websocket\" eq [string tolower [HTTP::header value "
       "\"Upgrade\"]] } {\n  HTTP::disable\n }\n}\n",
       nullptr},
      {"switch -glob -- [HTTP::path] {\n  \"/a*\" -\n  \"/b*\" { pool a }\n  default { pool b }\n}", nullptr},
      {"set a \"x]\" ; set b {y]} ; set c \\] ; set d \\\n  e", nullptr},
      {"if {$i < 3 && !$done || $x in {a b} ? 1 : 0} { incr i } else { incr j }", nullptr},
      {"expr {2 ** -1 + 0x10 / 1e3 - (abs(-1) % 3) << 1 >> 1 & 7 ^ 1 | ~0}", nullptr},
      {"foreach {k v} [list a 1 b 2] { set h($k) $v }", nullptr},
      {"set x [expr {[string length $y] > 3 ? \"long\" : {short}}]", nullptr},
      {"{*}[list set a 1]", nullptr},
      {"while {1} {\n  # a comment with { and \"\n  break\n}", nullptr},
  });
}

TEST_CASE("the math functions answer 1 or 0 and check their arguments", "[f5-dialect]") {
  Tcl_FindExecutable(nullptr);
  Tcl_Interp* interp = Tcl_CreateInterp();
  register_f5_operators(interp);
  auto eval = [&](const char* script) {
    const int code = Tcl_Eval(interp, script);
    return std::string(code == TCL_OK ? "" : "error: ") + Tcl_GetStringResult(interp);
  };
  CHECK(eval("expr {f5_contains(\"abc\", \"b\")}") == "1");
  CHECK(eval("expr {f5_contains(\"abc\", \"\")}") == "1");
  CHECK(eval("expr {f5_contains(\"\", \"a\")}") == "0");
  CHECK(eval("expr {f5_contains(\"h\\u00e9llo\", \"\\u00e9l\")}") == "1");
  CHECK(eval("expr {f5_starts_with(10.0, 10)}") == "1");   // strings as written, not numbers
  CHECK(eval("expr {f5_ends_with(0x10, 10)}") == "1");
  CHECK(eval("expr {f5_contains(\"a\")}") == "error: not enough arguments for math function \"f5_contains\"");
  CHECK(eval("expr {f5_ends_with(\"a\", \"b\", \"c\")}") ==
        "error: too many arguments for math function \"f5_ends_with\"");
  CHECK(eval("expr {f5_matches_regex(\"a\")}") ==
        "error: not enough arguments for math function \"f5_matches_regex\"");
  CHECK(eval("expr {f5_matches_regex(\"a\", \"(\")}") ==
        "error: couldn't compile regular expression pattern: parentheses () not balanced");
  CHECK(eval("expr {f5_matches_glob(\"a\", \"\\[\")}") == "0");

  // A pattern object keeps its compiled expression: the second match reuses it.
  Tcl_Obj* name = Tcl_NewStringObj("::tcl::mathfunc::f5_matches_regex", -1);
  Tcl_Obj* pattern = Tcl_NewStringObj("^/api/v[0-9]+/", -1);
  Tcl_Obj* yes = Tcl_NewStringObj("/api/v2/users", -1);
  Tcl_Obj* no = Tcl_NewStringObj("/web/api/v2/", -1);
  for (Tcl_Obj* obj : {name, pattern, yes, no}) Tcl_IncrRefCount(obj);
  Tcl_Obj* call_yes[] = {name, yes, pattern};
  Tcl_Obj* call_no[] = {name, no, pattern};
  REQUIRE(Tcl_EvalObjv(interp, 3, call_yes, 0) == TCL_OK);
  CHECK(std::string(Tcl_GetStringResult(interp)) == "1");
  REQUIRE(pattern->typePtr != nullptr);
  CHECK(std::string(pattern->typePtr->name) == "regexp");
  void* const compiled = pattern->internalRep.twoPtrValue.ptr1;
  REQUIRE(Tcl_EvalObjv(interp, 3, call_no, 0) == TCL_OK);
  CHECK(std::string(Tcl_GetStringResult(interp)) == "0");
  CHECK(pattern->internalRep.twoPtrValue.ptr1 == compiled);
  for (Tcl_Obj* obj : {name, pattern, yes, no}) Tcl_DecrRefCount(obj);
  Tcl_DeleteInterp(interp);
}

TEST_CASE("rules in the dialect run: each operator's truth table", "[f5-dialect]") {
  // Each line logs one operator over the same pairs: abc/b, abc/a, abc/c, abc/abc, abc/x, abc/"",
  // ""/a, ABC/b (case-sensitive).
  const std::string pairs = "set pairs {abc b abc a abc c abc abc abc x abc {} {} a ABC b}\n";
  auto table = [&](const std::string& op) {
    return pairs + "set r {}\nforeach {s t} $pairs { append r [expr {$s " + op + " $t}] }\n" +
           "log -noname local0. \"" + op + " $r\"";
  };
  CHECK(logged(table("contains")) == std::vector<std::string>{"contains 11110100"});
  CHECK(logged(table("starts_with")) == std::vector<std::string>{"starts_with 01010100"});
  CHECK(logged(table("ends_with")) == std::vector<std::string>{"ends_with 00110100"});
  CHECK(logged(table("equals")) == std::vector<std::string>{"equals 00010000"});
  CHECK(logged(table("matches_glob")) == std::vector<std::string>{"matches_glob 00010000"});
  CHECK(logged(table("matches_regex")) == std::vector<std::string>{"matches_regex 11110100"});
  CHECK(logged(table("matches")) == std::vector<std::string>{"matches 11110100"});

  // Glob and regular-expression patterns, case-sensitive; the regex literal is compiled once and
  // matched on every turn of the loop.
  CHECK(logged("set r {}\n"
               "foreach s {/api/v1/x /api/vX/x /API/v1/x /web/api/v1/x} {\n"
               "  append r [expr {$s matches_glob {/api/v[0-9]/*}}] [expr {$s matches_regex {^/api/v[0-9]+/}}]\n"
               "}\n"
               "log -noname local0. $r") == std::vector<std::string>{"11000000"});
  CHECK(logged("log -noname local0. [expr {\"a.b\" matches_regex {a\\.b}}][expr {\"axb\" matches_regex {a\\.b}}]") ==
        std::vector<std::string>{"10"});

  // and/or/not: the truth tables, and short-circuit (the right side is not evaluated).
  CHECK(logged("set r {}\n"
               "foreach {a b} {0 0 0 1 1 0 1 1} { append r [expr {$a and $b}] [expr {$a or $b}] [expr {not $a}] }\n"
               "log -noname local0. $r") == std::vector<std::string>{"001011010110"});
  CHECK(logged("if {0 and [log -noname local0. evaluated]} {}\n"
               "if {1 or [log -noname local0. evaluated]} {}\n"
               "log -noname local0. done") == std::vector<std::string>{"done"});
}

TEST_CASE("rules in the dialect run: conditions on the request, precedence, bodies", "[f5-dialect]") {
  const std::string rule =
      "when HTTP_REQUEST\n"
      "{\n"
      "  if { [HTTP::uri] starts_with \"/api\" or [HTTP::host] ends_with \".org\" }{\n"
      "    log -noname local0. \"api\"\n"
      "  }elseif{ [HTTP::uri] contains \"static\" }{\n"
      "    log -noname local0. \"static\"\n"
      "  } else{\n"
      "    log -noname local0. \"other\"\n"
      "  }\n"
      "  set x 0\n"
      "  if { not $x eq 1 }\n"
      "  {\n"
      "    log -noname local0. \"not binds tighter than eq\"\n"
      "  }\n"
      "  if { $x + 1 equals 1 and [HTTP::host] equals \"www.example.com\" } { log -noname local0. \"equals\" }\n"
      "  switch -glob [HTTP::uri] {\n"
      "    \"*contains*\" { log -noname local0. \"pattern\" }\n"
      "    default { if { [HTTP::uri] contains \"v2\" } { log -noname local0. \"switch body\" } }\n"
      "  }\n"
      "}\n";
  Fired api = fire(rule, "/api/v2/users");
  CHECK(api.outcome == RuleOutcome::Continue);
  CHECK(api.log == std::vector<std::string>{"api", "not binds tighter than eq", "equals", "switch body"});
  Fired other = fire(rule, "/static/contains/x");
  CHECK(other.log == std::vector<std::string>{"static", "not binds tighter than eq", "equals", "pattern"});
  Fired neither = fire(rule, "/index.html");
  CHECK(neither.log == std::vector<std::string>{"other", "not binds tighter than eq", "equals"});
}

TEST_CASE("rules in the dialect run: else / elseif on the line after }", "[f5-dialect]") {
  const std::string rule =
      "when HTTP_REQUEST {\n"
      "  if { [HTTP::uri] starts_with \"/api\" } {\n"
      "    log -noname local0. \"api\"\n"
      "  }\n"
      "  elseif { [HTTP::uri] contains \"static\" }\n"
      "  {\n"
      "    log -noname local0. \"static\"\n"
      "  }\n"
      "  else {\n"
      "    log -noname local0. \"other\"\n"
      "  }\n"
      "  switch -glob [HTTP::uri] {\n"
      "    \"/api*\" {\n"
      "      if { [HTTP::uri] ends_with \"users\" }\n"
      "      {\n"
      "        log -noname local0. \"users\"\n"
      "      }\n"
      "      else { log -noname local0. \"not users\" }\n"
      "    }\n"
      "  }\n"
      "}\n";
  CHECK(fire(rule, "/api/v2/users").log == std::vector<std::string>{"api", "users"});
  CHECK(fire(rule, "/api/v2/groups").log == std::vector<std::string>{"api", "not users"});
  CHECK(fire(rule, "/static/x").log == std::vector<std::string>{"static"});
  CHECK(fire(rule, "/index.html").log == std::vector<std::string>{"other"});
}

TEST_CASE("else after a blank line is a load error on its line, as on BIG-IP", "[f5-dialect]") {
  const std::string rule =
      "when HTTP_REQUEST {\n"        // 1
      "  if { $a } {\n"              // 2
      "  }\n"                        // 3
      "\n"                           // 4
      "  else {\n"                   // 5
      "  }\n"
      "}\n";
  auto config = one_rule_config(rule, 10);
  const std::vector<ConfigError> errors = make_tcl_rule_engine_factory()->check(*config);
  REQUIRE(errors.size() == 1);
  CHECK(errors[0].line == 14);
  CHECK(errors[0].message == "rule /Common/r: unknown command \"else\"");
}

TEST_CASE("errors in a rule written in the dialect keep their real line", "[f5-dialect]") {
  SECTION("a syntax error after translated lines is reported where it is") {
    Tcl_FindExecutable(nullptr);
    Tcl_Interp* interp = Tcl_CreateInterp();
    const std::string text =
        "when HTTP_REQUEST\n"                                              // 40
        "{\n"                                                              // 41
        "  if { [HTTP::uri] contains \"a\" and [HTTP::host] equals \"b\" }{\n"   // 42
        "    pool a\n"                                                     // 43
        "  } else{ pool b }\n"                                             // 44
        "  set x [string tolower \"a\"\n"                                 // 45
        "}\n";
    LoadedRule loaded;
    std::vector<ConfigError> errors;
    CHECK_FALSE(load_rule(interp, Rule{"/Common/r", text, SourceLoc{kFile, 40}}, &loaded, &errors));
    REQUIRE(errors.size() == 1);
    CHECK(errors[0].line == 45);
    CHECK(errors[0].message == "rule /Common/r: missing close-bracket");
    Tcl_DeleteInterp(interp);
  }
  SECTION("a handler's body line counts the continuation line") {
    Tcl_FindExecutable(nullptr);
    Tcl_Interp* interp = Tcl_CreateInterp();
    LoadedRule loaded;
    std::vector<ConfigError> errors;
    REQUIRE(load_rule(interp, Rule{"/Common/r", "\nwhen HTTP_REQUEST\n\n{\n  if {$a contains b} {}\n}\n",
                                   SourceLoc{kFile, 40}},
                      &loaded, &errors));
    REQUIRE(loaded.handlers.size() == 1);
    CHECK(loaded.handlers[0].line == 43);
    CHECK(loaded.handlers[0].body == "\n  if {f5_contains($a, b)} {}\n");
    Tcl_DeleteInterp(interp);
  }
  SECTION("a runtime error names the line it happened on") {
    Fired out = fire(
        "when HTTP_REQUEST\n"                                          // 1
        "{\n"                                                          // 2
        "  if { [HTTP::uri] starts_with \"/api\" }\n"                  // 3
        "  {\n"                                                        // 4
        "    if { $nosuch contains \"x\" }{\n"                         // 5
        "    }\n"
        "  }\n"
        "}\n");
    CHECK(out.outcome == RuleOutcome::Reset);
    REQUIRE(out.log.size() == 1);
    CHECK(out.log[0].find("can't read \"nosuch\": no such variable") != std::string::npos);
    CHECK(out.log[0].find("(at /etc/irulesd/bigip.conf:5)") != std::string::npos);
  }
  SECTION("a bad regular expression is a runtime error on its line") {
    Fired out = fire("when HTTP_REQUEST {\n\n  if { [HTTP::uri] matches_regex \"(\" } { }\n}\n");
    CHECK(out.outcome == RuleOutcome::Reset);
    REQUIRE(out.log.size() == 1);
    CHECK(out.log[0].find("couldn't compile regular expression pattern") != std::string::npos);
    CHECK(out.log[0].find("(at /etc/irulesd/bigip.conf:3)") != std::string::npos);
  }
}
