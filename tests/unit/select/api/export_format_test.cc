#include "select/api/export_format.h"

#include <cmath>
#include <limits>

#include <catch2/catch.hpp>

namespace strata::select {
namespace {

Labels L(std::vector<Label> l) { return Labels::FromUnsorted(std::move(l)); }

std::string VmFloat(double v) {
  std::string out;
  AppendVmFloat(v, &out);
  return out;
}

TEST_CASE("export values are spelled as VictoriaMetrics' quicktemplate writes float64s", "[select][api][export]") {
  CHECK(VmFloat(3) == "3");
  CHECK(VmFloat(-42) == "-42");
  CHECK(VmFloat(-0.0) == "0");
  CHECK(VmFloat(0.5) == "0.5");
  CHECK(VmFloat(1e18) == "1000000000000000000");
  CHECK(VmFloat(1e21) == "1e+21");
  CHECK(VmFloat(1234567.5) == "1.2345675e+06");
  CHECK(VmFloat(1e-7) == "1e-07");
  CHECK(VmFloat(0.1) == "0.1");
  CHECK(VmFloat(std::numeric_limits<double>::infinity()) == "+Inf");
  CHECK(VmFloat(-std::numeric_limits<double>::infinity()) == "-Inf");
  CHECK(VmFloat(std::nan("")) == "NaN");
}

TEST_CASE("a series becomes one JSON line with labels, values and ms timestamps", "[select][api][export]") {
  promql::SeriesSamples s{L({{"__name__", "up"}, {"job", "a\"b"}}), {{1000, 1}, {2000, 0.25}, {3500, 7}}, {}};
  std::string out;
  AppendExportJsonLines(s, 0, &out);
  CHECK(out ==
        "{\"metric\":{\"__name__\":\"up\",\"job\":\"a\\\"b\"},\"values\":[1,0.25,7],"
        "\"timestamps\":[1000,2000,3500]}\n");
}

TEST_CASE("max_rows_per_line splits a long series over several lines", "[select][api][export]") {
  promql::SeriesSamples s{L({{"__name__", "x"}}), {{1, 1}, {2, 2}, {3, 3}, {4, 4}, {5, 5}}, {}};
  std::string out;
  AppendExportJsonLines(s, 2, &out);
  CHECK(out ==
        "{\"metric\":{\"__name__\":\"x\"},\"values\":[1,2],\"timestamps\":[1,2]}\n"
        "{\"metric\":{\"__name__\":\"x\"},\"values\":[3,4],\"timestamps\":[3,4]}\n"
        "{\"metric\":{\"__name__\":\"x\"},\"values\":[5],\"timestamps\":[5]}\n");
  std::string empty;
  AppendExportJsonLines(promql::SeriesSamples{L({{"__name__", "x"}}), {}, {}}, 0, &empty);
  CHECK(empty.empty());
}

TEST_CASE("CSV export writes the columns the format names, one row per sample", "[select][api][export]") {
  auto columns = ParseCsvFormat("__name__,__value__,__timestamp__:unix_s,job,__timestamp__:rfc3339,missing");
  REQUIRE(columns.ok());
  promql::SeriesSamples s{L({{"__name__", "up"}, {"job", "a,b"}}), {{1700000000123, 1.5}, {1700000060000, 2}}, {}};
  std::string out;
  AppendExportCsvRows(s, *columns, &out);
  CHECK(out ==
        "up,1.5,1700000000,\"a,b\",2023-11-14T22:13:20Z,\n"
        "up,2,1700000060,\"a,b\",2023-11-14T22:14:20Z,\n");
  CHECK(ParseCsvFormat("").status().code() == absl::StatusCode::kInvalidArgument);
  CHECK(ParseCsvFormat("__timestamp__:weird").status().code() == absl::StatusCode::kInvalidArgument);
  CHECK(ParseCsvFormat("__name__,,job").status().code() == absl::StatusCode::kInvalidArgument);
}

TEST_CASE("federation text groups series by metric name under untyped TYPE lines", "[select][api][federate]") {
  std::vector<FederatedSample> in;
  in.push_back({L({{"__name__", "up"}, {"job", "b"}, {"instance", "h:1"}}), {2000, 0}});
  in.push_back({L({{"__name__", "a_total"}, {"path", "x\"\\\ny"}}), {1500, 1e21}});
  in.push_back({L({{"__name__", "up"}, {"job", "a"}, {"instance", "h:1"}, {"empty", ""}}), {2000, 1}});
  in.push_back({L({{"job", "nameless"}}), {2000, 1}});
  CHECK(WriteFederateText(std::move(in)) ==
        "# TYPE a_total untyped\n"
        "a_total{path=\"x\\\"\\\\\\ny\",instance=\"\"} 1e+21 1500\n"
        "# TYPE up untyped\n"
        "up{instance=\"h:1\",job=\"a\"} 1 2000\n"
        "up{instance=\"h:1\",job=\"b\"} 0 2000\n");
  CHECK(WriteFederateText({}).empty());
}

}  // namespace
}  // namespace strata::select
