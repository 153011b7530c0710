// IP::addr (clouddocs.f5.com/api/irules/IP__addr.html): address comparison with masks, masking,
// and parsing an address out of binary data. IPv4 and IPv6; an IPv4 address is handled as BIG-IP
// stores it, IPv4-mapped (::ffff:a.b.c.d), so it equals its mapped IPv6 form. BIG-IP's route-domain
// suffix "%N" (10.0.0.1%2/24) is accepted and ignored: irulesd has a single route domain.
#include <arpa/inet.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <string>
#include <string_view>

#include "tclext/command_table.h"
#include "tclext/value_bytes.h"

namespace irulesd::tclext {
namespace {

using Bytes = std::array<unsigned char, 16>;

constexpr const char* kUsage =
    "addr1[/mask] equals addr2[/mask] | addr mask mask | parse ?-ipv4|-ipv6? ?-swap? bytes ?offset?";

struct Address {
  Bytes bytes{};   // IPv6, or IPv4-mapped IPv6
  Bytes mask{};    // the "/mask" given with it; all ones without one
  bool v4 = false;
};

Bytes prefix_mask(int bits) {
  Bytes mask{};
  for (int i = 0; i < 16 && bits > 0; ++i, bits -= 8) {
    mask[i] = static_cast<unsigned char>(bits >= 8 ? 0xFF : 0xFF << (8 - bits));
  }
  return mask;
}

bool all_digits(std::string_view s) {
  return !s.empty() && s.find_first_not_of("0123456789") == std::string_view::npos;
}

// A bare address (no mask, no route domain) to 16 bytes; false when it is neither IPv4 nor IPv6.
bool to_bytes(std::string_view text, Bytes& out, bool& v4) {
  char buf[INET6_ADDRSTRLEN + 1];   // inet_pton wants a C string
  if (text.empty() || text.size() >= sizeof buf) return false;
  text.copy(buf, text.size());
  buf[text.size()] = '\0';
  unsigned char v4_bytes[4];
  if (inet_pton(AF_INET, buf, v4_bytes) == 1) {
    out = Bytes{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF, v4_bytes[0], v4_bytes[1], v4_bytes[2], v4_bytes[3]};
    v4 = true;
    return true;
  }
  v4 = false;
  return inet_pton(AF_INET6, buf, out.data()) == 1;
}

// A mask for an address of family v4: a prefix length ("24", up to 32 or 128) or a netmask written
// as an address (255.255.255.0, ffff:ffff::); an IPv4 netmask keeps the mapped prefix.
bool to_mask(std::string_view text, bool v4, Bytes& out) {
  if (all_digits(text)) {
    if (text.size() > 3) return false;
    int bits = 0;
    std::from_chars(text.data(), text.data() + text.size(), bits);
    if (bits > (v4 ? 32 : 128)) return false;
    out = prefix_mask(v4 ? 96 + bits : bits);
    return true;
  }
  bool mask_v4 = false;
  if (!to_bytes(text, out, mask_v4)) return false;
  if (mask_v4) {
    for (int i = 0; i < 12; ++i) out[i] = 0xFF;
  }
  return true;
}

int invalid(Tcl_Interp* interp, const char* what, std::string_view text) {
  return command_error(interp, std::string("IP::addr: invalid ") + what + " \"" + std::string(text) + "\"");
}

// "addr[%route_domain][/mask]".
int parse_address(Tcl_Interp* interp, std::string_view text, Address& out) {
  const std::size_t slash = text.find('/');
  std::string_view addr = text.substr(0, slash);
  const std::size_t percent = addr.find('%');
  if (percent != std::string_view::npos) {
    if (!all_digits(addr.substr(percent + 1))) return invalid(interp, "IP address", text);
    addr = addr.substr(0, percent);
  }
  if (!to_bytes(addr, out.bytes, out.v4)) return invalid(interp, "IP address", text);
  out.mask = prefix_mask(128);
  if (slash != std::string_view::npos && !to_mask(text.substr(slash + 1), out.v4, out.mask)) {
    return invalid(interp, "mask", text.substr(slash + 1));
  }
  return TCL_OK;
}

Tcl_Obj* format_address(const Bytes& bytes, bool v4) {
  static constexpr unsigned char kMapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF};
  char buf[INET6_ADDRSTRLEN];
  const bool mapped = std::equal(kMapped, kMapped + 12, bytes.begin());
  if (v4 && mapped) {
    inet_ntop(AF_INET, bytes.data() + 12, buf, sizeof buf);
  } else {
    inet_ntop(AF_INET6, bytes.data(), buf, sizeof buf);
  }
  return Tcl_NewStringObj(buf, -1);
}

// addr1[/mask] equals addr2[/mask]: 1 when the addresses agree on every bit both masks keep, so an
// address equals a network that contains it, and a network equals its subnets and supernets.
int equals(Tcl_Interp* interp, Tcl_Obj* left, Tcl_Obj* right) {
  Address a, b;
  if (parse_address(interp, arg_view(left), a) != TCL_OK) return TCL_ERROR;
  if (parse_address(interp, arg_view(right), b) != TCL_OK) return TCL_ERROR;
  bool same = true;
  for (int i = 0; i < 16; ++i) {
    const unsigned char m = a.mask[i] & b.mask[i];
    same = same && (a.bytes[i] & m) == (b.bytes[i] & m);
  }
  Tcl_SetObjResult(interp, Tcl_NewBooleanObj(same));
  return TCL_OK;
}

// addr mask mask: the address with the mask applied (10.1.2.3 mask 255.255.0.0 is 10.1.0.0).
int mask(Tcl_Interp* interp, Tcl_Obj* addr, Tcl_Obj* mask_obj) {
  Address a;
  if (parse_address(interp, arg_view(addr), a) != TCL_OK) return TCL_ERROR;
  Bytes m{};
  if (!to_mask(arg_view(mask_obj), a.v4, m)) return invalid(interp, "mask", arg_view(mask_obj));
  for (int i = 0; i < 16; ++i) a.bytes[i] &= a.mask[i] & m[i];
  Tcl_SetObjResult(interp, format_address(a.bytes, a.v4));
  return TCL_OK;
}

// parse ?-ipv4|-ipv6? ?-swap? bytes ?offset?: the address in the 4 (-ipv4, the default) or 16
// (-ipv6) bytes at offset of binary data, in network order, or reversed with -swap.
int parse(Tcl_Interp* interp, int objc, Tcl_Obj* const objv[]) {
  int i = 2;
  bool v6 = false;
  bool family_given = false;
  bool swap = false;
  for (; i < objc; ++i) {
    const std::string_view opt = arg_view(objv[i]);
    if (opt == "-swap") {
      swap = true;
    } else if (opt == "-ipv4" || opt == "-ipv6") {
      if (family_given) return command_error(interp, "IP::addr parse: -ipv4 and -ipv6 exclude each other");
      family_given = true;
      v6 = opt == "-ipv6";
    } else {
      break;
    }
  }
  if (objc - i < 1 || objc - i > 2) {
    Tcl_WrongNumArgs(interp, 2, objv, "?-ipv4|-ipv6? ?-swap? bytes ?offset?");
    return TCL_ERROR;
  }
  Tcl_WideInt offset = 0;
  if (objc - i == 2 && Tcl_GetWideIntFromObj(interp, objv[i + 1], &offset) != TCL_OK) return TCL_ERROR;
  std::string scratch;
  const std::string_view data = value_bytes(objv[i], scratch);
  const std::size_t size = v6 ? 16 : 4;
  if (offset < 0 || static_cast<std::size_t>(offset) > data.size() ||
      data.size() - static_cast<std::size_t>(offset) < size) {
    return command_error(interp, "IP::addr parse: " + std::to_string(size) + " bytes needed at offset " +
                                     std::to_string(offset) + ", the data has " + std::to_string(data.size()));
  }
  Bytes bytes{};
  unsigned char* dst = v6 ? bytes.data() : bytes.data() + 12;
  if (!v6) bytes[10] = bytes[11] = 0xFF;
  for (std::size_t k = 0; k < size; ++k) {
    dst[swap ? size - 1 - k : k] = static_cast<unsigned char>(data[static_cast<std::size_t>(offset) + k]);
  }
  Tcl_SetObjResult(interp, format_address(bytes, !v6));
  return TCL_OK;
}

int IpAddrCmd(FireContext&, Tcl_Interp* interp, int objc, Tcl_Obj* const objv[]) {
  if (objc >= 3 && arg_view(objv[1]) == "parse") return parse(interp, objc, objv);
  if (objc != 4) {
    Tcl_WrongNumArgs(interp, 1, objv, kUsage);
    return TCL_ERROR;
  }
  const std::string_view op = arg_view(objv[2]);
  if (op == "equals") return equals(interp, objv[1], objv[3]);
  if (op == "mask") return mask(interp, objv[1], objv[3]);
  return command_error(interp, "IP::addr: bad operator \"" + std::string(op) + "\": must be equals or mask");
}

constexpr CommandSpec kIpAddrCommands[] = {
    {"IP::addr", kAnyEvent, IpAddrCmd},
};

}  // namespace

std::span<const CommandSpec> ip_addr_commands() { return kIpAddrCommands; }

}  // namespace irulesd::tclext
