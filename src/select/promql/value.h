// File: select/promql/value.h
//
// The values the evaluator passes between AST nodes, after Prometheus
// promql/value.go. A range query is evaluated node by node over all steps at
// once (as Prometheus's rangeEval does): an instant-vector expression yields
// a Matrix whose points sit at step timestamps, a scalar expression one
// value per step. Per-step operators (aggregations, binary operators,
// functions) see one step's Vector.
//
// `drop_name` implements Prometheus 3's delayed name removal: with the
// engine option on, operators that would drop `__name__` only mark the
// series, and the name is removed when the query's result is produced (so
// `label_replace(rate(x[1m]), ...)` can still read it). With the option off
// the name is dropped at once and `drop_name` stays false.
//
// Plain data, no synchronisation.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include "common/model/labels.h"

namespace strata::promql {

struct FPoint {
  int64_t t = 0;  // milliseconds
  double f = 0;
};

// One series: raw samples in a window (range vectors) or one point per step
// at which it has a value (instant vectors in range evaluation).
struct Series {
  Labels labels;
  std::vector<FPoint> floats;  // sorted by t, unique t
  bool drop_name = false;
};
using Matrix = std::vector<Series>;

// One element of an instant vector at one evaluation time. `t` is the
// evaluation time, except where Prometheus keeps the sample's own time.
struct VectorSample {
  Labels labels;
  double f = 0;
  int64_t t = 0;
  bool drop_name = false;
};
using Vector = std::vector<VectorSample>;

// `__name__` and the type-and-unit metadata labels `__type__` and `__unit__`
// (Prometheus PROM-39): they describe the metric, so whatever drops the name
// drops all three (Prometheus DropReserved(schema.IsMetadataLabel)).
bool IsMetricDescriptorLabel(std::string_view name);

// Go's sort.Search over [0, n): the first index for which the monotone
// `pred` holds, or n. Windows over sorted points are found with it.
template <typename Pred>
size_t FirstIndexWhere(size_t n, Pred pred) {
  size_t lo = 0;
  size_t hi = n;
  while (lo < hi) {
    const size_t mid = lo + (hi - lo) / 2;
    if (pred(mid)) {
      hi = mid;
    } else {
      lo = mid + 1;
    }
  }
  return lo;
}

// The engine's labels without `__name__`, `__type__` and `__unit__` (or the
// same labels when none is present).
Labels DropMetricName(const Labels& labels);

}  // namespace strata::promql
