// Data loading, vector and matrix selectors, subqueries and the sources of
// range-vector arguments (see engine_eval.h).
#include <algorithm>

#include <fmt/format.h>

#include "common/base/status.h"
#include "select/promql/engine_eval.h"
#include "select/promql/extended_window.h"
#include "select/promql/function_signatures.h"

namespace strata::promql::internal {
namespace {

// Floor division for possibly negative times.
int64_t FloorDiv(int64_t a, int64_t b) {
  int64_t q = a / b;
  if ((a % b != 0) && ((a < 0) != (b < 0))) --q;
  return q;
}

// The value at `t` on the line through `a` and `b` (a.t < t < b.t), as
// Prometheus interpolates a `smoothed` selector (gauge semantics: a counter
// reset is not special here).
double Interpolate(const Sample& a, const Sample& b, int64_t t) {
  return a.value + (b.value - a.value) * static_cast<double>(t - a.timestamp_ms) /
                       static_cast<double>(b.timestamp_ms - a.timestamp_ms);
}

// An anchored or smoothed range selector as a value (Prometheus
// extendFloats): the samples inside (mint, maxt] between two synthetic
// points at mint and maxt, which take the boundary samples' values
// (anchored) or the values interpolated at the boundaries (smoothed).
// `pts` also holds the boundary samples outside the window.
std::vector<FPoint> ExtendFloats(const std::vector<FPoint>& pts, int64_t mint, int64_t maxt, bool smoothed) {
  const std::optional<ExtendedBounds> b = FindExtendedBounds(pts, mint, maxt, smoothed, /*is_counter=*/false);
  if (!b) return {};
  std::vector<FPoint> out;
  out.push_back(FPoint{mint, b->left});
  const size_t begin = pts[b->first].t <= mint ? b->first + 1 : b->first;
  const size_t end = pts[b->last].t >= maxt ? b->last : b->last + 1;  // one past the last inner sample
  for (size_t i = begin; i < end; ++i) out.push_back(pts[i]);
  out.push_back(FPoint{maxt, b->right});
  return out;
}

}  // namespace

// Every AST node is evaluated exactly once per query (a subquery's inner
// expression once for all of its windows), so a selector's data is handed
// over instead of copied, and freed as soon as it has been turned into
// points.
std::vector<SeriesSamples> Evaluator::TakeData(const VectorSelector& vs) {
  auto node = data_.extract(&vs);
  if (node.empty()) return {};
  return std::move(node.mapped());
}

int64_t Evaluator::ResolveAt(AtModifier at, int64_t at_ms) const {
  switch (at) {
    case AtModifier::kStart: return q_.start_ms;
    case AtModifier::kEnd: return q_.end_ms;
    case AtModifier::kTimestamp:
    case AtModifier::kNone: break;
  }
  return at_ms;
}

// Collects every selector's request first and sends them all at once, so a
// query costs one round trip to the storage nodes however many selectors it
// has (Querier::SelectMany).
absl::Status Evaluator::LoadData() {
  STRATA_RETURN_IF_ERROR(LoadSelectors(*q_.expr, q_.start_ms, q_.end_ms));
  if (pending_loads_.empty()) return absl::OkStatus();
  STRATA_RETURN_IF_ERROR(CheckDeadline());
  std::vector<SelectRequest> requests;
  requests.reserve(pending_loads_.size());
  for (const PendingLoad& p : pending_loads_) requests.push_back(SelectRequest{p.hints, p.selector->matchers});
  STRATA_ASSIGN_OR_RETURN(std::vector<SeriesSet> sets, querier_.SelectMany(requests));
  for (size_t i = 0; i < sets.size(); ++i) data_[pending_loads_[i].selector] = Absorb(sets[i]);
  pending_loads_.clear();
  return absl::OkStatus();
}

std::vector<SeriesSamples> Evaluator::Absorb(SeriesSet& set) {
  partial_ |= set.partial;
  for (std::string& w : set.warnings) querier_warnings_.push_back(std::move(w));
  for (const SeriesSamples& s : set.series) total_samples_ += static_cast<int64_t>(s.samples.size());
  return std::move(set.series);
}

// `lo`..`hi` bound the evaluation times at which `e` is evaluated; each
// selector then needs the samples its windows at those times can see
// (Prometheus getTimeRangesForSelector).
absl::Status Evaluator::LoadSelectors(const Expr& e, int64_t lo, int64_t hi) {
  if (const auto* vs = e.As<VectorSelector>()) {
    if (vs->at != AtModifier::kNone) lo = hi = ResolveAt(vs->at, vs->at_ms);
    // (t - lookback, t]: the oldest visible sample is lookback - 1 ms old;
    // `smoothed` also interpolates towards the next sample within lookback.
    const int64_t ahead = vs->smoothed ? q_.lookback_delta_ms : 0;
    return Load(*vs, lo - vs->offset_ms - q_.lookback_delta_ms + 1, hi - vs->offset_ms + ahead);
  }
  if (const auto* ms = e.As<MatrixSelector>()) {
    const VectorSelector& vs = ms->selector;
    if (vs.at != AtModifier::kNone) lo = hi = ResolveAt(vs.at, vs.at_ms);
    // anchored/smoothed windows reach one lookback delta before the start
    // (and smoothed one after the end) for their boundary samples.
    const int64_t behind = vs.anchored || vs.smoothed ? q_.lookback_delta_ms : 0;
    const int64_t ahead = vs.smoothed ? q_.lookback_delta_ms : 0;
    return Load(vs, lo - vs.offset_ms - ms->range_ms - behind + 1, hi - vs.offset_ms + ahead);
  }
  if (const auto* sq = e.As<SubqueryExpr>()) {
    if (sq->at != AtModifier::kNone) lo = hi = ResolveAt(sq->at, sq->at_ms);
    // The inner steps lie in (lo - offset - range, hi - offset].
    return LoadSelectors(*sq->expr, lo - sq->offset_ms - sq->range_ms + 1, hi - sq->offset_ms);
  }
  if (const auto* p = e.As<ParenExpr>()) return LoadSelectors(*p->expr, lo, hi);
  if (const auto* u = e.As<UnaryExpr>()) return LoadSelectors(*u->expr, lo, hi);
  if (const auto* b = e.As<BinaryExpr>()) {
    STRATA_RETURN_IF_ERROR(LoadSelectors(*b->lhs, lo, hi));
    return LoadSelectors(*b->rhs, lo, hi);
  }
  if (const auto* a = e.As<AggregateExpr>()) {
    if (a->param != nullptr) STRATA_RETURN_IF_ERROR(LoadSelectors(*a->param, lo, hi));
    return LoadSelectors(*a->expr, lo, hi);
  }
  if (const auto* c = e.As<Call>()) {
    // info()'s second argument is a label selector, not data: EvalInfo
    // selects the info series once it knows the identifying labels.
    const bool info = c->func != nullptr && c->func->name == "info";
    for (size_t i = 0; i < c->args.size() && !(info && i > 0); ++i) {
      STRATA_RETURN_IF_ERROR(LoadSelectors(*c->args[i], lo, hi));
    }
  }
  return absl::OkStatus();
}

absl::Status Evaluator::Load(const VectorSelector& vs, int64_t min_t, int64_t max_t) {
  SelectHints hints;
  hints.min_time_ms = min_t;
  hints.max_time_ms = max_t;
  pending_loads_.push_back(PendingLoad{&vs, hints});
  return absl::OkStatus();
}

absl::StatusOr<EvalValue> Evaluator::EvalVectorSelector(const VectorSelector& vs, const StepRange& r,
                                                        PointTimes record) {
  EvalValue out;
  out.type = ValueType::kVector;
  std::vector<SeriesSamples> data = TakeData(vs);
  const size_t steps = r.NumSteps();
  const bool has_at = vs.at != AtModifier::kNone;
  const int64_t at = has_at ? ResolveAt(vs.at, vs.at_ms) : 0;
  const int64_t lookback = q_.lookback_delta_ms;
  // Each series' points are found on its own (on several threads when
  // there are many); the limits are then applied in series order.
  std::vector<Series> found(data.size());
  std::vector<std::vector<int64_t>> found_times(data.size());
  std::vector<absl::Status> deadline(data.size());
  ForSeries(data.size(), 16, [&](size_t begin, size_t end) {
    for (size_t k = begin; k < end; ++k) {
      deadline[k] = CheckDeadline();
      if (!deadline[k].ok()) return;
      SeriesSamples& s = data[k];
      const std::vector<Sample>& samples = s.samples;
      const bool has_start_times = !s.start_timestamps.empty();
      Series& res = found[k];
      std::vector<int64_t>& times = found_times[k];
      size_t next = 0;  // first sample after the current reference time
      for (size_t i = 0; i < steps; ++i) {
        const int64_t t = r.Time(i);
        const int64_t ref = (has_at ? at : t) - vs.offset_ms;
        while (next < samples.size() && samples[next].timestamp_ms <= ref) ++next;
        if (next == 0) continue;
        const Sample& latest = samples[next - 1];
        if (latest.timestamp_ms <= ref - lookback) continue;  // (ref - lookback, ref]
        if (IsStaleNaN(latest.value)) continue;                // a stale marker ends the series
        double value = latest.value;
        if (vs.smoothed && latest.timestamp_ms < ref && next < samples.size() &&
            samples[next].timestamp_ms <= ref + lookback && !IsStaleNaN(samples[next].value)) {
          value = Interpolate(latest, samples[next], ref);
        }
        res.floats.push_back(FPoint{t, value});
        if (record == PointTimes::kSampleTime) times.push_back(latest.timestamp_ms);
        if (record == PointTimes::kStartTime) times.push_back(has_start_times ? s.start_timestamps[next - 1] : 0);
      }
      std::vector<Sample>().swap(s.samples);
    }
  });
  for (size_t k = 0; k < data.size(); ++k) {
    STRATA_RETURN_IF_ERROR(deadline[k]);
    Series& res = found[k];
    if (res.floats.empty()) continue;
    STRATA_RETURN_IF_ERROR(AddSamples(static_cast<int64_t>(res.floats.size())));
    res.labels = std::move(data[k].labels);
    out.series.push_back(std::move(res));
    if (record == PointTimes::kSampleTime) out.sample_times.push_back(std::move(found_times[k]));
    if (record == PointTimes::kStartTime) out.start_times.push_back(std::move(found_times[k]));
  }
  return out;
}

absl::StatusOr<EvalValue> Evaluator::EvalMatrixSelector(const MatrixSelector& ms, const StepRange& r) {
  if (r.NumSteps() != 1) return absl::InternalError("cannot do range evaluation of matrix selector");
  EvalValue out;
  out.type = ValueType::kMatrix;
  std::vector<SeriesSamples> data = TakeData(ms.selector);
  const VectorSelector& vs = ms.selector;
  const int64_t end = (vs.at != AtModifier::kNone ? ResolveAt(vs.at, vs.at_ms) : r.start) - vs.offset_ms;
  const int64_t start = end - ms.range_ms;
  const bool extended = vs.anchored || vs.smoothed;
  const int64_t behind = extended ? q_.lookback_delta_ms : 0;
  const int64_t ahead = vs.smoothed ? q_.lookback_delta_ms : 0;
  for (SeriesSamples& s : data) {
    STRATA_RETURN_IF_ERROR(CheckDeadline());
    Series res;
    auto lo = std::upper_bound(s.samples.begin(), s.samples.end(), start - behind,
                               [](int64_t t, const Sample& p) { return t < p.timestamp_ms; });
    for (auto p = lo; p != s.samples.end() && p->timestamp_ms <= end + ahead; ++p) {
      if (!IsStaleNaN(p->value)) res.floats.push_back(FPoint{p->timestamp_ms, p->value});
    }
    if (extended) res.floats = ExtendFloats(res.floats, start, end, vs.smoothed);
    if (res.floats.empty()) continue;
    STRATA_RETURN_IF_ERROR(AddSamples(static_cast<int64_t>(res.floats.size())));
    res.labels = std::move(s.labels);
    out.series.push_back(std::move(res));
  }
  return out;
}

absl::StatusOr<Matrix> Evaluator::EvalSubqueryInner(const SubqueryExpr& sq, const StepRange& r) {
  const int64_t step = sq.step_ms > 0 ? sq.step_ms : options_.default_subquery_step_ms;
  if (step <= 0) return absl::InvalidArgumentError("subquery step must be positive");
  const bool has_at = sq.at != AtModifier::kNone;
  const int64_t at = has_at ? ResolveAt(sq.at, sq.at_ms) : 0;
  const int64_t first = (has_at ? at : r.start) - sq.offset_ms;
  const int64_t last = (has_at ? at : r.end) - sq.offset_ms;
  // The first multiple of the step after the start of the first window
  // (Prometheus aligns subquery steps to absolute time).
  StepRange inner;
  inner.step = step;
  inner.start = (FloorDiv(first - sq.range_ms, step) + 1) * step;
  inner.end = last;
  if (inner.NumSteps() == 0) return Matrix{};
  STRATA_ASSIGN_OR_RETURN(EvalValue v, Eval(*sq.expr, inner));
  if (v.type == ValueType::kScalar) {
    Series s;
    for (size_t i = 0; i < v.scalars.size(); ++i) s.floats.push_back(FPoint{inner.Time(i), v.scalars[i]});
    STRATA_RETURN_IF_ERROR(AddSamples(static_cast<int64_t>(s.floats.size())));
    Matrix m;
    m.push_back(std::move(s));
    return m;
  }
  return std::move(v.series);
}

absl::StatusOr<EvalValue> Evaluator::EvalSubqueryValue(const SubqueryExpr& sq, const StepRange& r) {
  if (r.NumSteps() != 1) return absl::InternalError("cannot do range evaluation of a subquery");
  EvalValue out;
  out.type = ValueType::kMatrix;
  STRATA_ASSIGN_OR_RETURN(out.series, EvalSubqueryInner(sq, r));
  // With one outer step the inner steps are exactly the one window.
  return out;
}

namespace {

// The points of `s` without its stale markers, with their start
// timestamps when it has them; frees the samples of `s`.
void ToRangeSeries(SeriesSamples& s, RangeSeries& rs) {
  rs.points.reserve(s.samples.size());
  if (s.start_timestamps.empty()) {
    for (const Sample& p : s.samples) {
      if (!IsStaleNaN(p.value)) rs.points.push_back(FPoint{p.timestamp_ms, p.value});
    }
  } else {
    rs.start_times.reserve(s.samples.size());
    for (size_t i = 0; i < s.samples.size(); ++i) {
      const Sample& p = s.samples[i];
      if (IsStaleNaN(p.value)) continue;
      rs.points.push_back(FPoint{p.timestamp_ms, p.value});
      rs.start_times.push_back(s.start_timestamps[i]);
    }
    std::vector<int64_t>().swap(s.start_timestamps);
  }
  std::vector<Sample>().swap(s.samples);
}

}  // namespace

absl::StatusOr<RangeArg> Evaluator::EvalRangeArg(const Expr& arg, const StepRange& r) {
  const Expr* e = &arg;
  while (const auto* p = e->As<ParenExpr>()) e = p->expr.get();
  RangeArg out;
  if (const auto* ms = e->As<MatrixSelector>()) {
    const VectorSelector& vs = ms->selector;
    out.window.anchored = vs.anchored;
    out.window.smoothed = vs.smoothed;
    out.window.range_ms = ms->range_ms;
    out.window.offset_ms = vs.offset_ms;
    out.window.has_at = vs.at != AtModifier::kNone;
    out.window.at_ms = out.window.has_at ? ResolveAt(vs.at, vs.at_ms) : 0;
    std::vector<SeriesSamples> data = TakeData(vs);
    // Copying out the points (without stale markers) is per series, and a
    // long range holds many: done on several threads.
    std::vector<RangeSeries> converted(data.size());
    ForSeries(data.size(), 8, [&](size_t begin, size_t end) {
      for (size_t k = begin; k < end; ++k) ToRangeSeries(data[k], converted[k]);
    });
    // `owned` holds the labels the series point to: no reallocation after this.
    out.owned.reserve(data.size());
    out.series.reserve(data.size());
    for (size_t k = 0; k < data.size(); ++k) {
      if (converted[k].points.empty()) continue;
      Series& owner = out.owned.emplace_back();
      owner.labels = std::move(data[k].labels);
      converted[k].labels = &owner.labels;
      out.series.push_back(std::move(converted[k]));
    }
    return out;
  }
  if (const auto* sq = e->As<SubqueryExpr>()) {
    out.window.range_ms = sq->range_ms;
    out.window.offset_ms = sq->offset_ms;
    out.window.has_at = sq->at != AtModifier::kNone;
    out.window.at_ms = out.window.has_at ? ResolveAt(sq->at, sq->at_ms) : 0;
    STRATA_ASSIGN_OR_RETURN(out.owned, EvalSubqueryInner(*sq, r));
    out.series.reserve(out.owned.size());
    for (Series& s : out.owned) {
      // The subquery's result is materialised like a stored series: a name
      // marked for removal is gone (Prometheus NewStorageSeries).
      if (s.drop_name) {
        s.labels = DropMetricName(s.labels);
        s.drop_name = false;
      }
      RangeSeries rs;
      rs.labels = &s.labels;
      rs.points = std::move(s.floats);
      out.series.push_back(std::move(rs));
    }
    return out;
  }
  return absl::InternalError("range vector argument is neither a matrix selector nor a subquery");
}

}  // namespace strata::promql::internal
