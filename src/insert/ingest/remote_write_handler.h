// File: insert/ingest/remote_write_handler.h
//
// The HTTP endpoint for Prometheus remote_write 1.0 (ECOSYSTEM.md §3.1):
// POST, snappy block body, protobuf prometheus.WriteRequest. It decodes the
// body with the zero-copy walker (common/prompb), validates and sorts each
// series' labels, and hands the valid series to the Router, which stores
// them on `replication_factor` storage nodes.
//
// URLs (tenant = accountID[:projectID], as VictoriaMetrics cluster):
//   /insert/<tenant>/prometheus[/]                 remote_write
//   /insert/<tenant>/prometheus/api/v1/write       remote_write
//   /insert/<tenant>/prometheus/api/v1/push        remote_write
//   /api/v1/write                                  remote_write, tenant 0:0
//
// Replies (the three X-Prometheus-Remote-Write-*-Written headers on all of
// them; the body is a human-readable reason):
//   204  every series stored
//   400  malformed body (bad snappy, bad protobuf: nothing stored), or some
//        series invalid or carrying native histograms: the valid series ARE
//        stored, the body names the first problem and the counts (the spec
//        allows 400 after a partial ingest; nothing is dropped silently)
//   405  not POST;  404  unknown /insert/ path;  415  remote_write 2.0
//   429  the in-flight byte cap is reached (with Retry-After)
//   503  too few storage nodes could take the data; the sender retries
// Exemplars go with their series to its replicas (Exemplars-Written: the
// count stored); metric metadata goes to every storage node
// (Router::WriteMetadata) after the samples.
#pragma once

#include <cstdint>
#include <string_view>

#include "absl/status/statusor.h"
#include "common/model/tenant.h"
#include "common/net/http.h"
#include "common/prompb/remote_write_decoder.h"
#include "insert/ingest/ingest_metrics.h"

namespace prometheus {
class Registry;
}  // namespace prometheus

namespace strata::insert {

class Router;
class IngestLimiter;

struct RemoteWriteHandlerOptions {
  // Cap on the decompressed size of one request.
  size_t max_request_bytes = kDefaultMaxRemoteWriteBytes;
  // Seconds sent in Retry-After with a 429.
  int retry_after_seconds = 1;
  // The ingest limits (ingest_limits.h); null: none. Must outlive the handler.
  IngestLimiter* limiter = nullptr;
};

// Thread-safe: Handle runs concurrently on the WorkPool threads; each thread
// decodes into its own reused buffers.
class RemoteWriteHandler {
 public:
  // `router` must outlive the handler and every request it is handling.
  // `registry` may be null; when set the handler exports
  // strata_insert_requests_total{protocol,result}, strata_insert_samples_total
  // and strata_insert_series_rejected_total{reason}.
  RemoteWriteHandler(Router* router, RemoteWriteHandlerOptions options, prometheus::Registry* registry = nullptr);

  // Serves one request whose tenant comes from its path (see above). Calls
  // `respond` exactly once, inline or after the storage nodes answer.
  void Handle(HttpRequest&& request, HttpResponder respond);

  // Serves a remote_write request for `tenant` (path already resolved).
  void HandleWrite(TenantId tenant, HttpRequest&& request, HttpResponder respond);

  // The tenant of a remote_write path. NotFound for a path that is not a
  // remote_write URL, InvalidArgument for a malformed tenant.
  static absl::StatusOr<TenantId> TenantFromPath(std::string_view path);

 private:
  Router* router_;
  RemoteWriteHandlerOptions options_;
  IngestMetrics metrics_;
};

}  // namespace strata::insert
