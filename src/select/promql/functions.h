// File: select/promql/functions.h
//
// How the evaluator calls a PromQL function for one evaluation step, after
// Prometheus promql/functions.go (FunctionCall). The evaluator evaluates the
// arguments, then for each step:
//   - a function over a range vector (rate, *_over_time, ...) is called once
//     per input series, with args[i].window holding that series' raw samples
//     in the window (ctx.range_start_ms, ctx.range_end_ms] (offset and `@`
//     already applied), and appends at most one sample;
//   - any other function is called once with the step's instant vector(s),
//     scalars and strings, and appends its whole result.
// absent_over_time is done by the evaluator itself (it needs every series at
// once); everything else is in the implementation files:
//   functions_range.cc      functions over range vectors
//   functions_instant.cc    math, clamp, round, time and date, sort, vector,
//                           scalar, timestamp, start_timestamp, absent
//   functions_labels.cc     label_replace, label_join
//   functions_histogram.cc  histogram_quantile over classic `le` buckets
//
// The output labels are the function's business: most drop the metric name
// (use ResultLabels below so delayed name removal works), some keep it.
// Output `t` is ctx.t_ms unless the function says otherwise.
//
// Implementations are stateless and thread-safe.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>

#include "absl/status/status.h"
#include "select/promql/annotations.h"
#include "select/promql/ast.h"
#include "select/promql/value.h"

namespace strata::promql {

// One argument of a call at one step; which member is set follows the
// signature's argument type.
struct FunctionArg {
  const Vector* vector = nullptr;  // instant vector argument
  double scalar = 0;               // scalar argument
  std::string_view str;            // string argument
  const Series* window = nullptr;  // range vector argument: one series
  // Start ("created") timestamps in ms, 0 where unknown (querier.h
  // SeriesSamples). For `window`: empty, or one per window->floats point.
  // For `vector`: empty, or one per element; only the direct argument of
  // start_timestamp() gets them. Prometheus keeps them only where a plain
  // selector is read: subqueries and other expressions drop them.
  std::span<const int64_t> start_timestamps;
};

struct FunctionCallContext {
  const Call* call = nullptr;  // argument expressions and positions
  int64_t t_ms = 0;            // evaluation time of this step
  // The window of a range-vector argument: samples have
  // range_start_ms < t <= range_end_ms.
  int64_t range_start_ms = 0;
  int64_t range_end_ms = 0;
  // The range selector's `anchored` / `smoothed` modifier (ast.h
  // VectorSelector). Then the window also holds the last sample at or
  // before range_start_ms (within the lookback delta), and for `smoothed`
  // the first sample after range_end_ms (within the lookback delta).
  bool anchored = false;
  bool smoothed = false;
  bool range_query = false;  // for "sort is ineffective ..." warnings
  bool delayed_name_removal = false;
  Annotations* annotations = nullptr;
  // Position of the whole call expression: annotations raised by the
  // function itself (e.g. sort in a range query) point at it.
  PositionRange pos;
  // Set by the engine on the later steps of one input series of a range
  // function: it keeps the labels the first step produced, so ResultLabels
  // skips building them (the output labels of a range function depend on
  // its input series only).
  bool reuse_result_labels = false;
};

// Appends the call's result for this step to `out`. A non-OK status fails
// the query (InvalidArgument for what Prometheus reports as a bad_data or
// execution error; the message is Prometheus's).
using FunctionImpl = absl::Status (*)(std::span<const FunctionArg> args, const FunctionCallContext& ctx,
                                      Vector& out);

// The implementation of the named function; null when Strata does not
// evaluate it (the engine then fails the query with Unimplemented).
FunctionImpl FindFunctionImpl(std::string_view name);

// The labels of a function's output derived from `labels`: without
// `__name__`, or, with delayed name removal, unchanged and `*drop_name` set.
// Empty when ctx.reuse_result_labels says the engine does not need them.
Labels ResultLabels(const Labels& labels, const FunctionCallContext& ctx, bool* drop_name);

}  // namespace strata::promql
