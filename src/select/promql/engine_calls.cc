// Function calls (see engine_eval.h and functions.h), after the Call case
// of Prometheus engine.go eval.
#include <atomic>
#include <cmath>
#include <map>
#include <memory>

#include <fmt/format.h>

#include "common/base/status.h"
#include "select/promql/engine_eval.h"
#include "select/promql/function_signatures.h"

namespace strata::promql::internal {
namespace {

std::atomic<FunctionLookup> g_function_lookup{nullptr};

FunctionImpl LookupFunction(std::string_view name) {
  FunctionLookup lookup = g_function_lookup.load(std::memory_order_relaxed);
  return lookup != nullptr ? lookup(name) : FindFunctionImpl(name);
}

const Expr& UnwrapParens(const Expr& e) {
  const Expr* cur = &e;
  while (const auto* p = cur->As<ParenExpr>()) cur = p->expr.get();
  return *cur;
}

// The labels absent_over_time reports: those the selector pins with an
// equality matcher, except names matched more than once (Prometheus
// createLabelsForAbsentFunction).
Labels AbsentLabels(const Expr& arg) {
  const Expr& e = UnwrapParens(arg);
  const VectorSelector* vs = e.As<VectorSelector>();
  if (const auto* ms = e.As<MatrixSelector>()) vs = &ms->selector;
  if (vs == nullptr) return Labels();
  std::map<std::string, std::string> out;
  std::map<std::string, bool> seen;
  for (const Matcher& m : vs->matchers) {
    if (m.name() == kMetricNameLabel) continue;
    if (m.type() == MatchType::kEqual && !seen[m.name()]) {
      seen[m.name()] = true;
      if (m.value().empty()) {
        out.erase(m.name());
      } else {
        out[m.name()] = m.value();
      }
    } else {
      out.erase(m.name());
    }
  }
  std::vector<Label> labels;
  labels.reserve(out.size());
  for (auto& [name, value] : out) labels.push_back(Label{name, value});
  return Labels::FromSorted(std::move(labels));
}

// Slides the window (end - range, end] of one series forward over its points.
struct WindowCursor {
  size_t lo = 0;
  size_t hi = 0;

  void Advance(const std::vector<FPoint>& pts, int64_t start, int64_t end) {
    while (hi < pts.size() && pts[hi].t <= end) ++hi;
    while (lo < hi && pts[lo].t <= start) ++lo;
  }
};

// Prometheus refuses the extended range selector modifiers on functions
// that do not define them, whether or not there is data.
absl::Status CheckExtendedModifiers(const Call& call) {
  for (const ExprPtr& arg : call.args) {
    const auto* ms = UnwrapParens(*arg).As<MatrixSelector>();
    if (ms == nullptr) continue;
    const std::string_view name = call.func->name;
    if (ms->selector.anchored && name != "changes" && name != "delta" && name != "increase" && name != "rate" &&
        name != "resets") {
      return absl::InvalidArgumentError(fmt::format(
          "anchored modifier can only be used with: changes, delta, increase, rate, resets - not with {}", name));
    }
    if (ms->selector.smoothed && name != "delta" && name != "increase" && name != "rate") {
      return absl::InvalidArgumentError(
          fmt::format("smoothed modifier can only be used with: delta, increase, rate - not with {}", name));
    }
  }
  return absl::OkStatus();
}

}  // namespace

void SetFunctionLookupForTesting(FunctionLookup lookup) { g_function_lookup.store(lookup); }

absl::StatusOr<EvalValue> Evaluator::EvalCall(const Expr& e, const Call& call, const StepRange& r) {
  const std::string_view name = call.func->name;
  STRATA_RETURN_IF_ERROR(CheckExtendedModifiers(call));
  if (name == "absent_over_time") return EvalAbsentOverTime(call, r);
  if (name == "info") return EvalInfo(call, r);
  // The query's own parameters, in seconds; only the engine knows them.
  if (call.args.empty() && (name == "start" || name == "end" || name == "range" || name == "step")) {
    double v = 0;
    if (name == "start") v = static_cast<double>(q_.start_ms) / 1000;
    if (name == "end") v = static_cast<double>(q_.end_ms) / 1000;
    if (name == "range" && !q_.instant) v = static_cast<double>(q_.end_ms - q_.start_ms) / 1000;
    if (name == "step" && !q_.instant) v = static_cast<double>(q_.step_ms) / 1000;
    EvalValue result;
    result.type = ValueType::kScalar;
    result.scalars.assign(r.NumSteps(), v);
    return result;
  }
  FunctionImpl impl = LookupFunction(name);
  if (impl == nullptr) return absl::UnimplementedError(fmt::format("function {} is not implemented", name));

  for (size_t i = 0; i < call.args.size(); ++i) {
    if (UnwrapParens(*call.args[i]).Type() == ValueType::kMatrix) return EvalRangeCall(e, call, i, impl, r);
  }

  // Every argument over all steps. timestamp(<selector>) needs the samples'
  // own times, which ordinary evaluation replaces by the step time, and
  // start_timestamp(<selector>) their start timestamps (of any other
  // expression it has none, and returns nothing).
  std::vector<EvalValue> vals(call.args.size());
  for (size_t i = 0; i < call.args.size(); ++i) {
    const Expr& arg = UnwrapParens(*call.args[i]);
    const auto* vs = arg.As<VectorSelector>();
    if (name == "timestamp" && vs != nullptr) {
      STRATA_ASSIGN_OR_RETURN(vals[i], EvalVectorSelector(*vs, r, PointTimes::kSampleTime));
    } else if (name == "start_timestamp" && vs != nullptr) {
      STRATA_ASSIGN_OR_RETURN(vals[i], EvalVectorSelector(*vs, r, PointTimes::kStartTime));
    } else {
      STRATA_ASSIGN_OR_RETURN(vals[i], Eval(arg, r));
    }
  }
  std::vector<std::unique_ptr<StepGatherer>> gatherers(vals.size());
  std::vector<FunctionArg> args(vals.size());
  for (size_t i = 0; i < vals.size(); ++i) {
    if (vals[i].type == ValueType::kVector) gatherers[i] = std::make_unique<StepGatherer>(vals[i]);
    if (vals[i].type == ValueType::kString) args[i].str = vals[i].str;
  }

  const size_t steps = r.NumSteps();
  const bool scalar_result = call.func->return_type == ValueType::kScalar;
  EvalValue result;
  result.type = scalar_result ? ValueType::kScalar : ValueType::kVector;
  if (scalar_result) result.scalars.resize(steps);
  SeriesAssembler assembler;
  FunctionCallContext ctx = CallContext(e, call);
  Vector out;
  for (size_t step = 0; step < steps; ++step) {
    STRATA_RETURN_IF_ERROR(CheckDeadline());
    const int64_t t = r.Time(step);
    ctx.t_ms = t;
    for (size_t i = 0; i < vals.size(); ++i) {
      if (gatherers[i] != nullptr) {
        args[i].vector = &gatherers[i]->At(t);
        args[i].start_timestamps = gatherers[i]->start_times();
      } else if (vals[i].type == ValueType::kScalar) {
        args[i].scalar = vals[i].scalars[step];
      }
    }
    out.clear();
    STRATA_RETURN_IF_ERROR(impl(args, ctx, out));
    if (scalar_result) {
      result.scalars[step] = out.empty() ? NAN : out[0].f;
      continue;
    }
    STRATA_RETURN_IF_ERROR(AddSamples(static_cast<int64_t>(out.size())));
    STRATA_RETURN_IF_ERROR(assembler.Add(t, out));
  }
  for (const EvalValue& v : vals) ReleaseSamples(v.TotalPoints());
  result.series = assembler.Finish();
  return result;
}

FunctionCallContext Evaluator::CallContext(const Expr& e, const Call& call) {
  FunctionCallContext ctx;
  ctx.call = &call;
  ctx.pos = e.pos;
  ctx.range_query = !q_.instant;
  ctx.delayed_name_removal = options_.delayed_name_removal;
  ctx.annotations = &annotations_;
  return ctx;
}

absl::StatusOr<EvalValue> Evaluator::EvalRangeCall(const Expr& e, const Call& call, size_t matrix_index,
                                                   FunctionImpl impl, const StepRange& r) {
  std::vector<EvalValue> vals(call.args.size());
  std::vector<FunctionArg> args(call.args.size());
  for (size_t i = 0; i < call.args.size(); ++i) {
    if (i == matrix_index) continue;
    STRATA_ASSIGN_OR_RETURN(vals[i], Eval(UnwrapParens(*call.args[i]), r));
    if (vals[i].type == ValueType::kString) args[i].str = vals[i].str;
  }
  STRATA_ASSIGN_OR_RETURN(RangeArg range, EvalRangeArg(*call.args[matrix_index], r));

  const size_t steps = r.NumSteps();
  SeriesAssembler assembler;
  FunctionCallContext ctx = CallContext(e, call);
  ctx.anchored = range.window.anchored;
  ctx.smoothed = range.window.smoothed;
  const int64_t lookback = q_.lookback_delta_ms;
  Series window;
  args[matrix_index].window = &window;
  Vector out;
  size_t producing = 0;  // input series with at least one output sample
  for (const RangeSeries& s : range.series) {
    STRATA_RETURN_IF_ERROR(CheckDeadline());
    window.labels = *s.labels;
    const std::span<const int64_t> starts = s.start_times;
    WindowCursor cursor;
    bool produced = false;
    uint32_t hint = SeriesAssembler::kNoHint;
    for (size_t step = 0; step < steps; ++step) {
      const int64_t t = r.Time(step);
      const int64_t end = range.window.End(t);
      const int64_t start = end - range.window.range_ms;
      cursor.Advance(s.points, start, end);
      // The window's samples [lo, hi), widened by the boundary samples of
      // an anchored or smoothed selector.
      size_t lo = cursor.lo;
      size_t hi = cursor.hi;
      if ((ctx.anchored || ctx.smoothed) && lo > 0 && s.points[lo - 1].t > start - lookback) --lo;
      if (ctx.smoothed && hi < s.points.size() && s.points[hi].t <= end + lookback) ++hi;
      // Functions are not called on empty windows; a smoothed one may hold
      // only the samples around it, between which rate interpolates.
      if (ctx.smoothed ? lo == hi : cursor.lo == cursor.hi) continue;
      const int64_t size = static_cast<int64_t>(hi - lo);
      STRATA_RETURN_IF_ERROR(AddSamples(size));
      ReleaseSamples(size);
      window.floats.assign(s.points.begin() + static_cast<ptrdiff_t>(lo),
                           s.points.begin() + static_cast<ptrdiff_t>(hi));
      args[matrix_index].start_timestamps = starts.empty() ? starts : starts.subspan(lo, hi - lo);
      for (size_t i = 0; i < vals.size(); ++i) {
        if (i != matrix_index && vals[i].type == ValueType::kScalar) args[i].scalar = vals[i].scalars[step];
      }
      ctx.t_ms = t;
      ctx.range_start_ms = start;
      ctx.range_end_ms = end;
      out.clear();
      // A range function appends at most one sample per step, with labels
      // that depend on the series only: after the first, reuse them.
      ctx.reuse_result_labels = hint != SeriesAssembler::kNoHint;
      STRATA_RETURN_IF_ERROR(impl(args, ctx, out));
      if (out.empty()) continue;
      produced = true;
      STRATA_RETURN_IF_ERROR(AddSamples(static_cast<int64_t>(out.size())));
      for (VectorSample& o : out) {
        STRATA_RETURN_IF_ERROR(ctx.reuse_result_labels ? assembler.AddToHint(t, o.f, hint)
                                                       : assembler.AddOne(t, o, hint));
      }
    }
    if (produced) ++producing;
  }
  EvalValue result;
  result.type = ValueType::kVector;
  result.series = assembler.Finish();
  // Without delayed name removal Prometheus rejects two input series that
  // map to one output label set even when their points do not overlap.
  if (!options_.delayed_name_removal && result.series.size() < producing) return DuplicateLabelsetError();
  return result;
}

absl::StatusOr<EvalValue> Evaluator::EvalAbsentOverTime(const Call& call, const StepRange& r) {
  if (call.args.size() != 1) return absl::InvalidArgumentError("absent_over_time takes one argument");
  STRATA_ASSIGN_OR_RETURN(RangeArg range, EvalRangeArg(*call.args[0], r));
  const size_t steps = r.NumSteps();
  std::vector<bool> present(steps, false);
  for (const RangeSeries& s : range.series) {
    STRATA_RETURN_IF_ERROR(CheckDeadline());
    WindowCursor cursor;
    for (size_t step = 0; step < steps; ++step) {
      const int64_t end = range.window.End(r.Time(step));
      cursor.Advance(s.points, end - range.window.range_ms, end);
      if (cursor.lo != cursor.hi) present[step] = true;
    }
  }
  EvalValue result;
  result.type = ValueType::kVector;
  Series absent;
  for (size_t step = 0; step < steps; ++step) {
    if (!present[step]) absent.floats.push_back(FPoint{r.Time(step), 1});
  }
  if (absent.floats.empty()) return result;
  STRATA_RETURN_IF_ERROR(AddSamples(static_cast<int64_t>(absent.floats.size())));
  absent.labels = AbsentLabels(*call.args[0]);
  result.series.push_back(std::move(absent));
  return result;
}

}  // namespace strata::promql::internal
