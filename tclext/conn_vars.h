// Per-connection Tcl variables without a namespace per connection.
//
// Every handler body runs at namespace level in one fixed namespace (::irulesd::conn), so its
// bytecode, compiled there once, stays valid for every connection. A variable resolver on that
// namespace maps each simple variable name (`set x`, `$x`, `x(k)`) onto the table of the connection
// being fired (ConnVars); qualified names (`::x`, `static::x`) resolve normally and are shared, as
// on BIG-IP. Resolution costs one hash lookup per access; nothing is copied between events.
#pragma once

#include <tcl.h>

#include "tclext/tcl_internals.h"

namespace irulesd::tclext {

// One connection's variables: a Tcl variable table of its own. Its variables count as variables of
// ns (the namespace the handlers run in), as Tcl's upvar and full-name rules expect.
class ConnVars {
 public:
  ConnVars(Tcl_Interp* interp, Tcl_Namespace* ns);
  ~ConnVars();   // unsets every variable; the interpreter must still exist
  ConnVars(const ConnVars&) = delete;
  ConnVars& operator=(const ConnVars&) = delete;

  // The variable named name, created (undefined) when absent.
  Tcl_Var lookup(const char* name);
  // Unsets every variable.
  void clear();
  bool empty() const { return table_.table.numEntries == 0; }

 private:
  Tcl_Interp* interp_;
  Tcl_Namespace* ns_;
  IrulesdVarHashTable table_;
};

// Supplies the variables of the connection being fired; nullptr outside a fire.
class ConnVarsSource {
 public:
  virtual ConnVars* current_conn_vars() = 0;

 protected:
  ~ConnVarsSource() = default;
};

// Creates namespace name whose simple variable names resolve through source.
Tcl_Namespace* create_conn_namespace(Tcl_Interp* interp, const char* name, ConnVarsSource* source);

}  // namespace irulesd::tclext
