#include "select/server/select_service.h"

#include <prometheus/registry.h>
#include <prometheus/text_serializer.h>

#include <catch2/catch.hpp>

#include "common/chunkenc/xor_chunk.h"

namespace strata::select {
namespace {

Labels L(std::vector<Label> l) { return Labels::FromUnsorted(std::move(l)); }

// A storage node holding series per tenant, answering synchronously.
class TenantNode : public StorageApi {
 public:
  TenantNode(std::string name, bool up) : name_(std::move(name)), up_(up) {}

  void Add(TenantId tenant, const Labels& labels, const std::vector<Sample>& samples) {
    XorAppender app;
    for (const Sample& s : samples) app.Append(s.timestamp_ms, s.value);
    ChunkData c;
    c.min_time_ms = app.min_time();
    c.max_time_ms = app.max_time();
    c.data = app.Finish();
    data_.push_back({tenant, SeriesChunks{labels, {c}}});
  }

  void Write(const RequestContext&, std::shared_ptr<const std::string>, WriteCallback done) override {
    done(absl::UnimplementedError("write"));
  }
  void Search(const RequestContext&, SearchRequest request, SearchCallback done) override {
    if (!up_) {
      done(absl::UnavailableError("connection refused"));
      return;
    }
    SearchResult r;
    for (const auto& [tenant, series] : data_) {
      if (tenant != request.tenant) continue;
      bool match = true;
      for (const Matcher& m : request.matchers) match &= m.Matches(series.labels.Get(m.name()));
      if (match) r.series.push_back(series);
    }
    done(std::move(r));
  }
  // Removes the tenant's matching series, like a storage node's delete.
  void DeleteSeries(const RequestContext&, TenantId tenant, std::vector<Matcher> matchers,
                    DeleteCallback done) override {
    ++delete_calls;
    if (!up_) {
      done(absl::UnavailableError("connection refused"));
      return;
    }
    const size_t before = data_.size();
    std::erase_if(data_, [&](const std::pair<TenantId, SeriesChunks>& d) {
      if (d.first != tenant) return false;
      for (const Matcher& m : matchers) {
        if (!m.Matches(d.second.labels.Get(m.name()))) return false;
      }
      return true;
    });
    done(uint64_t{before - data_.size()});
  }
  std::string Name() const override { return name_; }

  int delete_calls = 0;

 private:
  std::string name_;
  bool up_;
  std::vector<std::pair<TenantId, SeriesChunks>> data_;
};

HttpResponse Serve(HttpMux& mux, std::string method, std::string path, std::string query, std::string body = "") {
  HttpRequest r;
  r.method = std::move(method);
  r.path = std::move(path);
  r.query = std::move(query);
  r.body = std::move(body);
  if (!r.body.empty()) r.headers.emplace_back("content-type", "application/x-www-form-urlencoded");
  const HttpHandler* h = mux.Find(r.path);
  REQUIRE(h != nullptr);
  HttpResponse out;
  bool responded = false;
  (*h)(std::move(r), [&](HttpResponse resp) {
    out = std::move(resp);
    responded = true;
  });
  REQUIRE(responded);
  return out;
}

TEST_CASE("select service serves tenant 0 on /api/v1 and other tenants under /select", "[select][service]") {
  TenantNode a("a", true);
  TenantNode b("b", true);
  a.Add(TenantId{}, L({{"__name__", "up"}, {"t", "zero"}}), {{1000, 1}});
  b.Add(TenantId{}, L({{"__name__", "up"}, {"t", "zero"}}), {{1000, 1}});
  a.Add(TenantId{5, 0}, L({{"__name__", "up"}, {"t", "five"}}), {{1000, 5}});
  b.Add(TenantId{5, 2}, L({{"__name__", "up"}, {"t", "five-two"}}), {{1000, 52}});
  SelectServiceOptions options;
  options.replication_factor = 2;
  SelectService service(options, {&a, &b}, nullptr);
  HttpMux mux;
  service.RegisterRoutes(mux);

  HttpResponse r = Serve(mux, "GET", "/api/v1/query", "query=up&time=2");
  CHECK(r.status == 200);
  CHECK(r.body ==
        R"({"status":"success","data":{"resultType":"vector","result":[{"metric":{"__name__":"up","t":"zero"},"value":[2,"1"]}]}})");

  r = Serve(mux, "POST", "/select/5/prometheus/api/v1/query", "", "query=up&time=2");
  CHECK(r.status == 200);
  CHECK(r.body.find(R"("t":"five")") != std::string::npos);
  CHECK(r.body.find("zero") == std::string::npos);

  r = Serve(mux, "GET", "/select/5:2/prometheus/api/v1/query_range", "query=up&start=1&end=3&step=1");
  CHECK(r.status == 200);
  CHECK(r.body ==
        R"({"status":"success","data":{"resultType":"matrix","result":[{"metric":{"__name__":"up","t":"five-two"},"values":[[1,"52"],[2,"52"],[3,"52"]]}]}})");
}

TEST_CASE("select service marks answers partial when replication cannot cover failed nodes", "[select][service]") {
  TenantNode a("a", true);
  TenantNode dead("dead:8401", false);
  a.Add(TenantId{}, L({{"__name__", "up"}}), {{1000, 1}});
  SelectService service(SelectServiceOptions{}, {&a, &dead}, nullptr);
  HttpMux mux;
  service.RegisterRoutes(mux);
  HttpResponse r = Serve(mux, "GET", "/api/v1/query", "query=up&time=2");
  CHECK(r.status == 200);
  CHECK(r.body ==
        R"({"status":"success","isPartial":true,"data":{"resultType":"vector","result":[{"metric":{"__name__":"up"},"value":[2,"1"]}]},"warnings":["cannot fetch data from storage node dead:8401: connection refused"]})");
}

TEST_CASE("select service answers 503 unavailable when no storage node answers", "[select][service]") {
  TenantNode dead("dead", false);
  SelectService service(SelectServiceOptions{}, {&dead}, nullptr);
  HttpMux mux;
  service.RegisterRoutes(mux);
  HttpResponse r = Serve(mux, "GET", "/api/v1/query", "query=up");
  CHECK(r.status == 503);
  CHECK(r.body.find(R"("errorType":"unavailable")") != std::string::npos);
}

TEST_CASE("select service rejects bad tenants, unknown endpoints and methods", "[select][service]") {
  TenantNode a("a", true);
  SelectService service(SelectServiceOptions{}, {&a}, nullptr);
  HttpMux mux;
  service.RegisterRoutes(mux);
  HttpResponse r = Serve(mux, "GET", "/select/abc/prometheus/api/v1/query", "query=up");
  CHECK(r.status == 400);
  CHECK(r.body.find(R"("errorType":"bad_data")") != std::string::npos);
  r = Serve(mux, "GET", "/select/1/prometheus/api/v1/nope", "");
  CHECK(r.status == 404);
  r = Serve(mux, "GET", "/select/1/graphite/render", "");
  CHECK(r.status == 404);
  r = Serve(mux, "DELETE", "/api/v1/query", "query=up");
  CHECK(r.status == 405);
}

TEST_CASE("select service counts requests by path and result", "[select][service]") {
  TenantNode a("a", true);
  prometheus::Registry registry;
  SelectService service(SelectServiceOptions{}, {&a}, &registry);
  HttpMux mux;
  service.RegisterRoutes(mux);
  Serve(mux, "GET", "/api/v1/query", "query=1");
  Serve(mux, "GET", "/api/v1/query", "query=foo%7B");
  const std::string text = prometheus::TextSerializer().Serialize(registry.Collect());
  CHECK(text.find(R"(strata_select_requests_total{path="/api/v1/query",result="success"} 1)") != std::string::npos);
  CHECK(text.find(R"(strata_select_requests_total{path="/api/v1/query",result="bad_data"} 1)") != std::string::npos);
  CHECK(text.find("strata_select_query_duration_seconds_count") != std::string::npos);
}

TEST_CASE("select service applies its lookback and limits", "[select][service]") {
  TenantNode a("a", true);
  a.Add(TenantId{}, L({{"__name__", "up"}}), {{0, 1}});
  SelectServiceOptions options;
  options.lookback = std::chrono::seconds(10);
  options.max_points_per_series = 10;
  SelectService service(options, {&a}, nullptr);
  HttpMux mux;
  service.RegisterRoutes(mux);
  CHECK(Serve(mux, "GET", "/api/v1/query", "query=up&time=9.999").body.find(R"("value":[9.999,"1"])") !=
        std::string::npos);
  CHECK(Serve(mux, "GET", "/api/v1/query", "query=up&time=10").body.find(R"("result":[])") != std::string::npos);
  HttpResponse r = Serve(mux, "GET", "/api/v1/query_range", "query=up&start=0&end=11&step=1");
  CHECK(r.status == 400);
  CHECK(r.body.find("exceeded maximum resolution of 10 points per timeseries") != std::string::npos);
}

TEST_CASE("select service deletes series on every node for tenant 0 and for /delete/<tenant>", "[select][service]") {
  TenantNode a("a", true);
  TenantNode b("b", true);
  for (TenantNode* n : {&a, &b}) {
    n->Add(TenantId{}, L({{"__name__", "up"}, {"job", "x"}}), {{1000, 1}});
    n->Add(TenantId{}, L({{"__name__", "keep"}}), {{1000, 2}});
    n->Add(TenantId{5, 2}, L({{"__name__", "up"}, {"job", "x"}}), {{1000, 52}});
  }
  SelectServiceOptions options;
  options.replication_factor = 2;
  prometheus::Registry registry;
  SelectService service(options, {&a, &b}, &registry);
  HttpMux mux;
  service.RegisterRoutes(mux);

  HttpResponse r = Serve(mux, "POST", "/api/v1/admin/tsdb/delete_series", "", "match%5B%5D=up%7Bjob%3D%22x%22%7D");
  CHECK(r.status == 204);
  CHECK(a.delete_calls == 1);
  CHECK(b.delete_calls == 1);
  CHECK(Serve(mux, "GET", "/api/v1/query", "query=up&time=2").body.find(R"("result":[])") != std::string::npos);
  CHECK(Serve(mux, "GET", "/api/v1/query", "query=keep&time=2").body.find(R"("value":[2,"2"])") !=
        std::string::npos);
  // Other tenants keep their series.
  CHECK(Serve(mux, "GET", "/select/5:2/prometheus/api/v1/query", "query=up&time=2").body.find("52") !=
        std::string::npos);

  r = Serve(mux, "GET", "/delete/5:2/prometheus/api/v1/admin/tsdb/delete_series", "match[]=up");
  CHECK(r.status == 204);
  CHECK(Serve(mux, "GET", "/select/5:2/prometheus/api/v1/query", "query=up&time=2").body.find(R"("result":[])") !=
        std::string::npos);

  const std::string text = prometheus::TextSerializer().Serialize(registry.Collect());
  CHECK(text.find(R"(strata_select_requests_total{path="/api/v1/admin/tsdb/delete_series",result="success"} 2)") !=
        std::string::npos);
}

TEST_CASE("select service delete_series rejects bad requests before reaching storage", "[select][service]") {
  TenantNode a("a", true);
  SelectService service(SelectServiceOptions{}, {&a}, nullptr);
  HttpMux mux;
  service.RegisterRoutes(mux);
  HttpResponse r = Serve(mux, "POST", "/api/v1/admin/tsdb/delete_series", "");
  CHECK(r.status == 400);
  CHECK(r.body == R"({"status":"error","errorType":"bad_data","error":"no match[] parameter provided"})");
  r = Serve(mux, "GET", "/delete/0/prometheus/api/v1/admin/tsdb/delete_series", "match[]=sum(up)");
  CHECK(r.status == 400);
  CHECK(r.body.find(R"("errorType":"bad_data")") != std::string::npos);
  r = Serve(mux, "GET", "/delete/x/prometheus/api/v1/admin/tsdb/delete_series", "match[]=up");
  CHECK(r.status == 400);
  r = Serve(mux, "GET", "/delete/0/prometheus/api/v1/query", "match[]=up");
  CHECK(r.status == 404);
  r = Serve(mux, "GET", "/delete/0", "match[]=up");
  CHECK(r.status == 404);
  r = Serve(mux, "DELETE", "/api/v1/admin/tsdb/delete_series", "match[]=up");
  CHECK(r.status == 405);
  CHECK(a.delete_calls == 0);
}

TEST_CASE("select service delete_series fails with the node's name when any node fails", "[select][service]") {
  TenantNode a("a", true);
  TenantNode dead("dead:8401", false);
  a.Add(TenantId{}, L({{"__name__", "up"}}), {{1000, 1}});
  SelectServiceOptions options;
  options.replication_factor = 2;
  SelectService service(options, {&a, &dead}, nullptr);
  HttpMux mux;
  service.RegisterRoutes(mux);
  HttpResponse r = Serve(mux, "GET", "/api/v1/admin/tsdb/delete_series", "match[]=up");
  CHECK(r.status == 503);
  CHECK(r.body.find(R"("errorType":"unavailable")") != std::string::npos);
  CHECK(r.body.find("delete_series failed on 1 of 2 storage nodes") != std::string::npos);
  CHECK(r.body.find("storage node dead:8401: connection refused") != std::string::npos);
  CHECK(dead.delete_calls == 1);
  // The healthy node was still asked: a retry finishes the job.
  CHECK(a.delete_calls == 1);
}

}  // namespace
}  // namespace strata::select
