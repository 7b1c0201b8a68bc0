// The request sequences of Grafana's Prometheus datasource (pkg/promlib and
// packages/grafana-prometheus), sent byte for byte as Grafana sends them to
// a cluster holding known data, with the answers checked the way Grafana's
// parsers read them: "Save & test", a dashboard load, the metrics browser
// and Explore.
//
// What Grafana does, from its source:
//  * Data queries go through pkg/promlib/client: POST, Content-Type
//    application/x-www-form-urlencoded, the body from Go's url.Values.Encode
//    (keys sorted), `start`/`end`/`time` as strconv.FormatFloat(secs, 'f',
//    -1), `step` as float seconds, `timeout` from the datasource (60s).
//  * Range queries have start and end floored to a multiple of the step;
//    instant queries use the raw time.
//  * The health check is the instant query `1+1` at time=4, then GET
//    api/v1/status/buildinfo for the heuristics (no `features` =>
//    "Prometheus").
//  * Resource calls (labels, series: POST with a form body; label values,
//    rules, metadata, buildinfo: GET only) carry integer-second start/end,
//    limit=40000 and match[] selectors.
//  * The exemplars probe (areExemplarsAvailable) is a GET of
//    query_exemplars?query=test with start/end in MILLISECONDS; the toggle
//    is enabled only for status "success".
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>

#include <catch2/catch.hpp>
#include <fmt/format.h>
#include <simdjson.h>

#include "common/base/clock.h"
#include "e2e/cluster.h"
#include "e2e/prom_json.h"
#include "e2e/test_data.h"

namespace strata::testing {
namespace {

constexpr int64_t kStepS = 15;
constexpr int kSamples = 20;
// Go's transport also sends "Accept-Encoding: gzip" and unpacks the answer
// itself; the test reads plain bodies instead.
const HttpHeaders kFormPost = {{"Content-Type", "application/x-www-form-urlencoded"},
                               {"User-Agent", "Grafana/11.3.0"}};
const HttpHeaders kGet = {{"User-Agent", "Grafana/11.3.0"}};
constexpr std::string_view kBase = "/select/0/prometheus";

// grafana_http_requests_total{code, instance, job} for three label sets;
// sample k (15 s apart, the last `last_s`) of series i has value 100*i + k.
struct Dataset {
  int64_t last_s = 0;
  int64_t first_s = 0;
  std::vector<GeneratedSeries> series;
};

Dataset MakeDataset() {
  Dataset d;
  d.last_s = (NowUnixMillis() / 1000 / kStepS) * kStepS - 60;
  d.first_s = d.last_s - (kSamples - 1) * kStepS;
  const std::vector<std::array<const char*, 3>> sets = {{"200", "a:9100", "api"}, {"500", "a:9100", "api"},
                                                         {"200", "b:9100", "web"}};
  for (size_t i = 0; i < sets.size(); ++i) {
    GeneratedSeries s;
    s.labels = Labels::FromUnsorted({{"__name__", "grafana_http_requests_total"},
                                     {"code", sets[i][0]},
                                     {"instance", sets[i][1]},
                                     {"job", sets[i][2]}});
    for (int k = 0; k < kSamples; ++k) {
      s.samples.push_back(Sample{(d.first_s + k * kStepS) * 1000, 100.0 * static_cast<double>(i) + k});
    }
    d.series.push_back(std::move(s));
  }
  return d;
}

// Go's url.Values.Encode: keys sorted, QueryEscape (space as '+').
std::string FormEncode(std::vector<std::pair<std::string, std::string>> values) {
  std::stable_sort(values.begin(), values.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  std::string out;
  for (const auto& [k, v] : values) {
    if (!out.empty()) out.push_back('&');
    out += UrlEncode(k) + "=" + UrlEncode(v);
  }
  return out;
}

struct Answer {
  int status = 0;
  std::string body;
  simdjson::dom::element json;
};

class Grafana {
 public:
  explicit Grafana(StrataCluster& cluster) : cluster_(cluster) {}

  Answer Post(std::string_view path, std::vector<std::pair<std::string, std::string>> form) {
    return Send("POST", std::string(kBase) + std::string(path), FormEncode(std::move(form)), kFormPost);
  }
  Answer Get(std::string_view path, std::vector<std::pair<std::string, std::string>> query = {}) {
    std::string target = std::string(kBase) + std::string(path);
    if (!query.empty()) target += "?" + FormEncode(std::move(query));
    return Send("GET", target, "", kGet);
  }

 private:
  Answer Send(std::string_view method, const std::string& target, std::string body, const HttpHeaders& headers) {
    auto r = cluster_.SelectRequest(method, target, std::move(body), headers);
    INFO(method << " " << target);
    REQUIRE(r.ok());
    bodies_.push_back(std::make_unique<std::string>(r->body));
    Answer a{r->status, r->body, {}};
    INFO(r->body);
    REQUIRE(parser_.emplace_back(std::make_unique<simdjson::dom::parser>())->parse(*bodies_.back()).get(a.json) ==
            simdjson::SUCCESS);
    return a;
  }

  StrataCluster& cluster_;
  std::vector<std::unique_ptr<std::string>> bodies_;
  std::vector<std::unique_ptr<simdjson::dom::parser>> parser_;
};

std::string_view Str(simdjson::dom::element e) {
  std::string_view v;
  REQUIRE(e.get(v) == simdjson::SUCCESS);
  return v;
}

// A sample value as Grafana reads it: a JSON string for Go's ParseFloat.
double GrafanaValue(simdjson::dom::element e) {
  const std::string s(Str(e));
  char* end = nullptr;
  const double v = std::strtod(s.c_str(), &end);
  CHECK(end == s.c_str() + s.size());
  return v;
}

// A timestamp as Grafana reads it: a JSON number of seconds, kept to ms.
int64_t GrafanaTimeMs(simdjson::dom::element e) {
  double ts = 0;
  REQUIRE(e.get(ts) == simdjson::SUCCESS);
  return static_cast<int64_t>(ts * 1000);
}

// The envelope pkg/promlib/converter reads: status "success" and data.
simdjson::dom::element SuccessData(const Answer& a) {
  INFO(a.body);
  CHECK(a.status == 200);
  CHECK(Str(a.json["status"]) == "success");
  simdjson::dom::element data;
  REQUIRE(a.json["data"].get(data) == simdjson::SUCCESS);
  return data;
}

std::vector<std::string> Strings(simdjson::dom::element e) {
  simdjson::dom::array a;
  REQUIRE(e.get(a) == simdjson::SUCCESS);
  std::vector<std::string> out;
  for (simdjson::dom::element s : a) out.emplace_back(Str(s));
  return out;
}

std::vector<std::string> Sorted(std::vector<std::string> v) {
  std::sort(v.begin(), v.end());
  return v;
}

TEST_CASE("Grafana's datasource requests get answers Grafana parses", "[e2e][.slow]") {
  StrataCluster cluster;
  cluster.Start();
  const Dataset data = MakeDataset();
  WriteAll(cluster, EncodeRequests(data.series, 3));
  Grafana grafana(cluster);
  // Metadata time range as the frontend snaps it: integer seconds.
  const std::string meta_start = fmt::format("{}", data.first_s - 600);
  const std::string meta_end = fmt::format("{}", NowUnixMillis() / 1000 + 1);

  SECTION("Save & test: instant 1+1 at time=4 is the scalar [4,\"2\"], then buildinfo") {
    Answer a = grafana.Post("/api/v1/query", {{"query", "1+1"}, {"time", "4"}, {"timeout", "60s"}});
    CHECK(a.body == R"({"status":"success","data":{"resultType":"scalar","result":[4,"2"]}})");
    Answer b = grafana.Get("/api/v1/status/buildinfo");
    simdjson::dom::element info = SuccessData(b);
    // A semver of at least 2.24.0, so Grafana uses the labels API with match[].
    int major = 0, minor = 0;
    CHECK(std::sscanf(std::string(Str(info["version"])).c_str(), "%d.%d", &major, &minor) == 2);
    CHECK((major > 2 || (major == 2 && minor >= 24)));
    // Go's heuristics: len(features) == 0 => application "Prometheus".
    simdjson::dom::array features;
    CHECK((info["features"].get(features) != simdjson::SUCCESS || features.size() == 0));
  }

  SECTION("dashboard load: a form POST range query with start and end floored to the step") {
    const int64_t step = 30;
    // The panel's time range, not aligned; Grafana floors both ends.
    const int64_t from = data.first_s - 7, to = data.last_s + 11;
    const int64_t start = from / step * step, end = to / step * step;
    Answer a = grafana.Post("/api/v1/query_range", {{"query", R"(grafana_http_requests_total{job="api"})"},
                                                    {"start", fmt::format("{}", start)},
                                                    {"end", fmt::format("{}", end)},
                                                    {"step", fmt::format("{}", step)},
                                                    {"timeout", "60s"}});
    simdjson::dom::element d = SuccessData(a);
    CHECK(Str(d["resultType"]) == "matrix");
    simdjson::dom::array result = d["result"];
    REQUIRE(result.size() == 2);
    // Sorted by labels: code="200" before code="500".
    int i = 0;
    for (simdjson::dom::element series : result) {
      simdjson::dom::object metric = series["metric"];
      CHECK(Str(series["metric"]["__name__"]) == "grafana_http_requests_total");
      CHECK(Str(series["metric"]["code"]) == (i == 0 ? "200" : "500"));
      CHECK(metric.size() == 4);
      simdjson::dom::array values = series["values"];
      CHECK(values.size() > 5);
      for (simdjson::dom::element point : values) {
        const int64_t t_ms = GrafanaTimeMs(point.at(0));
        CHECK(t_ms % (step * 1000) == 0);
        CHECK(t_ms >= start * 1000);
        CHECK(t_ms <= end * 1000);
        // The sample at or before t: value 100*i + k.
        const int64_t k = std::min<int64_t>((t_ms / 1000 - data.first_s) / kStepS, kSamples - 1);
        CHECK(GrafanaValue(point.at(1)) == 100.0 * (i == 0 ? 0 : 1) + static_cast<double>(k));
      }
      ++i;
    }
    // Then the variables and ad-hoc filters: label names, values, series.
    Answer labels = grafana.Post("/api/v1/labels", {{"start", meta_start}, {"end", meta_end}, {"limit", "40000"},
                                                    {"match[]", R"({__name__="grafana_http_requests_total"})"}});
    CHECK(Strings(SuccessData(labels)) == std::vector<std::string>{"__name__", "code", "instance", "job"});
    Answer values = grafana.Get("/api/v1/label/job/values", {{"start", meta_start},
                                                             {"end", meta_end},
                                                             {"limit", "40000"},
                                                             {"match[]", "grafana_http_requests_total"}});
    CHECK(Strings(SuccessData(values)) == std::vector<std::string>{"api", "web"});
    Answer series = grafana.Post("/api/v1/series", {{"start", meta_start}, {"end", meta_end}, {"limit", "40000"},
                                                    {"match[]", R"(grafana_http_requests_total{job="web"})"}});
    simdjson::dom::array list = SuccessData(series);
    REQUIRE(list.size() == 1);
    CHECK(Str(list.at(0)["instance"]) == "b:9100");
    CHECK(Str(list.at(0)["code"]) == "200");
  }

  SECTION("metric browser: metric names, label names, values per label, series of a selector") {
    Answer names = grafana.Get("/api/v1/label/__name__/values",
                               {{"start", meta_start}, {"end", meta_end}, {"limit", "40000"}});
    std::vector<std::string> metrics = Strings(SuccessData(names));
    CHECK(metrics == Sorted(metrics));
    CHECK(std::find(metrics.begin(), metrics.end(), "grafana_http_requests_total") != metrics.end());
    Answer labels = grafana.Post("/api/v1/labels", {{"start", meta_start}, {"end", meta_end}, {"limit", "40000"}});
    std::vector<std::string> keys = Strings(SuccessData(labels));
    CHECK(keys == Sorted(keys));
    for (std::string_view key : {"code", "instance", "job"}) {
      CHECK(std::find(keys.begin(), keys.end(), std::string(key)) != keys.end());
      const std::string selector = R"({__name__="grafana_http_requests_total"})";
      Answer values = grafana.Get(fmt::format("/api/v1/label/{}/values", key), {{"start", meta_start},
                                                                              {"end", meta_end},
                                                                              {"limit", "40000"},
                                                                              {"match[]", selector}});
      std::vector<std::string> got = Strings(SuccessData(values));
      CHECK(got == Sorted(got));
      CHECK(got.size() == 2);
    }
    Answer series = grafana.Post("/api/v1/series", {{"start", meta_start}, {"end", meta_end}, {"limit", "40000"},
                                                    {"match[]", R"({__name__="grafana_http_requests_total"})"}});
    simdjson::dom::array list = SuccessData(series);
    CHECK(list.size() == 3);
    for (simdjson::dom::element s : list) {
      simdjson::dom::object labels_of = s;
      for (auto field : labels_of) CHECK(field.value.is_string());
    }
  }

  SECTION("Explore: instant and range query, the exemplars probe in milliseconds, rules and metadata") {
    // Explore's instant query uses the raw (fractional) range end.
    const std::string t = fmt::format("{}.437", data.last_s + 2);
    Answer instant = grafana.Post("/api/v1/query", {{"query", "sum by (job) (grafana_http_requests_total)"},
                                                    {"time", t},
                                                    {"timeout", "60s"}});
    simdjson::dom::element d = SuccessData(instant);
    CHECK(Str(d["resultType"]) == "vector");
    simdjson::dom::array result = d["result"];
    REQUIRE(result.size() == 2);
    for (simdjson::dom::element item : result) {
      CHECK(GrafanaTimeMs(item["value"].at(0)) == (data.last_s + 2) * 1000 + 437);
      const std::string_view job = Str(item["metric"]["job"]);
      CHECK(GrafanaValue(item["value"].at(1)) == (job == "api" ? 0 + 100 + 2 * (kSamples - 1) : 200 + kSamples - 1));
    }
    Answer range = grafana.Post("/api/v1/query_range", {{"query", "rate(grafana_http_requests_total[1m])"},
                                                        {"start", fmt::format("{}", data.first_s + 60)},
                                                        {"end", fmt::format("{}", data.last_s)},
                                                        {"step", "15"},
                                                        {"timeout", "60s"}});
    simdjson::dom::element rd = SuccessData(range);
    CHECK(Str(rd["resultType"]) == "matrix");
    simdjson::dom::array rr = rd["result"];
    REQUIRE(rr.size() == 3);
    for (simdjson::dom::element s : rr) {
      simdjson::dom::object metric = s["metric"];
      CHECK(metric.size() == 3);  // rate drops the name
      for (simdjson::dom::element p : s["values"].get_array()) CHECK(std::fabs(GrafanaValue(p.at(1)) - 1.0 / 15) < 1e-9);
    }
    // areExemplarsAvailable(): now-30m .. now in milliseconds.
    const int64_t now_ms = NowUnixMillis();
    Answer probe = grafana.Get("/api/v1/query_exemplars", {{"query", "test"},
                                                            {"start", fmt::format("{}", now_ms - 30 * 60 * 1000)},
                                                            {"end", fmt::format("{}", now_ms)}});
    CHECK(Str(probe.json["status"]) == "success");
    CHECK(probe.status == 200);
    Answer exemplars = grafana.Post("/api/v1/query_exemplars", {{"query", "grafana_http_requests_total"},
                                                                {"start", fmt::format("{}", data.first_s)},
                                                                {"end", fmt::format("{}", data.last_s)}});
    simdjson::dom::array none = SuccessData(exemplars);
    CHECK(none.size() == 0);
    // loadRules() and the metadata hover text.
    Answer rules = grafana.Get("/api/v1/rules");
    simdjson::dom::array groups = SuccessData(rules)["groups"];
    CHECK(groups.size() == 0);
    Answer metadata = grafana.Get("/api/v1/metadata");
    CHECK(SuccessData(metadata).is_object());
  }
}

}  // namespace
}  // namespace strata::testing
