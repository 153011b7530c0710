// Load-time syntax check of a Tcl script with Tcl's own parser: every command is parsed with
// Tcl_ParseCommand, and the check descends into the braced words that are scripts of the control
// commands (if/while/for/foreach/catch/try/switch/eval bodies) and scans the braced expressions
// for unbalanced brackets and quotes — so a missing `]`, an extra `}` or an unbalanced quote
// anywhere in a handler is reported where it is.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <tcl.h>

#include "core/config.h"
#include "core/transaction.h"

namespace irulesd::tclext {

// One word of a command parsed by Tcl_ParseCommand; pointers into the parsed text.
struct Word {
  const char* start;   // the word as written (with its braces/quotes)
  int size;
  bool literal;        // no substitutions: text is the word's value
  const char* text;    // value of a literal word (inside the braces of a braced word)
  int text_size;
  bool braced() const { return literal && start[0] == '{'; }
  std::string_view value() const { return std::string_view(text, static_cast<std::size_t>(text_size)); }
};

std::vector<Word> words_of(const Tcl_Parse& parse);

// Walks the commands of script text [p, end) with Tcl_ParseCommand; visit(parse) returns true to go
// on. Returns nullptr, or the spot where parsing failed (Tcl's message is in the interp's result).
template <typename Visit>
const char* for_each_command(Tcl_Interp* interp, const char* p, const char* end, Visit&& visit) {
  while (p < end) {
    Tcl_Parse parse;
    if (Tcl_ParseCommand(interp, p, static_cast<int>(end - p), 0, &parse) != TCL_OK) return parse.term;
    const bool go_on = visit(parse);
    const char* next = parse.commandStart + parse.commandSize;
    Tcl_FreeParse(&parse);
    if (!go_on || next <= p) break;   // no progress: nothing but trailing space/comments
    p = next;
  }
  return nullptr;
}

class CommandPolicy;

// What the check asks about every command it finds by a literal name.
struct CommandCheck {
  const CommandPolicy* policy = nullptr;
  std::optional<Event> event;   // the handler's event; nullopt in a proc body (any event)
  const Config* config = nullptr;   // when set, `pool NAME` with a literal NAME must name a pool of it
  // When set, becomes true if the script pauses (`after MS` without a script, MS literal or not): such
  // a handler runs in a coroutine. In a handler of an event that cannot pause it is a load error.
  bool* pauses = nullptr;
};

struct ScriptError {
  const char* where;     // the failing spot, a pointer into the checked text
  std::string message;   // Tcl's message, e.g. "missing close-bracket"
};

// Checks script[0, length): syntax, and with `commands` every command named literally (unknown,
// disabled, not valid in the event). interp only carries Tcl's error messages (its result is reset).
std::optional<ScriptError> check_script(Tcl_Interp* interp, const char* script, std::size_t length,
                                        const CommandCheck* commands = nullptr);

// The script of a braced body word as written, also when it holds a backslash-newline (Tcl's parser
// does not call such a word "simple"); nullopt for any other word.
std::optional<std::string_view> braced_text(const Word& word);

}  // namespace irulesd::tclext
