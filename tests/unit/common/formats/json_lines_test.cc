#include "common/formats/json_lines.h"

#include <cmath>
#include <limits>

#include <catch2/catch.hpp>

#include "unit/common/formats/collecting_sink.h"

namespace strata::formats {
namespace {

using testing::CollectingSink;

TEST_CASE("JSON lines yield one series per line with ms timestamps, as /api/v1/export writes them", "[formats][unit]") {
  JsonLinesParser parser;
  CollectingSink sink;
  parser.Parse(
      "{\"metric\":{\"__name__\":\"up\",\"job\":\"x\"},\"values\":[1,2.5],\"timestamps\":[1549891472010,1549891487724]}\n"
      "\r\n"
      "{\"timestamps\":[5],\"values\":[-3e2],\"metric\":{\"job\":\"y\",\"__name__\":\"up\"}}\r\n",
      sink);
  REQUIRE(sink.errors.empty());
  REQUIRE(sink.rows.size() == 2);
  CHECK(sink.rows[0].labels == "up{job=\"x\"}");
  REQUIRE(sink.rows[0].samples.size() == 2);
  CHECK(sink.rows[0].samples[0].timestamp_ms == 1549891472010);
  CHECK(sink.rows[0].samples[0].value == 1);
  CHECK(sink.rows[0].samples[1].timestamp_ms == 1549891487724);
  CHECK(sink.rows[0].samples[1].value == 2.5);
  CHECK(sink.rows[1].labels == "up{job=\"y\"}");
  CHECK(sink.rows[1].line == 3);
  CHECK(sink.rows[1].samples[0].value == -300);
}

TEST_CASE("JSON lines accept null and the special strings VictoriaMetrics accepts as values", "[formats][unit]") {
  JsonLinesParser parser;
  CollectingSink sink;
  parser.Parse(
      "{\"metric\":{\"__name__\":\"m\"},\"values\":[null,\"NaN\",\"Inf\",\"-Infinity\"],\"timestamps\":[1,2,3,4]}", sink);
  REQUIRE(sink.errors.empty());
  REQUIRE(sink.rows.size() == 1);
  const auto& s = sink.rows[0].samples;
  REQUIRE(s.size() == 4);
  CHECK(std::isnan(s[0].value));
  CHECK(std::isnan(s[1].value));
  CHECK(s[2].value == std::numeric_limits<double>::infinity());
  CHECK(s[3].value == -std::numeric_limits<double>::infinity());
}

TEST_CASE("JSON lines unescape label names and values", "[formats][unit]") {
  JsonLinesParser parser;
  CollectingSink sink;
  parser.Parse("{\"metric\":{\"__name__\":\"m\",\"p\\u0061th\":\"a\\\"b\\\\c\"},\"values\":[1],\"timestamps\":[1]}", sink);
  REQUIRE(sink.errors.empty());
  REQUIRE(sink.rows.size() == 1);
  CHECK(sink.rows[0].labels == "m{path=\"a\\\"b\\\\c\"}");
}

TEST_CASE("JSON lines report each bad line by number and keep parsing the rest", "[formats][unit]") {
  JsonLinesParser parser;
  CollectingSink sink;
  parser.Parse(
      "not json\n"
      "{\"values\":[1],\"timestamps\":[1]}\n"
      "{\"metric\":{\"__name__\":\"m\"},\"values\":[1,2],\"timestamps\":[1]}\n"
      "{\"metric\":{\"__name__\":\"m\"},\"values\":[\"abc\"],\"timestamps\":[1]}\n"
      "{\"metric\":{\"__name__\":\"m\"},\"values\":[1],\"timestamps\":[1.5]}\n"
      "{\"metric\":{\"__name__\":\"m\",\"a\":1},\"values\":[1],\"timestamps\":[1]}\n"
      "{\"metric\":{},\"values\":[1],\"timestamps\":[1]}\n"
      "{\"metric\":{\"__name__\":\"ok\"},\"values\":[7],\"timestamps\":[70]}\n"
      "{\"metric\":{\"__name__\":\"m\"},\"values\":[],\"timestamps\":[]}",
      sink);
  REQUIRE(sink.rows.size() == 1);
  CHECK(sink.rows[0].labels == "ok{}");
  CHECK(sink.rows[0].samples[0].timestamp_ms == 70);
  REQUIRE(sink.errors.size() == 8);
  CHECK(sink.errors[0].line == 1);
  CHECK(sink.errors[1].message.find("metric") != std::string::npos);
  CHECK(sink.errors[2].message.find("`timestamps` has 1 elements but `values` has 2") != std::string::npos);
  CHECK(sink.errors[3].message.find("unsupported string value \"abc\"") != std::string::npos);
  CHECK(sink.errors[4].message.find("timestamp at position 0") != std::string::npos);
  CHECK(sink.errors[5].message.find("label \"a\" must be a string") != std::string::npos);
  CHECK(sink.errors[6].message.find("no labels") != std::string::npos);
  CHECK(sink.errors[7].line == 9);
}

}  // namespace
}  // namespace strata::formats
