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

// vector <op> vector under ctx.expr->matching (always set for these).
absl::Status VectorVectorBinop(const Vector& lhs, const Vector& rhs, const BinaryContext& ctx, Vector& out);

}  // namespace strata::promql
