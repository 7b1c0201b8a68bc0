#include "common/formats/prometheus_text.h"

#include <cmath>
#include <limits>

#include <catch2/catch.hpp>

#include "unit/common/formats/collecting_sink.h"

namespace strata::formats {
namespace {

using testing::CollectingSink;

TEST_CASE("Prometheus text yields a sample per line, with the default timestamp when none is written", "[formats][unit]") {
  PrometheusTextParser parser;
  CollectingSink sink;
  parser.Parse(
      "# HELP http_requests_total The total number\\nof requests.\n"
      "# TYPE http_requests_total counter\n"
      "http_requests_total{method=\"post\",code=\"200\"} 1027 1395066363000\n"
      "  http_requests_total{ method = \"get\" , code=\"400\", } 3 \n"
      "up 1\n"
      "temp\t-Inf\n"
      "# a plain comment\n"
      "nan_metric NaN 1395066363001\n",
      {.default_timestamp_ms = 42}, sink);
  REQUIRE(sink.errors.empty());
  REQUIRE(sink.rows.size() == 5);
  CHECK(sink.rows[0].labels == "http_requests_total{code=\"200\", method=\"post\"}");
  CHECK(sink.rows[0].samples[0].timestamp_ms == 1395066363000);
  CHECK(sink.rows[0].samples[0].value == 1027);
  CHECK(sink.rows[1].labels == "http_requests_total{code=\"400\", method=\"get\"}");
  CHECK(sink.rows[1].samples[0].timestamp_ms == 42);
  CHECK(sink.rows[2].labels == "up{}");
  CHECK(sink.rows[2].samples[0].value == 1);
  CHECK(sink.rows[3].samples[0].value == -std::numeric_limits<double>::infinity());
  CHECK(std::isnan(sink.rows[4].samples[0].value));
  CHECK(sink.rows[4].line == 8);

  REQUIRE(sink.metadata.size() == 2);
  CHECK(sink.metadata[0].kind == MetadataLine::Kind::kHelp);
  CHECK(sink.metadata[0].family == "http_requests_total");
  CHECK(sink.metadata[0].text == "The total number\nof requests.");
  CHECK(sink.metadata[1].kind == MetadataLine::Kind::kType);
  CHECK(sink.metadata[1].type == MetricType::kCounter);
}

TEST_CASE("Prometheus text reads small timestamps as OpenMetrics seconds and drops exemplars", "[formats][unit]") {
  PrometheusTextParser parser;
  CollectingSink sink;
  parser.Parse(
      "# TYPE foo counter\n"
      "# UNIT foo seconds\n"
      "foo_total 17 1520879607.789 # {trace_id=\"KOO5S4vxi0o\"} 0.67\n"
      "# EOF\n",
      {}, sink);
  REQUIRE(sink.errors.empty());
  REQUIRE(sink.rows.size() == 1);
  CHECK(sink.rows[0].samples[0].timestamp_ms == 1520879607789);
  CHECK(sink.rows[0].samples[0].value == 17);
  REQUIRE(sink.metadata.size() == 2);
  CHECK(sink.metadata[1].kind == MetadataLine::Kind::kUnit);
  CHECK(sink.metadata[1].text == "seconds");
}

TEST_CASE("Prometheus text unescapes label values, and braces or hashes inside them are data", "[formats][unit]") {
  PrometheusTextParser parser;
  CollectingSink sink;
  parser.Parse("m{path=\"C:\\\\dir\",q=\"say \\\"hi\\\"\",nl=\"a\\nb\",x=\"{#}\"} 1 1000000000000\n", {}, sink);
  REQUIRE(sink.errors.empty());
  REQUIRE(sink.rows.size() == 1);
  CHECK(sink.rows[0].labels == "m{nl=\"a\\nb\", path=\"C:\\\\dir\", q=\"say \\\"hi\\\"\", x=\"{#}\"}");
}

TEST_CASE("Prometheus text reports each malformed line by number and keeps the good ones", "[formats][unit]") {
  PrometheusTextParser parser;
  CollectingSink sink;
  parser.Parse(
      "good 1 1000000000000\n"
      "novalue\n"
      "bad_value abc\n"
      "bad_ts 1 12x\n"
      "m{a=\"b\" 1\n"
      "m{a=b} 1\n"
      "m{a=\"unterminated} 1\n"
      "# TYPE x sometype\n"
      "{a=\"b\"} 1\n"
      "good 2 1000000001000\n",
      {}, sink);
  REQUIRE(sink.rows.size() == 2);
  CHECK(sink.rows[1].samples[0].value == 2);
  REQUIRE(sink.errors.size() == 8);
  CHECK(sink.errors[0].line == 2);
  CHECK(sink.errors[0].message == "missing value for metric \"novalue\"");
  CHECK(sink.errors[1].message == "cannot parse value \"abc\" of metric \"bad_value\"");
  CHECK(sink.errors[2].message == "cannot parse timestamp \"12x\" of metric \"bad_ts\"");
  CHECK(sink.errors[3].message.find("missing `,` or `}`") != std::string::npos);
  CHECK(sink.errors[4].message.find("quoted value") != std::string::npos);
  CHECK(sink.errors[5].message.find("closing quote") != std::string::npos);
  CHECK(sink.errors[6].message.find("unknown metric type \"sometype\"") != std::string::npos);
  CHECK(sink.errors[7].message == "missing metric name");
  CHECK(sink.errors[7].line == 9);
}

}  // namespace
}  // namespace strata::formats

namespace strata::formats {
namespace {

TEST_CASE("an empty label name is a parse error naming it, not a silently dropped label", "[formats][prometheus_text]") {
  PrometheusTextParser parser;
  testing::CollectingSink sink;
  parser.Parse("x{=\"v\"} 1 1000\ny{a=\"b\"} 2 1000\n", {}, sink);
  REQUIRE(sink.errors.size() == 1);
  CHECK(sink.errors[0].line == 1);
  CHECK(sink.errors[0].message == "empty label name before `=`");
  CHECK(sink.rows.size() == 1);
}

}  // namespace
}  // namespace strata::formats
