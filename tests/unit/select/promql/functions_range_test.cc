// Unit tests for the range-vector functions (functions_range.cc). Windows are
// built by hand from the `load` lines of Prometheus's functions.test and the
// results compared with that script's expectations.
#include <cmath>
#include <limits>
#include <optional>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "select/promql/annotations.h"
#include "select/promql/ast.h"
#include "select/promql/functions.h"

namespace strata::promql {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr int64_t kSec = 1000;
constexpr int64_t kMin = 60 * kSec;

Labels L(std::vector<Label> l) { return Labels::FromUnsorted(std::move(l)); }

// The window (t - range, t] of a series loaded like a .test `load <step>`
// line: values[i] sits at i * step; nullopt is a gap (`_`).
Series Load(int64_t step_ms, const std::vector<std::optional<double>>& values, int64_t t_ms, int64_t range_ms,
            Labels labels = L({{"__name__", "metric"}})) {
  Series s;
  s.labels = std::move(labels);
  for (size_t i = 0; i < values.size(); ++i) {
    const int64_t ts = static_cast<int64_t>(i) * step_ms;
    if (values[i].has_value() && ts > t_ms - range_ms && ts <= t_ms) s.floats.push_back({ts, *values[i]});
  }
  return s;
}

// `start+incxn` of the .test format: n+1 values.
std::vector<std::optional<double>> Seq(double start, double inc, int n) {
  std::vector<std::optional<double>> v;
  for (int i = 0; i <= n; ++i) v.push_back(start + inc * i);
  return v;
}

std::vector<std::optional<double>> Cat(std::vector<std::optional<double>> a, const std::vector<std::optional<double>>& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

struct Result {
  absl::Status status;
  Vector out;
  Annotations annotations;
};

// Calls `name` once for one step. `scalars` fill the non-matrix arguments
// around the window at `window_arg`.
Result Run(std::string_view name, const Series& window, int64_t t_ms, int64_t range_ms,
           std::vector<double> scalars = {}, size_t window_arg = 0, const Call* call = nullptr,
           bool delayed_name_removal = false) {
  FunctionImpl impl = FindFunctionImpl(name);
  REQUIRE(impl != nullptr);
  std::vector<FunctionArg> args(scalars.size() + 1);
  size_t next_scalar = 0;
  for (size_t i = 0; i < args.size(); ++i) {
    if (i == window_arg) {
      args[i].window = &window;
    } else {
      args[i].scalar = scalars[next_scalar++];
    }
  }
  Result r;
  FunctionCallContext ctx;
  ctx.call = call;
  ctx.t_ms = t_ms;
  ctx.range_start_ms = t_ms - range_ms;
  ctx.range_end_ms = t_ms;
  ctx.delayed_name_removal = delayed_name_removal;
  ctx.annotations = &r.annotations;
  r.status = impl(args, ctx, r.out);
  return r;
}

// The single result value; fails the test when there is none.
double Value(const Result& r) {
  REQUIRE(r.status.ok());
  REQUIRE(r.out.size() == 1);
  return r.out[0].f;
}

// Same float as Prometheus's test runner accepts: NaN matches NaN, infinities
// match exactly, other values to 1e-6 relative.
bool Same(double got, double want) {
  if (std::isnan(want)) return std::isnan(got);
  if (std::isinf(want)) return got == want;
  if (want == 0) return std::fabs(got) < 1e-12;
  return std::fabs(got - want) <= 1e-6 * std::fabs(want);
}

#define CHECK_VALUE(result, want)                  \
  do {                                             \
    const double got_ = Value(result);             \
    INFO("got " << got_ << ", want " << (want));   \
    CHECK(Same(got_, (want)));                     \
  } while (0)

ExprPtr NodeAt(int start, int end) {
  auto e = std::make_unique<Expr>();
  e->node = NumberLiteral{0};
  e->pos = {start, end};
  return e;
}

// ---------------------------------------------------------------- rates

TEST_CASE("increase extrapolates to the window edges and stops at the counter's zero point",
          "[promql][functions][range]") {
  const int64_t t = 50 * kMin;
  // http_requests_total{path=...} from functions.test, load 5m.
  CHECK_VALUE(Run("increase", Load(5 * kMin, Seq(0, 10, 10), t, 50 * kMin), t, 50 * kMin), 100);
  CHECK_VALUE(Run("increase", Load(5 * kMin, Cat(Seq(0, 18, 5), Seq(0, 18, 5)), t, 50 * kMin), t, 50 * kMin), 160);
  CHECK_VALUE(Run("increase", Load(5 * kMin, Seq(10, 10, 10), t, 50 * kMin), t, 50 * kMin), 100);
  CHECK_VALUE(Run("increase", Load(5 * kMin, Seq(1, 10, 10), t, 50 * kMin), t, 50 * kMin), 100);
  // [100m]: the start is far away, so only half an interval, or less when
  // that would take the counter below zero.
  CHECK_VALUE(Run("increase", Load(5 * kMin, Seq(0, 10, 10), t, 100 * kMin), t, 100 * kMin), 100);
  CHECK_VALUE(Run("increase", Load(5 * kMin, Cat(Seq(0, 18, 5), Seq(0, 18, 5)), t, 100 * kMin), t, 100 * kMin), 162);
  CHECK_VALUE(Run("increase", Load(5 * kMin, Seq(10, 10, 10), t, 100 * kMin), t, 100 * kMin), 105);
  CHECK_VALUE(Run("increase", Load(5 * kMin, Seq(1, 10, 10), t, 100 * kMin), t, 100 * kMin), 101);
}

TEST_CASE("increase treats a decrease as a counter reset to zero", "[promql][functions][range]") {
  const int64_t t = 30 * kMin;
  CHECK_VALUE(Run("increase", Load(5 * kMin, {0, 1, 2, 3, 2, 3, 4}, t, 30 * kMin), t, 30 * kMin), 7);
}

TEST_CASE("rate is per second over the range and handles resets in the middle and at the end",
          "[promql][functions][range]") {
  const int64_t t = 50 * kMin;
  CHECK_VALUE(Run("rate", Load(5 * kMin, Cat(Seq(0, 27, 4), Seq(0, 27, 5)), t, 50 * kMin), t, 50 * kMin), 0.08);
  const auto reset_end = Cat(Seq(0, 10, 9), {0, 10});
  // One sample in (45m, 50m]: no rate.
  CHECK(Run("rate", Load(5 * kMin, reset_end, t, 5 * kMin), t, 5 * kMin).out.empty());
  CHECK_VALUE(Run("rate", Load(5 * kMin, reset_end, t, 6 * kMin), t, 6 * kMin), 0);
  CHECK_VALUE(Run("rate", Load(5 * kMin, Seq(0, 80, 10), t, 50 * kMin), t, 50 * kMin), 0.26666666666666666);
}

TEST_CASE("rate with offset uses the shifted window boundaries", "[promql][functions][range]") {
  // rate(calculate_rate_offset_total[10m] offset 5m) at 50m: window (35m, 45m].
  Series w = Load(5 * kMin, Seq(0, 10, 10), 45 * kMin, 10 * kMin);
  FunctionImpl rate = FindFunctionImpl("rate");
  REQUIRE(rate != nullptr);
  FunctionArg arg;
  arg.window = &w;
  Annotations annos;
  FunctionCallContext ctx;
  ctx.t_ms = 50 * kMin;
  ctx.range_start_ms = 35 * kMin;
  ctx.range_end_ms = 45 * kMin;
  ctx.annotations = &annos;
  Vector out;
  REQUIRE(rate(std::span<const FunctionArg>(&arg, 1), ctx, out).ok());
  REQUIRE(out.size() == 1);
  CHECK(Same(out[0].f, 0.03333333333333333));
  CHECK(out[0].t == 50 * kMin);
}

TEST_CASE("rate extrapolates to the counter's zero point only within half an interval",
          "[promql][functions][range]") {
  // testcounter_zero_cutoff_total, load 4m, rate(...[20m]) at 10m and 50m.
  const double starts[] = {0, 60, 120, 180, 240, 300};
  const double want_10m[] = {0.5, 0.55, 0.6, 0.6, 0.6, 0.6};
  for (int i = 0; i < 6; ++i) {
    const auto values = Seq(starts[i], 240, 10);
    CHECK_VALUE(Run("rate", Load(4 * kMin, values, 10 * kMin, 20 * kMin), 10 * kMin, 20 * kMin), want_10m[i]);
    CHECK_VALUE(Run("rate", Load(4 * kMin, values, 50 * kMin, 20 * kMin), 50 * kMin, 20 * kMin), 0.6);
  }
}

TEST_CASE("delta extrapolates without counter semantics and may be negative", "[promql][functions][range]") {
  const int64_t t = 20 * kMin;
  CHECK_VALUE(Run("delta", Load(5 * kMin, {0, 50, 100, 150, 200}, t, 20 * kMin), t, 20 * kMin), 200);
  CHECK_VALUE(Run("delta", Load(5 * kMin, {200, 150, 100, 50, 0}, t, 20 * kMin), t, 20 * kMin), -200);
  // A gauge going below zero is not clamped at the start: 3 samples 10s
  // apart ending 5s before t in a 60s window extrapolate by 5s at each end.
  Series w;
  w.labels = L({{"__name__", "g"}});
  w.floats = {{15 * kSec, 10}, {25 * kSec, 0}, {35 * kSec, -10}};
  CHECK_VALUE(Run("delta", w, 40 * kSec, 30 * kSec), -20.0 * 30 / 20);
}

TEST_CASE("rate, increase and delta need two samples", "[promql][functions][range]") {
  Series empty;
  Series one = Load(5 * kMin, {5}, 0, 5 * kMin);
  for (const char* fn : {"rate", "increase", "delta", "irate", "idelta", "deriv"}) {
    INFO(fn);
    CHECK(Run(fn, empty, 0, 5 * kMin).out.empty());
    CHECK(Run(fn, one, 0, 5 * kMin).out.empty());
  }
  CHECK(Run("predict_linear", one, 0, 5 * kMin, {60}, 0).out.empty());
}

TEST_CASE("irate and idelta look at the last two samples", "[promql][functions][range]") {
  CHECK_VALUE(Run("irate", Load(5 * kMin, Seq(0, 10, 10), 50 * kMin, 50 * kMin), 50 * kMin, 50 * kMin),
              0.03333333333333333);
  // Counter reset between the last two samples: the last value is the increase.
  const auto bar = Cat(Seq(0, 10, 5), Seq(0, 10, 5));
  CHECK_VALUE(Run("irate", Load(5 * kMin, bar, 30 * kMin, 50 * kMin), 30 * kMin, 50 * kMin), 0);
  // http_requests_nan 1 NaN NaN 5 11 over [15m1s].
  const std::vector<std::optional<double>> nan_series = {1, kNaN, kNaN, 5, 11};
  const int64_t range = 15 * kMin + kSec;
  CHECK(Run("irate", Load(5 * kMin, nan_series, 0, range), 0, range).out.empty());
  for (int64_t t : {5 * kMin, 10 * kMin, 15 * kMin}) {
    CHECK_VALUE(Run("irate", Load(5 * kMin, nan_series, t, range), t, range), kNaN);
    CHECK_VALUE(Run("idelta", Load(5 * kMin, nan_series, t, range), t, range), kNaN);
  }
  CHECK_VALUE(Run("irate", Load(5 * kMin, nan_series, 20 * kMin, range), 20 * kMin, range), 0.02);
  CHECK_VALUE(Run("idelta", Load(5 * kMin, nan_series, 20 * kMin, range), 20 * kMin, range), 6);
  CHECK_VALUE(Run("idelta", Load(5 * kMin, {0, 50, 100, 150}, 20 * kMin, 20 * kMin), 20 * kMin, 20 * kMin), 50);
  CHECK_VALUE(Run("idelta", Load(5 * kMin, {0, 50, 100, 50}, 20 * kMin, 20 * kMin), 20 * kMin, 20 * kMin), -50);
}

TEST_CASE("rate and increase flag a metric name that does not look like a counter", "[promql][functions][range]") {
  Call call;
  call.args.push_back(NodeAt(5, 20));
  const Series gauge = Load(5 * kMin, Seq(0, 10, 10), 50 * kMin, 50 * kMin, L({{"__name__", "http_requests"}}));
  for (const char* fn : {"rate", "increase"}) {
    Result r = Run(fn, gauge, 50 * kMin, 50 * kMin, {}, 0, &call);
    REQUIRE(r.out.size() == 1);
    std::vector<std::string> infos = r.annotations.RenderInfos("rate(http_requests[50m])");
    REQUIRE(infos.size() == 1);
    CHECK(infos[0] ==
          "PromQL info: metric might not be a counter, name does not end in _total/_sum/_count/_bucket: "
          "\"http_requests\" (1:6)");
  }
  for (const char* name : {"x_total", "x_sum", "x_count", "x_bucket"}) {
    const Series counter = Load(5 * kMin, Seq(0, 10, 10), 50 * kMin, 50 * kMin, L({{"__name__", name}}));
    CHECK(Run("rate", counter, 50 * kMin, 50 * kMin, {}, 0, &call).annotations.empty());
  }
  // No info without a name, without a result, or from delta/irate.
  CHECK(Run("rate", Load(5 * kMin, Seq(0, 10, 10), 50 * kMin, 50 * kMin, L({{"a", "b"}})), 50 * kMin, 50 * kMin, {}, 0,
            &call)
            .annotations.empty());
  CHECK(Run("rate", Load(5 * kMin, {1}, 0, kMin, L({{"__name__", "g"}})), 0, kMin, {}, 0, &call).annotations.empty());
  CHECK(Run("delta", gauge, 50 * kMin, 50 * kMin, {}, 0, &call).annotations.empty());
  CHECK(Run("irate", gauge, 50 * kMin, 50 * kMin, {}, 0, &call).annotations.empty());
  // Repeated calls (more steps, same series) keep one annotation.
  FunctionArg arg;
  arg.window = &gauge;
  Annotations annos;
  FunctionCallContext ctx;
  ctx.call = &call;
  ctx.annotations = &annos;
  Vector out;
  for (int64_t step = 0; step < 3; ++step) {
    ctx.t_ms = 50 * kMin + step * kMin;
    ctx.range_start_ms = ctx.t_ms - 50 * kMin;
    ctx.range_end_ms = ctx.t_ms;
    REQUIRE(FindFunctionImpl("rate")(std::span<const FunctionArg>(&arg, 1), ctx, out).ok());
  }
  CHECK(out.size() == 3);
  CHECK(annos.items().size() == 1);
}

// --------------------------------------------------- regression functions

TEST_CASE("deriv is the least-squares slope per second", "[promql][functions][range]") {
  const auto middle = Cat(Seq(0, 10, 4), Seq(0, 10, 5));
  CHECK_VALUE(Run("deriv", Load(5 * kMin, Seq(0, 80, 10), 50 * kMin, 50 * kMin), 50 * kMin, 50 * kMin),
              0.26666666666666666);
  CHECK_VALUE(Run("deriv", Load(5 * kMin, middle, 50 * kMin, 100 * kMin), 50 * kMin, 100 * kMin),
              0.010606060606060607);
  // An infinite sample makes the fit NaN.
  const auto inf = Cat(Cat({-kInf}, Seq(0, 80, 10)), {kInf});
  CHECK_VALUE(Run("deriv", Load(5 * kMin, inf, 100 * kMin, 100 * kMin), 100 * kMin, 100 * kMin), kNaN);
  // Constant series: slope 0; constant infinite series: NaN.
  CHECK_VALUE(Run("deriv", Load(kMin, {3, 3, 3}, 2 * kMin, 5 * kMin), 2 * kMin, 5 * kMin), 0);
  CHECK_VALUE(Run("deriv", Load(kMin, {kInf, kInf}, kMin, 5 * kMin), kMin, 5 * kMin), kNaN);
}

TEST_CASE("predict_linear extrapolates from the evaluation time", "[promql][functions][range]") {
  const auto middle = Cat(Seq(0, 10, 4), Seq(0, 10, 5));
  CHECK_VALUE(Run("predict_linear", Load(5 * kMin, middle, 50 * kMin, 50 * kMin), 50 * kMin, 50 * kMin, {3600}, 0),
              70);
  // predict_linear(x[55m] @ 3000, 3600) evaluated at 10m and 70m: same window,
  // intercept at the evaluation time.
  const Series at3000 = Load(5 * kMin, middle, 50 * kMin, 55 * kMin);
  auto run_at = [&](int64_t t) {
    FunctionImpl impl = FindFunctionImpl("predict_linear");
    std::vector<FunctionArg> args(2);
    args[0].window = &at3000;
    args[1].scalar = 3600;
    FunctionCallContext ctx;
    ctx.t_ms = t;
    ctx.range_start_ms = -5 * kMin;
    ctx.range_end_ms = 50 * kMin;
    Vector out;
    REQUIRE(impl(args, ctx, out).ok());
    REQUIRE(out.size() == 1);
    return out[0].f;
  };
  CHECK(Same(run_at(50 * kMin), 76.81818181818181));
  CHECK(Same(run_at(10 * kMin), 51.36363636363637));
  CHECK(Same(run_at(70 * kMin), 89.54545454545455));
  const auto inf = Cat(Cat({-kInf}, Seq(0, 80, 10)), {kInf});
  CHECK_VALUE(Run("predict_linear", Load(5 * kMin, inf, 100 * kMin, 100 * kMin), 100 * kMin, 100 * kMin, {6000}, 0),
              kNaN);
}

// ------------------------------------------------------ resets, changes

TEST_CASE("resets counts decreases and changes counts value changes", "[promql][functions][range]") {
  const std::vector<std::optional<double>> foo = {1, 2, 3, 0, 1, 0, 0, 1, 2, 0};
  const std::vector<std::optional<double>> bar = {1, 2, 3, 4, 5, 1, 2, 3, 4, 5};
  const std::vector<std::optional<double>> biz = {0, 0, 0, 0, 0, 1, 1, 1, 1, 1};
  const int64_t t = 50 * kMin;
  CHECK(Run("resets", Load(5 * kMin, foo, t, 5 * kMin), t, 5 * kMin).out.empty());
  CHECK_VALUE(Run("resets", Load(5 * kMin, foo, t, 10 * kMin), t, 10 * kMin), 0);
  CHECK_VALUE(Run("resets", Load(5 * kMin, foo, t, 20 * kMin), t, 20 * kMin), 1);
  CHECK_VALUE(Run("resets", Load(5 * kMin, foo, t, 32 * kMin), t, 32 * kMin), 2);
  CHECK_VALUE(Run("resets", Load(5 * kMin, bar, t, 32 * kMin), t, 32 * kMin), 1);
  CHECK_VALUE(Run("resets", Load(5 * kMin, foo, t, 50 * kMin), t, 50 * kMin), 3);
  CHECK_VALUE(Run("resets", Load(5 * kMin, biz, t, 50 * kMin), t, 50 * kMin), 0);
  CHECK_VALUE(Run("changes", Load(5 * kMin, foo, t, 6 * kMin), t, 6 * kMin), 0);
  CHECK_VALUE(Run("changes", Load(5 * kMin, foo, t, 20 * kMin), t, 20 * kMin), 2);
  CHECK_VALUE(Run("changes", Load(5 * kMin, bar, t, 30 * kMin), t, 30 * kMin), 4);
  CHECK_VALUE(Run("changes", Load(5 * kMin, foo, t, 50 * kMin), t, 50 * kMin), 7);
  CHECK_VALUE(Run("changes", Load(5 * kMin, bar, t, 50 * kMin), t, 50 * kMin), 8);
  CHECK_VALUE(Run("changes", Load(5 * kMin, biz, t, 50 * kMin), t, 50 * kMin), 1);
}

TEST_CASE("changes does not count NaN to NaN", "[promql][functions][range]") {
  CHECK_VALUE(Run("changes", Load(5 * kMin, {kNaN, kNaN, kNaN}, 15 * kMin, 20 * kMin), 15 * kMin, 20 * kMin), 0);
  CHECK_VALUE(Run("changes", Load(5 * kMin, {0, kNaN, 0}, 15 * kMin, 20 * kMin), 15 * kMin, 20 * kMin), 2);
}

// ------------------------------------------------------------ _over_time

TEST_CASE("avg_over_time and sum_over_time follow Prometheus's Inf and NaN handling", "[promql][functions][range]") {
  const int64_t t = 55 * kSec;
  auto avg = [&](std::vector<std::optional<double>> v, int64_t range = kMin) {
    return Run("avg_over_time", Load(10 * kSec, v, t, range), t, range);
  };
  auto sum = [&](std::vector<std::optional<double>> v) {
    return Run("sum_over_time", Load(10 * kSec, v, t, kMin), t, kMin);
  };
  CHECK(avg({1, 2, 3, 4, 5}, 10 * kSec).out.empty());
  CHECK_VALUE(avg({1, 2, 3, 4, 5}, 20 * kSec), 5);
  CHECK_VALUE(avg({1, 2, 3, 4, 5}), 3);
  CHECK_VALUE(avg({1, 2, 3, 4, kInf}), kInf);
  CHECK_VALUE(avg({1, 2, 3, 4, -kInf}), -kInf);
  CHECK_VALUE(avg({1, 2, 3, kInf, -kInf}), kNaN);
  CHECK_VALUE(avg({kInf, 0, kInf}), kInf);
  CHECK_VALUE(avg({kInf, kInf, kInf, -kInf}), kNaN);
  CHECK_VALUE(avg({1, 2, 3, -kInf, -kInf}), -kInf);
  CHECK_VALUE(avg({-kInf, 0, -kInf}), -kInf);
  CHECK_VALUE(avg({1, 2, -kInf, -kInf, kInf}), kNaN);
  // Near-overflow: the sum overflows, the incremental mean does not.
  CHECK_VALUE(avg({9.988465674311579e+307, 9.988465674311579e+307}), 9.988465674311579e+307);
  CHECK_VALUE(sum({9.988465674311579e+307, 9.988465674311579e+307}), kInf);
  CHECK_VALUE(avg({-9.988465674311579e+307, -9.988465674311579e+307, -9.988465674311579e+307}),
              -9.988465674311579e+307);
  CHECK_VALUE(avg({-9.988465674311579e+307, 9.988465674311579e+307}), 0);
  CHECK_VALUE(avg({1, 2, 3, kNaN, kNaN}), kNaN);
  CHECK_VALUE(Run("avg_over_time", Load(10 * kSec, {1, 2, 3, kNaN, kNaN}, 20 * kSec, kMin), 20 * kSec, kMin), 2);
  CHECK_VALUE(sum({1, 2, 3, 4, kInf}), kInf);
  CHECK_VALUE(sum({1, 2, 3, kInf, -kInf}), kNaN);
}

TEST_CASE("sum_over_time and avg_over_time keep small values next to huge ones", "[promql][functions][range]") {
  const Series w = Load(10 * kSec, {1, 1e100, 1, -1e100}, kMin, 2 * kMin);
  CHECK_VALUE(Run("sum_over_time", w, kMin, 2 * kMin), 2);
  CHECK_VALUE(Run("avg_over_time", w, kMin, 2 * kMin), 0.5);
}

TEST_CASE("avg_over_time matches Prometheus on values of very different magnitudes", "[promql][functions][range]") {
  const int64_t t = 55 * kSec;
  auto avg = [&](std::vector<std::optional<double>> v) {
    return Run("avg_over_time", Load(5 * kSec, v, t, kMin), t, kMin);
  };
  CHECK_VALUE(avg({1e10, 1e-6, 1e-6, 1e-6, 1e-6, 1e-6}), 1.6666666666666675e+09);
  CHECK_VALUE(avg({5.30921651659898, 0.961118537914768, 1.62091361305318, 0.865089463758091, 0.323055185914577,
                   0.951811357687154}),
              1.67186744582113);
  CHECK_VALUE(avg({1.78264e50, 0.76342771, 1.9592258, 7.69805412, 458.90154}), 3.56528E+49);
  CHECK_VALUE(avg({1.78264E+50, 0.76342771, 1.9592258, 2.258E+220, 7.69805412, 458.90154}), 3.76333333333333E+219);
  CHECK_VALUE(avg({-1.78264E+215, 0.76342771, 1.9592258, 2.258E+220, 7.69805412, -458.90154}), 3.76330362266667E+219);
  CHECK_VALUE(avg({-1.78264E+215, 0.76342771, 1.9592258, 2.258E+220, 7.69805412, 1.78264E+215, -458.90154}),
              3.225714285714286e+219);
  CHECK_VALUE(avg({-1.78264E+219, 0.76342771, 1.9592258, 2.3757689E+217, -2.3757689E+217, 2.258E+220, 7.69805412,
                   1.78264E+219, -458.90154}),
              2.5088888888888888e+219);
  // Even Kahan summation loses the small values here; Prometheus gives 0.
  CHECK_VALUE(avg({-2.258E+220, -1.78264E+219, 0.76342771, 1.9592258, 2.3757689E+217, -2.3757689E+217, 2.258E+220,
                   7.69805412, 1.78264E+219, -458.90154}),
              0);
  // A constant series averages to exactly that constant.
  for (int64_t range : {100 * kSec, 110 * kSec, 120 * kSec, 130 * kSec}) {
    CHECK(Value(Run("avg_over_time", Load(10 * kSec, Seq(52, 0, 100), 10 * kMin, range), 10 * kMin, range)) == 52);
  }
}

TEST_CASE("count_over_time, sum_over_time and present_over_time over dense samples", "[promql][functions][range]") {
  const auto ones = Seq(1, 0, 4000);
  CHECK_VALUE(Run("sum_over_time", Load(1, ones, 4 * kSec, 1000), 4 * kSec, 1000), 1000);
  CHECK_VALUE(Run("sum_over_time", Load(1, ones, 4 * kSec, 1001), 4 * kSec, 1001), 1001);
  CHECK_VALUE(Run("count_over_time", Load(1, ones, 4 * kSec, 3003), 4 * kSec, 3003), 3003);
  CHECK_VALUE(Run("present_over_time", Load(1, ones, 4 * kSec, 3003), 4 * kSec, 3003), 1);
  Series empty;
  for (const char* fn : {"sum_over_time", "count_over_time", "present_over_time", "avg_over_time", "min_over_time",
                         "max_over_time", "stddev_over_time", "stdvar_over_time", "last_over_time", "first_over_time",
                         "mad_over_time", "ts_of_min_over_time", "ts_of_max_over_time", "ts_of_first_over_time",
                         "ts_of_last_over_time", "resets", "changes"}) {
    INFO(fn);
    CHECK(Run(fn, empty, kMin, kMin).out.empty());
  }
}

TEST_CASE("min_over_time and max_over_time are NaN only when every sample is NaN", "[promql][functions][range]") {
  const std::vector<std::vector<std::optional<double>>> data = {
      {2, 0, 3}, {2, 0, kNaN}, {2, kNaN, 1}, {kNaN, 0, 1}, {kNaN, kNaN, kNaN}};
  const double want_min[] = {0, 0, 1, 0, kNaN};
  const double want_max[] = {3, 2, 2, 1, kNaN};
  const double want_last[] = {3, kNaN, 1, 1, kNaN};
  const double want_first[] = {2, 2, 2, kNaN, kNaN};
  for (size_t i = 0; i < data.size(); ++i) {
    INFO("series " << i);
    const Series w = Load(10 * kSec, data[i], kMin, 2 * kMin);
    CHECK_VALUE(Run("min_over_time", w, kMin, 2 * kMin), want_min[i]);
    CHECK_VALUE(Run("max_over_time", w, kMin, 2 * kMin), want_max[i]);
    CHECK_VALUE(Run("last_over_time", w, kMin, 2 * kMin), want_last[i]);
    CHECK_VALUE(Run("first_over_time", w, kMin, 2 * kMin), want_first[i]);
  }
  const Series sparse = Load(10 * kSec, {std::nullopt, 5, 2, std::nullopt, 4, std::nullopt}, kMin, 2 * kMin);
  CHECK_VALUE(Run("min_over_time", sparse, kMin, 2 * kMin), 2);
  CHECK_VALUE(Run("max_over_time", sparse, kMin, 2 * kMin), 5);
  CHECK_VALUE(Run("last_over_time", sparse, kMin, 2 * kMin), 4);
}

TEST_CASE("ts_of functions return the sample timestamp in seconds", "[promql][functions][range]") {
  const int64_t step = 10 * kSec + 53;
  const Series w = Load(step, {1, 2, 3, 0, 5, 6, 2, 1, 4}, 90 * kSec, 90 * kSec);
  CHECK_VALUE(Run("ts_of_min_over_time", w, 90 * kSec, 90 * kSec), 30.159);
  CHECK_VALUE(Run("ts_of_max_over_time", w, 90 * kSec, 90 * kSec), 50.265);
  // The latest of equal extremes wins.
  const Series ties = Load(kSec, {1, 5, 5, 1}, 3 * kSec, 10 * kSec);
  CHECK_VALUE(Run("ts_of_min_over_time", ties, 3 * kSec, 10 * kSec), 3);
  CHECK_VALUE(Run("ts_of_max_over_time", ties, 3 * kSec, 10 * kSec), 2);
  const std::vector<std::optional<double>> last = {1, 2, 3, std::nullopt, std::nullopt};
  CHECK_VALUE(Run("ts_of_last_over_time", Load(step, last, 90 * kSec, 90 * kSec), 90 * kSec, 90 * kSec), 20.106);
  CHECK_VALUE(Run("ts_of_last_over_time", Load(step, last, 95 * kSec, 90 * kSec), 95 * kSec, 90 * kSec), 20.106);
  const std::vector<std::optional<double>> first = {std::nullopt, std::nullopt, 1, 2, 3};
  CHECK_VALUE(Run("ts_of_first_over_time", Load(step, first, 90 * kSec, 90 * kSec), 90 * kSec, 90 * kSec), 20.106);
  CHECK(Run("ts_of_first_over_time", Load(step, first, 15 * kSec, 90 * kSec), 15 * kSec, 90 * kSec).out.empty());
}

TEST_CASE("stddev_over_time and stdvar_over_time", "[promql][functions][range]") {
  const Series w = Load(10 * kSec, {0, 8, 8, 2, 3}, kMin, 2 * kMin);
  CHECK_VALUE(Run("stdvar_over_time", w, kMin, 2 * kMin), 10.56);
  CHECK_VALUE(Run("stddev_over_time", w, kMin, 2 * kMin), 3.249615);
  // A constant series has exactly zero variance (Prometheus issue 4927).
  const Series c = Load(10 * kSec, {1.5990505637277868, 1.5990505637277868, 1.5990505637277868}, 55 * kSec, kMin);
  CHECK(Value(Run("stdvar_over_time", c, 55 * kSec, kMin)) == 0);
  CHECK(Value(Run("stddev_over_time", c, 55 * kSec, kMin)) == 0);
  CHECK(Value(Run("stddev_over_time", Load(kSec, {7}, 0, kSec), 0, kSec)) == 0);
  CHECK_VALUE(Run("stddev_over_time", Load(kSec, {1, kNaN}, kSec, 5 * kSec), kSec, 5 * kSec), kNaN);
}

TEST_CASE("quantile_over_time interpolates between ranks", "[promql][functions][range]") {
  const std::vector<std::vector<std::optional<double>>> data = {{0, 1}, {0, 1, 2}, {0, 1, 4}};
  const std::vector<std::pair<double, std::vector<double>>> cases = {
      {0, {0, 0, 0}}, {0.5, {0.5, 1, 1}}, {0.75, {0.75, 1.5, 2.5}}, {0.8, {0.8, 1.6, 2.8}}, {1, {1, 2, 4}}};
  for (const auto& [q, wants] : cases) {
    for (size_t i = 0; i < data.size(); ++i) {
      INFO("q=" << q << " series " << i);
      Result r = Run("quantile_over_time", Load(10 * kSec, data[i], kMin, 2 * kMin), kMin, 2 * kMin, {q}, 1);
      CHECK_VALUE(r, wants[i]);
      CHECK(r.annotations.empty());
    }
  }
  // NaN samples sort first.
  CHECK_VALUE(Run("quantile_over_time", Load(kSec, {3, kNaN, 1}, 2 * kSec, 5 * kSec), 2 * kSec, 5 * kSec, {0.5}, 1),
              1);
}

TEST_CASE("quantile_over_time warns about a quantile outside [0, 1] at the parameter", "[promql][functions][range]") {
  Call call;
  call.args.push_back(NodeAt(19, 21));
  call.args.push_back(NodeAt(23, 31));
  const Series w = Load(10 * kSec, {0, 1, 2}, kMin, 2 * kMin);
  const std::string query = "quantile_over_time(-1, data[2m])";
  Result low = Run("quantile_over_time", w, kMin, 2 * kMin, {-1}, 1, &call);
  CHECK_VALUE(low, -kInf);
  CHECK(low.annotations.RenderWarnings(query) ==
        std::vector<std::string>{"PromQL warning: quantile value should be between 0 and 1, got -1 (1:20)"});
  CHECK(low.annotations.RenderInfos(query).empty());
  Result high = Run("quantile_over_time", w, kMin, 2 * kMin, {2}, 1, &call);
  CHECK_VALUE(high, kInf);
  CHECK(high.annotations.RenderWarnings(query) ==
        std::vector<std::string>{"PromQL warning: quantile value should be between 0 and 1, got 2 (1:20)"});
  Result nan = Run("quantile_over_time", w, kMin, 2 * kMin, {kNaN}, 1, &call);
  CHECK_VALUE(nan, kNaN);
  CHECK(nan.annotations.RenderWarnings(query) ==
        std::vector<std::string>{"PromQL warning: quantile value should be between 0 and 1, got NaN (1:20)"});
  Result tiny = Run("quantile_over_time", w, kMin, 2 * kMin, {-1.5e-7}, 1, &call);
  CHECK(tiny.annotations.RenderWarnings(query) ==
        std::vector<std::string>{"PromQL warning: quantile value should be between 0 and 1, got -1.5e-07 (1:20)"});
  Result big = Run("quantile_over_time", w, kMin, 2 * kMin, {1234567}, 1, &call);
  CHECK(big.annotations.RenderWarnings(query) ==
        std::vector<std::string>{"PromQL warning: quantile value should be between 0 and 1, got 1.234567e+06 (1:20)"});
  Result mid = Run("quantile_over_time", w, kMin, 2 * kMin, {1.25}, 1, &call);
  CHECK(mid.annotations.RenderWarnings(query) ==
        std::vector<std::string>{"PromQL warning: quantile value should be between 0 and 1, got 1.25 (1:20)"});
}

TEST_CASE("mad_over_time is the median absolute deviation", "[promql][functions][range]") {
  CHECK_VALUE(Run("mad_over_time", Load(10 * kSec, {4, 6, 2, 1, 999, 1, 2}, 70 * kSec, 70 * kSec), 70 * kSec,
                  70 * kSec),
              1);
  CHECK_VALUE(Run("mad_over_time", Load(10 * kSec, {1, 2, 3, 4, 5}, 40 * kSec, 50 * kSec), 40 * kSec, 50 * kSec), 1);
  CHECK_VALUE(Run("mad_over_time", Load(10 * kSec, {7, 7, 7, 7, 7}, 40 * kSec, 50 * kSec), 40 * kSec, 50 * kSec), 0);
  CHECK_VALUE(Run("mad_over_time", Load(10 * kSec, {5}, 0, 10 * kSec), 0, 10 * kSec), 0);
  CHECK_VALUE(Run("mad_over_time", Load(10 * kSec, {1, 2, kNaN, 4}, 30 * kSec, 40 * kSec), 30 * kSec, 40 * kSec),
              kNaN);
}

TEST_CASE("double_exponential_smoothing follows trends", "[promql][functions][range]") {
  const int64_t t = 8000 * kSec;
  auto des = [&](std::vector<std::optional<double>> v) {
    return Run("double_exponential_smoothing", Load(10 * kSec, v, t, kMin), t, kMin, {0.01, 0.1}, 0);
  };
  CHECK_VALUE(des(Cat(Seq(0, 10, 1000), Seq(100, 30, 1000))), 8000);
  CHECK_VALUE(des(Cat(Seq(0, 20, 1000), Seq(200, 30, 1000))), 16000);
  CHECK_VALUE(des(Cat(Seq(0, 30, 1000), Seq(300, 80, 1000))), 24000);
  CHECK_VALUE(des(Seq(0, 40, 2000)), 32000);
  CHECK_VALUE(des(Seq(8000, -10, 1000)), 0);
  CHECK_VALUE(des(Seq(0, -20, 1000)), -16000);
  CHECK_VALUE(des(Cat(Seq(0, 30, 1000), Seq(300, -80, 1000))), 24000);
  CHECK_VALUE(des(Cat(Seq(0, -40, 1000), Seq(0, 40, 1000))), -32000);
  CHECK(Run("double_exponential_smoothing", Load(kSec, {1}, 0, kSec), 0, kSec, {0.5, 0.5}, 0).out.empty());
}

TEST_CASE("double_exponential_smoothing rejects factors outside (0, 1)", "[promql][functions][range]") {
  const Series w = Load(kSec, {1, 2, 3}, 2 * kSec, 5 * kSec);
  Result sf = Run("double_exponential_smoothing", w, 2 * kSec, 5 * kSec, {1, 0.5}, 0);
  CHECK(sf.status.code() == absl::StatusCode::kInvalidArgument);
  CHECK(std::string(sf.status.message()) == "invalid smoothing factor. Expected: 0 < sf < 1, got: 1.000000");
  Result tf = Run("double_exponential_smoothing", w, 2 * kSec, 5 * kSec, {0.5, 0}, 0);
  CHECK(tf.status.code() == absl::StatusCode::kInvalidArgument);
  CHECK(std::string(tf.status.message()) == "invalid trend factor. Expected: 0 < tf < 1, got: 0.000000");
  // An empty window never reaches the check, as in Prometheus.
  Series empty;
  CHECK(Run("double_exponential_smoothing", empty, 0, kSec, {2, 2}, 0).status.ok());
}

// ------------------------------------------------------------- labels

TEST_CASE("range functions drop the metric name except last and first_over_time", "[promql][functions][range]") {
  const Series w = Load(kMin, {1, 2, 3}, 2 * kMin, 5 * kMin, L({{"__name__", "metric_total"}, {"env", "1"}}));
  const Labels without = L({{"env", "1"}});
  for (const char* fn : {"rate", "increase", "delta", "irate", "idelta", "deriv", "resets", "changes", "avg_over_time",
                         "sum_over_time", "count_over_time", "min_over_time", "max_over_time", "stddev_over_time",
                         "stdvar_over_time", "present_over_time", "mad_over_time", "ts_of_min_over_time",
                         "ts_of_max_over_time", "ts_of_first_over_time", "ts_of_last_over_time"}) {
    INFO(fn);
    Result r = Run(fn, w, 2 * kMin, 5 * kMin);
    REQUIRE(r.out.size() == 1);
    CHECK(r.out[0].labels == without);
    CHECK_FALSE(r.out[0].drop_name);
    CHECK(r.out[0].t == 2 * kMin);
    // With delayed name removal the name stays, marked for removal.
    Result d = Run(fn, w, 2 * kMin, 5 * kMin, {}, 0, nullptr, /*delayed_name_removal=*/true);
    REQUIRE(d.out.size() == 1);
    CHECK(d.out[0].labels == w.labels);
    CHECK(d.out[0].drop_name);
  }
  for (const char* fn : {"last_over_time", "first_over_time"}) {
    INFO(fn);
    for (bool delayed : {false, true}) {
      Result r = Run(fn, w, 2 * kMin, 5 * kMin, {}, 0, nullptr, delayed);
      REQUIRE(r.out.size() == 1);
      CHECK(r.out[0].labels == w.labels);
      CHECK_FALSE(r.out[0].drop_name);
    }
  }
  CHECK(Value(Run("last_over_time", w, 2 * kMin, 5 * kMin)) == 3);
  CHECK(Value(Run("first_over_time", w, 2 * kMin, 5 * kMin)) == 1);
  // A series already marked by a name-dropping function (a subquery over
  // abs(x)) stays marked through last_over_time.
  Series marked = w;
  marked.drop_name = true;
  Result r = Run("last_over_time", marked, 2 * kMin, 5 * kMin, {}, 0, nullptr, true);
  REQUIRE(r.out.size() == 1);
  CHECK(r.out[0].drop_name);
  Result q = Run("quantile_over_time", w, 2 * kMin, 5 * kMin, {0.5}, 1);
  REQUIRE(q.out.size() == 1);
  CHECK(q.out[0].labels == without);
  Result p = Run("predict_linear", w, 2 * kMin, 5 * kMin, {60}, 0);
  REQUIRE(p.out.size() == 1);
  CHECK(p.out[0].labels == without);
}

TEST_CASE("every range-vector function is registered", "[promql][functions][range]") {
  for (const char* fn :
       {"rate", "increase", "delta", "irate", "idelta", "deriv", "predict_linear", "resets", "changes", "avg_over_time",
        "sum_over_time", "count_over_time", "min_over_time", "max_over_time", "stddev_over_time", "stdvar_over_time",
        "quantile_over_time", "mad_over_time", "last_over_time", "first_over_time", "present_over_time",
        "ts_of_min_over_time", "ts_of_max_over_time", "ts_of_last_over_time", "ts_of_first_over_time",
        "double_exponential_smoothing"}) {
    INFO(fn);
    CHECK(FindFunctionImpl(fn) != nullptr);
  }
  CHECK(FindFunctionImpl("no_such_function") == nullptr);
}

}  // namespace
}  // namespace strata::promql
