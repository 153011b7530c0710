#include "tclext/sandbox.h"

namespace irulesd::tclext {
namespace {

// BIG-IP's list of disabled Tcl commands, plus what Tcl 8.6 added since that reaches outside the
// interpreter (chan, zlib streams on channels, unload). proc/namespace/uplevel/upvar stay: the
// Tcl library procedures (clock) use them and they reach nothing outside the interpreter.
constexpr const char* kForbiddenCommands[] = {
    "after",     "auto_execok", "auto_import", "auto_load", "auto_load_index", "auto_mkindex",
    "auto_qualify", "auto_reset", "bgerror", "cd",       "chan",            "close",
    "encoding",  "eof",         "exec",        "exit",      "fblocked",        "fconfigure",
    "fcopy",     "file",        "fileevent",   "flush",     "gets",            "glob",
    "interp",    "load",        "open",        "package",   "pid",             "pkg_mkIndex",
    "puts",      "pwd",         "read",        "rename",    "seek",            "socket",
    "source",    "tclLog",      "tcl_findLibrary", "tell",  "time",            "unknown",
    "unload",    "update",      "vwait",       "zlib",      "::tcl::CopyDirectory",
    "::tcl::Bgerror", "::tcl::pkgconfig",
};

// Implementation namespaces of the ensembles above.
constexpr const char* kForbiddenNamespaces[] = {"::tcl::file", "::tcl::chan", "::tcl::encoding", "::tcl::zlib"};

}  // namespace

void apply_sandbox(Tcl_Interp* interp) {
  // Best effort: without Tcl's library (Tcl_Init failed) clock format is simply unavailable.
  if (Tcl_Eval(interp, "clock format 0 -gmt 1") != TCL_OK) Tcl_ResetResult(interp);
  for (const char* name : kForbiddenCommands) Tcl_DeleteCommand(interp, name);
  for (const char* name : kForbiddenNamespaces) {
    if (Tcl_Namespace* ns = Tcl_FindNamespace(interp, name, nullptr, 0)) Tcl_DeleteNamespace(ns);
  }
  Tcl_ResetResult(interp);
}

}  // namespace irulesd::tclext
