// Instant-vector and scalar functions, after Prometheus promql/functions.go:
// math, clamp, round, time and date, sort, vector, scalar, timestamp,
// start_timestamp, absent.
//
// Scalar-returning functions (time, pi, scalar) append exactly one sample
// with empty labels; the engine turns it into the scalar value.

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <numbers>
#include <string>
#include <string_view>
#include <vector>

#include "common/base/civil_date.h"
#include "select/promql/function_signatures.h"
#include "select/promql/functions_internal.h"

namespace strata::promql {
namespace {

constexpr std::string_view kSortInRangeWarning =
    "sort is ineffective for range queries since results are always ordered by labels";

// Applies `f` to every sample's value; the result drops the metric name.
template <typename F>
void SimpleFloatFunc(const Vector& in, const FunctionCallContext& ctx, Vector& out, F f) {
  out.reserve(out.size() + in.size());
  for (const VectorSample& s : in) {
    VectorSample o;
    o.labels = ResultLabels(s.labels, ctx, &o.drop_name);
    o.f = f(s.f);
    o.t = ctx.t_ms;
    out.push_back(std::move(o));
  }
}

template <double (*F)(double)>
absl::Status MathFunc(std::span<const FunctionArg> args, const FunctionCallContext& ctx, Vector& out) {
  SimpleFloatFunc(*args[0].vector, ctx, out, F);
  return absl::OkStatus();
}

double Abs(double v) { return std::fabs(v); }
double Ceil(double v) { return std::ceil(v); }
double Floor(double v) { return std::floor(v); }
double Exp(double v) { return std::exp(v); }
double Ln(double v) { return std::log(v); }
double Log2(double v) { return std::log2(v); }
double Log10(double v) { return std::log10(v); }
double Sqrt(double v) { return std::sqrt(v); }
double Sin(double v) { return std::sin(v); }
double Cos(double v) { return std::cos(v); }
double Tan(double v) { return std::tan(v); }
double Asin(double v) { return std::asin(v); }
double Acos(double v) { return std::acos(v); }
double Atan(double v) { return std::atan(v); }
double Sinh(double v) { return std::sinh(v); }
double Cosh(double v) { return std::cosh(v); }
double Tanh(double v) { return std::tanh(v); }
double Asinh(double v) { return std::asinh(v); }
double Acosh(double v) { return std::acosh(v); }
double Atanh(double v) { return std::atanh(v); }
double Rad(double v) { return v * std::numbers::pi / 180; }
double Deg(double v) { return v * 180 / std::numbers::pi; }
// NaN and ±0 are returned as they are.
double Sgn(double v) { return v < 0 ? -1.0 : (v > 0 ? 1.0 : v); }

void AppendScalar(double v, const FunctionCallContext& ctx, Vector& out) {
  VectorSample o;
  o.f = v;
  o.t = ctx.t_ms;
  out.push_back(std::move(o));
}

// Go's math.Max: +Inf wins over NaN, NaN over numbers, +0 over -0.
double GoMax(double x, double y) {
  if (std::isinf(x) && x > 0) return x;
  if (std::isinf(y) && y > 0) return y;
  if (std::isnan(x) || std::isnan(y)) return std::nan("");
  if (x == 0 && x == y) return std::signbit(x) ? y : x;
  return x > y ? x : y;
}

// Go's math.Min: -Inf wins over NaN, NaN over numbers, -0 over +0.
double GoMin(double x, double y) {
  if (std::isinf(x) && x < 0) return x;
  if (std::isinf(y) && y < 0) return y;
  if (std::isnan(x) || std::isnan(y)) return std::nan("");
  if (x == 0 && x == y) return std::signbit(x) ? x : y;
  return x < y ? x : y;
}

absl::Status Clamp(const Vector& in, double lo, double hi, const FunctionCallContext& ctx, Vector& out) {
  if (hi < lo) return absl::OkStatus();
  SimpleFloatFunc(in, ctx, out, [lo, hi](double v) { return GoMax(lo, GoMin(hi, v)); });
  return absl::OkStatus();
}

absl::Status FuncClamp(std::span<const FunctionArg> args, const FunctionCallContext& ctx, Vector& out) {
  return Clamp(*args[0].vector, args[1].scalar, args[2].scalar, ctx, out);
}
absl::Status FuncClampMin(std::span<const FunctionArg> args, const FunctionCallContext& ctx, Vector& out) {
  return Clamp(*args[0].vector, args[1].scalar, std::numeric_limits<double>::infinity(), ctx, out);
}
absl::Status FuncClampMax(std::span<const FunctionArg> args, const FunctionCallContext& ctx, Vector& out) {
  return Clamp(*args[0].vector, -std::numeric_limits<double>::infinity(), args[1].scalar, ctx, out);
}

absl::Status FuncRound(std::span<const FunctionArg> args, const FunctionCallContext& ctx, Vector& out) {
  const double to_nearest = args.size() >= 2 ? args[1].scalar : 1.0;
  // Prometheus divides by the inverse: fewer floating point surprises.
  const double inverse = 1.0 / to_nearest;
  SimpleFloatFunc(*args[0].vector, ctx, out, [inverse](double v) { return std::floor(v * inverse + 0.5) / inverse; });
  return absl::OkStatus();
}

absl::Status FuncPi(std::span<const FunctionArg>, const FunctionCallContext& ctx, Vector& out) {
  AppendScalar(std::numbers::pi, ctx, out);
  return absl::OkStatus();
}

// min_of / max_of (experimental in Prometheus 3.14): Go's math.Min/Max of
// two scalars, so NaN wins over numbers and -0 < +0.
absl::Status FuncMinOf(std::span<const FunctionArg> args, const FunctionCallContext& ctx, Vector& out) {
  AppendScalar(GoMin(args[0].scalar, args[1].scalar), ctx, out);
  return absl::OkStatus();
}
absl::Status FuncMaxOf(std::span<const FunctionArg> args, const FunctionCallContext& ctx, Vector& out) {
  AppendScalar(GoMax(args[0].scalar, args[1].scalar), ctx, out);
  return absl::OkStatus();
}

absl::Status FuncTime(std::span<const FunctionArg>, const FunctionCallContext& ctx, Vector& out) {
  AppendScalar(static_cast<double>(ctx.t_ms) / 1000, ctx, out);
  return absl::OkStatus();
}

absl::Status FuncVector(std::span<const FunctionArg> args, const FunctionCallContext& ctx, Vector& out) {
  AppendScalar(args[0].scalar, ctx, out);
  return absl::OkStatus();
}

absl::Status FuncScalar(std::span<const FunctionArg> args, const FunctionCallContext& ctx, Vector& out) {
  const Vector& in = *args[0].vector;
  AppendScalar(in.size() == 1 ? in[0].f : std::nan(""), ctx, out);
  return absl::OkStatus();
}

absl::Status FuncTimestamp(std::span<const FunctionArg> args, const FunctionCallContext& ctx, Vector& out) {
  for (const VectorSample& s : *args[0].vector) {
    VectorSample o;
    o.labels = ResultLabels(s.labels, ctx, &o.drop_name);
    o.f = static_cast<double>(s.t) / 1000;
    o.t = ctx.t_ms;
    out.push_back(std::move(o));
  }
  return absl::OkStatus();
}

// The start ("created") timestamp of each sample in seconds (Prometheus
// funcStartTimestamp), 0 where it is unknown. Only a plain selector
// argument carries start timestamps (functions.h FunctionArg); of any other
// expression the result is empty.
absl::Status FuncStartTimestamp(std::span<const FunctionArg> args, const FunctionCallContext& ctx, Vector& out) {
  const Vector& in = *args[0].vector;
  const std::span<const int64_t> starts = args[0].start_timestamps;
  if (starts.size() != in.size()) return absl::OkStatus();
  for (size_t i = 0; i < in.size(); ++i) {
    VectorSample o;
    o.labels = ResultLabels(in[i].labels, ctx, &o.drop_name);
    o.f = static_cast<double>(starts[i]) / 1000;
    o.t = ctx.t_ms;
    out.push_back(std::move(o));
  }
  return absl::OkStatus();
}

// --- Dates (UTC, proleptic Gregorian: common/base/civil_date.h).

struct CivilTime {
  int64_t year;
  int month;  // 1..12
  int day;    // 1..31
  int hour;
  int minute;
  int weekday;   // 0 = Sunday
  int year_day;  // 1..366
};

CivilTime ToCivil(int64_t unix_seconds) {
  const int64_t days = FloorDiv(unix_seconds, 86400);
  const int64_t secs = unix_seconds - days * 86400;
  const CivilDate date = CivilFromDays(days);
  CivilTime c{};
  c.year = date.year;
  c.month = date.month;
  c.day = date.day;
  c.hour = static_cast<int>(secs / 3600);
  c.minute = static_cast<int>(secs % 3600 / 60);
  c.weekday = static_cast<int>(((days + 4) % 7 + 7) % 7);  // 1970-01-01 was a Thursday.
  c.year_day = static_cast<int>(days - DaysFromCivil(c.year, 1, 1) + 1);
  return c;
}

// Go's int64(float64) on amd64: truncation, and the minimum int64 for NaN,
// ±Inf and anything out of range.
int64_t GoFloatToInt64(double v) {
  if (!(v >= -9223372036854775808.0 && v < 9223372036854775808.0)) return std::numeric_limits<int64_t>::min();
  return static_cast<int64_t>(v);
}

template <double (*F)(const CivilTime&)>
absl::Status DateFunc(std::span<const FunctionArg> args, const FunctionCallContext& ctx, Vector& out) {
  if (args.empty()) {
    // Go's enh.Ts/1000 truncates toward zero.
    AppendScalar(F(ToCivil(ctx.t_ms / 1000)), ctx, out);
    return absl::OkStatus();
  }
  SimpleFloatFunc(*args[0].vector, ctx, out, [](double v) { return F(ToCivil(GoFloatToInt64(v))); });
  return absl::OkStatus();
}

double Year(const CivilTime& c) { return static_cast<double>(c.year); }
double Month(const CivilTime& c) { return c.month; }
double DayOfMonth(const CivilTime& c) { return c.day; }
double DayOfWeek(const CivilTime& c) { return c.weekday; }
double DayOfYear(const CivilTime& c) { return c.year_day; }
double Hour(const CivilTime& c) { return c.hour; }
double Minute(const CivilTime& c) { return c.minute; }
double DaysInMonthF(const CivilTime& c) { return DaysInMonth(c.year, c.month); }

// --- Sorting.

void WarnIfRange(const FunctionCallContext& ctx) {
  if (ctx.range_query && ctx.annotations != nullptr) ctx.annotations->Warn(ctx.pos, std::string(kSortInRangeWarning));
}

absl::Status FuncSort(std::span<const FunctionArg> args, const FunctionCallContext& ctx, Vector& out) {
  WarnIfRange(ctx);
  const size_t begin = out.size();
  out.insert(out.end(), args[0].vector->begin(), args[0].vector->end());
  for (size_t i = begin; i < out.size(); ++i) out[i].t = ctx.t_ms;
  // NaN sorts last.
  std::stable_sort(out.begin() + static_cast<std::ptrdiff_t>(begin), out.end(),
                   [](const VectorSample& a, const VectorSample& b) {
                     return !std::isnan(a.f) && (std::isnan(b.f) || a.f < b.f);
                   });
  return absl::OkStatus();
}

absl::Status FuncSortDesc(std::span<const FunctionArg> args, const FunctionCallContext& ctx, Vector& out) {
  WarnIfRange(ctx);
  const size_t begin = out.size();
  out.insert(out.end(), args[0].vector->begin(), args[0].vector->end());
  for (size_t i = begin; i < out.size(); ++i) out[i].t = ctx.t_ms;
  // NaN sorts last here too.
  std::stable_sort(out.begin() + static_cast<std::ptrdiff_t>(begin), out.end(),
                   [](const VectorSample& a, const VectorSample& b) {
                     return !std::isnan(a.f) && (std::isnan(b.f) || a.f > b.f);
                   });
  return absl::OkStatus();
}

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

// Splits into maximal runs of digits and of non-digits.
std::vector<std::string_view> Chunks(std::string_view s) {
  std::vector<std::string_view> out;
  size_t i = 0;
  while (i < s.size()) {
    size_t j = i + 1;
    while (j < s.size() && IsDigit(s[j]) == IsDigit(s[i])) ++j;
    out.push_back(s.substr(i, j - i));
    i = j;
  }
  return out;
}

// Parses an all-digit chunk like Go's strconv.Atoi; false on overflow.
bool ParseChunk(std::string_view c, int64_t* v) {
  if (c.empty() || !IsDigit(c[0])) return false;
  int64_t r = 0;
  for (char ch : c) {
    if (r > (std::numeric_limits<int64_t>::max() - (ch - '0')) / 10) return false;
    r = r * 10 + (ch - '0');
  }
  *v = r;
  return true;
}

// Natural order as github.com/facette/natsort (used by Prometheus's
// sort_by_label): digit runs compare as numbers, other runs as strings, a
// prefix first. Unlike natsort this is a strict weak order (numeric ties
// such as "01" and "1" fall back to byte order), which std::sort needs.
int NaturalCompare(std::string_view a, std::string_view b) {
  if (a == b) return 0;
  std::vector<std::string_view> ca = Chunks(a);
  std::vector<std::string_view> cb = Chunks(b);
  for (size_t i = 0; i < ca.size() && i < cb.size(); ++i) {
    int64_t na = 0;
    int64_t nb = 0;
    if (ParseChunk(ca[i], &na) && ParseChunk(cb[i], &nb)) {
      if (na != nb) return na < nb ? -1 : 1;
      continue;
    }
    if (ca[i] != cb[i]) return ca[i] < cb[i] ? -1 : 1;
  }
  if (ca.size() != cb.size()) return ca.size() < cb.size() ? -1 : 1;
  return a < b ? -1 : 1;
}

int CompareByLabels(const VectorSample& a, const VectorSample& b, std::span<const FunctionArg> label_args) {
  for (const FunctionArg& arg : label_args) {
    int c = NaturalCompare(a.labels.Get(arg.str), b.labels.Get(arg.str));
    if (c != 0) return c;
  }
  // Ties are broken by the full label set for a stable order.
  if (a.labels < b.labels) return -1;
  return b.labels < a.labels ? 1 : 0;
}

absl::Status SortByLabel(std::span<const FunctionArg> args, const FunctionCallContext& ctx, Vector& out, bool desc) {
  WarnIfRange(ctx);
  const size_t begin = out.size();
  out.insert(out.end(), args[0].vector->begin(), args[0].vector->end());
  for (size_t i = begin; i < out.size(); ++i) out[i].t = ctx.t_ms;
  std::span<const FunctionArg> label_args = args.subspan(1);
  std::stable_sort(out.begin() + static_cast<std::ptrdiff_t>(begin), out.end(),
                   [label_args, desc](const VectorSample& a, const VectorSample& b) {
                     int c = CompareByLabels(a, b, label_args);
                     return desc ? c > 0 : c < 0;
                   });
  return absl::OkStatus();
}

absl::Status FuncSortByLabel(std::span<const FunctionArg> args, const FunctionCallContext& ctx, Vector& out) {
  return SortByLabel(args, ctx, out, false);
}
absl::Status FuncSortByLabelDesc(std::span<const FunctionArg> args, const FunctionCallContext& ctx, Vector& out) {
  return SortByLabel(args, ctx, out, true);
}

// --- absent.

// Prometheus createLabelsForAbsentFunction: the labels a vector selector
// pins with a single equality matcher (a label matched twice is dropped).
Labels AbsentLabels(const Expr* arg) {
  const VectorSelector* vs = arg != nullptr ? arg->As<VectorSelector>() : nullptr;
  if (vs == nullptr) {
    const MatrixSelector* ms = arg != nullptr ? arg->As<MatrixSelector>() : nullptr;
    if (ms == nullptr) return Labels();
    vs = &ms->selector;
  }
  std::vector<Label> out;
  std::vector<std::string> seen;
  for (const Matcher& m : vs->matchers) {
    if (m.name() == kMetricNameLabel) continue;
    const bool has = std::find(seen.begin(), seen.end(), m.name()) != seen.end();
    std::erase_if(out, [&](const Label& l) { return l.name == m.name(); });
    if (m.type() == MatchType::kEqual && !has) {
      if (!m.value().empty()) out.push_back(Label{m.name(), m.value()});
      seen.push_back(m.name());
    }
  }
  return Labels::FromUnsorted(std::move(out));
}

absl::Status FuncAbsent(std::span<const FunctionArg> args, const FunctionCallContext& ctx, Vector& out) {
  if (!args[0].vector->empty()) return absl::OkStatus();
  VectorSample o;
  if (ctx.call != nullptr && !ctx.call->args.empty()) o.labels = AbsentLabels(ctx.call->args[0].get());
  o.f = 1;
  o.t = ctx.t_ms;
  out.push_back(std::move(o));
  return absl::OkStatus();
}

}  // namespace

void RegisterInstantFunctions(std::vector<FunctionImplEntry>& out) {
  out.insert(out.end(), {
                            {"abs", MathFunc<Abs>},
                            {"absent", FuncAbsent},
                            {"acos", MathFunc<Acos>},
                            {"acosh", MathFunc<Acosh>},
                            {"asin", MathFunc<Asin>},
                            {"asinh", MathFunc<Asinh>},
                            {"atan", MathFunc<Atan>},
                            {"atanh", MathFunc<Atanh>},
                            {"ceil", MathFunc<Ceil>},
                            {"clamp", FuncClamp},
                            {"clamp_max", FuncClampMax},
                            {"clamp_min", FuncClampMin},
                            {"cos", MathFunc<Cos>},
                            {"cosh", MathFunc<Cosh>},
                            {"day_of_month", DateFunc<DayOfMonth>},
                            {"day_of_week", DateFunc<DayOfWeek>},
                            {"day_of_year", DateFunc<DayOfYear>},
                            {"days_in_month", DateFunc<DaysInMonthF>},
                            {"deg", MathFunc<Deg>},
                            {"exp", MathFunc<Exp>},
                            {"floor", MathFunc<Floor>},
                            {"hour", DateFunc<Hour>},
                            {"ln", MathFunc<Ln>},
                            {"log10", MathFunc<Log10>},
                            {"log2", MathFunc<Log2>},
                            {"max_of", FuncMaxOf},
                            {"min_of", FuncMinOf},
                            {"minute", DateFunc<Minute>},
                            {"month", DateFunc<Month>},
                            {"pi", FuncPi},
                            {"rad", MathFunc<Rad>},
                            {"round", FuncRound},
                            {"scalar", FuncScalar},
                            {"sgn", MathFunc<Sgn>},
                            {"sin", MathFunc<Sin>},
                            {"sinh", MathFunc<Sinh>},
                            {"sort", FuncSort},
                            {"sort_by_label", FuncSortByLabel},
                            {"sort_by_label_desc", FuncSortByLabelDesc},
                            {"sort_desc", FuncSortDesc},
                            {"sqrt", MathFunc<Sqrt>},
                            {"tan", MathFunc<Tan>},
                            {"tanh", MathFunc<Tanh>},
                            {"time", FuncTime},
                            {"start_timestamp", FuncStartTimestamp},
                            {"timestamp", FuncTimestamp},
                            {"vector", FuncVector},
                            {"year", DateFunc<Year>},
                        });
}

}  // namespace strata::promql
