// File: select/api/export_api.h
//
// The raw-sample endpoints of the select node, as plain functions from
// HttpRequest to HttpResponse (no sockets; they block while the storage
// nodes answer):
//   GET|POST /api/v1/export      match[] (required, repeated), start, end,
//                                max_rows_per_line, reduce_mem_usage (ignored)
//                                -> VictoriaMetrics' JSON lines
//   GET|POST /api/v1/export/csv  the same plus format (required) -> CSV
//   GET|POST /federate           match[] (required, repeated) -> Prometheus
//                                text format 0.0.4, newest sample of each
//                                series within the lookback before now
// Formats in export_format.h. Samples come through the same Querier as
// PromQL queries (the FanoutQuerier in production), so replicas are merged
// and de-duplicated exactly as for queries. Raw samples are never answered
// partially (VictoriaMetrics' rule for export): when storage nodes beyond
// the replication factor are missing, the request fails with 503.
//
// The body is built series by series into one string: the HTTP layer
// (common/net/http.h) sends whole bodies, and the merged series are in
// memory anyway; -search.maxSeries bounds both.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>

#include "common/model/tenant.h"
#include "common/net/http.h"
#include "select/api/query_api.h"

namespace strata::select {

struct ExportApiOptions {
  // /federate's window before now (-query.lookback-delta).
  std::chrono::milliseconds lookback{std::chrono::minutes(5)};
  // Deadline of the storage reads of one request (-query.timeout).
  std::chrono::milliseconds timeout{std::chrono::minutes(2)};
};

// Thread-safe (the factory must be).
class ExportApi {
 public:
  ExportApi(QuerierFactory factory, std::function<int64_t()> now_ms, ExportApiOptions options);

  ApiOutcome Export(const HttpRequest& request, const TenantId& tenant) const;
  ApiOutcome ExportCsv(const HttpRequest& request, const TenantId& tenant) const;
  // Errors are plain text, as Prometheus's federation handler answers them.
  ApiOutcome Federate(const HttpRequest& request, const TenantId& tenant) const;

 private:
  QuerierFactory factory_;
  std::function<int64_t()> now_ms_;
  ExportApiOptions options_;
};

}  // namespace strata::select
