// File: insert/ingest/ingest_paths.h
//
// Maps an insert node's URL to its tenant and ingest endpoint, in
// VictoriaMetrics cluster's URL scheme (ECOSYSTEM.md §4.2):
//
//   /insert/<tenant>/prometheus[/], .../prometheus/api/v1/write|push   remote_write
//   /insert/<tenant>/prometheus/api/v1/import                          JSON lines
//   /insert/<tenant>/prometheus/api/v1/import/prometheus               Prometheus text
//   /insert/<tenant>/prometheus/api/v1/import/csv                      CSV
//   /insert/<tenant>/influx/write, .../influx/api/v2/write             Influx line protocol
//   /insert/<tenant>/influx/query, .../influx/ping                     Influx client stubs
//   /insert/<tenant>/opentelemetry/v1/metrics, .../opentelemetry/api/v1/push   OTLP/HTTP
//
// and, for tenant 0:0, the single-node paths in kTenantZeroIngestPaths
// (/otlp/v1/metrics is Prometheus 3's OTLP path).
#pragma once

#include <array>
#include <string_view>

#include "absl/status/statusor.h"
#include "common/model/tenant.h"

namespace strata::insert {

enum class IngestEndpoint {
  kRemoteWrite,
  kImportJsonLines,
  kImportPrometheus,
  kImportCsv,
  kInfluxWrite,
  kInfluxQuery,
  kInfluxPing,
  kOtlpMetrics,
};

struct IngestRoute {
  TenantId tenant;
  IngestEndpoint endpoint = IngestEndpoint::kRemoteWrite;
};

// The exact paths served for tenant 0:0 (besides the /insert/ prefix).
inline constexpr std::array<std::string_view, 15> kTenantZeroIngestPaths = {
    "/api/v1/write",       "/api/v1/import",    "/api/v1/import/prometheus", "/api/v1/import/csv",
    "/write",              "/influx/write",     "/api/v2/write",             "/influx/api/v2/write",
    "/query",              "/influx/query",     "/ping",                     "/influx/ping",
    "/influx/health",      "/opentelemetry/v1/metrics", "/otlp/v1/metrics"};

// NotFound for a path that is no ingest URL, InvalidArgument for a bad tenant.
absl::StatusOr<IngestRoute> ResolveIngestPath(std::string_view path);

}  // namespace strata::insert
