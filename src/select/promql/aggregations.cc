#include "select/promql/aggregations.h"
#include "select/promql/go_format.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstring>
#include <limits>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "absl/container/flat_hash_map.h"

#define XXH_INLINE_ALL
#include <xxhash.h>

namespace strata::promql {
namespace {





// Neumaier's variant of Kahan summation, exactly as Prometheus's
// kahanSumInc: returns the new sum and updates the compensation `c`.
double KahanSumInc(double inc, double sum, double* c) {
  double t = sum + inc;
  if (std::isinf(t)) {
    *c = 0;
  } else if (std::fabs(sum) >= std::fabs(inc)) {
    *c += (sum - t) + inc;
  } else {
    *c += (inc - t) + sum;
  }
  return t;
}

bool Contains(const std::vector<std::string>& names, std::string_view name) {
  return std::find(names.begin(), names.end(), name) != names.end();
}

// The labels of the output group of `labels`: by() keeps the listed labels
// (including __name__ when listed), without() drops them and __name__.
// These labels are also the group's identity.
Labels GroupingLabels(const Labels& labels, const AggregateExpr& e, std::string_view extra_by = {}) {
  std::vector<Label> out;
  for (const Label& l : labels) {
    bool listed = Contains(e.grouping, l.name) || (!extra_by.empty() && l.name == extra_by);
    if (e.without ? (!listed && l.name != kMetricNameLabel) : listed) out.push_back(l);
  }
  return Labels::FromSorted(std::move(out));
}

// Partitions the input into groups in order of first appearance: for each
// input sample the index of its group, and each group's labels. Taken from
// ctx.groups when the evaluator says the input's series did not change.
const AggregateGroups& AssignGroups(const Vector& in, const AggregateContext& ctx, AggregateGroups& local) {
  AggregateGroups& g = ctx.groups != nullptr ? *ctx.groups : local;
  if (g.valid && ctx.same_series_as_previous_step && g.group_of.size() == in.size()) return g;
  g.group_of.clear();
  g.group_labels.clear();
  g.group_of.reserve(in.size());
  absl::flat_hash_map<Labels, size_t> index;
  for (const VectorSample& s : in) {
    Labels labels = GroupingLabels(s.labels, *ctx.expr);
    auto [it, inserted] = index.try_emplace(labels, g.group_labels.size());
    if (inserted) g.group_labels.push_back(std::move(labels));
    g.group_of.push_back(it->second);
  }
  g.valid = true;
  return g;
}

struct FloatGroup {
  bool seen = false;
  bool drop_name = false;
  bool incremental_mean = false;
  double value = 0;
  double mean = 0;
  double kahan_c = 0;
  double count = 0;
  std::vector<double> values;  // quantile only
};

// NaN sorts below every number, as Prometheus's vectorByValueHeap.Less.
bool NaNFirstLess(double a, double b) {
  if (std::isnan(a)) return !std::isnan(b);
  if (std::isnan(b)) return false;
  return a < b;
}

double Quantile(double q, std::vector<double>& values) {
  if (values.empty() || std::isnan(q)) return std::numeric_limits<double>::quiet_NaN();
  if (q < 0) return -std::numeric_limits<double>::infinity();
  if (q > 1) return std::numeric_limits<double>::infinity();
  std::sort(values.begin(), values.end(), NaNFirstLess);
  double n = static_cast<double>(values.size());
  double rank = q * (n - 1);
  double lower = std::max(0.0, std::floor(rank));
  double upper = std::min(n - 1, lower + 1);
  double weight = rank - std::floor(rank);
  return values[static_cast<size_t>(lower)] * (1 - weight) + values[static_cast<size_t>(upper)] * weight;
}

absl::Status AggregateFloat(const Vector& in, const AggregateContext& ctx, Vector& out) {
  const AggregateExpr& e = *ctx.expr;
  if (e.op == AggregateOp::kQuantile) {
    WarnIfInvalidQuantile(ctx.annotations, ctx.param_pos, ctx.param);
  }
  AggregateGroups local;
  const AggregateGroups& grouping = AssignGroups(in, ctx, local);
  const std::vector<size_t>& group_of = grouping.group_of;
  const std::vector<Labels>& labels = grouping.group_labels;
  std::vector<FloatGroup> groups(labels.size());
  for (size_t i = 0; i < in.size(); ++i) {
    const double f = in[i].f;
    FloatGroup& g = groups[group_of[i]];
    if (in[i].drop_name) g.drop_name = true;
    if (!g.seen) {
      g.seen = true;
      g.value = f;
      g.mean = f;
      g.count = 1;
      switch (e.op) {
        case AggregateOp::kStddev:
        case AggregateOp::kStdvar:
          g.value = (std::isnan(f) || std::isinf(f)) ? std::numeric_limits<double>::quiet_NaN() : 0;
          break;
        case AggregateOp::kQuantile:
          g.values.push_back(f);
          break;
        case AggregateOp::kGroup:
          g.value = 1;
          break;
        default:
          break;
      }
      continue;
    }
    switch (e.op) {
      case AggregateOp::kSum:
        g.value = KahanSumInc(f, g.value, &g.kahan_c);
        break;
      case AggregateOp::kAvg: {
        // Direct mean (Kahan sum / count) while the sum stays finite, then
        // the overflow-safe incremental mean, as Prometheus does.
        g.count++;
        if (!g.incremental_mean) {
          double c = g.kahan_c;
          double sum = KahanSumInc(f, g.value, &c);
          if (!std::isinf(sum)) {
            g.value = sum;
            g.kahan_c = c;
            break;
          }
          g.incremental_mean = true;
          g.mean = g.value / (g.count - 1);
          g.kahan_c /= g.count - 1;
        }
        double q = (g.count - 1) / g.count;
        double c = q * g.kahan_c;
        g.mean = KahanSumInc(f / g.count, q * g.mean, &c);
        g.kahan_c = c;
        break;
      }
      case AggregateOp::kGroup:
        break;
      case AggregateOp::kMax:
        if (g.value < f || std::isnan(g.value)) g.value = f;
        break;
      case AggregateOp::kMin:
        if (g.value > f || std::isnan(g.value)) g.value = f;
        break;
      case AggregateOp::kCount:
        g.count++;
        break;
      case AggregateOp::kStddev:
      case AggregateOp::kStdvar: {
        g.count++;
        double delta = f - g.mean;
        g.mean += delta / g.count;
        g.value += delta * (f - g.mean);
        break;
      }
      case AggregateOp::kQuantile:
        g.values.push_back(f);
        break;
      default:
        return absl::InternalError(fmt::format("unexpected aggregation {}", AggregateOpName(e.op)));
    }
  }
  for (size_t gi = 0; gi < groups.size(); ++gi) {
    FloatGroup& g = groups[gi];
    if (!g.seen) continue;
    double v = g.value;
    switch (e.op) {
      case AggregateOp::kAvg:
        v = g.incremental_mean ? g.mean + g.kahan_c : g.value / g.count + g.kahan_c / g.count;
        break;
      case AggregateOp::kCount:
        v = g.count;
        break;
      case AggregateOp::kStdvar:
        v = g.value / g.count;
        break;
      case AggregateOp::kStddev:
        v = std::sqrt(g.value / g.count);
        break;
      case AggregateOp::kQuantile:
        v = Quantile(ctx.param, g.values);
        break;
      case AggregateOp::kSum:
        v = g.value + g.kahan_c;
        break;
      default:
        break;
    }
    out.push_back(VectorSample{std::move(labels[gi]), v, ctx.t_ms, g.drop_name});
  }
  return absl::OkStatus();
}

absl::Status CountValues(const Vector& in, const AggregateContext& ctx, Vector& out) {
  const AggregateExpr& e = *ctx.expr;
  if (ctx.label.empty() || !IsValidUtf8(ctx.label)) {
    return absl::InvalidArgumentError(fmt::format("invalid label name {}", GoQuote(ctx.label)));
  }
  std::string_view extra_by = e.without ? std::string_view() : ctx.label;
  absl::flat_hash_map<Labels, size_t> index;
  std::vector<Labels> labels;
  std::vector<double> counts;
  for (const VectorSample& s : in) {
    std::vector<Label> with_value;
    with_value.reserve(s.labels.size() + 1);
    for (const Label& l : s.labels) {
      if (l.name != ctx.label) with_value.push_back(l);
    }
    with_value.push_back(Label{std::string(ctx.label), GoFormatF(s.f)});
    Labels metric = Labels::FromUnsorted(std::move(with_value));
    Labels g = GroupingLabels(metric, e, extra_by);
    auto [it, inserted] = index.try_emplace(g, labels.size());
    if (inserted) {
      labels.push_back(std::move(g));
      counts.push_back(0);
    }
    counts[it->second] += 1;
  }
  for (size_t i = 0; i < labels.size(); ++i) {
    out.push_back(VectorSample{std::move(labels[i]), counts[i], ctx.t_ms, false});
  }
  return absl::OkStatus();
}

// Prometheus's labels.Hash() in its default (stringlabels) build: XXH64 of
// the labels encoded as varint-length-prefixed name and value strings.
uint64_t PrometheusLabelsHash(const Labels& labels) {
  std::string buf;
  auto put = [&buf](std::string_view s) {
    uint64_t n = s.size();
    while (n >= 0x80) {
      buf.push_back(static_cast<char>((n & 0x7f) | 0x80));
      n >>= 7;
    }
    buf.push_back(static_cast<char>(n));
    buf.append(s);
  };
  for (const Label& l : labels) {
    put(l.name);
    put(l.value);
  }
  return XXH64(buf.data(), buf.size(), 0);
}

// Prometheus's HashRatioSampler: a series is kept for ratio r >= 0 when its
// hash offset in [0, 1] is below r, and for r < 0 when it is at or above
// 1 + r, so limit_ratio(r) and limit_ratio(r - 1) are complements.
bool AddRatioSample(double ratio, const Labels& labels) {
  double offset = static_cast<double>(PrometheusLabelsHash(labels)) /
                  static_cast<double>(std::numeric_limits<uint64_t>::max());
  return (ratio >= 0 && offset < ratio) || (ratio < 0 && offset >= 1.0 + ratio);
}

// The largest float64 that converts to an int64 without overflow.
constexpr double kMaxInt64 = 9223372036854774784.0;

absl::Status AggregateK(const Vector& in, const AggregateContext& ctx, Vector& out) {
  const AggregateExpr& e = *ctx.expr;
  const double p = ctx.param;
  int64_t k = 0;
  double ratio = 0;
  if (e.op == AggregateOp::kLimitRatio) {
    if (std::isnan(p)) return absl::InvalidArgumentError("Ratio value is NaN");
    if (ctx.annotations != nullptr && p > 1.0) {
      ctx.annotations->Warn(ctx.param_pos, fmt::format("ratio value should be between -1 and 1, got {}, capping to {}",
                                                       GoFormatG(p), GoFormatG(1.0)));
    }
    if (ctx.annotations != nullptr && p < -1.0) {
      ctx.annotations->Warn(ctx.param_pos, fmt::format("ratio value should be between -1 and 1, got {}, capping to {}",
                                                       GoFormatG(p), GoFormatG(-1.0)));
    }
    if (p == 0) return absl::OkStatus();
    ratio = std::clamp(p, -1.0, 1.0);
  } else {
    // Prometheus checks the parameter over all steps before evaluating:
    // all below 1 gives nothing, then NaN and out-of-range values fail.
    if (p < 1) return absl::OkStatus();
    if (std::isnan(p)) return absl::InvalidArgumentError("Parameter value is NaN");
    if (p >= kMaxInt64) {
      return absl::InvalidArgumentError(fmt::format("Scalar value {} overflows int64", GoFormatG(p)));
    }
    k = std::min(static_cast<int64_t>(p), static_cast<int64_t>(in.size()));
  }
  AggregateGroups local;
  const AggregateGroups& grouping = AssignGroups(in, ctx, local);
  const std::vector<size_t>& group_of = grouping.group_of;
  const std::vector<Labels>& labels = grouping.group_labels;
  std::vector<std::vector<size_t>> members(labels.size());
  for (size_t i = 0; i < in.size(); ++i) {
    std::vector<size_t>& m = members[group_of[i]];
    switch (e.op) {
      case AggregateOp::kLimitk:
        if (static_cast<int64_t>(m.size()) < k) m.push_back(i);
        break;
      case AggregateOp::kLimitRatio:
        if (AddRatioSample(ratio, in[i].labels)) m.push_back(i);
        break;
      default:
        m.push_back(i);
    }
  }
  const bool top = e.op == AggregateOp::kTopk;
  for (std::vector<size_t>& m : members) {
    if (e.op == AggregateOp::kTopk || e.op == AggregateOp::kBottomk) {
      // NaN always ranks last: it is kept only when there are fewer than k
      // other samples, and is listed after them.
      std::stable_sort(m.begin(), m.end(), [&](size_t a, size_t b) {
        double fa = in[a].f, fb = in[b].f;
        if (std::isnan(fa)) return false;
        if (std::isnan(fb)) return true;
        return top ? fa > fb : fa < fb;
      });
      if (static_cast<int64_t>(m.size()) > k) m.resize(static_cast<size_t>(k));
    }
    for (size_t i : m) {
      out.push_back(VectorSample{in[i].labels, in[i].f, ctx.t_ms, in[i].drop_name});
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status Aggregate(const Vector& in, const AggregateContext& ctx, Vector& out) {
  if (ctx.expr == nullptr) return absl::InternalError("aggregation without expression");
  switch (ctx.expr->op) {
    case AggregateOp::kCountValues:
      return CountValues(in, ctx, out);
    case AggregateOp::kTopk:
    case AggregateOp::kBottomk:
    case AggregateOp::kLimitk:
    case AggregateOp::kLimitRatio:
      return AggregateK(in, ctx, out);
    default:
      return AggregateFloat(in, ctx, out);
  }
}

}  // namespace strata::promql
