// File: select/promql/ast_printer.h
//
// Prints an AST back as PromQL in Prometheus's canonical form (the String()
// methods of promql/parser/printer.go): `sum by (job) (rate(x[5m]))`,
// `a + on (x) group_left (y) b`, `foo @ 10.000 offset 5m`, `x[5m:1m]`.
// Numbers print as Go's strconv.FormatFloat(v, 'f', -1) (`+Inf`, `NaN`),
// durations as model.Duration (`1h30m`), strings as strconv.Quote. Parsing
// the output gives the same tree again (matchers come out sorted). Used by
// the format_query API and by the conformance runner, which rewrites queries
// (adding `@`) and re-runs them.
//
// Stateless and thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "select/promql/ast.h"
#include "select/promql/go_format.h"

namespace strata::promql {

std::string FormatExpr(const Expr& expr);

// A duration expression as Prometheus prints it: `5m * 2`, `(1h + step())`,
// `min_of(step(), 1s)`, `-5m`.
std::string FormatDurationExpr(const DurationExpr& expr);

// Prometheus model.Duration.String() of a duration in milliseconds: `0s`,
// `1h30m`, `90d` (years and weeks only when exact). Negative values get "-".
std::string FormatDuration(int64_t ms);

// Go's strconv.FormatFloat(v, 'f', -1, 64): the shortest decimal that reads
// back as v, without exponent; `+Inf`, `-Inf`, `NaN`.
std::string FormatNumber(double v);

}  // namespace strata::promql
