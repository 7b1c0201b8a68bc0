// File: select/promql/engine.h
//
// Evaluates PromQL with Prometheus 3 semantics over a Querier (querier.h).
// A query is prepared first (parse + validation: errors there are the
// client's, reported by the API as `invalid parameter "query": ...`), then
// executed against a Querier (errors there are execution errors).
//
// Implemented: vector selectors (lookback window (t - lookback, t], stale
// markers end a series, offset, @), matrix selectors in instant queries,
// number and string literals, unary minus, and binary arithmetic and
// comparisons between scalars and between a vector and a scalar. Functions,
// aggregations, subqueries and vector-vector matching come with the full
// engine (TODO(#promql-engine)).
//
// Limits (EngineOptions): points per series of a range query, samples per
// query (ResourceExhausted), and a deadline checked between series
// (DeadlineExceeded).
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
  std::vector<SeriesResult> series;  // vector and matrix results, sorted by labels
  Sample scalar;                     // scalar result (and the time of a string result)
  std::string string_value;          // string result
  bool partial = false;              // from the Querier: some data may be missing
  std::vector<std::string> warnings;
};

// A parsed and validated query, ready to execute once. Thread-compatible.
struct PreparedQuery {
  ExprPtr expr;
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
  // (constructs not evaluated yet), or the Querier's error.
  absl::StatusOr<QueryResult> Exec(const PreparedQuery& query, Querier& querier) const;

  const EngineOptions& options() const { return options_; }

 private:
  absl::StatusOr<PreparedQuery> Prepare(std::string_view query, const QueryOptions& opts) const;

  EngineOptions options_;
};

// "11,000": Go-style thousands separators for the resolution error message.
std::string FormatWithThousands(int64_t n);

}  // namespace strata::promql
