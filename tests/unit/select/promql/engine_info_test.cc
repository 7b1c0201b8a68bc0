// info(): enrichment with the data labels of info series (engine_info.cc).
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "select/promql/engine.h"
#include "select/promql/memory_querier.h"
#include "unit/select/promql/engine_test_util.h"

namespace strata::promql {
namespace {

constexpr int64_t kMinute = 60'000;

Labels L(std::vector<Label> l) { return Labels::FromUnsorted(std::move(l)); }

Engine InfoEngine(bool delayed_name_removal = false) {
  EngineOptions o;
  o.experimental_functions = true;
  o.delayed_name_removal = delayed_name_removal;
  return Engine(o);
}

// `value` at every minute from `from` to `to` (inclusive).
std::vector<Sample> Minutes(int from, int to, double value) {
  std::vector<Sample> out;
  for (int i = from; i <= to; ++i) out.push_back({i * kMinute, value});
  return out;
}

// Remembers the matchers of every Select.
class RecordingQuerier : public Querier {
 public:
  explicit RecordingQuerier(MemoryQuerier& inner) : inner_(inner) {}
  absl::StatusOr<SeriesSet> Select(const SelectHints& hints, std::span<const Matcher> matchers) override {
    std::string s;
    for (const Matcher& m : matchers) s += m.ToString() + " ";
    selects.push_back(s);
    hints_.push_back(hints);
    return inner_.Select(hints, matchers);
  }
  std::vector<std::string> selects;
  std::vector<SelectHints> hints_;

 private:
  MemoryQuerier& inner_;
};

TEST_CASE("info adds the data labels of the target_info series with the same instance and job",
          "[select][promql][info]") {
  MemoryQuerier q;
  q.Add(L({{"__name__", "up"}, {"instance", "a"}, {"job", "1"}}), Minutes(0, 5, 1));
  q.Add(L({{"__name__", "up"}, {"instance", "b"}, {"job", "1"}}), Minutes(0, 5, 2));
  q.Add(L({{"__name__", "target_info"}, {"instance", "a"}, {"job", "1"}, {"region", "eu"}, {"zone", "z1"}}),
        Minutes(0, 5, 1));
  // Same instance, other job: no match.
  q.Add(L({{"__name__", "target_info"}, {"instance", "b"}, {"job", "2"}, {"region", "us"}}), Minutes(0, 5, 1));
  Engine engine = InfoEngine();
  QueryResult r = MustInstant(engine, q, "info(up)", 5 * kMinute);
  REQUIRE(r.series.size() == 2);
  CHECK(r.series[0].labels == L({{"__name__", "up"}, {"instance", "a"}, {"job", "1"}, {"region", "eu"}, {"zone", "z1"}}));
  CHECK(r.series[0].samples[0].value == 1);
  CHECK(r.series[1].labels == L({{"__name__", "up"}, {"instance", "b"}, {"job", "1"}}));  // unchanged
  CHECK(r.series[1].samples[0].value == 2);

  // A data-label selector picks labels; one that rejects "" drops series
  // without an info series.
  r = MustInstant(engine, q, "info(up, {region=~\".+\"})", 5 * kMinute);
  REQUIRE(r.series.size() == 1);
  CHECK(r.series[0].labels == L({{"__name__", "up"}, {"instance", "a"}, {"job", "1"}, {"region", "eu"}}));
  r = MustInstant(engine, q, "info(up, {region=~\".*\"})", 5 * kMinute);
  CHECK(r.series.size() == 2);
}

TEST_CASE("info follows info series that change over time, newest sample first", "[select][promql][info]") {
  MemoryQuerier q;
  q.Add(L({{"__name__", "m"}, {"instance", "a"}, {"job", "1"}}), Minutes(0, 4, 7));
  q.Add(L({{"__name__", "target_info"}, {"instance", "a"}, {"job", "1"}, {"version", "old"}}), Minutes(0, 2, 1));
  q.Add(L({{"__name__", "target_info"}, {"instance", "a"}, {"job", "1"}, {"version", "new"}}), Minutes(2, 4, 1));
  Engine engine = InfoEngine();
  // At 2m both have a sample at 2m: the same time is a conflict.
  auto prepared = engine.NewRangeQuery("info(m)", 0, 4 * kMinute, kMinute);
  REQUIRE(prepared.ok());
  auto failed = engine.Exec(*prepared, q);
  REQUIRE_FALSE(failed.ok());
  CHECK(std::string(failed.status().message()).starts_with("found duplicate series for info metric: existing {"));

  // At 3m and 4m the old one still lies in the lookback window but "new" is newer.
  QueryResult r = MustRange(engine, q, "info(m)", 3 * kMinute, 4 * kMinute, kMinute);
  REQUIRE(r.series.size() == 1);
  CHECK(r.series[0].labels.Get("version") == "new");
  CHECK(r.series[0].samples.size() == 2);
  r = MustRange(engine, q, "info(m)", 0, kMinute, kMinute);
  REQUIRE(r.series.size() == 1);
  CHECK(r.series[0].labels.Get("version") == "old");
}

TEST_CASE("info looks info series up at the time its input reads, with @ and offset", "[select][promql][info]") {
  MemoryQuerier q;
  q.Add(L({{"__name__", "m"}, {"instance", "a"}, {"job", "1"}}), Minutes(0, 8, 3));
  q.Add(L({{"__name__", "target_info"}, {"instance", "a"}, {"job", "1"}, {"version", "v1"}}), {{0, 1}});
  Engine engine = InfoEngine();
  // Far past the info sample: pinned by @ it is still found.
  QueryResult r = MustInstant(engine, q, "info(m @ 0)", 40 * kMinute);
  REQUIRE(r.series.size() == 1);
  CHECK(r.series[0].labels.Get("version") == "v1");
  // Without @ there is no info series at 40m, but the base series is gone too;
  // at 8m the info sample is out of the lookback window, with offset 4m it is not.
  r = MustInstant(engine, q, "info(m)", 8 * kMinute);
  REQUIRE(r.series.size() == 1);
  CHECK(r.series[0].labels.Get("version").empty());
  r = MustInstant(engine, q, "info(m offset 4m)", 8 * kMinute);
  REQUIRE(r.series.size() == 1);
  CHECK(r.series[0].labels.Get("version") == "v1");
  // A subquery's @ pins it as well.
  r = MustInstant(engine, q, "info(last_over_time(m[5m:1m] @ 120))", 40 * kMinute);
  REQUIRE(r.series.size() == 1);
  CHECK(r.series[0].labels.Get("version") == "v1");
}

TEST_CASE("info looks up at the step time when its input has no single reference time",
          "[select][promql][info]") {
  MemoryQuerier q;
  q.Add(L({{"__name__", "m"}, {"instance", "a"}, {"job", "1"}}), Minutes(0, 8, 3));
  q.Add(L({{"__name__", "target_info"}, {"instance", "a"}, {"job", "1"}, {"version", "v1"}}), {{0, 1}});
  Engine engine = InfoEngine();
  // The pinned selector only feeds a scalar: m itself reads at 8m, where
  // the info sample (at 0) is out of the lookback window.
  QueryResult r = MustInstant(engine, q, "info(scalar(m @ 0) * m)", 8 * kMinute);
  REQUIRE(r.series.size() == 1);
  CHECK(r.series[0].labels.Get("version").empty());
  // Two vector paths at different times: neither decides.
  r = MustInstant(engine, q, "info(m @ 0 or m offset 1m)", 8 * kMinute);
  REQUIRE(r.series.size() == 1);
  CHECK(r.series[0].labels.Get("version").empty());
  // `@ 180 offset 3m` reads at 0 like `@ 0`: one reference time.
  r = MustInstant(engine, q, "info(m @ 0 or m @ 180 offset 3m)", 8 * kMinute);
  REQUIRE(r.series.size() == 1);
  CHECK(r.series[0].labels.Get("version") == "v1");
}

TEST_CASE("info passes info series through and restricts negative name matchers to *_info metrics",
          "[select][promql][info]") {
  MemoryQuerier q;
  q.Add(L({{"__name__", "m"}, {"instance", "a"}, {"job", "1"}}), Minutes(0, 1, 1));
  q.Add(L({{"__name__", "other"}, {"instance", "a"}, {"job", "1"}, {"data", "not-info"}}), Minutes(0, 1, 1));
  q.Add(L({{"__name__", "build_info"}, {"instance", "a"}, {"job", "1"}, {"build", "b1"}}), Minutes(0, 1, 1));
  q.Add(L({{"__name__", "target_info"}, {"instance", "a"}, {"job", "1"}, {"data", "info"}}), Minutes(0, 1, 1));
  Engine engine = InfoEngine();
  QueryResult r = MustInstant(engine, q, "info(m, {__name__!=\"target_info\"})", kMinute);
  REQUIRE(r.series.size() == 1);
  // build_info only: neither target_info nor the non-info metric `other`.
  CHECK(r.series[0].labels == L({{"__name__", "m"}, {"build", "b1"}, {"instance", "a"}, {"job", "1"}}));

  r = MustInstant(engine, q, "info(build_info, {__name__=~\".+_info\"})", kMinute);
  REQUIRE(r.series.size() == 1);
  CHECK(r.series[0].labels == L({{"__name__", "build_info"}, {"build", "b1"}, {"instance", "a"}, {"job", "1"}}));
}

TEST_CASE("info fails on one data label with different values from two info metrics", "[select][promql][info]") {
  MemoryQuerier q;
  q.Add(L({{"__name__", "m"}, {"instance", "a"}, {"job", "1"}}), Minutes(0, 1, 1));
  q.Add(L({{"__name__", "target_info"}, {"instance", "a"}, {"job", "1"}, {"x", "t"}}), Minutes(0, 1, 1));
  q.Add(L({{"__name__", "build_info"}, {"instance", "a"}, {"job", "1"}, {"x", "b"}}), Minutes(0, 1, 1));
  Engine engine = InfoEngine();
  auto prepared = engine.NewInstantQuery("info(m, {__name__=~\".+_info\"})", kMinute);
  REQUIRE(prepared.ok());
  auto result = engine.Exec(*prepared, q);
  REQUIRE_FALSE(result.ok());
  CHECK(result.status().code() == absl::StatusCode::kInvalidArgument);
  CHECK(result.status().message() == "conflicting label: x");
}

TEST_CASE("info selects info series by the input's identifying labels, not its label selector",
          "[select][promql][info]") {
  MemoryQuerier mem;
  mem.Add(L({{"__name__", "m"}, {"instance", "a"}, {"job", "1"}}), Minutes(0, 1, 1));
  mem.Add(L({{"__name__", "target_info"}, {"instance", "a"}, {"job", "1"}, {"data", "d"}}), Minutes(0, 1, 1));
  RecordingQuerier q(mem);
  Engine engine = InfoEngine();
  QueryResult r = MustInstant(engine, q, "info(m, {data=~\".+\"})", kMinute);
  REQUIRE(r.series.size() == 1);
  CHECK(r.series[0].labels.Get("data") == "d");
  // The selector of m, then one for the info series: the label selector
  // alone would match every series with a data label.
  REQUIRE(q.selects.size() == 2);
  CHECK(q.selects[1].find("__name__=\"target_info\"") != std::string::npos);
  CHECK(q.selects[1].find("instance=~\"a\"") != std::string::npos);
  CHECK(q.selects[1].find("job=~\"1\"") != std::string::npos);
  CHECK(q.hints_[1].max_time_ms == kMinute);
  CHECK(q.hints_[1].min_time_ms == kMinute - 5 * kMinute + 1);
}

TEST_CASE("info keeps a dropped metric name dropped", "[select][promql][info]") {
  MemoryQuerier q;
  q.Add(L({{"__name__", "m"}, {"instance", "a"}, {"job", "1"}}), Minutes(0, 1, 1.5));
  q.Add(L({{"__name__", "target_info"}, {"instance", "a"}, {"job", "1"}, {"data", "d"}}), Minutes(0, 1, 1));
  for (bool delayed : {false, true}) {
    Engine engine = InfoEngine(delayed);
    QueryResult r = MustInstant(engine, q, "info(floor(m))", kMinute);
    REQUIRE(r.series.size() == 1);
    CHECK(r.series[0].labels == L({{"data", "d"}, {"instance", "a"}, {"job", "1"}}));
    CHECK(r.series[0].samples[0].value == 1);
  }
}

}  // namespace
}  // namespace strata::promql
