#include "core/config_tokenizer.h"

#include "core/config_values.h"

namespace irulesd {

int ConfigStatement::line() const { return words.empty() ? 0 : words.front().line; }

std::string ConfigWord::value() const {
  if (kind == Kind::Quoted && text.size() >= 2) return text.substr(1, text.size() - 2);
  return text;
}

namespace {

// Deeper than any real config nests; the limit only keeps a hostile file from exhausting the stack.
constexpr int kMaxDepth = 64;

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v'; }

class Tokenizer {
 public:
  Tokenizer(std::string_view text, const std::string& file) : text_(text), file_(file) {}

  ConfigTokens run() {
    ConfigTokens out;
    if (!parse_statements(out.statements, 0, 0)) {
      out.statements.clear();
      out.error = error_;
    }
    return out;
  }

 private:
  bool at_end() const { return pos_ >= text_.size(); }

  bool fail(int line, std::string message) {
    error_ = ConfigError{file_, line, one_line(std::move(message))};
    return false;
  }

  // Reads statements until the `}` that closes this block (depth > 0) or the end of text (depth 0).
  bool parse_statements(std::vector<ConfigStatement>& out, int depth, int open_line) {
    if (depth > kMaxDepth) return fail(open_line, "blocks nested too deeply");
    ConfigStatement current;
    auto flush = [&] {
      if (!current.words.empty()) out.push_back(std::move(current));
      current = ConfigStatement{};
    };
    while (!at_end()) {
      char c = text_[pos_];
      if (c == '\n') {
        ++line_;
        ++pos_;
        flush();
      } else if (is_space(c)) {
        ++pos_;
      } else if (c == '#' && current.words.empty()) {
        while (!at_end() && text_[pos_] != '\n') ++pos_;  // the newline itself ends the (empty) statement
      } else if (c == '}') {
        if (depth == 0) return fail(line_, "unexpected } without a matching {");
        ++pos_;
        flush();
        return true;
      } else if (c == '{') {
        ConfigWord word;
        word.line = line_;
        ++pos_;
        if (depth == 0 && is_rule_header(current)) {
          word.kind = ConfigWord::Kind::RawBlock;
          if (!read_raw_block(word)) return false;
        } else {
          word.kind = ConfigWord::Kind::Block;
          if (!parse_statements(word.statements, depth + 1, word.line)) return false;
        }
        current.words.push_back(std::move(word));
      } else if (c == '"') {
        ConfigWord word;
        if (!read_quoted(word)) return false;
        current.words.push_back(std::move(word));
      } else {
        current.words.push_back(read_bare());
      }
    }
    if (depth > 0) return fail(open_line, "unclosed { (no matching } before the end of the file)");
    flush();
    return true;
  }

  // `ltm rule NAME {`: the block that follows is Tcl, not tmsh.
  static bool is_rule_header(const ConfigStatement& s) {
    return s.words.size() == 3 && s.words[0].kind == ConfigWord::Kind::Bare && s.words[0].text == "ltm" &&
           s.words[1].kind == ConfigWord::Kind::Bare && s.words[1].text == "rule";
  }

  // A quoted word, quotes and backslashes kept. A backslash hides the next byte so `\"` does not close
  // the word; braces inside quotes are plain bytes.
  bool read_quoted(ConfigWord& word) {
    word.kind = ConfigWord::Kind::Quoted;
    word.line = line_;
    std::size_t start = pos_++;
    while (!at_end()) {
      char c = text_[pos_];
      if (c == '\\' && pos_ + 1 < text_.size()) {
        if (text_[pos_ + 1] == '\n') ++line_;
        pos_ += 2;
        continue;
      }
      if (c == '\n') ++line_;
      ++pos_;
      if (c == '"') {
        word.text.assign(text_.substr(start, pos_ - start));
        if (!at_end() && !is_space(text_[pos_]) && text_[pos_] != '\n' && text_[pos_] != '}') {
          return fail(line_, "extra characters after the closing quote of " + word.text);
        }
        return true;
      }
    }
    return fail(word.line, "unclosed \" (no closing quote before the end of the file)");
  }

  // A bare word ends at whitespace or a brace. A backslash keeps the next byte in the word.
  ConfigWord read_bare() {
    ConfigWord word;
    word.line = line_;
    std::size_t start = pos_;
    while (!at_end()) {
      char c = text_[pos_];
      if (c == '\\' && pos_ + 1 < text_.size() && text_[pos_ + 1] != '\n') {
        pos_ += 2;
        continue;
      }
      if (is_space(c) || c == '\n' || c == '{' || c == '}') break;
      ++pos_;
    }
    word.text.assign(text_.substr(start, pos_ - start));
    return word;
  }

  // An iRule body. It is handed to Tcl as one braced word, so it is matched with Tcl's own rule for
  // braced words: braces nest, a backslash hides the next byte, quotes do not count (a `"` in a Tcl
  // comment must not swallow the rest of the file).
  bool read_raw_block(ConfigWord& word) {
    word.text_line = line_;
    std::size_t start = pos_;
    int depth = 1;
    while (!at_end()) {
      char c = text_[pos_];
      if (c == '\\' && pos_ + 1 < text_.size()) {
        if (text_[pos_ + 1] == '\n') ++line_;
        pos_ += 2;
        continue;
      }
      if (c == '\n') {
        ++line_;
      } else if (c == '{') {
        ++depth;
      } else if (c == '}' && --depth == 0) {
        word.text.assign(text_.substr(start, pos_ - start));
        ++pos_;
        return true;
      }
      ++pos_;
    }
    return fail(word.line, "unclosed { of the ltm rule body (no matching } before the end of the file)");
  }

  std::string_view text_;
  const std::string& file_;
  std::size_t pos_ = 0;
  int line_ = 1;
  ConfigError error_;
};

}  // namespace

ConfigTokens tokenize_config(std::string_view text, const std::string& file_name) {
  return Tokenizer(text, file_name).run();
}

}  // namespace irulesd
