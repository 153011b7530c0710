// The few functions of Tcl 8.6's internal stubs table that irulesd uses, declared here because the
// build only has Tcl's public include directory (tclInt.h needs the private unix/ headers too).
// They are exported by libtcl8.6 and used by extensions the same way (Itcl's object variables).
// Declarations and the one struct layout follow tclIntDecls.h / tclInt.h of Tcl 8.6 (the build
// links libtcl8.6, whose internal stubs table keeps them stable across 8.6.x).
#pragma once

#include <tcl.h>

extern "C" {

// Resolver procedures installed on a namespace (tclInt.h).
typedef int(IrulesdResolveVarProc)(Tcl_Interp* interp, const char* name, Tcl_Namespace* context, int flags,
                                   Tcl_Var* rPtr);

// Layout of TclVarHashTable (tclInt.h): a Tcl_HashTable of variables plus the owning namespace.
struct IrulesdVarHashTable {
  Tcl_HashTable table;
  void* nsPtr;
};

void Tcl_SetNamespaceResolvers(Tcl_Namespace* namespacePtr, void* cmdProc, IrulesdResolveVarProc* varProc,
                               void* compiledVarProc);
int Tcl_PushCallFrame(Tcl_Interp* interp, Tcl_CallFrame* framePtr, Tcl_Namespace* nsPtr, int isProcCallFrame);
void Tcl_PopCallFrame(Tcl_Interp* interp);

// Variable tables: init, find (newPtr == NULL) or create, and delete every variable of a table.
void TclInitVarHashTable(IrulesdVarHashTable* tablePtr, void* nsPtr);
Tcl_Var TclVarHashCreateVar(IrulesdVarHashTable* tablePtr, const char* key, int* newPtr);
void TclDeleteVars(Tcl_Interp* iPtr, IrulesdVarHashTable* tablePtr);

}  // extern "C"
