#include "select/api/query_api.h"

#include <catch2/catch.hpp>

#include "select/promql/memory_querier.h"

namespace strata::select {
namespace {

Labels L(std::vector<Label> l) { return Labels::FromUnsorted(std::move(l)); }

// Forwards to a shared store and records which tenant the API asked for.
class ForwardingQuerier : public promql::Querier {
 public:
  explicit ForwardingQuerier(promql::MemoryQuerier* store) : store_(store) {}
  absl::StatusOr<promql::SeriesSet> Select(const promql::SelectHints& hints,
                                           std::span<const Matcher> matchers) override {
    return store_->Select(hints, matchers);
  }

 private:
  promql::MemoryQuerier* store_;
};

struct Fixture {
  Fixture() : api(&engine, MakeFactory(), [] { return int64_t{1'000'000}; }) {
    store.Add(L({{"__name__", "up"}, {"job", "x"}}), {{1435781451781 - 1000, 1}});
  }

  QuerierFactory MakeFactory() {
    return [this](const TenantId& tenant, std::chrono::steady_clock::time_point) {
      tenants.push_back(tenant);
      return std::make_unique<ForwardingQuerier>(&store);
    };
  }

  promql::MemoryQuerier store;
  promql::Engine engine;
  std::vector<TenantId> tenants;
  QueryApi api;
};

HttpRequest Get(std::string path, std::string query) {
  HttpRequest r;
  r.method = "GET";
  r.path = std::move(path);
  r.query = std::move(query);
  return r;
}

HttpRequest PostForm(std::string path, std::string body) {
  HttpRequest r;
  r.method = "POST";
  r.path = std::move(path);
  r.headers.emplace_back("content-type", "application/x-www-form-urlencoded");
  r.body = std::move(body);
  return r;
}

TEST_CASE("GET /api/v1/query answers an instant vector in Prometheus JSON", "[select][api][query]") {
  Fixture f;
  ApiOutcome out = f.api.Query(Get("/api/v1/query", "query=up&time=1435781451.781"), TenantId{});
  CHECK(out.response.status == 200);
  CHECK(out.response.content_type == "application/json");
  CHECK(out.result == "success");
  CHECK(out.response.body ==
        R"({"status":"success","data":{"resultType":"vector","result":[{"metric":{"__name__":"up","job":"x"},"value":[1435781451.781,"1"]}]}})");
  REQUIRE(f.tenants.size() == 1);
  CHECK(f.tenants[0] == TenantId{});
}

TEST_CASE("POST /api/v1/query reads a form-encoded body", "[select][api][query]") {
  Fixture f;
  ApiOutcome out = f.api.Query(PostForm("/api/v1/query", "query=1%2B1&time=10"), TenantId{3, 4});
  CHECK(out.response.status == 200);
  CHECK(out.response.body == R"({"status":"success","data":{"resultType":"scalar","result":[10,"2"]}})");
  CHECK(f.tenants.at(0) == TenantId{3, 4});
}

TEST_CASE("query without time evaluates at the API clock", "[select][api][query]") {
  Fixture f;
  ApiOutcome out = f.api.Query(Get("/api/v1/query", "query=42"), TenantId{});
  CHECK(out.response.body == R"({"status":"success","data":{"resultType":"scalar","result":[1000,"42"]}})");
}

TEST_CASE("query_range answers a matrix with one value per step", "[select][api][query]") {
  Fixture f;
  ApiOutcome out = f.api.QueryRange(
      Get("/api/v1/query_range", "query=up&start=1435781450.781&end=1435781480.781&step=15"), TenantId{});
  CHECK(out.response.status == 200);
  CHECK(out.response.body ==
        R"({"status":"success","data":{"resultType":"matrix","result":[{"metric":{"__name__":"up","job":"x"},"values":[[1435781450.781,"1"],[1435781465.781,"1"],[1435781480.781,"1"]]}]}})");
}

TEST_CASE("a parse error is a 400 bad_data naming the query parameter", "[select][api][query]") {
  Fixture f;
  ApiOutcome out = f.api.Query(Get("/api/v1/query", "query=foo%7B"), TenantId{});
  CHECK(out.response.status == 400);
  CHECK(out.result == "bad_data");
  CHECK(out.response.body ==
        R"({"status":"error","errorType":"bad_data","error":"invalid parameter \"query\": 1:5: parse error: unexpected end of input inside braces"})");
  out = f.api.Query(Get("/api/v1/query", ""), TenantId{});
  CHECK(out.response.status == 400);
  CHECK(out.response.body ==
        R"({"status":"error","errorType":"bad_data","error":"invalid parameter \"query\": 1:1: parse error: no expression found in input"})");
}

TEST_CASE("range parameter errors are 400 bad_data with Prometheus's messages", "[select][api][query]") {
  Fixture f;
  ApiOutcome out = f.api.QueryRange(Get("/api/v1/query_range", "query=up&start=10&end=0&step=1"), TenantId{});
  CHECK(out.response.status == 400);
  CHECK(out.response.body ==
        R"({"status":"error","errorType":"bad_data","error":"invalid parameter \"end\": end timestamp must not be before start time"})");
  out = f.api.QueryRange(Get("/api/v1/query_range", "query=up&start=0&end=100000&step=1"), TenantId{});
  CHECK(out.response.status == 400);
  CHECK(out.response.body.find("exceeded maximum resolution of 11,000 points per timeseries") != std::string::npos);
  out = f.api.QueryRange(Get("/api/v1/query_range", "query=up[5m]&start=0&end=10&step=1"), TenantId{});
  CHECK(out.response.status == 400);
  CHECK(out.response.body.find(R"(invalid parameter \"query\": invalid expression type \"range vector\")") !=
        std::string::npos);
}

TEST_CASE("malformed percent-encoding is a 400 bad_data", "[select][api][query]") {
  Fixture f;
  ApiOutcome out = f.api.Query(Get("/api/v1/query", "query=%zz"), TenantId{});
  CHECK(out.response.status == 400);
  CHECK(out.result == "bad_data");
}

TEST_CASE("too many samples is a 422 execution error", "[select][api][query]") {
  promql::MemoryQuerier store;
  for (int i = 0; i < 3; ++i) store.Add(L({{"__name__", "m"}, {"i", std::to_string(i)}}), {{0, 1}});
  promql::EngineOptions options;
  options.max_samples = 2;
  promql::Engine engine(options);
  QueryApi api(
      &engine,
      [&store](const TenantId&, std::chrono::steady_clock::time_point) {
        return std::make_unique<ForwardingQuerier>(&store);
      },
      [] { return int64_t{0}; });
  ApiOutcome out = api.Query(Get("/api/v1/query", "query=m&time=0"), TenantId{});
  CHECK(out.response.status == 422);
  CHECK(out.response.body ==
        R"({"status":"error","errorType":"execution","error":"query processing would load too many samples into memory in query execution"})");
}

}  // namespace
}  // namespace strata::select
