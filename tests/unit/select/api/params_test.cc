#include "select/api/params.h"

#include <catch2/catch.hpp>

#include "common/base/status.h"

namespace strata::select {
namespace {

FormParams Form(std::string_view query) {
  auto f = FormParams::ParseQueryString(query);
  REQUIRE(f.ok());
  return *std::move(f);
}

std::string RangeError(std::string_view query) {
  auto r = ParseRangeQueryParams(Form(query), 11000);
  REQUIRE_FALSE(r.ok());
  CHECK(r.status().code() == absl::StatusCode::kInvalidArgument);
  return std::string(ToStd(r.status().message()));
}

TEST_CASE("times parse as float seconds rounded to milliseconds", "[select][api][params]") {
  CHECK(*ParseTimeMs("1435781451.781") == 1435781451781);
  CHECK(*ParseTimeMs("1435781451") == 1435781451000);
  CHECK(*ParseTimeMs("1.0006") == 1001);  // rounded, not truncated
  CHECK(*ParseTimeMs("1.0004") == 1000);
  CHECK(*ParseTimeMs("1.9996") == 2000);  // the rounding carries into the seconds
  CHECK(*ParseTimeMs("-1.5") == -1500);
  CHECK(*ParseTimeMs("+10") == 10000);
  CHECK(*ParseTimeMs("1e3") == 1000000);
}

TEST_CASE("time and step floats follow Go's ParseFloat on hex and digit separators", "[select][api][params]") {
  CHECK(*ParseTimeMs("0x1p4") == 16000);
  CHECK_FALSE(ParseTimeMs("0x10").ok());  // a hex float needs its p exponent
  CHECK(*ParseTimeMs("1_000") == 1000000);
  CHECK(*ParseTimeMs("0x_1p4") == 16000);
  CHECK_FALSE(ParseTimeMs("1__0").ok());
  CHECK_FALSE(ParseTimeMs("_10").ok());
  CHECK_FALSE(ParseTimeMs("10_").ok());
  CHECK(*ParseDurationNs("1_0") == 10'000'000'000);
}

TEST_CASE("query parameters skip undecodable pairs as Go's FormValue does", "[select][api][params]") {
  HttpRequest r;
  r.method = "GET";
  r.query = "query=%zz&time=10&x=%4";
  FormParams f = ParseFormValues(r);
  CHECK(f.Get("query").empty());
  CHECK(f.Get("time") == "10");
  r.method = "POST";
  r.headers.emplace_back("content-type", "application/x-www-form-urlencoded");
  r.body = "time=%q&query=up";
  r.query = "time=20";
  f = ParseFormValues(r);
  CHECK(f.Get("query") == "up");
  CHECK(f.Get("time") == "20");
}

TEST_CASE("times parse as RFC3339 and RFC3339Nano", "[select][api][params]") {
  CHECK(*ParseTimeMs("2015-07-01T20:10:51.781Z") == 1435781451781);
  CHECK(*ParseTimeMs("2015-07-01T20:10:51Z") == 1435781451000);
  CHECK(*ParseTimeMs("2015-07-01T22:10:51.781123456+02:00") == 1435781451781);
  CHECK(*ParseTimeMs("1970-01-01T00:00:00Z") == 0);
  CHECK(*ParseTimeMs("2024-02-29T00:00:00Z") == 1709164800000);
  CHECK(ParseTimeMs("-292273086-05-16T16:47:06Z").ok());
  CHECK(ParseTimeMs("292277025-08-18T07:12:54.999999999Z").ok());
  CHECK(ParseTimeMs("2023-02-29T00:00:00Z").status().message() ==
        "cannot parse \"2023-02-29T00:00:00Z\" to a valid timestamp");
  CHECK(ParseTimeMs("2015-07-01 20:10:51Z").status().message() ==
        "cannot parse \"2015-07-01 20:10:51Z\" to a valid timestamp");
  CHECK(ParseTimeMs("now").status().message() == "cannot parse \"now\" to a valid timestamp");
  CHECK(ParseTimeMs("").status().message() == "cannot parse \"\" to a valid timestamp");
}

TEST_CASE("durations parse as float seconds or Prometheus durations", "[select][api][params]") {
  CHECK(*ParseDurationNs("15") == 15'000'000'000);
  CHECK(*ParseDurationNs("0.5") == 500'000'000);
  CHECK(*ParseDurationNs("1m30s") == 90'000'000'000);
  CHECK(*ParseDurationNs("1h") == 3'600'000'000'000);
  CHECK(ParseDurationNs("abc").status().message() == "cannot parse \"abc\" to a valid duration");
  CHECK(ParseDurationNs("1e300").status().message() ==
        "cannot parse \"1e300\" to a valid duration. It overflows int64");
}

// 9223372036.854775808 s is 2^63 ns: Go's time.ParseDuration-style check
// (d >= float64(MaxInt64)) rejects it; converting it to int64 was undefined
// behaviour.
TEST_CASE("durations of 2^63 ns or more in magnitude overflow as in Prometheus", "[select][api][params]") {
  CHECK(ParseDurationNs("9223372036.854775808").status().message() ==
        "cannot parse \"9223372036.854775808\" to a valid duration. It overflows int64");
  CHECK_FALSE(ParseDurationNs("-9223372036.854775808").ok());
  CHECK(*ParseDurationNs("9223372036.8547") == 9'223'372'036'854'700'032);
}

TEST_CASE("instant query parameters default time to now", "[select][api][params]") {
  auto p = ParseInstantQueryParams(Form("query=up"), 123456);
  REQUIRE(p.ok());
  CHECK(p->query == "up");
  CHECK(p->time_ms == 123456);
  p = ParseInstantQueryParams(Form("query=up&time=10&timeout=5s&lookback_delta=1m"), 0);
  REQUIRE(p.ok());
  CHECK(p->time_ms == 10000);
  CHECK(p->options.timeout == std::chrono::seconds(5));
  CHECK(p->options.lookback_delta_ms == 60000);
}

TEST_CASE("instant query parameter errors read like Prometheus", "[select][api][params]") {
  auto p = ParseInstantQueryParams(Form("query=up&time=abc"), 0);
  CHECK(p.status().message() ==
        "invalid parameter \"time\": Invalid time value for 'time': cannot parse \"abc\" to a valid timestamp");
  p = ParseInstantQueryParams(Form("query=up&timeout=x"), 0);
  CHECK(p.status().message() == "invalid parameter \"timeout\": cannot parse \"x\" to a valid duration");
  p = ParseInstantQueryParams(Form("query=up&lookback_delta=x"), 0);
  CHECK(p.status().message() == "error parsing lookback delta duration: cannot parse \"x\" to a valid duration");
}

TEST_CASE("range query parameters parse start, end and step", "[select][api][params]") {
  auto p = ParseRangeQueryParams(Form("query=up&start=2015-07-01T20:10:30.781Z&end=1435781451.781&step=15s"), 11000);
  REQUIRE(p.ok());
  CHECK(p->start_ms == 1435781430781);
  CHECK(p->end_ms == 1435781451781);
  CHECK(p->step_ms == 15000);
  p = ParseRangeQueryParams(Form("query=up&start=0&end=10&step=0.5"), 11000);
  REQUIRE(p.ok());
  CHECK(p->step_ms == 500);
}

TEST_CASE("range query parameter errors read like Prometheus", "[select][api][params]") {
  CHECK(RangeError("query=up&end=1&step=1") ==
        "invalid parameter \"start\": cannot parse \"\" to a valid timestamp");
  CHECK(RangeError("query=up&start=1&end=x&step=1") ==
        "invalid parameter \"end\": cannot parse \"x\" to a valid timestamp");
  CHECK(RangeError("query=up&start=10&end=1&step=1") ==
        "invalid parameter \"end\": end timestamp must not be before start time");
  CHECK(RangeError("query=up&start=1&end=10") == "invalid parameter \"step\": cannot parse \"\" to a valid duration");
  CHECK(RangeError("query=up&start=1&end=10&step=0") ==
        "invalid parameter \"step\": zero or negative query resolution step widths are not accepted. Try a positive "
        "integer");
  CHECK(RangeError("query=up&start=1&end=10&step=-1s") ==
        "invalid parameter \"step\": cannot parse \"-1s\" to a valid duration");
  CHECK(RangeError("query=up&start=1&end=10&step=-1") ==
        "invalid parameter \"step\": zero or negative query resolution step widths are not accepted. Try a positive "
        "integer");
  CHECK(RangeError("query=up&start=0&end=11001&step=1") ==
        "exceeded maximum resolution of 11,000 points per timeseries. Try decreasing the query resolution (?step=XX)");
  CHECK(ParseRangeQueryParams(Form("query=up&start=0&end=11000&step=1"), 11000).ok());
  CHECK(RangeError("query=up&start=0&end=10&step=1&timeout=zz") ==
        "invalid parameter \"timeout\": cannot parse \"zz\" to a valid duration");
}

}  // namespace
}  // namespace strata::select
