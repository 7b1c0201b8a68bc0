// File: select/server/select_service.h
//
// The composition root of the select role (STYLE.md §5.1): it owns the
// PromQL engine and the query API handlers, builds a FanoutQuerier over the
// storage nodes for every query, and registers the HTTP routes. It opens no
// sockets: the binary (cmd/strata) owns the HTTP server and the storage
// clients and hands them in.
//
// Routes:
//   /api/v1/query, /api/v1/query_range                       tenant 0:0
//   /api/v1/series, /api/v1/labels, /api/v1/label/<name>/values  tenant 0:0
//                                             (api/labels_api.h)
//   /api/v1/{status/buildinfo,status/runtimeinfo,status/flags,status/config,
//            format_query,parse_query,rules,alerts,metadata,query_exemplars}
//                                                            (status_api.h, format_api.h)
//   /api/v1/export, /api/v1/export/csv, /federate             tenant 0:0
//                                             (api/export_api.h)
//   /api/v1/status/tsdb                                       tenant 0:0
//                                             (api/tsdb_status_api.h)
//   /select/<accountID>[:<projectID>]/prometheus/api/v1/...   any tenant
//   /select/<accountID>[:<projectID>]/prometheus/federate     any tenant
//   /api/v1/admin/tsdb/delete_series                          tenant 0:0
//   /delete/<accountID>[:<projectID>]/prometheus/api/v1/admin/tsdb/delete_series
// delete_series (api/delete_api.h) goes to every storage node
// (fanout/fanout_delete.h) under the -query.timeout deadline; it is an
// admin endpoint without authentication yet.
//
// Metrics (when a registry is given):
//   strata_select_requests_total{path,result}   result = success or errorType
//   strata_select_query_duration_seconds{path}
//   strata_select_queries_rejected_total   refused by -search.maxConcurrentRequests
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/model/tenant.h"
#include "common/net/http.h"
#include "common/rpc/storage_api.h"
#include "select/api/export_api.h"
#include "select/api/labels_api.h"
#include "select/api/query_api.h"
#include "select/api/status_api.h"
#include "select/api/tsdb_status_api.h"
#include "select/promql/engine.h"
#include "select/server/concurrency_limiter.h"

namespace prometheus {
class Registry;
}

namespace strata::select {

struct SelectServiceOptions {
  // Storage nodes holding each series (-replicationFactor). With R, up to
  // R-1 unreachable nodes still give complete answers. Default 1.
  int replication_factor = 1;
  // -query.lookback-delta. Default 5m.
  std::chrono::milliseconds lookback{std::chrono::minutes(5)};
  // Most points per series of a range query. Default 11,000 (Prometheus).
  int64_t max_points_per_series = 11'000;
  // -query.timeout; a request's `timeout` can only lower it. Default 2m.
  std::chrono::milliseconds query_timeout{std::chrono::minutes(2)};
  // -query.max-samples. Default 50,000,000.
  int64_t max_samples = 50'000'000;
  // Most series one query may load, over all its selectors
  // (-search.maxSeries; 0: no limit). Beyond it the query fails with 422.
  int64_t max_series = 0;
  // Most queries evaluated at once (-search.maxConcurrentRequests; 0: no
  // limit). Others wait up to max_queue_duration, then get 503.
  int64_t max_concurrent_queries = 8;
  std::chrono::milliseconds max_queue_duration{std::chrono::seconds(10)};
  // Prometheus's --enable-feature=promql-experimental-functions
  // (-search.enableExperimentalFunctions).
  bool experimental_functions = false;
  // Prometheus's --enable-feature=promql-delayed-name-removal
  // (-search.delayedNameRemoval).
  bool delayed_name_removal = false;
  // The node's flags (name without '-' -> value) for /api/v1/status/flags;
  // cmd/strata fills it after parsing them.
  std::map<std::string, std::string> flags;
  // vmalert's base URL (-vmalert.proxyURL): /api/v1/rules and
  // /api/v1/alerts are proxied to it; empty answers them with no rules.
  std::string vmalert_proxy_url;
  // -search.denyPartialResponse turns answers that may miss data
  // (R or more storage nodes failed) into 503 errors instead of isPartial.
  bool deny_partial_response = false;
  // -dedup.minScrapeInterval: keep one sample per series per interval
  // (HA Prometheus pairs; select/fanout/dedup.h). 0: off.
  std::chrono::milliseconds dedup_min_scrape_interval{0};
};

// Thread-safe after construction: handlers run concurrently on the WorkPool
// and block while storage nodes answer. The storage nodes and the registry
// must outlive the service; the HttpMux routes capture `this`, so the
// service must outlive the HTTP server that uses them.
class SelectService {
 public:
  SelectService(SelectServiceOptions options, std::vector<StorageApi*> storage_nodes,
                prometheus::Registry* registry);
  ~SelectService();

  SelectService(const SelectService&) = delete;
  SelectService& operator=(const SelectService&) = delete;

  void RegisterRoutes(HttpMux& mux);

  // Serves one request synchronously (what the routes call); public for
  // tests and for embedding.
  HttpResponse Handle(const HttpRequest& request);

  const promql::Engine& engine() const { return engine_; }

 private:
  struct Metrics;

  HttpResponse HandleDeleteSeries(const HttpRequest& request);
  // The endpoints of api/status_api.h and api/format_api.h (no
  // concurrency slot: only metadata and exemplars read storage, and those
  // reads are small); nullopt for other endpoints.
  std::optional<ApiOutcome> HandleInfo(std::string_view endpoint, const HttpRequest& request, TenantId tenant) const;
  // The metrics path of a storage-reading endpoint ("" when `endpoint` is
  // none) and its handler; the caller holds a concurrency slot.
  static std::string_view ReadMetricsPath(std::string_view endpoint);
  ApiOutcome HandleRead(std::string_view endpoint, const HttpRequest& request, const TenantId& tenant,
                        std::chrono::nanoseconds queue_wait);
  std::unique_ptr<promql::Querier> MakeQuerier(const TenantId& tenant,
                                               std::chrono::steady_clock::time_point deadline) const;

  SelectServiceOptions options_;
  std::vector<StorageApi*> storage_nodes_;
  promql::Engine engine_;
  QueryApi api_;
  LabelsApi labels_api_;  // /api/v1/series, /api/v1/labels, /api/v1/label/<name>/values
  ExportApi export_api_;  // /api/v1/export, /api/v1/export/csv, /federate
  TsdbStatusApi tsdb_status_api_;  // /api/v1/status/tsdb
  StatusApi status_api_;
  ConcurrencyLimiter limiter_;
  std::unique_ptr<Metrics> metrics_;  // null without a registry
};

}  // namespace strata::select
