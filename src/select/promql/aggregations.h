// File: select/promql/aggregations.h
//
// One aggregation (sum, avg, count, min, max, group, stddev, stdvar, topk,
// bottomk, count_values, quantile, limitk, limit_ratio) over one step's
// instant vector, after Prometheus engine.go (aggregation,
// aggregationK, aggregationCountValues). The evaluator calls it once per
// step and assembles the steps into series by their labels.
//
// Stateless and thread-safe.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "select/promql/annotations.h"
#include "select/promql/ast.h"
#include "select/promql/value.h"

namespace strata::promql {

// The grouping of one step's input, kept by the evaluator from one step to
// the next: when a step's input holds the same series in the same order as
// the previous one, Aggregate reuses it instead of building every sample's
// group labels again.
struct AggregateGroups {
  bool valid = false;
  std::vector<size_t> group_of;      // per input sample
  std::vector<Labels> group_labels;  // per group, in order of first appearance
};

struct AggregateContext {
  const AggregateExpr* expr = nullptr;
  PositionRange pos;         // of the aggregation, for annotations
  PositionRange param_pos;   // of its parameter, for annotations
  int64_t t_ms = 0;          // evaluation time of this step
  double param = 0;          // topk/bottomk/quantile/limitk/limit_ratio parameter at this step
  std::string_view label;    // count_values' label name
  bool range_query = false;
  bool delayed_name_removal = false;
  Annotations* annotations = nullptr;
  // Optional: the grouping cache across steps, and whether this step's input
  // has the same series, in the same order, as the previous step's.
  AggregateGroups* groups = nullptr;
  bool same_series_as_previous_step = false;
};

// Appends the aggregation of `in` to `out`. Errors are Prometheus's (for
// example count_values with an invalid label name, or a topk parameter out
// of int64 range) as InvalidArgument.
absl::Status Aggregate(const Vector& in, const AggregateContext& ctx, Vector& out);

}  // namespace strata::promql
