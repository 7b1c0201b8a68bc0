// Aggregations and binary operators over many steps run in time segments
// on several threads (Evaluator::RunStepLoop); these tests hold their
// answers, annotations and errors to those of the single-threaded
// evaluation (EngineOptions::parallel off).
#include <bit>
#include <string>

#include <catch2/catch.hpp>
#include <fmt/format.h>

#include "common/base/parallel_for.h"
#include "select/promql/engine.h"
#include "select/promql/memory_querier.h"

namespace strata::promql {
namespace {

constexpr int64_t kStep = 15'000;
constexpr int kSeries = 48;
constexpr int kPoints = 2000;
constexpr int64_t kEnd = (kPoints - 1) * kStep;

// Counters and gauges in four groups. Some series start late or stop
// early (so a later time segment meets series an earlier one never saw),
// and every fifth has a stale marker in the middle.
MemoryQuerier ManySeries() {
  MemoryQuerier q;
  for (int s = 0; s < kSeries; ++s) {
    const int first = s % 6 == 1 ? kPoints / 3 + s : 0;
    const int last = s % 6 == 2 ? kPoints * 2 / 3 - s : kPoints;
    std::vector<Sample> counter, gauge;
    double v = 0;
    for (int i = first; i < last; ++i) {
      v = i == kPoints / 2 ? 0 : v + (s % 7 + 1) * 15.0;
      counter.push_back({i * kStep, v});
      gauge.push_back({i * kStep, std::sin(i * 0.01 + s) * 100 + s});
    }
    if (s % 5 == 0) gauge[gauge.size() / 2].value = std::bit_cast<double>(kStaleNaNBits);
    const std::string i = fmt::format("{:03d}", s);
    const std::string g = fmt::format("g{}", s % 4);
    q.Add(Labels::FromUnsorted({{"__name__", "c_total"}, {"i", i}, {"g", g}}), std::move(counter));
    q.Add(Labels::FromUnsorted({{"__name__", "m"}, {"i", i}, {"g", g}}), std::move(gauge));
  }
  // One series per group of a second metric, for one-to-one and
  // many-to-one matching.
  for (int g = 0; g < 4; ++g) {
    std::vector<Sample> samples;
    for (int i = 0; i < kPoints; i += (g == 3 ? 2 : 1)) samples.push_back({i * kStep, 10.0 + g});
    q.Add(Labels::FromUnsorted({{"__name__", "w"}, {"g", fmt::format("g{}", g)}}), std::move(samples));
  }
  return q;
}

absl::StatusOr<QueryResult> RangeQuery(const EngineOptions& options, MemoryQuerier& q, std::string_view query) {
  Engine engine(options);
  auto prepared = engine.NewRangeQuery(query, 0, kEnd, kStep);
  REQUIRE(prepared.ok());
  return engine.Exec(*prepared, q);
}

EngineOptions Sequential() {
  EngineOptions o;
  o.parallel = false;
  return o;
}

void RequireSameResult(const QueryResult& a, const QueryResult& b) {
  CHECK(a.warnings == b.warnings);
  CHECK(a.infos == b.infos);
  REQUIRE(a.series.size() == b.series.size());
  for (size_t s = 0; s < a.series.size(); ++s) {
    INFO("series " << a.series[s].labels.ToString());
    REQUIRE(a.series[s].labels == b.series[s].labels);
    const auto& x = a.series[s].samples;
    const auto& y = b.series[s].samples;
    REQUIRE(x.size() == y.size());
    for (size_t i = 0; i < x.size(); ++i) {
      REQUIRE(x[i].timestamp_ms == y[i].timestamp_ms);
      REQUIRE(std::bit_cast<uint64_t>(x[i].value) == std::bit_cast<uint64_t>(y[i].value));
    }
  }
}

TEST_CASE("aggregations and binary operators over many steps answer as one thread does",
          "[select][promql][engine]") {
  MemoryQuerier q = ManySeries();
  for (std::string_view query : {
           "sum by (g) (rate(c_total[2m]))",
           "avg(m)",
           "count by (g) (m)",
           "max by (g) (m) - min by (g) (m)",
           "stddev without (i) (m)",
           "quantile by (g) (0.3, m)",
           "quantile(1.5, m)",  // a warning at every step
           "topk(3, m)",
           "bottomk by (g) (2, rate(c_total[5m]))",
           "count_values(\"v\", floor(m / 50))",
           "group by (g) (m)",
           "100 - m * 2",
           "m > 20",
           "m > bool 20",
           "-m",
           "m / on (g) group_left w",
           "sum by (g) (m) / on (g) w",
           "m and on (g) w",
           "m or w",
           "m unless on (g) w{g!=\"g3\"}",
           "rate(c_total[1m]) + on (i, g) m",
       }) {
    INFO(query);
    auto sequential = RangeQuery(Sequential(), q, query);
    auto parallel = RangeQuery(EngineOptions{}, q, query);
    REQUIRE(sequential.ok() == parallel.ok());
    if (!sequential.ok()) {
      CHECK(sequential.status() == parallel.status());
      continue;
    }
    REQUIRE_FALSE(sequential->series.empty());
    RequireSameResult(*sequential, *parallel);
  }
}

TEST_CASE("an operator error at a late step is the one a single thread meets first", "[select][promql][engine]") {
  MemoryQuerier q = ManySeries();
  // Series 1 starts a third into the range, in series 5's group: from
  // then on matching on g is ambiguous; and without their names, m and
  // c_total of series 1 collide from that step on.
  for (std::string_view query : {"m{i=~\"001|005\"} + on (g) w", "w + on (g) m{i=~\"001|005\"}",
                                 "{__name__=~\"m|c_total\", i=\"001\"} * 2"}) {
    INFO(query);
    auto sequential = RangeQuery(Sequential(), q, query);
    auto parallel = RangeQuery(EngineOptions{}, q, query);
    REQUIRE_FALSE(sequential.ok());
    CHECK(parallel.status() == sequential.status());
  }
}

TEST_CASE("the sample limit stops an aggregation or operator where one thread would stop",
          "[select][promql][engine]") {
  if (ParallelForThreads() < 2) return;  // no time segments on one core
  MemoryQuerier q = ManySeries();
  for (std::string_view query : {"sum by (g) (m)", "m * 2"}) {
    // The smallest limit the single-threaded evaluation accepts: the limits
    // around it must give the same verdict with threads.
    EngineOptions sequential = Sequential();
    int64_t lo = 1;
    int64_t hi = 10'000'000;
    while (lo < hi) {
      sequential.max_samples = (lo + hi) / 2;
      if (RangeQuery(sequential, q, query).ok()) {
        hi = sequential.max_samples;
      } else {
        lo = sequential.max_samples + 1;
      }
    }
    for (int64_t limit : {lo - 1000, lo - 1, lo, lo + 1}) {
      INFO(query << ", limit " << limit << ", threshold " << lo);
      EngineOptions parallel;
      parallel.max_samples = limit;
      auto result = RangeQuery(parallel, q, query);
      CHECK(result.ok() == (limit >= lo));
      if (!result.ok()) CHECK(result.status().code() == absl::StatusCode::kResourceExhausted);
    }
  }
}

}  // namespace
}  // namespace strata::promql
