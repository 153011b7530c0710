// HTTP::respond, HTTP::redirect, HTTP::has_responded: a rule answers the client itself. The core
// sends the answer when the event's handlers are done (later handlers still run, as on BIG-IP) and
// never forwards the request (HTTP_REQUEST, LB_*) or the server's response (HTTP_RESPONSE).
#include <charconv>
#include <memory>
#include <string>

#include "tclext/command_table.h"
#include "tclext/value_bytes.h"

namespace irulesd::tclext {
namespace {

// Where an answer can still replace what the server would send. Not LB_SELECTED: BIG-IP refuses
// HTTP::respond there when the rule loads (measured on BIG-IP 21.1); HTTP::redirect, the same
// answer as a 302, follows it.
constexpr unsigned kRespondEvents = event_bits({Event::HttpRequest, Event::HttpRequestData, Event::LbFailed,
                                                Event::HttpResponse, Event::HttpResponseData});

constexpr const char* kRespondUsage =
    "?-reset? status ?-version 1.0|1.1|auto? ?content content? ?noserver? ?header value ...?";

int already_answered(Tcl_Interp* interp, const char* command) {
  return command_error(interp, std::string(command) +
                                   ": Operation not supported. Multiple redirect/respond invocations not allowed");
}

// `-version auto`: the request's version. BIG-IP's default is HTTP/1.0.
void version_of_request(const FireContext& ctx, LocalResponse& response) {
  response.version_minor =
      ctx.tx->request != nullptr && ctx.tx->request->version_major == 1 && ctx.tx->request->version_minor == 1 ? 1 : 0;
}

int add_header(Tcl_Interp* interp, const char* command, LocalResponse& response, std::string_view name,
               std::string_view value) {
  if (!is_header_token(name)) return command_error(interp, std::string(command) + ": invalid header name \"" + std::string(name) + "\"");
  if (const char* fault = header_value_fault(value)) {
    return command_error(interp, std::string(command) + ": header value of \"" + std::string(name) + "\" " + fault);
  }
  response.headers.add(name, value);
  return TCL_OK;
}

int HttpRespondCmd(FireContext& ctx, Tcl_Interp* interp, int objc, Tcl_Obj* const objv[]) {
  if (objc < 2) {
    Tcl_WrongNumArgs(interp, 1, objv, kRespondUsage);
    return TCL_ERROR;
  }
  if (ctx.tx->has_responded) return already_answered(interp, "HTTP::respond");
  auto response = std::make_unique<LocalResponse>();
  // v11.5+: `HTTP::respond -reset STATUS …` resets the connection once the answer is sent.
  int first = 1;
  if (arg_view(objv[1]) == "-reset") {
    response->reset = true;
    first = 2;
  }
  if (objc <= first) {
    Tcl_WrongNumArgs(interp, 1, objv, kRespondUsage);
    return TCL_ERROR;
  }
  const std::string_view status_text = arg_view(objv[first]);
  auto [end, ec] = std::from_chars(status_text.data(), status_text.data() + status_text.size(), response->status);
  if (ec != std::errc() || end != status_text.data() + status_text.size() || response->status < 100 ||
      response->status > 999) {
    return command_error(interp, "HTTP::respond: invalid status code \"" + std::string(status_text) + "\"");
  }
  response->version_minor = 0;
  for (int i = first + 1; i < objc; ++i) {
    const std::string_view word = arg_view(objv[i]);
    if (word == "noserver") {
      response->noserver = true;
    } else if ((word == "content" || word == "-version") && i + 1 < objc) {
      const std::string_view value = arg_view(objv[++i]);
      if (word == "content") {
        // Content is bytes: a byte array (binary from b64decode, say) as is, text as its UTF-8.
        std::string scratch;
        response->body.assign(value_bytes(objv[i], scratch));
      } else if (value == "1.0") {
        response->version_minor = 0;
      } else if (value == "1.1") {
        response->version_minor = 1;
      } else if (value == "auto") {
        version_of_request(ctx, *response);
      } else {
        return command_error(interp, "HTTP::respond: bad -version \"" + std::string(value) +
                                         "\": must be 1.0, 1.1 or auto");
      }
    } else if (i + 1 < objc) {
      std::string scratch;
      if (add_header(interp, "HTTP::respond", *response, word, value_bytes(objv[i + 1], scratch)) != TCL_OK) {
        return TCL_ERROR;
      }
      ++i;
    } else {
      Tcl_WrongNumArgs(interp, 1, objv, kRespondUsage);
      return TCL_ERROR;
    }
  }
  ctx.tx->local_response = std::move(response);
  ctx.tx->has_responded = true;
  Tcl_ResetResult(interp);
  return TCL_OK;
}

// HTTP::redirect URL: a 302 with Location, as BIG-IP sends it.
int HttpRedirectCmd(FireContext& ctx, Tcl_Interp* interp, int objc, Tcl_Obj* const objv[]) {
  if (objc != 2) {
    Tcl_WrongNumArgs(interp, 1, objv, "url");
    return TCL_ERROR;
  }
  if (ctx.tx->has_responded) return already_answered(interp, "HTTP::redirect");
  auto response = std::make_unique<LocalResponse>();
  response->status = 302;
  response->version_minor = 0;   // HTTP/1.0, as BIG-IP sends it
  std::string scratch;
  if (add_header(interp, "HTTP::redirect", *response, "Location", value_bytes(objv[1], scratch)) != TCL_OK) {
    return TCL_ERROR;
  }
  ctx.tx->local_response = std::move(response);
  ctx.tx->has_responded = true;
  Tcl_ResetResult(interp);
  return TCL_OK;
}

int HttpHasRespondedCmd(FireContext& ctx, Tcl_Interp* interp, int objc, Tcl_Obj* const objv[]) {
  if (objc != 1) {
    Tcl_WrongNumArgs(interp, 1, objv, nullptr);
    return TCL_ERROR;
  }
  Tcl_SetObjResult(interp, Tcl_NewBooleanObj(ctx.tx->has_responded));
  return TCL_OK;
}

constexpr CommandSpec kHttpRespondCommands[] = {
    {"HTTP::respond", kRespondEvents, HttpRespondCmd},
    {"HTTP::redirect", kRespondEvents, HttpRedirectCmd},
    {"HTTP::has_responded", kHttpEvents, HttpHasRespondedCmd},
};

}  // namespace

std::span<const CommandSpec> http_respond_commands() { return kHttpRespondCommands; }

}  // namespace irulesd::tclext
