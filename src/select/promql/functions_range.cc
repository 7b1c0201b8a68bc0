// File: select/promql/functions_range.cc
//
// PromQL functions over a range vector (rate, increase, delta, irate,
// idelta, deriv, predict_linear, resets, changes, the *_over_time family,
// double_exponential_smoothing), after Prometheus promql/functions.go and
// promql/quantile.go. Each implementation sees one series' window at one
// step (functions.h) and appends at most one sample at ctx.t_ms.
//
// The arithmetic follows Prometheus step by step (Kahan-Neumaier sums, the
// overflow switch of avg_over_time, the regression of deriv), because the
// conformance scripts compare results that depend on rounding and on how
// NaN and ±Inf travel through it. Only float samples exist in Strata, so the
// native-histogram branches of the Go code have no counterpart here.
#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <limits>
#include <string>
#include <system_error>
#include <vector>

#include <fmt/format.h>

#include "select/promql/extended_window.h"
#include "select/promql/functions_internal.h"
#include "select/promql/go_format.h"

namespace strata::promql {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kInf = std::numeric_limits<double>::infinity();

// Kahan summation with Neumaier's improvement (Prometheus
// util/kahansum.Inc). The compensation is reset once the sum overflows,
// so an infinite sum is not turned into NaN by `c`.
inline void KahanInc(double inc, double& sum, double& c) {
  const double t = sum + inc;
  if (std::isinf(t)) {
    c = 0;
  } else if (std::fabs(sum) >= std::fabs(inc)) {
    c += (sum - t) + inc;
  } else {
    c += (inc - t) + sum;
  }
  sum = t;
}

// Prometheus parses `f((x[5m]))` with the parentheses removed before it
// takes argument positions; do the same so annotations point at the same
// column.
const Expr* UnwrapParens(const Expr* e) {
  while (e != nullptr) {
    const ParenExpr* p = e->As<ParenExpr>();
    if (p == nullptr || p->expr == nullptr) break;
    e = p->expr.get();
  }
  return e;
}

PositionRange ArgPos(const FunctionCallContext& ctx, size_t i) {
  if (ctx.call == nullptr || i >= ctx.call->args.size()) return {};
  const Expr* e = UnwrapParens(ctx.call->args[i].get());
  return e != nullptr ? e->pos : PositionRange{};
}

// Adds an annotation when the call has somewhere to report it (Annotations
// keeps one of each, however many series and steps raise it).
void Annotate(const FunctionCallContext& ctx, AnnotationKind kind, PositionRange pos, std::string message) {
  if (ctx.annotations == nullptr) return;
  if (kind == AnnotationKind::kWarning) {
    ctx.annotations->Warn(pos, std::move(message));
  } else {
    ctx.annotations->Info(pos, std::move(message));
  }
}

// Go's fmt "%f": six decimals, and Go's spelling of NaN and infinities.
std::string FormatGoF(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  return fmt::format("{:.6f}", v);
}

// Appends the result for `window`'s series. Most range functions derive a
// new value and drop the metric name; last_over_time and first_over_time
// pick a sample and keep it (Prometheus engine.go, dropName).
void Emit(const Series& window, double value, const FunctionCallContext& ctx, Vector& out, bool keep_name = false) {
  VectorSample s;
  if (keep_name) {
    s.labels = window.labels;
    s.drop_name = window.drop_name;
  } else {
    s.labels = ResultLabels(window.labels, ctx, &s.drop_name);
  }
  s.f = value;
  s.t = ctx.t_ms;
  out.push_back(std::move(s));
}

const Series* Window(std::span<const FunctionArg> args, size_t i) {
  return i < args.size() ? args[i].window : nullptr;
}

// The info Prometheus attaches to rate() and increase() of a float series
// whose name does not look like a counter.
void MaybeNonCounterInfo(const Series& window, const FunctionCallContext& ctx) {
  if (window.drop_name) return;  // the name is no longer the series' identity
  const std::string_view name = window.labels.MetricName();
  if (name.empty()) return;
  for (std::string_view suffix : {"_total", "_sum", "_count", "_bucket"}) {
    if (name.size() >= suffix.size() && name.substr(name.size() - suffix.size()) == suffix) return;
  }
  Annotate(ctx, AnnotationKind::kInfo, ArgPos(ctx, 0),
           fmt::format("metric might not be a counter, name does not end in _total/_sum/_count/_bucket: \"{}\"", name));
}

// Whether a sample's start timestamp says the counter restarted since the
// previous sample (Prometheus isStartTimestampReset). 0 is unknown, a start
// at or after the sample itself is invalid (or OpenTelemetry's "unknown
// start", ST == T), a start before the previous sample is the same run of
// the counter and one after it a new run. A start exactly at the previous
// sample is a delta sample (a reset) when the previous sample had a known,
// valid start of its own, and a cumulative series with unknown start
// otherwise.
bool IsStartTimestampReset(int64_t prev_st, int64_t prev_t, int64_t cur_st, int64_t cur_t) {
  if (cur_st == 0 || cur_st >= cur_t) return false;
  if (cur_st < prev_t) return false;
  if (cur_st > prev_t) return true;
  if (prev_st > prev_t) return false;
  return prev_st != 0 && prev_st != prev_t;
}

// A start timestamp before the previous sample that is not the previous
// sample's own start: the two samples claim overlapping intervals
// (Prometheus checkStartTimeOverlap). Deltas (start = previous time) and
// cumulative samples (same start) do not overlap.
bool StartTimeOverlaps(int64_t prev_st, int64_t prev_t, int64_t cur_st) {
  return cur_st != 0 && cur_st < prev_t && cur_st != prev_st;
}

// rate, increase and delta over an anchored or smoothed window (Prometheus
// extendedRate). The window holds the last sample at or before the start
// (and, smoothed, the first after the end): the result is the difference
// between the values at the two boundaries, taken from those samples
// (anchored) or interpolated at the boundaries (smoothed), plus the
// counter resets in between, without any extrapolation.
absl::Status ExtendedRate(const Series& w, const FunctionCallContext& ctx, Vector& out, bool is_counter,
                          bool is_rate) {
  const std::vector<FPoint>& f = w.floats;
  const int64_t range_start = ctx.range_start_ms;
  const int64_t range_end = ctx.range_end_ms;
  const std::optional<ExtendedBounds> bounds = FindExtendedBounds(f, range_start, range_end, ctx.smoothed, is_counter);
  // Nothing inside the window: all samples before it, or all after it.
  if (!bounds || f[bounds->first].t > range_end) return absl::OkStatus();
  const auto [first, last, left, right] = *bounds;
  double result = right - left;
  if (is_counter) {
    // The boundary values already account for resets at the boundaries;
    // the samples strictly inside the window add theirs.
    const size_t inner_begin = f[first].t <= range_start ? first + 1 : first;
    const size_t inner_end = f[last].t >= range_end ? last : last + 1;
    double prev = left;
    for (size_t i = inner_begin; i < inner_end; ++i) {
      if (f[i].f < prev) result += prev;
      prev = f[i].f;
    }
    if (right < prev) result += prev;
  }
  if (is_rate) result /= static_cast<double>(range_end - range_start) / 1000;
  Emit(w, result, ctx, out);
  if (is_counter) MaybeNonCounterInfo(w, ctx);
  return absl::OkStatus();
}

// Adds the counter resets of `w` to `result` for rate and increase: the
// value before each drop and, with start timestamps `st`, before each start
// after the previous sample. One addition at a time, in Prometheus's order,
// so that the rounding is the same. Warns once on overlapping starts.
void AddCounterResets(const Series& w, std::span<const int64_t> st, const FunctionCallContext& ctx, double& result) {
  const std::vector<FPoint>& f = w.floats;
  if (st.empty()) {
    for (size_t i = 1; i < f.size(); ++i) {
      if (f[i].f < f[i - 1].f) result += f[i - 1].f;
    }
    return;
  }
  bool overlap = false;
  for (size_t i = 1; i < f.size(); ++i) {
    if (!overlap && StartTimeOverlaps(st[i - 1], f[i - 1].t, st[i])) {
      overlap = true;
      Annotate(ctx, AnnotationKind::kWarning, ArgPos(ctx, 0),
               fmt::format("sample has start time that overlaps with previous sample timestamp for metric {}",
                           GoQuote(w.labels.MetricName())));
    }
    if (f[i].f < f[i - 1].f || IsStartTimestampReset(st[i - 1], f[i - 1].t, st[i], f[i].t)) result += f[i - 1].f;
  }
}

// rate, increase and delta (Prometheus extrapolatedRate): the difference
// between the first and last sample (plus counter-reset corrections),
// extrapolated towards the window boundaries when the samples come close
// enough to them (within 1.1 average intervals), otherwise by half an
// average interval; a counter is never extrapolated below zero. When the
// samples carry start timestamps (functions.h FunctionArg), a counter whose
// first sample starts inside the window rises from 0 at that start instead
// of being extrapolated to the left, so one sample is then enough.
absl::Status ExtrapolatedRate(std::span<const FunctionArg> args, const FunctionCallContext& ctx, Vector& out,
                              bool is_counter, bool is_rate) {
  const Series* w = Window(args, 0);
  if (w != nullptr && (ctx.anchored || ctx.smoothed)) return ExtendedRate(*w, ctx, out, is_counter, is_rate);
  if (w == nullptr || w->floats.empty()) return absl::OkStatus();
  const std::span<const int64_t> st = is_counter ? args[0].start_timestamps : std::span<const int64_t>();
  if (w->floats.size() < 2 && st.empty()) return absl::OkStatus();
  const std::vector<FPoint>& f = w->floats;
  const size_t n_minus_one = f.size() - 1;
  const int64_t first_t = f.front().t;
  const int64_t last_t = f.back().t;
  double result = f.back().f - f.front().f;
  if (is_counter) AddCounterResets(*w, st, ctx, result);

  double duration_to_start = static_cast<double>(first_t - ctx.range_start_ms) / 1000;
  double duration_to_end = static_cast<double>(ctx.range_end_ms - last_t) / 1000;
  double sampled_interval = static_cast<double>(last_t - first_t) / 1000;
  const double avg_between = n_minus_one > 0 ? sampled_interval / static_cast<double>(n_minus_one) : 0;
  const double threshold = avg_between * 1.1;

  // The range start is exclusive: a start timestamp on it is outside.
  if (!st.empty() && st[0] != 0 && st[0] > ctx.range_start_ms && st[0] < first_t) {
    duration_to_start = 0;
    sampled_interval = static_cast<double>(last_t - st[0]) / 1000;
    result += f.front().f;
  } else if (n_minus_one == 0) {
    return absl::OkStatus();  // one sample and no usable start: no rate
  } else {
    if (duration_to_start >= threshold) duration_to_start = avg_between / 2;
    if (is_counter) {
      double duration_to_zero = duration_to_start;
      if (result > 0 && f.front().f >= 0) duration_to_zero = sampled_interval * (f.front().f / result);
      if (duration_to_zero < duration_to_start) duration_to_start = duration_to_zero;
    }
  }
  // With one sample the threshold is 0: no extrapolation to the right either.
  if (duration_to_end >= threshold) duration_to_end = avg_between / 2;

  double factor = 1;
  if (sampled_interval != 0) factor = (sampled_interval + duration_to_start + duration_to_end) / sampled_interval;
  if (is_rate) factor /= static_cast<double>(ctx.range_end_ms - ctx.range_start_ms) / 1000;
  result *= factor;
  Emit(*w, result, ctx, out);
  if (is_counter) MaybeNonCounterInfo(*w, ctx);
  return absl::OkStatus();
}

absl::Status FuncRate(std::span<const FunctionArg> args, const FunctionCallContext& ctx, Vector& out) {
  return ExtrapolatedRate(args, ctx, out, /*is_counter=*/true, /*is_rate=*/true);
}
absl::Status FuncIncrease(std::span<const FunctionArg> args, const FunctionCallContext& ctx, Vector& out) {
  return ExtrapolatedRate(args, ctx, out, /*is_counter=*/true, /*is_rate=*/false);
}
absl::Status FuncDelta(std::span<const FunctionArg> args, const FunctionCallContext& ctx, Vector& out) {
  return ExtrapolatedRate(args, ctx, out, /*is_counter=*/false, /*is_rate=*/false);
}

// irate and idelta (Prometheus instantValue): the last two samples only.
absl::Status InstantValue(std::span<const FunctionArg> args, const FunctionCallContext& ctx, Vector& out,
                          bool is_rate) {
  const Series* w = Window(args, 0);
  if (w == nullptr || w->floats.size() < 2) return absl::OkStatus();
  const FPoint& prev = w->floats[w->floats.size() - 2];
  const FPoint& last = w->floats.back();
  const int64_t interval_ms = last.t - prev.t;
  if (interval_ms == 0) return absl::OkStatus();
  // A counter reset leaves the last value as the increase; NaN compares
  // false and so takes the difference path, as in Prometheus. A start
  // timestamp after the previous sample is a reset too.
  const std::span<const int64_t> st = args[0].start_timestamps;
  const size_t n = w->floats.size();
  const bool reset = last.f < prev.f || (!st.empty() && IsStartTimestampReset(st[n - 2], prev.t, st[n - 1], last.t));
  double result = last.f;
  if (!is_rate || !reset) result = last.f - prev.f;
  if (is_rate) result /= static_cast<double>(interval_ms) / 1000;
  Emit(*w, result, ctx, out);
  return absl::OkStatus();
}

absl::Status FuncIrate(std::span<const FunctionArg> args, const FunctionCallContext& ctx, Vector& out) {
  return InstantValue(args, ctx, out, /*is_rate=*/true);
}
absl::Status FuncIdelta(std::span<const FunctionArg> args, const FunctionCallContext& ctx, Vector& out) {
  return InstantValue(args, ctx, out, /*is_rate=*/false);
}

// Least-squares fit of the samples with x in seconds relative to
// `intercept_ms` (Prometheus linearRegression). A constant series has slope
// 0, except a constant infinite one, which has no meaningful fit.
void LinearRegression(const std::vector<FPoint>& samples, int64_t intercept_ms, double* slope, double* intercept) {
  double n = 0;
  double sum_x = 0, c_x = 0, sum_y = 0, c_y = 0, sum_xy = 0, c_xy = 0, sum_x2 = 0, c_x2 = 0;
  const double init_y = samples.front().f;
  bool const_y = true;
  for (size_t i = 0; i < samples.size(); ++i) {
    const FPoint& s = samples[i];
    if (const_y && i > 0 && s.f != init_y) const_y = false;
    n += 1.0;
    const double x = static_cast<double>(s.t - intercept_ms) / 1e3;
    KahanInc(x, sum_x, c_x);
    KahanInc(s.f, sum_y, c_y);
    KahanInc(x * s.f, sum_xy, c_xy);
    KahanInc(x * x, sum_x2, c_x2);
  }
  if (const_y) {
    if (std::isinf(init_y)) {
      *slope = kNaN;
      *intercept = kNaN;
    } else {
      *slope = 0;
      *intercept = init_y;
    }
    return;
  }
  sum_x += c_x;
  sum_y += c_y;
  sum_xy += c_xy;
  sum_x2 += c_x2;
  const double cov_xy = sum_xy - sum_x * sum_y / n;
  const double var_x = sum_x2 - sum_x * sum_x / n;
  *slope = cov_xy / var_x;
  *intercept = sum_y / n - *slope * sum_x / n;
}

absl::Status FuncDeriv(std::span<const FunctionArg> args, const FunctionCallContext& ctx, Vector& out) {
  const Series* w = Window(args, 0);
  if (w == nullptr || w->floats.size() < 2) return absl::OkStatus();
  // Regress relative to the first sample: absolute Unix seconds squared
  // lose too much precision (Prometheus issue 2674).
  double slope = 0, intercept = 0;
  LinearRegression(w->floats, w->floats.front().t, &slope, &intercept);
  Emit(*w, slope, ctx, out);
  return absl::OkStatus();
}

absl::Status FuncPredictLinear(std::span<const FunctionArg> args, const FunctionCallContext& ctx, Vector& out) {
  const Series* w = Window(args, 0);
  if (w == nullptr || w->floats.size() < 2 || args.size() < 2) return absl::OkStatus();
  const double duration = args[1].scalar;
  double slope = 0, intercept = 0;
  LinearRegression(w->floats, ctx.t_ms, &slope, &intercept);
  Emit(*w, slope * duration + intercept, ctx, out);
  return absl::OkStatus();
}

absl::Status FuncResets(std::span<const FunctionArg> args, const FunctionCallContext& ctx, Vector& out) {
  const Series* w = Window(args, 0);
  if (w == nullptr || w->floats.empty()) return absl::OkStatus();
  int resets = 0;
  const std::vector<FPoint>& f = w->floats;
  const std::span<const int64_t> st = args[0].start_timestamps;
  if (st.empty()) {
    for (size_t i = 1; i < f.size(); ++i) {
      if (f[i].f < f[i - 1].f) ++resets;
    }
  } else {
    for (size_t i = 1; i < f.size(); ++i) {
      if (f[i].f < f[i - 1].f || IsStartTimestampReset(st[i - 1], f[i - 1].t, st[i], f[i].t)) ++resets;
    }
  }
  Emit(*w, resets, ctx, out);
  return absl::OkStatus();
}

absl::Status FuncChanges(std::span<const FunctionArg> args, const FunctionCallContext& ctx, Vector& out) {
  const Series* w = Window(args, 0);
  if (w == nullptr || w->floats.empty()) return absl::OkStatus();
  int changes = 0;
  for (size_t i = 1; i < w->floats.size(); ++i) {
    const double prev = w->floats[i - 1].f;
    const double cur = w->floats[i].f;
    // NaN to NaN is no change, although NaN != NaN.
    if (cur != prev && !(std::isnan(cur) && std::isnan(prev))) ++changes;
  }
  Emit(*w, changes, ctx, out);
  return absl::OkStatus();
}

// The mean of the window as Prometheus computes it: a Kahan-compensated sum
// divided at the end, switching to an incremental mean only once the sum
// would overflow, so that huge values still average to a finite result.
double AvgOverTime(const std::vector<FPoint>& f) {
  double sum = f.front().f;
  double count = 1;
  double mean = 0, kahan_c = 0;
  bool incremental = false;
  for (size_t i = 1; i < f.size(); ++i) {
    count = static_cast<double>(i + 1);
    if (!incremental) {
      double new_sum = sum, new_c = kahan_c;
      KahanInc(f[i].f, new_sum, new_c);
      if (!std::isinf(new_sum)) {
        sum = new_sum;
        kahan_c = new_c;
        continue;
      }
      incremental = true;
      mean = sum / (count - 1);
      kahan_c /= (count - 1);
    }
    const double q = (count - 1) / count;
    double new_mean = q * mean;
    double new_c = q * kahan_c;
    KahanInc(f[i].f / count, new_mean, new_c);
    mean = new_mean;
    kahan_c = new_c;
  }
  if (incremental) return mean + kahan_c;
  return sum / count + kahan_c / count;
}

absl::Status FuncAvgOverTime(std::span<const FunctionArg> args, const FunctionCallContext& ctx, Vector& out) {
  const Series* w = Window(args, 0);
  if (w == nullptr || w->floats.empty()) return absl::OkStatus();
  Emit(*w, AvgOverTime(w->floats), ctx, out);
  return absl::OkStatus();
}

absl::Status FuncSumOverTime(std::span<const FunctionArg> args, const FunctionCallContext& ctx, Vector& out) {
  const Series* w = Window(args, 0);
  if (w == nullptr || w->floats.empty()) return absl::OkStatus();
  double sum = 0, c = 0;
  for (const FPoint& p : w->floats) KahanInc(p.f, sum, c);
  Emit(*w, std::isinf(sum) ? sum : sum + c, ctx, out);
  return absl::OkStatus();
}

absl::Status FuncCountOverTime(std::span<const FunctionArg> args, const FunctionCallContext& ctx, Vector& out) {
  const Series* w = Window(args, 0);
  if (w == nullptr || w->floats.empty()) return absl::OkStatus();
  Emit(*w, static_cast<double>(w->floats.size()), ctx, out);
  return absl::OkStatus();
}

absl::Status FuncPresentOverTime(std::span<const FunctionArg> args, const FunctionCallContext& ctx, Vector& out) {
  const Series* w = Window(args, 0);
  if (w == nullptr || w->floats.empty()) return absl::OkStatus();
  Emit(*w, 1, ctx, out);
  return absl::OkStatus();
}

// min/max_over_time and ts_of_min/max_over_time (Prometheus
// compareOverTime): a NaN is replaced by any later value, so the result is
// NaN only when every sample is. `better(cur, best)` decides replacement;
// the ts_of variants use <= / >= so the latest extreme sample wins.
template <typename Better>
absl::Status CompareOverTime(std::span<const FunctionArg> args, const FunctionCallContext& ctx, Vector& out,
                             Better better, bool return_timestamp) {
  const Series* w = Window(args, 0);
  if (w == nullptr || w->floats.empty()) return absl::OkStatus();
  double best = w->floats.front().f;
  int64_t best_t = w->floats.front().t;
  for (const FPoint& p : w->floats) {
    if (better(p.f, best) || std::isnan(best)) {
      best = p.f;
      best_t = p.t;
    }
  }
  Emit(*w, return_timestamp ? static_cast<double>(best_t) / 1000 : best, ctx, out);
  return absl::OkStatus();
}

absl::Status FuncMaxOverTime(std::span<const FunctionArg> args, const FunctionCallContext& ctx, Vector& out) {
  return CompareOverTime(args, ctx, out, [](double cur, double best) { return cur > best; }, false);
}
absl::Status FuncMinOverTime(std::span<const FunctionArg> args, const FunctionCallContext& ctx, Vector& out) {
  return CompareOverTime(args, ctx, out, [](double cur, double best) { return cur < best; }, false);
}
absl::Status FuncTsOfMaxOverTime(std::span<const FunctionArg> args, const FunctionCallContext& ctx, Vector& out) {
  return CompareOverTime(args, ctx, out, [](double cur, double best) { return cur >= best; }, true);
}
absl::Status FuncTsOfMinOverTime(std::span<const FunctionArg> args, const FunctionCallContext& ctx, Vector& out) {
  return CompareOverTime(args, ctx, out, [](double cur, double best) { return cur <= best; }, true);
}

absl::Status FuncTsOfFirstOverTime(std::span<const FunctionArg> args, const FunctionCallContext& ctx, Vector& out) {
  const Series* w = Window(args, 0);
  if (w == nullptr || w->floats.empty()) return absl::OkStatus();
  Emit(*w, static_cast<double>(w->floats.front().t) / 1000, ctx, out);
  return absl::OkStatus();
}

absl::Status FuncTsOfLastOverTime(std::span<const FunctionArg> args, const FunctionCallContext& ctx, Vector& out) {
  const Series* w = Window(args, 0);
  if (w == nullptr || w->floats.empty()) return absl::OkStatus();
  Emit(*w, static_cast<double>(w->floats.back().t) / 1000, ctx, out);
  return absl::OkStatus();
}

absl::Status FuncLastOverTime(std::span<const FunctionArg> args, const FunctionCallContext& ctx, Vector& out) {
  const Series* w = Window(args, 0);
  if (w == nullptr || w->floats.empty()) return absl::OkStatus();
  Emit(*w, w->floats.back().f, ctx, out, /*keep_name=*/true);
  return absl::OkStatus();
}

absl::Status FuncFirstOverTime(std::span<const FunctionArg> args, const FunctionCallContext& ctx, Vector& out) {
  const Series* w = Window(args, 0);
  if (w == nullptr || w->floats.empty()) return absl::OkStatus();
  Emit(*w, w->floats.front().f, ctx, out, /*keep_name=*/true);
  return absl::OkStatus();
}

// Welford's online variance with Kahan-compensated mean and sum of squares
// (Prometheus varianceOverTime).
double VarianceOverTime(const std::vector<FPoint>& f) {
  double count = 0, mean = 0, c_mean = 0, aux = 0, c_aux = 0;
  for (const FPoint& p : f) {
    count++;
    const double delta = p.f - (mean + c_mean);
    KahanInc(delta / count, mean, c_mean);
    KahanInc(delta * (p.f - (mean + c_mean)), aux, c_aux);
  }
  return (aux + c_aux) / count;
}

absl::Status FuncStdvarOverTime(std::span<const FunctionArg> args, const FunctionCallContext& ctx, Vector& out) {
  const Series* w = Window(args, 0);
  if (w == nullptr || w->floats.empty()) return absl::OkStatus();
  Emit(*w, VarianceOverTime(w->floats), ctx, out);
  return absl::OkStatus();
}

absl::Status FuncStddevOverTime(std::span<const FunctionArg> args, const FunctionCallContext& ctx, Vector& out) {
  const Series* w = Window(args, 0);
  if (w == nullptr || w->floats.empty()) return absl::OkStatus();
  Emit(*w, std::sqrt(VarianceOverTime(w->floats)), ctx, out);
  return absl::OkStatus();
}

// Prometheus quantile(): values sorted with NaN first, then linear
// interpolation between the two closest ranks.
double Quantile(double q, std::vector<double>& values) {
  if (values.empty() || std::isnan(q)) return kNaN;
  if (q < 0) return -kInf;
  if (q > 1) return kInf;
  std::sort(values.begin(), values.end(), [](double a, double b) {
    if (std::isnan(a)) return !std::isnan(b);
    return a < b;
  });
  const double n = static_cast<double>(values.size());
  const double rank = q * (n - 1);
  const double lower = std::max(0.0, std::floor(rank));
  const double upper = std::min(n - 1, lower + 1);
  const double weight = rank - std::floor(rank);
  return values[static_cast<size_t>(lower)] * (1 - weight) + values[static_cast<size_t>(upper)] * weight;
}

std::vector<double> Values(const std::vector<FPoint>& f) {
  std::vector<double> v;
  v.reserve(f.size());
  for (const FPoint& p : f) v.push_back(p.f);
  return v;
}

absl::Status FuncQuantileOverTime(std::span<const FunctionArg> args, const FunctionCallContext& ctx, Vector& out) {
  const Series* w = Window(args, 1);
  if (w == nullptr || w->floats.empty()) return absl::OkStatus();
  const double q = args[0].scalar;
  WarnIfInvalidQuantile(ctx.annotations, ArgPos(ctx, 0), q);
  std::vector<double> values = Values(w->floats);
  Emit(*w, Quantile(q, values), ctx, out);
  return absl::OkStatus();
}

// Median absolute deviation around the median.
absl::Status FuncMadOverTime(std::span<const FunctionArg> args, const FunctionCallContext& ctx, Vector& out) {
  const Series* w = Window(args, 0);
  if (w == nullptr || w->floats.empty()) return absl::OkStatus();
  // A NaN sample leaves the median, and so the deviation, undefined
  // (Prometheus 3.14 propagates it instead of sorting it first).
  for (const FPoint& p : w->floats) {
    if (std::isnan(p.f)) {
      Emit(*w, kNaN, ctx, out);
      return absl::OkStatus();
    }
  }
  std::vector<double> values = Values(w->floats);
  const double median = Quantile(0.5, values);
  std::vector<double> deviations;
  deviations.reserve(w->floats.size());
  for (const FPoint& p : w->floats) deviations.push_back(std::fabs(p.f - median));
  Emit(*w, Quantile(0.5, deviations), ctx, out);
  return absl::OkStatus();
}

// Holt's linear smoothing (Prometheus funcDoubleExponentialSmoothing); the
// factor checks run before the sample count check, as there.
absl::Status FuncDoubleExponentialSmoothing(std::span<const FunctionArg> args, const FunctionCallContext& ctx,
                                            Vector& out) {
  const Series* w = Window(args, 0);
  // Prometheus does not call a function for an empty window, so an empty
  // window cannot fail the query.
  if (w == nullptr || w->floats.empty() || args.size() < 3) return absl::OkStatus();
  const double sf = args[1].scalar;
  const double tf = args[2].scalar;
  if (sf <= 0 || sf >= 1) {
    return absl::InvalidArgumentError(
        fmt::format("invalid smoothing factor. Expected: 0 < sf < 1, got: {}", FormatGoF(sf)));
  }
  if (tf <= 0 || tf >= 1) {
    return absl::InvalidArgumentError(fmt::format("invalid trend factor. Expected: 0 < tf < 1, got: {}", FormatGoF(tf)));
  }
  const std::vector<FPoint>& f = w->floats;
  if (f.size() < 2) return absl::OkStatus();
  double s0 = 0;
  double s1 = f[0].f;
  double b = f[1].f - f[0].f;
  for (size_t i = 1; i < f.size(); ++i) {
    const double x = sf * f[i].f;
    // The trend at step i-1; the first one is the initial slope itself.
    if (i - 1 != 0) b = tf * (s1 - s0) + (1 - tf) * b;
    const double y = (1 - sf) * (s1 + b);
    s0 = s1;
    s1 = x + y;
  }
  Emit(*w, s1, ctx, out);
  return absl::OkStatus();
}

}  // namespace

void RegisterRangeFunctions(std::vector<FunctionImplEntry>& out) {
  out.push_back({"avg_over_time", FuncAvgOverTime});
  out.push_back({"changes", FuncChanges});
  out.push_back({"count_over_time", FuncCountOverTime});
  out.push_back({"delta", FuncDelta});
  out.push_back({"deriv", FuncDeriv});
  out.push_back({"double_exponential_smoothing", FuncDoubleExponentialSmoothing});
  out.push_back({"first_over_time", FuncFirstOverTime});
  out.push_back({"idelta", FuncIdelta});
  out.push_back({"increase", FuncIncrease});
  out.push_back({"irate", FuncIrate});
  out.push_back({"last_over_time", FuncLastOverTime});
  out.push_back({"mad_over_time", FuncMadOverTime});
  out.push_back({"max_over_time", FuncMaxOverTime});
  out.push_back({"min_over_time", FuncMinOverTime});
  out.push_back({"predict_linear", FuncPredictLinear});
  out.push_back({"present_over_time", FuncPresentOverTime});
  out.push_back({"quantile_over_time", FuncQuantileOverTime});
  out.push_back({"rate", FuncRate});
  out.push_back({"resets", FuncResets});
  out.push_back({"stddev_over_time", FuncStddevOverTime});
  out.push_back({"stdvar_over_time", FuncStdvarOverTime});
  out.push_back({"sum_over_time", FuncSumOverTime});
  out.push_back({"ts_of_first_over_time", FuncTsOfFirstOverTime});
  out.push_back({"ts_of_last_over_time", FuncTsOfLastOverTime});
  out.push_back({"ts_of_max_over_time", FuncTsOfMaxOverTime});
  out.push_back({"ts_of_min_over_time", FuncTsOfMinOverTime});
}

}  // namespace strata::promql
