// The commands iRules forbid (file system, processes, sockets and channels, the event loop, other
// interpreters, package loading), removed from an initialized interpreter.
#pragma once

#include <tcl.h>

namespace irulesd::tclext {

// Deletes the forbidden commands and the namespaces holding their implementations (so that
// e.g. ::tcl::file::delete is gone with `file`). Loads clock.tcl first: `clock format/scan/add`
// would otherwise need `source` the first time they run.
void apply_sandbox(Tcl_Interp* interp);

}  // namespace irulesd::tclext
