#include "common/formats/csv.h"

#include <catch2/catch.hpp>

#include "common/formats/go_time_layout.h"
#include "common/formats/parse_util.h"
#include "unit/common/formats/collecting_sink.h"

namespace strata::formats {
namespace {

using testing::CollectingSink;

TEST_CASE("CSV format parsing follows VictoriaMetrics' <column>:<type>:<context> rules", "[formats][unit]") {
  auto f = CsvFormat::Parse("2:metric:ask,3:metric:bid,1:label:ticker,4:label:market,5:time:unix_s");
  REQUIRE(f.ok());
  REQUIRE(f->columns.size() == 5);
  CHECK(f->columns[0].kind == CsvFormat::Kind::kLabel);
  CHECK(f->columns[1].name == "ask");
  CHECK(f->columns[4].time_format == CsvFormat::TimeFormat::kUnixS);

  auto sparse = CsvFormat::Parse("3:metric:x");
  REQUIRE(sparse.ok());
  CHECK(sparse->columns[0].kind == CsvFormat::Kind::kIgnore);

  CHECK(!CsvFormat::Parse("1:label:a").ok());                       // no metric column
  CHECK(!CsvFormat::Parse("0:metric:a").ok());                      // positions start at 1
  CHECK(!CsvFormat::Parse("1:metric:a,1:label:b").ok());            // a column twice
  CHECK(!CsvFormat::Parse("1:metric:a,2:time:unix_s,3:time:unix_ms").ok());
  CHECK(!CsvFormat::Parse("1:metric:a,2:time:weekly").ok());
  CHECK(!CsvFormat::Parse("1:metric").ok());
  CHECK(!CsvFormat::Parse("1:gauge:a").ok());
  CHECK(CsvFormat::Parse("1:metric:").status().message() == "format entry #1 \"1:metric:\": empty metric name");
}

TEST_CASE("CSV rows yield one series per metric column, sharing the row's labels and timestamp", "[formats][unit]") {
  auto f = CsvFormat::Parse("2:metric:ask,3:metric:bid,1:label:ticker,4:label:market,5:time:unix_s");
  REQUIRE(f.ok());
  CsvParser parser;
  CollectingSink sink;
  parser.Parse("GOOG,1.23,4.56,NYSE,1583865146\nMSFT,3.21,,\"NAS\"\"DAQ\",1583865147\r\n\n", *f, {}, sink);
  REQUIRE(sink.errors.empty());
  REQUIRE(sink.rows.size() == 3);
  CHECK(sink.rows[0].labels == "ask{market=\"NYSE\", ticker=\"GOOG\"}");
  CHECK(sink.rows[0].samples[0].timestamp_ms == 1583865146000);
  CHECK(sink.rows[0].samples[0].value == 1.23);
  CHECK(sink.rows[1].labels == "bid{market=\"NYSE\", ticker=\"GOOG\"}");
  CHECK(sink.rows[1].samples[0].value == 4.56);
  // The empty bid column of row 2 is no sample; the quoted field keeps its quote.
  CHECK(sink.rows[2].labels == "ask{market=\"NAS\\\"DAQ\", ticker=\"MSFT\"}");
  CHECK(sink.rows[2].samples[0].timestamp_ms == 1583865147000);
  CHECK(sink.rows[2].line == 2);
}

TEST_CASE("CSV time columns read unix_ms, unix_ns, rfc3339 and Go layouts; no time column means the default", "[formats][unit]") {
  CsvParser parser;
  auto run = [&](std::string_view format, std::string_view body) {
    auto f = CsvFormat::Parse(format);
    REQUIRE(f.ok());
    CollectingSink sink;
    parser.Parse(body, *f, {.default_timestamp_ms = 77}, sink);
    REQUIRE(sink.errors.empty());
    REQUIRE(sink.rows.size() == 1);
    return sink.rows[0].samples[0].timestamp_ms;
  };
  CHECK(run("1:metric:m,2:time:unix_ms", "1,1583865146123") == 1583865146123);
  CHECK(run("1:metric:m,2:time:unix_ns", "1,1583865146123456789") == 1583865146123);
  CHECK(run("1:metric:m,2:time:rfc3339", "1,2020-03-10T18:32:26.5+01:00") == 1583861546500);
  CHECK(run("1:metric:m,2:time:custom:2006-01-02 15:04:05", "1,2020-03-10 18:32:26") == 1583865146000);
  CHECK(run("1:metric:m,2:time:custom:02/Jan/2006:15:04:05 -0700", "1,10/Mar/2020:19:32:26 +0100") == 1583865146000);
  CHECK(run("1:metric:m,2:time:custom:Jan _2 3:04:05.000PM 2006", "1,Mar 10 6:32:26.250PM 2020") == 1583865146250);
  CHECK(run("1:metric:m", "1") == 77);
}

TEST_CASE("CSV reports bad rows by number and keeps the good ones", "[formats][unit]") {
  auto f = CsvFormat::Parse("1:metric:m,2:label:l,3:time:rfc3339");
  REQUIRE(f.ok());
  CsvParser parser;
  CollectingSink sink;
  parser.Parse(
      "x,a,2020-03-10T18:32:26Z\n"
      "1,a,yesterday\n"
      "\"1,a,2020-03-10T18:32:26Z\n"
      ",a,2020-03-10T18:32:26Z\n"
      "2,a,2020-03-10T18:32:27Z\n",
      *f, {}, sink);
  REQUIRE(sink.rows.size() == 1);
  CHECK(sink.rows[0].samples[0].value == 2);
  CHECK(sink.rows[0].line == 5);
  REQUIRE(sink.errors.size() == 4);
  CHECK(sink.errors[0].message == "column 1: cannot parse value \"x\" of metric \"m\"");
  CHECK(sink.errors[1].message.find("column 3: cannot parse \"yesterday\"") != std::string::npos);
  CHECK(sink.errors[2].message == "missing closing quote");
  CHECK(sink.errors[3].message == "the row has no metric value");
  CHECK(sink.errors[3].line == 4);
}

// Found by tests/fuzz/csv_fuzz.cc: `5e17` seconds is 5e20 ms, and converting
// that double to int64 was undefined behaviour.
TEST_CASE("CSV rejects a fractional Unix time that is out of range once scaled to ms", "[formats][unit]") {
  auto f = CsvFormat::Parse("1:time:unix_s,2:metric:m");
  REQUIRE(f.ok());
  CsvParser parser;
  CollectingSink sink;
  parser.Parse("5e17,1\n-5e17,2\n1.5e9,3\n", *f, {}, sink);
  REQUIRE(sink.rows.size() == 1);
  CHECK(sink.rows[0].samples[0].timestamp_ms == 1'500'000'000'000);
  REQUIRE(sink.errors.size() == 2);
  CHECK(sink.errors[0].line == 1);
  CHECK(sink.errors[0].message.find("\"5e17\" is too big") != std::string::npos);
  CHECK(sink.errors[1].line == 2);
}

TEST_CASE("RFC 3339 and Go layouts reject what does not match", "[formats][unit]") {
  CHECK(ParseRfc3339Ms("2020-03-10T18:32:26Z") == 1583865146000);
  CHECK(!ParseRfc3339Ms("2020-03-10T18:32:26").has_value());
  CHECK(!ParseRfc3339Ms("2020-13-10T18:32:26Z").has_value());
  CHECK(!ParseGoTime("2006-01-02", "2020-03-1x").ok());
  CHECK(!ParseGoTime("2006-01-02", "2020-03-10 extra").ok());
}

}  // namespace
}  // namespace strata::formats
