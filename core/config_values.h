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
// "/Common/x" -> "x": the file name of a rule loaded from the rules folder.
std::string short_name(const std::string& name);
// Reads a whole file; returns 0 or the errno of the failure.
int read_file(const std::string& path, std::string* out);
// The default rules folder: `irules/` beside the config file.
std::string default_rules_dir(const std::string& config_file);

}  // namespace irulesd
