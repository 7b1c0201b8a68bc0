// The informational endpoints of the select service (status/*, rules,
// alerts, metadata, query_exemplars, format_query, parse_query) and the
// `stats` parameter, through the service's routes.
#include <catch2/catch.hpp>

#include "common/chunkenc/xor_chunk.h"
#include "select/server/select_service.h"

namespace strata::select {
namespace {

// One storage node holding `up{job="a"}` for tenant 0:0 at 1s, 2s, 3s.
class OneSeriesNode : public StorageApi {
 public:
  OneSeriesNode() {
    XorAppender app;
    for (int64_t t = 1000; t <= 3000; t += 1000) app.Append(t, 1);
    ChunkData c;
    c.min_time_ms = app.min_time();
    c.max_time_ms = app.max_time();
    c.data = app.Finish();
    series_ = SeriesChunks{Labels::FromUnsorted({{"__name__", "up"}, {"job", "a"}}), {c}};
  }
  void Write(const RequestContext&, std::shared_ptr<const std::string>, WriteCallback done) override {
    done(absl::UnimplementedError("write"));
  }
  void Search(const RequestContext&, SearchRequest request, SearchCallback done) override {
    SearchResult r;
    bool match = request.tenant == TenantId{};
    for (const Matcher& m : request.matchers) match = match && m.Matches(series_.labels.Get(m.name()));
    if (match) r.series.push_back(series_);
    done(std::move(r));
  }
  void DeleteSeries(const RequestContext&, TenantId, std::vector<Matcher>, DeleteCallback done) override {
    done(uint64_t{0});
  }
  std::string Name() const override { return "one"; }

 private:
  SeriesChunks series_;
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
  (*h)(std::move(r), [&](HttpResponse resp) { out = std::move(resp); });
  return out;
}

struct Fixture {
  Fixture() : service(MakeOptions(), {&node}, nullptr) { service.RegisterRoutes(mux); }
  static SelectServiceOptions MakeOptions() {
    SelectServiceOptions o;
    o.flags = {{"search.maxQueryDuration", "2m"}};
    return o;
  }
  OneSeriesNode node;
  SelectService service;
  HttpMux mux;
};

TEST_CASE("grafana's datasource probes get the answers of a Prometheus it fully supports",
          "[select][service][grafana][unit]") {
  Fixture f;
  // Health check: instant query 1+1 at time=4 (form POST).
  HttpResponse r = Serve(f.mux, "POST", "/api/v1/query", "", "query=1%2B1&time=4");
  CHECK(r.status == 200);
  CHECK(r.body == R"({"status":"success","data":{"resultType":"scalar","result":[4,"2"]}})");
  // Heuristics: a Prometheus version (no Mimir "features").
  r = Serve(f.mux, "GET", "/api/v1/status/buildinfo", "");
  CHECK(r.status == 200);
  CHECK(r.body.starts_with(R"({"status":"success","data":{"version":"3.)"));
  CHECK(r.body.find("features") == std::string::npos);
  // init(): the exemplar probe (start/end in milliseconds) must succeed,
  // rules load as empty groups, metadata as an empty map.
  r = Serve(f.mux, "GET", "/api/v1/query_exemplars", "query=test&start=1700000000000&end=1700001800000");
  CHECK(r.status == 200);
  CHECK(r.body == R"({"status":"success","data":[]})");
  r = Serve(f.mux, "GET", "/api/v1/rules", "");
  CHECK(r.body == R"({"status":"success","data":{"groups":[]}})");
  r = Serve(f.mux, "GET", "/api/v1/metadata", "limit=10");
  CHECK(r.body == R"({"status":"success","data":{}})");
  r = Serve(f.mux, "GET", "/api/v1/alerts", "");
  CHECK(r.body == R"({"status":"success","data":{"alerts":[]}})");
}

TEST_CASE("the informational endpoints answer under every tenant's prefix", "[select][service][unit]") {
  Fixture f;
  for (const char* prefix : {"/api/v1/", "/select/0/prometheus/api/v1/", "/select/7:3/prometheus/api/v1/"}) {
    INFO(prefix);
    const std::string p = prefix;
    CHECK(Serve(f.mux, "GET", p + "status/buildinfo", "").status == 200);
    CHECK(Serve(f.mux, "GET", p + "status/runtimeinfo", "").status == 200);
    CHECK(Serve(f.mux, "GET", p + "status/flags", "").body ==
          R"({"status":"success","data":{"search.maxQueryDuration":"2m"}})");
    CHECK(Serve(f.mux, "GET", p + "status/config", "").body.starts_with(R"({"status":"success","data":{"yaml":)"));
    CHECK(Serve(f.mux, "POST", p + "format_query", "", "query=sum(x)by(a)").body ==
          R"j({"status":"success","data":"sum by (a) (x)"})j");
    CHECK(Serve(f.mux, "GET", p + "parse_query", "query=1").body ==
          R"({"status":"success","data":{"type":"numberLiteral","val":"1"}})");
  }
  CHECK(Serve(f.mux, "DELETE", "/api/v1/status/buildinfo", "").status == 405);
  CHECK(Serve(f.mux, "GET", "/select/0/prometheus/api/v1/status/nothing", "").status == 404);
}

TEST_CASE("query_range with stats answers Prometheus's stats object", "[select][service][stats][unit]") {
  Fixture f;
  HttpResponse r = Serve(f.mux, "GET", "/api/v1/query_range", "query=up&start=1&end=3&step=1&stats=all");
  CHECK(r.status == 200);
  const std::string result =
      R"({"status":"success","data":{"resultType":"matrix","result":[{"metric":{"__name__":"up","job":"a"},)"
      R"("values":[[1,"1"],[2,"1"],[3,"1"]]}],"stats":{"timings":{"evalTotalTime":)";
  CHECK(r.body.starts_with(result));
  size_t last = 0;
  for (const char* key : {"\"resultSortTime\":0,", "\"queryPreparationTime\":", "\"innerEvalTime\":",
                          "\"execQueueTime\":", "\"execTotalTime\":", "},\"samples\":{\"totalQueryableSamples\":",
                          ",\"peakSamples\":3}}}}"}) {
    INFO(key);
    const size_t at = r.body.find(key);
    REQUIRE(at != std::string::npos);
    CHECK(at > last);
    last = at;
  }
  // Without the parameter the answer is exactly as before.
  r = Serve(f.mux, "GET", "/api/v1/query_range", "query=up&start=1&end=3&step=1");
  CHECK(r.body.find("stats") == std::string::npos);
  r = Serve(f.mux, "GET", "/api/v1/query", "query=up&time=2&stats=true");
  CHECK(r.body.find(R"("stats":{"timings":{)") != std::string::npos);
}

TEST_CASE("stats timings are seconds written as Prometheus writes floats", "[select][service][stats][unit]") {
  using std::chrono::nanoseconds;
  promql::QueryResult scalar;
  scalar.type = promql::ValueType::kScalar;
  scalar.total_samples = 7;
  // As Prometheus 2.42 answered: 5.5e-07 below a microsecond, plain digits
  // above; an instant scalar holds one sample.
  CHECK(QueryStatsJson(scalar, nanoseconds(13055), nanoseconds(550), nanoseconds(84387)) ==
        R"({"timings":{"evalTotalTime":0.000084937,"resultSortTime":0,"queryPreparationTime":5.5e-07,)"
        R"("innerEvalTime":0.000084387,"execQueueTime":0.000013055,"execTotalTime":0.000097992},)"
        R"("samples":{"totalQueryableSamples":7,"peakSamples":1}})");
}

}  // namespace
}  // namespace strata::select
