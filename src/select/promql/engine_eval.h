// File: select/promql/engine_eval.h
//
// The evaluator behind Engine::Exec (internal to select/promql), after
// Prometheus engine.go's evaluator: every AST node is evaluated over all the
// steps of a StepRange at once and yields an EvalValue (one value per step
// for scalars, series with one point per step for instant vectors). Per-step
// operators see one step's Vector; their outputs are assembled back into
// series by label set (SeriesAssembler). Subqueries are nested range
// evaluations with their own StepRange.
//
// The evaluator is split over three files:
//   engine_eval.cc       dispatch, literals, unary/binary operators,
//                        aggregations, step gathering and assembly
//   engine_selectors.cc  data loading, vector and matrix selectors,
//                        subqueries, range-vector sources
//   engine_calls.cc      function calls (absent_over_time and
//                        timestamp(<selector>) are done here)
//   engine_info.cc       info()
//
// One Evaluator per query execution; not thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/functional/function_ref.h"
#include "absl/status/statusor.h"
#include "select/promql/annotations.h"
#include "select/promql/ast.h"
#include "select/promql/engine.h"
#include "select/promql/functions.h"
#include "select/promql/querier.h"
#include "select/promql/value.h"

namespace strata::promql::internal {

// The evaluation times start, start + step, ..., <= end. An instant query
// is the range [t, t] with step 1 (as in Prometheus).
struct StepRange {
  int64_t start = 0;
  int64_t end = 0;
  int64_t step = 1;

  size_t NumSteps() const { return end < start ? 0 : static_cast<size_t>((end - start) / step) + 1; }
  int64_t Time(size_t i) const { return start + static_cast<int64_t>(i) * step; }
};

// The value of an expression over every step of a StepRange.
struct EvalValue {
  ValueType type = ValueType::kVector;
  std::vector<double> scalars;  // kScalar: one value per step
  // kVector: points at step times (at most one per step). kMatrix: raw
  // samples (a top-level matrix selector or subquery of an instant query).
  Matrix series;
  std::string str;  // kString
  // timestamp(<selector>) only: per series, the sample time behind each point.
  std::vector<std::vector<int64_t>> sample_times;
  // start_timestamp(<selector>) only: per series, the start timestamp of the
  // sample behind each point (0: unknown).
  std::vector<std::vector<int64_t>> start_times;

  int64_t TotalPoints() const;
};

// One series of a range-vector argument: raw points without stale markers.
// `start_times` holds the points' start timestamps when the argument is a
// matrix selector over a series that has them (querier.h SeriesSamples);
// otherwise, as for every subquery, it is empty.
struct RangeSeries {
  const Labels* labels = nullptr;
  std::vector<FPoint> points;
  std::vector<int64_t> start_times;  // empty, or one per point
};

// Where the window of a range-vector argument lies at each step: (eff - range, eff]
// with eff = (at or t) - offset.
struct RangeWindow {
  int64_t range_ms = 0;
  int64_t offset_ms = 0;
  bool has_at = false;
  int64_t at_ms = 0;
  // The selector's extended modifier (ast.h VectorSelector): the window
  // then also carries its boundary samples (functions.h FunctionCallContext).
  bool anchored = false;
  bool smoothed = false;

  int64_t End(int64_t t) const { return (has_at ? at_ms : t) - offset_ms; }
};

// A range-vector argument evaluated for a whole StepRange.
struct RangeArg {
  std::vector<RangeSeries> series;
  RangeWindow window;
  Matrix owned;  // what `series[i].labels` point into
};

// Replaces the function lookup (FindFunctionImpl) for tests of the
// evaluator's call paths; null restores the default. Not thread-safe: call
// it only while no query runs.
using FunctionLookup = FunctionImpl (*)(std::string_view name);
void SetFunctionLookupForTesting(FunctionLookup lookup);

class Evaluator {
 public:
  Evaluator(const PreparedQuery& query, const EngineOptions& options, Querier& querier);

  // Loads the data of every selector (one Select each), then evaluates the
  // query's expression over the query's steps.
  absl::StatusOr<EvalValue> Run();

  bool partial() const { return partial_; }
  // Samples the Querier returned for this query (Prometheus's
  // totalQueryableSamples in the `stats` answer).
  int64_t total_samples() const { return total_samples_; }
  std::vector<std::string>& querier_warnings() { return querier_warnings_; }
  Annotations& annotations() { return annotations_; }

 private:
  absl::StatusOr<EvalValue> Eval(const Expr& e, const StepRange& r);

  // engine_eval.cc
  absl::StatusOr<EvalValue> EvalUnary(const UnaryExpr& u, const StepRange& r);
  absl::StatusOr<EvalValue> EvalBinary(const Expr& e, const BinaryExpr& b, const StepRange& r);
  absl::StatusOr<EvalValue> EvalAggregate(const Expr& e, const AggregateExpr& a, const StepRange& r);
  // The step loop of an operator or aggregation, over steps [begin, end)
  // into `part`. Must only read the Evaluator's state (it may run on
  // several threads at once, for disjoint steps) and count its outputs
  // with HoldStepOutputs.
  struct StepPart;
  using StepLoop = absl::FunctionRef<void(size_t begin, size_t end, StepPart& part)>;
  // Runs `loop` over `steps` steps, split into time segments run side by
  // side when `work` (input series x steps) is worth it, and joins the
  // segments' series, annotations and sample counts as one sequential
  // run would have produced them. Any error is that of the sequential run.
  absl::StatusOr<Matrix> RunStepLoop(size_t steps, size_t work, StepLoop loop);
  // Counts `n` more outputs of `part`; false (with the part's status set)
  // when the query would then hold more samples than allowed.
  bool HoldStepOutputs(StepPart& part, int64_t n) const;

  // engine_selectors.cc
  absl::Status LoadData();
  absl::Status LoadSelectors(const Expr& e, int64_t lo, int64_t hi);
  // Queues the selector's request; LoadData sends them all at once.
  absl::Status Load(const VectorSelector& vs, int64_t min_t, int64_t max_t);
  // Takes a Querier answer's partial flag, warnings and sample count.
  std::vector<SeriesSamples> Absorb(SeriesSet& set);
  std::vector<SeriesSamples> TakeData(const VectorSelector& vs);
  // What EvalVectorSelector records beside each point, for the functions
  // that read more than the value: timestamp() and start_timestamp().
  enum class PointTimes : uint8_t { kNone, kSampleTime, kStartTime };
  absl::StatusOr<EvalValue> EvalVectorSelector(const VectorSelector& vs, const StepRange& r, PointTimes record);
  absl::StatusOr<EvalValue> EvalMatrixSelector(const MatrixSelector& ms, const StepRange& r);
  absl::StatusOr<EvalValue> EvalSubqueryValue(const SubqueryExpr& sq, const StepRange& r);
  // The subquery's inner evaluation for every window of the steps of `r`.
  absl::StatusOr<Matrix> EvalSubqueryInner(const SubqueryExpr& sq, const StepRange& r);
  absl::StatusOr<RangeArg> EvalRangeArg(const Expr& arg, const StepRange& r);
  int64_t ResolveAt(AtModifier at, int64_t at_ms) const;

  // engine_calls.cc
  absl::StatusOr<EvalValue> EvalCall(const Expr& e, const Call& call, const StepRange& r);
  // The context every step of `call` (at expression `e`) shares.
  FunctionCallContext CallContext(const Expr& e, const Call& call);
  absl::StatusOr<EvalValue> EvalRangeCall(const Expr& e, const Call& call, size_t matrix_index, FunctionImpl impl,
                                          const StepRange& r);
  // EvalRangeCall's work, split by series so that threads can share it.
  struct RangeCallInput {
    const Expr& e;
    const Call& call;
    size_t matrix_index;
    FunctionImpl impl;
    const StepRange& r;
    const std::vector<EvalValue>& vals;
    const std::vector<FunctionArg>& args;
    const RangeArg& range;
  };
  struct RangeCallPart;
  // Evaluates series [begin, end) of `in` into `part`. Safe to run on
  // several threads at once for disjoint parts: it only reads the
  // Evaluator's state.
  void EvalRangeSeries(const RangeCallInput& in, size_t begin, size_t end, RangeCallPart& part);
  // Joins the parts in series order and takes their samples and
  // annotations into the query's accounting.
  absl::StatusOr<EvalValue> JoinRangeParts(std::vector<RangeCallPart>& parts);
  absl::StatusOr<EvalValue> EvalAbsentOverTime(const Call& call, const StepRange& r);

  // engine_info.cc: info(), which selects its info series itself (their
  // matchers depend on the evaluated input).
  absl::StatusOr<EvalValue> EvalInfo(const Call& call, const StepRange& r);

  // ParallelFor (common/base/parallel_for.h) unless EngineOptions::parallel
  // is off, then one sequential call of fn(0, n).
  void ForSeries(size_t n, size_t min_grain, absl::FunctionRef<void(size_t, size_t)> fn) const;

  // Limits.
  absl::Status CheckDeadline() const;
  absl::Status AddSamples(int64_t n);
  static absl::Status TooManySamplesError();
  void ReleaseSamples(int64_t n) { current_samples_ -= n; }

  const PreparedQuery& q_;
  const EngineOptions& options_;
  Querier& querier_;
  int64_t current_samples_ = 0;
  int64_t total_samples_ = 0;
  struct PendingLoad {
    const VectorSelector* selector;
    SelectHints hints;
  };
  std::vector<PendingLoad> pending_loads_;
  bool partial_ = false;
  std::vector<std::string> querier_warnings_;
  Annotations annotations_;
  // The loaded series of every selector.
  absl::flat_hash_map<const VectorSelector*, std::vector<SeriesSamples>> data_;
};

// Assembles per-step output vectors into series by label set, as
// Prometheus's rangeEval does: two samples with the same labels in one step
// are an error; the same labels at different steps extend one series.
class SeriesAssembler {
 public:
  SeriesAssembler() = default;

  // Moves the samples of `out` (the output at step time `t`) into their
  // series. Steps must be added in increasing time.
  absl::Status Add(int64_t t, Vector& out);
  // The same for one sample; `hint` remembers its series between calls (a
  // range function's output for one input series keeps its labels), which
  // saves hashing the labels at every step. Start it at kNoHint.
  absl::Status AddOne(int64_t t, VectorSample& s, uint32_t& hint);
  // Adds a point to the series `hint` (from an earlier AddOne) without
  // looking at labels: for callers that know the labels are the same.
  absl::Status AddToHint(int64_t t, double f, uint32_t hint);
  static constexpr uint32_t kNoHint = ~uint32_t{0};
  // Takes the series of `later`, all of whose steps come after this one's:
  // their points extend the series with equal labels, new series go last
  // (the order one assembler fed every step would have).
  void Absorb(SeriesAssembler&& later);
  // Series in order of first appearance.
  Matrix Finish() { return std::move(series_); }
  size_t size() const { return series_.size(); }
  int64_t points() const { return points_; }

 private:
  uint32_t Find(VectorSample& s, int64_t t);

  Matrix series_;
  // Series of out[k] at the previous step: outputs usually come in the same
  // order step after step, and comparing labels is cheaper than hashing.
  std::vector<uint32_t> prev_;
  std::vector<uint32_t> cur_;
  std::vector<int64_t> last_t_;
  absl::flat_hash_map<Labels, uint32_t> index_;
  int64_t points_ = 0;
};

// Hands out one step's Vector of an instant-vector EvalValue after another
// (a forward cursor per series). When the same series are present as at the
// previous step, only values are rewritten: no labels are copied.
class StepGatherer {
 public:
  explicit StepGatherer(const EvalValue& value) : value_(value), cursor_(value.series.size(), 0) {}

  // Starts the cursors at the first points at or after `t` (the first
  // step of a time segment) instead of at the series' starts.
  StepGatherer(const EvalValue& value, int64_t t);

  // The samples at step time `t`; calls must come in increasing `t`.
  const Vector& At(int64_t t);
  // Whether the last At returned the same series, in the same order, as
  // the call before it (only the values changed).
  bool same_series() const { return same_series_; }
  // The start timestamps of the samples of the last At, in its order; empty
  // unless the value carries them (EvalValue::start_times).
  const std::vector<int64_t>& start_times() const { return start_times_; }

 private:
  const EvalValue& value_;
  std::vector<size_t> cursor_;
  std::vector<uint32_t> present_;
  std::vector<uint32_t> next_present_;
  Vector vec_;
  std::vector<int64_t> start_times_;
  bool same_series_ = false;
  bool first_ = true;
};

// "vector cannot contain metrics with the same labelset", as Prometheus
// reports it (an execution error: HTTP 422).
absl::Status DuplicateLabelsetError();

// Merges series with equal labels (their points must not share a time),
// optionally sorting by labels first; Prometheus mergeSeriesWithSameLabelset.
absl::Status MergeSameLabelset(Matrix& series, bool sort);

// Drops `__name__` from series marked drop_name, then merges collisions
// (Prometheus cleanupMetricLabels).
absl::Status CleanupMetricLabels(Matrix& series, bool sort);

}  // namespace strata::promql::internal
