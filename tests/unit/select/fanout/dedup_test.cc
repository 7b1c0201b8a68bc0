#include "select/fanout/dedup.h"

#include <cmath>
#include <limits>

#include <catch2/catch.hpp>

namespace strata::select {
namespace {

std::vector<int64_t> Times(const std::vector<Sample>& s) {
  std::vector<int64_t> out;
  for (const Sample& x : s) out.push_back(x.timestamp_ms);
  return out;
}

TEST_CASE("dedup intervals end at the next multiple of the interval", "[select][fanout][dedup]") {
  CHECK(DedupIntervalEnd(0, 15'000) == 0);
  CHECK(DedupIntervalEnd(1, 15'000) == 15'000);
  CHECK(DedupIntervalEnd(15'000, 15'000) == 15'000);
  CHECK(DedupIntervalEnd(15'001, 15'000) == 30'000);
  CHECK(DedupIntervalEnd(-1, 15'000) == 0);
  CHECK(DedupIntervalEnd(-15'001, 15'000) == -15'000);
}

TEST_CASE("dedup keeps the latest sample of each interval from an HA Prometheus pair", "[select][fanout][dedup]") {
  // Two replicas scrape the same target every 15 s, 4 s apart.
  std::vector<Sample> s = {{11'000, 1}, {15'000, 2}, {26'000, 3}, {30'000, 4}, {41'000, 5}, {45'000, 6}};
  DeduplicateSamples(s, 15'000);
  // (0,15000] keeps 15000, (15000,30000] keeps 30000, (30000,45000] keeps 45000.
  CHECK(Times(s) == std::vector<int64_t>{15'000, 30'000, 45'000});
  CHECK(s[0].value == 2);
  CHECK(s[2].value == 6);
}

TEST_CASE("dedup keeps every sample when they are further apart than the interval", "[select][fanout][dedup]") {
  std::vector<Sample> s = {{1'000, 1}, {20'000, 2}, {40'000, 3}};
  DeduplicateSamples(s, 15'000);
  CHECK(Times(s) == std::vector<int64_t>{1'000, 20'000, 40'000});
}

TEST_CASE("dedup of equal timestamps keeps the biggest value and prefers real values to stale markers",
          "[select][fanout][dedup]") {
  std::vector<Sample> s = {{10'000, 3}, {10'000, 7}, {10'000, 5}, {20'000, StaleNaN()}, {20'000, 1}};
  DeduplicateSamples(s, 10'000);
  REQUIRE(s.size() == 2);
  CHECK(s[0].value == 7);
  CHECK(s[1].value == 1);
}

TEST_CASE("without an interval only equal timestamps are merged, the first copy kept", "[select][fanout][dedup]") {
  std::vector<Sample> s = {{1, 1}, {1, 9}, {2, 2}, {3, 3}, {3, 4}};
  DeduplicateSamples(s, 0);
  REQUIRE(Times(s) == std::vector<int64_t>{1, 2, 3});
  CHECK(s[0].value == 1);
  CHECK(s[2].value == 3);
}

}  // namespace
}  // namespace strata::select
