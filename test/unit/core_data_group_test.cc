// Data groups: `ltm data-group internal` parsed into the Config (with every error class and its line),
// element order, and the index behind the class operators, checked case by case and against a brute
// force over random keys.
#include <catch2/catch.hpp>

#include <algorithm>
#include <random>
#include <thread>
#include <string>
#include <vector>

#include "core/config.h"
#include "core/data_group.h"

using namespace irulesd;

namespace {

std::shared_ptr<const Config> parse_ok(const std::string& text) {
  ConfigLoadResult r = parse_config(text, "bigip.conf", "/nonexistent");
  std::string all;
  for (const ConfigError& e : r.errors) all += e.str() + "\n";
  INFO(all);
  REQUIRE(r.errors.empty());
  REQUIRE(r.config);
  return r.config;
}

// Exactly one error, with this exact text.
void expect_error(const std::string& text, const std::string& error) {
  ConfigLoadResult r = parse_config(text, "bigip.conf", "/nonexistent");
  CHECK_FALSE(r.config);
  std::vector<std::string> got;
  for (const ConfigError& e : r.errors) got.push_back(e.str());
  CHECK(got == std::vector<std::string>{error});
}

std::vector<std::string> names(const DataGroup& g) {
  std::vector<std::string> out;
  for (const DataGroupRecord& r : g.records) out.push_back(r.name);
  return out;
}

// A group built by hand, finished as the parser finishes one.
DataGroup group_of(DataGroupType type, std::vector<std::string> keys) {
  DataGroup g;
  g.name = "/Common/g";
  g.type = type;
  for (std::string& k : keys) g.records.push_back(DataGroupRecord{k, "v:" + k});
  finish_data_group(g);
  return g;
}

std::string name_of(const DataGroup& g, uint32_t e) { return e == kNoElement ? "<none>" : g.records[e].name; }

std::string match(const DataGroup& g, std::string_view item, ClassOp op) {
  return name_of(g, g.index->match(g, item, op, nullptr));
}
std::string search(const DataGroup& g, std::string_view item, ClassOp op) {
  return name_of(g, g.index->search(g, item, op, nullptr));
}
std::vector<std::string> match_all(const DataGroup& g, std::string_view item, ClassOp op) {
  std::vector<uint32_t> found{99};   // stale content must be cleared
  g.index->match(g, item, op, &found);
  std::vector<std::string> out;
  for (uint32_t e : found) out.push_back(name_of(g, e));
  return out;
}
std::vector<std::string> search_all(const DataGroup& g, std::string_view item, ClassOp op) {
  std::vector<uint32_t> found{99};
  g.index->search(g, item, op, &found);
  std::vector<std::string> out;
  for (uint32_t e : found) out.push_back(name_of(g, e));
  return out;
}

using V = std::vector<std::string>;

}  // namespace

// ---- parsing -------------------------------------------------------------------------------------------

TEST_CASE("data-group: a string group with quoted keys and values, sorted into element order", "[class]") {
  auto c = parse_ok(
      "ltm data-group internal /Common/uri_map {\n"
      "    records {\n"
      "        /images { data pool_images }\n"
      "        \"/a b\" { data \"two words\" }\n"
      "        /api { }\n"
      "        \"q\\\"uote\" { data \"x\\\\y\\.z\" }\n"
      "    }\n"
      "    type string\n"
      "}\n"
      "ltm data-group internal empty { type string }\n"
      "ltm data-group internal /Other/none { records { } type integer description \"no records\" }\n");
  REQUIRE(c->data_groups.size() == 3);
  const DataGroup& g = c->data_groups[0];
  CHECK(g.name == "/Common/uri_map");
  CHECK(g.type == DataGroupType::String);
  CHECK(g.loc.line == 1);
  CHECK(names(g) == V{"/a b", "/api", "/images", "q\"uote"});
  CHECK(g.records[0].data == "two words");
  CHECK(g.records[1].data.empty());
  CHECK(g.records[2].data == "pool_images");
  CHECK(g.records[3].data == "x\\y\\.z");   // \\ and \" unescaped, other backslashes kept
  REQUIRE(g.index);
  CHECK(c->data_groups[1].name == "/Common/empty");
  CHECK(c->data_groups[1].records.empty());
  REQUIRE(c->data_groups[1].index);
  CHECK(c->data_groups[2].type == DataGroupType::Integer);
}

TEST_CASE("data-group: ip keys are canonical networks, IPv4 before IPv6, integer keys by value", "[class]") {
  auto c = parse_ok(
      "ltm data-group internal nets {\n"
      "    records {\n"
      "        2001:db8::/32 { data v6net }\n"
      "        10.0.0.0/8 { data ten }\n"
      "        192.168.1.1 { data host }\n"
      "        10.1.0.0/16 { }\n"
      "        ::1 { }\n"
      "        ::ffff:172.16.0.0/108 { data mapped }\n"
      "        0.0.0.0/0 { }\n"
      "    }\n"
      "    type ip\n"
      "}\n"
      "ltm data-group internal ports { records { 8080 { data alt } -1 { } 007 { } 443 { } } type integer }\n");
  const DataGroup& ip = c->data_groups[0];
  CHECK(ip.type == DataGroupType::Ip);
  CHECK(names(ip) == V{"0.0.0.0/0", "10.0.0.0/8", "10.1.0.0/16", "172.16.0.0/12", "192.168.1.1/32", "::1/128",
                       "2001:db8::/32"});
  CHECK(ip.records[3].data == "mapped");
  const DataGroup& ports = c->data_groups[1];
  CHECK(names(ports) == V{"-1", "7", "443", "8080"});
}

TEST_CASE("data-group: errors name the file, line and group", "[class]") {
  expect_error("ltm data-group internal dg {\n    type text\n}\n",
               "bigip.conf:2: ltm data-group internal /Common/dg: type text is not supported (string, ip or integer)");
  expect_error("ltm data-group internal dg {\n    records { a { } }\n}\n",
               "bigip.conf:1: ltm data-group internal /Common/dg: missing type (string, ip or integer)");
  expect_error("ltm data-group internal dg {\n    records {\n        10.0.0.300 { }\n    }\n    type ip\n}\n",
               "bigip.conf:3: ltm data-group internal /Common/dg: record 10.0.0.300 is not an IPv4 or IPv6 "
               "address or network (ADDR or ADDR/LEN)");
  expect_error("ltm data-group internal dg { records { 10.0.0.1/8 { } } type ip }\n",
               "bigip.conf:1: ltm data-group internal /Common/dg: record 10.0.0.1/8 has address bits set beyond "
               "its prefix length");
  expect_error("ltm data-group internal dg { records { 10.0.0.0/33 { } } type ip }\n",
               "bigip.conf:1: ltm data-group internal /Common/dg: record 10.0.0.0/33 is not an IPv4 or IPv6 "
               "address or network (ADDR or ADDR/LEN)");
  expect_error("ltm data-group internal dg { records { 12a { } } type integer }\n",
               "bigip.conf:1: ltm data-group internal /Common/dg: record 12a is not an integer");
  expect_error("ltm data-group internal dg {\n    records {\n        a { }\n        a { data 2 }\n    }\n"
               "    type string\n}\n",
               "bigip.conf:4: ltm data-group internal /Common/dg: duplicate record a (first defined at line 3)");
  expect_error("ltm data-group internal dg {\n    records {\n        10.0.0.1/32 { }\n        10.0.0.1 { }\n"
               "    }\n    type ip\n}\n",
               "bigip.conf:4: ltm data-group internal /Common/dg: duplicate record 10.0.0.1 (first defined at line 3)");
  expect_error("ltm data-group internal dg { records { 5 { } 05 { } } type integer }\n",
               "bigip.conf:1: ltm data-group internal /Common/dg: duplicate record 05 (first defined at line 1)");
  expect_error("ltm data-group internal dg { records { \"\" { } } type string }\n",
               "bigip.conf:1: ltm data-group internal /Common/dg: record \"\" is an empty key");
  expect_error("ltm data-group internal dg {\n    records {\n        a\n    }\n    type string\n}\n",
               "bigip.conf:3: ltm data-group internal /Common/dg: record a is missing its { } body");
  expect_error("ltm data-group internal dg { records { a { value 1 } } type string }\n",
               "bigip.conf:1: ltm data-group internal /Common/dg: record a: unknown property value");
  expect_error("ltm data-group internal dg { records { a { data } } type string }\n",
               "bigip.conf:1: ltm data-group internal /Common/dg: record a: data is missing its value");
  expect_error("ltm data-group internal dg { records { a { data { x } } } type string }\n",
               "bigip.conf:1: ltm data-group internal /Common/dg: record a: data takes a value, not a { } block");
  expect_error("ltm data-group internal dg { records { { } } type string }\n",
               "bigip.conf:1: ltm data-group internal /Common/dg: unexpected { } block where a record key belongs");
  expect_error("ltm data-group internal dg { type string\n    partition Common\n}\n",
               "bigip.conf:2: ltm data-group internal /Common/dg: unknown property partition");
  expect_error("ltm data-group internal dg { type string records x }\n",
               "bigip.conf:1: ltm data-group internal /Common/dg: records takes a { } block, not x");
  expect_error("ltm data-group internal dg { type string }\nltm data-group internal /Common/dg { type ip }\n",
               "bigip.conf:2: ltm data-group internal /Common/dg: duplicate name (first defined at line 1)");
  expect_error("ltm data-group external /Common/blocklist {\n    external-file-name blocklist.txt\n    type ip\n}\n",
               "bigip.conf:1: ltm data-group external /Common/blocklist: external data groups are not supported "
               "(put the records inline: ltm data-group internal)");
}

TEST_CASE("data-group: find_data_group resolves canonical and bare names without building them", "[class]") {
  auto c = parse_ok(
      "ltm data-group internal a { type string }\n"
      "ltm data-group internal /Part/b { type string }\n");
  CHECK(find_data_group(*c, "a") == &c->data_groups[0]);
  CHECK(find_data_group(*c, "/Common/a") == &c->data_groups[0]);
  CHECK(find_data_group(*c, "/Part/b") == &c->data_groups[1]);
  CHECK(find_data_group(*c, "b") == nullptr);   // bare names are /Common/ ones
  CHECK(find_data_group(*c, "Common/a") == nullptr);
  CHECK(find_data_group(*c, "") == nullptr);
  CHECK(find_data_group(*c, "/Common/") == nullptr);
}

TEST_CASE("data-group: ip prefix parsing and formatting", "[class]") {
  IpPrefix p;
  REQUIRE(parse_ip_prefix("10.1.2.3", false, &p));
  CHECK(p.is_v4());
  CHECK(p.len == 128);
  CHECK(format_ip_prefix(p) == "10.1.2.3/32");
  REQUIRE(parse_ip_prefix("10.1.2.3%5", true, &p));   // route domain of an item
  CHECK(format_ip_prefix(p) == "10.1.2.3/32");
  CHECK_FALSE(parse_ip_prefix("10.1.2.3%5", false, &p));   // not in a key
  CHECK_FALSE(parse_ip_prefix("10.1.2.3%", true, &p));
  REQUIRE(parse_ip_prefix("fe80::1%eth0", true, &p));
  CHECK(format_ip_prefix(p) == "fe80::1/128");
  REQUIRE(parse_ip_prefix("2001:DB8::/32", false, &p));
  CHECK(format_ip_prefix(p) == "2001:db8::/32");
  CHECK_FALSE(parse_ip_prefix("010.1.2.3", false, &p));   // leading zeros read as octal elsewhere
  CHECK_FALSE(parse_ip_prefix("10.1.2", false, &p));
  CHECK_FALSE(parse_ip_prefix("10.1.2.3/", false, &p));
  CHECK_FALSE(parse_ip_prefix("10.1.2.3/08", false, &p));
  CHECK_FALSE(parse_ip_prefix("::1/129", false, &p));
  CHECK_FALSE(parse_ip_prefix("", true, &p));
  CHECK_FALSE(parse_ip_prefix("host", true, &p));
  REQUIRE(parse_ip_prefix("10.255.0.0/9", false, &p));
  CHECK(format_ip_prefix(p.masked(p.len)) == "10.128.0.0/9");
  CHECK(format_ip_prefix(p.masked(96)) == "0.0.0.0/0");
  CHECK(format_ip_prefix(p.masked(0)) == "::/0");
}

// ---- the operators -------------------------------------------------------------------------------------

TEST_CASE("data-group index: class match on a string group, first in element order", "[class]") {
  DataGroup g = group_of(DataGroupType::String, {"/api", "/", "/api/v2", ".jpg", "g.jpg", "admin", "min"});
  // element order: "." < "/" < "a" < "g" < "m"
  REQUIRE(names(g) == V{".jpg", "/", "/api", "/api/v2", "admin", "g.jpg", "min"});

  CHECK(match(g, "/api", ClassOp::Equals) == "/api");
  CHECK(match(g, "/ap", ClassOp::Equals) == "<none>");
  CHECK(match(g, "/api/v2/users", ClassOp::StartsWith) == "/");   // the shortest prefix sorts first
  CHECK(match_all(g, "/api/v2/users", ClassOp::StartsWith) == V{"/", "/api", "/api/v2"});
  CHECK(match(g, "api", ClassOp::StartsWith) == "<none>");
  CHECK(match(g, "img.jpg", ClassOp::EndsWith) == ".jpg");
  CHECK(match_all(g, "big.jpg", ClassOp::EndsWith) == V{".jpg", "g.jpg"});
  CHECK(match(g, "superadministrator", ClassOp::Contains) == "admin");
  CHECK(match_all(g, "superadministrator", ClassOp::Contains) == V{"admin", "min"});
  CHECK(match_all(g, "x/api/v2g.jpgadmin", ClassOp::Contains) == V{".jpg", "/", "/api", "/api/v2", "admin", "g.jpg", "min"});
  CHECK(match(g, "nothing here", ClassOp::Contains) == "<none>");
  CHECK(match_all(g, "", ClassOp::Contains).empty());
  CHECK(match(g, "", ClassOp::StartsWith) == "<none>");
}

TEST_CASE("data-group index: class search on a string group", "[class]") {
  DataGroup g = group_of(DataGroupType::String, {"/api", "/api/v2", "/apix", "/b", "v2/api", "x/api/y"});
  CHECK(search(g, "/api/v2", ClassOp::Equals) == "/api/v2");
  CHECK(search(g, "/api", ClassOp::StartsWith) == "/api");
  CHECK(search_all(g, "/api", ClassOp::StartsWith) == V{"/api", "/api/v2", "/apix"});
  CHECK(search(g, "/c", ClassOp::StartsWith) == "<none>");
  CHECK(search_all(g, "api", ClassOp::EndsWith) == V{"/api", "v2/api"});
  CHECK(search(g, "api", ClassOp::EndsWith) == "/api");
  CHECK(search_all(g, "api", ClassOp::Contains) == V{"/api", "/api/v2", "/apix", "v2/api", "x/api/y"});
  CHECK(search(g, "i/y", ClassOp::Contains) == "x/api/y");
  CHECK(search(g, "zz", ClassOp::Contains) == "<none>");
  CHECK(search_all(g, "", ClassOp::Contains).size() == 6);   // every key contains ""
  CHECK(search_all(g, "", ClassOp::StartsWith).size() == 6);
}

TEST_CASE("data-group index: ip groups answer equals with the most specific network", "[class]") {
  DataGroup g = group_of(DataGroupType::Ip, {"10.0.0.0/8", "10.1.0.0/16", "10.1.1.1/32", "2001:db8::/32",
                                             "2001:db8:1::/48", "0.0.0.0/0"});
  CHECK(g.index->supports(ClassOp::Equals));
  CHECK_FALSE(g.index->supports(ClassOp::StartsWith));
  CHECK(match(g, "10.1.1.1", ClassOp::Equals) == "10.1.1.1/32");
  CHECK(match(g, "10.1.2.3", ClassOp::Equals) == "10.1.0.0/16");
  CHECK(match(g, "10.200.0.1%3", ClassOp::Equals) == "10.0.0.0/8");
  CHECK(match(g, "::ffff:10.1.9.9", ClassOp::Equals) == "10.1.0.0/16");
  CHECK(match(g, "192.0.2.1", ClassOp::Equals) == "0.0.0.0/0");
  CHECK(match_all(g, "10.1.1.1", ClassOp::Equals) == V{"0.0.0.0/0", "10.0.0.0/8", "10.1.0.0/16", "10.1.1.1/32"});
  CHECK(match(g, "2001:db8:1:2::5", ClassOp::Equals) == "2001:db8:1::/48");
  CHECK(match(g, "2001:db8:2::5", ClassOp::Equals) == "2001:db8::/32");
  CHECK(match(g, "2001:db9::1", ClassOp::Equals) == "<none>");   // 0.0.0.0/0 holds IPv4 only
  CHECK(match(g, "10.1.0.0/16", ClassOp::Equals) == "10.1.0.0/16");
  CHECK(match(g, "10.0.0.0/7", ClassOp::Equals) == "0.0.0.0/0");
  CHECK(match(g, "not-an-ip", ClassOp::Equals) == "<none>");
  CHECK(match(g, "10.1.1.1", ClassOp::StartsWith) == "<none>");
  CHECK(search(g, "10.1.1.7", ClassOp::Equals) == "10.1.0.0/16");
  DataGroup empty = group_of(DataGroupType::Ip, {});
  CHECK(match(empty, "10.1.1.1", ClassOp::Equals) == "<none>");
}

TEST_CASE("data-group index: integer groups compare numbers for equals, decimal text otherwise", "[class]") {
  DataGroup g = group_of(DataGroupType::Integer, {"443", "80", "8080", "-5"});
  REQUIRE(names(g) == V{"-5", "80", "443", "8080"});
  CHECK(match(g, "443", ClassOp::Equals) == "443");
  CHECK(match(g, "0443", ClassOp::Equals) == "443");
  CHECK(match(g, "+80", ClassOp::Equals) == "80");
  CHECK(match(g, "-5", ClassOp::Equals) == "-5");
  CHECK(match(g, "44", ClassOp::Equals) == "<none>");
  CHECK(match(g, "http", ClassOp::Equals) == "<none>");
  CHECK(match(g, "80801", ClassOp::StartsWith) == "80");   // numeric order: 80 before 8080
  CHECK(match_all(g, "80801", ClassOp::StartsWith) == V{"80", "8080"});
  CHECK(search_all(g, "80", ClassOp::StartsWith) == V{"80", "8080"});
  CHECK(search(g, "44", ClassOp::Contains) == "443");
}

TEST_CASE("data-group index: every operator agrees with a brute force over random keys", "[class]") {
  std::mt19937 rng(20240611);
  auto random_string = [&](std::size_t max_len) {
    std::string s(1 + rng() % max_len, 'a');
    for (char& c : s) c = "abc/"[rng() % 4];
    return s;
  };
  for (int round = 0; round < 20; ++round) {
    std::vector<std::string> keys;
    for (int i = 0; i < 40; ++i) keys.push_back(random_string(5));
    std::sort(keys.begin(), keys.end());
    keys.erase(std::unique(keys.begin(), keys.end()), keys.end());
    DataGroup g = group_of(DataGroupType::String, keys);
    for (int q = 0; q < 50; ++q) {
      const std::string item = random_string(9);
      for (ClassOp op : {ClassOp::Equals, ClassOp::StartsWith, ClassOp::EndsWith, ClassOp::Contains}) {
        std::vector<uint32_t> want_match, want_search;
        for (uint32_t e = 0; e < g.records.size(); ++e) {
          const std::string& k = g.records[e].name;
          auto holds = [op](std::string_view a, std::string_view b) {   // a OP b
            switch (op) {
              case ClassOp::Equals: return a == b;
              case ClassOp::StartsWith: return a.substr(0, b.size()) == b;
              case ClassOp::EndsWith: return a.size() >= b.size() && a.substr(a.size() - b.size()) == b;
              case ClassOp::Contains: return a.find(b) != std::string_view::npos;
            }
            return false;
          };
          if (holds(item, k)) want_match.push_back(e);
          if (holds(k, item)) want_search.push_back(e);
        }
        INFO("item " << item << " op " << static_cast<int>(op));
        std::vector<uint32_t> got;
        uint32_t first = g.index->match(g, item, op, &got);
        CHECK(got == want_match);
        CHECK(first == (want_match.empty() ? kNoElement : want_match.front()));
        CHECK(g.index->match(g, item, op, nullptr) == first);
        first = g.index->search(g, item, op, &got);
        CHECK(got == want_search);
        CHECK(first == (want_search.empty() ? kNoElement : want_search.front()));
        CHECK(g.index->search(g, item, op, nullptr) == first);
      }
    }
  }
}

TEST_CASE("data-group index: ip lookups agree with a brute force", "[class]") {
  std::mt19937 rng(7);
  std::vector<std::string> keys;
  for (int i = 0; i < 60; ++i) {
    int len = static_cast<int>(rng() % 33);
    IpPrefix p;
    parse_ip_prefix("10." + std::to_string(rng() % 4) + "." + std::to_string(rng() % 4) + "." + std::to_string(rng() % 4),
                    false, &p);
    keys.push_back(format_ip_prefix(p.masked(96 + len)));
  }
  std::sort(keys.begin(), keys.end());
  keys.erase(std::unique(keys.begin(), keys.end()), keys.end());
  DataGroup g = group_of(DataGroupType::Ip, keys);
  for (int q = 0; q < 300; ++q) {
    std::string item = "10." + std::to_string(rng() % 4) + "." + std::to_string(rng() % 4) + "." + std::to_string(rng() % 4);
    IpPrefix a;
    REQUIRE(parse_ip_prefix(item, true, &a));
    std::vector<uint32_t> want;
    uint32_t longest = kNoElement;
    int longest_len = -1;
    for (uint32_t e = 0; e < g.records.size(); ++e) {
      IpPrefix k;
      REQUIRE(parse_ip_prefix(g.records[e].name, false, &k));
      if (a.masked(k.len) == k) {
        want.push_back(e);
        if (k.len > longest_len) longest_len = k.len, longest = e;
      }
    }
    INFO(item);
    std::vector<uint32_t> got;
    CHECK(g.index->match(g, item, ClassOp::Equals, &got) == longest);
    CHECK(got == want);
  }
}

TEST_CASE("data-group index: a big group builds its structures on first use, once, from several threads", "[class]") {
  std::vector<std::string> keys;
  for (int i = 0; i < 5000; ++i) keys.push_back("/app/" + std::to_string(i * 7919 % 100000) + "/page.html");
  DataGroup g = group_of(DataGroupType::String, keys);   // ~95 KiB of keys: past the eager limit
  const std::vector<std::string> items = {g.records[10].name, g.records[20].name + "?x", "/app/", "9/page", "nope",
                                          "x" + g.records[30].name};
  // Expected answers by brute force, in element order.
  auto expect = [&](const std::string& item, ClassOp op, bool search_side) {
    for (uint32_t e = 0; e < g.records.size(); ++e) {
      std::string_view a = item, b = g.records[e].name;
      if (search_side) std::swap(a, b);
      bool ok = op == ClassOp::StartsWith ? a.substr(0, b.size()) == b
                : op == ClassOp::EndsWith ? a.size() >= b.size() && a.substr(a.size() - b.size()) == b
                                          : a.find(b) != std::string_view::npos;
      if (ok) return e;
    }
    return kNoElement;
  };
  std::vector<uint32_t> want;
  for (const std::string& item : items) {
    for (ClassOp op : {ClassOp::StartsWith, ClassOp::EndsWith, ClassOp::Contains}) {
      want.push_back(expect(item, op, false));
      want.push_back(expect(item, op, true));
    }
  }
  REQUIRE(std::count(want.begin(), want.end(), kNoElement) < static_cast<long>(want.size()) - 12);
  std::vector<std::vector<uint32_t>> got(4);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (const std::string& item : items) {
        for (ClassOp op : {ClassOp::StartsWith, ClassOp::EndsWith, ClassOp::Contains}) {
          got[t].push_back(g.index->match(g, item, op, nullptr));
          got[t].push_back(g.index->search(g, item, op, nullptr));
        }
      }
    });
  }
  for (std::thread& t : threads) t.join();
  for (const auto& answers : got) CHECK(answers == want);
}
