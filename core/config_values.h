// The value syntax of the bigip.conf subset (addresses, ports, prefixes, masks) and the file helpers
// the config parser uses. Strict on purpose: a value irulesd would read differently from tmsh is an
// error, not a guess.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace irulesd {

// Strict dotted quad: four decimal parts 0-255, no leading zeros. `out` may be null.
bool parse_ipv4(std::string_view s, uint32_t* out);
// Decimal without sign, at most `max`.
bool parse_uint(std::string_view s, uint64_t max, uint64_t* out);
// 1-65535.
bool parse_port(std::string_view s, uint16_t* out);
// "A.B.C.D/LEN" -> address, prefix length and the address as a number.
bool parse_cidr(std::string_view s, std::string* address, int* prefix_len, uint32_t* ip);
// The network mask of a prefix length: 24 -> 0xffffff00.
uint32_t prefix_mask(int len);
// A dotted netmask whose one bits are contiguous from the top.
bool parse_netmask(std::string_view s);
// A tmsh duration as the cookie persistence `expiration` takes it: SECONDS, M:S, H:M:S or D:H:M:S
// (each part decimal; the parts after the first below 60, hours below 24). At most 2^32-1 seconds.
bool parse_tmsh_duration(std::string_view s, uint32_t* seconds);
// The bytes a monitor's `send` string puts on the wire: tmsh keeps `\r`, `\n`, `\t`, `\"` and `\\`
// as two characters in the file; the monitor sends the control character (CR, LF, TAB, ", \). Any other
// backslash is sent as it stands.
std::string monitor_send_bytes(std::string_view send);
// "/Common/x" -> "x": the file name of a rule loaded from the rules folder.
std::string short_name(const std::string& name);
// Reads a whole file; returns 0 or the errno of the failure.
int read_file(const std::string& path, std::string* out);
// The default rules folder: `irules/` beside the config file.
std::string default_rules_dir(const std::string& config_file);
// A message on one line: CR and LF (a quoted value may span lines) shown as \r and \n, so that
// `FILE:LINE: message` stays one line in --check output and in the log.
std::string one_line(std::string message);

}  // namespace irulesd
