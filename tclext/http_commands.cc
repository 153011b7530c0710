// HTTP::* — read and edit the request (HTTP_REQUEST) or response (HTTP_RESPONSE) head through the
// Transaction, with BIG-IP's semantics (clouddocs.f5.com/api/irules/HTTP__header.html and friends).
#include <string>
#include <string_view>

#include "tclext/command_table.h"

namespace irulesd::tclext {
namespace {

constexpr unsigned kRequestOnly = kRequestEvents;
constexpr unsigned kResponseOnly = kResponseEvents;

// The head the HTTP commands of this event act on; null (with an error set) when there is none.
HeaderList* current_headers(FireContext& ctx, Tcl_Interp* interp) {
  const unsigned bit = event_bit(ctx.event);
  if (ctx.tx->has_responded) {
    // As on BIG-IP: once a rule has answered, the message it answered is gone.
    command_error(interp, "HTTP::header: illegal after HTTP::respond or HTTP::redirect in this request");
    return nullptr;
  }
  if ((bit & kResponseEvents) != 0 && ctx.tx->response != nullptr) return &ctx.tx->response->headers;
  if ((bit & kRequestEvents) != 0 && ctx.tx->request != nullptr) return &ctx.tx->request->headers;
  command_error(interp, std::string("no HTTP message in event ") + event_name(ctx.event));
  return nullptr;
}

RequestHead* current_request(FireContext& ctx, Tcl_Interp* interp) {
  if (ctx.tx->request == nullptr) command_error(interp, "no HTTP request in this event");
  return ctx.tx->request;
}

int check_header(Tcl_Interp* interp, std::string_view name, std::string_view value) {
  if (!is_header_token(name)) return command_error(interp, "HTTP::header: invalid header name \"" + std::string(name) + "\"");
  if (has_line_break(value)) {
    return command_error(interp, "HTTP::header: header value of \"" + std::string(name) + "\" contains CR, LF or NUL");
  }
  return TCL_OK;
}

Tcl_Obj* string_list(const std::vector<std::string>& items) {
  Tcl_Obj* list = Tcl_NewListObj(0, nullptr);
  for (const std::string& item : items) {
    Tcl_ListObjAppendElement(nullptr, list, Tcl_NewStringObj(item.data(), static_cast<int>(item.size())));
  }
  return list;
}

int header_value(Tcl_Interp* interp, const HeaderList& headers, std::string_view name) {
  const std::string* value = headers.last_value(name);
  set_result(interp, value ? std::string_view(*value) : std::string_view());
  return TCL_OK;
}

constexpr const char* kHeaderUsage =
    "?value? name | values name | names | count ?name? | exists name | "
    "insert ?lws? name value ?name value ...? | remove name | replace name ?value?";

int HttpHeaderCmd(FireContext& ctx, Tcl_Interp* interp, int objc, Tcl_Obj* const objv[]) {
  if (objc < 2) {
    Tcl_WrongNumArgs(interp, 1, objv, kHeaderUsage);
    return TCL_ERROR;
  }
  HeaderList* headers = current_headers(ctx, interp);
  if (headers == nullptr) return TCL_ERROR;
  const std::string_view sub = arg_view(objv[1]);

  if (sub == "value" || sub == "values" || sub == "exists" || sub == "remove") {
    if (objc != 3) {
      Tcl_WrongNumArgs(interp, 2, objv, "name");
      return TCL_ERROR;
    }
    const std::string_view name = arg_view(objv[2]);
    if (sub == "value") return header_value(interp, *headers, name);
    if (sub == "exists") {
      Tcl_SetObjResult(interp, Tcl_NewBooleanObj(headers->exists(name)));
    } else if (sub == "remove") {
      headers->remove(name);
      Tcl_ResetResult(interp);
    } else {
      // BIG-IP: a single value comes back as itself, several as a Tcl list.
      std::vector<std::string> values = headers->values(name);
      if (values.size() == 1) {
        set_result(interp, values.front());
      } else {
        Tcl_SetObjResult(interp, string_list(values));
      }
    }
    return TCL_OK;
  }
  if (sub == "names") {
    if (objc != 2) {
      Tcl_WrongNumArgs(interp, 2, objv, nullptr);
      return TCL_ERROR;
    }
    Tcl_SetObjResult(interp, string_list(headers->names()));
    return TCL_OK;
  }
  if (sub == "count") {
    if (objc > 3) {
      Tcl_WrongNumArgs(interp, 2, objv, "?name?");
      return TCL_ERROR;
    }
    std::size_t n = objc == 3 ? headers->count(arg_view(objv[2])) : headers->size();
    Tcl_SetObjResult(interp, Tcl_NewWideIntObj(static_cast<Tcl_WideInt>(n)));
    return TCL_OK;
  }
  if (sub == "insert") {
    int first = (objc > 2 && arg_view(objv[2]) == "lws") ? 3 : 2;   // lws only folds long lines
    if (objc - first < 2 || (objc - first) % 2 != 0) {
      Tcl_WrongNumArgs(interp, 2, objv, "?lws? name value ?name value ...?");
      return TCL_ERROR;
    }
    for (int i = first; i < objc; i += 2) {
      if (check_header(interp, arg_view(objv[i]), arg_view(objv[i + 1])) != TCL_OK) return TCL_ERROR;
    }
    for (int i = first; i < objc; i += 2) headers->add(arg_view(objv[i]), arg_view(objv[i + 1]));
    Tcl_ResetResult(interp);
    return TCL_OK;
  }
  if (sub == "replace") {
    if (objc != 3 && objc != 4) {
      Tcl_WrongNumArgs(interp, 2, objv, "name ?value?");
      return TCL_ERROR;
    }
    const std::string_view name = arg_view(objv[2]);
    const std::string_view value = objc == 4 ? arg_view(objv[3]) : std::string_view();
    if (check_header(interp, name, value) != TCL_OK) return TCL_ERROR;
    headers->replace(name, value);
    Tcl_ResetResult(interp);
    return TCL_OK;
  }
  // "HTTP::header NAME": the value, when NAME is not a subcommand.
  if (objc != 2) {
    Tcl_WrongNumArgs(interp, 1, objv, kHeaderUsage);
    return TCL_ERROR;
  }
  return header_value(interp, *headers, sub);
}

int HttpDisableCmd(FireContext& ctx, Tcl_Interp* interp, int objc, Tcl_Obj* const objv[]) {
  if (objc != 1) {
    Tcl_WrongNumArgs(interp, 1, objv, nullptr);
    return TCL_ERROR;
  }
  ctx.tx->http_disabled = true;
  Tcl_ResetResult(interp);
  return TCL_OK;
}

int HttpUriCmd(FireContext& ctx, Tcl_Interp* interp, int objc, Tcl_Obj* const objv[]) {
  if (objc > 2) {
    Tcl_WrongNumArgs(interp, 1, objv, "?uri?");
    return TCL_ERROR;
  }
  RequestHead* request = current_request(ctx, interp);
  if (request == nullptr) return TCL_ERROR;
  if (objc == 2) {
    std::string_view uri = arg_view(objv[1]);
    if (uri.empty() || uri.find_first_of(std::string_view(" \r\n\0", 4)) != uri.npos) {
      return command_error(interp, "HTTP::uri: invalid URI \"" + std::string(uri) + "\"");
    }
    request->uri.assign(uri);
    Tcl_ResetResult(interp);
    return TCL_OK;
  }
  set_result(interp, request->uri);
  return TCL_OK;
}

int HttpPathCmd(FireContext& ctx, Tcl_Interp* interp, int objc, Tcl_Obj* const objv[]) {
  if (objc > 2) {
    Tcl_WrongNumArgs(interp, 1, objv, "?path?");
    return TCL_ERROR;
  }
  RequestHead* request = current_request(ctx, interp);
  if (request == nullptr) return TCL_ERROR;
  const std::size_t query = request->uri.find('?');
  if (objc == 2) {
    std::string_view path = arg_view(objv[1]);
    if (path.empty() || path.find_first_of(std::string_view(" ?\r\n\0", 5)) != path.npos) {
      return command_error(interp, "HTTP::path: invalid path \"" + std::string(path) + "\"");
    }
    // The query string stays as it was.
    std::string uri(path);
    if (query != std::string::npos) uri.append(request->uri, query);
    request->uri = std::move(uri);
    Tcl_ResetResult(interp);
    return TCL_OK;
  }
  set_result(interp, std::string_view(request->uri).substr(0, query));
  return TCL_OK;
}

int HttpMethodCmd(FireContext& ctx, Tcl_Interp* interp, int objc, Tcl_Obj* const objv[]) {
  if (objc != 1) {
    Tcl_WrongNumArgs(interp, 1, objv, nullptr);
    return TCL_ERROR;
  }
  RequestHead* request = current_request(ctx, interp);
  if (request == nullptr) return TCL_ERROR;
  set_result(interp, request->method);
  return TCL_OK;
}

int HttpHostCmd(FireContext& ctx, Tcl_Interp* interp, int objc, Tcl_Obj* const objv[]) {
  if (objc != 1) {
    Tcl_WrongNumArgs(interp, 1, objv, nullptr);
    return TCL_ERROR;
  }
  RequestHead* request = current_request(ctx, interp);
  if (request == nullptr) return TCL_ERROR;
  return header_value(interp, request->headers, "Host");
}

int HttpVersionCmd(FireContext& ctx, Tcl_Interp* interp, int objc, Tcl_Obj* const objv[]) {
  if (objc != 1) {
    Tcl_WrongNumArgs(interp, 1, objv, nullptr);
    return TCL_ERROR;
  }
  int major = 0;
  int minor = 0;
  if ((event_bit(ctx.event) & kResponseEvents) != 0 && ctx.tx->response != nullptr) {
    major = ctx.tx->response->version_major;
    minor = ctx.tx->response->version_minor;
  } else {
    RequestHead* request = current_request(ctx, interp);
    if (request == nullptr) return TCL_ERROR;
    major = request->version_major;
    minor = request->version_minor;
  }
  Tcl_SetObjResult(interp, Tcl_ObjPrintf("%d.%d", major, minor));
  return TCL_OK;
}

int HttpStatusCmd(FireContext& ctx, Tcl_Interp* interp, int objc, Tcl_Obj* const objv[]) {
  if (objc != 1) {
    Tcl_WrongNumArgs(interp, 1, objv, nullptr);
    return TCL_ERROR;
  }
  if (ctx.tx->response == nullptr) return command_error(interp, "HTTP::status: no HTTP response in this event");
  Tcl_SetObjResult(interp, Tcl_NewIntObj(ctx.tx->response->status));
  return TCL_OK;
}

// BIG-IP validates these per event when the rule loads; irulesd checks at run time (a runtime error).
constexpr CommandSpec kHttpCommands[] = {
    {"HTTP::header", kHttpEvents, HttpHeaderCmd},
    {"HTTP::disable", kHttpEvents, HttpDisableCmd},
    {"HTTP::uri", kRequestOnly, HttpUriCmd},
    {"HTTP::path", kRequestOnly, HttpPathCmd},
    {"HTTP::method", kRequestOnly, HttpMethodCmd},
    {"HTTP::host", kRequestOnly, HttpHostCmd},
    {"HTTP::version", kHttpEvents, HttpVersionCmd},
    {"HTTP::status", kResponseOnly, HttpStatusCmd},
};

}  // namespace

std::span<const CommandSpec> http_commands() { return kHttpCommands; }

}  // namespace irulesd::tclext
