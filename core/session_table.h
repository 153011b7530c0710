// The session table behind the iRule `table` and `session` commands: one per process, shared by every
// worker thread as BIG-IP shares it across TMMs, and kept across config reloads (it belongs to the
// process, not to a config version). No Tcl here: tclext/table_commands.cc maps the commands onto it.
//
// Each entry has a value, an idle timeout (restarted whenever the entry is touched: written, or read
// without -notouch) and a lifetime (counted from its creation, never restarted). Expiry is exact at
// read time: an entry whose deadline has passed is gone for every operation, whatever the sweep has
// done. The sweep only gives memory back: every operation on a shard also examines a couple of hash
// buckets of that shard (a cursor walks the main table and then each subtable), so the work is spread
// over the operations that create entries and no timer thread is needed.
//
// Subtables are separate namespaces: the key "a" of the main table and "a" of subtable "s" are
// different entries. Entries of the main table are spread over shards by key, a subtable lives whole
// in one shard (by name), so `table keys -subtable` takes one lock.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace irulesd {

// Timeouts and lifetimes are whole seconds, as iRules give them.
constexpr uint32_t kTableIndefinite = 0xffffffffu;   // never expires
constexpr uint32_t kTableKeep = 0;                   // leave the entry's own value (a new entry: default)
constexpr uint32_t kTableDefaultTimeout = 180;       // BIG-IP's default idle timeout
constexpr std::size_t kTableDefaultMaxEntries = 1000000;

// Which table an entry is in: the main table or a named subtable.
struct TableName {
  std::string_view subtable;
  bool is_subtable = false;
  static TableName main() { return {}; }
  static TableName sub(std::string_view name) { return TableName{name, true}; }
};

enum class TableStatus {
  Ok,
  Missing,   // -mustexist (or replace) on a key that is not there: nothing changed
  Full,      // a new entry would pass max_entries even after a sweep of every shard: nothing changed
};

enum class TableSetMode {
  Always,      // table set
  Excl,        // table add / set -excl: only when the key is not there; else the existing value
  MustExist,   // table replace / set -mustexist: only when the key is there
};

class SessionTable {
 public:
  // Monotonic milliseconds. Injectable so tests can move time without sleeping.
  using Clock = int64_t (*)();
  static int64_t steady_clock_ms();

  // The process-wide table the iRule commands use.
  static SessionTable& global();

  explicit SessionTable(std::size_t max_entries = kTableDefaultMaxEntries);
  ~SessionTable();
  SessionTable(const SessionTable&) = delete;
  SessionTable& operator=(const SessionTable&) = delete;

  // Limits and clock. The limit is checked per insert without a global lock, so threads inserting
  // at the same moment into different shards may pass it by one entry each. set_clock is for tests:
  // call it while no other thread uses the table (nullptr: the steady clock again).
  void set_max_entries(std::size_t max_entries) { max_entries_.store(max_entries, std::memory_order_relaxed); }
  std::size_t max_entries() const { return max_entries_.load(std::memory_order_relaxed); }
  void set_clock(Clock clock) { clock_.store(clock ? clock : &steady_clock_ms, std::memory_order_relaxed); }
  // Entries held, including expired ones the sweep has not reached yet.
  std::size_t size() const { return count_.load(std::memory_order_relaxed); }
  void clear();

  // table set / add / replace. Ok: *out is the entry's value afterwards (with Excl and an existing
  // key, the value it already had). timeout / lifetime: seconds, kTableIndefinite, or kTableKeep. A
  // write that changes the value also sets the timeout and lifetime it was given; one that does not
  // (Excl on an existing key) changes neither. touch = false (-notouch) leaves the idle clock alone.
  TableStatus set(TableName table, std::string_view key, std::string_view value, uint32_t timeout,
                  uint32_t lifetime, TableSetMode mode, bool touch, std::string* out);
  // table lookup: false when there is no (live) entry.
  bool lookup(TableName table, std::string_view key, bool touch, std::string* out);
  // table incr: the value read as an unsigned 64-bit number (as BIG-IP does: leading digits, wrapping
  // arithmetic), plus delta. A missing key starts from 0 with the default timeout unless must_exist.
  TableStatus incr(TableName table, std::string_view key, int64_t delta, bool must_exist, bool touch,
                   std::string* out);
  // table append: like incr, for strings.
  TableStatus append(TableName table, std::string_view key, std::string_view suffix, bool must_exist, bool touch,
                     std::string* out);
  // table delete: whether an entry was there.
  bool remove(TableName table, std::string_view key);
  // table delete -subtable NAME -all: how many entries went.
  std::size_t remove_subtable(std::string_view subtable);

  // table timeout / lifetime: the entry's setting, or with `remaining` the whole seconds (rounded up)
  // until it expires that way; kTableIndefinite when it never does; nullopt without a live entry.
  // Reading them does not touch the entry.
  std::optional<uint32_t> timeout(TableName table, std::string_view key, bool remaining);
  std::optional<uint32_t> lifetime(TableName table, std::string_view key, bool remaining);
  // Change them (kTableKeep changes nothing); setting counts as a touch. The setting afterwards, or
  // nullopt without a live entry.
  std::optional<uint32_t> set_timeout(TableName table, std::string_view key, uint32_t seconds);
  std::optional<uint32_t> set_lifetime(TableName table, std::string_view key, uint32_t seconds);

  // table keys -subtable NAME [-notouch]: the live keys, in no particular order.
  void keys(std::string_view subtable, bool touch, std::vector<std::string>* out);
  // table keys -subtable NAME -count (does not touch).
  std::size_t count(std::string_view subtable);

 private:
  struct Shard;
  struct Entry;
  class Locked;

  Shard& shard_for(TableName table, std::string_view key);
  // At max_entries: sweeps every shard (at most once per 100 ms); whether there is room now.
  bool reclaim();
  TableStatus set_once(TableName table, std::string_view key, std::string_view value, uint32_t timeout,
                       uint32_t lifetime, TableSetMode mode, bool touch, std::string* out);
  TableStatus incr_once(TableName table, std::string_view key, int64_t delta, bool must_exist, bool touch,
                        std::string* out);
  TableStatus append_once(TableName table, std::string_view key, std::string_view suffix, bool must_exist,
                          bool touch, std::string* out);
  int64_t now() const { return clock_.load(std::memory_order_relaxed)(); }

  std::unique_ptr<Shard[]> shards_;
  std::atomic<std::size_t> count_{0};
  std::atomic<std::size_t> max_entries_;
  std::atomic<Clock> clock_{&steady_clock_ms};
  std::atomic<int64_t> last_reclaim_ms_{INT64_MIN / 2};
};

}  // namespace irulesd
