#include "core/session_table.h"

#include <charconv>
#include <chrono>
#include <functional>
#include <map>
#include <mutex>
#include <unordered_map>

namespace irulesd {
namespace {

constexpr std::size_t kShards = 16;
constexpr int kSweepBucketsPerOp = 2;        // buckets examined by each operation
constexpr int kReclaimBuckets = 4096;        // per shard, examined before refusing a new entry at max_entries
constexpr int64_t kReclaimIntervalMs = 100;  // at most one such reclaim this often

struct StringHash {
  using is_transparent = void;
  std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
};

// BIG-IP reads a table value as an unsigned 64-bit number the way strtoull does: leading blanks, an
// optional sign, the leading digits (none: 0); a minus sign negates modulo 2^64.
uint64_t value_as_u64(std::string_view s) {
  std::size_t i = 0;
  while (i < s.size() && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r' || s[i] == '\v' || s[i] == '\f')) ++i;
  bool negative = false;
  if (i < s.size() && (s[i] == '+' || s[i] == '-')) negative = s[i++] == '-';
  uint64_t v = 0;
  for (; i < s.size() && s[i] >= '0' && s[i] <= '9'; ++i) v = v * 10 + static_cast<uint64_t>(s[i] - '0');
  return negative ? uint64_t{0} - v : v;
}

// Whole seconds from now to deadline, rounded up (an entry set with 180 reads 180 right away).
uint32_t seconds_until(int64_t deadline_ms, int64_t now_ms) {
  int64_t ms = deadline_ms - now_ms;
  if (ms <= 0) return 0;
  return static_cast<uint32_t>((ms + 999) / 1000);
}

}  // namespace

struct SessionTable::Entry {
  std::string value;
  int64_t touched_ms = 0;
  int64_t created_ms = 0;
  uint32_t timeout_s = kTableDefaultTimeout;
  uint32_t lifetime_s = kTableIndefinite;

  bool expired(int64_t now) const {
    return (timeout_s != kTableIndefinite && now - touched_ms >= int64_t{timeout_s} * 1000) ||
           (lifetime_s != kTableIndefinite && now - created_ms >= int64_t{lifetime_s} * 1000);
  }
};

struct SessionTable::Shard {
  using Map = std::unordered_map<std::string, Entry, StringHash, std::equal_to<>>;
  std::mutex mutex;
  Map main;
  std::map<std::string, Map, std::less<>> subtables;
  // The sweep's position: the main table, or the subtable named here; a bucket of that map.
  bool sweep_in_main = true;
  std::string sweep_subtable;
  std::size_t sweep_bucket = 0;
};

// One shard held under its lock for one operation: finds live entries (dropping expired ones on the
// way), inserts within the limit, and runs the sweep's share of work.
class SessionTable::Locked {
 public:
  using EntryMap = Shard::Map;

  Locked(SessionTable& table, Shard& shard, int64_t now)
      : table_(table), shard_(shard), lock_(shard.mutex), now_(now) {}
  ~Locked() { sweep(kSweepBucketsPerOp); }

  int64_t now() const { return now_; }

  // The map of a table, or nullptr for a subtable that has no entries.
  EntryMap* map(TableName table, bool create) {
    if (!table.is_subtable) return &shard_.main;
    auto it = shard_.subtables.find(table.subtable);
    if (it != shard_.subtables.end()) return &it->second;
    if (!create) return nullptr;
    return &shard_.subtables.try_emplace(std::string(table.subtable)).first->second;
  }

  // The live entry for key, or nullptr (an expired one is erased here: expiry is exact at read time).
  Entry* find(TableName table, std::string_view key) {
    EntryMap* m = map(table, false);
    if (!m) return nullptr;
    auto it = m->find(key);
    if (it == m->end()) return nullptr;
    if (it->second.expired(now_)) {
      m->erase(it);
      table_.count_.fetch_sub(1, std::memory_order_relaxed);
      drop_if_empty(table);
      return nullptr;
    }
    return &it->second;
  }

  // A new entry, or nullptr when the table holds max_entries (the caller may reclaim and retry).
  Entry* insert(TableName table, std::string_view key) {
    if (table_.count_.load(std::memory_order_relaxed) >= table_.max_entries()) return nullptr;
    EntryMap* m = map(table, true);
    Entry& e = (*m)[std::string(key)];
    e.created_ms = e.touched_ms = now_;
    table_.count_.fetch_add(1, std::memory_order_relaxed);
    return &e;
  }

  bool erase(TableName table, std::string_view key) {
    EntryMap* m = map(table, false);
    if (!m) return false;
    auto it = m->find(key);
    if (it == m->end()) return false;
    const bool live = !it->second.expired(now_);
    m->erase(it);
    table_.count_.fetch_sub(1, std::memory_order_relaxed);
    drop_if_empty(table);
    return live;
  }

  std::size_t erase_subtable(std::string_view name) {
    auto it = shard_.subtables.find(name);
    if (it == shard_.subtables.end()) return 0;
    std::size_t live = 0;
    for (const auto& [key, e] : it->second) live += e.expired(now_) ? 0 : 1;
    table_.count_.fetch_sub(it->second.size(), std::memory_order_relaxed);
    shard_.subtables.erase(it);
    return live;
  }

  void drop_if_empty(TableName table) {
    if (!table.is_subtable) return;
    auto it = shard_.subtables.find(table.subtable);
    if (it != shard_.subtables.end() && it->second.empty()) shard_.subtables.erase(it);
  }

  // Examines up to `buckets` hash buckets from the cursor on, erasing what has expired.
  void sweep(int buckets) {
    for (int step = 0; step < buckets; ++step) {
      EntryMap* m = nullptr;
      if (shard_.sweep_in_main) {
        m = &shard_.main;
      } else if (auto it = shard_.subtables.find(shard_.sweep_subtable); it != shard_.subtables.end()) {
        m = &it->second;
      }
      if (m == nullptr || m->empty() || shard_.sweep_bucket >= m->bucket_count()) {
        advance();
        continue;
      }
      const std::size_t b = shard_.sweep_bucket++;
      for (auto it = m->begin(b); it != m->end(b);) {
        if (!it->second.expired(now_)) {
          ++it;
          continue;
        }
        auto victim = m->find(it->first);   // the same node, as an iterator erase() takes
        ++it;
        m->erase(victim);
        table_.count_.fetch_sub(1, std::memory_order_relaxed);
      }
      if (!shard_.sweep_in_main && m->empty()) {
        shard_.subtables.erase(shard_.sweep_subtable);
        advance();
      }
    }
  }

 private:
  // Moves the cursor to the next map: main, then the subtables by name, then main again.
  void advance() {
    auto next = shard_.sweep_in_main ? shard_.subtables.begin() : shard_.subtables.upper_bound(shard_.sweep_subtable);
    shard_.sweep_bucket = 0;
    if (next == shard_.subtables.end()) {
      shard_.sweep_in_main = true;
      shard_.sweep_subtable.clear();
    } else {
      shard_.sweep_in_main = false;
      shard_.sweep_subtable = next->first;
    }
  }

  SessionTable& table_;
  Shard& shard_;
  std::lock_guard<std::mutex> lock_;
  int64_t now_;
};

int64_t SessionTable::steady_clock_ms() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(steady_clock::now().time_since_epoch()).count();
}

SessionTable& SessionTable::global() {
  static SessionTable table;
  return table;
}

SessionTable::SessionTable(std::size_t max_entries)
    : shards_(std::make_unique<Shard[]>(kShards)), max_entries_(max_entries) {}

SessionTable::~SessionTable() = default;

SessionTable::Shard& SessionTable::shard_for(TableName table, std::string_view key) {
  std::size_t h = std::hash<std::string_view>{}(table.is_subtable ? table.subtable : key);
  return shards_[h % kShards];
}

bool SessionTable::reclaim() {
  const int64_t t = now();
  int64_t last = last_reclaim_ms_.load(std::memory_order_relaxed);
  if (t - last < kReclaimIntervalMs || !last_reclaim_ms_.compare_exchange_strong(last, t)) return false;
  for (std::size_t i = 0; i < kShards; ++i) {
    Locked locked(*this, shards_[i], t);
    locked.sweep(kReclaimBuckets);
  }
  return count_.load(std::memory_order_relaxed) < max_entries();
}

void SessionTable::clear() {
  for (std::size_t i = 0; i < kShards; ++i) {
    std::lock_guard<std::mutex> lock(shards_[i].mutex);
    count_.fetch_sub(shards_[i].main.size(), std::memory_order_relaxed);
    for (const auto& [name, m] : shards_[i].subtables) count_.fetch_sub(m.size(), std::memory_order_relaxed);
    shards_[i].main.clear();
    shards_[i].subtables.clear();
    shards_[i].sweep_in_main = true;
    shards_[i].sweep_bucket = 0;
  }
}

TableStatus SessionTable::set(TableName table, std::string_view key, std::string_view value, uint32_t timeout,
                              uint32_t lifetime, TableSetMode mode, bool touch, std::string* out) {
  TableStatus status = set_once(table, key, value, timeout, lifetime, mode, touch, out);
  if (status == TableStatus::Full && reclaim()) status = set_once(table, key, value, timeout, lifetime, mode, touch, out);
  return status;
}

TableStatus SessionTable::set_once(TableName table, std::string_view key, std::string_view value, uint32_t timeout,
                                   uint32_t lifetime, TableSetMode mode, bool touch, std::string* out) {
  Locked locked(*this, shard_for(table, key), now());
  Entry* e = locked.find(table, key);
  if (e && mode == TableSetMode::Excl) {
    if (touch) e->touched_ms = locked.now();
    out->assign(e->value);
    return TableStatus::Ok;
  }
  if (!e) {
    if (mode == TableSetMode::MustExist) return TableStatus::Missing;
    if (!(e = locked.insert(table, key))) return TableStatus::Full;
    e->timeout_s = timeout == kTableKeep ? kTableDefaultTimeout : timeout;
    e->lifetime_s = lifetime == kTableKeep ? kTableIndefinite : lifetime;
  } else {
    if (timeout != kTableKeep) e->timeout_s = timeout;
    if (lifetime != kTableKeep) e->lifetime_s = lifetime;
    if (touch) e->touched_ms = locked.now();
  }
  e->value.assign(value);
  out->assign(e->value);
  return TableStatus::Ok;
}

bool SessionTable::lookup(TableName table, std::string_view key, bool touch, std::string* out) {
  Locked locked(*this, shard_for(table, key), now());
  Entry* e = locked.find(table, key);
  if (!e) return false;
  if (touch) e->touched_ms = locked.now();
  out->assign(e->value);
  return true;
}

TableStatus SessionTable::incr(TableName table, std::string_view key, int64_t delta, bool must_exist, bool touch,
                               std::string* out) {
  TableStatus status = incr_once(table, key, delta, must_exist, touch, out);
  if (status == TableStatus::Full && reclaim()) status = incr_once(table, key, delta, must_exist, touch, out);
  return status;
}

TableStatus SessionTable::incr_once(TableName table, std::string_view key, int64_t delta, bool must_exist, bool touch,
                                    std::string* out) {
  Locked locked(*this, shard_for(table, key), now());
  Entry* e = locked.find(table, key);
  if (!e) {
    if (must_exist) return TableStatus::Missing;
    if (!(e = locked.insert(table, key))) return TableStatus::Full;
  } else if (touch) {
    e->touched_ms = locked.now();
  }
  const uint64_t sum = value_as_u64(e->value) + static_cast<uint64_t>(delta);
  char digits[24];
  e->value.assign(digits, std::to_chars(digits, digits + sizeof digits, sum).ptr);
  out->assign(e->value);
  return TableStatus::Ok;
}

TableStatus SessionTable::append(TableName table, std::string_view key, std::string_view suffix, bool must_exist,
                                 bool touch, std::string* out) {
  TableStatus status = append_once(table, key, suffix, must_exist, touch, out);
  if (status == TableStatus::Full && reclaim()) status = append_once(table, key, suffix, must_exist, touch, out);
  return status;
}

TableStatus SessionTable::append_once(TableName table, std::string_view key, std::string_view suffix,
                                      bool must_exist, bool touch, std::string* out) {
  Locked locked(*this, shard_for(table, key), now());
  Entry* e = locked.find(table, key);
  if (!e) {
    if (must_exist) return TableStatus::Missing;
    if (!(e = locked.insert(table, key))) return TableStatus::Full;
  } else if (touch) {
    e->touched_ms = locked.now();
  }
  e->value.append(suffix);
  out->assign(e->value);
  return TableStatus::Ok;
}

bool SessionTable::remove(TableName table, std::string_view key) {
  Locked locked(*this, shard_for(table, key), now());
  return locked.erase(table, key);
}

std::size_t SessionTable::remove_subtable(std::string_view subtable) {
  Locked locked(*this, shard_for(TableName::sub(subtable), {}), now());
  return locked.erase_subtable(subtable);
}

std::optional<uint32_t> SessionTable::timeout(TableName table, std::string_view key, bool remaining) {
  Locked locked(*this, shard_for(table, key), now());
  const Entry* e = locked.find(table, key);
  if (!e) return std::nullopt;
  if (!remaining || e->timeout_s == kTableIndefinite) return e->timeout_s;
  return seconds_until(e->touched_ms + int64_t{e->timeout_s} * 1000, locked.now());
}

std::optional<uint32_t> SessionTable::lifetime(TableName table, std::string_view key, bool remaining) {
  Locked locked(*this, shard_for(table, key), now());
  const Entry* e = locked.find(table, key);
  if (!e) return std::nullopt;
  if (!remaining || e->lifetime_s == kTableIndefinite) return e->lifetime_s;
  return seconds_until(e->created_ms + int64_t{e->lifetime_s} * 1000, locked.now());
}

std::optional<uint32_t> SessionTable::set_timeout(TableName table, std::string_view key, uint32_t seconds) {
  Locked locked(*this, shard_for(table, key), now());
  Entry* e = locked.find(table, key);
  if (!e) return std::nullopt;
  if (seconds != kTableKeep) {
    e->timeout_s = seconds;
    e->touched_ms = locked.now();
  }
  return e->timeout_s;
}

std::optional<uint32_t> SessionTable::set_lifetime(TableName table, std::string_view key, uint32_t seconds) {
  Locked locked(*this, shard_for(table, key), now());
  Entry* e = locked.find(table, key);
  if (!e) return std::nullopt;
  if (seconds != kTableKeep) {
    e->lifetime_s = seconds;
    e->touched_ms = locked.now();
  }
  // A lifetime shorter than the entry's age ends it now.
  if (e->expired(locked.now())) {
    const uint32_t lifetime = e->lifetime_s;
    locked.erase(table, key);
    return lifetime;
  }
  return e->lifetime_s;
}

void SessionTable::keys(std::string_view subtable, bool touch, std::vector<std::string>* out) {
  out->clear();
  const TableName table = TableName::sub(subtable);
  Locked locked(*this, shard_for(table, {}), now());
  Shard::Map* m = locked.map(table, false);
  if (!m) return;
  for (auto it = m->begin(); it != m->end();) {
    if (it->second.expired(locked.now())) {
      it = m->erase(it);
      count_.fetch_sub(1, std::memory_order_relaxed);
      continue;
    }
    if (touch) it->second.touched_ms = locked.now();
    out->push_back(it->first);
    ++it;
  }
  locked.drop_if_empty(table);
}

std::size_t SessionTable::count(std::string_view subtable) {
  const TableName table = TableName::sub(subtable);
  Locked locked(*this, shard_for(table, {}), now());
  Shard::Map* m = locked.map(table, false);
  if (!m) return 0;
  std::size_t live = 0;
  for (const auto& [key, e] : *m) live += e.expired(locked.now()) ? 0 : 1;
  return live;
}

}  // namespace irulesd
