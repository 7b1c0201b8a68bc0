#include "insert/server/insert_service.h"

#include <utility>

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
      router_(std::move(storage_nodes), ToRouterOptions(options_), registry),
      remote_write_(&router_, RemoteWriteHandlerOptions{.max_request_bytes = options_.max_request_bytes}, registry),
      otlp_(&router_, OtlpHandlerOptions{}, registry) {}

InsertService::~InsertService() { router_.Drain(); }

void InsertService::RegisterRoutes(HttpMux& mux) {
  auto handler = [this](HttpRequest&& request, HttpResponder respond) {
    if (OtlpHandler::IsOtlpPath(request.path)) return otlp_.Handle(std::move(request), std::move(respond));
    remote_write_.Handle(std::move(request), std::move(respond));
  };
  mux.HandlePrefix("/insert/", handler);
  mux.HandleExact("/api/v1/write", handler);
  mux.HandleExact("/opentelemetry/v1/metrics", handler);
  mux.HandleExact("/otlp/v1/metrics", handler);
}

}  // namespace strata::insert
