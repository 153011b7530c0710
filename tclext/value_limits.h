// A cap on the values a rule can build in one step. Tcl 8.6 has no memory limit of its own: a rule's
// `string repeat x 268435456` would allocate 256 MiB of the worker's memory before the time budget
// looks. The commands that multiply a size (string repeat, lrepeat) check the result's size first and
// fail with a runtime error instead.
#pragma once

#include <tcl.h>

#include <cstddef>

namespace irulesd::tclext {

// Wraps ::tcl::string::repeat and ::lrepeat in `interp` so that a result over `max_bytes` (bytes of a
// string; elements × 8 bytes of a list, its slots alone) is a runtime error naming the limit.
void install_value_limits(Tcl_Interp* interp, std::size_t max_bytes);

}  // namespace irulesd::tclext
