// The metadata endpoints (/api/v1/series, /api/v1/labels,
// /api/v1/label/<name>/values) through SelectService's routing.
#include <prometheus/registry.h>
#include <prometheus/text_serializer.h>

#include <catch2/catch.hpp>

#include "select/server/select_service.h"
#include "unit/select/labels_test_node.h"

namespace strata::select {
namespace {

using testing::LabelsTestNode;

HttpRequest Get(std::string path, std::string query = "") {
  HttpRequest r;
  r.method = "GET";
  r.path = std::move(path);
  r.query = std::move(query);
  return r;
}

TEST_CASE("select service serves series and labels for tenant 0 and under /select/<tenant>", "[select][service]") {
  LabelsTestNode a("a:8401");
  a.Add({{"__name__", "up"}, {"job", "zero"}});
  a.Add({{"__name__", "up"}, {"job", "three"}}, 1000, TenantId{3, 4});
  prometheus::Registry registry;
  SelectService service(SelectServiceOptions{}, {&a}, &registry);

  HttpResponse r = service.Handle(Get("/api/v1/series", "match[]=up"));
  CHECK(r.status == 200);
  CHECK(r.body == R"({"status":"success","data":[{"__name__":"up","job":"zero"}]})");
  r = service.Handle(Get("/select/3:4/prometheus/api/v1/series", "match[]=up"));
  CHECK(r.body == R"({"status":"success","data":[{"__name__":"up","job":"three"}]})");
  r = service.Handle(Get("/select/3:4/prometheus/api/v1/labels"));
  CHECK(r.body == R"({"status":"success","data":["__name__","job"]})");
  r = service.Handle(Get("/select/3:4/prometheus/api/v1/label/job/values"));
  CHECK(r.body == R"({"status":"success","data":["three"]})");
  r = service.Handle(Get("/api/v1/label/job/values"));
  CHECK(r.body == R"({"status":"success","data":["zero"]})");
  r = service.Handle(Get("/api/v1/series"));
  CHECK(r.status == 400);

  HttpMux mux;
  service.RegisterRoutes(mux);
  CHECK(mux.Find("/api/v1/series") != nullptr);
  CHECK(mux.Find("/api/v1/labels") != nullptr);
  CHECK(mux.Find("/api/v1/label/job/values") != nullptr);

  const std::string metrics = prometheus::TextSerializer().Serialize(registry.Collect());
  CHECK(metrics.find(R"(strata_select_requests_total{path="/api/v1/series",result="success"} 2)") !=
        std::string::npos);
  CHECK(metrics.find(R"(strata_select_requests_total{path="/api/v1/series",result="bad_data"} 1)") !=
        std::string::npos);
  CHECK(metrics.find(R"(strata_select_requests_total{path="/api/v1/label/values",result="success"} 2)") !=
        std::string::npos);
}

}  // namespace
}  // namespace strata::select
