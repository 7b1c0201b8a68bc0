#include "select/api/delete_api.h"

#include <catch2/catch.hpp>

namespace strata::select {
namespace {

// Records what the handler asked to delete and answers `result`.
struct Recorder {
  SeriesDeleter Deleter() {
    return [this](const TenantId& tenant, const std::vector<std::vector<Matcher>>& selectors) {
      tenants.push_back(tenant);
      calls.push_back(selectors);
      return result;
    };
  }
  absl::StatusOr<uint64_t> result = uint64_t{2};
  std::vector<TenantId> tenants;
  std::vector<std::vector<std::vector<Matcher>>> calls;
};

HttpRequest Get(std::string query) {
  HttpRequest r;
  r.method = "GET";
  r.path = "/api/v1/admin/tsdb/delete_series";
  r.query = std::move(query);
  return r;
}

HttpRequest PostForm(std::string body) {
  HttpRequest r;
  r.method = "POST";
  r.path = "/api/v1/admin/tsdb/delete_series";
  r.body = std::move(body);
  r.headers.emplace_back("content-type", "application/x-www-form-urlencoded");
  return r;
}

TEST_CASE("delete_series deletes the union of match[] selectors and answers 204", "[select][api]") {
  Recorder rec;
  ApiOutcome out =
      DeleteSeries(Get("match[]=up&match[]=%7Bjob%3D~%22a%7Cb%22%2Cenv!%3D%22%22%7D"), TenantId{4, 2}, rec.Deleter());
  CHECK(out.response.status == 204);
  CHECK(out.response.body.empty());
  CHECK(out.result == "success");
  REQUIRE(rec.calls.size() == 1);
  CHECK(rec.tenants[0] == TenantId{4, 2});
  const auto& selectors = rec.calls[0];
  REQUIRE(selectors.size() == 2);
  REQUIRE(selectors[0].size() == 1);
  CHECK(selectors[0][0].ToString() == "__name__=\"up\"");
  REQUIRE(selectors[1].size() == 2);
  CHECK(selectors[1][0].ToString() == "job=~\"a|b\"");
  CHECK(selectors[1][1].ToString() == "env!=\"\"");
}

TEST_CASE("delete_series reads match[] from a form POST body", "[select][api]") {
  Recorder rec;
  ApiOutcome out = DeleteSeries(PostForm("match%5B%5D=node_load1%7Binstance%3D%22x%22%7D"), TenantId{}, rec.Deleter());
  CHECK(out.response.status == 204);
  REQUIRE(rec.calls.size() == 1);
  REQUIRE(rec.calls[0].size() == 1);
  CHECK(rec.calls[0][0].size() == 2);
}

TEST_CASE("delete_series refuses missing or bad match[] with 400 bad_data and deletes nothing", "[select][api]") {
  Recorder rec;
  ApiOutcome out = DeleteSeries(Get(""), TenantId{}, rec.Deleter());
  CHECK(out.response.status == 400);
  CHECK(out.response.body == R"({"status":"error","errorType":"bad_data","error":"no match[] parameter provided"})");

  out = DeleteSeries(Get("match[]=up%7B"), TenantId{}, rec.Deleter());
  CHECK(out.response.status == 400);
  CHECK(out.response.body.find(R"("error":"invalid parameter \"match[]\": 1:4: parse error)") != std::string::npos);

  // Expressions that are not plain series selectors.
  for (const char* q : {"match[]=rate(up%5B5m%5D)", "match[]=up%5B5m%5D", "match[]=up%20offset%205m", "match[]=1",
                        "match[]=up%20%2B%20up", "match[]=(up)"}) {
    INFO(q);
    out = DeleteSeries(Get(q), TenantId{}, rec.Deleter());
    CHECK(out.response.status == 400);
    CHECK(out.result == "bad_data");
  }
  out = DeleteSeries(Get("match[]=up%5B5m%5D"), TenantId{}, rec.Deleter());
  CHECK(out.response.body.find(R"(invalid parameter \"match[]\": 1:3: parse error: unexpected \"[\")") !=
        std::string::npos);

  // A selector that matches every series is refused.
  out = DeleteSeries(Get("match[]=%7Bjob%3D~%22.*%22%7D"), TenantId{}, rec.Deleter());
  CHECK(out.response.status == 400);
  CHECK(out.response.body.find("at least one non-empty matcher") != std::string::npos);

  // One bad selector among good ones: nothing is deleted.
  out = DeleteSeries(Get("match[]=up&match[]=%7B%7D"), TenantId{}, rec.Deleter());
  CHECK(out.response.status == 400);
  CHECK(rec.calls.empty());
}

TEST_CASE("delete_series accepts start/end only when they span all time", "[select][api]") {
  Recorder rec;
  CHECK(DeleteSeries(Get("match[]=up&start=0&end=9999-12-31T23:59:59Z"), TenantId{}, rec.Deleter()).response.status ==
        204);
  CHECK(DeleteSeries(Get("match[]=up&start=-292273086-05-16T16:47:06Z&end=292277025-08-18T07:12:54.999999999Z"),
                     TenantId{}, rec.Deleter())
            .response.status == 204);
  CHECK(DeleteSeries(Get("match[]=up&start=&end="), TenantId{}, rec.Deleter()).response.status == 204);
  CHECK(rec.calls.size() == 3);

  for (const char* q : {"match[]=up&start=1700000000", "match[]=up&end=1700000000",
                        "match[]=up&start=2024-01-01T00:00:00Z&end=2024-01-02T00:00:00Z"}) {
    INFO(q);
    ApiOutcome out = DeleteSeries(Get(q), TenantId{}, rec.Deleter());
    CHECK(out.response.status == 400);
    CHECK(out.response.body ==
          R"({"status":"error","errorType":"bad_data","error":"start/end are not supported: delete_series removes whole series"})");
  }
  ApiOutcome out = DeleteSeries(Get("match[]=up&start=yesterday"), TenantId{}, rec.Deleter());
  CHECK(out.response.status == 400);
  CHECK(out.response.body.find(R"(invalid parameter \"start\": cannot parse \"yesterday\")") != std::string::npos);
  CHECK(rec.calls.size() == 3);
}

TEST_CASE("delete_series reports storage failures as server errors with the message", "[select][api]") {
  Recorder rec;
  rec.result = absl::UnavailableError("delete_series failed on 1 of 3 storage nodes; storage node s2:8401: down");
  ApiOutcome out = DeleteSeries(Get("match[]=up"), TenantId{}, rec.Deleter());
  CHECK(out.response.status == 503);
  CHECK(out.response.body ==
        R"({"status":"error","errorType":"unavailable","error":"delete_series failed on 1 of 3 storage nodes; storage node s2:8401: down"})");

  // A node that cannot delete is not the client's fault: 500, not 422.
  rec.result = absl::FailedPreconditionError("cannot delete series: the engine is not persistent");
  out = DeleteSeries(Get("match[]=up"), TenantId{}, rec.Deleter());
  CHECK(out.response.status == 500);
  CHECK(out.result == "internal");
  CHECK(out.response.body.find("the engine is not persistent") != std::string::npos);
}

}  // namespace
}  // namespace strata::select
