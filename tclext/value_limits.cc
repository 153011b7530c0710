#include "tclext/value_limits.h"

#include <string>

namespace irulesd::tclext {
namespace {

// The original command and the limit; owned by the wrapper, freed with it.
struct Wrapped {
  Tcl_CmdInfo original;
  std::size_t max_bytes;
};

int too_large(Tcl_Interp* interp, const char* command, double bytes, std::size_t max_bytes) {
  const std::string message = std::string(command) + ": result too large (" + std::to_string(static_cast<long long>(bytes)) +
                              " bytes; a rule's values are limited to " + std::to_string(max_bytes) +
                              " bytes, --rule-max-value-bytes)";
  Tcl_SetObjResult(interp, Tcl_NewStringObj(message.c_str(), -1));
  return TCL_ERROR;
}

int call_original(const Wrapped& w, Tcl_Interp* interp, int objc, Tcl_Obj* const objv[]) {
  return w.original.objProc(w.original.objClientData, interp, objc, objv);
}

// string repeat STRING COUNT
int StringRepeatCmd(ClientData data, Tcl_Interp* interp, int objc, Tcl_Obj* const objv[]) {
  const auto& w = *static_cast<Wrapped*>(data);
  Tcl_WideInt count = 0;
  if (objc == 3 && Tcl_GetWideIntFromObj(nullptr, objv[2], &count) == TCL_OK && count > 0) {
    int length = 0;
    Tcl_GetStringFromObj(objv[1], &length);
    const double bytes = static_cast<double>(length) * static_cast<double>(count);
    if (bytes > static_cast<double>(w.max_bytes)) return too_large(interp, "string repeat", bytes, w.max_bytes);
  }
  return call_original(w, interp, objc, objv);
}

// lrepeat COUNT ?ELEMENT ...?
int LrepeatCmd(ClientData data, Tcl_Interp* interp, int objc, Tcl_Obj* const objv[]) {
  const auto& w = *static_cast<Wrapped*>(data);
  Tcl_WideInt count = 0;
  if (objc >= 2 && Tcl_GetWideIntFromObj(nullptr, objv[1], &count) == TCL_OK && count > 0) {
    const double bytes = static_cast<double>(count) * static_cast<double>(objc - 2) * sizeof(Tcl_Obj*);
    if (bytes > static_cast<double>(w.max_bytes)) return too_large(interp, "lrepeat", bytes, w.max_bytes);
  }
  return call_original(w, interp, objc, objv);
}

void wrap(Tcl_Interp* interp, const char* name, Tcl_ObjCmdProc* proc, std::size_t max_bytes) {
  auto* w = new Wrapped{};
  w->max_bytes = max_bytes;
  if (Tcl_GetCommandInfo(interp, name, &w->original) == 0 || w->original.objProc == nullptr) {
    delete w;
    return;
  }
  Tcl_CreateObjCommand(interp, name, proc, w, [](ClientData d) { delete static_cast<Wrapped*>(d); });
}

}  // namespace

void install_value_limits(Tcl_Interp* interp, std::size_t max_bytes) {
  wrap(interp, "::tcl::string::repeat", &StringRepeatCmd, max_bytes);
  wrap(interp, "::lrepeat", &LrepeatCmd, max_bytes);
}

}  // namespace irulesd::tclext
