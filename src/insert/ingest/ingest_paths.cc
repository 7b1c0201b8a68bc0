#include "insert/ingest/ingest_paths.h"

#include <optional>

#include <fmt/format.h>

#include "common/base/status.h"

namespace strata::insert {
namespace {

// The endpoint of a path below the tenant (or of a tenant-0 path).
std::optional<IngestEndpoint> EndpointOf(std::string_view suffix) {
  using E = IngestEndpoint;
  if (suffix == "/prometheus" || suffix == "/prometheus/" || suffix == "/prometheus/api/v1/write" ||
      suffix == "/prometheus/api/v1/push" || suffix == "/api/v1/write") {
    return E::kRemoteWrite;
  }
  if (suffix == "/prometheus/api/v1/import" || suffix == "/api/v1/import") return E::kImportJsonLines;
  if (suffix == "/prometheus/api/v1/import/prometheus" || suffix == "/api/v1/import/prometheus") {
    return E::kImportPrometheus;
  }
  if (suffix == "/prometheus/api/v1/import/csv" || suffix == "/api/v1/import/csv") return E::kImportCsv;
  if (suffix == "/influx/write" || suffix == "/influx/api/v2/write" || suffix == "/write" || suffix == "/api/v2/write") {
    return E::kInfluxWrite;
  }
  if (suffix == "/influx/query" || suffix == "/query") return E::kInfluxQuery;
  if (suffix == "/influx/ping" || suffix == "/ping" || suffix == "/influx/health") return E::kInfluxPing;
  if (suffix == "/opentelemetry/v1/metrics" || suffix == "/opentelemetry/api/v1/push" || suffix == "/otlp/v1/metrics") {
    return E::kOtlpMetrics;
  }
  return std::nullopt;
}

}  // namespace

absl::StatusOr<IngestRoute> ResolveIngestPath(std::string_view path) {
  constexpr std::string_view kInsert = "/insert/";
  if (path.substr(0, kInsert.size()) != kInsert) {
    std::optional<IngestEndpoint> e = EndpointOf(path);
    if (!e.has_value()) return absl::NotFoundError(fmt::format("unsupported path \"{}\"", path));
    return IngestRoute{TenantId{}, *e};
  }
  std::string_view rest = path.substr(kInsert.size());
  size_t slash = rest.find('/');
  std::string_view suffix = slash == std::string_view::npos ? std::string_view() : rest.substr(slash);
  // Below /insert/<tenant>/ only the cluster forms (prometheus/...,
  // influx/..., opentelemetry/...).
  std::optional<IngestEndpoint> e = suffix.starts_with("/prometheus") || suffix.starts_with("/influx/") ||
                                            suffix.starts_with("/opentelemetry/")
                                        ? EndpointOf(suffix)
                                        : std::nullopt;
  if (!e.has_value()) {
    return absl::NotFoundError(fmt::format(
        "unsupported path \"{}\": use /insert/<accountID>[:<projectID>]/prometheus/api/v1/write, "
        ".../prometheus/api/v1/import[/prometheus|/csv], .../influx/write or .../opentelemetry/v1/metrics",
        path));
  }
  STRATA_ASSIGN_OR_RETURN(TenantId tenant, TenantId::Parse(rest.substr(0, slash)));
  return IngestRoute{tenant, *e};
}

}  // namespace strata::insert
