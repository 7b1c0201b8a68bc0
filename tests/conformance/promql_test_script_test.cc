#include <cmath>

#include <catch2/catch.hpp>

#include "common/model/sample.h"
#include "conformance/promql_test_script.h"

namespace strata::promql::conformance {
namespace {

std::vector<double> Floats(std::string_view text) {
  auto seq = ParseValueSequence(text);
  REQUIRE(seq.ok());
  std::vector<double> out;
  for (const SequenceValue& v : *seq) out.push_back(v.kind == SequenceValue::Kind::kOmitted ? -12345 : v.value);
  return out;
}

TEST_CASE("value sequences expand a+bxN to N+1 samples and _xN to N gaps", "[conformance][unit]") {
  CHECK(Floats("0+10x3") == std::vector<double>{0, 10, 20, 30});
  CHECK(Floats("5-2x2") == std::vector<double>{5, 3, 1});
  CHECK(Floats("-1-1x2") == std::vector<double>{-1, -2, -3});
  CHECK(Floats("7x2") == std::vector<double>{7, 7, 7});
  CHECK(Floats("1 _ 2 _x2 3") == std::vector<double>{1, -12345, 2, -12345, -12345, 3});
  CHECK(Floats("1e3 -2.5 .5 1E+2+1x1") == std::vector<double>{1000, -2.5, 0.5, 100, 101});
  // In series descriptions 0x10 is "0 times 10", not hexadecimal.
  CHECK(Floats("0+0x2") == std::vector<double>{0, 0, 0});
}

TEST_CASE("value sequences accept Inf, NaN and stale markers", "[conformance][unit]") {
  auto seq = ParseValueSequence("Inf -Inf +Inf NaN nan stale");
  REQUIRE(seq.ok());
  REQUIRE(seq->size() == 6);
  CHECK(std::isinf((*seq)[0].value));
  CHECK((*seq)[1].value < 0);
  CHECK((*seq)[2].value > 0);
  CHECK(std::isnan((*seq)[3].value));
  CHECK(std::isnan((*seq)[4].value));
  CHECK(IsStaleNaN((*seq)[5].value));
  CHECK_FALSE(IsStaleNaN((*seq)[3].value));
  CHECK_FALSE(ParseValueSequence("foo").ok());
  CHECK_FALSE(ParseValueSequence("1+2").ok());
}

TEST_CASE("value sequences accumulate the step like the upstream grammar", "[conformance][unit]") {
  auto seq = ParseValueSequence("0+0.1x3");
  REQUIRE(seq.ok());
  double acc = 0;
  for (int i = 0; i < 4; ++i) {
    CHECK((*seq)[static_cast<size_t>(i)].value == acc);  // bit-exact, not i * 0.1
    acc += 0.1;
  }
}

TEST_CASE("native histogram literals count as positions and are marked", "[conformance][unit]") {
  auto s = ParseSeriesDescription("h {{schema:0 sum:1 count:2 buckets:[1 1]}}x2 1 {{}}+{{sum:1}}x1");
  REQUIRE(s.ok());
  CHECK(s->has_histogram);
  REQUIRE(s->values.size() == 6);
  CHECK(s->values[0].kind == SequenceValue::Kind::kHistogram);
  CHECK(s->values[3].kind == SequenceValue::Kind::kFloat);
  CHECK(s->values[5].kind == SequenceValue::Kind::kHistogram);
}

TEST_CASE("numbers follow Go's ParseInt base 0 then ParseFloat", "[conformance][unit]") {
  CHECK(*ParseGoNumber("0x10") == 16);
  CHECK(*ParseGoNumber("010") == 8);
  CHECK(*ParseGoNumber("08") == 8);
  CHECK(*ParseGoNumber("1_000") == 1000);
  CHECK(*ParseGoNumber("-2.5e-1") == -0.25);
  CHECK(*ParseGoNumber("0x1p-2") == 0.25);
  CHECK(std::isinf(*ParseGoNumber("+Inf")));
  CHECK(std::isinf(*ParseGoNumber("infinity")));
  CHECK(std::isnan(*ParseGoNumber("NaN")));
  CHECK_FALSE(ParseGoNumber("1e").ok());
  CHECK_FALSE(ParseGoNumber("foo{} 1").ok());
  CHECK_FALSE(ParseGoNumber("1e999").ok());
}

TEST_CASE("durations use Prometheus syntax", "[conformance][unit]") {
  CHECK(*ParseDurationMs("0") == 0);
  CHECK(*ParseDurationMs("5m") == 300000);
  CHECK(*ParseDurationMs("1h30m") == 5400000);
  CHECK(*ParseDurationMs("10s53ms") == 10053);
  CHECK(*ParseDurationMs("1d") == 86400000);
  CHECK_FALSE(ParseDurationMs("30m1h").ok());
  CHECK_FALSE(ParseDurationMs("").ok());
  CHECK_FALSE(ParseDurationMs("-1m").ok());
}

TEST_CASE("series descriptions parse names, labels, escapes and quoted names", "[conformance][unit]") {
  auto s = ParseSeriesDescription(R"(http_requests{job="api", instance="0",} 1 2)");
  REQUIRE(s.ok());
  CHECK(s->labels.MetricName() == "http_requests");
  CHECK(s->labels.Get("job") == "api");
  CHECK(s->labels.size() == 3);
  CHECK(s->values.size() == 2);

  s = ParseSeriesDescription(R"({__name__="x", a="q\"\\\n\u00e9"} 1)");
  REQUIRE(s.ok());
  CHECK(s->labels.MetricName() == "x");
  CHECK(s->labels.Get("a") == "q\"\\\n\xc3\xa9");

  s = ParseSeriesDescription(R"({"my.metric", "label.name"='v'} 3)");
  REQUIRE(s.ok());
  CHECK(s->labels.MetricName() == "my.metric");
  CHECK(s->labels.Get("label.name") == "v");

  s = ParseSeriesDescription("{} 1000");
  REQUIRE(s.ok());
  CHECK(s->labels.empty());

  CHECK_FALSE(ParseSeriesDescription(R"(x{a="b" 1)").ok());
  CHECK_FALSE(ParseSeriesDescription(R"(x{a=b} 1)").ok());
}

TEST_CASE("scripts parse load, clear, eval and expect lines", "[conformance][unit]") {
  auto script = ParseScript(R"(# comment
load 5m
  m{a="1"} 0+1x3
  m{a="1"} 9
  other 1

eval instant at 10m sum(m)
  expect no_info
  expect warn msg: PromQL warning: something (1:1)
  {} 9

eval_ordered instant at 1m sort(m)
  m{a="1"} 1
  m{a="2"} 2

eval range from 0 to 10m step 5m m
  m{a="1"} 1 _ 3

eval instant at 0 1 + 1
  2

clear
eval_fail instant at 0 foo(
  expected_fail_message 1:5: parse error: unexpected end of input

eval instant at 1m m[1m]
  expect range vector from 10s to 1m step 10s
  m{a="1"} 1 2 3

eval instant at 0 "x"
  expect string "a b"
)");
  INFO(script.status().ToString());
  REQUIRE(script.ok());
  REQUIRE(script->commands.size() == 9);
  const auto& load = std::get<LoadCommand>(script->commands[0]);
  CHECK(load.interval_ms == 300000);
  REQUIRE(load.series.size() == 2);
  CHECK(load.series[0].values.size() == 1);  // the later line of the same series wins

  const auto& e1 = std::get<EvalCommand>(script->commands[1]);
  CHECK(e1.line == 7);
  CHECK(e1.expr == "sum(m)");
  CHECK(e1.eval_ms == 600000);
  REQUIRE(e1.expects.size() == 2);
  CHECK(e1.expects[1].Matches("PromQL warning: something (1:1)"));
  CHECK_FALSE(e1.expects[1].Matches("PromQL warning: something (1:2)"));
  REQUIRE(e1.expected.size() == 1);
  CHECK(e1.expected[0].pos == 1);  // expect lines do not count as positions

  const auto& e2 = std::get<EvalCommand>(script->commands[2]);
  CHECK(e2.IsOrdered());
  CHECK(e2.expected[1].pos == 2);

  const auto& e3 = std::get<EvalCommand>(script->commands[3]);
  CHECK(e3.is_range);
  CHECK(e3.step_ms == 300000);
  CHECK(e3.expected[0].values[1].kind == SequenceValue::Kind::kOmitted);

  const auto& e4 = std::get<EvalCommand>(script->commands[4]);
  CHECK(e4.expect_scalar);
  CHECK(e4.expected_scalar.value == 2);

  CHECK(std::holds_alternative<ClearCommand>(script->commands[5]));
  const auto& e6 = std::get<EvalCommand>(script->commands[6]);
  CHECK(e6.IsFail());
  CHECK(*e6.expected_fail_message == "1:5: parse error: unexpected end of input");

  const auto& e7 = std::get<EvalCommand>(script->commands[7]);
  CHECK(e7.expect_range_vector);
  CHECK(e7.exclude_from_range_query);
  CHECK(e7.start_ms == 10000);
  CHECK(e7.eval_ms == 60000);

  const auto& e8 = std::get<EvalCommand>(script->commands[8]);
  CHECK(*e8.expected_string == "a b");
}

TEST_CASE("malformed scripts are rejected with the line", "[conformance][unit]") {
  auto s = ParseScript("load 5m\n  m 1\n\nbogus\n");
  REQUIRE_FALSE(s.ok());
  CHECK(std::string(s.status().message()).find("line 4") != std::string::npos);
  // Several values for an instant query need `expect range vector`.
  CHECK_FALSE(ParseScript("eval instant at 0 m\n  m 1 2\n").ok());
  CHECK_FALSE(ParseScript("eval instant at 0 m\n  expect warn\n  expect no_warn\n").ok());
  CHECK_FALSE(ParseScript("eval_ordered range from 0 to 1m step 1m m\n").ok());
}

}  // namespace
}  // namespace strata::promql::conformance

namespace strata::promql::conformance {
namespace {

std::vector<int64_t> Offsets(std::string_view text) {
  auto seq = ParseStartOffsetSequence(text);
  INFO(seq.status().ToString());
  REQUIRE(seq.ok());
  std::vector<int64_t> out;
  for (const std::optional<int64_t>& v : *seq) out.push_back(v.value_or(-12345));
  return out;
}

TEST_CASE("start timestamp offsets expand signed durations, repeats and steps", "[conformance][unit]") {
  CHECK(Offsets("_ _x2 -30s 0 +1m 1ms -0ms") == std::vector<int64_t>{-12345, -12345, -12345, -30000, 0, 60000, 1, 0});
  CHECK(Offsets("-59999msx2") == std::vector<int64_t>{-59999, -59999, -59999});
  CHECK(Offsets("-30s-1mx2") == std::vector<int64_t>{-30000, -90000, -150000});
  CHECK(Offsets("0-1mx1 1ms+1sx1") == std::vector<int64_t>{0, -60000, 1, 1001});
  CHECK_FALSE(ParseStartOffsetSequence("-30s-1m").ok());  // a step needs xN
  CHECK_FALSE(ParseStartOffsetSequence("abc").ok());
}

TEST_CASE("an @st line gives the start timestamps of the series line after it", "[conformance][unit]") {
  auto script = ParseScript("load 1m\n"
                            "    c{type=\"a b\"}@st _ -30s\n"
                            "    c{type=\"a b\"}    1 2\n"
                            "    d               3\n");
  INFO(script.status().ToString());
  REQUIRE(script.ok());
  const auto& load = std::get<LoadCommand>(script->commands[0]);
  REQUIRE(load.series.size() == 2);
  CHECK(load.series[0].labels.Get("type") == "a b");
  REQUIRE(load.series[0].start_offsets.size() == 2);
  CHECK_FALSE(load.series[0].start_offsets[0].has_value());
  CHECK(load.series[0].start_offsets[1] == -30000);
  CHECK(load.series[1].start_offsets.empty());
  // The @st line must come right before its series.
  CHECK_FALSE(ParseScript("load 1m\n    c@st -1m\n    d 1\n").ok());
  CHECK_FALSE(ParseScript("load 1m\n    c@st -1m\n").ok());
}

}  // namespace
}  // namespace strata::promql::conformance
