// Persistence records as BIG-IP keeps them: a key (a client address, a `persist uie` value, a hash
// key) → the pool member that served it, with an idle timeout. One store per process, shared by every
// worker and kept across reloads; the cookie method keeps nothing here (the member travels in the
// cookie, in BIG-IP's encoding).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/header_list.h"
#include "core/session_table.h"

namespace irulesd {

enum class PersistMode { SourceAddr, DestAddr, Universal, Hash, Cookie };
const char* persist_mode_name(PersistMode mode);   // "source_addr", "dest_addr", "uie", "hash", "cookie"

struct PersistRecord {
  std::string pool;      // canonical pool name
  std::string address;
  uint16_t port = 0;
};

class PersistenceStore {
 public:
  static PersistenceStore& global();

  // `scope` keeps records of different virtual servers apart ("" = across virtuals).
  std::optional<PersistRecord> lookup(PersistMode mode, std::string_view scope, std::string_view key);
  // Adds or refreshes a record (timeout in seconds; kTableIndefinite never expires).
  void add(PersistMode mode, std::string_view scope, std::string_view key, const PersistRecord& record,
           uint32_t timeout_s);
  bool remove(PersistMode mode, std::string_view scope, std::string_view key);
  SessionTable& table() { return table_; }   // tests: clock and size

 private:
  SessionTable table_{10'000'000};
};

// BIG-IP's insert-cookie value for a member: "<address as little-endian decimal>.<port byte-swapped
// decimal>.0000" (IPv4). nullopt for an address it cannot encode.
std::optional<std::string> encode_persist_cookie(const std::string& address, uint16_t port);
// The member a cookie value names; nullopt for anything else.
std::optional<std::pair<std::string, uint16_t>> decode_persist_cookie(std::string_view value);
// The default cookie name: "BIGipServer" + the pool's name with `/` as `~` (BIGipServer~Common~web).
std::string default_persist_cookie_name(const std::string& pool);
// The value of cookie `name` in a request's Cookie headers (the first one); nullopt when absent.
std::optional<std::string> request_cookie(const HeaderList& headers, std::string_view name);
// source_addr / dest_addr: the address with only its first `bits` bits kept ("" when not IPv4).
std::string masked_address(const std::string& address, uint32_t bits);

}  // namespace irulesd
