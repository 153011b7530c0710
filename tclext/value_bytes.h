// Bytes in and out of Tcl values the way BIG-IP sees them. The HTTP commands hand the rule the wire
// bytes of a head as a Tcl string whose string representation is those bytes; binary results (md5,
// b64decode, `binary format`) are Tcl byte arrays. Commands that deal in bytes read either kind
// through value_bytes() and give text back through new_text_obj().
#pragma once

#include <string>
#include <string_view>

#include <tcl.h>

namespace irulesd::tclext {

// The bytes `obj` stands for: a byte array's own bytes; otherwise its string representation as it
// came off the wire (Tcl's two-byte 0xC0 0x80 for NUL turned back into 0x00). `scratch` holds the
// bytes only in that NUL case; the view is valid while obj and scratch are.
std::string_view value_bytes(Tcl_Obj* obj, std::string& scratch);

// A text value whose string representation is `bytes` verbatim, so that the HTTP commands put the
// same bytes back on the wire (a NUL byte becomes Tcl's 0xC0 0x80).
Tcl_Obj* new_text_obj(std::string_view bytes);

}  // namespace irulesd::tclext
