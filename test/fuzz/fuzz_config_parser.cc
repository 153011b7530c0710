// Fuzz target: the bigip.conf tokenizer and parser (core/config_tokenizer, core/config_parser*.cc).
//
// Input: config text. Invariants:
//  - tokenize_config() either gives a statement tree or one error at a line of the text;
//  - parse_config() gives either a config and no error, or errors and no config, and every error
//    prints as `FILE:LINE: message` with LINE within the text (0 only for a file that could not be
//    read) and a one-line, non-empty message.
// A config may name files (`sys file ifile … source-path file:PATH`, rules from the rules folder):
// inputs naming a device or a kernel file are skipped, since reading /dev/zero never ends.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/config.h"
#include "core/config_tokenizer.h"
#include "test/fuzz/fuzz_check.h"

using namespace irulesd;

namespace {

const std::string kFile = "/nonexistent/fuzz/bigip.conf";
const std::string kRulesDir = "/nonexistent/fuzz/irules";

int count_lines(std::string_view text) {
  int lines = 1;
  for (char c : text) lines += c == '\n';
  return lines;
}

void check_error(const ConfigError& e, int lines, bool may_be_file_error) {
  FUZZ_CHECK(!e.message.empty(), "empty error message");
  FUZZ_CHECK(e.message.find('\n') == std::string::npos, "multi-line message: %s", e.message.c_str());
  FUZZ_CHECK(e.line >= 1 || may_be_file_error, "error at line %d: %s", e.line, e.message.c_str());
  FUZZ_CHECK(e.line <= lines, "error at line %d of %d: %s", e.line, lines, e.message.c_str());
  std::string printed = e.str();
  std::string prefix = e.file + ":" + std::to_string(e.line) + ": ";
  FUZZ_CHECK(printed.rfind(prefix, 0) == 0 && printed.size() > prefix.size(), "not FILE:LINE: message: %s",
             printed.c_str());
}

void check_tokens(const std::vector<ConfigStatement>& statements, int lines) {
  for (const ConfigStatement& s : statements) {
    FUZZ_CHECK(!s.words.empty(), "empty statement");
    for (const ConfigWord& w : s.words) {
      FUZZ_CHECK(w.line >= 1 && w.line <= lines, "word at line %d of %d", w.line, lines);
      if (w.kind == ConfigWord::Kind::Quoted) {
        FUZZ_CHECK(w.text.size() >= 2 && w.text.front() == '"' && w.text.back() == '"', "quoted word %s",
                   w.text.c_str());
        FUZZ_CHECK(w.value().size() == w.text.size() - 2, "value() of a quoted word");
      }
      if (w.kind == ConfigWord::Kind::Block) check_tokens(w.statements, lines);
      if (w.kind == ConfigWord::Kind::RawBlock) {
        FUZZ_CHECK(w.text_line >= w.line && w.text_line <= lines, "raw block text line");
      }
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string text(reinterpret_cast<const char*>(data), size);
  if (text.find("dev/") != std::string::npos || text.find("proc/") != std::string::npos ||
      text.find("sys/") != std::string::npos) {
    return -1;   // not added to the corpus
  }
  const int lines = count_lines(text);

  ConfigTokens tokens = tokenize_config(text, kFile);
  if (tokens.error) {
    check_error(*tokens.error, lines, false);
  } else {
    check_tokens(tokens.statements, lines);
  }

  ConfigLoadResult result = parse_config(text, kFile, kRulesDir);
  FUZZ_CHECK((result.config != nullptr) == result.errors.empty(), "config %s with %zu errors",
             result.config ? "set" : "unset", result.errors.size());
  for (const ConfigError& e : result.errors) {
    // Rules and iFiles live in other files: their errors name those files, not the config.
    bool other_file = e.file != kFile;
    check_error(e, other_file ? 1 << 30 : lines, other_file);
  }
  if (tokens.error) FUZZ_CHECK(!result.config, "the parser accepted text the tokenizer rejected");
  return 0;
}
