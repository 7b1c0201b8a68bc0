#include "select/promql/engine.h"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "common/base/status.h"
#include "select/promql/parser.h"
#include "select/promql/value.h"

namespace strata::promql {
namespace {

// The value of an expression over every step of the query.
struct EvalValue {
  ValueType type = ValueType::kScalar;
  std::vector<double> scalar;           // kScalar: one value per step
  std::vector<SeriesResult> series;     // kVector: points at step times; kMatrix: raw samples
  std::string str;                      // kString
};

double ApplyArithmetic(BinaryOp op, double l, double r) {
  switch (op) {
    case BinaryOp::kAdd: return l + r;
    case BinaryOp::kSub: return l - r;
    case BinaryOp::kMul: return l * r;
    case BinaryOp::kDiv: return l / r;
    case BinaryOp::kMod: return std::fmod(l, r);
    case BinaryOp::kPow: return std::pow(l, r);
    case BinaryOp::kAtan2: return std::atan2(l, r);
    default: return NAN;
  }
}

bool ApplyComparison(BinaryOp op, double l, double r) {
  switch (op) {
    case BinaryOp::kEql: return l == r;
    case BinaryOp::kNeq: return l != r;
    case BinaryOp::kLss: return l < r;
    case BinaryOp::kLte: return l <= r;
    case BinaryOp::kGtr: return l > r;
    case BinaryOp::kGte: return l >= r;
    default: return false;
  }
}

class Evaluator {
 public:
  Evaluator(const PreparedQuery& q, const EngineOptions& options, Querier& querier)
      : q_(q), options_(options), querier_(querier) {
    num_steps_ = q.instant ? 1 : static_cast<size_t>((q.end_ms - q.start_ms) / q.step_ms + 1);
  }

  absl::StatusOr<EvalValue> Eval(const Expr& e) {
    if (const auto* n = e.As<NumberLiteral>()) {
      EvalValue v;
      v.scalar.assign(num_steps_, n->value);
      return v;
    }
    if (const auto* s = e.As<StringLiteral>()) {
      EvalValue v;
      v.type = ValueType::kString;
      v.str = s->value;
      return v;
    }
    if (const auto* vs = e.As<VectorSelector>()) return EvalVectorSelector(*vs);
    if (const auto* ms = e.As<MatrixSelector>()) return EvalMatrixSelector(*ms);
    if (const auto* p = e.As<ParenExpr>()) return Eval(*p->expr);
    if (const auto* u = e.As<UnaryExpr>()) {
      STRATA_ASSIGN_OR_RETURN(EvalValue v, Eval(*u->expr));
      if (u->op == UnaryOp::kMinus) {
        for (double& x : v.scalar) x = -x;
        for (SeriesResult& s : v.series) {
          s.labels = DropMetricName(s.labels);
          for (Sample& p : s.samples) p.value = -p.value;
        }
      }
      return v;
    }
    if (const auto* b = e.As<BinaryExpr>()) return EvalBinary(*b);
    return absl::InternalError("unknown expression node");
  }

  const std::vector<std::string>& warnings() const { return warnings_; }
  bool partial() const { return partial_; }

 private:
  int64_t StepTime(size_t i) const { return q_.start_ms + static_cast<int64_t>(i) * q_.step_ms; }

  int64_t EvalTime(const VectorSelector& vs, int64_t t) const {
    switch (vs.at) {
      case AtModifier::kTimestamp: t = vs.at_ms; break;
      case AtModifier::kStart: t = q_.start_ms; break;
      case AtModifier::kEnd: t = q_.end_ms; break;
      case AtModifier::kNone: break;
    }
    return t - vs.offset_ms;
  }

  absl::Status CheckDeadline() const {
    if (std::chrono::steady_clock::now() > q_.deadline) {
      return absl::DeadlineExceededError("query timed out in query execution");
    }
    return absl::OkStatus();
  }

  absl::Status CountSamples(size_t n) {
    samples_ += static_cast<int64_t>(n);
    if (samples_ > options_.max_samples) {
      return absl::ResourceExhaustedError(
          "query processing would load too many samples into memory in query execution");
    }
    return absl::OkStatus();
  }

  absl::StatusOr<SeriesSet> Select(const VectorSelector& vs, int64_t range_ms) {
    STRATA_RETURN_IF_ERROR(CheckDeadline());
    // Eval times are non-decreasing in the step index, so the first and
    // last steps bound the window.
    const int64_t first = EvalTime(vs, StepTime(0));
    const int64_t last = EvalTime(vs, StepTime(num_steps_ - 1));
    SelectHints hints;
    hints.min_time_ms = first - range_ms + 1;  // windows are left-open
    hints.max_time_ms = last;
    STRATA_ASSIGN_OR_RETURN(SeriesSet set, querier_.Select(hints, vs.matchers));
    partial_ |= set.partial;
    for (std::string& w : set.warnings) warnings_.push_back(std::move(w));
    return set;
  }

  absl::StatusOr<EvalValue> EvalVectorSelector(const VectorSelector& vs) {
    const int64_t lookback = q_.lookback_delta_ms;
    STRATA_ASSIGN_OR_RETURN(SeriesSet set, Select(vs, lookback));
    EvalValue out;
    out.type = ValueType::kVector;
    for (SeriesSamples& s : set.series) {
      STRATA_RETURN_IF_ERROR(CheckDeadline());
      SeriesResult r;
      const std::vector<Sample>& samples = s.samples;
      size_t next = 0;  // first sample with timestamp > the current eval time
      for (size_t i = 0; i < num_steps_; ++i) {
        const int64_t t = EvalTime(vs, StepTime(i));
        while (next < samples.size() && samples[next].timestamp_ms <= t) ++next;
        if (next == 0) continue;
        const Sample& latest = samples[next - 1];
        // (t - lookback, t]: a sample exactly lookback old is out of the window.
        if (latest.timestamp_ms <= t - lookback) continue;
        // A stale marker ends the series until the next real sample.
        if (IsStaleNaN(latest.value)) continue;
        r.samples.push_back(Sample{StepTime(i), latest.value});
      }
      if (r.samples.empty()) continue;
      STRATA_RETURN_IF_ERROR(CountSamples(r.samples.size()));
      r.labels = std::move(s.labels);
      out.series.push_back(std::move(r));
    }
    return out;
  }

  absl::StatusOr<EvalValue> EvalMatrixSelector(const MatrixSelector& ms) {
    if (!q_.instant) {
      // Unreachable through the type check, kept for direct callers.
      return absl::InvalidArgumentError("range vector selectors are only allowed in instant queries");
    }
    STRATA_ASSIGN_OR_RETURN(SeriesSet set, Select(ms.selector, ms.range_ms));
    const int64_t t = EvalTime(ms.selector, q_.start_ms);
    EvalValue out;
    out.type = ValueType::kMatrix;
    for (SeriesSamples& s : set.series) {
      STRATA_RETURN_IF_ERROR(CheckDeadline());
      SeriesResult r;
      for (const Sample& p : s.samples) {
        if (p.timestamp_ms > t - ms.range_ms && p.timestamp_ms <= t && !IsStaleNaN(p.value)) r.samples.push_back(p);
      }
      if (r.samples.empty()) continue;
      STRATA_RETURN_IF_ERROR(CountSamples(r.samples.size()));
      r.labels = std::move(s.labels);
      out.series.push_back(std::move(r));
    }
    return out;
  }

  absl::StatusOr<EvalValue> EvalBinary(const BinaryExpr& b) {
    STRATA_ASSIGN_OR_RETURN(EvalValue lhs, Eval(*b.lhs));
    STRATA_ASSIGN_OR_RETURN(EvalValue rhs, Eval(*b.rhs));
    const bool comparison = IsComparisonOp(b.op);
    if (lhs.type == ValueType::kScalar && rhs.type == ValueType::kScalar) {
      for (size_t i = 0; i < num_steps_; ++i) {
        lhs.scalar[i] = comparison ? (ApplyComparison(b.op, lhs.scalar[i], rhs.scalar[i]) ? 1.0 : 0.0)
                                   : ApplyArithmetic(b.op, lhs.scalar[i], rhs.scalar[i]);
      }
      return lhs;
    }
    if (lhs.type == ValueType::kVector && rhs.type == ValueType::kVector) {
      return absl::UnimplementedError(
          fmt::format("binary operator \"{}\" between two instant vectors is not supported yet", BinaryOpName(b.op)));
    }
    // Vector and scalar, in either order.
    const bool vector_on_left = lhs.type == ValueType::kVector;
    EvalValue& vec = vector_on_left ? lhs : rhs;
    const std::vector<double>& scalar = vector_on_left ? rhs.scalar : lhs.scalar;
    // Arithmetic and `bool` comparisons produce new values: the metric name
    // no longer describes them (Prometheus drops it).
    const bool drop_name = !comparison || b.return_bool;
    std::vector<SeriesResult> out;
    out.reserve(vec.series.size());
    for (SeriesResult& s : vec.series) {
      SeriesResult r;
      r.labels = drop_name ? DropMetricName(s.labels) : std::move(s.labels);
      for (const Sample& p : s.samples) {
        const double sv = scalar[static_cast<size_t>((p.timestamp_ms - q_.start_ms) / (q_.instant ? 1 : q_.step_ms))];
        const double l = vector_on_left ? p.value : sv;
        const double rv = vector_on_left ? sv : p.value;
        if (!comparison) {
          r.samples.push_back(Sample{p.timestamp_ms, ApplyArithmetic(b.op, l, rv)});
        } else if (b.return_bool) {
          r.samples.push_back(Sample{p.timestamp_ms, ApplyComparison(b.op, l, rv) ? 1.0 : 0.0});
        } else if (ApplyComparison(b.op, l, rv)) {
          r.samples.push_back(p);  // the vector's value, even when it is on the right
        }
      }
      if (!r.samples.empty()) out.push_back(std::move(r));
    }
    vec.series = std::move(out);
    return std::move(vec);
  }

  const PreparedQuery& q_;
  const EngineOptions& options_;
  Querier& querier_;
  size_t num_steps_ = 1;
  int64_t samples_ = 0;
  bool partial_ = false;
  std::vector<std::string> warnings_;
};

// Sorts series by labels and merges series whose labels became equal (after
// dropping the metric name); two points at one time are an error, as in
// Prometheus.
absl::Status SortAndMergeSeries(std::vector<SeriesResult>* series) {
  std::stable_sort(series->begin(), series->end(),
                   [](const SeriesResult& a, const SeriesResult& b) { return a.labels < b.labels; });
  std::vector<SeriesResult> out;
  for (SeriesResult& s : *series) {
    if (!out.empty() && out.back().labels == s.labels) {
      std::vector<Sample>& dst = out.back().samples;
      dst.insert(dst.end(), s.samples.begin(), s.samples.end());
      std::stable_sort(dst.begin(), dst.end(),
                       [](const Sample& a, const Sample& b) { return a.timestamp_ms < b.timestamp_ms; });
      for (size_t i = 1; i < dst.size(); ++i) {
        if (dst[i].timestamp_ms == dst[i - 1].timestamp_ms) {
          return absl::FailedPreconditionError("vector cannot contain metrics with the same labelset");
        }
      }
      continue;
    }
    out.push_back(std::move(s));
  }
  *series = std::move(out);
  return absl::OkStatus();
}

}  // namespace

std::string FormatWithThousands(int64_t n) {
  std::string digits = std::to_string(n < 0 ? -n : n);
  std::string out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out.push_back(',');
    out.push_back(digits[i]);
  }
  return n < 0 ? "-" + out : out;
}

absl::StatusOr<PreparedQuery> Engine::Prepare(std::string_view query, const QueryOptions& opts) const {
  PreparedQuery q;
  STRATA_ASSIGN_OR_RETURN(q.expr, ParseExpr(query));
  q.lookback_delta_ms = opts.lookback_delta_ms > 0 ? opts.lookback_delta_ms : options_.lookback_delta_ms;
  std::chrono::milliseconds timeout = options_.timeout;
  if (opts.timeout.count() > 0 && opts.timeout < timeout) timeout = opts.timeout;
  q.deadline = std::chrono::steady_clock::now() + timeout;
  return q;
}

absl::StatusOr<PreparedQuery> Engine::NewInstantQuery(std::string_view query, int64_t time_ms,
                                                      const QueryOptions& opts) const {
  STRATA_ASSIGN_OR_RETURN(PreparedQuery q, Prepare(query, opts));
  q.instant = true;
  q.start_ms = q.end_ms = time_ms;
  return q;
}

absl::StatusOr<PreparedQuery> Engine::NewRangeQuery(std::string_view query, int64_t start_ms, int64_t end_ms,
                                                    int64_t step_ms, const QueryOptions& opts) const {
  if (end_ms < start_ms) return absl::InvalidArgumentError("end timestamp must not be before start time");
  if (step_ms <= 0) {
    return absl::InvalidArgumentError(
        "zero or negative query resolution step widths are not accepted. Try a positive integer");
  }
  if ((end_ms - start_ms) / step_ms > options_.max_points_per_series) {
    return absl::InvalidArgumentError(
        fmt::format("exceeded maximum resolution of {} points per timeseries. Try decreasing the query resolution "
                    "(?step=XX)",
                    FormatWithThousands(options_.max_points_per_series)));
  }
  STRATA_ASSIGN_OR_RETURN(PreparedQuery q, Prepare(query, opts));
  const ValueType type = q.expr->Type();
  if (type != ValueType::kVector && type != ValueType::kScalar) {
    return absl::InvalidArgumentError(fmt::format(
        "invalid expression type \"{}\" for range query, must be Scalar or instant Vector", DocumentedType(type)));
  }
  q.instant = false;
  q.start_ms = start_ms;
  q.end_ms = end_ms;
  q.step_ms = step_ms;
  return q;
}

absl::StatusOr<QueryResult> Engine::Exec(const PreparedQuery& query, Querier& querier) const {
  Evaluator evaluator(query, options_, querier);
  STRATA_ASSIGN_OR_RETURN(EvalValue value, evaluator.Eval(*query.expr));
  QueryResult result;
  result.partial = evaluator.partial();
  result.warnings = evaluator.warnings();
  switch (value.type) {
    case ValueType::kScalar:
      if (query.instant) {
        result.type = ValueType::kScalar;
        result.scalar = Sample{query.start_ms, value.scalar[0]};
      } else {
        // A range query of a scalar is a matrix with one label-less series.
        result.type = ValueType::kMatrix;
        SeriesResult s;
        for (size_t i = 0; i < value.scalar.size(); ++i) {
          s.samples.push_back(Sample{query.start_ms + static_cast<int64_t>(i) * query.step_ms, value.scalar[i]});
        }
        result.series.push_back(std::move(s));
      }
      break;
    case ValueType::kString:
      result.type = ValueType::kString;
      result.scalar.timestamp_ms = query.start_ms;
      result.string_value = std::move(value.str);
      break;
    case ValueType::kVector:
    case ValueType::kMatrix:
      result.type = query.instant ? value.type : ValueType::kMatrix;
      result.series = std::move(value.series);
      STRATA_RETURN_IF_ERROR(SortAndMergeSeries(&result.series));
      break;
  }
  return result;
}

}  // namespace strata::promql
