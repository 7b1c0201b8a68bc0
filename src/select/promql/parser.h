// File: select/promql/parser.h
//
// Parses a PromQL query into an AST (ast.h) with the Prometheus 3 grammar
// (promql/parser/generated_parser.y) and then type-checks it the way
// Prometheus's checkAST does:
//   - number literals (decimal, hex, leading-0 octal, exponents, Inf/NaN in
//     any case) and duration literals used as numbers (`1m` is 60);
//   - strings in all three quotings; vector selectors with every matcher
//     form and quoted UTF-8 names (`{"a.b"}`); matrix selectors; subqueries
//     `x[5m:1m]` / `x[5m:]`; `offset` (negative too) and `@` in either order;
//   - function calls checked against function_signatures.h; aggregations with
//     `by`/`without` before or after the arguments and their parameter;
//   - binary operators with Prometheus precedence and associativity (`^`
//     right-associative and binding tighter than unary minus), `bool`,
//     `on`/`ignoring`, `group_left`/`group_right`; `#` comments;
//   - behind ParseOptions: duration expressions (`x[5m * 2]`,
//     `x offset (1h + step())`) and fill modifiers (`a + fill(0) b`).
//
// Errors are InvalidArgument in Prometheus's form and wording:
//   `1:5: parse error: unexpected end of input inside braces`
// (line:column, 1-based column = byte offset in the line + 1), positioned at
// the start of the node Prometheus blames.
//
// Every Expr::pos is the node's byte range as Prometheus's PositionRange.
//
// Unlike Prometheus, queries nested more than 500 levels deep (parentheses,
// unary operators, call arguments) or whose tree is more than 2000 levels
// high (long operator chains, stacked subqueries) are refused with
// `query is nested too deeply (...)`: the parser, the type checker, the
// evaluator and the tree's destructor all recurse on the thread's stack.
#pragma once

#include <string_view>

#include "absl/status/statusor.h"
#include "select/promql/ast.h"

namespace strata::promql {

struct ParseOptions {
  // Accept functions marked experimental in function_signatures.h and the
  // limitk / limit_ratio aggregations (Prometheus's
  // --enable-feature=promql-experimental-functions).
  bool experimental_functions = false;
  // Duration expressions in ranges, subquery steps and offsets
  // (`x[5m * 2]`, `x offset (1h + step())`; ast.h DurationExpr), as
  // Prometheus's --enable-feature=promql-duration-expr.
  bool duration_expressions = false;
  // `fill(v)`, `fill_left(v)`, `fill_right(v)` after the matching modifiers
  // of a binary operator between vectors (--enable-feature=
  // promql-binop-fill-modifiers). Without it they are refused with
  // Prometheus's "binop fill modifiers are experimental and not enabled".
  bool binop_fill_modifiers = false;
  // The `anchored` and `smoothed` modifiers after a range selector
  // (`x[5m] anchored`) and `smoothed` after an instant selector
  // (`x smoothed`), as Prometheus's --enable-feature=
  // promql-extended-range-selectors (ast.h VectorSelector). Without it the
  // words are not modifiers and the query fails to parse.
  bool extended_range_selectors = false;
};

// Parses `query` with default options. Thread-safe (no shared state).
absl::StatusOr<ExprPtr> ParseExpr(std::string_view query);
absl::StatusOr<ExprPtr> ParseExpr(std::string_view query, const ParseOptions& options);

// Evaluates every duration expression of `expr` (ast.h DurationExpr) for a
// query with the given step and range (end - start; both 0 for an instant
// query) and stores the values in the nodes' range_ms / step_ms / offset_ms,
// as Prometheus does before evaluation. Ranges and steps must come out
// positive. InvalidArgument with Prometheus's text otherwise.
absl::Status ResolveDurationExprs(Expr& expr, int64_t step_ms, int64_t range_ms);

// The value of a duration expression in seconds, for a query with the given
// step and range. InvalidArgument on division or modulo by zero.
absl::StatusOr<double> EvalDurationExpr(const DurationExpr& d, int64_t step_ms, int64_t range_ms);

// Formats a parse error at byte offset `pos` of `query` the way Prometheus
// does (`<line>:<col>: parse error: <message>`), as InvalidArgument.
absl::Status ParseError(std::string_view query, int pos, std::string_view message);

}  // namespace strata::promql
