#include "core/config_values.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <filesystem>
#include <vector>

namespace irulesd {

// Strict dotted quad: four decimal parts 0-255, no leading zeros (which some parsers read as octal).
bool parse_ipv4(std::string_view s, uint32_t* out) {
  uint32_t value = 0;
  for (int part = 0; part < 4; ++part) {
    if (part > 0) {
      if (s.empty() || s.front() != '.') return false;
      s.remove_prefix(1);
    }
    std::size_t digits = 0;
    while (digits < s.size() && digits < 4 && s[digits] >= '0' && s[digits] <= '9') ++digits;
    if (digits == 0 || digits > 3 || (digits > 1 && s[0] == '0')) return false;
    unsigned octet = 0;
    std::from_chars(s.data(), s.data() + digits, octet);
    if (octet > 255) return false;
    value = (value << 8) | octet;
    s.remove_prefix(digits);
  }
  if (!s.empty()) return false;
  if (out) *out = value;
  return true;
}

bool parse_uint(std::string_view s, uint64_t max, uint64_t* out) {
  if (s.empty() || s.size() > 12 || (s.size() > 1 && s[0] == '0')) return false;
  uint64_t value = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), value);
  if (ec != std::errc() || end != s.data() + s.size() || value > max) return false;
  *out = value;
  return true;
}

bool parse_port(std::string_view s, uint16_t* out) {
  uint64_t value = 0;
  if (!parse_uint(s, 65535, &value) || value == 0) return false;
  *out = static_cast<uint16_t>(value);
  return true;
}

// "A.B.C.D/LEN" -> address and prefix length.
bool parse_cidr(std::string_view s, std::string* address, int* prefix_len, uint32_t* ip) {
  std::size_t slash = s.find('/');
  uint64_t len = 0;
  if (slash == std::string_view::npos || !parse_ipv4(s.substr(0, slash), ip) ||
      !parse_uint(s.substr(slash + 1), 32, &len)) {
    return false;
  }
  *address = std::string(s.substr(0, slash));
  *prefix_len = static_cast<int>(len);
  return true;
}

uint32_t prefix_mask(int len) { return len == 0 ? 0 : ~uint32_t{0} << (32 - len); }

// A netmask: a dotted quad whose one bits are contiguous from the top.
bool parse_netmask(std::string_view s) {
  uint32_t mask = 0;
  if (!parse_ipv4(s, &mask)) return false;
  uint32_t inverted = ~mask;
  return (inverted & (inverted + 1)) == 0;
}

bool parse_tmsh_duration(std::string_view s, uint32_t* seconds) {
  std::vector<uint64_t> parts;   // left to right: [[[days:]hours:]minutes:]seconds
  for (;;) {
    std::size_t colon = s.find(':');
    std::string_view part = s.substr(0, colon);
    // tmsh writes later parts with a leading zero (1:05:00), so zeros are fine here.
    if (part.empty() || part.size() > 10 || part.find_first_not_of("0123456789") != std::string_view::npos ||
        parts.size() == 4) {
      return false;
    }
    uint64_t v = 0;
    std::from_chars(part.data(), part.data() + part.size(), v);
    parts.push_back(v);
    if (colon == std::string_view::npos) break;
    s.remove_prefix(colon + 1);
  }
  static constexpr uint64_t kUnit[] = {1, 60, 3600, 86400};   // from the right
  static constexpr uint64_t kLimit[] = {60, 60, 24};
  uint64_t total = 0;
  for (std::size_t i = 0; i < parts.size(); ++i) {
    uint64_t v = parts[parts.size() - 1 - i];
    if (i + 1 < parts.size() && v >= kLimit[i]) return false;   // only the leading part may be large
    total += v * kUnit[i];
    if (total > 0xffffffffULL) return false;
  }
  *seconds = static_cast<uint32_t>(total);
  return true;
}

std::string monitor_send_bytes(std::string_view send) {
  std::string out;
  out.reserve(send.size());
  for (std::size_t i = 0; i < send.size(); ++i) {
    char c = send[i];
    if (c == '\\' && i + 1 < send.size()) {
      char next = send[i + 1];
      char replaced = next == 'r' ? '\r' : next == 'n' ? '\n' : next == 't' ? '\t' : next == '"' ? '"'
                      : next == '\\' ? '\\' : 0;
      if (replaced != 0) {
        out.push_back(replaced);
        ++i;
        continue;
      }
    }
    out.push_back(c);
  }
  return out;
}

// "/Common/x" -> "x"; the file name of a rule loaded from the rules folder.
std::string short_name(const std::string& name) {
  std::size_t slash = name.rfind('/');
  return slash == std::string::npos ? name : name.substr(slash + 1);
}

// Reads a whole file; returns 0 or the errno of the failure.
int read_file(const std::string& path, std::string* out) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return errno;
  out->clear();
  char buf[65536];
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      int err = errno;
      ::close(fd);
      return err;
    }
    if (n == 0) break;
    out->append(buf, static_cast<std::size_t>(n));
  }
  ::close(fd);
  return 0;
}

// The default rules folder: `irules/` beside the config file.
std::string default_rules_dir(const std::string& config_file) {
  return (std::filesystem::path(config_file).parent_path() / "irules").string();
}

std::string one_line(std::string message) {
  if (message.find_first_of("\r\n") == std::string::npos) return message;
  std::string out;
  out.reserve(message.size() + 8);
  for (char c : message) {
    if (c == '\n') {
      out += "\\n";
    } else if (c == '\r') {
      out += "\\r";
    } else {
      out.push_back(c);
    }
  }
  return out;
}

}  // namespace irulesd
