// Function calls (see engine_eval.h and functions.h), after the Call case
// of Prometheus engine.go eval.
#include <algorithm>
#include <atomic>
#include <cmath>
#include <map>
#include <memory>

#include <fmt/format.h>

#include "absl/container/flat_hash_set.h"
#include "absl/hash/hash.h"
#include "common/base/parallel_for.h"
#include "common/base/status.h"
#include "select/promql/engine_eval.h"
#include "select/promql/function_signatures.h"

namespace strata::promql::internal {
namespace {

std::atomic<FunctionLookup> g_function_lookup{nullptr};

struct LabelsPtrHash {
  size_t operator()(const Labels* labels) const { return absl::Hash<Labels>()(*labels); }
};
struct LabelsPtrEq {
  bool operator()(const Labels* a, const Labels* b) const { return *a == *b; }
};

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

// What one thread's share of a range function's series produced.
struct Evaluator::RangeCallPart {
  SeriesAssembler assembler;
  Annotations annotations;
  size_t producing = 0;  // input series with at least one output sample
  int64_t added = 0;     // output samples
  int64_t peak = 0;      // the most samples held at any point: outputs so far plus a window
  absl::Status status;
};

// Range functions over many series: each series is independent, so the
// series are split among threads (common/base/parallel_for.h). Below these
// sizes the hand-off costs more than it saves.
constexpr size_t kParallelRangeMinSeries = 16;
constexpr size_t kParallelRangeMinWork = 1 << 15;  // series x steps

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
  const RangeCallInput input{e, call, matrix_index, impl, r, vals, args, range};
  const size_t n = range.series.size();

  std::vector<RangeCallPart> parts;
  if (options_.parallel && n >= kParallelRangeMinSeries && n * r.NumSteps() >= kParallelRangeMinWork &&
      ParallelForThreads() > 1) {
    // At most a few parts per thread; each keeps its own assembler and
    // annotations, joined in series order below.
    const size_t grain = std::max<size_t>(4, (n + ParallelForThreads() * 4 - 1) / (ParallelForThreads() * 4));
    parts.resize((n + grain - 1) / grain);
    ForSeries(parts.size(), 1, [&](size_t begin, size_t end) {
      for (size_t p = begin; p < end; ++p) EvalRangeSeries(input, p * grain, std::min(n, (p + 1) * grain), parts[p]);
    });
    absl::StatusOr<EvalValue> joined = JoinRangeParts(parts);
    if (joined.ok()) return joined;
    // An error, or a result that depends on the order of the series (two
    // of them with one output label set): the sequential evaluation below
    // gives exactly the answer or error Prometheus's order gives.
    parts.clear();
  }
  parts.resize(1);
  EvalRangeSeries(input, 0, n, parts[0]);
  return JoinRangeParts(parts);
}

void Evaluator::EvalRangeSeries(const RangeCallInput& in, size_t begin, size_t end, RangeCallPart& part) {
  const StepRange& r = in.r;
  const RangeArg& range = in.range;
  std::vector<FunctionArg> args = in.args;
  const size_t steps = r.NumSteps();
  FunctionCallContext ctx = CallContext(in.e, in.call);
  ctx.annotations = &part.annotations;
  ctx.anchored = range.window.anchored;
  ctx.smoothed = range.window.smoothed;
  const int64_t lookback = q_.lookback_delta_ms;
  // Sample-limit accounting as AddSamples does it, against what the query
  // held before this call plus this part's own outputs.
  auto hold = [&](int64_t n) {
    part.peak = std::max(part.peak, n);
    if (current_samples_ + n > options_.max_samples) part.status = TooManySamplesError();
    return part.status.ok();
  };
  Series window;
  args[in.matrix_index].window = &window;
  Vector out;
  for (size_t series = begin; series < end; ++series) {
    const RangeSeries& s = range.series[series];
    part.status = CheckDeadline();
    if (!part.status.ok()) return;
    window.labels = *s.labels;
    const std::span<const int64_t> starts = s.start_times;
    WindowCursor cursor;
    bool produced = false;
    uint32_t hint = SeriesAssembler::kNoHint;
    for (size_t step = 0; step < steps; ++step) {
      const int64_t t = r.Time(step);
      const int64_t win_end = range.window.End(t);
      const int64_t start = win_end - range.window.range_ms;
      cursor.Advance(s.points, start, win_end);
      // The window's samples [lo, hi), widened by the boundary samples of
      // an anchored or smoothed selector.
      size_t lo = cursor.lo;
      size_t hi = cursor.hi;
      if ((ctx.anchored || ctx.smoothed) && lo > 0 && s.points[lo - 1].t > start - lookback) --lo;
      if (ctx.smoothed && hi < s.points.size() && s.points[hi].t <= win_end + lookback) ++hi;
      // Functions are not called on empty windows; a smoothed one may hold
      // only the samples around it, between which rate interpolates.
      if (ctx.smoothed ? lo == hi : cursor.lo == cursor.hi) continue;
      if (!hold(part.added + static_cast<int64_t>(hi - lo))) return;
      window.floats.assign(s.points.begin() + static_cast<ptrdiff_t>(lo),
                           s.points.begin() + static_cast<ptrdiff_t>(hi));
      args[in.matrix_index].start_timestamps = starts.empty() ? starts : starts.subspan(lo, hi - lo);
      for (size_t i = 0; i < in.vals.size(); ++i) {
        if (i != in.matrix_index && in.vals[i].type == ValueType::kScalar) args[i].scalar = in.vals[i].scalars[step];
      }
      ctx.t_ms = t;
      ctx.range_start_ms = start;
      ctx.range_end_ms = win_end;
      out.clear();
      // A range function appends at most one sample per step, with labels
      // that depend on the series only: after the first, reuse them.
      ctx.reuse_result_labels = hint != SeriesAssembler::kNoHint;
      part.status = in.impl(args, ctx, out);
      if (!part.status.ok()) return;
      if (out.empty()) continue;
      produced = true;
      part.added += static_cast<int64_t>(out.size());
      if (!hold(part.added)) return;
      for (VectorSample& o : out) {
        part.status = ctx.reuse_result_labels ? part.assembler.AddToHint(t, o.f, hint)
                                              : part.assembler.AddOne(t, o, hint);
        if (!part.status.ok()) return;
      }
    }
    if (produced) ++part.producing;
  }
}

absl::StatusOr<EvalValue> Evaluator::JoinRangeParts(std::vector<RangeCallPart>& parts) {
  // The parts ran side by side; one after another they would have held
  // the outputs of the parts before them too.
  int64_t before = 0;
  size_t producing = 0;
  size_t total_series = 0;
  for (const RangeCallPart& part : parts) {
    STRATA_RETURN_IF_ERROR(part.status);
    if (current_samples_ + before + part.peak > options_.max_samples) return TooManySamplesError();
    before += part.added;
    producing += part.producing;
    total_series += static_cast<size_t>(part.assembler.size());
  }
  EvalValue result;
  result.type = ValueType::kVector;
  if (parts.size() == 1) {
    result.series = parts[0].assembler.Finish();
  } else {
    result.series.reserve(total_series);
    absl::flat_hash_set<const Labels*, LabelsPtrHash, LabelsPtrEq> seen;
    for (RangeCallPart& part : parts) {
      for (Series& s : part.assembler.Finish()) result.series.push_back(std::move(s));
    }
    for (const Series& s : result.series) {
      // Two parts with one output label set: only the sequential order can
      // tell which error (or merged series) Prometheus would give.
      if (!seen.insert(&s.labels).second) return absl::AbortedError("duplicate output labels across parts");
    }
  }
  // Without delayed name removal Prometheus rejects two input series that
  // map to one output label set even when their points do not overlap.
  if (!options_.delayed_name_removal && result.series.size() < producing) return DuplicateLabelsetError();
  current_samples_ += before;
  for (RangeCallPart& part : parts) annotations_.Merge(part.annotations);
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
