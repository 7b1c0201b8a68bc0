#include "insert/server/insert_service.h"

#include <string>
#include <utility>

#include "common/base/status.h"

namespace strata::insert {
namespace {

RouterOptions ToRouterOptions(const InsertServiceOptions& o) {
  RouterOptions r;
  r.replication_factor = o.replication_factor;
  r.write_timeout = o.write_timeout;
  r.max_inflight_bytes = o.max_inflight_bytes;
  r.virtual_nodes = o.virtual_nodes;
  return r;
}

}  // namespace

InsertService::InsertService(InsertServiceOptions options, std::vector<StorageApi*> storage_nodes,
                             prometheus::Registry* registry)
    : options_(options),
      limiter_(options_.limits),
      router_(std::move(storage_nodes), ToRouterOptions(options_), registry),
      remote_write_(&router_,
                    RemoteWriteHandlerOptions{.max_request_bytes = options_.max_request_bytes, .limiter = &limiter_},
                    registry),
      import_(&router_, ImportHandlerOptions{.retry_after_seconds = 1, .now_ms = {}, .limiter = &limiter_}, registry),
      otlp_(&router_, OtlpHandlerOptions{.limiter = &limiter_}, registry) {}

InsertService::~InsertService() { router_.Drain(); }

void InsertService::RegisterRoutes(HttpMux& mux) {
  auto handler = [this](HttpRequest&& request, HttpResponder respond) {
    absl::StatusOr<IngestRoute> route = ResolveIngestPath(request.path);
    if (!route.ok()) {
      int code = route.status().code() == absl::StatusCode::kNotFound ? 404 : 400;
      return respond(HttpResponse::Text(code, std::string(ToStd(route.status().message())) + "\n"));
    }
    if (route->endpoint == IngestEndpoint::kRemoteWrite) {
      return remote_write_.HandleWrite(route->tenant, std::move(request), std::move(respond));
    }
    if (route->endpoint == IngestEndpoint::kOtlpMetrics) {
      return otlp_.Handle(route->tenant, std::move(request), std::move(respond));
    }
    import_.Handle(route->tenant, route->endpoint, std::move(request), std::move(respond));
  };
  mux.HandlePrefix("/insert/", handler);
  for (std::string_view path : kTenantZeroIngestPaths) mux.HandleExact(std::string(path), handler);
}

}  // namespace strata::insert
