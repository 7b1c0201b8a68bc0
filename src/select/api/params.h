// File: select/api/params.h
//
// Parameter parsing of the Prometheus query API exactly as Prometheus does
// it (web/api/v1/api.go: parseTime, parseDuration, query, queryRange), with
// its error messages, so clients and Grafana see the same texts:
//   invalid parameter "time": Invalid time value for 'time': cannot parse "x" to a valid timestamp
//   invalid parameter "end": end timestamp must not be before start time
//   invalid parameter "step": zero or negative query resolution step widths are not accepted. Try a positive integer
//   exceeded maximum resolution of 11,000 points per timeseries. Try decreasing the query resolution (?step=XX)
//   error parsing lookback delta duration: cannot parse "x" to a valid duration
// All errors are InvalidArgument (400 bad_data).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "common/model/matcher.h"
#include "common/net/http.h"
#include "select/promql/engine.h"

namespace strata::select {

// Unix seconds as a float (fraction rounded to milliseconds) or RFC3339 /
// RFC3339Nano, plus the two open-range sentinels of client_golang. Returns
// milliseconds since the epoch, or `cannot parse "<s>" to a valid timestamp`.
absl::StatusOr<int64_t> ParseTimeMs(std::string_view s);

// Float seconds, else a Prometheus duration (`1h30m`). Returns nanoseconds,
// or `cannot parse "<s>" to a valid duration` (`... It overflows int64`).
absl::StatusOr<int64_t> ParseDurationNs(std::string_view s);

// One match[] selector, read as Prometheus's parser.ParseMetricSelector
// and parseMatchersParam do: a metric name, braces, or both, and nothing
// else. Whatever follows the selector is "unexpected <token>" at that token
// (`sum(up)` fails at "(", `up[5m]` at "["); a selector whose matchers all
// match "" is refused with "match[] must contain at least one non-empty
// matcher". Errors are InvalidArgument, without the parameter name.
absl::StatusOr<std::vector<Matcher>> ParseSeriesSelector(std::string_view s);

// The parameters as Go's Request.FormValue sees them, which the query
// endpoints of Prometheus use: a pair that fails to decode (`query=%zz`) is
// left out rather than failing the request.
FormParams ParseFormValues(const HttpRequest& request);

struct InstantQueryParams {
  std::string query;
  int64_t time_ms = 0;
  promql::QueryOptions options;
};

struct RangeQueryParams {
  std::string query;
  int64_t start_ms = 0;
  int64_t end_ms = 0;
  int64_t step_ms = 0;  // >= 1
  promql::QueryOptions options;
};

// `time` (default `now_ms`), `timeout`, `lookback_delta`; `query` is taken
// as is (the engine reports a missing or bad query).
absl::StatusOr<InstantQueryParams> ParseInstantQueryParams(const FormParams& params, int64_t now_ms);

// `start`, `end`, `step` (all required), `timeout`, `lookback_delta`.
// `max_points_per_series` is Prometheus's 11,000.
absl::StatusOr<RangeQueryParams> ParseRangeQueryParams(const FormParams& params, int64_t max_points_per_series);

}  // namespace strata::select
