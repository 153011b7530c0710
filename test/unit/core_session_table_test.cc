// The session table: values, idle timeouts and lifetimes (on an injected clock: no sleeping), subtables,
// the limit on entries, the sweep, and concurrent use from several threads.
#include <catch2/catch.hpp>

#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "core/session_table.h"

using namespace irulesd;

namespace {

std::atomic<int64_t> fake_ms{1000000};
int64_t fake_clock() { return fake_ms.load(); }
void advance_ms(int64_t ms) { fake_ms += ms; }

// A private table on the fake clock.
struct Fixture {
  SessionTable table;
  std::string out;
  explicit Fixture(std::size_t max = kTableDefaultMaxEntries) : table(max) { table.set_clock(&fake_clock); }

  TableStatus set(std::string_view key, std::string_view value, uint32_t timeout = kTableDefaultTimeout,
                  uint32_t lifetime = kTableIndefinite, TableSetMode mode = TableSetMode::Always, bool touch = true,
                  TableName t = TableName::main()) {
    return table.set(t, key, value, timeout, lifetime, mode, touch, &out);
  }
  std::string get(std::string_view key, bool touch = true, TableName t = TableName::main()) {
    std::string value;
    return table.lookup(t, key, touch, &value) ? value : "<none>";
  }
};

const TableName kMain = TableName::main();

}  // namespace

TEST_CASE("session table: set and lookup, the default 180 s idle timeout honoured to the millisecond", "[table]") {
  Fixture f;
  REQUIRE(f.set("k", "v") == TableStatus::Ok);
  CHECK(f.out == "v");
  CHECK(f.table.timeout(kMain, "k", false) == std::optional<uint32_t>(180));
  CHECK(f.table.lifetime(kMain, "k", false) == std::optional<uint32_t>(kTableIndefinite));
  advance_ms(179999);
  CHECK(f.get("k", false) == "v");
  advance_ms(1);
  CHECK(f.get("k") == "<none>");   // gone at exactly 180 s, before any sweep
  CHECK(f.table.size() == 0);
}

TEST_CASE("session table: a lookup restarts the idle timeout unless -notouch", "[table]") {
  Fixture f;
  f.set("k", "v", 10);
  advance_ms(9000);
  CHECK(f.get("k") == "v");   // touched: 10 s from now
  advance_ms(9000);
  CHECK(f.get("k", false) == "v");   // not touched
  CHECK(f.table.timeout(kMain, "k", true) == std::optional<uint32_t>(1));
  advance_ms(1000);
  CHECK(f.get("k") == "<none>");
}

TEST_CASE("session table: a lifetime counts from creation and touching does not extend it", "[table]") {
  Fixture f;
  f.set("k", "v", kTableIndefinite, 5);
  advance_ms(4000);
  CHECK(f.get("k") == "v");
  f.set("k", "v2", kTableKeep, kTableKeep);   // a write keeps the creation time
  CHECK(f.table.lifetime(kMain, "k", true) == std::optional<uint32_t>(1));
  CHECK(f.table.timeout(kMain, "k", true) == std::optional<uint32_t>(kTableIndefinite));
  advance_ms(1000);
  CHECK(f.get("k") == "<none>");
}

TEST_CASE("session table: add, replace and set's timeouts (0 keeps, a write without one resets)", "[table]") {
  Fixture f;
  CHECK(f.set("k", "a", 60, kTableKeep, TableSetMode::MustExist) == TableStatus::Missing);
  CHECK(f.get("k") == "<none>");
  CHECK(f.set("k", "a", 60, 600, TableSetMode::Excl) == TableStatus::Ok);
  CHECK(f.out == "a");
  CHECK(f.set("k", "b", 5, 5, TableSetMode::Excl) == TableStatus::Ok);
  CHECK(f.out == "a");   // add on an existing key: its value, nothing changed
  CHECK(f.table.timeout(kMain, "k", false) == std::optional<uint32_t>(60));
  CHECK(f.table.lifetime(kMain, "k", false) == std::optional<uint32_t>(600));
  CHECK(f.set("k", "c", kTableKeep, kTableKeep, TableSetMode::MustExist) == TableStatus::Ok);
  CHECK(f.out == "c");
  CHECK(f.table.timeout(kMain, "k", false) == std::optional<uint32_t>(60));
  CHECK(f.set("k", "d") == TableStatus::Ok);   // the command's defaults: 180 s, indefinite
  CHECK(f.table.timeout(kMain, "k", false) == std::optional<uint32_t>(180));
  CHECK(f.table.lifetime(kMain, "k", false) == std::optional<uint32_t>(kTableIndefinite));
  CHECK(f.set("new", "x", kTableKeep, kTableKeep) == TableStatus::Ok);   // a new entry: the defaults
  CHECK(f.table.timeout(kMain, "new", false) == std::optional<uint32_t>(180));
}

TEST_CASE("session table: add touches an existing entry unless -notouch, set -notouch keeps the idle clock", "[table]") {
  Fixture f;
  f.set("k", "v", 10);
  advance_ms(8000);
  f.set("k", "other", 10, kTableKeep, TableSetMode::Excl, false);
  CHECK(f.table.timeout(kMain, "k", true) == std::optional<uint32_t>(2));
  f.set("k", "other", 10, kTableKeep, TableSetMode::Excl, true);
  CHECK(f.table.timeout(kMain, "k", true) == std::optional<uint32_t>(10));
  advance_ms(4000);
  f.set("k", "w", kTableKeep, kTableKeep, TableSetMode::Always, false);
  CHECK(f.get("k", false) == "w");
  CHECK(f.table.timeout(kMain, "k", true) == std::optional<uint32_t>(6));
}

TEST_CASE("session table: incr reads values as unsigned 64-bit numbers and wraps", "[table]") {
  Fixture f;
  std::string out;
  CHECK(f.table.incr(kMain, "n", 1, true, true, &out) == TableStatus::Missing);
  REQUIRE(f.table.incr(kMain, "n", 1, false, true, &out) == TableStatus::Ok);
  CHECK(out == "1");
  CHECK(f.table.timeout(kMain, "n", false) == std::optional<uint32_t>(180));
  f.table.incr(kMain, "n", 41, true, true, &out);
  CHECK(out == "42");
  f.table.incr(kMain, "n", -50, false, true, &out);
  CHECK(out == "18446744073709551608");
  f.table.incr(kMain, "n", 10, false, true, &out);
  CHECK(out == "2");
  f.set("s", "12abc");
  f.table.incr(kMain, "s", 1, false, true, &out);
  CHECK(out == "13");
  f.set("s", "abc");
  f.table.incr(kMain, "s", 1, false, true, &out);
  CHECK(out == "1");
  f.set("s", " -3");
  f.table.incr(kMain, "s", 5, false, true, &out);
  CHECK(out == "2");
  f.set("t", "5", 100);
  advance_ms(50000);
  f.table.incr(kMain, "t", 1, false, false, &out);   // -notouch
  CHECK(f.table.timeout(kMain, "t", true) == std::optional<uint32_t>(50));
  f.table.incr(kMain, "t", 1, false, true, &out);
  CHECK(f.table.timeout(kMain, "t", true) == std::optional<uint32_t>(100));
  CHECK(f.table.timeout(kMain, "t", false) == std::optional<uint32_t>(100));   // incr keeps the timeout
}

TEST_CASE("session table: append", "[table]") {
  Fixture f;
  std::string out;
  CHECK(f.table.append(kMain, "a", "x", true, true, &out) == TableStatus::Missing);
  CHECK(f.table.append(kMain, "a", "x", false, true, &out) == TableStatus::Ok);
  CHECK(out == "x");
  CHECK(f.table.append(kMain, "a", "yz", true, true, &out) == TableStatus::Ok);
  CHECK(out == "xyz");
  CHECK(f.get("a") == "xyz");
}

TEST_CASE("session table: timeout and lifetime settings and remaining time", "[table]") {
  Fixture f;
  CHECK_FALSE(f.table.timeout(kMain, "k", false));
  CHECK_FALSE(f.table.set_timeout(kMain, "k", 5));
  f.set("k", "v", 100, 300);
  advance_ms(10500);
  CHECK(f.table.timeout(kMain, "k", true) == std::optional<uint32_t>(90));   // 89.5 s, rounded up
  CHECK(f.table.lifetime(kMain, "k", true) == std::optional<uint32_t>(290));
  CHECK(f.table.set_timeout(kMain, "k", 20) == std::optional<uint32_t>(20));   // restarts the idle clock
  CHECK(f.table.timeout(kMain, "k", true) == std::optional<uint32_t>(20));
  CHECK(f.table.set_timeout(kMain, "k", kTableKeep) == std::optional<uint32_t>(20));
  CHECK(f.table.set_timeout(kMain, "k", kTableIndefinite) == std::optional<uint32_t>(kTableIndefinite));
  CHECK(f.table.timeout(kMain, "k", true) == std::optional<uint32_t>(kTableIndefinite));
  CHECK(f.table.set_lifetime(kMain, "k", 60) == std::optional<uint32_t>(60));
  CHECK(f.table.lifetime(kMain, "k", true) == std::optional<uint32_t>(50));
  CHECK(f.table.set_lifetime(kMain, "k", 5) == std::optional<uint32_t>(5));   // older than that: ends now
  CHECK(f.get("k") == "<none>");
  CHECK(f.table.size() == 0);
}

TEST_CASE("session table: subtables are separate namespaces, keys, count, delete", "[table]") {
  Fixture f;
  const TableName s = TableName::sub("s");
  f.set("a", "main");
  f.set("a", "sub-a", 10, kTableIndefinite, TableSetMode::Always, true, s);
  f.set("b", "sub-b", 20, kTableIndefinite, TableSetMode::Always, true, s);
  f.set("a", "t-a", 20, kTableIndefinite, TableSetMode::Always, true, TableName::sub("t"));
  CHECK(f.get("a") == "main");
  CHECK(f.get("a", true, s) == "sub-a");
  CHECK(f.get("b") == "<none>");
  std::vector<std::string> keys;
  f.table.keys("s", true, &keys);
  std::sort(keys.begin(), keys.end());
  CHECK(keys == std::vector<std::string>{"a", "b"});
  CHECK(f.table.count("s") == 2);
  CHECK(f.table.count("nope") == 0);
  advance_ms(9000);
  f.table.keys("s", false, &keys);   // -notouch: a still expires at 10 s
  advance_ms(1000);
  CHECK(f.table.count("s") == 1);
  f.table.keys("s", true, &keys);
  CHECK(keys == std::vector<std::string>{"b"});
  advance_ms(19999);
  CHECK(f.get("b", false, s) == "sub-b");   // 29.999 s: alive only because keys touched it at 10 s
  CHECK(f.table.remove(s, "b"));
  CHECK_FALSE(f.table.remove(s, "b"));
  CHECK(f.table.count("s") == 0);
  f.set("x", "1", 100, kTableIndefinite, TableSetMode::Always, true, TableName::sub("t"));
  CHECK(f.table.remove_subtable("t") == 1);   // "a" of t expired at 20 s: not counted
  CHECK(f.table.count("t") == 0);
  CHECK(f.get("a") == "main");
  CHECK(f.table.remove(kMain, "a"));
  CHECK(f.table.size() == 0);
}

TEST_CASE("session table: the entry limit refuses new entries until expired ones are swept", "[table]") {
  Fixture f(3);
  CHECK(f.set("a", "1", 5) == TableStatus::Ok);
  CHECK(f.set("b", "1", 5) == TableStatus::Ok);
  CHECK(f.set("c", "1", 100) == TableStatus::Ok);
  CHECK(f.set("d", "1") == TableStatus::Full);
  CHECK(f.get("d") == "<none>");
  CHECK(f.set("a", "2") == TableStatus::Ok);   // an existing key can still change
  std::string out;
  CHECK(f.table.incr(kMain, "n", 1, false, true, &out) == TableStatus::Full);
  CHECK(f.table.append(kMain, "n", "x", false, true, &out) == TableStatus::Full);
  advance_ms(5000);   // b expires: the full sweep finds it
  CHECK(f.set("d", "1") == TableStatus::Ok);
  CHECK(f.table.size() == 3);
  f.table.set_max_entries(10);
  CHECK(f.set("e", "1") == TableStatus::Ok);
}

TEST_CASE("session table: the sweep gives back expired entries nobody reads again", "[table]") {
  Fixture f;
  for (int i = 0; i < 1000; ++i) f.set("old" + std::to_string(i), "v", 1);
  for (int i = 0; i < 50; ++i) f.set("sub" + std::to_string(i), "v", 1, kTableIndefinite, TableSetMode::Always, true,
                                     TableName::sub("s" + std::to_string(i % 7)));
  CHECK(f.table.size() == 1050);
  advance_ms(1000);
  // Unrelated traffic: each operation sweeps a couple of buckets of its shard.
  for (int i = 0; i < 20000 && f.table.size() > 1; ++i) f.get("live");
  f.set("live", "v");
  for (int i = 0; i < 20000 && f.table.size() > 1; ++i) f.get("other" + std::to_string(i % 64));
  CHECK(f.table.size() == 1);
  CHECK(f.get("live") == "v");
}

TEST_CASE("session table: concurrent writers on one key and on many", "[table]") {
  Fixture f;
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&f, t] {
      std::string out;
      for (int i = 0; i < 5000; ++i) {
        f.table.incr(TableName::main(), "shared", 1, false, true, &out);
        f.table.set(TableName::sub("per-thread"), std::to_string(t * 10000 + i), "v", 100, kTableIndefinite,
                    TableSetMode::Always, true, &out);
      }
    });
  }
  for (std::thread& t : threads) t.join();
  CHECK(f.get("shared") == "20000");
  CHECK(f.table.count("per-thread") == 20000);
  CHECK(f.table.size() == 20001);
  f.table.clear();
  CHECK(f.table.size() == 0);
  CHECK(f.get("shared") == "<none>");
}

TEST_CASE("session table: one process-wide instance", "[table]") {
  CHECK(&SessionTable::global() == &SessionTable::global());
  CHECK(SessionTable::global().max_entries() == kTableDefaultMaxEntries);
}
