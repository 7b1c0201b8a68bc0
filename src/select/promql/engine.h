// File: select/promql/engine.h
//
// Evaluates PromQL with Prometheus 3 semantics over a Querier (querier.h).
// A query is prepared first (parse + validation: errors there are the
// client's, reported by the API as `invalid parameter "query": ...`), then
// executed against a Querier (errors there are execution errors).
//
// Evaluation follows Prometheus engine.go: every node is evaluated over all
// steps of the query at once (engine_eval.h), per-step operators
// (functions.h, aggregations.h, binary_ops.h) are called once per step, and
// the per-step outputs are assembled back into series by their labels. Data
// is loaded before evaluation with one Querier::Select per selector over
// the time range that selector needs (offset, `@`, lookback, ranges and
// enclosing subqueries included). The exception is info(), which selects
// its info series once its input is evaluated (their matchers are the
// input's `instance` and `job` values).
//
// Limits (EngineOptions): points per series of a range query, samples per
// query (ResourceExhausted), and a deadline checked between steps and
// series (DeadlineExceeded).
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "select/promql/ast.h"
#include "select/promql/querier.h"

namespace strata::promql {

struct EngineOptions {
  // How far back an instant vector selector looks for the latest sample
  // (Prometheus -query.lookback-delta). Default 5m.
  int64_t lookback_delta_ms = 5 * 60 * 1000;
  // Most samples a query may hold in memory (-query.max-samples). Exceeding
  // it fails the query with ResourceExhausted (HTTP 422 execution).
  int64_t max_samples = 50'000'000;
  // Most points per series of a range query: (end - start) / step may not
  // exceed it (HTTP 400 bad_data). Prometheus hard-codes 11,000.
  int64_t max_points_per_series = 11'000;
  // Query timeout (-query.timeout); a per-query timeout can only lower it.
  std::chrono::milliseconds timeout{std::chrono::minutes(2)};
  // Prometheus 3's --enable-feature=promql-delayed-name-removal: operators
  // mark `__name__` for removal and the engine drops it from the result.
  bool delayed_name_removal = false;
  // Accept functions marked experimental in function_signatures.h.
  bool experimental_functions = false;
  // Spread the work of one query over the machine's cores where it splits
  // by series (selectors, range functions). The answer, its errors and its
  // sample-limit accounting are the same either way.
  bool parallel = true;
  // The step of a subquery written without one (`x[1h:]`); Prometheus uses
  // the global rule evaluation interval, 1m by default.
  int64_t default_subquery_step_ms = 60000;
  // Prometheus's --enable-feature=promql-duration-expr and
  // promql-binop-fill-modifiers (ParseOptions of the same names). Duration
  // expressions are evaluated once per query when it is prepared.
  bool duration_expressions = false;
  bool binop_fill_modifiers = false;
  // The `anchored` / `smoothed` selector modifiers (ParseOptions::
  // extended_range_selectors, Prometheus promql-extended-range-selectors).
  bool extended_range_selectors = false;
};

// Per-query overrides (HTTP parameters `lookback_delta`, `timeout`).
struct QueryOptions {
  int64_t lookback_delta_ms = 0;        // 0: the engine's default
  std::chrono::milliseconds timeout{0};  // 0: the engine's default
};

struct SeriesResult {
  Labels labels;
  // Vector: exactly one sample, at the evaluation time. Matrix: sorted by time.
  std::vector<Sample> samples;
};

struct QueryResult {
  ValueType type = ValueType::kVector;
  // Vector and matrix results, sorted by labels; except an instant vector
  // whose outermost operation is sort, sort_desc, sort_by_label(_desc),
  // topk or bottomk, which keeps that operation's order.
  std::vector<SeriesResult> series;
  Sample scalar;                     // scalar result (and the time of a string result)
  std::string string_value;          // string result
  bool partial = false;              // from the Querier: some data may be missing
  std::vector<std::string> warnings;  // the Querier's and "PromQL warning: ..." annotations
  std::vector<std::string> infos;     // "PromQL info: ..." annotations
  // Samples read from the Querier for this query (Prometheus's
  // totalQueryableSamples, reported by the API's `stats` parameter).
  int64_t total_samples = 0;
};

// A parsed and validated query, ready to execute once. Thread-compatible.
struct PreparedQuery {
  ExprPtr expr;
  std::string query;  // the text, to render annotation positions against
  bool instant = true;
  int64_t start_ms = 0;
  int64_t end_ms = 0;
  int64_t step_ms = 0;  // 0 for instant queries
  int64_t lookback_delta_ms = 0;
  std::chrono::steady_clock::time_point deadline;
};

// Stateless apart from its options: thread-safe, one Engine serves every query.
class Engine {
 public:
  explicit Engine(EngineOptions options = {}) : options_(options) {}

  // Parses `query` for evaluation at `time_ms`. InvalidArgument on a parse
  // or type error.
  absl::StatusOr<PreparedQuery> NewInstantQuery(std::string_view query, int64_t time_ms,
                                                const QueryOptions& opts = {}) const;

  // Parses `query` for evaluation at start, start+step, ... <= end.
  // InvalidArgument when end < start, step <= 0, too many points per series,
  // or the expression is not a scalar or instant vector.
  absl::StatusOr<PreparedQuery> NewRangeQuery(std::string_view query, int64_t start_ms, int64_t end_ms,
                                              int64_t step_ms, const QueryOptions& opts = {}) const;

  // Evaluates `query` reading through `querier` (which may block). Errors:
  // ResourceExhausted (max samples), DeadlineExceeded (timeout), Unimplemented
  // (a function without implementation), FailedPrecondition ("vector cannot
  // contain metrics with the same labelset"), InvalidArgument (other
  // evaluation errors of operators and functions), or the Querier's error.
  absl::StatusOr<QueryResult> Exec(const PreparedQuery& query, Querier& querier) const;

  const EngineOptions& options() const { return options_; }

 private:
  absl::StatusOr<PreparedQuery> Prepare(std::string_view query, const QueryOptions& opts) const;

  EngineOptions options_;
};

// "11,000": Go-style thousands separators for the resolution error message.
std::string FormatWithThousands(int64_t n);

}  // namespace strata::promql
