// Range functions over many series run on several threads (EvalRangeCall);
// these tests hold the answers and errors to those of the one-series,
// single-threaded evaluation.
#include <bit>
#include <cmath>
#include <string>

#include <catch2/catch.hpp>
#include <fmt/format.h>

#include "select/promql/engine.h"
#include "select/promql/memory_querier.h"
#include "unit/select/promql/engine_test_util.h"

namespace strata::promql {
namespace {

constexpr int64_t kStep = 15'000;
constexpr int kSeries = 64;
constexpr int kPoints = 2000;

// Counters that grow at a rate of their index, with a reset in the middle
// and a stale marker near the end of every seventh series.
void AddCounters(MemoryQuerier& q, std::string_view name) {
  for (int s = 0; s < kSeries; ++s) {
    std::vector<Sample> samples;
    double v = 0;
    for (int i = 0; i < kPoints; ++i) {
      v = i == kPoints / 2 ? 0 : v + (s + 1) * 15.0;
      samples.push_back({i * kStep, v});
    }
    if (s % 7 == 0) samples[kPoints - 10].value = std::bit_cast<double>(kStaleNaNBits);
    q.Add(Labels::FromUnsorted({{"__name__", std::string(name)}, {"i", fmt::format("{:03d}", s)}}),
          std::move(samples));
  }
}

MemoryQuerier ManyCounters() {
  MemoryQuerier q;
  AddCounters(q, "c");
  return q;
}

absl::StatusOr<QueryResult> RangeQuery(const EngineOptions& options, MemoryQuerier& q, std::string_view query) {
  Engine engine(options);
  auto prepared = engine.NewRangeQuery(query, 0, (kPoints - 1) * kStep, kStep);
  REQUIRE(prepared.ok());
  return engine.Exec(*prepared, q);
}

TEST_CASE("a range function over many series answers as it does one series at a time", "[select][promql][engine]") {
  MemoryQuerier q = ManyCounters();
  Engine engine;
  const int64_t end = (kPoints - 1) * kStep;
  for (std::string_view fn : {"rate", "increase", "max_over_time", "quantile_over_time(0.3,", "resets"}) {
    const bool has_param = fn.back() == ',';
    const std::string all = has_param ? fmt::format("{} c[2m])", fn) : fmt::format("{}(c[2m])", fn);
    QueryResult together = MustRange(engine, q, all, 0, end, kStep);
    REQUIRE(together.series.size() == kSeries);
    for (int s = 0; s < kSeries; ++s) {
      INFO(fn << " series " << s);
      const std::string one = has_param ? fmt::format("{} c{{i=\"{:03d}\"}}[2m])", fn, s)
                                        : fmt::format("{}(c{{i=\"{:03d}\"}}[2m])", fn, s);
      QueryResult alone = MustRange(engine, q, one, 0, end, kStep);
      REQUIRE(alone.series.size() == 1);
      // Output keeps the order of the input series.
      CHECK(together.series[static_cast<size_t>(s)].labels == alone.series[0].labels);
      const auto& a = together.series[static_cast<size_t>(s)].samples;
      const auto& b = alone.series[0].samples;
      REQUIRE(a.size() == b.size());
      for (size_t i = 0; i < a.size(); ++i) {
        REQUIRE(a[i].timestamp_ms == b[i].timestamp_ms);
        REQUIRE(std::bit_cast<uint64_t>(a[i].value) == std::bit_cast<uint64_t>(b[i].value));
      }
    }
  }
}

TEST_CASE("two of many series with one output label set fail as Prometheus fails them", "[select][promql][engine]") {
  // a{i} and b{i} lose their names in rate(): 64 pairs collide, and the
  // error must be Prometheus's whatever thread saw which series.
  MemoryQuerier q;
  AddCounters(q, "a");
  AddCounters(q, "b");
  auto result = RangeQuery(EngineOptions{}, q, "rate({__name__=~\"a|b\"}[2m])");
  REQUIRE_FALSE(result.ok());
  CHECK(result.status().message() == "vector cannot contain metrics with the same labelset");
  // With delayed name removal the names tell the series apart until the end.
  EngineOptions delayed;
  delayed.delayed_name_removal = true;
  CHECK(RangeQuery(delayed, q, "rate({__name__=~\"a|b\"}[2m])").status().message() ==
        "vector cannot contain metrics with the same labelset");
  CHECK(RangeQuery(delayed, q, "rate({__name__=~\"a\"}[2m])").ok());
}

TEST_CASE("the sample limit stops a range function over many series where one thread would stop",
          "[select][promql][engine]") {
  MemoryQuerier q = ManyCounters();
  // The smallest limit the single-threaded evaluation accepts: the limits
  // around it must give the same verdict with threads.
  EngineOptions sequential;
  sequential.parallel = false;
  int64_t lo = 1;
  int64_t hi = 10'000'000;
  while (lo < hi) {
    sequential.max_samples = (lo + hi) / 2;
    if (RangeQuery(sequential, q, "rate(c[2m])").ok()) {
      hi = sequential.max_samples;
    } else {
      lo = sequential.max_samples + 1;
    }
  }
  for (int64_t limit : {lo - 100, lo - 1, lo, lo + 1}) {
    INFO("limit " << limit << ", threshold " << lo);
    EngineOptions parallel;
    parallel.max_samples = limit;
    auto result = RangeQuery(parallel, q, "rate(c[2m])");
    CHECK(result.ok() == (limit >= lo));
    if (!result.ok()) CHECK(result.status().code() == absl::StatusCode::kResourceExhausted);
  }
}

}  // namespace
}  // namespace strata::promql
