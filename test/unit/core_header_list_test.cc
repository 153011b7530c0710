#include <catch2/catch.hpp>

#include "core/header_list.h"

using irulesd::HeaderList;

TEST_CASE("header lookups ignore case and return the last occurrence", "[core][headers]") {
  HeaderList h;
  h.add("Host", "a.example");
  h.add("X-Tag", "one");
  h.add("x-tag", "two");
  REQUIRE(h.exists("HOST"));
  REQUIRE_FALSE(h.exists("Upgrade"));
  REQUIRE(*h.last_value("X-TAG") == "two");
  REQUIRE_FALSE(h.last_value("missing").has_value());
  REQUIRE(h.count("x-Tag") == 2);
  REQUIRE(h.values("X-Tag") == std::vector<std::string>{"one", "two"});
}

TEST_CASE("header order and duplicates are kept, names keep their spelling", "[core][headers]") {
  HeaderList h;
  h.add("B", "1");
  h.add("a", "2");
  h.add("B", "3");
  REQUIRE(h.names() == std::vector<std::string>{"B", "a", "B"});
  REQUIRE(h.items()[2].value == "3");
}

TEST_CASE("remove drops every occurrence and reports how many", "[core][headers]") {
  HeaderList h;
  h.add("Via", "x");
  h.add("Keep", "k");
  h.add("VIA", "y");
  h.clear_modified();
  REQUIRE(h.remove("via") == 2);
  REQUIRE(h.modified());
  REQUIRE(h.names() == std::vector<std::string>{"Keep"});
  h.clear_modified();
  REQUIRE(h.remove("absent") == 0);
  REQUIRE_FALSE(h.modified());
}

TEST_CASE("replace changes the last occurrence in place, or appends", "[core][headers]") {
  HeaderList h;
  h.add("A", "1");
  h.add("X", "old1");
  h.add("B", "2");
  h.add("x", "old2");
  h.replace("X", "new");
  REQUIRE(h.values("x") == std::vector<std::string>{"old1", "new"});
  REQUIRE(h.names() == std::vector<std::string>{"A", "X", "B", "x"});
  h.replace("Y", "appended");
  REQUIRE(h.names().back() == "Y");
}
