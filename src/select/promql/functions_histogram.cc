// histogram_quantile(s) and histogram_fraction over classic histograms (series
// with an `le` label), after Prometheus promql/functions.go
// (funcHistogramQuantile(s), funcHistogramFraction) and promql/quantile.go
// (BucketQuantile, BucketFraction). Native histograms do not exist in
// Strata, so only the classic-bucket path is implemented.
#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <limits>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "absl/container/flat_hash_map.h"
#include "select/promql/functions_internal.h"
#include "select/promql/go_format.h"

namespace strata::promql {
namespace {

constexpr std::string_view kBucketLabel = "le";

// Relative differences between adjacent cumulative bucket counts below this
// are treated as floating point noise (Prometheus smallDeltaTolerance).
constexpr double kSmallDeltaTolerance = 1e-12;



// Go's strconv.ParseFloat(s, 64) success: the whole string is a decimal or
// hexadecimal (with p exponent) float, or inf/infinity/nan in any case,
// with an optional sign, and a finite literal does not overflow.
bool ParseGoFloat(std::string_view s, double* out) {
  if (s.empty()) return false;
  std::string str(s);
  std::string_view body = s;
  if (body[0] == '+' || body[0] == '-') body.remove_prefix(1);
  if (body.empty()) return false;
  std::string lower;
  for (char c : body) lower.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
  if (lower == "inf" || lower == "infinity") {
    *out = s[0] == '-' ? -std::numeric_limits<double>::infinity() : std::numeric_limits<double>::infinity();
    return true;
  }
  if (lower == "nan") {
    *out = std::numeric_limits<double>::quiet_NaN();
    return true;
  }
  // strtod would also take leading blanks, "nan(...)", "infin" prefixes and
  // hex without exponent; Go takes none of those.
  bool hex = lower.size() > 1 && lower[0] == '0' && lower[1] == 'x';
  for (char c : lower) {
    bool allowed = (c >= '0' && c <= '9') || c == '.' || c == 'e' || c == '+' || c == '-' ||
                   (hex && ((c >= 'a' && c <= 'f') || c == 'x' || c == 'p'));
    if (!allowed) return false;
  }
  if (hex && lower.find('p') == std::string::npos) return false;
  errno = 0;
  char* end = nullptr;
  double v = std::strtod(str.c_str(), &end);
  if (end != str.c_str() + str.size()) return false;
  if (errno == ERANGE && std::isinf(v)) return false;
  *out = v;
  return true;
}

struct Bucket {
  double upper_bound;
  double count;
};

// Prometheus util/almost.Equal.
bool AlmostEqual(double a, double b, double epsilon) {
  if (std::isnan(a) && std::isnan(b)) return true;
  if (a == b) return true;
  constexpr double kMinNormal = std::numeric_limits<double>::min();
  double abs_sum = std::fabs(a) + std::fabs(b);
  double diff = std::fabs(a - b);
  if (a == 0 || b == 0 || abs_sum < kMinNormal) return diff < epsilon * kMinNormal;
  return diff / std::min(abs_sum, std::numeric_limits<double>::max()) < epsilon;
}

// Ignores numerically insignificant differences between adjacent buckets in
// either direction, then removes any decrease. Returns whether a real
// decrease had to be removed (the caller reports it).
bool EnsureMonotonicAndIgnoreSmallDeltas(std::vector<Bucket>& buckets, double tolerance) {
  bool forced = false;
  double prev = buckets[0].count;
  for (size_t i = 1; i < buckets.size(); ++i) {
    double curr = buckets[i].count;
    if (curr == prev) continue;
    if (AlmostEqual(prev, curr, tolerance)) {
      buckets[i].count = prev;
      continue;
    }
    if (curr < prev) {
      buckets[i].count = prev;
      forced = true;
      continue;
    }
    prev = curr;
  }
  return forced;
}

// Sorts buckets by upper bound and merges those with the same bound ("1",
// "1.0" and "1e0" are one bucket), as Prometheus does before reading them.
// REQUIRES: buckets not empty.
void SortAndCoalesce(std::vector<Bucket>& buckets) {
  std::stable_sort(buckets.begin(), buckets.end(),
                   [](const Bucket& a, const Bucket& b) { return a.upper_bound < b.upper_bound; });
  size_t n = 0;
  for (size_t i = 1; i < buckets.size(); ++i) {
    if (buckets[i].upper_bound == buckets[n].upper_bound) {
      buckets[n].count += buckets[i].count;
    } else {
      buckets[++n] = buckets[i];
    }
  }
  buckets.resize(n + 1);
}

// Prometheus BucketQuantile: linear interpolation inside the bucket holding
// the rank, 0 as the lower bound of a first bucket with a positive upper
// bound, the second-highest bound when the rank falls in the +Inf bucket.
double BucketQuantile(double q, std::vector<Bucket> buckets, bool* forced_monotonic) {
  *forced_monotonic = false;
  constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
  if (std::isnan(q)) return kNaN;
  if (q < 0) return -std::numeric_limits<double>::infinity();
  if (q > 1) return std::numeric_limits<double>::infinity();
  SortAndCoalesce(buckets);
  if (!(std::isinf(buckets.back().upper_bound) && buckets.back().upper_bound > 0)) return kNaN;
  bool forced = EnsureMonotonicAndIgnoreSmallDeltas(buckets, kSmallDeltaTolerance);
  if (buckets.size() < 2) return kNaN;
  double observations = buckets.back().count;
  if (observations == 0) return kNaN;
  *forced_monotonic = forced;
  double rank = q * observations;
  size_t last = buckets.size() - 1;
  size_t b = static_cast<size_t>(
      std::partition_point(buckets.begin(), buckets.begin() + static_cast<std::ptrdiff_t>(last),
                           [rank](const Bucket& x) { return !(x.count >= rank); }) -
      buckets.begin());
  if (b == last) return buckets[last - 1].upper_bound;
  if (b == 0 && buckets[0].upper_bound <= 0) return buckets[0].upper_bound;
  double bucket_start = 0;
  double bucket_end = buckets[b].upper_bound;
  double count = buckets[b].count;
  if (b > 0) {
    bucket_start = buckets[b - 1].upper_bound;
    count -= buckets[b - 1].count;
    rank -= buckets[b - 1].count;
  }
  return bucket_start + (bucket_end - bucket_start) * (rank / count);
}

// Prometheus BucketFraction: the share of observations in [lower, upper],
// interpolating linearly inside a bucket. The first bucket starts at 0 when
// its upper bound is positive, else at -Inf (where no interpolation is
// possible and the whole bucket counts).
double BucketFraction(double lower, double upper, std::vector<Bucket> buckets) {
  constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
  constexpr double kInf = std::numeric_limits<double>::infinity();
  if (buckets.empty()) return kNaN;
  SortAndCoalesce(buckets);
  if (buckets.back().upper_bound != kInf) return kNaN;
  const double count = buckets.back().count;
  if (count == 0 || std::isnan(lower) || std::isnan(upper)) return kNaN;
  if (lower >= upper) return 0;
  double rank = 0, lower_rank = 0, upper_rank = 0;
  bool lower_set = false, upper_set = false;
  double lower_bound = buckets[0].upper_bound <= 0 ? -kInf : 0;
  for (size_t i = 0; i < buckets.size(); ++i) {
    if (i > 0) lower_bound = buckets[i - 1].upper_bound;
    const double upper_bound = buckets[i].upper_bound;
    const double bucket_count = buckets[i].count;
    // Counts are cumulative: this bucket alone holds bucket_count - rank.
    auto interpolate = [&](double v) {
      if (lower_bound == -kInf) return bucket_count;
      return rank + (bucket_count - rank) * (v - lower_bound) / (upper_bound - lower_bound);
    };
    if (!lower_set && lower_bound >= lower) {
      lower_rank = rank;
      lower_set = true;
    }
    if (!upper_set && lower_bound >= upper) {
      upper_rank = rank;
      upper_set = true;
    }
    if (lower_set && upper_set) break;
    if (!lower_set && lower_bound < lower && upper_bound > lower) {
      lower_rank = interpolate(lower);
      lower_set = true;
    }
    if (!upper_set && lower_bound < upper && upper_bound > upper) {
      upper_rank = interpolate(upper);
      upper_set = true;
    }
    if (lower_set && upper_set) break;
    rank = bucket_count;
  }
  if (!lower_set || lower_rank > count) lower_rank = count;
  if (!upper_set || upper_rank > count) upper_rank = count;
  return (upper_rank - lower_rank) / count;
}

std::string WithMetricName(std::string message, std::string_view name) {
  if (name.empty()) return message;
  return fmt::format("{} for metric name {}", message, GoQuote(name));
}

Labels WithoutLabel(const Labels& labels, std::string_view name) {
  if (!labels.Has(name)) return labels;
  std::vector<Label> out;
  out.reserve(labels.size());
  for (const Label& l : labels) {
    if (l.name != name) out.push_back(l);
  }
  return Labels::FromSorted(std::move(out));
}

struct BucketGroup {
  Labels labels;  // the series' labels without `le`
  std::vector<Bucket> buckets;
};

// Groups classic buckets into histograms. Buckets of one histogram share
// every label but `le`, the metric name included, so differently named
// histograms are never merged. Samples without a parseable `le` are
// skipped with Prometheus's warning at `pos`.
std::vector<BucketGroup> GroupBuckets(const Vector& in, const FunctionCallContext& ctx, PositionRange pos) {
  absl::flat_hash_map<Labels, size_t> index;
  std::vector<BucketGroup> groups;
  for (const VectorSample& s : in) {
    std::string_view le = s.labels.Get(kBucketLabel);
    double upper = 0;
    if (!ParseGoFloat(le, &upper)) {
      if (ctx.annotations != nullptr) {
        std::string_view name = ctx.delayed_name_removal ? s.labels.MetricName() : std::string_view();
        ctx.annotations->Warn(
            pos, WithMetricName(fmt::format("bucket label \"le\" is missing or has a malformed value of {}",
                                            GoQuote(le)),
                                name));
      }
      continue;
    }
    Labels key = WithoutLabel(s.labels, kBucketLabel);
    auto [it, inserted] = index.try_emplace(key, groups.size());
    if (inserted) groups.push_back(BucketGroup{std::move(key), {}});
    groups[it->second].buckets.push_back(Bucket{upper, s.f});
  }
  return groups;
}

PositionRange ArgPos(const FunctionCallContext& ctx, size_t i) {
  if (ctx.call == nullptr || i >= ctx.call->args.size() || ctx.call->args[i] == nullptr) return {};
  return ctx.call->args[i]->pos;
}

// histogram_quantile(q scalar, buckets instant-vector).
absl::Status HistogramQuantile(std::span<const FunctionArg> args, const FunctionCallContext& ctx, Vector& out) {
  if (args.size() != 2 || args[1].vector == nullptr) {
    return absl::InternalError("histogram_quantile expects a scalar and an instant vector");
  }
  const double q = args[0].scalar;
  const PositionRange v_pos = ArgPos(ctx, 1);
  WarnIfInvalidQuantile(ctx.annotations, ArgPos(ctx, 0), q);
  for (BucketGroup& g : GroupBuckets(*args[1].vector, ctx, v_pos)) {
    bool forced = false;
    double value = BucketQuantile(q, g.buckets, &forced);
    if (forced && ctx.annotations != nullptr) {
      std::string_view name = ctx.delayed_name_removal ? g.labels.MetricName() : std::string_view();
      ctx.annotations->Info(
          v_pos, WithMetricName("input to histogram_quantile needed to be fixed for monotonicity (see "
                                "https://prometheus.io/docs/prometheus/latest/querying/functions/"
                                "#histogram_quantile)",
                                name));
    }
    bool drop_name = false;
    Labels labels = ResultLabels(g.labels, ctx, &drop_name);
    out.push_back(VectorSample{std::move(labels), value, ctx.t_ms, drop_name});
  }
  return absl::OkStatus();
}

// Prometheus labels.FormatOpenMetricsFloat: %g, with ".0" appended when
// the result has neither a dot nor an exponent ("0.0", "1.0", "0.25").
std::string FormatOpenMetricsFloat(double f) {
  std::string s = GoFormatG(f);
  if (std::isnan(f) || std::isinf(f)) return s;
  if (s.find_first_of(".e") == std::string::npos) s += ".0";
  return s;
}

// histogram_quantiles(buckets instant-vector, label string, q scalar...):
// one output series per histogram and quantile, the quantile in `label`.
absl::Status HistogramQuantiles(std::span<const FunctionArg> args, const FunctionCallContext& ctx, Vector& out) {
  if (args.size() < 3 || args[0].vector == nullptr) {
    return absl::InternalError("histogram_quantiles expects an instant vector, a label and quantiles");
  }
  const std::string label(args[1].str);
  const PositionRange v_pos = ArgPos(ctx, 0);
  for (size_t i = 2; i < args.size(); ++i) {
    WarnIfInvalidQuantile(ctx.annotations, ArgPos(ctx, i), args[i].scalar);
  }
  std::vector<BucketGroup> groups = GroupBuckets(*args[0].vector, ctx, v_pos);
  for (size_t i = 2; i < args.size(); ++i) {
    const double q = args[i].scalar;
    const std::string q_str = FormatOpenMetricsFloat(q);
    for (const BucketGroup& g : groups) {
      bool forced = false;
      double value = BucketQuantile(q, g.buckets, &forced);
      if (forced && ctx.annotations != nullptr) {
        std::string_view name = ctx.delayed_name_removal ? g.labels.MetricName() : std::string_view();
        ctx.annotations->Info(
            v_pos, WithMetricName("input to histogram_quantile needed to be fixed for monotonicity (see "
                                  "https://prometheus.io/docs/prometheus/latest/querying/functions/"
                                  "#histogram_quantile)",
                                  name));
      }
      std::vector<Label> with_q;
      with_q.reserve(g.labels.size() + 1);
      for (const Label& l : g.labels) {
        if (l.name != label) with_q.push_back(l);
      }
      with_q.push_back(Label{label, q_str});
      bool drop_name = false;
      Labels labels = ResultLabels(Labels::FromUnsorted(std::move(with_q)), ctx, &drop_name);
      out.push_back(VectorSample{std::move(labels), value, ctx.t_ms, drop_name});
    }
  }
  return absl::OkStatus();
}

// histogram_fraction(lower scalar, upper scalar, buckets instant-vector).
absl::Status HistogramFraction(std::span<const FunctionArg> args, const FunctionCallContext& ctx, Vector& out) {
  if (args.size() != 3 || args[2].vector == nullptr) {
    return absl::InternalError("histogram_fraction expects two scalars and an instant vector");
  }
  for (BucketGroup& g : GroupBuckets(*args[2].vector, ctx, ArgPos(ctx, 2))) {
    double value = BucketFraction(args[0].scalar, args[1].scalar, std::move(g.buckets));
    bool drop_name = false;
    Labels labels = ResultLabels(g.labels, ctx, &drop_name);
    out.push_back(VectorSample{std::move(labels), value, ctx.t_ms, drop_name});
  }
  return absl::OkStatus();
}

}  // namespace

void RegisterHistogramFunctions(std::vector<FunctionImplEntry>& out) {
  out.push_back({"histogram_fraction", &HistogramFraction});
  out.push_back({"histogram_quantile", &HistogramQuantile});
  out.push_back({"histogram_quantiles", &HistogramQuantiles});
}

}  // namespace strata::promql
