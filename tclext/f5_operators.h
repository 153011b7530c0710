// F5's string operators as Tcl math functions: the translated expressions (see f5_dialect.h) call
// f5_contains(A, B) and its siblings, each a C command in ::tcl::mathfunc.
#pragma once

#include <tcl.h>

namespace irulesd::tclext {

// Creates ::tcl::mathfunc::f5_contains, f5_starts_with, f5_ends_with, f5_matches_glob and
// f5_matches_regex in interp. Each takes two strings and returns 1 or 0; comparisons are
// case-sensitive, as on BIG-IP.
void register_f5_operators(Tcl_Interp* interp);

}  // namespace irulesd::tclext
