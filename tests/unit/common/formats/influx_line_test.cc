#include "common/formats/influx_line.h"

#include <catch2/catch.hpp>

#include "unit/common/formats/collecting_sink.h"

namespace strata::formats {
namespace {

using testing::CollectingSink;

TEST_CASE("Influx lines yield one series per field named measurement_field, with the db label", "[formats][unit]") {
  InfluxLineParser parser;
  CollectingSink sink;
  parser.Parse(
      "cpu,host=a,region=eu usage_user=1.5,usage_system=2i,up=true 1700000000123456789\n"
      "# comment\n"
      "mem,host=b,db=own free=3u\n",
      {.default_timestamp_ms = 99, .db = "telegraf"}, sink);
  REQUIRE(sink.errors.empty());
  REQUIRE(sink.rows.size() == 4);
  CHECK(sink.rows[0].labels == "cpu_usage_user{db=\"telegraf\", host=\"a\", region=\"eu\"}");
  CHECK(sink.rows[0].samples[0].timestamp_ms == 1700000000123);
  CHECK(sink.rows[0].samples[0].value == 1.5);
  CHECK(sink.rows[1].labels == "cpu_usage_system{db=\"telegraf\", host=\"a\", region=\"eu\"}");
  CHECK(sink.rows[1].samples[0].value == 2);
  CHECK(sink.rows[2].labels == "cpu_up{db=\"telegraf\", host=\"a\", region=\"eu\"}");
  CHECK(sink.rows[2].samples[0].value == 1);
  // A db tag wins over the db argument; no timestamp means the default.
  CHECK(sink.rows[3].labels == "mem_free{db=\"own\", host=\"b\"}");
  CHECK(sink.rows[3].samples[0].timestamp_ms == 99);
  CHECK(sink.rows[3].line == 3);
}

TEST_CASE("Influx precision scales timestamps to milliseconds", "[formats][unit]") {
  auto ts = [](std::string_view precision, std::string_view line) {
    InfluxLineParser parser;
    CollectingSink sink;
    auto p = ParseInfluxPrecision(precision);
    REQUIRE(p.has_value());
    InfluxOptions options;
    options.precision = *p;
    parser.Parse(line, options, sink);
    REQUIRE(sink.rows.size() == 1);
    return sink.rows[0].samples[0].timestamp_ms;
  };
  CHECK(ts("ns", "m v=1 1700000000123456789") == 1700000000123);
  CHECK(ts("us", "m v=1 1700000000123456") == 1700000000123);
  CHECK(ts("ms", "m v=1 1700000000123") == 1700000000123);
  CHECK(ts("s", "m v=1 1700000000") == 1700000000000);
  CHECK(ts("m", "m v=1 2") == 120000);
  CHECK(ts("h", "m v=1 2") == 7200000);
  CHECK(!ParseInfluxPrecision("d").has_value());
}

TEST_CASE("Influx escapes and quoted strings are read; non-numeric strings are skipped and reported", "[formats][unit]") {
  InfluxLineParser parser;
  CollectingSink sink;
  parser.Parse(
      "my\\ meas,tag\\,k=v\\ 1\\=x f\\=1=1,msg=\"hello, world \\\"x\\\"\",num=\"42\" 1000000000\n",
      {}, sink);
  REQUIRE(sink.errors.empty());
  REQUIRE(sink.rows.size() == 2);
  CHECK(sink.rows[0].labels == "my meas_f=1{tag,k=\"v 1=x\"}");
  CHECK(sink.rows[0].samples[0].timestamp_ms == 1000);
  CHECK(sink.rows[1].labels == "my meas_num{tag,k=\"v 1=x\"}");
  CHECK(sink.rows[1].samples[0].value == 42);
  REQUIRE(sink.skipped.size() == 1);
  CHECK(sink.skipped[0] == "1:non_numeric_field");
}

TEST_CASE("Influx lines with an empty measurement use the field name; malformed lines are reported", "[formats][unit]") {
  InfluxLineParser parser;
  CollectingSink sink;
  parser.Parse(
      ",host=a load=0.5\n"
      "nofields\n"
      "m v=abc\n"
      "m v=1 notatime\n"
      "m,tagonly v=1\n"
      "m v=\"open\n"
      "m =1\n"
      "m v=1.5i\n",
      {}, sink);
  REQUIRE(sink.rows.size() == 1);
  CHECK(sink.rows[0].labels == "load{host=\"a\"}");
  REQUIRE(sink.errors.size() == 7);
  CHECK(sink.errors[0].line == 2);
  CHECK(sink.errors[0].message == "missing fields after the measurement");
  CHECK(sink.errors[1].message == "cannot parse value \"abc\" of field \"v\"");
  CHECK(sink.errors[2].message == "cannot parse timestamp \"notatime\"");
  CHECK(sink.errors[3].message == "missing `=` in tag \"tagonly\"");
  CHECK(sink.errors[4].message.find("closing quote") != std::string::npos);
  CHECK(sink.errors[5].message == "empty field name");
  CHECK(sink.errors[6].message == "cannot parse integer \"1.5i\" of field \"v\"");
}

}  // namespace
}  // namespace strata::formats
