// Tcl builtins that BIG-IP leaves enabled in iRules and that the sandbox (tclext/sandbox.cc) removes
// from irulesd's interpreter because Tcl's own reach outside it. These are C commands with only what
// stays inside the interpreter; compat_commands() installs them.
//  - puts ?-nonewline? ?stdout|stderr? STRING: a log line at info, in `log`'s form
//    ("Rule NAME <EVENT>: STRING"); there is no console to write to.
//  - encoding convertto|convertfrom ?ENCODING? DATA, encoding names: conversions only; without an
//    encoding, utf-8 (not the daemon's locale). `encoding system` and `encoding dirs` would change
//    the whole process: refused.
//  - history: an empty history that records nothing (iRules are not typed at a prompt, and one list
//    per interpreter would be shared by every connection of a worker); `history add CMD exec` runs
//    CMD where it is called.
// Left out, as channel commands: close, read, fileevent (BIG-IP enables them, but an iRule has no
// channel to use them on).
#pragma once

#include <tcl.h>

#include "tclext/command_table.h"

namespace irulesd::tclext {

int PutsCmd(FireContext& ctx, Tcl_Interp* interp, int objc, Tcl_Obj* const objv[]);
int EncodingCmd(FireContext& ctx, Tcl_Interp* interp, int objc, Tcl_Obj* const objv[]);
int HistoryCmd(FireContext& ctx, Tcl_Interp* interp, int objc, Tcl_Obj* const objv[]);

}  // namespace irulesd::tclext
