#include "select/promql/engine.h"

#include <cmath>

#include <catch2/catch.hpp>

#include "common/base/status.h"
#include "select/promql/memory_querier.h"
#include "unit/select/promql/engine_test_util.h"

namespace strata::promql {
namespace {

constexpr int64_t kMinute = 60'000;

Labels L(std::vector<Label> l) { return Labels::FromUnsorted(std::move(l)); }

absl::Status ExecStatus(const Engine& engine, Querier& q, std::string_view query, int64_t t) {
  auto prepared = engine.NewInstantQuery(query, t);
  REQUIRE(prepared.ok());
  return engine.Exec(*prepared, q).status();
}

std::vector<int64_t> Times(const SeriesResult& s) {
  std::vector<int64_t> out;
  for (const Sample& p : s.samples) out.push_back(p.timestamp_ms);
  return out;
}

std::vector<double> Values(const SeriesResult& s) {
  std::vector<double> out;
  for (const Sample& p : s.samples) out.push_back(p.value);
  return out;
}

// One sample per minute from 0 to `minutes`, valued at the minute.
std::vector<Sample> EveryMinute(int minutes) {
  std::vector<Sample> out;
  for (int i = 0; i <= minutes; ++i) out.push_back({i * kMinute, static_cast<double>(i)});
  return out;
}

TEST_CASE("instant selector takes the latest sample in the left-open lookback window", "[select][promql][engine]") {
  MemoryQuerier q;
  q.Add(L({{"__name__", "m"}}), {{0, 1}});
  Engine engine;
  // A sample exactly lookback old is outside (t - 5m, t].
  CHECK(MustInstant(engine, q, "m", 5 * kMinute).series.empty());
  // One millisecond younger and it is inside.
  QueryResult r = MustInstant(engine, q, "m", 5 * kMinute - 1);
  REQUIRE(r.series.size() == 1);
  CHECK(r.type == ValueType::kVector);
  CHECK(r.series[0].samples[0].timestamp_ms == 5 * kMinute - 1);  // stamped with the eval time
  CHECK(r.series[0].samples[0].value == 1);
  CHECK(r.series[0].labels.MetricName() == "m");  // plain selectors keep the name
  // A sample at the evaluation time itself counts.
  CHECK(MustInstant(engine, q, "m", 0).series.size() == 1);
}

TEST_CASE("lookback delta is configurable per engine and per query", "[select][promql][engine]") {
  MemoryQuerier q;
  q.Add(L({{"__name__", "m"}}), {{0, 1}});
  EngineOptions options;
  options.lookback_delta_ms = kMinute;
  Engine engine(options);
  CHECK(MustInstant(engine, q, "m", kMinute - 1).series.size() == 1);
  CHECK(MustInstant(engine, q, "m", kMinute).series.empty());
  QueryOptions opts;
  opts.lookback_delta_ms = 10 * kMinute;
  auto prepared = engine.NewInstantQuery("m", 9 * kMinute, opts);
  REQUIRE(prepared.ok());
  CHECK(engine.Exec(*prepared, q)->series.size() == 1);
}

TEST_CASE("a stale marker ends a series until the next real sample", "[select][promql][engine]") {
  MemoryQuerier q;
  q.Add(L({{"__name__", "m"}}), {{0, 1}, {30'000, StaleNaN()}, {90'000, 3}});
  Engine engine;
  QueryResult r = MustRange(engine, q, "m", 0, 120'000, 15'000);
  REQUIRE(r.series.size() == 1);
  CHECK(Times(r.series[0]) == std::vector<int64_t>{0, 15'000, 90'000, 105'000, 120'000});
  CHECK(r.series[0].samples[2].value == 3);
}

TEST_CASE("range query evaluates at start + k*step up to end inclusive", "[select][promql][engine]") {
  MemoryQuerier q;
  std::vector<Sample> samples;
  for (int64_t t = 0; t <= 600'000; t += 10'000) samples.push_back({t, static_cast<double>(t / 1000)});
  q.Add(L({{"__name__", "c"}, {"job", "j"}}), samples);
  Engine engine;
  QueryResult r = MustRange(engine, q, "c", 5'000, 65'000, 20'000);
  CHECK(r.type == ValueType::kMatrix);
  REQUIRE(r.series.size() == 1);
  CHECK(Times(r.series[0]) == std::vector<int64_t>{5'000, 25'000, 45'000, 65'000});
  CHECK(Values(r.series[0]) == std::vector<double>{0, 20, 40, 60});  // latest sample at or before each step
}

TEST_CASE("range query results are sorted by labels", "[select][promql][engine]") {
  MemoryQuerier q;
  q.Add(L({{"__name__", "m"}, {"i", "2"}}), {{0, 2}});
  q.Add(L({{"__name__", "m"}, {"i", "1"}}), {{0, 1}});
  Engine engine;
  QueryResult r = MustRange(engine, q, "m", 0, 60'000, 30'000);
  REQUIRE(r.series.size() == 2);
  CHECK(r.series[0].labels.Get("i") == "1");
  CHECK(r.series[1].labels.Get("i") == "2");
}

TEST_CASE("offset and @ move the evaluation time of a selector", "[select][promql][engine]") {
  MemoryQuerier q;
  q.Add(L({{"__name__", "m"}}), {{4 * kMinute, 1}, {10 * kMinute, 2}});
  Engine engine;
  CHECK(MustInstant(engine, q, "m", 10 * kMinute).series.at(0).samples.at(0).value == 2);
  CHECK(MustInstant(engine, q, "m offset 5m", 10 * kMinute).series.at(0).samples.at(0).value == 1);
  // A negative offset looks forward in time.
  CHECK(MustInstant(engine, q, "m offset -6m", 4 * kMinute).series.at(0).samples.at(0).value == 2);
  QueryResult at = MustInstant(engine, q, "m @ 300", 10 * kMinute);
  CHECK(at.series.at(0).samples.at(0).value == 1);
  CHECK(at.series[0].samples[0].timestamp_ms == 10 * kMinute);  // stamped with the query time
  CHECK(MustInstant(engine, q, "m @ 60", 10 * kMinute).series.empty());
  // `@` and offset together: the offset counts back from the `@` time.
  CHECK(MustInstant(engine, q, "m @ 600 offset 5m", 0).series.at(0).samples.at(0).value == 1);
}

TEST_CASE("@ makes a selector step-invariant in range queries", "[select][promql][engine]") {
  MemoryQuerier q;
  q.Add(L({{"__name__", "m"}}), EveryMinute(20));
  Engine engine;
  QueryResult end = MustRange(engine, q, "m @ end()", 0, 10 * kMinute, 5 * kMinute);
  REQUIRE(end.series.size() == 1);
  CHECK(Times(end.series[0]) == std::vector<int64_t>{0, 5 * kMinute, 10 * kMinute});
  CHECK(Values(end.series[0]) == std::vector<double>{10, 10, 10});
  QueryResult start = MustRange(engine, q, "m @ start()", 2 * kMinute, 10 * kMinute, 4 * kMinute);
  CHECK(Values(start.series.at(0)) == std::vector<double>{2, 2, 2});
  QueryResult fixed = MustRange(engine, q, "m @ 900", 0, 2 * kMinute, kMinute);
  CHECK(Values(fixed.series.at(0)) == std::vector<double>{15, 15, 15});
  // A window anchored by `@` is the same window at every step.
  QueryResult counts = MustRange(engine, q, "count_over_time(m[5m] @ 600)", 0, 2 * kMinute, kMinute);
  CHECK(Values(counts.series.at(0)) == std::vector<double>{5, 5, 5});
}

TEST_CASE("scalar arithmetic evaluates with Prometheus precedence", "[select][promql][engine]") {
  MemoryQuerier q;
  Engine engine;
  QueryResult r = MustInstant(engine, q, "1+1", 1000);
  CHECK(r.type == ValueType::kScalar);
  CHECK(r.scalar.value == 2);
  CHECK(r.scalar.timestamp_ms == 1000);
  CHECK(MustInstant(engine, q, "2 + 3 * 4", 0).scalar.value == 14);
  CHECK(MustInstant(engine, q, "2 ^ 3 ^ 2", 0).scalar.value == 512);
  CHECK(MustInstant(engine, q, "-2 ^ 2", 0).scalar.value == -4);
  CHECK(MustInstant(engine, q, "(2 + 3) * 4", 0).scalar.value == 20);
  CHECK(MustInstant(engine, q, "1 / 0", 0).scalar.value == INFINITY);
  CHECK(MustInstant(engine, q, "3 > bool 2", 0).scalar.value == 1);
  // A range query of a scalar is one label-less series.
  QueryResult range = MustRange(engine, q, "1+1", 0, 30'000, 10'000);
  CHECK(range.type == ValueType::kMatrix);
  REQUIRE(range.series.size() == 1);
  CHECK(range.series[0].labels.empty());
  CHECK(Values(range.series[0]) == std::vector<double>{2, 2, 2, 2});
}

TEST_CASE("string literals evaluate to a string result", "[select][promql][engine]") {
  MemoryQuerier q;
  Engine engine;
  QueryResult r = MustInstant(engine, q, "\"hello\"", 5000);
  CHECK(r.type == ValueType::kString);
  CHECK(r.string_value == "hello");
  CHECK(r.scalar.timestamp_ms == 5000);
}

TEST_CASE("vector and scalar arithmetic drops the metric name, filters keep it", "[select][promql][engine]") {
  MemoryQuerier q;
  q.Add(L({{"__name__", "m"}, {"i", "1"}}), {{0, 10}});
  q.Add(L({{"__name__", "m"}, {"i", "2"}}), {{0, 20}});
  Engine engine;
  QueryResult r = MustInstant(engine, q, "m * 2", 0);
  REQUIRE(r.series.size() == 2);
  CHECK_FALSE(r.series[0].labels.Has("__name__"));
  CHECK(r.series[0].samples[0].value == 20);
  r = MustInstant(engine, q, "15 < m", 0);
  REQUIRE(r.series.size() == 1);
  CHECK(r.series[0].labels.MetricName() == "m");
  CHECK(r.series[0].samples[0].value == 20);  // the vector's value even on the right
  r = MustInstant(engine, q, "-m", 0);
  CHECK(r.series[0].samples[0].value == -10);
  CHECK_FALSE(r.series[0].labels.Has("__name__"));
}

TEST_CASE("dropping the metric name must not make two series identical", "[select][promql][engine]") {
  MemoryQuerier q;
  q.Add(L({{"__name__", "a"}, {"i", "1"}}), {{0, 1}});
  q.Add(L({{"__name__", "b"}, {"i", "1"}}), {{0, 2}});
  for (bool delayed : {false, true}) {
    EngineOptions options;
    options.delayed_name_removal = delayed;
    Engine engine(options);
    INFO("delayed name removal " << delayed);
    absl::Status st = ExecStatus(engine, q, R"({__name__=~"a|b"} * 2)", 0);
    CHECK(st.code() == absl::StatusCode::kFailedPrecondition);
    CHECK(st.message() == "vector cannot contain metrics with the same labelset");
    // The selector alone keeps the names apart.
    CHECK(MustInstant(engine, q, R"({__name__=~"a|b"})", 0).series.size() == 2);
  }
}

TEST_CASE("series that lose their name merge when their points do not overlap", "[select][promql][engine]") {
  // Prometheus operators.test: unary negation of http_requests / http_errors.
  MemoryQuerier q;
  q.Add(L({{"__name__", "http_requests"}, {"job", "api"}}), {{0, 2}});
  q.Add(L({{"__name__", "http_errors"}, {"job", "api"}}), {{20 * kMinute, 4}});
  for (bool delayed : {false, true}) {
    EngineOptions options;
    options.delayed_name_removal = delayed;
    options.lookback_delta_ms = 10 * kMinute;
    Engine engine(options);
    INFO("delayed name removal " << delayed);
    QueryResult r = MustRange(engine, q, R"(-{job="api"})", 0, 20 * kMinute, 20 * kMinute);
    REQUIRE(r.series.size() == 1);
    CHECK(r.series[0].labels == L({{"job", "api"}}));
    CHECK(Values(r.series[0]) == std::vector<double>{-2, -4});
  }
  MemoryQuerier overlap;
  overlap.Add(L({{"__name__", "http_requests"}, {"job", "api"}}), {{0, 1}});
  overlap.Add(L({{"__name__", "http_errors"}, {"job", "api"}}), {{0, 2}});
  for (bool delayed : {false, true}) {
    EngineOptions options;
    options.delayed_name_removal = delayed;
    Engine engine(options);
    CHECK(ExecStatus(engine, overlap, R"(-{job="api"})", 0).message() ==
          "vector cannot contain metrics with the same labelset");
  }
}

TEST_CASE("delayed name removal keeps __name__ visible until the result", "[select][promql][engine]") {
  MemoryQuerier q;
  q.Add(L({{"__name__", "m"}, {"i", "1"}}), {{0, 10}});
  EngineOptions options;
  options.delayed_name_removal = true;
  Engine engine(options);
  // Arithmetic only marks the name; a later label_replace can still read it.
  QueryResult r = MustInstant(engine, q, R"q(label_replace(m * 2, "copy", "$1", "__name__", "(.*)"))q", 0);
  REQUIRE(r.series.size() == 1);
  CHECK(r.series[0].labels == L({{"copy", "m"}, {"i", "1"}}));
  // Without delayed removal the name is gone before label_replace runs.
  Engine eager;
  r = MustInstant(eager, q, R"q(label_replace(m * 2, "copy", "$1", "__name__", "(.*)"))q", 0);
  REQUIRE(r.series.size() == 1);
  CHECK(r.series[0].labels == L({{"i", "1"}}));
}

TEST_CASE("instant matrix selector returns the raw samples of the last range, left-open", "[select][promql][engine]") {
  MemoryQuerier q;
  q.Add(L({{"__name__", "m"}}), {{0, 0}, {30'000, 1}, {60'000, 2}, {90'000, StaleNaN()}});
  Engine engine;
  QueryResult r = MustInstant(engine, q, "m[1m]", 90'000);
  CHECK(r.type == ValueType::kMatrix);
  REQUIRE(r.series.size() == 1);
  const auto& s = r.series[0].samples;
  // 30s is exactly one minute old: excluded; the stale marker is dropped.
  REQUIRE(s.size() == 1);
  CHECK(s[0].timestamp_ms == 60'000);  // raw sample times, not the eval time
  CHECK(s[0].value == 2);
  CHECK(MustInstant(engine, q, "m[2m]", 90'000).series.at(0).samples.size() == 3);
  CHECK(Values(MustInstant(engine, q, "m[1m] offset 30s", 90'000).series.at(0)) == std::vector<double>{1, 2});
}

TEST_CASE("range queries are validated like Prometheus", "[select][promql][engine]") {
  Engine engine;
  CHECK(engine.NewRangeQuery("m", 10, 0, 1).status().message() == "end timestamp must not be before start time");
  CHECK(engine.NewRangeQuery("m", 0, 10, 0).status().message() ==
        "zero or negative query resolution step widths are not accepted. Try a positive integer");
  auto too_many = engine.NewRangeQuery("m", 0, 11'001 * 1000, 1000);
  CHECK(too_many.status().code() == absl::StatusCode::kInvalidArgument);
  CHECK(too_many.status().message() ==
        "exceeded maximum resolution of 11,000 points per timeseries. Try decreasing the query resolution (?step=XX)");
  CHECK(engine.NewRangeQuery("m", 0, 11'000 * 1000, 1000).ok());
  CHECK(engine.NewRangeQuery("m[5m]", 0, 1000, 1000).status().message() ==
        "invalid expression type \"range vector\" for range query, must be Scalar or instant Vector");
  CHECK(engine.NewRangeQuery("\"s\"", 0, 1000, 1000).status().message() ==
        "invalid expression type \"string\" for range query, must be Scalar or instant Vector");
}

TEST_CASE("exceeding max samples fails the query with ResourceExhausted", "[select][promql][engine]") {
  MemoryQuerier q;
  for (int i = 0; i < 5; ++i) q.Add(L({{"__name__", "m"}, {"i", std::to_string(i)}}), {{0, 1}});
  EngineOptions options;
  options.max_samples = 4;
  Engine engine(options);
  absl::Status st = ExecStatus(engine, q, "m", 0);
  CHECK(st.code() == absl::StatusCode::kResourceExhausted);
  CHECK(st.message() == "query processing would load too many samples into memory in query execution");
  // A range query counts every step's point.
  MemoryQuerier one;
  one.Add(L({{"__name__", "m"}}), EveryMinute(10));
  auto prepared = engine.NewRangeQuery("m", 0, 10 * kMinute, kMinute);
  REQUIRE(prepared.ok());
  CHECK(engine.Exec(*prepared, one).status().code() == absl::StatusCode::kResourceExhausted);
  CHECK(MustRange(engine, one, "m", 0, 3 * kMinute, kMinute).series.at(0).samples.size() == 4);
}

TEST_CASE("an expired deadline stops the query with DeadlineExceeded", "[select][promql][engine]") {
  MemoryQuerier q;
  q.Add(L({{"__name__", "m"}}), {{0, 1}});
  Engine engine;
  for (const char* query : {"m", "1 + 1", "sum(m)"}) {
    auto prepared = engine.NewInstantQuery(query, 0);
    REQUIRE(prepared.ok());
    prepared->deadline = std::chrono::steady_clock::now() - std::chrono::seconds(1);
    auto result = engine.Exec(*prepared, q);
    CHECK(result.status().code() == absl::StatusCode::kDeadlineExceeded);
    CHECK(result.status().message() == "query timed out in query execution");
  }
}

// A querier that reports missing data, as the fan-out does with dead nodes.
class PartialQuerier : public Querier {
 public:
  absl::StatusOr<SeriesSet> Select(const SelectHints& hints, std::span<const Matcher> matchers) override {
    auto set = inner.Select(hints, matchers);
    set->partial = true;
    set->warnings.push_back("node x down");
    return set;
  }
  MemoryQuerier inner;
};

TEST_CASE("partial answers and warnings of the querier reach the result", "[select][promql][engine]") {
  PartialQuerier q;
  q.inner.Add(L({{"__name__", "m"}}), {{0, 1}});
  Engine engine;
  QueryResult r = MustInstant(engine, q, "m", 0);
  CHECK(r.partial);
  CHECK(r.warnings == std::vector<std::string>{"node x down"});
}

TEST_CASE("thousands separators match Prometheus's message", "[select][promql][engine]") {
  CHECK(FormatWithThousands(11000) == "11,000");
  CHECK(FormatWithThousands(999) == "999");
  CHECK(FormatWithThousands(1234567) == "1,234,567");
}

TEST_CASE("a range binary operation gives the same answer at every step as at an instant",
          "[select][promql][engine]") {
  // The evaluator reuses the matched pairs of the previous step while both
  // operands hold the same series; a comparison filters steps in and out,
  // and a series that stops and comes back changes the operands' series.
  MemoryQuerier q;
  std::vector<Sample> a1, a2, b1;
  for (int i = 0; i <= 20; ++i) {
    const int64_t t = i * kMinute;
    a1.push_back({t, static_cast<double>(i % 4)});
    if (i < 8 || i > 12) a2.push_back({t, static_cast<double>(10 - i)});
    b1.push_back({t, 1.5});
  }
  q.Add(L({{"__name__", "a"}, {"k", "1"}, {"g", "x"}}), a1);
  q.Add(L({{"__name__", "a"}, {"k", "2"}, {"g", "x"}}), a2);
  q.Add(L({{"__name__", "b"}, {"g", "x"}}), b1);
  EngineOptions options;
  options.lookback_delta_ms = 30'000;
  Engine engine(options);
  for (const char* query : {"a > on (g) group_left b", "a - on (g) group_left b", "a >= bool on (g) group_left b",
                            "b < on (g) group_right a", "a * ignoring (k) group_left b"}) {
    INFO(query);
    QueryResult range = MustRange(engine, q, query, 0, 20 * kMinute, kMinute);
    size_t points = 0;
    for (const SeriesResult& s : range.series) {
      for (const Sample& p : s.samples) {
        QueryResult instant = MustInstant(engine, q, query, p.timestamp_ms);
        const SeriesResult* match = nullptr;
        for (const SeriesResult& i : instant.series) {
          if (i.labels == s.labels) match = &i;
        }
        REQUIRE(match != nullptr);
        CHECK(match->samples[0].value == p.value);
        ++points;
      }
    }
    // Every instant answer is in the range answer too.
    size_t instant_points = 0;
    for (int i = 0; i <= 20; ++i) instant_points += MustInstant(engine, q, query, i * kMinute).series.size();
    CHECK(points == instant_points);
    CHECK(points > 0);
  }
}

}  // namespace
}  // namespace strata::promql
