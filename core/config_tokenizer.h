// Tokenizer for the bigip.conf subset: tmsh's own syntax, which looks like Tcl but is not. Values are
// never fed to Tcl's list parser, because it would substitute backslashes inside quotes
// (`recv "^HTTP/1\.[01] 200"` would lose its `\.`) and count a `{` that sits inside quotes.
//
// Words are bare, `"…"` (kept raw: quotes and backslashes byte-exact), or `{…}` blocks matched by brace
// depth while tracking quotes. Inside a block a newline ends a statement, so `monitor min 2 of { a b }`
// is one statement. `#` at the start of a statement comments out the rest of the line. The body of
// `ltm rule NAME { … }` is real Tcl: it is kept as raw text instead of being tokenized.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/config.h"

namespace irulesd {

struct ConfigWord;

// Words up to a newline (or the end of the enclosing block).
struct ConfigStatement {
  std::vector<ConfigWord> words;
  int line() const;  // line of the first word
};

struct ConfigWord {
  enum class Kind {
    Bare,      // text as written
    Quoted,    // text includes both quotes; nothing inside is unescaped
    Block,     // `{ … }` tokenized into statements
    RawBlock,  // `{ … }` of an `ltm rule`: text is everything between the braces, byte-exact
  };
  Kind kind = Kind::Bare;
  std::string text;
  int line = 0;       // line of the word's first byte (a block's `{`)
  int text_line = 0;  // RawBlock: line of the first byte of text (the `{` line: text starts right after it)
  std::vector<ConfigStatement> statements;  // Block only

  bool is_block() const { return kind == Kind::Block || kind == Kind::RawBlock; }
  // Bare text, or Quoted text without its two quotes (backslashes still kept as written).
  std::string value() const;
};

struct ConfigTokens {
  std::vector<ConfigStatement> statements;  // top-level statements (one per object)
  std::optional<ConfigError> error;         // set: statements is incomplete and must not be used
};

// Splits text into a statement tree. An unbalanced brace or quote is an error at the line where the
// unclosed thing opened; a stray `}` is an error at its own line.
ConfigTokens tokenize_config(std::string_view text, const std::string& file_name);

}  // namespace irulesd
