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
//     `on`/`ignoring`, `group_left`/`group_right`; `#` comments.
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
};

// Parses `query` with default options. Thread-safe (no shared state).
absl::StatusOr<ExprPtr> ParseExpr(std::string_view query);
absl::StatusOr<ExprPtr> ParseExpr(std::string_view query, const ParseOptions& options);

// Formats a parse error at byte offset `pos` of `query` the way Prometheus
// does (`<line>:<col>: parse error: <message>`), as InvalidArgument.
absl::Status ParseError(std::string_view query, int pos, std::string_view message);

}  // namespace strata::promql
