#include "select/api/status_api.h"

#include <cstdlib>
#include <string>

#include <catch2/catch.hpp>

namespace strata::select {
namespace {

HttpRequest Get(std::string query) {
  HttpRequest r;
  r.method = "GET";
  r.query = std::move(query);
  return r;
}

// The string value of `"key":"..."` in a flat JSON object (no escapes).
std::string StringField(const std::string& json, const std::string& key) {
  const std::string needle = "\"" + key + "\":\"";
  const size_t at = json.find(needle);
  if (at == std::string::npos) return "<missing>";
  const size_t from = at + needle.size();
  return json.substr(from, json.find('"', from) - from);
}

// True when semver `v` is at least major.minor.
bool AtLeast(const std::string& v, int major, int minor) {
  char* end = nullptr;
  const long ma = std::strtol(v.c_str(), &end, 10);
  if (*end != '.') return false;
  const long mi = std::strtol(end + 1, nullptr, 10);
  return ma > major || (ma == major && mi >= minor);
}

TEST_CASE("buildinfo makes clients treat Strata as a modern Prometheus", "[select][api][status][unit]") {
  StatusApi api({});
  ApiOutcome out = api.BuildInfo();
  CHECK(out.response.status == 200);
  const std::string& body = out.response.body;
  // Prometheus's PrometheusVersion fields in its order.
  CHECK(body.starts_with(R"({"status":"success","data":{"version":")"));
  const size_t revision = body.find(R"(","revision":")");
  const size_t branch = body.find(R"(","branch":")");
  const size_t user = body.find(R"(","buildUser":")");
  const size_t date = body.find(R"(","buildDate":")");
  const size_t go = body.find(R"(","goVersion":")");
  CHECK(revision < branch);
  CHECK(branch < user);
  CHECK(user < date);
  CHECK(date < go);
  CHECK(go != std::string::npos);
  // Grafana: match[] label APIs from Prometheus 2.24, 2.42 for the rest;
  // any "features" would make it think of Mimir.
  CHECK(AtLeast(StringField(body, "version"), 2, 42));
  CHECK(body.find("features") == std::string::npos);
  CHECK_FALSE(StringField(body, "revision").empty());
  CHECK(StringField(body, "branch").starts_with("strata-"));
}

TEST_CASE("go time format of runtimeinfo is RFC3339Nano in UTC", "[select][api][status][unit]") {
  using std::chrono::system_clock;
  const auto t = system_clock::time_point(std::chrono::seconds(1435781451));
  CHECK(FormatRfc3339Nano(t) == "2015-07-01T20:10:51Z");
  CHECK(FormatRfc3339Nano(t + std::chrono::milliseconds(781)) == "2015-07-01T20:10:51.781Z");
  CHECK(FormatRfc3339Nano(t + std::chrono::nanoseconds(123456789)) == "2015-07-01T20:10:51.123456789Z");
  CHECK(FormatRfc3339Nano(system_clock::time_point(std::chrono::milliseconds(-500))) == "1969-12-31T23:59:59.5Z");
}

TEST_CASE("runtimeinfo answers Prometheus's fields in its order", "[select][api][status][unit]") {
  StatusApiOptions o;
  o.start_time = std::chrono::system_clock::time_point(std::chrono::milliseconds(1435781451781));
  StatusApi api(o);
  ApiOutcome out = api.RuntimeInfo();
  CHECK(out.response.status == 200);
  const std::string& body = out.response.body;
  CHECK(body.starts_with(R"({"status":"success","data":{"startTime":"2015-07-01T20:10:51.781Z","CWD":")"));
  size_t last = 0;
  for (const char* key : {"\"hostname\":", "\"serverTime\":", "\"reloadConfigSuccess\":true",
                          "\"lastConfigTime\":\"2015-07-01T20:10:51.781Z\"", "\"corruptionCount\":0",
                          "\"goroutineCount\":", "\"GOMAXPROCS\":", "\"GOMEMLIMIT\":", "\"GOGC\":\"\"",
                          "\"GODEBUG\":\"\"", "\"storageRetention\":\"\"}}"}) {
    const size_t at = body.find(key);
    INFO(key);
    REQUIRE(at != std::string::npos);
    CHECK(at > last);
    last = at;
  }
  // The thread count stands in for goroutines: this test runs on >= 1.
  CHECK(body.find("\"goroutineCount\":0") == std::string::npos);
}

TEST_CASE("flags, config, rules and alerts answer Prometheus's shapes", "[select][api][status][unit]") {
  StatusApiOptions o;
  o.flags = {{"search.maxQueryDuration", "2m"}, {"httpListenAddr", ":8481"}, {"search.lookbackDelta", "5m"}};
  StatusApi api(o);
  CHECK(api.Flags().response.body ==
        R"({"status":"success","data":{"httpListenAddr":":8481","search.lookbackDelta":"5m","search.maxQueryDuration":"2m"}})");
  CHECK(api.Config().response.body ==
        R"({"status":"success","data":{"yaml":"global:\n  scrape_interval: 1m\n  scrape_timeout: 10s\n  evaluation_interval: 1m\n"}})");
  CHECK(api.Rules(Get("")).response.body == R"({"status":"success","data":{"groups":[]}})");
  CHECK(api.Rules(Get("type=alert")).response.status == 200);
  CHECK(api.Rules(Get("type=RECORD")).response.status == 200);
  ApiOutcome bad = api.Rules(Get("type=bogus"));
  CHECK(bad.response.status == 400);
  CHECK(bad.response.body ==
        R"({"status":"error","errorType":"bad_data","error":"invalid parameter \"type\": not supported value \"bogus\""})");
  CHECK(api.Alerts(Get("")).response.body == R"({"status":"success","data":{"alerts":[]}})");
}

// A storage node holding fixed metadata and exemplars; records the last
// exemplar request. Answers inline.
class MetaNode : public StorageApi {
 public:
  explicit MetaNode(std::string help) : help_(std::move(help)) {}
  void Write(const RequestContext&, std::shared_ptr<const std::string>, WriteCallback done) override {
    done(absl::OkStatus());
  }
  void Search(const RequestContext&, SearchRequest, SearchCallback done) override { done(SearchResult{}); }
  void Metadata(const RequestContext&, MetadataRequest request, MetadataCallback done) override {
    MetadataResult r;
    for (MetricMetadata m : {MetricMetadata{"a_total", 1, "A.", ""}, MetricMetadata{"up", 2, help_, ""}}) {
      if (request.metric.empty() || request.metric == m.metric_family_name) r.metadata.push_back(m);
    }
    done(std::move(r));
  }
  void QueryExemplars(const RequestContext&, ExemplarsRequest request, ExemplarsCallback done) override {
    last = request;
    ExemplarsResult r;
    SeriesExemplars s{Labels::FromUnsorted({{"__name__", "up"}, {"job", "a"}}), {}};
    s.exemplars.push_back(Exemplar{Labels::FromUnsorted({{"trace_id", "t1"}}), 1.5, 1'700'000'000'123});
    s.exemplars.push_back(Exemplar{Labels::FromUnsorted({{"trace_id", help_}}), 2, 1'700'000'000'500});
    r.series.push_back(std::move(s));
    done(std::move(r));
  }
  std::string Name() const override { return "node-" + help_; }

  ExemplarsRequest last;

 private:
  std::string help_;
};

TEST_CASE("metadata merges every node's families and applies metric, limit and limit_per_metric",
          "[select][api][status][unit]") {
  MetaNode a("Up."), b("Up, as b says.");
  StatusApiOptions o;
  o.storage_nodes = {&a, &b};
  StatusApi api(o);
  CHECK(api.Metadata(Get(""), TenantId{}).response.body ==
        R"({"status":"success","data":{"a_total":[{"type":"counter","help":"A.","unit":""}],)"
        R"("up":[{"type":"gauge","help":"Up.","unit":""},{"type":"gauge","help":"Up, as b says.","unit":""}]}})");
  CHECK(api.Metadata(Get("metric=up&limit_per_metric=1"), TenantId{}).response.body ==
        R"({"status":"success","data":{"up":[{"type":"gauge","help":"Up.","unit":""}]}})");
  CHECK(api.Metadata(Get("limit=1"), TenantId{}).response.body ==
        R"({"status":"success","data":{"a_total":[{"type":"counter","help":"A.","unit":""}]}})");
  ApiOutcome bad = api.Metadata(Get("limit=five"), TenantId{});
  CHECK(bad.response.status == 400);
  CHECK(bad.response.body == R"({"status":"error","errorType":"bad_data","error":"limit must be a number"})");
  CHECK(api.Metadata(Get("limit_per_metric=1.5"), TenantId{}).response.body ==
        R"({"status":"error","errorType":"bad_data","error":"limit_per_metric must be a number"})");
}

TEST_CASE("query_exemplars asks every node for the query's selectors and merges replicas",
          "[select][api][status][unit]") {
  MetaNode a("x"), b("x");  // replicas: the same exemplars
  StatusApiOptions o;
  o.storage_nodes = {&a, &b};
  StatusApi api(o);
  const std::string want =
      R"({"status":"success","data":[{"seriesLabels":{"__name__":"up","job":"a"},"exemplars":[)"
      R"({"labels":{"trace_id":"t1"},"value":"1.5","timestamp":1700000000.123},)"
      R"({"labels":{"trace_id":"x"},"value":"2","timestamp":1700000000.500}]}]})";
  // Grafana's probe: start/end in milliseconds.
  ApiOutcome probe = api.QueryExemplars(Get("query=up&start=1700000000000&end=1700001800000"), TenantId{});
  CHECK(probe.response.status == 200);
  CHECK(probe.response.body == want);
  CHECK(a.last.min_time_ms == 1'700'000'000'000);
  CHECK(a.last.max_time_ms == 1'700'001'800'000);
  // Seconds, as Prometheus takes them; every selector of the expression.
  CHECK(api.QueryExemplars(Get("query=rate(x%5B5m%5D)%2Bup&start=1700000000&end=1700001800.5"), TenantId{7, 1})
            .response.body == want);
  CHECK(b.last.tenant == TenantId{7, 1});
  CHECK(b.last.min_time_ms == 1'700'000'000'000);
  CHECK(b.last.max_time_ms == 1'700'001'800'500);
  REQUIRE(b.last.selectors.size() == 2);
  CHECK(b.last.selectors[0][0].ToString() == "__name__=\"x\"");
  // No selector: Prometheus answers 204 without a body.
  ApiOutcome none = api.QueryExemplars(Get("query=1%2B1"), TenantId{});
  CHECK(none.response.status == 204);
  CHECK(none.response.body.empty());

  ApiOutcome order = api.QueryExemplars(Get("query=up&start=20&end=10"), TenantId{});
  CHECK(order.response.status == 400);
  CHECK(order.response.body ==
        R"({"status":"error","errorType":"bad_data","error":"end timestamp must not be before start timestamp"})");
  CHECK(api.QueryExemplars(Get("query=up&start=x"), TenantId{}).response.body ==
        R"({"status":"error","errorType":"bad_data","error":"invalid parameter \"start\": Invalid time value for 'start': cannot parse \"x\" to a valid timestamp"})");
  ApiOutcome syntax = api.QueryExemplars(Get("query=up%7B"), TenantId{});
  CHECK(syntax.response.status == 400);
  CHECK(syntax.response.body.find(R"("error":"1:4: parse error: )") != std::string::npos);
}

TEST_CASE("rules and alerts are proxied to vmalert when its URL is set", "[select][api][status][unit]") {
  StatusApiOptions o;
  o.vmalert_proxy_url = "http://vmalert:8880/";
  std::vector<std::string> fetched;
  o.fetch = [&](const std::string& url) -> absl::StatusOr<HttpResponse> {
    fetched.push_back(url);
    if (url.find("alerts") != std::string::npos) return absl::UnavailableError("connection refused");
    return HttpResponse::Json(200, R"({"status":"success","data":{"groups":[{"name":"g","rules":[]}]}})");
  };
  StatusApi api(o);
  ApiOutcome rules = api.Rules(Get("type=record"));
  CHECK(rules.response.status == 200);
  CHECK(rules.response.body == R"({"status":"success","data":{"groups":[{"name":"g","rules":[]}]}})");
  HttpRequest post;
  post.method = "POST";
  post.body = "type=alert";
  post.headers.emplace_back("content-type", "application/x-www-form-urlencoded");
  CHECK(api.Rules(post).response.status == 200);
  ApiOutcome alerts = api.Alerts(Get(""));
  CHECK(alerts.response.status == 503);
  CHECK(alerts.response.body ==
        R"({"status":"error","errorType":"unavailable","error":"cannot proxy /api/v1/alerts to vmalert at http://vmalert:8880: connection refused"})");
  CHECK(fetched == std::vector<std::string>{"http://vmalert:8880/api/v1/rules?type=record",
                                            "http://vmalert:8880/api/v1/rules?type=alert",
                                            "http://vmalert:8880/api/v1/alerts"});
}

TEST_CASE("vmalert's null alert and group lists reach clients as empty arrays", "[select][api][status][unit]") {
  StatusApiOptions o;
  o.vmalert_proxy_url = "http://vmalert:8880";
  o.fetch = [&](const std::string& url) -> absl::StatusOr<HttpResponse> {
    if (url.find("alerts") != std::string::npos) {
      return HttpResponse::Json(200, R"({"status":"success","data":{"alerts":null}})");
    }
    return HttpResponse::Json(
        200, R"({"status":"success","data":{"groups":null,"x":"say \"alerts\":null","y":{"alerts":null}}})");
  };
  StatusApi api(o);
  CHECK(api.Alerts(Get("")).response.body == R"({"status":"success","data":{"alerts":[]}})");
  CHECK(api.Rules(Get("")).response.body ==
        R"({"status":"success","data":{"groups":[],"x":"say \"alerts\":null","y":{"alerts":[]}}})");
}

}  // namespace
}  // namespace strata::select
