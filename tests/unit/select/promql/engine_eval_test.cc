// The evaluator's call, window and subquery paths, observed through test
// function implementations installed with SetFunctionLookupForTesting, so
// that the windows the engine hands to functions can be checked exactly.
#include <algorithm>
#include <cmath>

#include <catch2/catch.hpp>

#include "select/promql/engine.h"
#include "select/promql/engine_eval.h"
#include "select/promql/memory_querier.h"
#include "unit/select/promql/engine_test_util.h"

namespace strata::promql {
namespace {

constexpr int64_t kMinute = 60'000;

Labels L(std::vector<Label> l) { return Labels::FromUnsorted(std::move(l)); }

std::vector<Sample> EveryMinute(int minutes) {
  std::vector<Sample> out;
  for (int i = 0; i <= minutes; ++i) out.push_back({i * kMinute, static_cast<double>(i)});
  return out;
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

// What the engine passed to the window recorder, call by call.
struct WindowCall {
  int64_t t = 0;
  int64_t start = 0;
  int64_t end = 0;
  std::vector<int64_t> times;
};
std::vector<WindowCall> g_window_calls;

// count_over_time stand-in: records the window, returns its size.
absl::Status RecordWindow(std::span<const FunctionArg> args, const FunctionCallContext& ctx, Vector& out) {
  const Series* w = args[0].window;
  WindowCall c{ctx.t_ms, ctx.range_start_ms, ctx.range_end_ms, {}};
  for (const FPoint& p : w->floats) c.times.push_back(p.t);
  g_window_calls.push_back(std::move(c));
  bool drop = false;
  Labels labels = ResultLabels(w->labels, ctx, &drop);
  out.push_back(VectorSample{std::move(labels), static_cast<double>(w->floats.size()), ctx.t_ms, drop});
  return absl::OkStatus();
}

// timestamp stand-in: the seconds of each sample's time.
absl::Status SampleTime(std::span<const FunctionArg> args, const FunctionCallContext& ctx, Vector& out) {
  for (const VectorSample& s : *args[0].vector) {
    bool drop = false;
    out.push_back(VectorSample{ResultLabels(s.labels, ctx, &drop), static_cast<double>(s.t) / 1000, ctx.t_ms, drop});
  }
  return absl::OkStatus();
}

// sort stand-in: by value, descending.
absl::Status SortDesc(std::span<const FunctionArg> args, const FunctionCallContext&, Vector& out) {
  out = *args[0].vector;
  std::stable_sort(out.begin(), out.end(), [](const VectorSample& a, const VectorSample& b) { return a.f > b.f; });
  return absl::OkStatus();
}

// time stand-in that also raises one warning and one info at the call.
absl::Status TimeWithAnnotations(std::span<const FunctionArg>, const FunctionCallContext& ctx, Vector& out) {
  ctx.annotations->Warn(ctx.pos, "test warning");
  ctx.annotations->Info(ctx.pos, "test info");
  out.push_back(VectorSample{Labels(), static_cast<double>(ctx.t_ms) / 1000, ctx.t_ms, false});
  return absl::OkStatus();
}

FunctionImpl TestLookup(std::string_view name) {
  if (name == "count_over_time") return RecordWindow;
  if (name == "timestamp") return SampleTime;
  if (name == "sort") return SortDesc;
  if (name == "time") return TimeWithAnnotations;
  if (name == "abs") return nullptr;
  return FindFunctionImpl(name);
}

// Installs the test functions for one test case.
struct TestFunctions {
  TestFunctions() {
    g_window_calls.clear();
    internal::SetFunctionLookupForTesting(TestLookup);
  }
  ~TestFunctions() { internal::SetFunctionLookupForTesting(nullptr); }
};

TEST_CASE("range functions see the left-open window from t - offset - range to t - offset", "[promql][engine]") {
  TestFunctions fns;
  MemoryQuerier q;
  std::vector<Sample> samples = EveryMinute(20);
  samples.push_back({3 * kMinute + 30'000, StaleNaN()});
  std::sort(samples.begin(), samples.end(), [](const Sample& a, const Sample& b) { return a.timestamp_ms < b.timestamp_ms; });
  q.Add(L({{"__name__", "m"}}), samples);
  Engine engine;
  QueryResult r = MustRange(engine, q, "count_over_time(m[5m])", 5 * kMinute, 7 * kMinute, kMinute);
  REQUIRE(g_window_calls.size() == 3);
  // The sample at t - 5m is out; the stale marker at 3m30s never reaches the function.
  CHECK(g_window_calls[0].times == std::vector<int64_t>{kMinute, 2 * kMinute, 3 * kMinute, 4 * kMinute, 5 * kMinute});
  CHECK(g_window_calls[0].start == 0);
  CHECK(g_window_calls[0].end == 5 * kMinute);
  CHECK(g_window_calls[2].times.front() == 3 * kMinute);
  CHECK(g_window_calls[2].times.back() == 7 * kMinute);
  REQUIRE(r.series.size() == 1);
  CHECK(Values(r.series[0]) == std::vector<double>{5, 5, 5});
  CHECK(r.series[0].labels.empty());  // the recorder drops the name

  g_window_calls.clear();
  MustInstant(engine, q, "count_over_time(m[5m] offset 1m)", 10 * kMinute);
  REQUIRE(g_window_calls.size() == 1);
  CHECK(g_window_calls[0].start == 4 * kMinute);
  CHECK(g_window_calls[0].end == 9 * kMinute);
  CHECK(g_window_calls[0].times.front() == 5 * kMinute);
  CHECK(g_window_calls[0].t == 10 * kMinute);

  // Empty windows are not passed to the function at all.
  g_window_calls.clear();
  CHECK(MustInstant(engine, q, "count_over_time(m[5m])", 40 * kMinute).series.empty());
  CHECK(g_window_calls.empty());
}

TEST_CASE("subquery steps are aligned to absolute multiples of the step", "[promql][engine]") {
  MemoryQuerier q;
  q.Add(L({{"__name__", "m"}}), EveryMinute(120));
  Engine engine;
  // (10m, 20m] at multiples of 3m.
  QueryResult r = MustInstant(engine, q, "m[10m:3m]", 20 * kMinute);
  CHECK(r.type == ValueType::kMatrix);
  REQUIRE(r.series.size() == 1);
  CHECK(Times(r.series[0]) == std::vector<int64_t>{12 * kMinute, 15 * kMinute, 18 * kMinute});
  CHECK(Values(r.series[0]) == std::vector<double>{12, 15, 18});
  CHECK(r.series[0].labels.MetricName() == "m");
  // offset moves the window: (8m, 18m].
  r = MustInstant(engine, q, "m[10m:3m] offset 2m", 20 * kMinute);
  CHECK(Times(r.series.at(0)) == std::vector<int64_t>{9 * kMinute, 12 * kMinute, 15 * kMinute, 18 * kMinute});
  // `@` anchors it: (6m, 10m] whatever the query time.
  r = MustInstant(engine, q, "m[4m:2m] @ 600", 100 * kMinute);
  CHECK(Times(r.series.at(0)) == std::vector<int64_t>{8 * kMinute, 10 * kMinute});
  // Before time 0 the alignment still counts from the epoch: (-5m, 5m] is -3m, 0, 3m.
  r = MustInstant(engine, q, "m[10m:3m]", 5 * kMinute);
  CHECK(Times(r.series.at(0)) == std::vector<int64_t>{0, 3 * kMinute});
}

TEST_CASE("a subquery without a step uses the engine's default step", "[promql][engine]") {
  MemoryQuerier q;
  q.Add(L({{"__name__", "m"}}), EveryMinute(20));
  Engine engine;
  CHECK(Times(MustInstant(engine, q, "m[3m:]", 10 * kMinute).series.at(0)) ==
        std::vector<int64_t>{8 * kMinute, 9 * kMinute, 10 * kMinute});
  EngineOptions options;
  options.default_subquery_step_ms = 90'000;
  Engine ninety(options);
  CHECK(Times(MustInstant(ninety, q, "m[3m:]", 10 * kMinute).series.at(0)) == std::vector<int64_t>{450'000, 540'000});
}

TEST_CASE("range functions over subqueries slide over one inner evaluation", "[promql][engine]") {
  TestFunctions fns;
  MemoryQuerier q;
  q.Add(L({{"__name__", "m"}}), EveryMinute(30));
  Engine engine;
  // Inner steps 12m, 15m, 18m, 21m; windows (10m,20m], (11m,21m], (12m,22m].
  QueryResult r = MustRange(engine, q, "count_over_time(m[10m:3m])", 20 * kMinute, 22 * kMinute, kMinute);
  REQUIRE(r.series.size() == 1);
  CHECK(Values(r.series[0]) == std::vector<double>{3, 4, 3});
  REQUIRE(g_window_calls.size() == 3);
  CHECK(g_window_calls[1].times == std::vector<int64_t>{12 * kMinute, 15 * kMinute, 18 * kMinute, 21 * kMinute});
  // Subquery offset: (13m, 18m] at every minute.
  g_window_calls.clear();
  MustInstant(engine, q, "count_over_time(m[5m:1m] offset 2m)", 20 * kMinute);
  REQUIRE(g_window_calls.size() == 1);
  CHECK(g_window_calls[0].times.front() == 14 * kMinute);
  CHECK(g_window_calls[0].times.back() == 18 * kMinute);
  // `@` on the subquery: the same window at every step.
  r = MustRange(engine, q, "count_over_time(m[4m:2m] @ 600)", 0, 2 * kMinute, kMinute);
  CHECK(Values(r.series.at(0)) == std::vector<double>{2, 2, 2});
}

TEST_CASE("timestamp of a selector sees each sample's own time", "[promql][engine]") {
  TestFunctions fns;
  MemoryQuerier q;
  q.Add(L({{"__name__", "m"}}), {{0, 1}, {70'000, 2}});
  Engine engine;
  CHECK(Values(MustInstant(engine, q, "timestamp(m)", 100'000).series.at(0)) == std::vector<double>{70});
  CHECK(Values(MustInstant(engine, q, "timestamp((m))", 100'000).series.at(0)) == std::vector<double>{70});
  QueryResult r = MustRange(engine, q, "timestamp(m @ 50)", 0, 2 * kMinute, kMinute);
  CHECK(Values(r.series.at(0)) == std::vector<double>{0, 0, 0});
  // Any other argument carries the evaluation time.
  CHECK(Values(MustInstant(engine, q, "timestamp(m * 1)", 100'000).series.at(0)) == std::vector<double>{100});
}

TEST_CASE("absent_over_time reports steps without samples under the selector's equality labels", "[promql][engine]") {
  MemoryQuerier q;
  q.Add(L({{"__name__", "m"}, {"job", "a"}}), {{0, 1}, {kMinute, 1}, {2 * kMinute, 1}});
  Engine engine;
  QueryResult r = MustRange(engine, q, R"(absent_over_time(m{job="a"}[1m]))", 0, 5 * kMinute, kMinute);
  REQUIRE(r.series.size() == 1);
  CHECK(r.series[0].labels == L({{"job", "a"}}));
  CHECK(Times(r.series[0]) == std::vector<int64_t>{3 * kMinute, 4 * kMinute, 5 * kMinute});
  CHECK(Values(r.series[0]) == std::vector<double>{1, 1, 1});
  CHECK(MustInstant(engine, q, R"(absent_over_time(m{job="a"}[5m]))", 2 * kMinute).series.empty());
  r = MustInstant(engine, q, R"(absent_over_time(nope{job="x", env=~"p.*", dc="", a="1", a="2"}[5m]))", 0);
  REQUIRE(r.series.size() == 1);
  CHECK(r.series[0].labels == L({{"job", "x"}}));
}

TEST_CASE("function annotations are rendered at the call's position", "[promql][engine]") {
  TestFunctions fns;
  MemoryQuerier q;
  Engine engine;
  QueryResult r = MustInstant(engine, q, "1 + time()", 5000);
  CHECK(r.scalar.value == 6);
  CHECK(r.warnings == std::vector<std::string>{"PromQL warning: test warning (1:5)"});
  CHECK(r.infos == std::vector<std::string>{"PromQL info: test info (1:5)"});
}

TEST_CASE("a function without implementation fails with Unimplemented", "[promql][engine]") {
  TestFunctions fns;
  MemoryQuerier q;
  q.Add(L({{"__name__", "m"}}), {{0, 1}});
  Engine engine;
  auto prepared = engine.NewInstantQuery("abs(m)", 0);
  REQUIRE(prepared.ok());
  auto result = engine.Exec(*prepared, q);
  CHECK(result.status().code() == absl::StatusCode::kUnimplemented);
  CHECK(result.status().message() == "function abs is not implemented");
}

TEST_CASE("instant results keep the order of sort and are otherwise sorted by labels", "[promql][engine]") {
  TestFunctions fns;
  MemoryQuerier q;
  q.Add(L({{"__name__", "m"}, {"i", "1"}}), {{0, 1}});
  q.Add(L({{"__name__", "m"}, {"i", "3"}}), {{0, 3}});
  q.Add(L({{"__name__", "m"}, {"i", "2"}}), {{0, 2}});
  Engine engine;
  for (const char* query : {"sort(m)", "(sort(m))"}) {
    QueryResult r = MustInstant(engine, q, query, 0);
    REQUIRE(r.series.size() == 3);
    CHECK(r.series[0].labels.Get("i") == "3");
    CHECK(r.series[2].labels.Get("i") == "1");
  }
  QueryResult r = MustInstant(engine, q, "m", 0);
  REQUIRE(r.series.size() == 3);
  CHECK(r.series[0].labels.Get("i") == "1");
  CHECK(r.series[2].labels.Get("i") == "3");
}

TEST_CASE("a range function mapping two series onto one label set fails unless names are dropped late",
          "[promql][engine]") {
  TestFunctions fns;
  MemoryQuerier q;
  // Same labels apart from the name, never at the same time.
  q.Add(L({{"__name__", "a"}, {"i", "1"}}), {{0, 1}});
  q.Add(L({{"__name__", "b"}, {"i", "1"}}), {{10 * kMinute, 2}});
  Engine eager;
  auto prepared = eager.NewRangeQuery(R"(count_over_time({__name__=~"a|b"}[1m]))", 0, 10 * kMinute, 10 * kMinute);
  REQUIRE(prepared.ok());
  CHECK(eager.Exec(*prepared, q).status().message() == "vector cannot contain metrics with the same labelset");
  EngineOptions options;
  options.delayed_name_removal = true;
  Engine delayed(options);
  QueryResult r = MustRange(delayed, q, R"(count_over_time({__name__=~"a|b"}[1m]))", 0, 10 * kMinute, 10 * kMinute);
  REQUIRE(r.series.size() == 1);
  CHECK(r.series[0].labels == L({{"i", "1"}}));
  CHECK(Times(r.series[0]) == std::vector<int64_t>{0, 10 * kMinute});
}

TEST_CASE("experimental functions need the engine option; start, end, range and step read the query",
          "[promql][engine]") {
  MemoryQuerier q;
  Engine plain;
  CHECK(plain.NewInstantQuery("step()", 0).status().code() == absl::StatusCode::kInvalidArgument);
  EngineOptions options;
  options.experimental_functions = true;
  Engine engine(options);
  QueryResult r = MustRange(engine, q, "step()", 100'000, 110'000, 5'000);
  CHECK(Values(r.series.at(0)) == std::vector<double>{5, 5, 5});
  r = MustRange(engine, q, "range()", 10'000, 50'000, 10'000);
  CHECK(Values(r.series.at(0)) == std::vector<double>{40, 40, 40, 40, 40});
  r = MustRange(engine, q, "start() + end()", 20'000, 50'000, 10'000);
  CHECK(Values(r.series.at(0)) == std::vector<double>{70, 70, 70, 70});
  CHECK(MustInstant(engine, q, "step()", 100'000).scalar.value == 0);
  CHECK(MustInstant(engine, q, "range()", 100'000).scalar.value == 0);
  CHECK(MustInstant(engine, q, "end()", 100'000).scalar.value == 100);
}

// Records every Select the engine makes.
class RecordingQuerier : public Querier {
 public:
  absl::StatusOr<SeriesSet> Select(const SelectHints& hints, std::span<const Matcher> matchers) override {
    hints_.push_back(hints);
    return inner.Select(hints, matchers);
  }
  std::vector<SelectHints> hints_;
  MemoryQuerier inner;
};

TEST_CASE("each selector is loaded once over exactly the time range it needs", "[promql][engine]") {
  RecordingQuerier q;
  q.inner.Add(L({{"__name__", "m"}}), EveryMinute(30));
  Engine engine;  // lookback 5m
  MustInstant(engine, q, "m offset 1m", 10 * kMinute);
  REQUIRE(q.hints_.size() == 1);
  CHECK(q.hints_[0].min_time_ms == 4 * kMinute + 1);
  CHECK(q.hints_[0].max_time_ms == 9 * kMinute);

  q.hints_.clear();
  MustRange(engine, q, "m + m", 0, 10 * kMinute, kMinute);
  REQUIRE(q.hints_.size() == 2);
  CHECK(q.hints_[1].min_time_ms == -5 * kMinute + 1);
  CHECK(q.hints_[1].max_time_ms == 10 * kMinute);

  q.hints_.clear();
  MustRange(engine, q, "count_over_time(m[5m] @ 100)", 0, 10 * kMinute, kMinute);
  REQUIRE(q.hints_.size() == 1);
  CHECK(q.hints_[0].min_time_ms == 100'000 - 5 * kMinute + 1);
  CHECK(q.hints_[0].max_time_ms == 100'000);

  // The inner steps of the subquery lie in (8m, 18m]; lookback adds 5m.
  q.hints_.clear();
  MustInstant(engine, q, "count_over_time(m[10m:1m] offset 2m)", 20 * kMinute);
  REQUIRE(q.hints_.size() == 1);
  CHECK(q.hints_[0].min_time_ms == 8 * kMinute + 1 - 5 * kMinute + 1);
  CHECK(q.hints_[0].max_time_ms == 18 * kMinute);
}

TEST_CASE("aggregations and binary operators are assembled into series across steps", "[promql][engine]") {
  MemoryQuerier q;
  q.Add(L({{"__name__", "m"}, {"job", "a"}, {"i", "1"}}), EveryMinute(10));
  q.Add(L({{"__name__", "m"}, {"job", "b"}, {"i", "2"}}), {{5 * kMinute, 100}});
  Engine engine;
  QueryResult r = MustRange(engine, q, "sum by (job) (m)", 0, 6 * kMinute, 2 * kMinute);
  REQUIRE(r.series.size() == 2);
  CHECK(r.series[0].labels == L({{"job", "a"}}));
  CHECK(Values(r.series[0]) == std::vector<double>{0, 2, 4, 6});
  CHECK(r.series[1].labels == L({{"job", "b"}}));
  CHECK(Times(r.series[1]) == std::vector<int64_t>{6 * kMinute});
  r = MustRange(engine, q, R"(m{job="a"} + on(job) group_left m{job="a"})", 0, 2 * kMinute, kMinute);
  REQUIRE(r.series.size() == 1);
  CHECK(Values(r.series[0]) == std::vector<double>{0, 2, 4});
}

TEST_CASE("aggregation groups follow series that come and go between steps", "[promql][engine]") {
  // The grouping is reused while a step's series are the previous step's;
  // a series appearing, leaving or coming back must regroup.
  MemoryQuerier q;
  q.Add(L({{"__name__", "m"}, {"job", "a"}, {"i", "1"}}), EveryMinute(10));
  q.Add(L({{"__name__", "m"}, {"job", "b"}, {"i", "2"}}), {{2 * kMinute, 100}, {3 * kMinute, 100}});
  q.Add(L({{"__name__", "m"}, {"job", "a"}, {"i", "3"}}), {{4 * kMinute, 1000}, {5 * kMinute, 1000}});
  Engine engine(EngineOptions{.lookback_delta_ms = kMinute / 2});
  QueryResult r = MustRange(engine, q, "sum by (job) (m)", 0, 6 * kMinute, kMinute);
  REQUIRE(r.series.size() == 2);
  CHECK(r.series[0].labels == L({{"job", "a"}}));
  CHECK(Values(r.series[0]) == std::vector<double>{0, 1, 2, 3, 1004, 1005, 6});
  CHECK(r.series[1].labels == L({{"job", "b"}}));
  CHECK(Values(r.series[1]) == std::vector<double>{100, 100});
  r = MustRange(engine, q, "topk by (job) (1, m)", 0, 6 * kMinute, kMinute);
  REQUIRE(r.series.size() == 3);  // sorted by labels: i="1", i="2", i="3"
  CHECK(Times(r.series[0]) == std::vector<int64_t>{0, kMinute, 2 * kMinute, 3 * kMinute, 6 * kMinute});
  CHECK(Times(r.series[1]) == std::vector<int64_t>{2 * kMinute, 3 * kMinute});
  CHECK(Times(r.series[2]) == std::vector<int64_t>{4 * kMinute, 5 * kMinute});  // i="3" wins while present
}

TEST_CASE("range evaluation stays linear in steps and samples", "[promql][engine]") {
  // One day at 15 s resolution over a day of 15 s samples: a quadratic
  // evaluator would do ~3e7 window scans here and take many seconds.
  MemoryQuerier q;
  std::vector<Sample> samples;
  for (int64_t t = 0; t <= 24 * 60 * kMinute; t += 15'000) samples.push_back({t, static_cast<double>(t)});
  q.Add(L({{"__name__", "m"}}), samples);
  Engine engine;
  const auto start = std::chrono::steady_clock::now();
  QueryResult r = MustRange(engine, q, "m", 0, 24 * 60 * kMinute, 15'000);
  CHECK(r.series.at(0).samples.size() == samples.size());
  r = MustRange(engine, q, "max_over_time(m[1h])", 0, 24 * 60 * kMinute, 15'000);
  CHECK(r.series.at(0).samples.back().value == static_cast<double>(24 * 60 * kMinute));
  CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(5));
}

}  // namespace
}  // namespace strata::promql

namespace strata::promql {
namespace {

TEST_CASE("a day-long dashboard query over many series evaluates in seconds", "[promql][engine][.slow]") {
  // 500 counters scraped every 15 s for a day, queried at 15 s resolution.
  MemoryQuerier q;
  constexpr int64_t kDay = 24 * 60 * kMinute;
  for (int i = 0; i < 500; ++i) {
    std::vector<Sample> samples;
    for (int64_t t = 0; t <= kDay; t += 15'000) samples.push_back({t, static_cast<double>(t / 1000 + i)});
    q.Add(L({{"__name__", "http_requests_total"}, {"instance", std::to_string(i)}, {"job", "api"}}), samples);
  }
  Engine engine;
  for (const char* query : {"http_requests_total", "rate(http_requests_total[5m])",
                            "sum by (job) (rate(http_requests_total[5m]))", "http_requests_total * 2"}) {
    const auto start = std::chrono::steady_clock::now();
    QueryResult r = MustRange(engine, q, query, 0, kDay, 15'000);
    const auto ms =
        std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start).count();
    WARN(query << ": " << ms << " ms, " << r.series.size() << " series");
    CHECK(!r.series.empty());
    // Every step has a point (rate needs two samples, so not at time 0).
    CHECK(r.series[0].samples.size() >= static_cast<size_t>(kDay / 15'000));
    CHECK(ms < 20'000);
  }
}

}  // namespace
}  // namespace strata::promql
