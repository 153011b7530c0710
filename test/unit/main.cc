// The one Catch2 runner for every unit test (test/unit/*_test.cc).
#define CATCH_CONFIG_MAIN
#include <catch2/catch.hpp>
