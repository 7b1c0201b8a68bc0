// File: select/promql/ast_printer.h
//
// Prints an AST back as PromQL in Prometheus's canonical form (the String()
// methods of promql/parser/printer.go): `sum by (job) (rate(x[5m]))`. Used by
// the format_query API and by the conformance runner, which rewrites queries
// (adding `@`) and re-runs them.
//
// Stateless and thread-safe.
#pragma once

#include <string>

#include "select/promql/ast.h"

namespace strata::promql {

std::string FormatExpr(const Expr& expr);

}  // namespace strata::promql
