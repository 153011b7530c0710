// ifile get|listall|size|attributes: the iFiles of the config (ltm ifile, backed by sys file ifile),
// as F5 documents the command (clouddocs.f5.com/api/irules/ifile.html).
#include "tclext/command_table.h"
#include "tclext/value_bytes.h"

namespace irulesd::tclext {
namespace {

int IfileCmd(FireContext& ctx, Tcl_Interp* interp, int objc, Tcl_Obj* const objv[]) {
  if (objc < 2) {
    Tcl_WrongNumArgs(interp, 1, objv, "get|size|attributes name | listall");
    return TCL_ERROR;
  }
  const std::string_view sub = arg_view(objv[1]);
  if (sub == "listall") {
    if (objc != 2) {
      Tcl_WrongNumArgs(interp, 2, objv, nullptr);
      return TCL_ERROR;
    }
    Tcl_Obj* list = Tcl_NewListObj(0, nullptr);
    if (ctx.config != nullptr) {
      for (const IFile& ifile : ctx.config->ifiles) {
        Tcl_ListObjAppendElement(nullptr, list, Tcl_NewStringObj(ifile.name.data(), static_cast<int>(ifile.name.size())));
      }
    }
    Tcl_SetObjResult(interp, list);
    return TCL_OK;
  }
  if (sub != "get" && sub != "size" && sub != "attributes") {
    return command_error(interp, "ifile: bad option \"" + std::string(sub) + "\": must be get, size, attributes or listall");
  }
  if (objc != 3) {
    Tcl_WrongNumArgs(interp, 2, objv, "name");
    return TCL_ERROR;
  }
  const std::string name(arg_view(objv[2]));
  const IFile* ifile = ctx.config != nullptr ? ctx.config->find_ifile(canonical_name(name)) : nullptr;
  if (ifile == nullptr) return command_error(interp, "ifile: no iFile named \"" + name + "\"");
  if (sub == "get") {
    Tcl_SetObjResult(interp, new_text_obj(ifile->content));
  } else if (sub == "size") {
    Tcl_SetObjResult(interp, Tcl_NewWideIntObj(static_cast<Tcl_WideInt>(ifile->content.size())));
  } else {
    // attributes: name and size, as a dictionary-style list.
    Tcl_Obj* items[4] = {Tcl_NewStringObj("name", -1), Tcl_NewStringObj(ifile->name.data(), static_cast<int>(ifile->name.size())),
                         Tcl_NewStringObj("size", -1), Tcl_NewWideIntObj(static_cast<Tcl_WideInt>(ifile->content.size()))};
    Tcl_SetObjResult(interp, Tcl_NewListObj(4, items));
  }
  return TCL_OK;
}

constexpr CommandSpec kIfileCommands[] = {
    {"ifile", kAnyEvent, IfileCmd},
};

}  // namespace

std::span<const CommandSpec> ifile_commands() { return kIfileCommands; }

}  // namespace irulesd::tclext
