// HTTP::* — read and edit the request (HTTP_REQUEST) or response (HTTP_RESPONSE) head through the
// Transaction, with BIG-IP's semantics (clouddocs.f5.com/api/irules/HTTP__header.html and friends).
#include <string>
#include <string_view>

#include "tclext/command_table.h"
#include "tclext/http_facts.h"
#include "tclext/uri_normalize.h"
#include "tclext/value_bytes.h"

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
  if (!is_header_token(name)) {
    return command_error(interp, "HTTP::header: invalid header name \"" + std::string(name) + "\"");
  }
  if (const char* fault = header_value_fault(value)) {
    return command_error(interp, "HTTP::header: header value of \"" + std::string(name) + "\" " + fault);
  }
  return TCL_OK;
}

// What a rule may put in the request line: no blank, HTAB, control byte, DEL or line break, which
// would split the request line or end the head there (a second message for the backend). Bytes
// from 0x80 up stay allowed: a rule may send a byte array as raw bytes, as BIG-IP does, though
// irulesd's parser refuses them from a client (core/http_syntax.h).
bool is_request_line_text(std::string_view s) {
  if (s.empty()) return false;
  for (unsigned char c : s) {
    if (c <= 0x20 || c == 0x7f) return false;
  }
  return true;
}

Tcl_Obj* string_list(const std::vector<std::string>& items) {
  Tcl_Obj* list = Tcl_NewListObj(0, nullptr);
  for (const std::string& item : items) {
    Tcl_ListObjAppendElement(nullptr, list, Tcl_NewStringObj(item.data(), static_cast<int>(item.size())));
  }
  return list;
}

int header_value(Tcl_Interp* interp, const HeaderList& headers, std::string_view name) {
  const std::optional<std::string_view> value = headers.last_value(name);
  set_result(interp, value.value_or(std::string_view()));
  return TCL_OK;
}

// "HTTP::header [value] NAME STRING": sets the last NAME as replace does. The value is read as the
// bytes BIG-IP would send (value_bytes.h), so a byte array goes out as its raw bytes.
int set_header_value(Tcl_Interp* interp, HeaderList& headers, std::string_view name, Tcl_Obj* value_obj) {
  std::string scratch;
  const std::string_view value = value_obj ? value_bytes(value_obj, scratch) : std::string_view();
  if (check_header(interp, name, value) != TCL_OK) return TCL_ERROR;
  headers.replace(name, value);
  Tcl_ResetResult(interp);
  return TCL_OK;
}

// Kept by every `HTTP::header sanitize`, besides the names it lists (the framing and the cookies).
constexpr std::string_view kSanitizeKeeps[] = {"Connection",       "Content-Encoding", "Content-Length",
                                               "Content-Type",     "Proxy-Connection", "Set-Cookie",
                                               "Set-Cookie2",      "Transfer-Encoding"};

bool sanitize_keeps(std::string_view name, Tcl_Obj* const listed[], int n) {
  for (std::string_view keep : kSanitizeKeeps) {
    if (header_name_equals(name, keep)) return true;
  }
  for (int i = 0; i < n; ++i) {
    if (header_name_equals(name, arg_view(listed[i]))) return true;
  }
  return false;
}

// A value folded over several lines (obsolete line folding: a line break then a space or tab).
bool has_lws(std::string_view value) {
  constexpr std::string_view kBreaks = "\r\n";
  for (std::size_t i = value.find_first_of(kBreaks); i != std::string_view::npos; i = value.find_first_of(kBreaks, i + 1)) {
    if (i + 1 < value.size() && (value[i + 1] == ' ' || value[i + 1] == '\t')) return true;
  }
  return false;
}

constexpr const char* kHeaderUsage =
    "?value? name ?string? | values name | names | count ?name? | at index | exists name | "
    "insert ?lws? name value ?name value ...? | lws | is_keepalive | is_redirect | remove name | "
    "replace name ?string? | sanitize ?name ...?";

int HttpHeaderCmd(FireContext& ctx, Tcl_Interp* interp, int objc, Tcl_Obj* const objv[]) {
  if (objc < 2) {
    Tcl_WrongNumArgs(interp, 1, objv, kHeaderUsage);
    return TCL_ERROR;
  }
  HeaderList* headers = current_headers(ctx, interp);
  if (headers == nullptr) return TCL_ERROR;
  const std::string_view sub = arg_view(objv[1]);

  if (sub == "value") {
    if (objc != 3 && objc != 4) {
      Tcl_WrongNumArgs(interp, 2, objv, "name");   // the setting form is tmsh's, not clouddocs'
      return TCL_ERROR;
    }
    if (objc == 4) return set_header_value(interp, *headers, arg_view(objv[2]), objv[3]);
    return header_value(interp, *headers, arg_view(objv[2]));
  }
  if (sub == "values" || sub == "exists" || sub == "remove") {
    if (objc != 3) {
      Tcl_WrongNumArgs(interp, 2, objv, "name");
      return TCL_ERROR;
    }
    const std::string_view name = arg_view(objv[2]);
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
  if (sub == "names" || sub == "lws" || sub == "is_keepalive" || sub == "is_redirect") {
    if (objc != 2) {
      Tcl_WrongNumArgs(interp, 2, objv, nullptr);
      return TCL_ERROR;
    }
    const bool in_response = (event_bit(ctx.event) & kResponseEvents) != 0;
    if (sub == "names") {
      Tcl_SetObjResult(interp, string_list(headers->names()));
    } else if (sub == "lws") {
      // How many headers are folded over several lines.
      Tcl_WideInt n = 0;
      for (const Header& h : headers->items()) n += has_lws(h.value) ? 1 : 0;
      Tcl_SetObjResult(interp, Tcl_NewWideIntObj(n));
    } else if (sub == "is_keepalive") {   // the same as HTTP::is_keepalive
      Tcl_SetObjResult(interp, Tcl_NewBooleanObj(exchange_keeps_alive(*ctx.tx, in_response)));
    } else {   // the same as HTTP::is_redirect
      const bool redirect = in_response && ctx.tx->response != nullptr && is_redirect_status(ctx.tx->response->status);
      Tcl_SetObjResult(interp, Tcl_NewBooleanObj(redirect));
    }
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
  if (sub == "at") {
    // The name of the header at a zero-based position; empty past the end.
    if (objc != 3) {
      Tcl_WrongNumArgs(interp, 2, objv, "index");
      return TCL_ERROR;
    }
    Tcl_WideInt index = 0;
    if (Tcl_GetWideIntFromObj(interp, objv[2], &index) != TCL_OK) return TCL_ERROR;
    const bool inside = index >= 0 && static_cast<std::size_t>(index) < headers->size();
    set_result(interp, inside ? std::string_view(headers->items()[static_cast<std::size_t>(index)].name)
                              : std::string_view());
    return TCL_OK;
  }
  if (sub == "insert") {
    // lws asks BIG-IP to fold values longer than 80 characters; irulesd never folds: RFC 9112 forbids
    // sending obsolete line folding, and servers reject it.
    int first = (objc > 2 && arg_view(objv[2]) == "lws") ? 3 : 2;
    if (objc - first < 2 || (objc - first) % 2 != 0) {
      Tcl_WrongNumArgs(interp, 2, objv, "?lws? name value ?name value ...?");
      return TCL_ERROR;
    }
    std::string scratch;
    for (int i = first; i < objc; i += 2) {
      if (check_header(interp, arg_view(objv[i]), value_bytes(objv[i + 1], scratch)) != TCL_OK) return TCL_ERROR;
    }
    for (int i = first; i < objc; i += 2) headers->add(arg_view(objv[i]), value_bytes(objv[i + 1], scratch));
    Tcl_ResetResult(interp);
    return TCL_OK;
  }
  if (sub == "replace") {
    if (objc != 3 && objc != 4) {
      Tcl_WrongNumArgs(interp, 2, objv, "name ?string?");
      return TCL_ERROR;
    }
    return set_header_value(interp, *headers, arg_view(objv[2]), objc == 4 ? objv[3] : nullptr);
  }
  if (sub == "sanitize") {
    for (const std::string& name : headers->names()) {
      if (!sanitize_keeps(name, objv + 2, objc - 2)) headers->remove(name);
    }
    Tcl_ResetResult(interp);
    return TCL_OK;
  }
  if (sub == "insert_modssl_fields") {
    return command_error(interp, "HTTP::header insert_modssl_fields: not supported by irulesd (no client SSL profile)");
  }
  // "HTTP::header NAME ?STRING?": the value, when NAME is not a subcommand.
  if (objc > 3) {
    Tcl_WrongNumArgs(interp, 1, objv, kHeaderUsage);
    return TCL_ERROR;
  }
  if (objc == 3) return set_header_value(interp, *headers, sub, objv[2]);
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
    if (arg_view(objv[1]) == "-normalized") {
      // F5's v12.1 reading for consistent comparisons (uri_normalize.h); never a new value.
      set_result(interp, normalize_request_target(request->uri));
      return TCL_OK;
    }
    std::string scratch;
    const std::string_view uri = value_bytes(objv[1], scratch);
    if (!is_request_line_text(uri)) {
      return command_error(interp, "HTTP::uri: invalid URI \"" + std::string(uri) + "\"");
    }
    request->uri.assign(uri);
    Tcl_ResetResult(interp);
    return TCL_OK;
  }
  set_result(interp, request->uri);
  return TCL_OK;
}

// HTTP::path ?-normalized? ?path?: F5 documents `-normalized` for both forms; it changes what is read
// (uri_normalize.h), a path given with it is set as given.
int HttpPathCmd(FireContext& ctx, Tcl_Interp* interp, int objc, Tcl_Obj* const objv[]) {
  const bool normalized = objc >= 2 && arg_view(objv[1]) == "-normalized";
  const int first = normalized ? 2 : 1;
  if (objc > first + 1) {
    Tcl_WrongNumArgs(interp, 1, objv, "?-normalized? ?path?");
    return TCL_ERROR;
  }
  RequestHead* request = current_request(ctx, interp);
  if (request == nullptr) return TCL_ERROR;
  const std::size_t query = request->uri.find('?');
  if (objc == first + 1) {
    std::string scratch;
    const std::string_view path = value_bytes(objv[first], scratch);
    if (!is_request_line_text(path) || path.find('?') != path.npos) {
      return command_error(interp, "HTTP::path: invalid path \"" + std::string(path) + "\"");
    }
    // The query string stays as it was.
    std::string uri(path);
    if (query != std::string::npos) uri.append(request->uri, query);
    request->uri = std::move(uri);
    Tcl_ResetResult(interp);
    return TCL_OK;
  }
  const std::string_view path = std::string_view(request->uri).substr(0, query);
  if (normalized) {
    set_result(interp, normalize_request_target(path));   // an absolute-form path keeps its authority
  } else {
    set_result(interp, path);
  }
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
  if (ctx.tx->response == nullptr && ctx.event == Event::LbSelected) {
    // BIG-IP loads HTTP::status in LB_SELECTED, before any response: 0, a status no response has,
    // that compares as a number and as a string without an error.
    Tcl_SetObjResult(interp, Tcl_NewIntObj(0));
    return TCL_OK;
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
    {"HTTP::status", kResponseOnly | event_bit(Event::LbSelected), HttpStatusCmd},   // as BIG-IP loads it
};

}  // namespace

std::span<const CommandSpec> http_commands() { return kHttpCommands; }

}  // namespace irulesd::tclext
