// The payload subcommands TCP::payload and HTTP::payload share: read all or part of the collected
// bytes, their length, or replace a range.
#pragma once

#include <string>

#include <tcl.h>

namespace irulesd::tclext {

// NAME ?length? | ?offset length? | length | replace offset length data, on `payload`.
int payload_command(Tcl_Interp* interp, std::string& payload, int objc, Tcl_Obj* const objv[]);
// A non-negative integer argument; `what` names it in the error.
int parse_size(Tcl_Interp* interp, Tcl_Obj* obj, const char* what, std::size_t* out);

}  // namespace irulesd::tclext
