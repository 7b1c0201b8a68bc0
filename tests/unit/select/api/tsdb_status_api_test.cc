#include "select/api/tsdb_status_api.h"

#include <catch2/catch.hpp>

namespace strata::select {
namespace {

HttpRequest Get(std::string query) {
  HttpRequest r;
  r.method = "GET";
  r.path = "/api/v1/status/tsdb";
  r.query = std::move(query);
  return r;
}

// Answers with the request's own parameters echoed into the lists, so the
// test sees what reached the node.
class EchoNode : public StorageApi {
 public:
  void Write(const RequestContext&, std::shared_ptr<const std::string>, WriteCallback done) override {
    done(absl::UnimplementedError("write"));
  }
  void Search(const RequestContext&, SearchRequest, SearchCallback done) override {
    done(absl::UnimplementedError("search"));
  }
  void TsdbStatus(const RequestContext&, TsdbStatusRequest request, TsdbStatusCallback done) override {
    last = request;
    TsdbStatusResult r;
    r.total_series = 2;
    r.total_label_value_pairs = 5;
    r.distinct_label_pairs = 4;
    r.head_chunks = 1;
    r.head_min_time_ms = 1000;
    r.head_max_time_ms = 2000;
    r.series_count_by_metric_name = {{"up", 1}, {"x\"y", 1}};
    r.series_count_by_focus_label_value = {{"h1", 2}};
    done(r);
  }
  std::string Name() const override { return "echo"; }
  TsdbStatusRequest last;
};

TEST_CASE("tsdb status answers Prometheus's and VictoriaMetrics' fields", "[select][api][tsdb]") {
  EchoNode node;
  TsdbStatusApi api({&node}, 1, std::chrono::seconds(5));
  ApiOutcome out = api.Handle(Get("topN=3&focusLabel=instance&match[]=up"), TenantId{3, 4});
  CHECK(out.response.status == 200);
  CHECK(out.response.body ==
        R"({"status":"success","data":{"headStats":{"numSeries":2,"numLabelPairs":4,"chunkCount":1,)"
        R"("minTime":1000,"maxTime":2000},"seriesCountByMetricName":[{"name":"up","value":1},)"
        R"({"name":"x\"y","value":1}],"labelValueCountByLabelName":[],"memoryInBytesByLabelName":[],)"
        R"("seriesCountByLabelValuePair":[],"seriesCountByLabelName":[],)"
        R"("seriesCountByFocusLabelValue":[{"name":"h1","value":2}],"totalSeries":2,"totalLabelValuePairs":5}})");
  CHECK(node.last.tenant == TenantId{3, 4});
  CHECK(node.last.top_n == 3);
  CHECK(node.last.focus_label == "instance");
  REQUIRE(node.last.matchers.size() == 1);
  CHECK(node.last.matchers[0].ToString() == "__name__=\"up\"");
}

TEST_CASE("tsdb status date selects one UTC day; limit defaults to 10", "[select][api][tsdb]") {
  EchoNode node;
  TsdbStatusApi api({&node}, 1, std::chrono::seconds(5));
  REQUIRE(api.Handle(Get("date=2024-02-29"), TenantId{}).response.status == 200);
  CHECK(node.last.min_time_ms == 1'709'164'800'000);
  CHECK(node.last.max_time_ms == 1'709'251'199'999);
  CHECK(node.last.top_n == 10);
  CHECK(node.last.matchers.empty());
}

TEST_CASE("tsdb status refuses bad parameters with 400 bad_data", "[select][api][tsdb]") {
  EchoNode node;
  TsdbStatusApi api({&node}, 1, std::chrono::seconds(5));
  auto check_bad = [&](std::string query, std::string_view message) {
    ApiOutcome out = api.Handle(Get(query), TenantId{});
    INFO(query << " -> " << out.response.body);
    CHECK(out.response.status == 400);
    CHECK(out.result == "bad_data");
    CHECK(out.response.body.find(message) != std::string::npos);
  };
  check_bad("limit=0", "limit must be a positive number");
  check_bad("limit=abc", "limit must be a positive number");
  check_bad("topN=10001", "limit must not exceed 10000");
  check_bad("date=2023-02-29", "cannot parse date");
  check_bad("date=yesterday", "cannot parse date");
  check_bad("match[]=up&match[]=down", "at most one series selector");
  check_bad("match[]=up%7B", "invalid parameter \\\"match[]\\\"");
  check_bad("start=x", "Invalid time value for 'start'");
}

}  // namespace
}  // namespace strata::select
