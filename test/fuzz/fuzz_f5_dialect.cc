// Fuzz target: BIG-IP's iRule dialect translator (tclext/f5_dialect), which rewrites every rule once
// when it loads. It is pure, so no interpreter is needed.
//
// Input: rule text. Invariants:
//  - translate_f5_dialect() returns, and the translation has exactly the lines of the input (a Tcl
//    error's line number must point at the line the administrator wrote);
//  - text without braces and without any of F5's operator words comes back byte for byte (the
//    translator only ever touches those);
//  - translating the translation keeps its lines too.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "tclext/f5_dialect.h"
#include "test/fuzz/fuzz_check.h"

namespace {

std::size_t count_newlines(std::string_view s) {
  std::size_t n = 0;
  for (char c : s) n += c == '\n';
  return n;
}

bool may_be_rewritten(std::string_view s) {
  if (s.find_first_of("{}") != std::string_view::npos) return true;
  for (std::string_view word : {"contains", "starts_with", "ends_with", "equals", "matches", "and", "or", "not",
                                "else"}) {
    if (s.find(word) != std::string_view::npos) return true;
  }
  return false;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  std::string out = irulesd::tclext::translate_f5_dialect(text);
  FUZZ_CHECK(count_newlines(out) == count_newlines(text), "%zu lines became %zu", count_newlines(text),
             count_newlines(out));
  if (!may_be_rewritten(text)) FUZZ_CHECK(out == text, "text without dialect was rewritten");
  std::string again = irulesd::tclext::translate_f5_dialect(out);
  FUZZ_CHECK(count_newlines(again) == count_newlines(out), "second translation changed the lines");
  return 0;
}
