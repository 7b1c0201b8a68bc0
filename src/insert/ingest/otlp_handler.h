// File: insert/ingest/otlp_handler.h
//
// The HTTP endpoint for OpenTelemetry metrics (OTLP/HTTP, protobuf): it
// converts an ExportMetricsServiceRequest to Prometheus series with
// common/formats/otlp_metrics.h and stores them through the shared ingest
// pipeline (SeriesCollector, WriteAndReply), like every other format.
//
// URLs (ingest_paths.h; tenant = accountID[:projectID], as VictoriaMetrics cluster):
//   /insert/<tenant>/opentelemetry/v1/metrics       (and .../opentelemetry/api/v1/push)
//   /opentelemetry/v1/metrics                       tenant 0:0
//   /otlp/v1/metrics                                tenant 0:0 (Prometheus 3's path)
//
// Body: Content-Type application/x-protobuf, optionally gzip-encoded (the
// HTTP server inflates it). OTLP/JSON gets 415.
//
// Replies (OTLP/HTTP spec): 200 with a protobuf ExportMetricsServiceResponse
// (empty, or partial_success counting the rejected points and naming the
// first problem: delta temporality, exponential histograms, bad names);
// errors carry a protobuf google.rpc.Status body:
//   400 malformed protobuf (nothing stored);  405 not POST
//   415 unsupported Content-Type or Content-Encoding
//   429 the in-flight byte cap is reached (Retry-After);  503 too few storage
//   nodes could take the data (the exporter retries)
#pragma once

#include "common/model/tenant.h"
#include "common/net/http.h"
#include "insert/ingest/ingest_metrics.h"

namespace prometheus {
class Registry;
}  // namespace prometheus

namespace strata::insert {

class Router;
class IngestLimiter;

struct OtlpHandlerOptions {
  // Seconds sent in Retry-After with a 429.
  int retry_after_seconds = 1;
  // The ingest limits (ingest_limits.h); null: none. Must outlive the handler.
  IngestLimiter* limiter = nullptr;
};

// Thread-safe: Handle runs concurrently on the WorkPool threads.
class OtlpHandler {
 public:
  // `router` must outlive the handler and every request it is handling.
  // `registry` may be null; when set the handler exports
  // strata_insert_requests_total{protocol="opentelemetry",result},
  // strata_insert_samples_total and, per rejected data point,
  // strata_insert_series_rejected_total{reason} (reasons: OtlpRejectReasonName).
  OtlpHandler(Router* router, OtlpHandlerOptions options, prometheus::Registry* registry = nullptr);

  // Serves one export for `tenant` (path already resolved). Calls `respond`
  // exactly once, inline or after the storage nodes answer.
  void Handle(TenantId tenant, HttpRequest&& request, HttpResponder respond);

 private:
  Router* router_;
  OtlpHandlerOptions options_;
  IngestMetrics metrics_;
};

}  // namespace strata::insert
