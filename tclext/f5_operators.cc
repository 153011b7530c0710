// The math functions behind the translated F5 operators. They run per request, so each is a C
// command that allocates nothing: the two results are objects made once per interpreter, the
// strings are compared in place (Tcl's UTF-8 compares bytewise the way it compares characters), and
// a regular expression stays compiled on its pattern object (Tcl_RegExpMatchObj caches it there).
#include "tclext/f5_operators.h"

#include <cstddef>
#include <iterator>
#include <string_view>
#include <utility>

namespace irulesd::tclext {
namespace {

constexpr const char* kAssocKey = "irulesd::f5_operators";

// The interpreter's two results, shared by every call.
struct Results {
  Tcl_Obj* no;
  Tcl_Obj* yes;
};

void delete_results(ClientData data, Tcl_Interp*) {
  auto* results = static_cast<Results*>(data);
  Tcl_DecrRefCount(results->no);
  Tcl_DecrRefCount(results->yes);
  delete results;
}

std::string_view view(Tcl_Obj* obj) {
  int length = 0;
  const char* bytes = Tcl_GetStringFromObj(obj, &length);
  return std::string_view(bytes, static_cast<std::size_t>(length));
}

// Each test answers 1 or 0, or -1 with an error message in interp.
// "abc" contains "" is true: the empty string is part of every string.
int contains(Tcl_Interp*, Tcl_Obj* subject, Tcl_Obj* operand) {
  return view(subject).find(view(operand)) != std::string_view::npos;
}
int starts_with(Tcl_Interp*, Tcl_Obj* subject, Tcl_Obj* operand) {
  return view(subject).starts_with(view(operand));
}
int ends_with(Tcl_Interp*, Tcl_Obj* subject, Tcl_Obj* operand) { return view(subject).ends_with(view(operand)); }
int matches_glob(Tcl_Interp*, Tcl_Obj* subject, Tcl_Obj* pattern) {
  return Tcl_StringCaseMatch(Tcl_GetString(subject), Tcl_GetString(pattern), 0);
}
int matches_regex(Tcl_Interp* interp, Tcl_Obj* subject, Tcl_Obj* pattern) {
  return Tcl_RegExpMatchObj(interp, subject, pattern);
}

struct Function {
  const char* name;
  const char* command;
  int (*test)(Tcl_Interp*, Tcl_Obj*, Tcl_Obj*);
};

constexpr Function kFunctions[] = {
    {"f5_contains", "::tcl::mathfunc::f5_contains", contains},
    {"f5_starts_with", "::tcl::mathfunc::f5_starts_with", starts_with},
    {"f5_ends_with", "::tcl::mathfunc::f5_ends_with", ends_with},
    {"f5_matches_glob", "::tcl::mathfunc::f5_matches_glob", matches_glob},
    {"f5_matches_regex", "::tcl::mathfunc::f5_matches_regex", matches_regex},
};

template <std::size_t I>
int call(ClientData data, Tcl_Interp* interp, int objc, Tcl_Obj* const objv[]) {
  const Function& function = kFunctions[I];
  if (objc != 3) {
    // Tcl's own message for a math function given the wrong number of arguments.
    Tcl_SetObjResult(interp, Tcl_ObjPrintf("%s arguments for math function \"%s\"",
                                           objc < 3 ? "not enough" : "too many", function.name));
    Tcl_SetErrorCode(interp, "TCL", "WRONGARGS", nullptr);
    return TCL_ERROR;
  }
  const int result = function.test(interp, objv[1], objv[2]);
  if (result < 0) return TCL_ERROR;
  const Results* results = static_cast<const Results*>(data);
  Tcl_SetObjResult(interp, result ? results->yes : results->no);
  return TCL_OK;
}

template <std::size_t... I>
void create_commands(Tcl_Interp* interp, Results* results, std::index_sequence<I...>) {
  (Tcl_CreateObjCommand(interp, kFunctions[I].command, call<I>, results, nullptr), ...);
}

}  // namespace

void register_f5_operators(Tcl_Interp* interp) {
  auto* results = static_cast<Results*>(Tcl_GetAssocData(interp, kAssocKey, nullptr));
  if (results == nullptr) {
    results = new Results{Tcl_NewIntObj(0), Tcl_NewIntObj(1)};
    Tcl_IncrRefCount(results->no);
    Tcl_IncrRefCount(results->yes);
    // Deleted with the interpreter, after its commands.
    Tcl_SetAssocData(interp, kAssocKey, delete_results, results);
  }
  create_commands(interp, results, std::make_index_sequence<std::size(kFunctions)>());
}

}  // namespace irulesd::tclext
