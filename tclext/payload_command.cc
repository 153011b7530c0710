#include "tclext/payload_command.h"

#include <algorithm>
#include <string_view>

#include "tclext/command_table.h"
#include "tclext/value_bytes.h"

namespace irulesd::tclext {

int parse_size(Tcl_Interp* interp, Tcl_Obj* obj, const char* what, std::size_t* out) {
  Tcl_WideInt value = 0;
  if (Tcl_GetWideIntFromObj(nullptr, obj, &value) != TCL_OK || value < 0) {
    return command_error(interp, std::string("bad ") + what + " \"" + Tcl_GetString(obj) +
                                     "\": must be a non-negative integer");
  }
  *out = static_cast<std::size_t>(value);
  return TCL_OK;
}

// Payloads are the wire bytes; they reach the rule as text the way header values do (value_bytes.h).
int payload_command(Tcl_Interp* interp, std::string& payload, int objc, Tcl_Obj* const objv[]) {
  if (objc == 1) {
    Tcl_SetObjResult(interp, new_text_obj(payload));
    return TCL_OK;
  }
  const std::string_view first = arg_view(objv[1]);
  if (objc == 2 && first == "length") {
    Tcl_SetObjResult(interp, Tcl_NewWideIntObj(static_cast<Tcl_WideInt>(payload.size())));
    return TCL_OK;
  }
  if (objc == 5 && first == "replace") {
    std::size_t offset = 0;
    std::size_t length = 0;
    if (parse_size(interp, objv[2], "offset", &offset) != TCL_OK ||
        parse_size(interp, objv[3], "length", &length) != TCL_OK) {
      return TCL_ERROR;
    }
    if (offset > payload.size()) {
      return command_error(interp, std::string(Tcl_GetString(objv[0])) + ": offset beyond the collected data");
    }
    std::string scratch;
    const std::string_view data = value_bytes(objv[4], scratch);
    payload.replace(offset, std::min(length, payload.size() - offset), data.data(), data.size());
    Tcl_ResetResult(interp);
    return TCL_OK;
  }
  if (objc == 2 || objc == 3) {
    std::size_t offset = 0;
    std::size_t length = 0;
    if (objc == 3 && parse_size(interp, objv[1], "offset", &offset) != TCL_OK) return TCL_ERROR;
    if (parse_size(interp, objv[objc - 1], "length", &length) != TCL_OK) return TCL_ERROR;
    const std::string_view view(payload);
    Tcl_SetObjResult(interp, new_text_obj(offset < view.size() ? view.substr(offset, length) : std::string_view()));
    return TCL_OK;
  }
  Tcl_WrongNumArgs(interp, 1, objv, "?offset? ?length? | length | replace offset length data");
  return TCL_ERROR;
}

}  // namespace irulesd::tclext
