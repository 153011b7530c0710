// The server choice of `pool` and `node` (tclext/lb_commands.cc), shared with the commands that take
// the same arguments under another name: `use pool|node …` (tclext/compat_commands.cc).
#pragma once

#include <cstdint>
#include <string>

#include "tclext/command_table.h"

namespace irulesd::tclext {

// Where `pool` / `node` (and `use`) may run. BIG-IP loads them in these events too (measured on
// BIG-IP 21.1): in LB_SELECTED the core balances again over the new choice at once; in
// SERVER_CONNECTED and HTTP_RESPONSE it applies to the next request's load-balancing decision; in
// CLIENT_CLOSED there is none left.
constexpr unsigned kPoolEvents =
    kBeforeLbEvents |
    event_bits({Event::LbSelected, Event::ServerConnected, Event::HttpResponse, Event::ClientClosed});

// `pool NAME ?member ADDR ?PORT??` from objv[first] on: the pool (and member) for this connection;
// errors name `command`.
int lb_choose_pool(FireContext& ctx, Tcl_Interp* interp, const char* command, int objc, Tcl_Obj* const objv[],
                   int first);

// ADDR PORT, ADDR:PORT in one word, or ADDR alone when port_optional, from objv[first] on.
int lb_parse_server(Tcl_Interp* interp, const char* command, int objc, Tcl_Obj* const objv[], int first,
                    bool port_optional, std::string* addr, uint16_t* port);

}  // namespace irulesd::tclext
