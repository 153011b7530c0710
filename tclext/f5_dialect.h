// BIG-IP's iRule dialect, rewritten into stock Tcl 8.6 once, when a rule loads.
//
// BIG-IP runs a Tcl whose parser and expression parser accept more than stock Tcl does:
//  - a close-brace followed directly by a word: `if {$x}{ … }`, `}else{`, `} elseif{`;
//  - a line that starts with `{` continuing the command of the line before:
//    `when HTTP_REQUEST` / `{`, `if { $x }` / `{`;
//  - `else` / `elseif` starting the line right after the `}` of an if's body (`if` looks past one
//    line break for them; not past a blank line);
//  - expression operators: contains, starts_with, ends_with, equals, matches_glob, matches_regex,
//    matches, and, or, not.
// translate_f5_dialect() turns such text into Tcl 8.6 text that means the same, keeping every other
// byte as written. It is pure (no Tcl, no globals) so that it can be unit-tested and fuzzed.
#pragma once

#include <string>
#include <string_view>

namespace irulesd::tclext {

// The translation of a rule's text (or of any Tcl script in the dialect):
//  - the missing space is inserted after such a close-brace;
//  - a backslash is inserted before the newline(s) in front of a continuing `{` line (not after a
//    comment, not at the start of a script, not before `{*}`), and before the one newline between
//    an if's braced body and an `else` / `elseif` line;
//  - in the expressions Tcl evaluates — if/elseif conditions, while tests, the test of for, the
//    braced single argument of expr — at any depth (when/if/while/for/foreach/lmap/switch/catch/try/
//    eval/proc/after bodies and [command substitutions]): `A contains B` becomes
//    `f5_contains(A, B)`, and likewise f5_starts_with, f5_ends_with, f5_matches_glob,
//    f5_matches_regex (F5 does not document plain `matches`: it is taken as matches_regex);
//    `equals` becomes `eq`, `and` `&&`, `or` `||`, `not` `!`. The operands are found with Tcl's
//    precedence, the F5 operators sitting with `eq`/`ne` and `not` with `!`.
// The result has exactly the lines of rule_text: a line's number never changes. Text that cannot be
// parsed (an unbalanced brace, an unknown character in an expression, …) is left as written, so
// that Tcl's own parser reports it where it is.
std::string translate_f5_dialect(std::string_view rule_text);

}  // namespace irulesd::tclext
