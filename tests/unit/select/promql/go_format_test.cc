#include "select/promql/go_format.h"

#include <cmath>
#include <limits>

#include <catch2/catch.hpp>

namespace strata::promql {
namespace {

TEST_CASE("floats print as Go's %g: exponent form outside 1e-4..1e6", "[promql][format]") {
  CHECK(GoFormatG(0.5) == "0.5");
  CHECK(GoFormatG(-1.1) == "-1.1");
  CHECK(GoFormatG(100000) == "100000");
  CHECK(GoFormatG(1e6) == "1e+06");
  CHECK(GoFormatG(1234567) == "1.234567e+06");
  CHECK(GoFormatG(0.0001) == "0.0001");
  CHECK(GoFormatG(-1.5e-7) == "-1.5e-07");
  CHECK(GoFormatG(9.223372036854776e18) == "9.223372036854776e+18");
  CHECK(GoFormatG(std::nan("")) == "NaN");
  CHECK(GoFormatG(-std::numeric_limits<double>::infinity()) == "-Inf");
}

TEST_CASE("floats print as strconv.FormatFloat 'f' -1 without exponent", "[promql][format]") {
  CHECK(GoFormatF(1e6) == "1000000");
  CHECK(GoFormatF(0.0001) == "0.0001");
  CHECK(GoFormatF(-2.5) == "-2.5");
  CHECK(GoFormatF(std::numeric_limits<double>::infinity()) == "+Inf");
}

TEST_CASE("strings quote as Go's strconv.Quote, invalid UTF-8 as byte escapes", "[promql][format]") {
  CHECK(GoQuote("plain") == "\"plain\"");
  CHECK(GoQuote("a\"b\\c\n") == "\"a\\\"b\\\\c\\n\"");
  CHECK(GoQuote("a\xc5z") == "\"a\\xc5z\"");
  CHECK(GoQuote("\x01") == "\"\\x01\"");
  CHECK(GoQuote("h\xc3\xa9") == "\"h\xc3\xa9\"");  // valid UTF-8 stays as it is
}

}  // namespace
}  // namespace strata::promql
