// File: insert/ingest/remote_write_handler.h
//
// The HTTP endpoint for Prometheus remote_write 1.0 and 2.0 (ECOSYSTEM.md
// §3.1, §3.2): POST, snappy block body, protobuf prometheus.WriteRequest
// (1.0: no `proto=` in Content-Type, or proto=prometheus.WriteRequest) or
// io.prometheus.write.v2.Request (proto=io.prometheus.write.v2.Request). It
// decodes 1.0 with the zero-copy walker (common/prompb) and 2.0 with
// common/formats/remote_write_v2.h, validates and sorts each series'
// labels, and hands the valid series to the Router, which stores them on
// `replication_factor` storage nodes. Both versions share everything after
// decoding: exemplars travel with their series, metadata (2.0: per series,
// one per metric family kept) goes through Router::WriteMetadata.
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
//   400  malformed body (bad snappy, bad protobuf, a 2.0 symbol ref out of
//        range: nothing stored), or some series invalid or carrying native
//        histograms: the valid series ARE stored, the body names the first
//        problem and the counts (both specs allow 400 after a partial
//        ingest; nothing is dropped silently)
//   405  not POST;  404  unknown /insert/ path
//   415  a Content-Type other than application/x-protobuf, an unknown
//        `proto=` message, or (2.0 only; 1.0 gets 400) a Content-Encoding
//        other than snappy: the 2.0 sender may retry with 1.0
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

namespace strata {
class SeriesBatch;
}  // namespace strata

namespace strata::insert {

class Router;
class IngestLimiter;
class SeriesCollector;

// Which remote_write message a request carries.
enum class RemoteWriteProto { kV1, kV2 };

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

  // The message named by a Content-Type header, as Prometheus's receiver
  // reads it: empty or without `proto=` is 1.0. InvalidArgument (answered
  // 415) for another media type, a malformed parameter or an unknown message.
  static absl::StatusOr<RemoteWriteProto> ProtoOf(std::string_view content_type);

  // Makes room in `batch` for the series of a 1.0 request of
  // `decompressed_bytes`, so that filling it does not copy it over and over
  // as it grows.
  static void ReserveForV1(size_t decompressed_bytes, SeriesBatch& batch);

 private:
  // Everything after decoding, shared by both versions: problems, samples,
  // exemplars and metadata written, the reply.
  void Finish(TenantId tenant, SeriesCollector& collector, size_t histograms, IngestMetrics& metrics,
              HttpResponder respond);

  Router* router_;
  RemoteWriteHandlerOptions options_;
  IngestMetrics metrics_;     // protocol="promremotewrite" (1.0)
  IngestMetrics v2_metrics_;  // protocol="promremotewrite2"
};

}  // namespace strata::insert
