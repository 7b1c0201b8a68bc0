#include "select/server/select_service.h"

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include <fmt/format.h>

#include "common/base/clock.h"
#include "common/base/status.h"
#include "select/api/delete_api.h"
#include "select/api/format_api.h"
#include "select/fanout/fanout_delete.h"
#include "select/fanout/fanout_querier.h"

namespace strata::select {
namespace {

constexpr std::string_view kApiPrefix = "/api/v1/";
constexpr std::string_view kSelectPrefix = "/select/";
constexpr std::string_view kDeletePrefix = "/delete/";
// Prometheus's path, served for tenant 0:0.
constexpr std::string_view kDeleteSeriesPath = "/api/v1/admin/tsdb/delete_series";
// What follows /delete/<tenant> on VictoriaMetrics cluster's path.
constexpr std::string_view kDeleteSeriesSuffix = "/prometheus/api/v1/admin/tsdb/delete_series";
// Prometheus's federation path (not under /api/v1/), and its endpoint name
// in Handle.
constexpr std::string_view kFederatePath = "/federate";
constexpr std::string_view kFederateEndpoint = "federate";

HttpResponse MethodNotAllowed() {
  HttpResponse r = HttpResponse::Text(405, "method not allowed\n");
  r.headers.emplace_back("Allow", "GET, POST");
  return r;
}

// The endpoints served by SelectService::HandleInfo, each under /api/v1/.
constexpr std::string_view kInfoEndpoints[] = {
    "status/buildinfo", "status/runtimeinfo", "status/flags", "status/config", "format_query",
    "parse_query",      "rules",              "alerts",       "metadata",      "query_exemplars",
};

promql::ParseOptions ParseOptionsOf(const SelectServiceOptions& o) {
  promql::ParseOptions p;
  p.experimental_functions = o.experimental_functions;
  return p;
}

StatusApiOptions MakeStatusApiOptions(const SelectServiceOptions& o, const std::vector<StorageApi*>& nodes) {
  StatusApiOptions s;
  s.storage_nodes = nodes;
  s.timeout = o.query_timeout;
  s.flags = o.flags;
  s.parse_options = ParseOptionsOf(o);
  s.vmalert_proxy_url = o.vmalert_proxy_url;
  return s;
}

promql::EngineOptions MakeEngineOptions(const SelectServiceOptions& o) {
  promql::EngineOptions e;
  e.lookback_delta_ms = o.lookback.count();
  e.max_samples = o.max_samples;
  e.max_points_per_series = o.max_points_per_series;
  e.timeout = o.query_timeout;
  e.experimental_functions = o.experimental_functions;
  e.delayed_name_removal = o.delayed_name_removal;
  return e;
}

}  // namespace

struct SelectService::Metrics {
  explicit Metrics(prometheus::Registry& registry)
      : requests(prometheus::BuildCounter()
                     .Name("strata_select_requests_total")
                     .Help("Query API requests by path and result (success or Prometheus errorType).")
                     .Register(registry)),
        duration(prometheus::BuildHistogram()
                     .Name("strata_select_query_duration_seconds")
                     .Help("Time to answer a query API request.")
                     .Register(registry)),
        rejected(prometheus::BuildCounter()
                     .Name("strata_select_queries_rejected_total")
                     .Help("Queries refused because -search.maxConcurrentRequests were running for "
                           "-search.maxQueueDuration.")
                     .Register(registry)
                     .Add({})) {}

  void Observe(std::string_view path, std::string_view result, double seconds) {
    requests.Add({{"path", std::string(path)}, {"result", std::string(result)}}).Increment();
    duration
        .Add({{"path", std::string(path)}},
             prometheus::Histogram::BucketBoundaries{0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30, 60, 120})
        .Observe(seconds);
  }

  prometheus::Family<prometheus::Counter>& requests;
  prometheus::Family<prometheus::Histogram>& duration;
  prometheus::Counter& rejected;
};

SelectService::SelectService(SelectServiceOptions options, std::vector<StorageApi*> storage_nodes,
                             prometheus::Registry* registry)
    : options_(options),
      storage_nodes_(std::move(storage_nodes)),
      engine_(MakeEngineOptions(options_)),
      api_(&engine_,
           [this](const TenantId& tenant, std::chrono::steady_clock::time_point deadline) {
             return MakeQuerier(tenant, deadline);
           },
           [] { return NowUnixMillis(); }),
      labels_api_(storage_nodes_, LabelsApiOptions{options_.replication_factor, options_.query_timeout,
                                                   static_cast<uint64_t>(std::max<int64_t>(0, options_.max_series)),
                                                   options_.deny_partial_response}),
      export_api_(
          [this](const TenantId& tenant, std::chrono::steady_clock::time_point deadline) {
            return MakeQuerier(tenant, deadline);
          },
          [] { return NowUnixMillis(); }, ExportApiOptions{options_.lookback, options_.query_timeout}),
      tsdb_status_api_(storage_nodes_, options_.replication_factor, options_.query_timeout),
      status_api_(MakeStatusApiOptions(options_, storage_nodes_)),
      limiter_(options_.max_concurrent_queries, options_.max_queue_duration) {
  if (registry != nullptr) metrics_ = std::make_unique<Metrics>(*registry);
}

SelectService::~SelectService() = default;

std::unique_ptr<promql::Querier> SelectService::MakeQuerier(const TenantId& tenant,
                                                            std::chrono::steady_clock::time_point deadline) const {
  FanoutOptions fo;
  fo.tenant = tenant;
  fo.replication_factor = options_.replication_factor;
  fo.deadline = deadline;
  fo.max_series = static_cast<uint64_t>(std::max<int64_t>(0, options_.max_series));
  fo.deny_partial = options_.deny_partial_response;
  fo.dedup_interval_ms = options_.dedup_min_scrape_interval.count();
  return std::make_unique<FanoutQuerier>(storage_nodes_, fo);
}

std::string_view SelectService::ReadMetricsPath(std::string_view endpoint) {
  if (endpoint == "query") return "/api/v1/query";
  if (endpoint == "query_range") return "/api/v1/query_range";
  if (endpoint == "export") return "/api/v1/export";
  if (endpoint == "export/csv") return "/api/v1/export/csv";
  if (endpoint == kFederateEndpoint) return "/federate";
  if (endpoint == "status/tsdb") return "/api/v1/status/tsdb";
  return LabelsApi::MetricsPath(endpoint);
}

ApiOutcome SelectService::HandleRead(std::string_view endpoint, const HttpRequest& request, const TenantId& tenant,
                                     std::chrono::nanoseconds queue_wait) {
  if (endpoint == "query") return api_.Query(request, tenant, queue_wait);
  if (endpoint == "query_range") return api_.QueryRange(request, tenant, queue_wait);
  if (endpoint == "export") return export_api_.Export(request, tenant);
  if (endpoint == "export/csv") return export_api_.ExportCsv(request, tenant);
  if (endpoint == kFederateEndpoint) return export_api_.Federate(request, tenant);
  if (endpoint == "status/tsdb") return tsdb_status_api_.Handle(request, tenant);
  return labels_api_.Handle(request, endpoint, tenant);
}

void SelectService::RegisterRoutes(HttpMux& mux) {
  auto handler = [this](HttpRequest&& request, HttpResponder respond) { respond(Handle(request)); };
  mux.HandleExact("/api/v1/query", handler);
  mux.HandleExact("/api/v1/query_range", handler);
  mux.HandleExact("/api/v1/series", handler);
  mux.HandleExact("/api/v1/labels", handler);
  mux.HandlePrefix("/api/v1/label/", handler);
  mux.HandleExact("/api/v1/export", handler);
  mux.HandleExact("/api/v1/export/csv", handler);
  mux.HandleExact(std::string(kFederatePath), handler);
  mux.HandleExact("/api/v1/status/tsdb", handler);
  for (std::string_view endpoint : kInfoEndpoints) mux.HandleExact(fmt::format("{}{}", kApiPrefix, endpoint), handler);
  mux.HandlePrefix(std::string(kSelectPrefix), handler);
  mux.HandleExact(std::string(kDeleteSeriesPath), handler);
  mux.HandlePrefix(std::string(kDeletePrefix), handler);
}

HttpResponse SelectService::HandleDeleteSeries(const HttpRequest& request) {
  const auto started = std::chrono::steady_clock::now();
  TenantId tenant;
  if (request.path != kDeleteSeriesPath) {
    // /delete/<accountID>[:<projectID>]/prometheus/api/v1/admin/tsdb/delete_series
    std::string_view rest = std::string_view(request.path).substr(kDeletePrefix.size());
    const size_t slash = rest.find('/');
    if (slash == std::string_view::npos || rest.substr(slash) != kDeleteSeriesSuffix) {
      return ErrorOutcome(absl::NotFoundError(fmt::format("unsupported path requested: {}", request.path))).response;
    }
    auto parsed = TenantId::Parse(rest.substr(0, slash));
    if (!parsed.ok()) return ErrorOutcome(parsed.status()).response;
    tenant = *parsed;
  }
  if (request.method != "GET" && request.method != "POST") return MethodNotAllowed();
  const auto deadline = std::chrono::steady_clock::now() + options_.query_timeout;
  ApiOutcome outcome = DeleteSeries(
      request, tenant, [this, deadline](const TenantId& t, const std::vector<std::vector<Matcher>>& selectors) {
        return DeleteSeriesOnAllNodes(storage_nodes_, t, selectors, deadline);
      });
  if (metrics_ != nullptr) {
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    metrics_->Observe(kDeleteSeriesPath, outcome.result, seconds);
  }
  return std::move(outcome.response);
}

std::optional<ApiOutcome> SelectService::HandleInfo(std::string_view endpoint, const HttpRequest& request,
                                                    TenantId tenant) const {
  if (endpoint == "status/buildinfo") return status_api_.BuildInfo();
  if (endpoint == "status/runtimeinfo") return status_api_.RuntimeInfo();
  if (endpoint == "status/flags") return status_api_.Flags();
  if (endpoint == "status/config") return status_api_.Config();
  if (endpoint == "rules") return status_api_.Rules(request);
  if (endpoint == "alerts") return status_api_.Alerts(request);
  if (endpoint == "metadata") return status_api_.Metadata(request, tenant);
  if (endpoint == "query_exemplars") return status_api_.QueryExemplars(request, tenant);
  if (endpoint == "format_query") return FormatQuery(request, ParseOptionsOf(options_));
  if (endpoint == "parse_query") return ParseQuery(request, ParseOptionsOf(options_));
  return std::nullopt;
}

HttpResponse SelectService::Handle(const HttpRequest& request) {
  const auto started = std::chrono::steady_clock::now();
  TenantId tenant;
  if (request.path == kDeleteSeriesPath || request.path.starts_with(kDeletePrefix)) {
    return HandleDeleteSeries(request);
  }
  std::string_view api_path = request.path;  // what follows /api/v1/
  if (api_path.starts_with(kSelectPrefix)) {
    // /select/<tenant>/prometheus/api/v1/<endpoint>
    std::string_view rest = api_path.substr(kSelectPrefix.size());
    const size_t slash = rest.find('/');
    auto parsed = TenantId::Parse(rest.substr(0, slash));
    if (!parsed.ok()) return ErrorOutcome(parsed.status()).response;
    tenant = *parsed;
    rest = slash == std::string_view::npos ? std::string_view() : rest.substr(slash);
    constexpr std::string_view kPrometheus = "/prometheus";
    if (!rest.starts_with(kPrometheus)) {
      return ErrorOutcome(absl::NotFoundError(fmt::format("unsupported path requested: {}", request.path))).response;
    }
    api_path = rest.substr(kPrometheus.size());
  }
  std::string_view endpoint;
  if (api_path == kFederatePath) {
    endpoint = kFederateEndpoint;
  } else if (api_path.starts_with(kApiPrefix)) {
    endpoint = api_path.substr(kApiPrefix.size());
  } else {
    return ErrorOutcome(absl::NotFoundError(fmt::format("unsupported path requested: {}", request.path))).response;
  }
  if (request.method != "GET" && request.method != "POST") return MethodNotAllowed();
  if (std::optional<ApiOutcome> info = HandleInfo(endpoint, request, tenant)) {
    if (metrics_ != nullptr) {
      const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
      metrics_->Observe(fmt::format("{}{}", kApiPrefix, endpoint), info->result, seconds);
    }
    return std::move(info->response);
  }
  const std::string_view metrics_path = ReadMetricsPath(endpoint);
  if (metrics_path.empty()) {
    return ErrorOutcome(absl::NotFoundError(fmt::format("unsupported path requested: {}", request.path))).response;
  }
  const auto queued = std::chrono::steady_clock::now();
  ConcurrencySlot slot(limiter_);
  const auto queue_wait = std::chrono::steady_clock::now() - queued;
  if (!slot.acquired()) {
    if (metrics_ != nullptr) metrics_->rejected.Increment();
    return ErrorOutcome(absl::UnavailableError(fmt::format(
                            "cannot handle more than {} concurrent queries during {}ms; lower the query load, or "
                            "raise -search.maxConcurrentRequests or -search.maxQueueDuration",
                            limiter_.limit(), limiter_.max_wait().count())))
        .response;
  }
  ApiOutcome outcome = HandleRead(endpoint, request, tenant, queue_wait);
  if (metrics_ != nullptr) {
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    metrics_->Observe(metrics_path, outcome.result, seconds);
  }
  return std::move(outcome.response);
}

}  // namespace strata::select
