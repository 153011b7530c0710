// A parser of Tcl scripts (the word rules of Tcl's own Tcl_ParseCommand) that copies a script word
// by word, and an expression tokenizer + precedence-climbing parser for the expressions in it. Only
// what the dialect needs is rewritten; every other byte is copied as written, and no newline is ever
// added or removed.
#include "tclext/f5_dialect.h"

#include <algorithm>
#include <cstddef>
#include <optional>
#include <vector>

namespace irulesd::tclext {
namespace {

// Scripts nested deeper than this, and expressions nested deeper than this, are left as written:
// the recursion stays bounded whatever the input.
constexpr int kMaxDepth = 100;

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\v' || c == '\f' || c == '\r'; }
bool is_alpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_name_char(char c) { return is_alpha(c) || is_digit(c) || c == '_'; }

// ---- expression operators ----------------------------------------------------------------------

// Binding levels, loosest first, as in Tcl 8.6's expr; F5's string operators sit with eq/ne.
enum Level {
  kTernary = 0,
  kOr = 1,
  kAnd = 2,
  kBitOr = 3,
  kBitXor = 4,
  kBitAnd = 5,
  kIn = 6,
  kStringEq = 7,
  kEquality = 8,
  kRelational = 9,
  kShift = 10,
  kAdditive = 11,
  kMultiplicative = 12,
  kPower = 13,   // right-associative
};

struct Operator {
  std::string_view text;
  bool unary;
  bool binary;
  int level;                  // binary level
  const char* replacement;    // written instead of text, or nullptr
  const char* function;       // binary operator written as function(A, B), or nullptr
};

constexpr Operator kOperators[] = {
    // Longest symbols first: the tokenizer takes the first that matches.
    {"**", false, true, kPower, nullptr, nullptr},
    {"<<", false, true, kShift, nullptr, nullptr},
    {">>", false, true, kShift, nullptr, nullptr},
    {"<=", false, true, kRelational, nullptr, nullptr},
    {">=", false, true, kRelational, nullptr, nullptr},
    {"==", false, true, kEquality, nullptr, nullptr},
    {"!=", false, true, kEquality, nullptr, nullptr},
    {"&&", false, true, kAnd, nullptr, nullptr},
    {"||", false, true, kOr, nullptr, nullptr},
    {"*", false, true, kMultiplicative, nullptr, nullptr},
    {"/", false, true, kMultiplicative, nullptr, nullptr},
    {"%", false, true, kMultiplicative, nullptr, nullptr},
    {"+", true, true, kAdditive, nullptr, nullptr},
    {"-", true, true, kAdditive, nullptr, nullptr},
    {"<", false, true, kRelational, nullptr, nullptr},
    {">", false, true, kRelational, nullptr, nullptr},
    {"&", false, true, kBitAnd, nullptr, nullptr},
    {"^", false, true, kBitXor, nullptr, nullptr},
    {"|", false, true, kBitOr, nullptr, nullptr},
    {"!", true, false, 0, nullptr, nullptr},
    {"~", true, false, 0, nullptr, nullptr},
    // Word operators: a whole bareword, lower case only.
    {"eq", false, true, kStringEq, nullptr, nullptr},
    {"ne", false, true, kStringEq, nullptr, nullptr},
    {"in", false, true, kIn, nullptr, nullptr},
    {"ni", false, true, kIn, nullptr, nullptr},
    {"equals", false, true, kStringEq, "eq", nullptr},
    {"contains", false, true, kStringEq, nullptr, "f5_contains"},
    {"starts_with", false, true, kStringEq, nullptr, "f5_starts_with"},
    {"ends_with", false, true, kStringEq, nullptr, "f5_ends_with"},
    {"matches_glob", false, true, kStringEq, nullptr, "f5_matches_glob"},
    {"matches_regex", false, true, kStringEq, nullptr, "f5_matches_regex"},
    // F5 lists `matches` among its operators without saying what it does: taken as matches_regex.
    {"matches", false, true, kStringEq, nullptr, "f5_matches_regex"},
    {"and", false, true, kAnd, "&&", nullptr},
    {"or", false, true, kOr, "||", nullptr},
    {"not", true, false, 0, "!", nullptr},
};

const Operator* word_operator(std::string_view word) {
  for (const Operator& op : kOperators) {
    if (is_alpha(op.text[0]) && op.text == word) return &op;
  }
  return nullptr;
}

const Operator* symbol_operator(std::string_view text) {
  for (const Operator& op : kOperators) {
    if (!is_alpha(op.text[0]) && text.substr(0, op.text.size()) == op.text) return &op;
  }
  return nullptr;
}

enum class Tok { Operand, Function, Op, LParen, RParen, Comma, Question, Colon };

struct Token {
  Tok kind;
  std::size_t b, e;              // as written
  const Operator* op = nullptr;  // Tok::Op
  std::string text;              // an operand, its command substitutions translated
};

enum class NodeKind { Leaf, Paren, Call, Unary, Binary, Ternary };

struct Node {
  NodeKind kind;
  std::size_t b, e;              // span as written
  int token = -1;                // Leaf: the operand; Unary/Binary: the operator
  std::vector<int> children;     // Paren: inner; Call: args; Unary: operand; Binary: l, r; Ternary: c, t, f
  int height = 1;                // of the tree below: emit() recurses that deep
};

// ---- words of a command ------------------------------------------------------------------------

struct Word {
  std::size_t b = 0, e = 0;      // as written (with braces, quotes, {*})
  char kind = ' ';               // '{' braced, '"' quoted, ' ' bare
  bool expand = false;           // {*}
  bool substituted = false;      // holds $, [ or a backslash
  bool space_after = false;      // the dialect glued the next word to this one: insert a space
  std::size_t inner_b = 0, inner_e = 0;   // between the braces or quotes
  std::string lead;              // separator before the word, dialect fixes included
  std::string text;              // the word, its command substitutions translated
};

enum class Role { None, Script, Expression, SwitchList };

class Translator {
 public:
  explicit Translator(std::string_view s) : s_(s) {}

  // Appends the translation of the commands in [p, end) to out. nested: the script of a command
  // substitution, which ends at the first ']' that ends a command (its position in *stop).
  // A top-level script never fails: from a command that cannot be parsed on, the text is copied as
  // written. A nested one fails (returns false) instead, its end being unknown.
  bool commands(std::size_t p, std::size_t end, bool nested, int depth, std::string& out, std::size_t* stop) {
    while (true) {
      std::size_t q = p;
      while (q < end) {
        const char c = s_[q];
        if (is_space(c) || c == '\n' || c == ';') {
          ++q;
        } else if (backslash_newline(q, end)) {
          q += 2;
        } else {
          break;
        }
      }
      out.append(s_, p, q - p);
      p = q;
      if (p >= end) {
        if (nested) return false;
        *stop = end;
        return true;
      }
      if (nested && s_[p] == ']') {
        *stop = p;
        return true;
      }
      if (s_[p] == '#') {
        q = comment_end(p, end);
        out.append(s_, p, q - p);
        p = q;
        continue;
      }
      const std::size_t start = p;
      std::vector<Word> words;
      std::string trail;
      if (!command(p, end, nested, depth, words, trail)) {
        if (nested) return false;
        out.append(s_, start, end - start);
        *stop = end;
        return true;
      }
      emit_command(words, trail, depth, out);
    }
  }

 private:
  bool backslash_newline(std::size_t p, std::size_t end) const {
    return s_[p] == '\\' && p + 1 < end && s_[p + 1] == '\n';
  }

  // Where a word may end: whitespace, a command terminator, the end.
  bool word_ends_at(std::size_t p, std::size_t end, bool nested) const {
    if (p >= end) return true;
    const char c = s_[p];
    return is_space(c) || c == '\n' || c == ';' || (nested && c == ']') || backslash_newline(p, end);
  }

  // A comment runs to the first newline that no backslash escapes.
  std::size_t comment_end(std::size_t p, std::size_t end) const {
    while (p < end) {
      if (s_[p] == '\\') {
        p += 2;
      } else if (s_[p++] == '\n') {
        break;
      }
    }
    return p < end ? p : end;
  }

  // p at '{': the matching '}' as Tcl finds it (a backslash hides the next character).
  std::optional<std::size_t> matching_brace(std::size_t p, std::size_t end) const {
    int level = 0;
    for (; p < end; ++p) {
      const char c = s_[p];
      if (c == '\\') {
        ++p;
      } else if (c == '{') {
        ++level;
      } else if (c == '}' && --level == 0) {
        return p;
      }
    }
    return std::nullopt;
  }

  // Copies s_[p] and, after a backslash, the character it escapes.
  void copy_escape(std::size_t& p, std::size_t end, std::string& out) const {
    const std::size_t n = p + 1 < end ? 2 : 1;
    out.append(s_, p, n);
    p += n;
  }

  // p at '[': appends the command substitution, its script translated; p past ']'.
  bool command_substitution(std::size_t& p, std::size_t end, int depth, std::string& out) {
    if (depth >= kMaxDepth) return false;
    std::string inner;
    std::size_t close = 0;
    if (!commands(p + 1, end, true, depth + 1, inner, &close)) return false;
    out += '[';
    out += inner;
    out += ']';
    p = close + 1;
    return true;
  }

  // p at '$': appends the variable reference ($name, ${name}, $name(index)); p past it.
  bool variable(std::size_t& p, std::size_t end, int depth, std::string& out) {
    if (depth >= kMaxDepth) return false;
    std::size_t q = p + 1;
    if (q < end && s_[q] == '{') {
      while (q < end && s_[q] != '}') ++q;
      if (q >= end) return false;   // missing close-brace for variable name
      out.append(s_, p, q + 1 - p);
      p = q + 1;
      return true;
    }
    while (q < end) {
      if (is_name_char(s_[q])) {
        ++q;
      } else if (s_[q] == ':' && q + 1 < end && s_[q + 1] == ':') {
        while (q < end && s_[q] == ':') ++q;
      } else {
        break;
      }
    }
    if (q == p + 1) {   // no name: a plain dollar sign
      out += '$';
      ++p;
      return true;
    }
    out.append(s_, p, q - p);
    p = q;
    if (p >= end || s_[p] != '(') return true;
    out += '(';
    ++p;
    while (p < end && s_[p] != ')') {
      if (!substitution(p, end, depth + 1, out)) return false;
    }
    if (p >= end) return false;   // missing )
    out += ')';
    ++p;
    return true;
  }

  // One character, backslash sequence, variable or command substitution at p, appended to out.
  bool substitution(std::size_t& p, std::size_t end, int depth, std::string& out) {
    switch (s_[p]) {
      case '\\':
        copy_escape(p, end, out);
        return true;
      case '[':
        return command_substitution(p, end, depth, out);
      case '$':
        return variable(p, end, depth, out);
      default:
        out += s_[p++];
        return true;
    }
  }

  // p at '"': appends the quoted text up to its closing quote; p past it.
  bool quoted_text(std::size_t& p, std::size_t end, int depth, std::string& out, bool* substituted) {
    out += '"';
    ++p;
    while (p < end && s_[p] != '"') {
      const char c = s_[p];
      if (c == '\\' || c == '[' || c == '$') *substituted = true;
      if (!substitution(p, end, depth, out)) return false;
    }
    if (p >= end) return false;   // missing "
    out += '"';
    ++p;
    return true;
  }

  // Parses the words of the command at p, up to its terminator (not consumed). trail: the
  // whitespace between the last word and the terminator.
  bool command(std::size_t& p, std::size_t end, bool nested, int depth, std::vector<Word>& words,
               std::string& trail) {
    std::string lead;
    while (true) {
      Word w;
      w.lead = std::move(lead);
      lead.clear();
      w.b = p;
      if (!word(p, end, nested, depth, words, w)) return false;
      w.e = p;
      if (w.space_after) lead = " ";
      words.push_back(std::move(w));
      std::size_t q = p;
      while (q < end && (is_space(s_[q]) || backslash_newline(q, end))) q += s_[q] == '\\' ? 2 : 1;
      lead.append(s_, p, q - p);
      p = q;
      if (p >= end) {
        if (nested) return false;   // missing close-bracket
        break;
      }
      const char c = s_[p];
      if (c == ';' || (nested && c == ']')) break;
      if (c == '\n' && !continuation(p, end, lead) && !else_line(p, end, words, lead)) break;
    }
    trail = std::move(lead);
    return true;
  }

  // p at the newline ending an `if` command whose last word is a braced body. BIG-IP's `if` looks
  // past one line break for `else` / `elseif` (not past a blank line: there `else` is a command of
  // its own, unknown). A backslash before the newline makes Tcl do the same, lines unmoved.
  bool else_line(std::size_t& p, std::size_t end, const std::vector<Word>& words, std::string& lead) const {
    if (words.empty() || words.back().kind != '{' || words.back().expand || !if_takes_else(words)) return false;
    std::size_t q = p + 1;
    while (q < end && is_space(s_[q])) ++q;
    std::size_t k = q;
    while (k < end && is_alpha(s_[k])) ++k;
    const std::string_view keyword = s_.substr(q, k - q);
    if (keyword != "else" && keyword != "elseif") return false;
    if (k < end && !is_space(s_[k]) && s_[k] != '\n' && s_[k] != '{' && !backslash_newline(k, end)) return false;
    lead += '\\';
    lead.append(s_, p, q - p);
    p = q;
    return true;
  }

  // The words of an `if` so far end with a body that an else/elseif clause may follow: `if C ?then?
  // B` and any number of `elseif C ?then? B`, but not after `else B`.
  bool if_takes_else(const std::vector<Word>& w) const {
    const std::size_t n = w.size();
    if (literal(w[0]) != "if") return false;
    std::size_t i = 1;
    while (true) {
      if (i >= n) return false;   // no condition
      ++i;
      if (is_literal(w, i, "then")) ++i;
      if (i >= n) return false;   // no body
      if (++i == n) return true;
      if (!is_literal(w, i, "elseif")) return false;   // `else B` is the last clause
      ++i;
    }
  }

  // p at the newline ending a command. BIG-IP takes a line starting with `{` (after blank lines at
  // most) as more words of this command: a backslash before each newline makes Tcl do the same,
  // the lines staying where they are. Appends the gap to lead and moves p to the '{'.
  bool continuation(std::size_t& p, std::size_t end, std::string& lead) const {
    std::size_t q = p;
    while (q < end && (is_space(s_[q]) || s_[q] == '\n')) ++q;
    if (q >= end || s_[q] != '{') return false;
    if (s_.substr(q, 3) == "{*}" && q + 3 < end && !is_space(s_[q + 3]) && s_[q + 3] != '\n') return false;
    for (std::size_t i = p; i < q; ++i) {
      if (s_[i] == '\n') lead += '\\';
      lead += s_[i];
    }
    p = q;
    return true;
  }

  bool word(std::size_t& p, std::size_t end, bool nested, int depth, const std::vector<Word>& before, Word& w) {
    if (s_.substr(p, 3) == "{*}" && !word_ends_at(p + 3, end, nested)) {
      w.expand = true;
      w.text = "{*}";
      p += 3;
    }
    if (s_[p] == '{') return braced_word(p, end, nested, w);
    if (s_[p] == '"') return quoted_word(p, end, nested, depth, w);
    return bare_word(p, end, nested, depth, before, w);
  }

  bool braced_word(std::size_t& p, std::size_t end, bool nested, Word& w) {
    std::optional<std::size_t> close = matching_brace(p, end);
    if (!close) return false;   // missing close-brace
    w.kind = '{';
    w.inner_b = p + 1;
    w.inner_e = *close;
    w.text.append(s_, p, *close + 1 - p);
    p = *close + 1;
    if (word_ends_at(p, end, nested)) return true;
    // BIG-IP reads `}{`, `}else{`, `}elseif {` as two words; Tcl wants the space.
    if (s_[p] == '{') {
      w.space_after = true;
      return true;
    }
    std::size_t q = p;
    while (q < end && is_alpha(s_[q])) ++q;
    const std::string_view next = s_.substr(p, q - p);
    if ((next == "else" || next == "elseif" || next == "then") && (q >= end || s_[q] == '{' || word_ends_at(q, end, nested))) {
      w.space_after = true;
      return true;
    }
    return false;   // extra characters after close-brace
  }

  bool quoted_word(std::size_t& p, std::size_t end, bool nested, int depth, Word& w) {
    w.kind = '"';
    w.inner_b = p + 1;
    if (!quoted_text(p, end, depth, w.text, &w.substituted)) return false;
    w.inner_e = p - 1;
    return word_ends_at(p, end, nested);   // else: extra characters after close-quote
  }

  bool bare_word(std::size_t& p, std::size_t end, bool nested, int depth, const std::vector<Word>& before, Word& w) {
    // BIG-IP reads `if{`, and `else{`/`elseif{`/`then{` in an if command, as two words.
    std::size_t q = p;
    while (q < end && is_alpha(s_[q])) ++q;
    if (q < end && s_[q] == '{' && !w.expand) {
      const std::string_view keyword = s_.substr(p, q - p);
      const bool in_if = !before.empty() && literal(before[0]) == "if";
      if ((before.empty() && keyword == "if") ||
          (in_if && (keyword == "else" || keyword == "elseif" || keyword == "then"))) {
        w.text.append(keyword);
        w.space_after = true;
        p = q;
        return true;
      }
    }
    while (!word_ends_at(p, end, nested)) {
      const char c = s_[p];
      if (c == '\\' || c == '[' || c == '$') w.substituted = true;
      if (!substitution(p, end, depth, w.text)) return false;
    }
    return true;
  }

  // The value of a word that has no substitutions, or nullopt.
  std::optional<std::string_view> literal(const Word& w) const {
    if (w.expand || w.substituted) return std::nullopt;
    if (w.kind == ' ') return std::string_view(w.text);
    return s_.substr(w.inner_b, w.inner_e - w.inner_b);
  }

  bool is_literal(const std::vector<Word>& w, std::size_t i, std::string_view value) const {
    return i < w.size() && literal(w[i]) == value;
  }

  // Which words of the command Tcl will run as scripts or evaluate as expressions.
  std::vector<Role> roles(const std::vector<Word>& w) const {
    const std::size_t n = w.size();
    std::vector<Role> role(n, Role::None);
    std::optional<std::string_view> name = literal(w[0]);
    if (!name) return role;
    if (name->substr(0, 2) == "::") name->remove_prefix(2);
    if (*name == "if") {
      std::size_t i = 1;
      while (i < n) {
        role[i++] = Role::Expression;
        if (is_literal(w, i, "then")) ++i;
        if (i >= n) break;
        role[i++] = Role::Script;
        if (is_literal(w, i, "elseif")) {
          ++i;
          continue;
        }
        if (is_literal(w, i, "else")) ++i;
        if (i < n) role[i] = Role::Script;
        break;
      }
    } else if (*name == "while" && n == 3) {
      role[1] = Role::Expression;
      role[2] = Role::Script;
    } else if (*name == "for" && n == 5) {
      role[1] = role[3] = role[4] = Role::Script;
      role[2] = Role::Expression;
    } else if ((*name == "foreach" || *name == "lmap") && n >= 4 && n % 2 == 0) {
      role[n - 1] = Role::Script;
    } else if ((*name == "catch" && n >= 2 && n <= 4) || (*name == "eval" && n == 2)) {
      role[1] = Role::Script;
    } else if (*name == "expr" && n == 2) {
      role[1] = Role::Expression;
    } else if (*name == "proc" && n == 4) {
      role[3] = Role::Script;
    } else if (*name == "when" && n >= 3) {
      role[n - 1] = Role::Script;
    } else if (*name == "after" && n >= 3 && !is_literal(w, 1, "cancel") && !is_literal(w, 1, "info")) {
      role[n - 1] = Role::Script;
    } else if (*name == "try" && n >= 2) {
      try_roles(w, role);
    } else if (*name == "switch") {
      switch_roles(w, role);
    }
    return role;
  }

  // try body ?on code vars body? ?trap pattern vars body? ?finally body?
  void try_roles(const std::vector<Word>& w, std::vector<Role>& role) const {
    role[1] = Role::Script;
    std::size_t i = 2;
    while (i < w.size()) {
      if ((is_literal(w, i, "on") || is_literal(w, i, "trap")) && i + 3 < w.size()) {
        role[i + 3] = Role::Script;
        i += 4;
      } else if (is_literal(w, i, "finally") && i + 1 < w.size()) {
        role[i + 1] = Role::Script;
        i += 2;
      } else {
        break;
      }
    }
  }

  // switch ?options? string {pattern body ...}   or   switch ?options? string pattern body ...
  // Bodies are scripts; patterns never are.
  void switch_roles(const std::vector<Word>& w, std::vector<Role>& role) const {
    const std::size_t n = w.size();
    std::size_t i = 1;
    while (i < n) {
      std::optional<std::string_view> option = literal(w[i]);
      if (!option || option->empty() || (*option)[0] != '-') break;
      ++i;
      if (*option == "--") break;
      if (*option == "-matchvar" || *option == "-indexvar") ++i;
    }
    const std::size_t first = i + 1;   // past the string
    if (first + 1 == n) {
      role[first] = Role::SwitchList;
      return;
    }
    if (first >= n || (n - first) % 2 != 0) return;
    for (std::size_t body = first + 1; body < n; body += 2) {
      if (!is_literal(w, body, "-")) role[body] = Role::Script;
    }
  }

  void emit_command(const std::vector<Word>& words, const std::string& trail, int depth, std::string& out) {
    const std::vector<Role> role = roles(words);
    for (std::size_t i = 0; i < words.size(); ++i) {
      const Word& w = words[i];
      out += w.lead;
      if (role[i] == Role::None || w.kind != '{' || w.expand || depth + 1 >= kMaxDepth) {
        out += w.text;
        continue;
      }
      out += '{';
      if (role[i] == Role::Script) {
        std::size_t stop = 0;
        commands(w.inner_b, w.inner_e, false, depth + 1, out, &stop);
      } else if (role[i] == Role::Expression) {
        expression(w.inner_b, w.inner_e, depth + 1, out);
      } else {
        switch_list(w.inner_b, w.inner_e, depth + 1, out);
      }
      out += '}';
    }
    out += trail;
  }

  // ---- switch pattern/body lists -----------------------------------------------------------------

  struct Element {
    std::size_t b, e;   // as written
    bool braced;
  };

  // The elements of the Tcl list s_[p, end), as Tcl's list parser splits them; false if it would
  // not parse.
  bool list_elements(std::size_t p, std::size_t end, std::vector<Element>& out) const {
    while (true) {
      while (p < end && (is_space(s_[p]) || s_[p] == '\n')) ++p;
      if (p >= end) return true;
      const std::size_t b = p;
      bool braced = false;
      if (s_[p] == '{') {
        std::optional<std::size_t> close = matching_brace(p, end);
        if (!close) return false;
        p = *close + 1;
        braced = true;
      } else if (s_[p] == '"') {
        ++p;
        while (p < end && s_[p] != '"') p += s_[p] == '\\' ? 2 : 1;
        if (p >= end) return false;
        ++p;
      } else {
        while (p < end && !is_space(s_[p]) && s_[p] != '\n') p += s_[p] == '\\' ? 2 : 1;
        p = p < end ? p : end;
      }
      if (p < end && !is_space(s_[p]) && s_[p] != '\n') return false;
      out.push_back(Element{b, p, braced});
    }
  }

  // Appends the list s_[b, end), its braced bodies translated as scripts; as written if it does not
  // hold pattern/body pairs.
  void switch_list(std::size_t b, std::size_t end, int depth, std::string& out) {
    std::vector<Element> elements;
    if (!list_elements(b, end, elements) || elements.empty() || elements.size() % 2 != 0) {
      out.append(s_, b, end - b);
      return;
    }
    std::size_t p = b;
    for (std::size_t i = 1; i < elements.size(); i += 2) {
      const Element& body = elements[i];
      if (!body.braced) continue;
      out.append(s_, p, body.b + 1 - p);
      std::size_t stop = 0;
      commands(body.b + 1, body.e - 1, false, depth, out, &stop);
      p = body.e - 1;
    }
    out.append(s_, p, end - p);
  }

  // ---- expressions -------------------------------------------------------------------------------

  // Appends the translation of the expression s_[b, end); as written if it does not parse.
  void expression(std::size_t b, std::size_t end, int depth, std::string& out) {
    ExpressionTranslator x(*this, b, end, depth);
    std::string translated;
    if (x.translate(translated)) {
      out += translated;
    } else {
      out.append(s_, b, end - b);
    }
  }

  class ExpressionTranslator {
   public:
    ExpressionTranslator(Translator& t, std::size_t b, std::size_t end, int depth)
        : t_(t), s_(t.s_), b_(b), end_(end), depth_(depth) {}

    bool translate(std::string& out) {
      if (!tokenize()) return false;
      const int root = parse(0, 0);
      if (root < 0 || pos_ != tokens_.size()) return false;
      out.append(s_, b_, nodes_[root].b - b_);
      emit(root, out);
      out.append(s_, nodes_[root].e, end_ - nodes_[root].e);
      return true;
    }

   private:
    bool tokenize() {
      std::size_t p = b_;
      while (true) {
        while (p < end_ && (is_space(s_[p]) || s_[p] == '\n' || t_.backslash_newline(p, end_))) {
          p += s_[p] == '\\' ? 2 : 1;
        }
        if (p >= end_) return true;
        Token t{Tok::Operand, p, p, nullptr, {}};
        const char c = s_[p];
        bool substituted = false;
        if (c == '$') {
          if (!t_.variable(p, end_, depth_, t.text)) return false;
        } else if (c == '[') {
          if (!t_.command_substitution(p, end_, depth_, t.text)) return false;
        } else if (c == '"') {
          if (!t_.quoted_text(p, end_, depth_, t.text, &substituted)) return false;
        } else if (c == '{') {
          std::optional<std::size_t> close = t_.matching_brace(p, end_);
          if (!close) return false;
          p = *close + 1;
          t.text.assign(s_, t.b, p - t.b);
        } else if (is_digit(c) || (c == '.' && p + 1 < end_ && is_digit(s_[p + 1]))) {
          p = number_end(p);
          t.text.assign(s_, t.b, p - t.b);
        } else if (is_alpha(c) || c == '_' || (c == ':' && p + 1 < end_ && s_[p + 1] == ':')) {
          p = bareword_end(p);
          const std::string_view word = s_.substr(t.b, p - t.b);
          if ((t.op = word_operator(word))) {
            t.kind = Tok::Op;
          } else {
            t.kind = next_is_paren(p) ? Tok::Function : Tok::Operand;
            t.text.assign(word);
          }
        } else if (c == '(' || c == ')' || c == ',' || c == '?' || c == ':') {
          t.kind = c == '(' ? Tok::LParen : c == ')' ? Tok::RParen : c == ',' ? Tok::Comma
                   : c == '?' ? Tok::Question : Tok::Colon;
          ++p;
        } else if ((t.op = symbol_operator(s_.substr(p, std::min<std::size_t>(2, end_ - p))))) {
          t.kind = Tok::Op;
          p += t.op->text.size();
        } else {
          return false;   // not an expression Tcl would take: left for Tcl to report
        }
        t.e = p;
        tokens_.push_back(std::move(t));
      }
    }

    std::size_t number_end(std::size_t p) const {
      const bool hex = s_.substr(p, 2) == "0x" || s_.substr(p, 2) == "0X";
      const std::size_t b = p;
      while (p < end_) {
        const char c = s_[p];
        if (is_name_char(c) || c == '.') {
          ++p;
        } else if ((c == '+' || c == '-') && !hex && p > b && (s_[p - 1] == 'e' || s_[p - 1] == 'E')) {
          ++p;
        } else {
          break;
        }
      }
      return p;
    }

    std::size_t bareword_end(std::size_t p) const {
      while (p < end_) {
        if (is_name_char(s_[p])) {
          ++p;
        } else if (s_[p] == ':' && p + 1 < end_ && s_[p + 1] == ':') {
          p += 2;
        } else {
          break;
        }
      }
      return p;
    }

    bool next_is_paren(std::size_t p) const {
      while (p < end_ && (is_space(s_[p]) || s_[p] == '\n')) ++p;
      return p < end_ && s_[p] == '(';
    }

    bool at(Tok kind) const { return pos_ < tokens_.size() && tokens_[pos_].kind == kind; }

    // A new node, or -1 past kMaxDepth: a long chain like `a + b + c …` is parsed by a loop,
    // yet its tree is as deep as it is long.
    int add(NodeKind kind, std::size_t b, std::size_t e, int token, std::vector<int> children) {
      int height = 0;
      for (int child : children) height = std::max(height, nodes_[child].height);
      if (height >= kMaxDepth) return -1;
      nodes_.push_back(Node{kind, b, e, token, std::move(children), height + 1});
      return static_cast<int>(nodes_.size()) - 1;
    }

    // Precedence climbing: operators binding at least as tightly as min_level.
    int parse(int min_level, int depth) {
      if (depth > kMaxDepth) return -1;
      int lhs = unary(depth + 1);
      while (lhs >= 0 && pos_ < tokens_.size()) {
        const Token& t = tokens_[pos_];
        if (t.kind == Tok::Question) {
          if (min_level > kTernary) break;
          ++pos_;
          const int yes = parse(kTernary, depth + 1);
          if (yes < 0 || !at(Tok::Colon)) return -1;
          ++pos_;
          const int no = parse(kTernary, depth + 1);
          if (no < 0) return -1;
          lhs = add(NodeKind::Ternary, nodes_[lhs].b, nodes_[no].e, -1, {lhs, yes, no});
          continue;
        }
        if (t.kind != Tok::Op || !t.op->binary || t.op->level < min_level) break;
        const int op = static_cast<int>(pos_++);
        const int level = t.op->level;
        const int rhs = parse(level == kPower ? level : level + 1, depth + 1);
        if (rhs < 0) return -1;
        lhs = add(NodeKind::Binary, nodes_[lhs].b, nodes_[rhs].e, op, {lhs, rhs});
      }
      return lhs;
    }

    int unary(int depth) {
      if (depth > kMaxDepth || pos_ >= tokens_.size()) return -1;
      const int index = static_cast<int>(pos_);
      const Token& t = tokens_[pos_];
      switch (t.kind) {
        case Tok::Op: {
          if (!t.op->unary) return -1;
          ++pos_;
          const int operand = unary(depth + 1);
          if (operand < 0) return -1;
          return add(NodeKind::Unary, t.b, nodes_[operand].e, index, {operand});
        }
        case Tok::LParen: {
          ++pos_;
          const int inner = parse(kTernary, depth + 1);
          if (inner < 0 || !at(Tok::RParen)) return -1;
          return add(NodeKind::Paren, t.b, tokens_[pos_++].e, -1, {inner});
        }
        case Tok::Function: {
          ++pos_;
          if (!at(Tok::LParen)) return -1;
          ++pos_;
          std::vector<int> args;
          while (!at(Tok::RParen)) {
            const int arg = parse(kTernary, depth + 1);
            if (arg < 0) return -1;
            args.push_back(arg);
            if (at(Tok::Comma)) {
              ++pos_;
            } else if (!at(Tok::RParen)) {
              return -1;
            }
          }
          return add(NodeKind::Call, t.b, tokens_[pos_++].e, index, std::move(args));
        }
        case Tok::Operand:
          ++pos_;
          return add(NodeKind::Leaf, t.b, t.e, index, {});
        default:
          return -1;
      }
    }

    // Writes node n: what lies between its parts is copied as written.
    void emit(int n, std::string& out) const {
      const Node& node = nodes_[n];
      if (node.kind == NodeKind::Leaf) {
        out += tokens_[node.token].text;
        return;
      }
      if (node.kind == NodeKind::Unary) {
        const Token& op = tokens_[node.token];
        const Node& operand = nodes_[node.children[0]];
        if (op.op->replacement) {
          out += op.op->replacement;
        } else {
          out.append(s_, op.b, op.e - op.b);
        }
        out.append(s_, op.e, operand.b - op.e);
        emit(node.children[0], out);
        return;
      }
      if (node.kind == NodeKind::Binary) {
        const Token& op = tokens_[node.token];
        const Node& l = nodes_[node.children[0]];
        const Node& r = nodes_[node.children[1]];
        if (op.op->function) {
          out += op.op->function;
          out += '(';
          emit(node.children[0], out);
          const std::string_view gap = s_.substr(l.e, op.b - l.e);
          if (gap.find('\n') != std::string_view::npos) out += gap;   // lines stay where they are
          out += ',';
          out.append(s_, op.e, r.b - op.e);
          emit(node.children[1], out);
          out += ')';
          return;
        }
        emit(node.children[0], out);
        out.append(s_, l.e, op.b - l.e);
        if (op.op->replacement) {
          out += op.op->replacement;
        } else {
          out.append(s_, op.b, op.e - op.b);
        }
        out.append(s_, op.e, r.b - op.e);
        emit(node.children[1], out);
        return;
      }
      // Paren, Call, Ternary: the parts in order, the text between them as written.
      std::size_t p = node.b;
      for (int child : node.children) {
        out.append(s_, p, nodes_[child].b - p);
        emit(child, out);
        p = nodes_[child].e;
      }
      out.append(s_, p, node.e - p);
    }

    Translator& t_;
    std::string_view s_;
    std::size_t b_, end_;
    int depth_;
    std::vector<Token> tokens_;
    std::vector<Node> nodes_;
    std::size_t pos_ = 0;
  };

  std::string_view s_;
};

}  // namespace

std::string translate_f5_dialect(std::string_view rule_text) {
  std::string out;
  out.reserve(rule_text.size() + rule_text.size() / 8);
  std::size_t stop = 0;
  Translator(rule_text).commands(0, rule_text.size(), false, 0, out, &stop);
  return out;
}

}  // namespace irulesd::tclext
