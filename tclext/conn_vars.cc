#include "tclext/conn_vars.h"

#include <cstring>
#include <string>

namespace irulesd::tclext {
namespace {

int ResolveConnVar(Tcl_Interp*, const char* name, Tcl_Namespace* context, int flags, Tcl_Var* out) {
  // Qualified and global names keep Tcl's own resolution: they are shared by every connection.
  if ((flags & TCL_GLOBAL_ONLY) != 0 || std::strstr(name, "::") != nullptr) return TCL_CONTINUE;
  ConnVars* vars = static_cast<ConnVarsSource*>(context->clientData)->current_conn_vars();
  if (vars == nullptr) return TCL_CONTINUE;
  *out = vars->lookup(name);
  return TCL_OK;
}

// upvar/global/variable link a name while bypassing namespace resolvers, and uplevel from a proc
// runs in the handler's frame with the proc's view of names, so in the handlers' namespace (where
// procs live too) they would create a variable shared by every connection. They are replaced there.
int VariableLinkCmd(ClientData, Tcl_Interp* interp, int, Tcl_Obj* const objv[]) {
  Tcl_SetObjResult(interp, Tcl_ObjPrintf("%s: not available in iRule events (variables belong to the connection; "
                                         "use ::NAME for a variable shared by every connection)",
                                         Tcl_GetString(objv[0])));
  return TCL_ERROR;
}

}  // namespace

ConnVars::ConnVars(Tcl_Interp* interp, Tcl_Namespace* ns) : interp_(interp), ns_(ns) {
  TclInitVarHashTable(&table_, ns_);
}

ConnVars::~ConnVars() { TclDeleteVars(interp_, &table_); }

Tcl_Var ConnVars::lookup(const char* name) {
  int created = 0;
  return TclVarHashCreateVar(&table_, name, &created);
}

void ConnVars::clear() {
  if (empty()) return;
  TclDeleteVars(interp_, &table_);
  TclInitVarHashTable(&table_, ns_);
}

Tcl_Namespace* create_conn_namespace(Tcl_Interp* interp, const char* name, ConnVarsSource* source) {
  Tcl_Namespace* ns = Tcl_CreateNamespace(interp, name, source, nullptr);
  if (ns == nullptr) return nullptr;
  Tcl_SetNamespaceResolvers(ns, nullptr, ResolveConnVar, nullptr);
  for (const char* command : {"upvar", "global", "variable", "uplevel"}) {
    const std::string qualified = std::string(ns->fullName) + "::" + command;
    Tcl_CreateObjCommand(interp, qualified.c_str(), VariableLinkCmd, nullptr, nullptr);
  }
  return ns;
}

}  // namespace irulesd::tclext
