// File: select/api/format_api.h
//
// Prometheus's `/api/v1/format_query` and `/api/v1/parse_query`: PromQL in,
// no data read. format_query answers expr.Pretty(0) as Prometheus does: the
// canonical text (promql::FormatExpr) when it fits in 100 characters, else
// split over indented lines (promql/parser/prettier.go). parse_query
// answers the syntax tree as the JSON of Prometheus's
// web/api/v1/translate_ast.go (the tree view of its UI; the current form,
// with `anchored`/`smoothed`/`alignEvalTime` always false and
// `fillValues`): objects with Go's sorted keys, `"type"` naming the node.
// Duration expressions (`x[5m*2]`) are not translated yet: ranges, steps and
// offsets show their resolved values (0 before evaluation).
// Parse errors are 400 bad_data `invalid parameter "query": <error>`.
#pragma once

#include <string>

#include "common/net/http.h"
#include "select/api/query_api.h"
#include "select/promql/ast.h"
#include "select/promql/parser.h"

namespace strata::select {

// GET or POST /api/v1/format_query?query=...
ApiOutcome FormatQuery(const HttpRequest& request, const promql::ParseOptions& options);

// GET or POST /api/v1/parse_query?query=...
ApiOutcome ParseQuery(const HttpRequest& request, const promql::ParseOptions& options);

// Prometheus's expr.Pretty(0).
std::string PrettyFormatExpr(const promql::Expr& expr);

// Appends translateAST(expr) as JSON.
void AppendAstJson(const promql::Expr& expr, std::string* out);

}  // namespace strata::select
