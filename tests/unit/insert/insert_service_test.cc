#include "insert/server/insert_service.h"

#include <optional>
#include <string>

#include <catch2/catch.hpp>
#include <prometheus/registry.h>

#include "common/prompb/remote_write_decoder.h"
#include "common/prompb/remote_write_encoder.h"
#include "unit/insert/fake_storage.h"
#include "unit/insert/handler_harness.h"

namespace strata::insert {
namespace {

using testing::FakeCluster;
using testing::MetricValue;

HttpResponse Serve(const HttpMux& mux, const std::string& path, std::string body) {
  const HttpHandler* handler = mux.Find(path);
  REQUIRE(handler != nullptr);
  HttpRequest request;
  request.method = "POST";
  request.path = path;
  request.body = std::move(body);
  std::optional<HttpResponse> response;
  (*handler)(std::move(request), [&](HttpResponse r) { response = std::move(r); });
  REQUIRE(response.has_value());
  return *response;
}

TEST_CASE("insert service serves remote_write on its routes and exports metrics", "[insert][service]") {
  FakeCluster cluster(3);
  prometheus::Registry registry;
  InsertServiceOptions options;
  options.replication_factor = 2;
  InsertService service(options, cluster.apis(), &registry);
  HttpMux mux;
  service.RegisterRoutes(mux);

  std::string request, body;
  std::vector<LabelView> labels = {{"__name__", "up"}, {"job", "node"}};
  std::vector<Sample> samples = {{1000, 1.0}, {2000, 1.0}, {3000, 0.0}};
  AppendWriteRequestSeries(labels, samples, &request);
  std::vector<LabelView> bad = {{"job", "no-name"}};
  SnappyCompress(request, &body);

  CHECK(Serve(mux, "/insert/1:2/prometheus/api/v1/write", body).status == 204);
  CHECK(Serve(mux, "/api/v1/write", body).status == 204);
  AppendWriteRequestSeries(bad, samples, &request);
  SnappyCompress(request, &body);
  CHECK(Serve(mux, "/api/v1/write", body).status == 400);
  CHECK(mux.Find("/select/0/prometheus/api/v1/query") == nullptr);

  size_t stored_samples = 0;
  for (auto& n : cluster.nodes) {
    for (const auto& [key, s] : n->Contents().series) stored_samples += s.size();
  }
  CHECK(stored_samples == 3 * 3 * 2);  // three requests of 3 valid samples, two copies each

  CHECK(MetricValue(registry, "strata_insert_requests_total", {{"protocol", "promremotewrite"}, {"result", "ok"}}) ==
        2);
  CHECK(MetricValue(registry, "strata_insert_requests_total",
                    {{"protocol", "promremotewrite"}, {"result", "bad_request"}}) == 1);
  CHECK(MetricValue(registry, "strata_insert_samples_total", {}) == 9);
  CHECK(MetricValue(registry, "strata_insert_series_rejected_total", {{"reason", "missing_metric_name"}}) == 1);
  CHECK(MetricValue(registry, "strata_insert_inflight_bytes", {}) == 0);
  double node_ok = 0;
  for (auto& n : cluster.nodes) {
    node_ok += MetricValue(registry, "strata_insert_node_writes_total", {{"node", n->Name()}, {"result", "ok"}});
  }
  CHECK(node_ok >= 2);
}

}  // namespace
}  // namespace strata::insert
