// findstr, getfield, substr, domain: F5's string helpers (clouddocs.f5.com/api/irules/findstr.html
// and friends). Skip counts and lengths count characters, as Tcl's `string range` does; the searches
// compare the UTF-8 bytes of the string representation, which finds the same matches.
#include <charconv>
#include <limits>
#include <string_view>

#include "tclext/command_table.h"

namespace irulesd::tclext {
namespace {

// Byte position `count` characters after `pos` (before it when count < 0), within [0, s.size()].
// The string representation is NUL-terminated, so Tcl's UTF-8 stepping cannot run off the end.
std::size_t move_chars(std::string_view s, std::size_t pos, Tcl_WideInt count) {
  const char* p = s.data() + pos;
  const char* const end = s.data() + s.size();
  for (; count > 0 && p < end; --count) p = Tcl_UtfNext(p);
  for (; count < 0 && p > s.data(); ++count) p = Tcl_UtfPrev(p, s.data());
  return static_cast<std::size_t>((p < end ? p : end) - s.data());
}

// F5's <terminator> "may be either a character or a length": a word of digits is a length in
// characters, anything else a string that ends the result before its first occurrence at or after
// `start` (the rest of the string when it does not occur, or when it is empty).
std::string_view until_terminator(std::string_view s, std::size_t start, std::string_view terminator) {
  const std::string_view rest = s.substr(start);
  if (terminator.empty()) return rest;
  const bool digits = terminator.find_first_not_of("0123456789") == std::string_view::npos;
  if (digits) {
    Tcl_WideInt length = std::numeric_limits<Tcl_WideInt>::max();   // overflow: "all of it"
    std::from_chars(terminator.data(), terminator.data() + terminator.size(), length);
    return rest.substr(0, move_chars(rest, 0, length));
  }
  return rest.substr(0, rest.find(terminator));
}

int get_wide(Tcl_Interp* interp, Tcl_Obj* obj, Tcl_WideInt& out) { return Tcl_GetWideIntFromObj(interp, obj, &out); }

// findstr string search ?skip? ?terminator?: the part of string from the first match of search,
// moved by skip characters, up to the terminator; "" when search does not occur.
int FindstrCmd(FireContext&, Tcl_Interp* interp, int objc, Tcl_Obj* const objv[]) {
  if (objc < 3 || objc > 5) {
    Tcl_WrongNumArgs(interp, 1, objv, "string search ?skip? ?terminator?");
    return TCL_ERROR;
  }
  Tcl_WideInt skip = 0;
  if (objc >= 4 && get_wide(interp, objv[3], skip) != TCL_OK) return TCL_ERROR;
  const std::string_view s = arg_view(objv[1]);
  const std::size_t match = s.find(arg_view(objv[2]));
  if (match == std::string_view::npos) {
    Tcl_ResetResult(interp);
    return TCL_OK;
  }
  const std::size_t start = move_chars(s, match, skip);
  set_result(interp, until_terminator(s, start, objc == 5 ? arg_view(objv[4]) : std::string_view()));
  return TCL_OK;
}

// substr string skip ?terminator?: like findstr from the start of the string.
int SubstrCmd(FireContext&, Tcl_Interp* interp, int objc, Tcl_Obj* const objv[]) {
  if (objc < 3 || objc > 4) {
    Tcl_WrongNumArgs(interp, 1, objv, "string skip ?terminator?");
    return TCL_ERROR;
  }
  Tcl_WideInt skip = 0;
  if (get_wide(interp, objv[2], skip) != TCL_OK) return TCL_ERROR;
  const std::string_view s = arg_view(objv[1]);
  const std::size_t start = move_chars(s, 0, skip < 0 ? 0 : skip);
  set_result(interp, until_terminator(s, start, objc == 4 ? arg_view(objv[3]) : std::string_view()));
  return TCL_OK;
}

// getfield string split field: field number `field` (from 1) of string split at every occurrence
// of the split string; "" past the last field or for a field below 1.
int GetfieldCmd(FireContext&, Tcl_Interp* interp, int objc, Tcl_Obj* const objv[]) {
  if (objc != 4) {
    Tcl_WrongNumArgs(interp, 1, objv, "string split field");
    return TCL_ERROR;
  }
  Tcl_WideInt field = 0;
  if (get_wide(interp, objv[3], field) != TCL_OK) return TCL_ERROR;
  std::string_view s = arg_view(objv[1]);
  const std::string_view split = arg_view(objv[2]);
  Tcl_ResetResult(interp);
  if (field < 1) return TCL_OK;
  // An empty split string never matches: the whole string is field 1.
  for (; field > 1; --field) {
    const std::size_t at = split.empty() ? std::string_view::npos : s.find(split);
    if (at == std::string_view::npos) return TCL_OK;
    s.remove_prefix(at + split.size());
  }
  set_result(interp, s.substr(0, split.empty() ? s.npos : s.find(split)));
  return TCL_OK;
}

// domain name count: the last `count` dot-separated labels of name (all of it when it has fewer).
int DomainCmd(FireContext&, Tcl_Interp* interp, int objc, Tcl_Obj* const objv[]) {
  if (objc != 3) {
    Tcl_WrongNumArgs(interp, 1, objv, "name count");
    return TCL_ERROR;
  }
  Tcl_WideInt count = 0;
  if (get_wide(interp, objv[2], count) != TCL_OK) return TCL_ERROR;
  const std::string_view name = arg_view(objv[1]);
  if (count < 1) {
    Tcl_ResetResult(interp);
    return TCL_OK;
  }
  std::size_t from = 0;          // start of the result
  std::size_t end = name.size();  // the next dot is searched before this
  for (; count > 0; --count) {
    const std::size_t dot = end == 0 ? std::string_view::npos : name.rfind('.', end - 1);
    if (dot == std::string_view::npos) {
      from = 0;
      break;
    }
    from = dot + 1;
    end = dot;
  }
  set_result(interp, name.substr(from));
  return TCL_OK;
}

constexpr CommandSpec kStringCommands[] = {
    {"findstr", kAnyEvent, FindstrCmd},
    {"substr", kAnyEvent, SubstrCmd},
    {"getfield", kAnyEvent, GetfieldCmd},
    {"domain", kAnyEvent, DomainCmd},
};

}  // namespace

std::span<const CommandSpec> string_commands() { return kStringCommands; }

}  // namespace irulesd::tclext
