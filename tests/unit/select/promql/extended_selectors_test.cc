// Tests of Prometheus's extended range selectors (`anchored`, `smoothed`;
// promql-extended-range-selectors) and of the type-and-unit metadata labels
// (`__type__`, `__unit__`; PROM-39) through the parser, printer and engine.
#include <cmath>
#include <string>

#include <catch2/catch.hpp>

#include "common/base/status.h"
#include "select/promql/ast_printer.h"
#include "select/promql/engine.h"
#include "select/promql/memory_querier.h"
#include "select/promql/parser.h"
#include "unit/select/promql/engine_test_util.h"

namespace strata::promql {
namespace {

constexpr int64_t kSecond = 1000;

Labels L(std::vector<Label> l) { return Labels::FromUnsorted(std::move(l)); }

ParseOptions Extended() {
  ParseOptions o;
  o.extended_range_selectors = true;
  return o;
}

EngineOptions ExtendedEngine() {
  EngineOptions o;
  o.extended_range_selectors = true;
  return o;
}

// The one value of an instant query with one output series.
double OnlyValue(const QueryResult& r) {
  REQUIRE(r.series.size() == 1);
  REQUIRE(r.series[0].samples.size() == 1);
  return r.series[0].samples[0].value;
}

// Prometheus's PROM-52 reference counter: 1,2,3,4,5 then (after a jump) 9..13
// every 15 s.
void LoadProm52(MemoryQuerier& q) {
  std::vector<Sample> s;
  for (int i = 0; i < 5; ++i) s.push_back({i * 15 * kSecond, 1.0 + i});
  for (int i = 0; i < 5; ++i) s.push_back({(5 + i) * 15 * kSecond, 9.0 + i});
  q.Add(L({{"__name__", "metric"}}), std::move(s));
}

TEST_CASE("anchored and smoothed modifiers parse only when enabled and round-trip through the printer",
          "[promql][parser][extended]") {
  auto e = ParseExpr("rate(foo[5m] anchored)", Extended());
  REQUIRE(e.ok());
  const auto* call = (*e)->As<Call>();
  REQUIRE(call != nullptr);
  const auto* ms = call->args[0]->As<MatrixSelector>();
  REQUIRE(ms != nullptr);
  CHECK(ms->selector.anchored);
  CHECK_FALSE(ms->selector.smoothed);
  CHECK(FormatExpr(**e) == "rate(foo[5m] anchored)");

  auto s = ParseExpr("increase(foo[5m] offset 1m smoothed)", Extended());
  REQUIRE(s.ok());
  CHECK(FormatExpr(**s) == "increase(foo[5m] offset 1m smoothed)");

  auto v = ParseExpr("foo @ 100 smoothed + 1", Extended());
  REQUIRE(v.ok());
  CHECK(FormatExpr(**v) == "foo @ 100.000 smoothed + 1");

  // Without the feature the words are no modifiers.
  CHECK_FALSE(ParseExpr("rate(foo[5m] anchored)").ok());
  // anchored has no meaning on an instant selector, neither modifier on a
  // subquery, and one selector takes one of them.
  CHECK_FALSE(ParseExpr("foo anchored", Extended()).ok());
  CHECK_FALSE(ParseExpr("rate(foo[5m:1m] smoothed)", Extended()).ok());
  CHECK_FALSE(ParseExpr("rate(foo[5m] anchored smoothed)", Extended()).ok());
}

TEST_CASE("anchored increase takes the last sample before the window and does not extrapolate",
          "[promql][engine][extended]") {
  MemoryQuerier q;
  LoadProm52(q);
  Engine engine(ExtendedEngine());
  // Plain increase extrapolates; anchored is the exact difference from the
  // sample at 60s (5) to the one at 120s (12).
  CHECK(OnlyValue(MustInstant(engine, q, "increase(metric[1m])", 125 * kSecond)) == Approx(4));
  CHECK(OnlyValue(MustInstant(engine, q, "increase(metric[1m] anchored)", 125 * kSecond)) == Approx(7));
  CHECK(OnlyValue(MustInstant(engine, q, "increase(metric[1m] anchored)", 20 * kSecond)) == Approx(1));
  // One sample and nothing before it: no increase.
  CHECK(OnlyValue(MustInstant(engine, q, "increase(metric[1m] anchored)", 5 * kSecond)) == Approx(0));
  CHECK(OnlyValue(MustInstant(engine, q, "rate(metric[1m] anchored)", 125 * kSecond)) == Approx(7.0 / 60));
}

TEST_CASE("smoothed increase interpolates the counter at both window boundaries", "[promql][engine][extended]") {
  MemoryQuerier q;
  LoadProm52(q);
  Engine engine(ExtendedEngine());
  // 6.333 at 65s (between 5 and 9) to 12.333 at 125s.
  CHECK(OnlyValue(MustInstant(engine, q, "increase(metric[1m] smoothed)", 125 * kSecond)) == Approx(6));
  CHECK(OnlyValue(MustInstant(engine, q, "increase(metric[1m] smoothed)", 5 * kSecond)) == Approx(1.0 / 3));
  CHECK(OnlyValue(MustInstant(engine, q, "delta(metric[1m] smoothed)", 125 * kSecond)) == Approx(6));
}

TEST_CASE("smoothed rate treats a counter reset between boundary samples as a restart from zero",
          "[promql][engine][extended]") {
  MemoryQuerier q;
  q.Add(L({{"__name__", "metric"}}), {{0, 100}, {15 * kSecond, 10}});
  Engine engine(ExtendedEngine());
  // Interpolating 0..10 over 0s..15s at 2s and 12s: 6.667 in 10s.
  CHECK(OnlyValue(MustInstant(engine, q, "rate(metric[10s] smoothed)", 12 * kSecond)) == Approx(2.0 / 3));
}

TEST_CASE("smoothed rate needs data inside the window, not only around it", "[promql][engine][extended]") {
  MemoryQuerier q;
  std::vector<Sample> s;
  for (int i = 1; i <= 5; ++i) s.push_back({i * 10 * kSecond, 4.0 + i});
  q.Add(L({{"__name__", "metric"}}), std::move(s));
  Engine engine(ExtendedEngine());
  CHECK(MustInstant(engine, q, "increase(metric[5s] smoothed)", 5 * kSecond).series.empty());
  CHECK(MustInstant(engine, q, "increase(metric[5s] smoothed)", 60 * kSecond).series.empty());
  CHECK(OnlyValue(MustInstant(engine, q, "increase(metric[10s] smoothed)", 15 * kSecond)) == Approx(0.5));
}

TEST_CASE("a smoothed window without samples inside still interpolates between its neighbours",
          "[promql][engine][extended]") {
  MemoryQuerier q;
  q.Add(L({{"__name__", "metric"}}), {{0, 1}, {60 * kSecond, 2}, {180 * kSecond, 4}});
  Engine engine(ExtendedEngine());
  CHECK(OnlyValue(MustInstant(engine, q, "increase(metric[1m] smoothed)", 120 * kSecond)) == Approx(1));
  // anchored windows stay left-open: the sample at 60s only anchors.
  CHECK(MustInstant(engine, q, "increase(metric[1m] anchored)", 120 * kSecond).series.empty());
}

TEST_CASE("anchored changes and resets count the step from the anchor sample", "[promql][engine][extended]") {
  MemoryQuerier q;
  std::vector<Sample> s;
  for (int i = 0; i <= 10; ++i) s.push_back({i * 60 * kSecond, 99.0 - i});
  q.Add(L({{"__name__", "metric"}}), std::move(s));
  Engine engine(ExtendedEngine());
  CHECK(OnlyValue(MustInstant(engine, q, "changes(metric[5m])", 330 * kSecond)) == 4);
  CHECK(OnlyValue(MustInstant(engine, q, "changes(metric[5m] anchored)", 330 * kSecond)) == 5);
  CHECK(OnlyValue(MustInstant(engine, q, "resets(metric[5m] anchored)", 330 * kSecond)) == 5);
  // The anchor must lie within the lookback delta before the window.
  CHECK(OnlyValue(MustInstant(engine, q, "changes(metric[5m] anchored)", 360 * kSecond)) == 5);
}

TEST_CASE("the extended modifiers are refused on functions that do not define them", "[promql][engine][extended]") {
  MemoryQuerier q;
  Engine engine(ExtendedEngine());
  auto run = [&](std::string_view query) {
    auto prepared = engine.NewInstantQuery(query, 60 * kSecond);
    REQUIRE(prepared.ok());
    return engine.Exec(*prepared, q).status();
  };
  absl::Status s = run("deriv(foo[3m] smoothed)");
  CHECK(absl::IsInvalidArgument(s));
  CHECK(ToStd(s.message()) == "smoothed modifier can only be used with: delta, increase, rate - not with deriv");
  s = run("max_over_time(foo[3m] anchored)");
  CHECK(ToStd(s.message()) ==
        "anchored modifier can only be used with: changes, delta, increase, rate, resets - not with max_over_time");
  CHECK(run("resets(foo[3m] anchored)").ok());
}

TEST_CASE("a smoothed instant selector interpolates between the samples around the evaluation time",
          "[promql][engine][extended]") {
  MemoryQuerier q;
  q.Add(L({{"__name__", "metric"}}), {{0, 1}, {10 * kSecond, 2}, {20 * kSecond, 3}});
  Engine engine(ExtendedEngine());
  QueryResult r = MustInstant(engine, q, "metric smoothed", 5 * kSecond);
  CHECK(OnlyValue(r) == Approx(1.5));
  CHECK(r.series[0].labels.MetricName() == "metric");  // like a plain selector, it keeps the name
  CHECK(OnlyValue(MustInstant(engine, q, "metric smoothed", 10 * kSecond)) == 2);
  // After the last sample the value carries on as without the modifier.
  CHECK(OnlyValue(MustInstant(engine, q, "metric smoothed", 25 * kSecond)) == 3);
  QueryResult range = MustRange(engine, q, "metric offset -5s smoothed", 0, 10 * kSecond, 5 * kSecond);
  REQUIRE(range.series.size() == 1);
  REQUIRE(range.series[0].samples.size() == 3);
  CHECK(range.series[0].samples[0].value == Approx(1.5));
  CHECK(range.series[0].samples[1].value == Approx(2));
  CHECK(range.series[0].samples[2].value == Approx(2.5));
}

TEST_CASE("an anchored range selector returns the window between synthetic boundary points",
          "[promql][engine][extended]") {
  MemoryQuerier q;
  q.Add(L({{"__name__", "metric"}}), {{0, 1}, {30 * kSecond, 2}, {90 * kSecond, 4}});
  Engine engine(ExtendedEngine());
  QueryResult r = MustInstant(engine, q, "metric[1m] anchored", 80 * kSecond);
  REQUIRE(r.series.size() == 1);
  const auto& s = r.series[0].samples;
  REQUIRE(s.size() == 3);
  CHECK(s[0].timestamp_ms == 20 * kSecond);
  CHECK(s[0].value == 1);  // the anchor's value at the window start
  CHECK(s[1].timestamp_ms == 30 * kSecond);
  CHECK(s[2].timestamp_ms == 80 * kSecond);
  CHECK(s[2].value == 2);
  QueryResult sm = MustInstant(engine, q, "metric[1m] smoothed", 80 * kSecond);
  REQUIRE(sm.series.size() == 1);
  REQUIRE(sm.series[0].samples.size() == 3);
  CHECK(sm.series[0].samples[0].value == Approx(1 + 20.0 / 30));
  CHECK(sm.series[0].samples[2].value == Approx(2 + 2 * 50.0 / 60));
}

TEST_CASE("operators that drop the metric name also drop __type__ and __unit__", "[promql][engine][extended]") {
  MemoryQuerier q;
  q.Add(L({{"__name__", "req_total"}, {"__type__", "counter"}, {"__unit__", "request"}, {"job", "a"}}),
        {{0, 1}, {60 * kSecond, 7}});
  for (bool delayed : {false, true}) {
    INFO("delayed name removal: " << delayed);
    EngineOptions options;
    options.delayed_name_removal = delayed;
    Engine engine(options);
    const int64_t t = 60 * kSecond;
    QueryResult plain = MustInstant(engine, q, "req_total", t);
    REQUIRE(plain.series.size() == 1);
    CHECK(plain.series[0].labels.Get("__type__") == "counter");  // a selector keeps them
    CHECK(plain.series[0].labels.Get("__unit__") == "request");
    for (std::string_view query : {"-req_total", "req_total * 2", "rate(req_total[5m])", "req_total + req_total"}) {
      INFO(query);
      QueryResult r = MustInstant(engine, q, query, t);
      REQUIRE(r.series.size() == 1);
      CHECK_FALSE(r.series[0].labels.Has("__name__"));
      CHECK_FALSE(r.series[0].labels.Has("__type__"));
      CHECK_FALSE(r.series[0].labels.Has("__unit__"));
    }
    // A filtering comparison keeps the name and so the metadata.
    QueryResult cmp = MustInstant(engine, q, "req_total > 1", t);
    REQUIRE(cmp.series.size() == 1);
    CHECK(cmp.series[0].labels.Get("__type__") == "counter");
  }
}

}  // namespace
}  // namespace strata::promql
