#include "select/api/labels_api.h"

#include <catch2/catch.hpp>

#include "unit/select/labels_test_node.h"

namespace strata::select {
namespace {

using testing::LabelsTestNode;

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
  r.body = std::move(body);
  r.headers.emplace_back("content-type", "application/x-www-form-urlencoded");
  return r;
}

// Two nodes, replication factor 2: each series on both.
struct Cluster {
  Cluster() {
    for (LabelsTestNode* n : {&a, &b}) {
      n->Add({{"__name__", "up"}, {"job", "api"}}, 1000);
      n->Add({{"__name__", "up"}, {"job", "node"}, {"http.status", "200"}}, 2000);
      n->Add({{"__name__", "process_cpu_seconds_total"}, {"job", "api"}}, 3000);
      n->Add({{"__name__", "up"}, {"job", "tenant-7"}}, 1000, TenantId{7, 1});
    }
  }
  LabelsApi Api(uint64_t max_series = 0) {
    LabelsApiOptions o;
    o.replication_factor = 2;
    o.max_series = max_series;
    return LabelsApi({&a, &b}, o);
  }
  LabelsTestNode a{"a:8401"}, b{"b:8401"};
};

TEST_CASE("series answers the label sets matching any match[] as Prometheus's JSON", "[select][api]") {
  Cluster cl;
  ApiOutcome out = cl.Api().Series(
      Get("/api/v1/series", "match[]=up%7Bjob%3D%22api%22%7D&match[]=process_cpu_seconds_total"), TenantId{});
  CHECK(out.response.status == 200);
  CHECK(out.result == "success");
  CHECK(out.response.content_type.find("application/json") != std::string::npos);
  CHECK(out.response.body ==
        R"({"status":"success","data":[{"__name__":"process_cpu_seconds_total","job":"api"},)"
        R"({"__name__":"up","job":"api"}]})");
}

TEST_CASE("series requires match[] with Prometheus's error", "[select][api]") {
  Cluster cl;
  ApiOutcome out = cl.Api().Series(Get("/api/v1/series", "start=1"), TenantId{});
  CHECK(out.response.status == 400);
  CHECK(out.result == "bad_data");
  CHECK(out.response.body == R"({"status":"error","errorType":"bad_data","error":"no match[] parameter provided"})");
  CHECK(cl.a.requests().empty());
}

TEST_CASE("metadata parameters parse and fail with Prometheus's texts", "[select][api]") {
  auto parse = [](std::string query, bool required = false, bool as_param = false) {
    auto form = FormParams::ParseQueryString(query);
    REQUIRE(form.ok());
    return ParseMetadataParams(*form, required, as_param);
  };
  auto all = parse("");
  REQUIRE(all.ok());
  CHECK(all->selectors.empty());
  CHECK(all->limit == 0);
  // Prometheus's MinTime and MaxTime: all time.
  CHECK(all->start_ms == -9'223'309'901'257'974'000);
  CHECK(all->end_ms == 9'223'309'901'257'974'999);

  auto p = parse("start=1700000000.5&end=2023-11-14T22:13:20Z&limit=10&match[]=up&match[]=%7Bjob%3D~%22a.*%22%7D");
  REQUIRE(p.ok());
  CHECK(p->start_ms == 1'700'000'000'500);
  CHECK(p->end_ms == 1'700'000'000'000);
  CHECK(p->limit == 10);
  REQUIRE(p->selectors.size() == 2);
  CHECK(p->selectors[0][0].ToString() == "__name__=\"up\"");
  CHECK(p->selectors[1][0].ToString() == "job=~\"a.*\"");

  CHECK(parse("limit=-1").status().message() == "invalid parameter \"limit\": limit must be non-negative");
  CHECK(parse("limit=abc").status().message() ==
        "invalid parameter \"limit\": strconv.Atoi: parsing \"abc\": invalid syntax");
  CHECK(parse("limit=99999999999999999999").status().message() ==
        "invalid parameter \"limit\": strconv.Atoi: parsing \"99999999999999999999\": value out of range");
  CHECK(parse("start=yesterday").status().message() ==
        "invalid parameter \"start\": Invalid time value for 'start': cannot parse \"yesterday\" to a valid "
        "timestamp");
  CHECK(parse("end=x").status().message() ==
        "invalid parameter \"end\": Invalid time value for 'end': cannot parse \"x\" to a valid timestamp");
  // /series names the parameter; /labels and /label/<n>/values do not.
  auto bad_series = parse("match[]=rate(up%5B5m%5D)", true, true);
  CHECK(absl::IsInvalidArgument(bad_series.status()));
  CHECK(std::string(bad_series.status().message()).starts_with("invalid parameter \"match[]\": "));
  auto bad_labels = parse("match[]=%7B", false, false);
  CHECK(absl::IsInvalidArgument(bad_labels.status()));
  CHECK(!std::string(bad_labels.status().message()).starts_with("invalid parameter"));
  // Selectors that match every series are refused, as by Prometheus.
  CHECK(absl::IsInvalidArgument(parse("match[]=%7Bjob%3D~%22.*%22%7D").status()));
  // Texts of Prometheus's ParseMetricSelector and parseMatchersParam.
  CHECK(parse("match[]=%7Bjob%3D~%22.*%22%7D").status().message() ==
        "match[] must contain at least one non-empty matcher");
  CHECK(parse("match[]=sum(up)").status().message() == "1:4: parse error: unexpected \"(\"");
  CHECK(parse("match[]=up%5B5m%5D").status().message() == "1:3: parse error: unexpected \"[\"");
  CHECK(parse("match[]=up%7Bjob%3D%22a%22%7D%20offset%205m").status().message() ==
        "1:13: parse error: unexpected <offset>");
  CHECK(parse("match[]=%7B__name__%3D~%22up%7Cfoo%22%7D").ok());
}

TEST_CASE("labels answers sorted names, narrowed by match[], time range and tenant", "[select][api]") {
  Cluster cl;
  LabelsApi api = cl.Api();
  ApiOutcome out = api.LabelNames(Get("/api/v1/labels", ""), TenantId{});
  CHECK(out.response.status == 200);
  CHECK(out.response.body == R"({"status":"success","data":["__name__","http.status","job"]})");

  out = api.LabelNames(PostForm("/api/v1/labels", "match%5B%5D=process_cpu_seconds_total"), TenantId{});
  CHECK(out.response.body == R"({"status":"success","data":["__name__","job"]})");

  // start/end reach the nodes in milliseconds; the series at 2s is outside.
  out = api.LabelNames(Get("/api/v1/labels", "start=2.5&end=4"), TenantId{});
  CHECK(out.response.body == R"({"status":"success","data":["__name__","job"]})");
  CHECK(cl.a.requests().back().min_time_ms == 2500);
  CHECK(cl.a.requests().back().max_time_ms == 4000);

  out = api.LabelValues(Get("/select/7:1/prometheus/api/v1/label/job/values", ""), "job", TenantId{7, 1});
  CHECK(out.response.body == R"({"status":"success","data":["tenant-7"]})");
  CHECK(cl.b.requests().back().tenant == TenantId{7, 1});
}

TEST_CASE("label values lists __name__ and UTF-8 names escaped with U__", "[select][api]") {
  Cluster cl;
  LabelsApi api = cl.Api();
  ApiOutcome out = api.Handle(Get("/api/v1/label/__name__/values", ""), "label/__name__/values", TenantId{});
  CHECK(out.response.body == R"({"status":"success","data":["process_cpu_seconds_total","up"]})");
  out = api.Handle(Get("/api/v1/label/U__http_2e_status/values", ""), "label/U__http_2e_status/values", TenantId{});
  CHECK(out.response.body == R"({"status":"success","data":["200"]})");
  CHECK(cl.a.requests().back().label_name == "http.status");
  out = api.Handle(Get("/api/v1/label/job/values", "match[]=up&limit=1"), "label/job/values", TenantId{});
  CHECK(out.response.body ==
        R"({"status":"success","data":["api"],"warnings":["results truncated due to limit"]})");

  out = api.LabelValues(Get("/api/v1/label/x/values", ""), "U__\xff", TenantId{});
  CHECK(out.response.status == 400);
  // Go's %q escapes the invalid byte.
  CHECK(out.response.body == "{\"status\":\"error\",\"errorType\":\"bad_data\",\"error\":\"invalid label name: "
                             "\\\"\\\\xff\\\"\"}");
}

TEST_CASE("label names unescape Prometheus's U__ value encoding", "[select][api]") {
  CHECK(UnescapeLabelName("job") == "job");
  CHECK(UnescapeLabelName("U__job") == "job");
  CHECK(UnescapeLabelName("U__http_2e_status") == "http.status");
  CHECK(UnescapeLabelName("U__a__b") == "a_b");
  CHECK(UnescapeLabelName("U___1f600_") == "\xf0\x9f\x98\x80");
  CHECK(UnescapeLabelName("U__caf_e9_") == "caf\xc3\xa9");
  // Malformed escapes leave the name as it was.
  CHECK(UnescapeLabelName("U__a_") == "U__a_");
  CHECK(UnescapeLabelName("U__a_2e") == "U__a_2e");
  CHECK(UnescapeLabelName("U__a_zz_") == "U__a_zz_");
  CHECK(UnescapeLabelName("U__a_d800_") == "U__a_d800_");
  CHECK(UnescapeLabelName("U__a_10ffff_") == "U__a_10ffff_");
}

TEST_CASE("metadata answers are partial when replication cannot cover failed nodes", "[select][api]") {
  Cluster cl;
  LabelsApiOptions o;
  o.replication_factor = 1;
  cl.b.Fail(absl::UnavailableError("connection refused"));
  LabelsApi api({&cl.a, &cl.b}, o);
  ApiOutcome out = api.LabelValues(Get("/api/v1/label/job/values", ""), "job", TenantId{});
  CHECK(out.response.status == 200);
  CHECK(out.response.body ==
        R"({"status":"success","isPartial":true,"data":["api","node"],)"
        R"("warnings":["cannot fetch label values from storage node b:8401: connection refused"]})");
  // With R = 2 one failed node loses nothing.
  out = cl.Api().LabelValues(Get("/api/v1/label/job/values", ""), "job", TenantId{});
  CHECK(out.response.body == R"({"status":"success","data":["api","node"]})");

  cl.a.Fail(absl::UnavailableError("gone"));
  out = cl.Api().Series(Get("/api/v1/series", "match[]=up"), TenantId{});
  CHECK(out.response.status == 503);
  CHECK(out.result == "unavailable");
}

TEST_CASE("series limit truncates with Prometheus's warning; -search.maxSeries refuses more", "[select][api]") {
  Cluster cl;
  ApiOutcome out = cl.Api().Series(Get("/api/v1/series", "match[]=%7Bjob%3D~%22.%2B%22%7D&limit=2"), TenantId{});
  CHECK(out.response.status == 200);
  CHECK(out.response.body ==
        R"({"status":"success","data":[{"__name__":"process_cpu_seconds_total","job":"api"},)"
        R"({"__name__":"up","http.status":"200","job":"node"}],"warnings":["results truncated due to limit"]})");
  out = cl.Api().Series(Get("/api/v1/series", "match[]=%7Bjob%3D~%22.%2B%22%7D&limit=3"), TenantId{});
  CHECK(out.response.body.find("warnings") == std::string::npos);

  // Three series against a cap of 2.
  LabelsApi capped = cl.Api(2);
  out = capped.Series(Get("/api/v1/series", "match[]=%7Bjob%3D~%22.%2B%22%7D"), TenantId{});
  CHECK(out.response.status == 422);
  CHECK(out.result == "execution");
  CHECK(out.response.body.find("match more than 2 series") != std::string::npos);
  CHECK(out.response.body.find("-search.maxSeries") != std::string::npos);
  out = capped.Series(Get("/api/v1/series", "match[]=%7Bjob%3D~%22.%2B%22%7D&limit=40000"), TenantId{});
  CHECK(out.response.status == 422);
  // A limit within the cap is the caller's choice: truncated, not refused.
  out = capped.Series(Get("/api/v1/series", "match[]=%7Bjob%3D~%22.%2B%22%7D&limit=1"), TenantId{});
  CHECK(out.response.status == 200);
  CHECK(out.response.body.find("results truncated due to limit") != std::string::npos);
  // Within the cap: answered in full.
  out = capped.Series(Get("/api/v1/series", "match[]=up"), TenantId{});
  CHECK(out.response.status == 200);
  CHECK(out.response.body.find("warnings") == std::string::npos);
}

TEST_CASE("metadata endpoints are recognised for dispatch and metrics", "[select][api]") {
  CHECK(LabelsApi::MetricsPath("series") == "/api/v1/series");
  CHECK(LabelsApi::MetricsPath("labels") == "/api/v1/labels");
  CHECK(LabelsApi::MetricsPath("label/job/values") == "/api/v1/label/values");
  CHECK(LabelsApi::MetricsPath("label//values").empty());
  CHECK(LabelsApi::MetricsPath("label/job").empty());
  CHECK(LabelsApi::MetricsPath("query").empty());
}

}  // namespace
}  // namespace strata::select
