// HTTP::query, is_keepalive, is_redirect, request, username, password, enable: facts of the HTTP
// message (clouddocs.f5.com/api/irules/HTTP__query.html and friends).
#include <string>
#include <string_view>

#include "tclext/command_table.h"
#include "tclext/http_facts.h"
#include "tclext/uri_normalize.h"
#include "tclext/value_bytes.h"

namespace irulesd::tclext {
namespace {

int no_args(Tcl_Interp* interp, int objc, Tcl_Obj* const objv[]) {
  if (objc == 1) return TCL_OK;
  Tcl_WrongNumArgs(interp, 1, objv, nullptr);
  return TCL_ERROR;
}

RequestHead* current_request(FireContext& ctx, Tcl_Interp* interp) {
  if (ctx.tx->request == nullptr) command_error(interp, "no HTTP request in this event");
  return ctx.tx->request;
}

// HTTP::query ?query?: the part of the request-target after the first '?' ("" without one). Setting
// it (v11.5+) keeps the path; an empty query drops the '?' too. `HTTP::query -normalized` reads it
// with its escapes normalized as `HTTP::uri -normalized` does (uri_normalize.h).
int HttpQueryCmd(FireContext& ctx, Tcl_Interp* interp, int objc, Tcl_Obj* const objv[]) {
  if (objc > 2) {
    Tcl_WrongNumArgs(interp, 1, objv, "?query?");
    return TCL_ERROR;
  }
  RequestHead* request = current_request(ctx, interp);
  if (request == nullptr) return TCL_ERROR;
  const std::size_t mark = request->uri.find('?');
  if (objc == 1) {
    const std::string_view uri = request->uri;
    Tcl_SetObjResult(interp, new_text_obj(mark == std::string::npos ? std::string_view() : uri.substr(mark + 1)));
    return TCL_OK;
  }
  if (arg_view(objv[1]) == "-normalized") {
    const std::string_view uri = request->uri;
    Tcl_SetObjResult(interp, new_text_obj(mark == std::string::npos ? std::string()
                                                                    : normalize_uri_escapes(uri.substr(mark + 1))));
    return TCL_OK;
  }
  std::string scratch;
  const std::string_view query = value_bytes(objv[1], scratch);
  if (query.find_first_of(std::string_view(" \r\n\0#", 5)) != std::string_view::npos) {
    return command_error(interp, "HTTP::query: invalid query \"" + std::string(query) + "\"");
  }
  request->uri.resize(mark == std::string::npos ? request->uri.size() : mark);
  if (!query.empty()) request->uri.append("?").append(query);
  Tcl_ResetResult(interp);
  return TCL_OK;
}

int HttpIsKeepaliveCmd(FireContext& ctx, Tcl_Interp* interp, int objc, Tcl_Obj* const objv[]) {
  if (no_args(interp, objc, objv) != TCL_OK) return TCL_ERROR;
  if (ctx.tx->request == nullptr && ctx.tx->response == nullptr) {
    return command_error(interp, "no HTTP message in event " + std::string(event_name(ctx.event)));
  }
  const bool in_response = (event_bit(ctx.event) & kResponseEvents) != 0;
  Tcl_SetObjResult(interp, Tcl_NewBooleanObj(exchange_keeps_alive(*ctx.tx, in_response)));
  return TCL_OK;
}

// HTTP::is_redirect: the response's status is a redirect; false while there is no response (F5:
// "it does not make sense to use this command in a clientside event").
int HttpIsRedirectCmd(FireContext& ctx, Tcl_Interp* interp, int objc, Tcl_Obj* const objv[]) {
  if (no_args(interp, objc, objv) != TCL_OK) return TCL_ERROR;
  const bool redirect = (event_bit(ctx.event) & kResponseEvents) != 0 && ctx.tx->response != nullptr &&
                        is_redirect_status(ctx.tx->response->status);
  Tcl_SetObjResult(interp, Tcl_NewBooleanObj(redirect));
  return TCL_OK;
}

// HTTP::request: the request head as text, request line and headers each ending in CRLF, then the
// empty line: what goes to the server, rule edits included.
int HttpRequestCmd(FireContext& ctx, Tcl_Interp* interp, int objc, Tcl_Obj* const objv[]) {
  if (no_args(interp, objc, objv) != TCL_OK) return TCL_ERROR;
  RequestHead* request = current_request(ctx, interp);
  if (request == nullptr) return TCL_ERROR;
  std::string head;
  head.reserve(request->uri.size() + 64 + request->headers.size() * 32);
  head.append(request->method).append(" ").append(request->uri).append(" HTTP/");
  head.append(std::to_string(request->version_major)).append(".").append(std::to_string(request->version_minor));
  head.append("\r\n");
  for (const Header& h : request->headers.items()) head.append(h.name).append(": ").append(h.value).append("\r\n");
  head.append("\r\n");
  Tcl_SetObjResult(interp, new_text_obj(head));
  return TCL_OK;
}

// HTTP::username / HTTP::password: the Basic credentials of the request's Authorization header,
// decoded; empty without them.
int credential(FireContext& ctx, Tcl_Interp* interp, int objc, Tcl_Obj* const objv[], bool want_password) {
  if (no_args(interp, objc, objv) != TCL_OK) return TCL_ERROR;
  RequestHead* request = current_request(ctx, interp);
  if (request == nullptr) return TCL_ERROR;
  std::string user;
  std::string password;
  basic_credentials(request->headers, user, password);
  Tcl_SetObjResult(interp, new_text_obj(want_password ? password : user));
  return TCL_OK;
}

int HttpUsernameCmd(FireContext& ctx, Tcl_Interp* interp, int objc, Tcl_Obj* const objv[]) {
  return credential(ctx, interp, objc, objv, false);
}

int HttpPasswordCmd(FireContext& ctx, Tcl_Interp* interp, int objc, Tcl_Obj* const objv[]) {
  return credential(ctx, interp, objc, objv, true);
}

// HTTP::enable: HTTP parsing is on in every event a rule sees it in, so there is nothing to turn on
// except an HTTP::disable of this same request that has not taken effect yet, which it takes back.
// A connection already turned into a tunnel stays one (irulesd cannot resume parsing mid-stream).
int HttpEnableCmd(FireContext& ctx, Tcl_Interp* interp, int objc, Tcl_Obj* const objv[]) {
  if (no_args(interp, objc, objv) != TCL_OK) return TCL_ERROR;
  ctx.tx->http_disabled = false;
  Tcl_ResetResult(interp);
  return TCL_OK;
}

// Request facts stay readable in the response events (BIG-IP keeps the request of the exchange).
constexpr unsigned kRequestFacts = kHttpEvents;

constexpr CommandSpec kHttpInfoCommands[] = {
    {"HTTP::query", kRequestEvents, HttpQueryCmd},
    {"HTTP::is_keepalive", kHttpEvents, HttpIsKeepaliveCmd},
    {"HTTP::is_redirect", kHttpEvents, HttpIsRedirectCmd},
    {"HTTP::request", kRequestFacts, HttpRequestCmd},
    {"HTTP::username", kRequestFacts, HttpUsernameCmd},
    {"HTTP::password", kRequestFacts, HttpPasswordCmd},
    {"HTTP::enable", kConnectionEvents, HttpEnableCmd},
};

}  // namespace

std::span<const CommandSpec> http_info_commands() { return kHttpInfoCommands; }

}  // namespace irulesd::tclext
