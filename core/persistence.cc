#include "core/persistence.h"

#include <arpa/inet.h>

#include <algorithm>
#include <charconv>

namespace irulesd {
namespace {

std::string subtable_of(PersistMode mode, std::string_view scope) {
  std::string name = "persist:";
  name += persist_mode_name(mode);
  name += ':';
  name += scope;
  return name;
}

}  // namespace

const char* persist_mode_name(PersistMode mode) {
  switch (mode) {
    case PersistMode::SourceAddr: return "source_addr";
    case PersistMode::DestAddr: return "dest_addr";
    case PersistMode::Universal: return "uie";
    case PersistMode::Hash: return "hash";
    case PersistMode::Cookie: return "cookie";
  }
  return "uie";
}

PersistenceStore& PersistenceStore::global() {
  static PersistenceStore store;
  return store;
}

std::optional<PersistRecord> PersistenceStore::lookup(PersistMode mode, std::string_view scope, std::string_view key) {
  const std::string subtable = subtable_of(mode, scope);
  std::string value;
  // A lookup that finds the record keeps it alive, as traffic refreshes a BIG-IP record.
  if (!table_.lookup(TableName::sub(subtable), key, true, &value)) return std::nullopt;
  // "POOL ADDRESS PORT"
  const std::size_t a = value.find(' ');
  const std::size_t b = value.rfind(' ');
  if (a == std::string::npos || b == a) return std::nullopt;
  PersistRecord record;
  record.pool = value.substr(0, a);
  record.address = value.substr(a + 1, b - a - 1);
  unsigned port = 0;
  std::from_chars(value.data() + b + 1, value.data() + value.size(), port);
  record.port = static_cast<uint16_t>(port);
  return record;
}

void PersistenceStore::add(PersistMode mode, std::string_view scope, std::string_view key, const PersistRecord& record,
                           uint32_t timeout_s) {
  const std::string subtable = subtable_of(mode, scope);
  const std::string value = record.pool + " " + record.address + " " + std::to_string(record.port);
  std::string out;
  table_.set(TableName::sub(subtable), key, value, timeout_s == 0 ? kTableDefaultTimeout : timeout_s,
             kTableIndefinite, TableSetMode::Always, true, &out);
}

bool PersistenceStore::remove(PersistMode mode, std::string_view scope, std::string_view key) {
  return table_.remove(TableName::sub(subtable_of(mode, scope)), key);
}

std::optional<std::string> encode_persist_cookie(const std::string& address, uint16_t port) {
  in_addr addr{};
  if (inet_pton(AF_INET, address.c_str(), &addr) != 1) return std::nullopt;
  // The address's bytes read as a little-endian number; the port's two bytes swapped.
  const auto* bytes = reinterpret_cast<const unsigned char*>(&addr.s_addr);
  const uint32_t encoded_address = uint32_t{bytes[0]} | uint32_t{bytes[1]} << 8 | uint32_t{bytes[2]} << 16 |
                                   uint32_t{bytes[3]} << 24;
  const uint16_t encoded_port = static_cast<uint16_t>((port & 0xff) << 8 | port >> 8);
  return std::to_string(encoded_address) + "." + std::to_string(encoded_port) + ".0000";
}

std::optional<std::pair<std::string, uint16_t>> decode_persist_cookie(std::string_view value) {
  uint64_t address = 0;
  unsigned port = 0;
  const char* p = value.data();
  const char* end = value.data() + value.size();
  auto [after_address, ec1] = std::from_chars(p, end, address);
  if (ec1 != std::errc() || after_address == end || *after_address != '.' || address > 0xffffffffu) return std::nullopt;
  auto [after_port, ec2] = std::from_chars(after_address + 1, end, port);
  if (ec2 != std::errc() || port > 0xffff) return std::nullopt;
  if (std::string_view(after_port, static_cast<std::size_t>(end - after_port)) != ".0000") return std::nullopt;
  char text[INET_ADDRSTRLEN];
  in_addr addr{};
  auto* bytes = reinterpret_cast<unsigned char*>(&addr.s_addr);
  for (int i = 0; i < 4; ++i) bytes[i] = static_cast<unsigned char>(address >> (8 * i));
  if (inet_ntop(AF_INET, &addr, text, sizeof text) == nullptr) return std::nullopt;
  return std::pair<std::string, uint16_t>{text, static_cast<uint16_t>((port & 0xff) << 8 | port >> 8)};
}

std::optional<std::string> request_cookie(const HeaderList& headers, std::string_view name) {
  for (const Header& header : headers.items()) {
    if (!header_name_equals(header.name, "Cookie")) continue;
    std::string_view rest = header.value;
    while (!rest.empty()) {
      const std::size_t end = std::min(rest.find(';'), rest.size());
      std::string_view pair = rest.substr(0, end);
      rest.remove_prefix(std::min(end + 1, rest.size()));
      while (!pair.empty() && pair.front() == ' ') pair.remove_prefix(1);
      const std::size_t eq = pair.find('=');
      if (eq != std::string_view::npos && pair.substr(0, eq) == name) {
        std::string_view value = pair.substr(eq + 1);
        while (!value.empty() && value.back() == ' ') value.remove_suffix(1);
        return std::string(value);
      }
    }
  }
  return std::nullopt;
}

std::string masked_address(const std::string& address, uint32_t bits) {
  in_addr addr{};
  if (inet_pton(AF_INET, address.c_str(), &addr) != 1) return {};
  const uint32_t mask = bits >= 32 ? 0xffffffffu : bits == 0 ? 0 : ~((1u << (32 - bits)) - 1);
  addr.s_addr = htonl(ntohl(addr.s_addr) & mask);
  char text[INET_ADDRSTRLEN];
  return inet_ntop(AF_INET, &addr, text, sizeof text) ? std::string(text) : std::string();
}

std::string default_persist_cookie_name(const std::string& pool) {
  std::string name = "BIGipServer" + pool;
  for (std::size_t i = 11; i < name.size(); ++i) {
    if (name[i] == '/') name[i] = '~';
  }
  return name;
}

}  // namespace irulesd
