#include "tclext/script_check.h"

#include <string_view>
#include <vector>

#include "tclext/command_policy.h"
#include "tclext/rule_timers.h"

namespace irulesd::tclext {
namespace {

// Deeper nesting than this is not descended into (keeps the recursion bounded).
constexpr int kMaxDepth = 64;

// Past a backslash and the character it escapes, never beyond end.
const char* skip_escape(const char* p, const char* end) { return end - p > 2 ? p + 2 : end; }

class Checker {
 public:
  Checker(Tcl_Interp* interp, const CommandCheck* commands) : interp_(interp), commands_(commands) {}

  std::optional<ScriptError> script(const char* text, std::size_t length, int depth) {
    std::optional<ScriptError> error;
    const char* failed = for_each_command(interp_, text, text + length, [&](const Tcl_Parse& parse) {
      error = parsed_command(parse, depth);
      return !error;
    });
    if (failed) return parse_error(failed);
    return error;
  }

 private:
  ScriptError parse_error(const char* where) {
    ScriptError error{where, Tcl_GetStringResult(interp_)};
    Tcl_ResetResult(interp_);
    return error;
  }

  // Descends into the command's script words and into its command substitutions ("[...]" in any
  // word), whose own scripts Tcl_ParseCommand only checked for bracket balance.
  std::optional<ScriptError> parsed_command(const Tcl_Parse& parse, int depth) {
    if (parse.numWords == 0 || depth >= kMaxDepth) return std::nullopt;
    if (auto error = command(words_of(parse), depth)) return error;
    for (int i = 0; i < parse.numTokens; ++i) {
      const Tcl_Token& token = parse.tokenPtr[i];
      if (token.type != TCL_TOKEN_COMMAND) continue;
      if (auto error = script(token.start + 1, static_cast<std::size_t>(token.size - 2), depth + 1)) return error;
    }
    return std::nullopt;
  }

  std::optional<ScriptError> body(const Word& w, int depth) {
    std::optional<std::string_view> text = braced_text(w);
    if (!text) return std::nullopt;   // other forms were parsed with the command itself
    return script(text->data(), text->size(), depth + 1);
  }

  // Expressions were translated from F5's dialect before the check; what is checked here is what can
  // be unbalanced — nested commands, quotes and braces — and the commands inside them.
  std::optional<ScriptError> expression(const Word& w, int depth) {
    std::optional<std::string_view> text = braced_text(w);   // also with a backslash-newline in it
    if (!text) return std::nullopt;
    return scan_substitutions(text->data(), text->data() + text->size(), depth);
  }

  std::optional<ScriptError> scan_substitutions(const char* p, const char* end, int depth) {
    while (p < end) {
      switch (*p) {
        case '\\':
          p = skip_escape(p, end);
          break;
        case '[': {
          const char* close = nullptr;
          if (auto error = nested_command(p, end, depth, &close)) return error;
          p = close + 1;
          break;
        }
        case '"': {
          const char* open = p++;
          while (p < end && *p != '"') {
            if (*p == '\\') {
              p = skip_escape(p, end);
            } else if (*p == '[') {
              const char* close = nullptr;
              if (auto error = nested_command(p, end, depth, &close)) return error;
              p = close + 1;
            } else {
              ++p;
            }
          }
          if (p >= end) return ScriptError{open, "missing \""};
          ++p;
          break;
        }
        case '{': {
          const char* open = p++;
          int level = 1;
          while (p < end && level > 0) {
            if (*p == '\\' && end - p > 1) {
              ++p;
            } else if (*p == '{') {
              ++level;
            } else if (*p == '}') {
              --level;
            }
            ++p;
          }
          if (level > 0) return ScriptError{open, "missing close-brace"};
          break;
        }
        default:
          ++p;
      }
    }
    return std::nullopt;
  }

  // Parses the script of "[...]" starting at open ('['), as Tcl does for a command substitution.
  std::optional<ScriptError> nested_command(const char* open, const char* end, int depth, const char** close) {
    const char* p = open + 1;
    while (true) {
      if (p >= end) return ScriptError{open, "missing close-bracket"};
      Tcl_Parse parse;
      if (Tcl_ParseCommand(interp_, p, static_cast<int>(end - p), 1, &parse) != TCL_OK) {
        return parse_error(parse.term);
      }
      std::optional<ScriptError> error = parsed_command(parse, depth);
      const char* term = parse.term;
      const bool closed = term < end && *term == ']' && !parse.incomplete;
      const char* next = parse.commandStart + parse.commandSize;
      Tcl_FreeParse(&parse);
      if (error) return error;
      if (closed) {
        *close = term;
        return std::nullopt;
      }
      if (next <= p) return ScriptError{open, "missing close-bracket"};
      p = next;
    }
  }

  std::optional<ScriptError> command(const std::vector<Word>& w, int depth) {
    if (!w[0].literal) return std::nullopt;
    std::string_view name = w[0].value();
    if (commands_ != nullptr && commands_->policy != nullptr) {
      std::string refusal = commands_->policy->check(name, commands_->event);
      if (!refusal.empty()) return ScriptError{w[0].start, std::move(refusal)};
    }
    // A pool named literally must exist, as BIG-IP checks when the rule is saved: `pool NAME …`, and
    // `use pool NAME …` (its old synonym).
    const bool use_pool = name == "use" && w.size() >= 2 && w[1].literal && w[1].value() == "pool";
    const std::size_t pool_word = name == "pool" ? 1 : use_pool ? 2 : 0;
    if (pool_word != 0 && commands_ != nullptr && commands_->config != nullptr && commands_->config->objects_known &&
        w.size() > pool_word && w[pool_word].literal &&
        commands_->config->find_pool(canonical_name(std::string(w[pool_word].value()))) == nullptr) {
      return ScriptError{w[pool_word].start, "no such pool: " + std::string(w[pool_word].value())};
    }
    if (name.substr(0, 2) == "::") name.remove_prefix(2);
    const std::size_t n = w.size();
    auto is = [&](std::size_t i, std::string_view s) { return i < n && w[i].literal && w[i].value() == s; };

    // iRule commands that run a script: clientside/serverside {…}, after MS ?-periodic? {…}.
    if ((name == "clientside" || name == "serverside") && n == 2) return body(w[1], depth);
    if (name == "after" && n >= 3) return body(w[n - 1], depth);
    if (name == "after" && n == 2 && commands_ != nullptr && pauses(w[1])) {
      // A proc may run in any event: the engine refuses a pause it cannot honour when it runs.
      if (commands_->event && (kPauseEvents & event_bit(*commands_->event)) == 0) {
        return ScriptError{w[0].start, kPauseEventsMessage};
      }
      if (commands_->pauses != nullptr) *commands_->pauses = true;
      return std::nullopt;
    }

    if (name == "if") {
      std::size_t i = 1;
      while (i < n) {
        if (auto e = expression(w[i], depth)) return e;
        ++i;
        if (is(i, "then")) ++i;
        if (i >= n) break;
        if (auto e = body(w[i], depth)) return e;
        ++i;
        if (is(i, "elseif")) {
          ++i;
          continue;
        }
        if (is(i, "else")) ++i;
        if (i < n) return body(w[i], depth);
        break;
      }
      return std::nullopt;
    }
    if (name == "while" && n == 3) {
      if (auto e = expression(w[1], depth)) return e;
      return body(w[2], depth);
    }
    if (name == "for" && n == 5) {
      if (auto e = body(w[1], depth)) return e;
      if (auto e = expression(w[2], depth)) return e;
      if (auto e = body(w[3], depth)) return e;
      return body(w[4], depth);
    }
    if ((name == "foreach" || name == "lmap") && n >= 4) return body(w[n - 1], depth);
    if ((name == "catch" && n >= 2) || (name == "eval" && n == 2)) return body(w[1], depth);
    if (name == "expr" && n == 2) return expression(w[1], depth);
    if (name == "try" && n >= 2) return try_command(w, depth);
    if (name == "switch") return switch_command(w, depth);
    return std::nullopt;
  }

  // `after WORD`: a pause unless WORD is `info` or `cancel`, or a literal that is no delay (an error
  // at run time, where `after` says what it should be).
  static bool pauses(const Word& delay) {
    if (!delay.literal) return true;   // $ms, [expr ...]
    const std::string_view text = delay.value();
    if (text.empty()) return false;
    for (char c : text) {
      if (c < '0' || c > '9') return false;
    }
    return true;
  }

  // try body ?on code vars body? ?trap pattern vars body? ?finally body?
  std::optional<ScriptError> try_command(const std::vector<Word>& w, int depth) {
    if (auto e = body(w[1], depth)) return e;
    std::size_t i = 2;
    while (i < w.size()) {
      std::string_view kw = w[i].literal ? w[i].value() : std::string_view();
      if ((kw == "on" || kw == "trap") && i + 3 < w.size()) {
        if (auto e = body(w[i + 3], depth)) return e;
        i += 4;
      } else if (kw == "finally" && i + 1 < w.size()) {
        return body(w[i + 1], depth);
      } else {
        break;
      }
    }
    return std::nullopt;
  }

  // switch ?options? string {pattern body ...}  or  switch ?options? string pattern body ...
  std::optional<ScriptError> switch_command(const std::vector<Word>& w, int depth) {
    std::size_t i = 1;
    while (i < w.size() && w[i].literal && !w[i].value().empty() && w[i].value()[0] == '-') {
      std::string_view option = w[i].value();
      ++i;
      if (option == "--") break;
      if (option == "-matchvar" || option == "-indexvar") ++i;
    }
    ++i;   // the string being matched
    if (i >= w.size()) return std::nullopt;
    if (i + 1 == w.size()) {
      // One word holding the pattern/body pairs: its words, with their positions, come from
      // parsing it as commands (line breaks between pairs split it into several). A body with a
      // backslash-newline in it (the dialect translator writes one for `if {c}` ⏎ `{`) makes the
      // word not "simple" for Tcl's parser: its text as written is checked all the same.
      std::optional<std::string_view> list = braced_text(w[i]);
      if (!list) return std::nullopt;
      std::vector<Word> pairs;
      const char* failed = for_each_command(interp_, list->data(), list->data() + list->size(), [&](const Tcl_Parse& parse) {
        std::vector<Word> more = words_of(parse);
        pairs.insert(pairs.end(), more.begin(), more.end());
        return true;
      });
      if (failed) return parse_error(failed);
      return switch_bodies(pairs, 0, depth + 1);
    }
    return switch_bodies(w, i, depth);
  }

  std::optional<ScriptError> switch_bodies(const std::vector<Word>& w, std::size_t first, int depth) {
    for (std::size_t i = first + 1; i < w.size(); i += 2) {
      if (w[i].literal && w[i].value() == "-") continue;   // fall through to the next body
      if (auto e = body(w[i], depth)) return e;
    }
    return std::nullopt;
  }

  Tcl_Interp* interp_;
  const CommandCheck* commands_;
};

}  // namespace

std::vector<Word> words_of(const Tcl_Parse& parse) {
  std::vector<Word> words;
  words.reserve(static_cast<std::size_t>(parse.numWords));
  const Tcl_Token* token = parse.tokenPtr;
  for (int i = 0; i < parse.numWords; ++i) {
    Word w{token->start, token->size, false, token->start, token->size};
    if (token->type == TCL_TOKEN_SIMPLE_WORD) {
      w.literal = true;
      w.text = token[1].start;
      w.text_size = token[1].size;
    }
    words.push_back(w);
    token += 1 + token->numComponents;
  }
  return words;
}

std::optional<ScriptError> check_script(Tcl_Interp* interp, const char* script, std::size_t length,
                                        const CommandCheck* commands) {
  return Checker(interp, commands).script(script, length, 0);
}

std::optional<std::string_view> braced_text(const Word& word) {
  if (word.braced()) return word.value();
  const std::string_view written(word.start, static_cast<std::size_t>(word.size));
  if (written.size() < 2 || written.front() != '{' || written.back() != '}') return std::nullopt;
  if (written.substr(0, 3) == "{*}") return std::nullopt;   // an expansion, not a braced word
  return written.substr(1, written.size() - 2);
}

}  // namespace irulesd::tclext
