#include <exception>

#include "tclext/command_table.h"

namespace irulesd::tclext {
namespace {

// Every iRule command enters here: the event check lives in one place, and no C++ exception
// crosses into libtcl.
int CommandTrampoline(ClientData client_data, Tcl_Interp* interp, int objc, Tcl_Obj* const objv[]) {
  auto* binding = static_cast<const CommandRegistry::Binding*>(client_data);
  FireContext& ctx = *binding->ctx;
  const CommandSpec& spec = *binding->spec;
  if (ctx.tx == nullptr) {
    return command_error(interp, std::string(spec.name) + ": command is only valid inside an event");
  }
  if ((spec.events & event_bit(ctx.event)) == 0) {
    return command_error(interp,
                         std::string(spec.name) + ": command is not valid in event " + event_name(ctx.event));
  }
  try {
    return spec.proc(ctx, interp, objc, objv);
  } catch (const std::exception& e) {
    return command_error(interp, std::string(spec.name) + ": internal error: " + e.what());
  } catch (...) {
    return command_error(interp, std::string(spec.name) + ": internal error");
  }
}

}  // namespace

std::vector<std::span<const CommandSpec>> all_command_tables() {
  return {http_commands(),        ip_tcp_commands(),      lb_commands(),           log_commands(),
          string_commands(),      codec_commands(),       uri_commands(),          ip_addr_commands(),
          class_commands(),       table_commands(),       http_respond_commands(), connection_commands(),
          http_cookie_commands(), http_info_commands(),   http_collect_commands(), hsl_commands(),
          persist_commands(),     compat_commands(),      ifile_commands(),        oneconnect_commands()};
}

void CommandRegistry::register_all(Tcl_Interp* interp, FireContext* ctx) {
  const std::vector<std::span<const CommandSpec>> tables = all_command_tables();
  std::size_t total = 0;
  for (auto table : tables) total += table.size();
  // Reserve first: the interpreter keeps pointers into this vector.
  bindings_.clear();
  bindings_.reserve(total);
  for (auto table : tables) {
    for (const CommandSpec& spec : table) {
      bindings_.push_back(Binding{&spec, ctx});
      Tcl_CreateObjCommand(interp, spec.name, CommandTrampoline, &bindings_.back(), nullptr);
    }
  }
}

std::string_view arg_view(Tcl_Obj* obj) {
  int length = 0;
  const char* bytes = Tcl_GetStringFromObj(obj, &length);
  return std::string_view(bytes, static_cast<std::size_t>(length));
}

void set_result(Tcl_Interp* interp, std::string_view value) {
  Tcl_SetObjResult(interp, Tcl_NewStringObj(value.data(), static_cast<int>(value.size())));
}

int command_error(Tcl_Interp* interp, const std::string& message) {
  set_result(interp, message);
  return TCL_ERROR;
}

}  // namespace irulesd::tclext
