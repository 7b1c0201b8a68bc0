// File: select/promql/parser.h
//
// Parses a PromQL query into an AST (ast.h). This is the recursive-descent
// start of the full grammar; it accepts today:
//   - vector selectors `m`, `m{a="b",c!="d",e=~"f.*",g!~"h",}`, `{__name__="m"}`,
//     quoted label names and `{"metric.name"}` (Prometheus 3 UTF-8 names);
//   - `offset <duration>` and `@ <time>` / `@ start()` / `@ end()`;
//   - matrix selectors `m[5m]`;
//   - number and string literals, parentheses, unary `+`/`-`;
//   - binary operators with Prometheus precedence and associativity
//     (`^` right-associative, binds tighter than unary minus), with `bool`.
// Function calls and aggregations are rejected as unknown functions for now.
//
// Errors are InvalidArgument in Prometheus's form:
//   `1:5: parse error: unexpected end of input inside braces`
// (line:column, 1-based column = byte offset in the line + 1).
#pragma once

#include <string_view>

#include "absl/status/statusor.h"
#include "select/promql/ast.h"

namespace strata::promql {

// Parses `query`. Thread-safe (no shared state).
absl::StatusOr<ExprPtr> ParseExpr(std::string_view query);

// Formats a parse error at byte offset `pos` of `query` the way Prometheus
// does (`<line>:<col>: parse error: <message>`), as InvalidArgument.
absl::Status ParseError(std::string_view query, int pos, std::string_view message);

}  // namespace strata::promql
