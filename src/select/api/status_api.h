// File: select/api/status_api.h
//
// The informational endpoints of Prometheus's HTTP API that a select node
// answers without reading series, in Prometheus's JSON shapes
// (web/api/v1/api.go):
//   status/buildinfo    the Prometheus-compatible version (so Grafana and
//                       other clients pick the modern APIs; no "features",
//                       which Grafana would take for Mimir) with Strata's
//                       revision, version and compiler in the other fields
//   status/runtimeinfo  start time, CWD, hostname, thread count, ...
//   status/flags        the select node's flags as name -> value
//   status/config       {"yaml": ...}: a select node has no Prometheus config
//   rules, alerts       proxied to vmalert's /api/v1/rules and /api/v1/alerts
//                       when a vmalert URL is set (VictoriaMetrics'
//                       -vmalert.proxyURL), else empty ({"groups":[]},
//                       {"alerts":[]}): there is no rule evaluator here
//   metadata            the tenant's metric metadata from every storage
//                       node (fanout/fanout_exemplars.h): {"<metric>":
//                       [{"type","help","unit"}...]}, with `metric`,
//                       `limit` (families) and `limit_per_metric`
//   query_exemplars     the exemplars of the series that the selectors of
//                       `query` select, in Prometheus's shape
//                       [{"seriesLabels":{..},"exemplars":[{"labels":{..},
//                       "value":"1","timestamp":1.5}]}] (204 without
//                       selectors); start/end in seconds, or milliseconds as
//                       Grafana's exemplar probe sends them
// Errors are Prometheus's (400 bad_data with its messages).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "common/model/tenant.h"
#include "common/net/http.h"
#include "common/rpc/storage_api.h"
#include "select/api/query_api.h"
#include "select/promql/parser.h"

namespace strata::select {

struct StatusApiOptions {
  // The node's flags for status/flags: name (without '-') -> value.
  std::map<std::string, std::string> flags;
  // When the process started (runtimeinfo startTime and lastConfigTime).
  std::chrono::system_clock::time_point start_time = std::chrono::system_clock::now();
  // runtimeinfo storageRetention; a select node holds no data, so "".
  std::string storage_retention;
  // The storage nodes that metadata and query_exemplars ask, and the
  // deadline of their calls (-query.timeout).
  std::vector<StorageApi*> storage_nodes;
  std::chrono::milliseconds timeout{std::chrono::minutes(2)};
  // Parser options for query_exemplars' query (experimental functions).
  promql::ParseOptions parse_options;
  // vmalert's base URL (http://host:port) for rules and alerts; "" answers
  // them empty.
  std::string vmalert_proxy_url;
  // How the proxy GETs a URL; common/net/http_fetch.h's HttpGet when unset.
  std::function<absl::StatusOr<HttpResponse>(const std::string& url)> fetch;
};

// Thread-safe: immutable after construction.
class StatusApi {
 public:
  explicit StatusApi(StatusApiOptions options);

  ApiOutcome BuildInfo() const;
  ApiOutcome RuntimeInfo() const;
  ApiOutcome Flags() const;
  ApiOutcome Config() const;
  // `type` must be empty, alert or record (Prometheus 400 otherwise). With
  // a vmalert URL the request's parameters go to vmalert as they are and its
  // answer comes back as it is (503 unavailable when it cannot be reached).
  ApiOutcome Rules(const HttpRequest& request) const;
  ApiOutcome Alerts(const HttpRequest& request) const;
  // `limit` and `limit_per_metric` must be integers (<= 0: no limit).
  ApiOutcome Metadata(const HttpRequest& request, TenantId tenant) const;
  ApiOutcome QueryExemplars(const HttpRequest& request, TenantId tenant) const;

 private:
  ApiOutcome ProxyToVmalert(std::string_view path, const HttpRequest& request) const;

  StatusApiOptions options_;
};

// Go time.Time's JSON (RFC3339Nano, UTC): 2026-08-21T10:00:00.123456789Z,
// trailing zeros of the fraction dropped.
std::string FormatRfc3339Nano(std::chrono::system_clock::time_point t);

}  // namespace strata::select
