// Fuzz target: F5's expression operators end to end: an expression in BIG-IP's dialect, translated
// by tclext/f5_dialect and evaluated by Tcl with the math functions of tclext/f5_operators.
//
// Input: [op selector] [flags] subject '\xff' operand (no '\xff': the operand is empty).
// The two strings become the Tcl variables a and b, either as Tcl text made from Latin-1 bytes
// (well-formed) or as the wire bytes verbatim, the way the HTTP commands hand headers to a rule
// (tclext/value_bytes: may be invalid UTF-8). Then, for `expr {$a OP $b}` and `expr {$a OP1 $b and
// $a OP2 $b}` translated from the dialect:
//  - contains / starts_with / ends_with answer what a byte comparison answers ("" is in everything);
//  - equals answers what `eq` does, matches_glob what `string match` does, matches_regex what
//    `regexp` does (or the same error for a bad pattern);
//  - `and` / `or` combine them as && / ||.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

#include <tcl.h>

#include "tclext/f5_dialect.h"
#include "tclext/f5_operators.h"
#include "test/fuzz/fuzz_check.h"

namespace {

Tcl_Interp* interp() {
  static Tcl_Interp* in = [] {
    Tcl_FindExecutable(nullptr);
    Tcl_Interp* i = Tcl_CreateInterp();
    irulesd::tclext::register_f5_operators(i);
    return i;
  }();
  return in;
}

// The Tcl text for these bytes: as the wire gives them (NUL as Tcl's 0xC0 0x80, like
// tclext/value_bytes' new_text_obj), or read as Latin-1 into proper UTF-8.
std::string tcl_text(std::string_view bytes, bool verbatim) {
  std::string text;
  if (verbatim) {
    for (char c : bytes) {
      if (c == '\0') {
        text += "\xC0\x80";
      } else {
        text.push_back(c);
      }
    }
  } else {
    for (unsigned char c : bytes) {
      if (c == 0 || c >= 0x80) {
        text.push_back(static_cast<char>(0xC0 | (c >> 6)));
        text.push_back(static_cast<char>(0x80 | (c & 0x3F)));
      } else {
        text.push_back(static_cast<char>(c));
      }
    }
  }
  return text;
}

const char* const kOperators[] = {"contains", "starts_with", "ends_with", "equals", "matches_glob", "matches_regex"};
constexpr int kOperatorCount = 6;

// 1/0, or -1 for a Tcl error (its message in the interpreter's result).
int eval_expr(const std::string& dialect) {
  std::string script = irulesd::tclext::translate_f5_dialect(dialect);
  int code = Tcl_EvalEx(interp(), script.c_str(), static_cast<int>(script.size()), TCL_EVAL_GLOBAL);
  if (code != TCL_OK) return -1;
  int value = 0;
  FUZZ_CHECK(Tcl_GetBooleanFromObj(nullptr, Tcl_GetObjResult(interp()), &value) == TCL_OK, "%s gave \"%s\"",
             script.c_str(), Tcl_GetStringResult(interp()));
  return value;
}

// The answer each operator must give, from Tcl's own commands or from the bytes.
int reference(int op, std::string_view a, std::string_view b, Tcl_Obj* va, Tcl_Obj* vb, bool verbatim) {
  Tcl_Interp* in = interp();
  switch (op) {
    case 0: return a.find(b) != std::string_view::npos;
    case 1: return a.starts_with(b);
    case 2: return a.ends_with(b);
    case 3: {
      if (verbatim) return -2;   // `eq` on invalid UTF-8 is Tcl's business: not checked
      return a == b;
    }
    case 4: return Tcl_StringCaseMatch(Tcl_GetString(va), Tcl_GetString(vb), 0);
    default: {
      // `--`: a pattern such as "-nocase" is a pattern here, not a switch.
      Tcl_Obj* objv[] = {Tcl_NewStringObj("regexp", -1), Tcl_NewStringObj("--", -1), vb, va};
      Tcl_IncrRefCount(objv[0]);
      Tcl_IncrRefCount(objv[1]);
      int code = Tcl_EvalObjv(in, 4, objv, TCL_EVAL_GLOBAL);
      Tcl_DecrRefCount(objv[0]);
      Tcl_DecrRefCount(objv[1]);
      if (code != TCL_OK) return -1;
      int value = 0;
      Tcl_GetBooleanFromObj(nullptr, Tcl_GetObjResult(in), &value);
      return value;
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 2 || size > 4096) return -1;
  const int op1 = data[0] % kOperatorCount;
  const int op2 = (data[0] / kOperatorCount) % kOperatorCount;
  const bool verbatim = data[1] & 1;
  std::string_view rest(reinterpret_cast<const char*>(data + 2), size - 2);
  std::size_t split = rest.find('\xff');
  std::string_view a = rest.substr(0, split);
  std::string_view b = split == std::string_view::npos ? std::string_view() : rest.substr(split + 1);

  Tcl_Interp* in = interp();
  // The operators compare Tcl's text (the wire's NUL and a verbatim 0xC0 0x80 are one character).
  const std::string ta = tcl_text(a, verbatim);
  const std::string tb = tcl_text(b, verbatim);
  Tcl_Obj* va = Tcl_NewStringObj(ta.data(), static_cast<int>(ta.size()));
  Tcl_Obj* vb = Tcl_NewStringObj(tb.data(), static_cast<int>(tb.size()));
  Tcl_IncrRefCount(va);
  Tcl_IncrRefCount(vb);
  Tcl_SetVar2Ex(in, "a", nullptr, va, TCL_GLOBAL_ONLY);
  Tcl_SetVar2Ex(in, "b", nullptr, vb, TCL_GLOBAL_ONLY);

  const int want1 = reference(op1, ta, tb, va, vb, verbatim);
  const int want2 = reference(op2, ta, tb, va, vb, verbatim);
  const std::string one = std::string("expr {$a ") + kOperators[op1] + " $b}";
  const int got1 = eval_expr(one);
  if (want1 != -2) {
    FUZZ_CHECK(got1 == want1, "%s: %d, expected %d (%s)", one.c_str(), got1, want1, Tcl_GetStringResult(in));
  }
  if (want1 >= 0 && want2 >= 0) {
    const std::string both = one.substr(0, one.size() - 1) + " and $a " + kOperators[op2] + " $b}";
    FUZZ_CHECK(eval_expr(both) == (want1 && want2), "%s", both.c_str());
    const std::string either = one.substr(0, one.size() - 1) + " or $a " + kOperators[op2] + " $b}";
    FUZZ_CHECK(eval_expr(either) == (want1 || want2), "%s", either.c_str());
  }
  Tcl_UnsetVar(in, "a", TCL_GLOBAL_ONLY);
  Tcl_UnsetVar(in, "b", TCL_GLOBAL_ONLY);
  Tcl_DecrRefCount(va);
  Tcl_DecrRefCount(vb);
  return 0;
}
