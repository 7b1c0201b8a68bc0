#include <catch2/catch.hpp>

#include "conformance/promql_conformance.h"

namespace strata::promql::conformance {
namespace {

// These cases use only selectors and literals, so they hold while the rest
// of the engine is being written; extra checks are off because they need
// the AST printer.
std::vector<CaseResult> Run(std::string_view script) {
  RunOptions options;
  options.extra_checks = false;
  return RunScript(script, options);
}

TEST_CASE("the runner passes a matching case and fails a wrong expectation", "[conformance][unit]") {
  auto r = Run(R"(load 1m
  m{a="x"} 1 2 3

eval instant at 2m m
  m{a="x"} 3

eval instant at 2m m
  m{a="x"} 4

eval instant at 2m m
)");
  REQUIRE(r.size() == 3);
  CHECK(r[0].outcome == Outcome::kPassed);
  CHECK(r[1].outcome == Outcome::kFailed);
  CHECK(r[1].reason.find("expected 4, got 3") != std::string::npos);
  CHECK(r[2].outcome == Outcome::kFailed);  // an empty block expects no series
  CHECK(r[2].reason.find("unexpected series") != std::string::npos);
}

TEST_CASE("the runner skips cases on native histogram series and never counts them as passed",
          "[conformance][unit]") {
  auto r = Run(R"(load 1m
  h {{schema:0 sum:1 count:1}}
  f 1

eval instant at 0 h
  h {{schema:0 sum:1 count:1}}

eval instant at 0 {__name__=~"h|f"}

eval instant at 0 f
  f 1

clear

eval instant at 0 h
)");
  REQUIRE(r.size() == 4);
  CHECK(r[0].outcome == Outcome::kSkipped);
  CHECK(r[0].reason == "native histogram");
  CHECK(r[1].outcome == Outcome::kSkipped);
  CHECK(r[2].outcome == Outcome::kPassed);
  CHECK(r[3].outcome == Outcome::kPassed);  // after clear, h is gone: empty result expected
}

TEST_CASE("expected failures match parse errors by message", "[conformance][unit]") {
  auto r = Run(R"(eval instant at 0 m{
  expect fail

eval instant at 0 m
  expect fail

eval instant at 0 m{
  expect fail regex: ^this will not match$
)");
  REQUIRE(r.size() == 3);
  CHECK(r[0].outcome == Outcome::kPassed);
  CHECK(r[1].outcome == Outcome::kFailed);
  CHECK(r[1].reason == "expected an error, got none");
  CHECK(r[2].outcome == Outcome::kFailed);
}

TEST_CASE("whole files on unsupported features are skipped with a reason", "[conformance][unit]") {
  CHECK(FileSkipReason("native_histograms.test") == "native histograms");
  CHECK(FileSkipReason("start_timestamps.test").empty());
  CHECK(FileSkipReason("fill-modifier.test").empty());
  CHECK(FileSkipReason("extended_vectors.test").empty());
  CHECK(FileSkipReason("type_and_unit.test").empty());
  CHECK(FileSkipReason("name_label_dropping.test").empty());
  CHECK(FileSkipReason("functions.test").empty());
}

TEST_CASE("failures are grouped into categories", "[conformance][unit]") {
  CHECK(FailureCategory("evaluation error: 1:1: unknown function \"foo\"") == "evaluation error: unknown function \"…\"");
  CHECK(FailureCategory("result: unexpected series {a=\"b\"} with value 3") == "result: unexpected series");
  CHECK(FailureCategory("[range mode] result: x{}: expected 1, got 2").starts_with("[range mode] result"));
}

}  // namespace
}  // namespace strata::promql::conformance

namespace strata::promql::conformance {
namespace {

TEST_CASE("the @ rewrite pins selectors and subqueries but not what is inside a subquery", "[conformance][unit]") {
  CHECK(AtModifierRewrite("rate(m[5m])", 100000) == "rate(m[5m] @ 100.000)");
  CHECK(AtModifierRewrite("m offset 1m", 100000) == "m @ 100.000 offset 1m");
  CHECK(AtModifierRewrite("m @ 50 + n", 100000) == "m @ 50.000 + n @ 100.000");
  CHECK(AtModifierRewrite("max_over_time(m[5m:1m])", 100000) == "max_over_time(m[5m:1m] @ 100.000)");
  CHECK(AtModifierRewrite("m @ start()", 2000) == "m @ 2.000");
  // Time-dependent functions are not rewritten.
  CHECK_FALSE(AtModifierRewrite("time() - m", 100000).has_value());
  CHECK_FALSE(AtModifierRewrite("hour(m)", 100000).has_value());
  CHECK_FALSE(AtModifierRewrite("m{", 100000).has_value());
}

}  // namespace
}  // namespace strata::promql::conformance

namespace strata::promql::conformance {
namespace {

TEST_CASE("histogram_fraction over classic buckets runs, over a native histogram it is skipped",
          "[conformance][unit]") {
  auto r = Run(R"(load_with_nhcb 1m
  h_bucket{le="1"} 1
  h_bucket{le="+Inf"} 2

eval instant at 0 histogram_fraction(0, 1, h_bucket)
  {} 0.5

eval instant at 0 histogram_fraction(0, 1, h)
  {} 0.5
)");
  REQUIRE(r.size() == 2);
  CHECK(r[0].outcome == Outcome::kPassed);
  CHECK(r[1].outcome == Outcome::kSkipped);
  CHECK(r[1].reason == "native histogram");
}

TEST_CASE("info and limit scripts run case by case", "[conformance][unit]") {
  CHECK(FileSkipReason("info.test").empty());
  CHECK(FileSkipReason("limit.test").empty());
}

}  // namespace
}  // namespace strata::promql::conformance
