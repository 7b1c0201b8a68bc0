// Start ("created") timestamps through the engine: MemoryQuerier keeps them,
// matrix selectors hand them to rate, increase, irate and resets, subqueries
// and other expressions drop them, and start_timestamp() reads them
// (Prometheus 3 promql/functions.go, start_timestamps.test).
#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "select/promql/engine.h"
#include "select/promql/memory_querier.h"
#include "unit/select/promql/engine_test_util.h"

namespace strata::promql {
namespace {

constexpr int64_t kSec = 1000;
constexpr int64_t kMin = 60 * kSec;

Labels L(std::vector<Label> l) { return Labels::FromUnsorted(std::move(l)); }

EngineOptions Options() {
  EngineOptions o;
  o.experimental_functions = true;
  return o;
}

// The one value of an instant query's result series with label `type`.
double ValueOf(const QueryResult& r, std::string_view type) {
  for (const SeriesResult& s : r.series) {
    if (s.labels.Get("type") == type) {
      REQUIRE(s.samples.size() == 1);
      return s.samples[0].value;
    }
  }
  FAIL("no series with type " << type);
  return 0;
}

bool Has(const QueryResult& r, std::string_view type) {
  for (const SeriesResult& s : r.series) {
    if (s.labels.Get("type") == type) return true;
  }
  return false;
}

// A counter that starts at 90 s, rises to 6 by 110 s, restarts at 115 s
// (its start timestamp says so; the value does not drop) and reads 7 at
// 120 s; and the same values without start timestamps.
MemoryQuerier RestartedCounter() {
  MemoryQuerier q;
  q.Add(L({{"__name__", "requests_total"}, {"type", "st"}}), {{100 * kSec, 4}, {110 * kSec, 6}, {120 * kSec, 7}},
        {90 * kSec, 90 * kSec, 115 * kSec});
  q.Add(L({{"__name__", "requests_total"}, {"type", "no_st"}}), {{100 * kSec, 4}, {110 * kSec, 6}, {120 * kSec, 7}});
  return q;
}

TEST_CASE("increase counts a start timestamp after the previous sample as a counter reset and starts at the first "
          "start timestamp",
          "[select][promql][start_timestamps]") {
  MemoryQuerier q = RestartedCounter();
  Engine engine(Options());
  // Window (85 s, 120 s]: 6 before the restart plus 7 after it, with the
  // first start timestamp (90 s) as the zero point instead of extrapolation.
  QueryResult r = MustInstant(engine, q, "increase(requests_total[35s])", 120 * kSec);
  CHECK(ValueOf(r, "st") == 13);
  // Without start timestamps: 7 - 4, extrapolated by half an interval (5 s)
  // to the left over the 20 s sampled.
  CHECK(ValueOf(r, "no_st") == Approx(3.75));

  r = MustInstant(engine, q, "rate(requests_total[35s])", 120 * kSec);
  CHECK(ValueOf(r, "st") == Approx(13.0 / 35));
  CHECK(ValueOf(r, "no_st") == Approx(3.75 / 35));
  CHECK(r.warnings.empty());
}

TEST_CASE("irate and resets see a reset that only the start timestamp shows", "[select][promql][start_timestamps]") {
  MemoryQuerier q = RestartedCounter();
  Engine engine(Options());
  QueryResult r = MustInstant(engine, q, "irate(requests_total[35s])", 120 * kSec);
  CHECK(ValueOf(r, "st") == Approx(0.7));  // 7 since the restart, over 10 s
  CHECK(ValueOf(r, "no_st") == Approx(0.1));
  r = MustInstant(engine, q, "resets(requests_total[35s])", 120 * kSec);
  CHECK(ValueOf(r, "st") == 1);
  CHECK(ValueOf(r, "no_st") == 0);
  // delta and idelta are for gauges: start timestamps change nothing.
  r = MustInstant(engine, q, "idelta(requests_total[35s])", 120 * kSec);
  CHECK(ValueOf(r, "st") == 1);
}

TEST_CASE("a start timestamp at or outside the window start is not a zero point",
          "[select][promql][start_timestamps]") {
  MemoryQuerier q;
  // One sample each at 4 m with value 3 and its start 150 s, 180 s or
  // unknown; the window of increase(x[5m]) at 6 m is (1 m, 6 m].
  q.Add(L({{"__name__", "x"}, {"type", "inside"}}), {{4 * kMin, 3}}, {4 * kMin - 150 * kSec});
  q.Add(L({{"__name__", "x"}, {"type", "at_start"}}), {{4 * kMin, 3}}, {4 * kMin - 180 * kSec});
  q.Add(L({{"__name__", "x"}, {"type", "none"}}), {{4 * kMin, 3}});
  Engine engine(Options());
  QueryResult r = MustInstant(engine, q, "increase(x[5m])", 6 * kMin);
  CHECK(ValueOf(r, "inside") == 3);  // one sample is enough from a zero point
  CHECK_FALSE(Has(r, "at_start"));   // the window start is exclusive
  CHECK_FALSE(Has(r, "none"));
  r = MustInstant(engine, q, "rate(x[5m])", 6 * kMin);
  CHECK(ValueOf(r, "inside") == Approx(0.01));
}

TEST_CASE("a start timestamp on the previous sample is a reset only for delta samples",
          "[select][promql][start_timestamps]") {
  MemoryQuerier q;
  const std::vector<Sample> ones = {{2 * kMin, 1}, {3 * kMin, 1}};
  // Delta samples: each starts where the previous one ended.
  q.Add(L({{"__name__", "s"}, {"type", "delta"}}), ones, {1 * kMin, 2 * kMin});
  // Cumulative with unknown start (OpenTelemetry): first start unknown or
  // equal to its own time, then pointing at the previous sample.
  q.Add(L({{"__name__", "s"}, {"type", "unknown_start_0"}}), ones, {0, 2 * kMin});
  q.Add(L({{"__name__", "s"}, {"type", "unknown_start_t"}}), ones, {2 * kMin, 2 * kMin});
  // An invalid previous start (after its sample) must not look like a delta.
  q.Add(L({{"__name__", "s"}, {"type", "invalid_prev"}}), ones, {3 * kMin, 2 * kMin});
  Engine engine(Options());
  QueryResult r = MustInstant(engine, q, "resets(s[1m1ms])", 3 * kMin);
  CHECK(ValueOf(r, "delta") == 1);
  CHECK(ValueOf(r, "unknown_start_0") == 0);
  CHECK(ValueOf(r, "unknown_start_t") == 0);
  CHECK(ValueOf(r, "invalid_prev") == 0);
  r = MustInstant(engine, q, "round(increase(s[1m1ms]))", 3 * kMin);
  CHECK(ValueOf(r, "delta") == 1);
  CHECK(ValueOf(r, "unknown_start_0") == 0);
}

TEST_CASE("rate warns once when a start timestamp overlaps the previous sample", "[select][promql][start_timestamps]") {
  MemoryQuerier q;
  const std::vector<Sample> samples = {{2 * kMin, 60}, {3 * kMin, 120}, {4 * kMin, 180}};
  q.Add(L({{"__name__", "counter_total"}, {"type", "cumulative"}}), samples, {90 * kSec, 90 * kSec, 90 * kSec});
  q.Add(L({{"__name__", "counter_total"}, {"type", "overlap"}}), samples, {0, 1 * kMin, 2 * kMin});
  Engine engine(Options());
  QueryResult r = MustInstant(engine, q, "rate(counter_total{type=\"cumulative\"}[3m])", 4 * kMin);
  CHECK(r.warnings.empty());
  r = MustInstant(engine, q, "rate(counter_total[3m])", 4 * kMin);
  CHECK(r.warnings == std::vector<std::string>{"PromQL warning: sample has start time that overlaps with previous "
                                               "sample timestamp for metric \"counter_total\" (1:6)"});
}

TEST_CASE("subqueries drop start timestamps", "[select][promql][start_timestamps]") {
  MemoryQuerier q = RestartedCounter();
  Engine engine(Options());
  QueryResult r = MustInstant(engine, q, "resets(requests_total{type=\"st\"}[35s:10s])", 120 * kSec);
  REQUIRE(r.series.size() == 1);
  CHECK(r.series[0].samples[0].value == 0);
}

TEST_CASE("start_timestamp returns the start timestamp of the selected sample in seconds",
          "[select][promql][start_timestamps]") {
  MemoryQuerier q = RestartedCounter();
  Engine engine(Options());
  QueryResult r = MustRange(engine, q, "start_timestamp(requests_total)", 100 * kSec, 120 * kSec, 5 * kSec);
  REQUIRE(r.series.size() == 2);
  // Sorted by labels: no_st before st; the name is dropped.
  CHECK_FALSE(r.series[0].labels.Has("__name__"));
  CHECK(r.series[0].labels.Get("type") == "no_st");
  for (const Sample& s : r.series[0].samples) CHECK(s.value == 0);  // unknown
  REQUIRE(r.series[1].samples.size() == 5);
  const std::vector<double> want = {90, 90, 90, 90, 115};
  for (size_t i = 0; i < want.size(); ++i) {
    CHECK(r.series[1].samples[i].timestamp_ms == 100 * kSec + static_cast<int64_t>(i) * 5 * kSec);
    CHECK(r.series[1].samples[i].value == want[i]);
  }
  // Of an expression there are none, so there is no result.
  r = MustInstant(engine, q, "start_timestamp(requests_total * 1)", 120 * kSec);
  CHECK(r.series.empty());
}

TEST_CASE("start_timestamp is an experimental function", "[select][promql][start_timestamps]") {
  Engine engine;  // experimental functions off
  CHECK_FALSE(engine.NewInstantQuery("start_timestamp(x)", 0).ok());
}

TEST_CASE("memory querier keeps start timestamps aligned with their samples", "[select][promql][start_timestamps]") {
  MemoryQuerier q;
  const Labels l = L({{"__name__", "c"}});
  q.Add(l, {{1000, 1}, {3000, 3}}, {500, 2500});
  q.Add(l, {{2000, 2}, {3000, 30}});  // no start timestamps: unknown; 3000 replaced
  auto set = q.Select(SelectHints{1500, 3000}, {});
  REQUIRE(set.ok());
  REQUIRE(set->series.size() == 1);
  const SeriesSamples& s = set->series[0];
  REQUIRE(s.samples.size() == 2);
  CHECK(s.samples[0].timestamp_ms == 2000);
  CHECK(s.samples[1].value == 30);
  CHECK(s.start_timestamps == std::vector<int64_t>{0, 0});
  set = q.Select(SelectHints{0, 1000}, {});
  REQUIRE(set.ok());
  CHECK(set->series[0].start_timestamps == std::vector<int64_t>{500});
  // A series without start timestamps answers without any.
  MemoryQuerier plain;
  plain.Add(l, {{1000, 1}});
  set = plain.Select(SelectHints{0, 1000}, {});
  REQUIRE(set.ok());
  CHECK(set->series[0].start_timestamps.empty());
}

}  // namespace
}  // namespace strata::promql
