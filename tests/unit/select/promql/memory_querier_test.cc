#include "select/promql/memory_querier.h"

#include <catch2/catch.hpp>

namespace strata::promql {
namespace {

Labels L(std::vector<Label> l) { return Labels::FromUnsorted(std::move(l)); }

Matcher M(MatchType t, std::string name, std::string value) { return *Matcher::Create(t, std::move(name), std::move(value)); }

TEST_CASE("memory querier returns matching series with samples inside the time range", "[select][promql][memory]") {
  MemoryQuerier q;
  q.Add(L({{"__name__", "up"}, {"job", "a"}}), {{1000, 1}, {2000, 2}, {3000, 3}});
  q.Add(L({{"__name__", "up"}, {"job", "b"}}), {{5000, 5}});
  q.Add(L({{"__name__", "down"}}), {{1000, 1}});
  std::vector<Matcher> ms = {M(MatchType::kEqual, "__name__", "up")};
  auto set = q.Select(SelectHints{1500, 3000}, ms);
  REQUIRE(set.ok());
  REQUIRE(set->series.size() == 1);  // job=b has no sample in range
  CHECK(set->series[0].labels.Get("job") == "a");
  REQUIRE(set->series[0].samples.size() == 2);
  CHECK(set->series[0].samples[0].timestamp_ms == 2000);
  CHECK(set->series[0].samples[1].timestamp_ms == 3000);
  CHECK_FALSE(set->partial);
}

TEST_CASE("memory querier treats a missing label as empty for matchers", "[select][promql][memory]") {
  MemoryQuerier q;
  q.Add(L({{"__name__", "up"}}), {{1000, 1}});
  q.Add(L({{"__name__", "up"}, {"env", "prod"}}), {{1000, 1}});
  std::vector<Matcher> ms = {M(MatchType::kEqual, "__name__", "up"), M(MatchType::kEqual, "env", "")};
  auto set = q.Select(SelectHints{0, 10000}, ms);
  REQUIRE(set.ok());
  REQUIRE(set->series.size() == 1);
  CHECK_FALSE(set->series[0].labels.Has("env"));
}

TEST_CASE("memory querier merges added samples by timestamp, newest write wins", "[select][promql][memory]") {
  MemoryQuerier q;
  const Labels l = L({{"__name__", "x"}});
  q.Add(l, {{3000, 3}, {1000, 1}});
  q.Add(l, {{2000, 2}, {3000, 30}});
  CHECK(q.num_series() == 1);
  std::vector<Matcher> ms = {M(MatchType::kEqual, "__name__", "x")};
  auto set = q.Select(SelectHints{0, 10000}, ms);
  REQUIRE(set.ok());
  const auto& s = set->series.at(0).samples;
  REQUIRE(s.size() == 3);
  CHECK(s[0].value == 1);
  CHECK(s[1].value == 2);
  CHECK(s[2].value == 30);
}

}  // namespace
}  // namespace strata::promql
