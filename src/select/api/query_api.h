// File: select/api/query_api.h
//
// The handlers of Prometheus's `/api/v1/query` and `/api/v1/query_range`
// for one tenant, as plain functions from HttpRequest to HttpResponse (no
// sockets, no threads): parameters from the query string and from a
// form-encoded POST body (params.h), evaluation by the Engine over a Querier
// made per query by a factory (the fan-out querier in production, a memory
// querier in tests), JSON by json_writer.h, errors by status_to_http.h.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string_view>

#include "common/model/tenant.h"
#include "common/net/http.h"
#include "select/promql/engine.h"
#include "select/promql/querier.h"

namespace strata::select {

// Makes the Querier of one query: for `tenant`, giving up at `deadline`.
using QuerierFactory = std::function<std::unique_ptr<promql::Querier>(
    const TenantId& tenant, std::chrono::steady_clock::time_point deadline)>;

struct ApiOutcome {
  HttpResponse response;
  // "success" or the Prometheus errorType, for the requests_total metric.
  std::string_view result = "success";
};

// Thread-safe: handlers may run concurrently (the engine and the factory
// must be thread-safe, which Engine is).
class QueryApi {
 public:
  // `engine` must outlive this object. `now_ms` is the clock for the
  // default `time` of instant queries.
  QueryApi(const promql::Engine* engine, QuerierFactory factory, std::function<int64_t()> now_ms);

  // GET or POST /api/v1/query. Blocks while the querier reads.
  // `queue_wait` is how long the request waited for a concurrency slot
  // (execQueueTime of the `stats` parameter's timings).
  ApiOutcome Query(const HttpRequest& request, const TenantId& tenant,
                   std::chrono::nanoseconds queue_wait = {}) const;
  // GET or POST /api/v1/query_range. Blocks while the querier reads.
  ApiOutcome QueryRange(const HttpRequest& request, const TenantId& tenant,
                        std::chrono::nanoseconds queue_wait = {}) const;

 private:
  struct StatsRequest;
  ApiOutcome Execute(const absl::StatusOr<promql::PreparedQuery>& query, const TenantId& tenant,
                     const StatsRequest& stats) const;

  const promql::Engine* engine_;
  QuerierFactory factory_;
  std::function<int64_t()> now_ms_;
};

// Prometheus's `stats` object (util/stats: timings in seconds and samples)
// for a query that waited `queue`, prepared in `prepare` and evaluated in
// `eval`. peakSamples is the result's sample count, a lower bound of the
// samples held at once (the engine does not report its peak).
std::string QueryStatsJson(const promql::QueryResult& result, std::chrono::nanoseconds queue,
                           std::chrono::nanoseconds prepare, std::chrono::nanoseconds eval);

// The Prometheus error envelope for `status` with its HTTP code.
ApiOutcome ErrorOutcome(const absl::Status& status);

// 200 `{"status":"success","data":<data_json>}`.
ApiOutcome SuccessOutcome(std::string_view data_json);

}  // namespace strata::select
