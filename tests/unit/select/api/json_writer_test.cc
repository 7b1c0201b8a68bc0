#include "select/api/json_writer.h"

#include <charconv>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <random>
#include <limits>

#include <catch2/catch.hpp>

namespace strata::select {
namespace {

std::string Float(double v) {
  std::string out;
  AppendPromFloat(v, &out);
  return out;
}

// Shortest round-trip digits in fixed notation, which is Go's 'f' with
// precision -1 wherever the integer part has at most 17 digits.
std::string FixedShortest(double v) {
  char buf[64];
  auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), v, std::chars_format::fixed);
  REQUIRE(ec == std::errc());
  return std::string(buf, end);
}

std::string Ts(int64_t ms) {
  std::string out;
  AppendPromTimestamp(ms, &out);
  return out;
}

std::string Str(std::string_view s) {
  std::string out;
  AppendJsonString(s, &out);
  return out;
}

Labels L(std::vector<Label> l) { return Labels::FromUnsorted(std::move(l)); }

TEST_CASE("sample values are formatted like Go's strconv as Prometheus writes them", "[select][api][json]") {
  struct Case {
    double v;
    const char* want;
  };
  const Case cases[] = {
      {1, "1"},
      {0.1, "0.1"},
      {-2.5, "-2.5"},
      {0, "0"},
      {-0.0, "-0"},
      {1e-7, "1e-07"},
      {1e-6, "0.000001"},
      {1.5e-10, "1.5e-10"},
      {1e21, "1e+21"},
      {1.2345e25, "1.2345e+25"},
      {1e20, "100000000000000000000"},
      // Below 1e21 Prometheus uses 'f': shortest digits, zero padded.
      {123456789012345680000.0, "123456789012345680000"},
      {0.30000000000000004, "0.30000000000000004"},
      {1234.5678, "1234.5678"},
      {std::numeric_limits<double>::quiet_NaN(), "NaN"},
      {std::numeric_limits<double>::infinity(), "+Inf"},
      {-std::numeric_limits<double>::infinity(), "-Inf"},
      {1.7976931348623157e308, "1.7976931348623157e+308"},
      {5e-324, "5e-324"},
      // Integers take a shortcut below 1e15; at and above it the general path.
      {123456789012345, "123456789012345"},
      {-42, "-42"},
      {999999999999999, "999999999999999"},
      {1e15, "1000000000000000"},
      {4503599627370497, "4503599627370497"},
      {9007199254740993.0, "9007199254740992"},
  };
  for (const Case& c : cases) {
    INFO(c.want);
    CHECK(Float(c.v) == c.want);
  }
}

TEST_CASE("sample values match the shortest fixed form over random integers and fractions", "[select][api][json]") {
  std::mt19937_64 rng(7);
  for (int i = 0; i < 200000; ++i) {
    double v;
    switch (i % 4) {
      case 0: v = static_cast<double>(static_cast<int64_t>(rng() % 1000000000000000ULL)); break;  // < 1e15
      case 1: v = -static_cast<double>(rng() % 100000); break;
      case 2: v = std::ldexp(static_cast<double>(rng() >> 11), -static_cast<int>(rng() % 60)); break;
      default: v = static_cast<double>(rng() % 10000000) / 1000.0; break;  // rates with 3 decimals
    }
    if (std::fabs(v) < 1e-6 || std::fabs(v) >= 1e15) continue;
    INFO(i);
    REQUIRE(Float(v) == FixedShortest(v));
  }
}

TEST_CASE("sample values over all magnitudes round-trip, in Go's exponent form below 1e-6 and from 1e21 up", "[select][api][json]") {
  std::mt19937_64 rng(11);
  for (int i = 0; i < 200000; ++i) {
    uint64_t bits = rng();
    double v;
    std::memcpy(&v, &bits, sizeof(v));
    if (!std::isfinite(v)) continue;
    INFO(i);
    const std::string got = Float(v);
    REQUIRE(std::strtod(got.c_str(), nullptr) == v);
    const double abs = std::fabs(v);
    if (abs != 0 && (abs < 1e-6 || abs >= 1e21)) {
      // C++'s shortest scientific form is Go's 'e' with precision -1.
      char buf[64];
      auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), v, std::chars_format::scientific);
      REQUIRE(got == std::string(buf, end));
    } else {
      REQUIRE(got.find('e') == std::string::npos);
    }
  }
}

TEST_CASE("timestamps are seconds with three millisecond digits only when needed", "[select][api][json]") {
  CHECK(Ts(1435781451781) == "1435781451.781");
  CHECK(Ts(1435781430050) == "1435781430.050");
  CHECK(Ts(1435781430005) == "1435781430.005");
  CHECK(Ts(1435781430000) == "1435781430");
  CHECK(Ts(0) == "0");
  CHECK(Ts(-1500) == "-1.500");
  CHECK(Ts(-1000) == "-1");
}

TEST_CASE("JSON strings are escaped like encoding/json with HTML escaping", "[select][api][json]") {
  CHECK(Str("plain") == "\"plain\"");
  CHECK(Str("a\"b\\c") == "\"a\\\"b\\\\c\"");
  CHECK(Str("\n\r\t") == "\"\\n\\r\\t\"");
  CHECK(Str(std::string_view("\x01\x1f", 2)) == "\"\\u0001\\u001f\"");
  CHECK(Str("\b\f") == "\"\\u0008\\u000c\"");
  CHECK(Str("<a&b>") == "\"\\u003ca\\u0026b\\u003e\"");
  CHECK(Str("caf\xc3\xa9") == "\"caf\xc3\xa9\"");
  CHECK(Str("\xff") == "\"\\ufffd\"");
  CHECK(Str("\xe2\x80\xa8") == "\"\\u2028\"");
  CHECK(Str("\xc0\x80") == "\"\\ufffd\\ufffd\"");  // overlong encoding
}

TEST_CASE("instant vector response has Prometheus's exact shape", "[select][api][json]") {
  promql::QueryResult r;
  r.type = promql::ValueType::kVector;
  r.series.push_back({L({{"job", "x"}, {"__name__", "up"}}), {{1435781451781, 1}}});
  std::string out;
  WriteQueryResponse(r, &out);
  CHECK(out ==
        R"({"status":"success","data":{"resultType":"vector","result":[{"metric":{"__name__":"up","job":"x"},"value":[1435781451.781,"1"]}]}})");
}

TEST_CASE("matrix response lists values per series", "[select][api][json]") {
  promql::QueryResult r;
  r.type = promql::ValueType::kMatrix;
  r.series.push_back({L({{"__name__", "up"}}), {{1000, 1}, {2000, 0.5}}});
  r.series.push_back({Labels(), {{1000, std::numeric_limits<double>::infinity()}}});
  std::string out;
  WriteQueryResponse(r, &out);
  CHECK(out ==
        R"({"status":"success","data":{"resultType":"matrix","result":[{"metric":{"__name__":"up"},"values":[[1,"1"],[2,"0.5"]]},{"metric":{},"values":[[1,"+Inf"]]}]}})");
}

TEST_CASE("a large matrix is written series by series in order, as a small one is", "[select][api][json]") {
  // Above 20000 points the series are formatted on several threads; the
  // bytes must be those of one series after another.
  promql::QueryResult big;
  big.type = promql::ValueType::kMatrix;
  std::string expected = R"({"status":"success","data":{"resultType":"matrix","result":[)";
  for (int s = 0; s < 40; ++s) {
    promql::SeriesResult series{L({{"__name__", "m"}, {"i", std::to_string(s)}}), {}};
    for (int k = 0; k < 1000; ++k) series.samples.push_back({k * 15000LL, s + k / 8.0});
    promql::QueryResult one;
    one.type = promql::ValueType::kMatrix;
    one.series.push_back(series);
    std::string alone;
    WriteQueryResponse(one, &alone);
    const std::string_view prefix = R"({"status":"success","data":{"resultType":"matrix","result":[)";
    const std::string_view body = std::string_view(alone).substr(prefix.size(), alone.size() - prefix.size() - 3);
    if (s > 0) expected += ',';
    expected += body;
    big.series.push_back(std::move(series));
  }
  expected += "]}}";
  std::string out;
  WriteQueryResponse(big, &out);
  CHECK(out == expected);
}

TEST_CASE("scalar, string and empty results are written as Prometheus does", "[select][api][json]") {
  promql::QueryResult r;
  r.type = promql::ValueType::kScalar;
  r.scalar = {1000, 2};
  std::string out;
  WriteQueryResponse(r, &out);
  CHECK(out == R"({"status":"success","data":{"resultType":"scalar","result":[1,"2"]}})");
  r.type = promql::ValueType::kString;
  r.string_value = "a\"b";
  out.clear();
  WriteQueryResponse(r, &out);
  CHECK(out == R"({"status":"success","data":{"resultType":"string","result":[1,"a\"b"]}})");
  r.type = promql::ValueType::kVector;
  out.clear();
  WriteQueryResponse(r, &out);
  CHECK(out == R"({"status":"success","data":{"resultType":"vector","result":[]}})");
}

TEST_CASE("partial results carry isPartial and warnings", "[select][api][json]") {
  promql::QueryResult r;
  r.type = promql::ValueType::kVector;
  r.partial = true;
  r.warnings = {"node a down", "node b down"};
  std::string out;
  WriteQueryResponse(r, &out);
  CHECK(out ==
        R"({"status":"success","isPartial":true,"data":{"resultType":"vector","result":[]},"warnings":["node a down","node b down"]})");
}

TEST_CASE("PromQL info annotations are answered in infos after the warnings", "[select][api][json]") {
  promql::QueryResult r;
  r.type = promql::ValueType::kVector;
  r.warnings = {"PromQL warning: sort is ineffective for range queries since results are always ordered by labels (1:1)"};
  r.infos = {"PromQL info: metric might not be a counter, name does not end in _total/_sum/_count/_bucket: \"m\" (1:6)"};
  std::string out;
  WriteQueryResponse(r, &out);
  CHECK(out ==
        R"json({"status":"success","data":{"resultType":"vector","result":[]},"warnings":["PromQL warning: sort is ineffective for range queries since results are always ordered by labels (1:1)"],"infos":["PromQL info: metric might not be a counter, name does not end in _total/_sum/_count/_bucket: \"m\" (1:6)"]})json");
}

TEST_CASE("error envelope names the error type and message", "[select][api][json]") {
  std::string out;
  WriteErrorResponse("bad_data", "1:5: parse error: unexpected \"}\"", &out);
  CHECK(out == R"({"status":"error","errorType":"bad_data","error":"1:5: parse error: unexpected \"}\""})");
}

}  // namespace
}  // namespace strata::select
