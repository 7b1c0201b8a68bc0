// File: select/promql/binary_ops.h
//
// PromQL binary operators at one evaluation step, after Prometheus
// engine.go (VectorBinop, VectorAnd/Or/Unless, VectorscalarBinop,
// scalarBinop): arithmetic, comparisons (filtering or `bool`) and set
// operators, with one-to-one, many-to-one and one-to-many vector matching
// and Prometheus's exact errors for duplicate match groups and many-to-many
// matches. The evaluator calls these once per step.
//
// Stateless and thread-safe.
#pragma once

#include <cstdint>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "select/promql/annotations.h"
#include "select/promql/ast.h"
#include "select/promql/value.h"

namespace strata::promql {

struct BinaryContext {
  const BinaryExpr* expr = nullptr;
  PositionRange pos;
  int64_t t_ms = 0;
  bool delayed_name_removal = false;
  Annotations* annotations = nullptr;
};

// scalar <op> scalar. Comparisons give 1 or 0 (only legal with `bool`).
double ScalarBinop(BinaryOp op, double lhs, double rhs);

// vector <op> scalar, or scalar <op> vector when `scalar_is_lhs`.
absl::Status VectorScalarBinop(const Vector& vec, double scalar, bool scalar_is_lhs, const BinaryContext& ctx,
                               Vector& out);
// VectorScalarBinop's two halves, for callers that keep each input
// series' output series between steps: the value for one input value and
// whether it is kept, and the output sample (labels included) for input `s`.
std::pair<double, bool> ApplyVectorScalar(const BinaryExpr& expr, double vec_value, double scalar,
                                          bool scalar_is_lhs);
VectorSample VectorScalarResult(const VectorSample& s, double value, const BinaryContext& ctx);

// A pair of samples that vector matching joined at one step: where they sit
// in the operands, and the result's labels. Recorded for reuse: while both
// operands hold the same series in the same order, later steps join the same
// pairs with the same labels, and only the values need computing.
struct MatchedPair {
  uint32_t lhs = 0;  // index into the left operand
  uint32_t rhs = 0;  // index into the right operand
  Labels metric;
  bool drop_name = false;
  // Free for the caller (the evaluator keeps its output series here).
  uint32_t hint = ~uint32_t{0};
};

// vector <op> vector under ctx.expr->matching (always set for these).
// With `pairs` set, an arithmetic or comparison operation without fill
// modifiers also records every pair it matched (kept by the comparison or
// not) and returns true in `*recorded`; ApplyMatchedPair then evaluates a
// pair at a later step. Set operations and fills record nothing.
absl::Status VectorVectorBinop(const Vector& lhs, const Vector& rhs, const BinaryContext& ctx, Vector& out,
                               std::vector<MatchedPair>* pairs = nullptr, bool* recorded = nullptr);

// The value of a recorded pair for operand values `lhs` and `rhs`, and
// whether the operation keeps it (a filtering comparison may drop it).
std::pair<double, bool> ApplyMatchedPair(const BinaryExpr& expr, double lhs, double rhs);

}  // namespace strata::promql
