#include "select/promql/engine_eval.h"

#include <algorithm>
#include <chrono>

#include <fmt/format.h>

#include "common/base/parallel_for.h"
#include "common/base/status.h"
#include "select/promql/aggregations.h"
#include "select/promql/binary_ops.h"

namespace strata::promql::internal {
namespace {

const Expr& UnwrapParens(const Expr& e) {
  const Expr* cur = &e;
  while (const auto* p = cur->As<ParenExpr>()) cur = p->expr.get();
  return *cur;
}

}  // namespace

int64_t EvalValue::TotalPoints() const {
  int64_t n = 0;
  for (const Series& s : series) n += static_cast<int64_t>(s.floats.size());
  return n;
}

absl::Status DuplicateLabelsetError() {
  return absl::FailedPreconditionError("vector cannot contain metrics with the same labelset");
}

// ---------------------------------------------------------------------------
// SeriesAssembler, StepGatherer

// The series of `s` (created when new), or kNoHint when it already has a
// point at `t`.
uint32_t SeriesAssembler::Find(VectorSample& s, int64_t t) {
  auto [it, inserted] = index_.try_emplace(s.labels, static_cast<uint32_t>(series_.size()));
  if (inserted) {
    Series ns;
    ns.labels = std::move(s.labels);
    ns.drop_name = s.drop_name;
    series_.push_back(std::move(ns));
    last_t_.push_back(t - 1);
  }
  return it->second;
}

absl::Status SeriesAssembler::Add(int64_t t, Vector& out) {
  cur_.clear();
  for (size_t k = 0; k < out.size(); ++k) {
    VectorSample& s = out[k];
    uint32_t idx = k < prev_.size() && series_[prev_[k]].labels == s.labels ? prev_[k] : Find(s, t);
    if (last_t_[idx] == t) return DuplicateLabelsetError();
    last_t_[idx] = t;
    series_[idx].floats.push_back(FPoint{t, s.f});
    cur_.push_back(idx);
  }
  prev_.swap(cur_);
  points_ += static_cast<int64_t>(out.size());
  return absl::OkStatus();
}

absl::Status SeriesAssembler::AddOne(int64_t t, VectorSample& s, uint32_t& hint) {
  if (hint == kNoHint || !(series_[hint].labels == s.labels)) hint = Find(s, t);
  if (last_t_[hint] == t) return DuplicateLabelsetError();
  last_t_[hint] = t;
  series_[hint].floats.push_back(FPoint{t, s.f});
  ++points_;
  return absl::OkStatus();
}

absl::Status SeriesAssembler::AddToHint(int64_t t, double f, uint32_t hint) {
  if (last_t_[hint] == t) return DuplicateLabelsetError();
  last_t_[hint] = t;
  series_[hint].floats.push_back(FPoint{t, f});
  ++points_;
  return absl::OkStatus();
}

void SeriesAssembler::Absorb(SeriesAssembler&& later) {
  for (size_t i = 0; i < later.series_.size(); ++i) {
    Series& s = later.series_[i];
    auto [it, inserted] = index_.try_emplace(s.labels, static_cast<uint32_t>(series_.size()));
    if (inserted) {
      series_.push_back(std::move(s));
      last_t_.push_back(later.last_t_[i]);
      continue;
    }
    std::vector<FPoint>& dst = series_[it->second].floats;
    dst.insert(dst.end(), s.floats.begin(), s.floats.end());
    last_t_[it->second] = later.last_t_[i];
  }
  // The next step's outputs need not come in the order of the last one.
  prev_.clear();
  points_ += later.points_;
}

StepGatherer::StepGatherer(const EvalValue& value, int64_t t) : StepGatherer(value) {
  for (size_t i = 0; i < value.series.size(); ++i) {
    const std::vector<FPoint>& pts = value.series[i].floats;
    cursor_[i] = static_cast<size_t>(
        std::lower_bound(pts.begin(), pts.end(), t, [](const FPoint& p, int64_t x) { return p.t < x; }) - pts.begin());
  }
}

const Vector& StepGatherer::At(int64_t t) {
  const Matrix& series = value_.series;
  next_present_.clear();
  for (size_t i = 0; i < series.size(); ++i) {
    const std::vector<FPoint>& pts = series[i].floats;
    size_t& c = cursor_[i];
    while (c < pts.size() && pts[c].t < t) ++c;
    if (c < pts.size() && pts[c].t == t) next_present_.push_back(static_cast<uint32_t>(i));
  }
  same_series_ = !first_ && next_present_ == present_;
  first_ = false;
  if (next_present_ != present_) {
    // Copy-assigning Labels into existing elements reuses their buffers.
    vec_.resize(next_present_.size());
    for (size_t j = 0; j < next_present_.size(); ++j) {
      const Series& s = series[next_present_[j]];
      vec_[j].labels = s.labels;
      vec_[j].drop_name = s.drop_name;
    }
    present_.swap(next_present_);
  }
  const bool sample_times = !value_.sample_times.empty();
  const bool start_times = !value_.start_times.empty();
  start_times_.resize(start_times ? present_.size() : 0);
  for (size_t j = 0; j < present_.size(); ++j) {
    const uint32_t i = present_[j];
    size_t& c = cursor_[i];
    vec_[j].f = series[i].floats[c].f;
    vec_[j].t = sample_times ? value_.sample_times[i][c] : t;
    if (start_times) start_times_[j] = value_.start_times[i][c];
    ++c;
  }
  return vec_;
}

// ---------------------------------------------------------------------------
// Label clean-up at the end and after unary minus.

absl::Status MergeSameLabelset(Matrix& series, bool sort) {
  struct IdxHash {
    const Matrix* m;
    size_t operator()(size_t i) const { return absl::Hash<Labels>{}((*m)[i].labels); }
  };
  struct IdxEq {
    const Matrix* m;
    bool operator()(size_t a, size_t b) const { return (*m)[a].labels == (*m)[b].labels; }
  };
  if (series.size() > 1) {
    absl::flat_hash_map<size_t, size_t, IdxHash, IdxEq> first(series.size(), IdxHash{&series}, IdxEq{&series});
    std::vector<size_t> rep(series.size());
    bool any = false;
    for (size_t i = 0; i < series.size(); ++i) {
      auto [it, inserted] = first.try_emplace(i, i);
      rep[i] = it->second;
      any |= !inserted;
    }
    if (any) {
      std::vector<bool> merged_into(series.size(), false);
      for (size_t i = 0; i < series.size(); ++i) {
        if (rep[i] == i) continue;
        std::vector<FPoint>& dst = series[rep[i]].floats;
        dst.insert(dst.end(), series[i].floats.begin(), series[i].floats.end());
        series[i].floats.clear();
        merged_into[rep[i]] = true;
      }
      Matrix out;
      out.reserve(series.size());
      for (size_t i = 0; i < series.size(); ++i) {
        if (rep[i] != i) continue;
        if (merged_into[i]) {
          std::vector<FPoint>& f = series[i].floats;
          std::sort(f.begin(), f.end(), [](const FPoint& a, const FPoint& b) { return a.t < b.t; });
          for (size_t k = 1; k < f.size(); ++k) {
            if (f[k].t == f[k - 1].t) return DuplicateLabelsetError();
          }
        }
        out.push_back(std::move(series[i]));
      }
      series = std::move(out);
    }
  }
  if (sort) {
    std::sort(series.begin(), series.end(), [](const Series& a, const Series& b) { return a.labels < b.labels; });
  }
  return absl::OkStatus();
}

absl::Status CleanupMetricLabels(Matrix& series, bool sort) {
  for (Series& s : series) {
    if (s.drop_name) {
      s.labels = DropMetricName(s.labels);
      s.drop_name = false;
    }
  }
  return MergeSameLabelset(series, sort);
}

// ---------------------------------------------------------------------------
// Evaluator

Evaluator::Evaluator(const PreparedQuery& query, const EngineOptions& options, Querier& querier)
    : q_(query), options_(options), querier_(querier) {}

absl::Status Evaluator::CheckDeadline() const {
  if (std::chrono::steady_clock::now() > q_.deadline) {
    return absl::DeadlineExceededError("query timed out in query execution");
  }
  return absl::OkStatus();
}

void Evaluator::ForSeries(size_t n, size_t min_grain, absl::FunctionRef<void(size_t, size_t)> fn) const {
  if (options_.parallel) {
    ParallelFor(n, min_grain, fn);
  } else if (n > 0) {
    fn(0, n);
  }
}

absl::Status Evaluator::TooManySamplesError() {
  return absl::ResourceExhaustedError("query processing would load too many samples into memory in query execution");
}

absl::Status Evaluator::AddSamples(int64_t n) {
  current_samples_ += n;
  if (current_samples_ > options_.max_samples) return TooManySamplesError();
  return absl::OkStatus();
}

absl::StatusOr<EvalValue> Evaluator::Run() {
  STRATA_RETURN_IF_ERROR(LoadData());
  StepRange r;
  r.start = q_.start_ms;
  r.end = q_.instant ? q_.start_ms : q_.end_ms;
  r.step = q_.instant || q_.step_ms <= 0 ? 1 : q_.step_ms;
  return Eval(*q_.expr, r);
}

absl::StatusOr<EvalValue> Evaluator::Eval(const Expr& e, const StepRange& r) {
  STRATA_RETURN_IF_ERROR(CheckDeadline());
  if (const auto* n = e.As<NumberLiteral>()) {
    EvalValue v;
    v.type = ValueType::kScalar;
    v.scalars.assign(r.NumSteps(), n->value);
    return v;
  }
  if (const auto* s = e.As<StringLiteral>()) {
    EvalValue v;
    v.type = ValueType::kString;
    v.str = s->value;
    return v;
  }
  if (const auto* vs = e.As<VectorSelector>()) return EvalVectorSelector(*vs, r, PointTimes::kNone);
  if (const auto* ms = e.As<MatrixSelector>()) return EvalMatrixSelector(*ms, r);
  if (const auto* sq = e.As<SubqueryExpr>()) return EvalSubqueryValue(*sq, r);
  if (const auto* p = e.As<ParenExpr>()) return Eval(*p->expr, r);
  if (const auto* u = e.As<UnaryExpr>()) return EvalUnary(*u, r);
  if (const auto* b = e.As<BinaryExpr>()) return EvalBinary(e, *b, r);
  if (const auto* a = e.As<AggregateExpr>()) return EvalAggregate(e, *a, r);
  if (const auto* c = e.As<Call>()) return EvalCall(e, *c, r);
  return absl::InternalError("unknown expression node");
}

absl::StatusOr<EvalValue> Evaluator::EvalUnary(const UnaryExpr& u, const StepRange& r) {
  STRATA_ASSIGN_OR_RETURN(EvalValue v, Eval(*u.expr, r));
  if (u.op != UnaryOp::kMinus) return v;
  for (double& x : v.scalars) x = -x;
  for (Series& s : v.series) {
    for (FPoint& p : s.floats) p.f = -p.f;
    if (options_.delayed_name_removal) {
      s.drop_name = true;
    } else {
      s.labels = DropMetricName(s.labels);
    }
  }
  // Series that differed only by name become one series when their points
  // do not overlap (Prometheus mergeSeriesWithSameLabelset).
  if (!options_.delayed_name_removal) STRATA_RETURN_IF_ERROR(MergeSameLabelset(v.series, /*sort=*/false));
  return v;
}

// What one time segment of a step loop produced.
struct Evaluator::StepPart {
  SeriesAssembler assembler;
  Annotations annotations;
  int64_t added = 0;  // output samples
  absl::Status status;

  // Keeps `st` as the segment's outcome; true when it is an error (the
  // segment's loop then stops).
  bool Failed(absl::Status st) {
    status = std::move(st);
    return !status.ok();
  }
};

absl::StatusOr<EvalValue> Evaluator::EvalBinary(const Expr& e, const BinaryExpr& b, const StepRange& r) {
  STRATA_ASSIGN_OR_RETURN(EvalValue lhs, Eval(*b.lhs, r));
  STRATA_ASSIGN_OR_RETURN(EvalValue rhs, Eval(*b.rhs, r));
  const size_t steps = r.NumSteps();
  if (lhs.type == ValueType::kScalar && rhs.type == ValueType::kScalar) {
    for (size_t i = 0; i < steps; ++i) lhs.scalars[i] = ScalarBinop(b.op, lhs.scalars[i], rhs.scalars[i]);
    return lhs;
  }
  BinaryContext base;
  base.expr = &b;
  base.pos = e.pos;
  base.delayed_name_removal = options_.delayed_name_removal;
  const int64_t released = lhs.TotalPoints() + rhs.TotalPoints();
  absl::StatusOr<Matrix> series;
  if (lhs.type == ValueType::kVector && rhs.type == ValueType::kVector) {
    const size_t work = (lhs.series.size() + rhs.series.size()) * steps;
    series = RunStepLoop(steps, work, [&](size_t begin, size_t end, StepPart& part) {
      BinaryContext ctx = base;
      ctx.annotations = &part.annotations;
      StepGatherer lg(lhs, r.Time(begin));
      StepGatherer rg(rhs, r.Time(begin));
      // The pairs matched at an earlier step stay valid while both operands
      // hold the same series: then only values are computed, and each result
      // goes straight to its output series (no labels hashed or copied).
      std::vector<MatchedPair> pairs;
      bool pairs_valid = false;
      Vector out;
      for (size_t i = begin; i < end; ++i) {
        if (part.Failed(CheckDeadline())) return;
        const int64_t t = r.Time(i);
        ctx.t_ms = t;
        const Vector& lv = lg.At(t);
        const Vector& rv = rg.At(t);
        if (pairs_valid && lg.same_series() && rg.same_series()) {
          int64_t added = 0;
          for (MatchedPair& p : pairs) {
            auto [f, keep] = ApplyMatchedPair(b, lv[p.lhs].f, rv[p.rhs].f);
            if (!keep) continue;
            ++added;
            if (p.hint == SeriesAssembler::kNoHint) {
              VectorSample sample{p.metric, f, t, p.drop_name};
              if (part.Failed(part.assembler.AddOne(t, sample, p.hint))) return;
            } else {
              if (part.Failed(part.assembler.AddToHint(t, f, p.hint))) return;
            }
          }
          if (!HoldStepOutputs(part, added)) return;
          continue;
        }
        out.clear();
        if (part.Failed(VectorVectorBinop(lv, rv, ctx, out, &pairs, &pairs_valid))) return;
        if (!HoldStepOutputs(part, static_cast<int64_t>(out.size()))) return;
        if (part.Failed(part.assembler.Add(t, out))) return;
      }
    });
  } else {
    const bool scalar_is_lhs = lhs.type == ValueType::kScalar;
    const EvalValue& vec = scalar_is_lhs ? rhs : lhs;
    const std::vector<double>& scalars = scalar_is_lhs ? lhs.scalars : rhs.scalars;
    series = RunStepLoop(steps, vec.series.size() * steps, [&](size_t begin, size_t end, StepPart& part) {
      BinaryContext ctx = base;
      ctx.annotations = &part.annotations;
      StepGatherer g(vec, r.Time(begin));
      // While the operand holds the same series, input j's results go to
      // output series hints[j], found by labels at its first result: later
      // steps compute values only (no labels built, copied or compared).
      std::vector<uint32_t> hints;
      std::vector<std::pair<double, bool>> results;
      for (size_t i = begin; i < end; ++i) {
        if (part.Failed(CheckDeadline())) return;
        const int64_t t = r.Time(i);
        ctx.t_ms = t;
        const Vector& in = g.At(t);
        if (in.empty()) continue;
        if (!g.same_series() || hints.size() != in.size()) hints.assign(in.size(), SeriesAssembler::kNoHint);
        results.resize(in.size());
        int64_t kept = 0;
        for (size_t j = 0; j < in.size(); ++j) {
          results[j] = ApplyVectorScalar(b, in[j].f, scalars[i], scalar_is_lhs);
          kept += results[j].second ? 1 : 0;
        }
        if (!HoldStepOutputs(part, kept)) return;
        for (size_t j = 0; j < in.size(); ++j) {
          const auto [f, keep] = results[j];
          if (!keep) continue;
          if (hints[j] == SeriesAssembler::kNoHint) {
            VectorSample o = VectorScalarResult(in[j], f, ctx);
            if (part.Failed(part.assembler.AddOne(t, o, hints[j]))) return;
          } else if (part.Failed(part.assembler.AddToHint(t, f, hints[j]))) {
            return;
          }
        }
      }
    });
  }
  STRATA_RETURN_IF_ERROR(series.status());
  ReleaseSamples(released);
  EvalValue v;
  v.type = ValueType::kVector;
  v.series = *std::move(series);
  return v;
}

absl::StatusOr<EvalValue> Evaluator::EvalAggregate(const Expr& e, const AggregateExpr& a, const StepRange& r) {
  const size_t steps = r.NumSteps();
  EvalValue param;
  AggregateContext base;
  base.expr = &a;
  base.pos = e.pos;
  base.range_query = !q_.instant;
  base.delayed_name_removal = options_.delayed_name_removal;
  if (a.param != nullptr) {
    base.param_pos = a.param->pos;
    STRATA_ASSIGN_OR_RETURN(param, Eval(UnwrapParens(*a.param), r));
    if (param.type == ValueType::kString) base.label = param.str;
  }
  STRATA_ASSIGN_OR_RETURN(EvalValue in, Eval(*a.expr, r));
  absl::StatusOr<Matrix> series = RunStepLoop(steps, in.series.size() * steps, [&](size_t begin, size_t end,
                                                                                 StepPart& part) {
    AggregateContext ctx = base;
    ctx.annotations = &part.annotations;
    AggregateGroups groups;
    ctx.groups = &groups;
    StepGatherer g(in, r.Time(begin));
    Vector out;
    for (size_t i = begin; i < end; ++i) {
      if (part.Failed(CheckDeadline())) return;
      const int64_t t = r.Time(i);
      ctx.t_ms = t;
      if (param.type == ValueType::kScalar && i < param.scalars.size()) ctx.param = param.scalars[i];
      out.clear();
      const Vector& step_input = g.At(t);
      ctx.same_series_as_previous_step = g.same_series();
      if (part.Failed(Aggregate(step_input, ctx, out))) return;
      if (!HoldStepOutputs(part, static_cast<int64_t>(out.size()))) return;
      if (part.Failed(part.assembler.Add(t, out))) return;
    }
  });
  STRATA_RETURN_IF_ERROR(series.status());
  ReleaseSamples(in.TotalPoints());
  EvalValue v;
  v.type = ValueType::kVector;
  v.series = *std::move(series);
  return v;
}

bool Evaluator::HoldStepOutputs(StepPart& part, int64_t n) const {
  part.added += n;
  if (current_samples_ + part.added > options_.max_samples) part.status = TooManySamplesError();
  return part.status.ok();
}

// Below these sizes a step loop stays on one thread: the hand-off would
// cost more than it saves.
constexpr size_t kParallelStepMinWork = 1 << 13;  // input series x steps
constexpr size_t kParallelStepMinSegment = 32;     // steps

absl::StatusOr<Matrix> Evaluator::RunStepLoop(size_t steps, size_t work, StepLoop loop) {
  std::vector<StepPart> parts;
  if (options_.parallel && ParallelForThreads() > 1 && work >= kParallelStepMinWork &&
      steps >= 2 * kParallelStepMinSegment) {
    // A few segments per thread, so one slow segment does not leave the
    // other threads idle.
    const size_t n = std::min(ParallelForThreads() * 2, steps / kParallelStepMinSegment);
    parts.resize(n);
    ForSeries(n, 1, [&](size_t begin, size_t end) {
      for (size_t p = begin; p < end; ++p) loop(steps * p / n, steps * (p + 1) / n, parts[p]);
    });
    int64_t added = 0;
    bool ok = true;
    for (const StepPart& part : parts) {
      ok = ok && part.status.ok();
      added += part.added;
    }
    // Errors are rare: the sequential run below finds the one Prometheus's
    // order gives (the first step's), and the sample limit where it trips.
    if (ok && current_samples_ + added <= options_.max_samples) {
      for (size_t p = 1; p < n; ++p) parts[0].assembler.Absorb(std::move(parts[p].assembler));
      for (const StepPart& part : parts) annotations_.Merge(part.annotations);
      current_samples_ += added;
      return parts[0].assembler.Finish();
    }
    parts.clear();
  }
  parts.resize(1);
  loop(0, steps, parts[0]);
  STRATA_RETURN_IF_ERROR(parts[0].status);
  annotations_.Merge(parts[0].annotations);
  current_samples_ += parts[0].added;
  return parts[0].assembler.Finish();
}

}  // namespace strata::promql::internal
