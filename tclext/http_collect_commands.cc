// HTTP::collect, HTTP::payload, HTTP::release: a rule holds the body of the request (HTTP_REQUEST)
// or response (HTTP_RESPONSE) to read or rewrite it in HTTP_REQUEST_DATA / HTTP_RESPONSE_DATA. The
// core collects the payload with the chunk framing removed and frames it again when it is released.
#include "tclext/command_table.h"
#include "tclext/payload_command.h"

namespace irulesd::tclext {
namespace {

// LB_SELECTED too: BIG-IP loads HTTP::collect there (measured on BIG-IP 21.1).
constexpr unsigned kCollectEvents = event_bits({Event::HttpRequest, Event::HttpRequestData, Event::LbSelected,
                                                Event::HttpResponse, Event::HttpResponseData});

// HTTP::collect ?length?: without a length, the whole body (up to the collect limit).
int HttpCollectCmd(FireContext& ctx, Tcl_Interp* interp, int objc, Tcl_Obj* const objv[]) {
  if (objc > 2) {
    Tcl_WrongNumArgs(interp, 1, objv, "?length?");
    return TCL_ERROR;
  }
  std::size_t bytes = 0;
  if (objc == 2 && parse_size(interp, objv[1], "length", &bytes) != TCL_OK) return TCL_ERROR;
  Collect& collect = ctx.tx->http_collect;
  collect.requested = true;
  collect.released = false;
  collect.bytes = bytes;
  Tcl_ResetResult(interp);
  return TCL_OK;
}

int HttpPayloadCmd(FireContext& ctx, Tcl_Interp* interp, int objc, Tcl_Obj* const objv[]) {
  return payload_command(interp, ctx.tx->http_collect.payload, objc, objv);
}

int HttpReleaseCmd(FireContext& ctx, Tcl_Interp* interp, int objc, Tcl_Obj* const objv[]) {
  if (objc != 1) {
    Tcl_WrongNumArgs(interp, 1, objv, nullptr);
    return TCL_ERROR;
  }
  Collect& collect = ctx.tx->http_collect;
  collect.released = true;
  collect.requested = false;
  Tcl_ResetResult(interp);
  return TCL_OK;
}

constexpr CommandSpec kHttpCollectCommands[] = {
    {"HTTP::collect", kCollectEvents, HttpCollectCmd},
    {"HTTP::payload", kHttpEvents, HttpPayloadCmd},
    {"HTTP::release", kHttpEvents, HttpReleaseCmd},
};

}  // namespace

std::span<const CommandSpec> http_collect_commands() { return kHttpCollectCommands; }

}  // namespace irulesd::tclext
