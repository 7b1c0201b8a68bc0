// End to end with Debian's vmalert and Alertmanager: vmalert evaluates a
// recording and an alerting rule against the select node, writes the
// recording results (and ALERTS) back through the insert node and notifies
// a real Alertmanager. The select node proxies /api/v1/rules and
// /api/v1/alerts to that vmalert (-vmalert.proxyURL) in Prometheus's shape.
#include <chrono>
#include <string_view>

#include <catch2/catch.hpp>
#include <fmt/format.h>
#include <simdjson.h>

#include "common/base/clock.h"
#include "e2e/cluster.h"
#include "e2e/prom_json.h"
#include "e2e/real_clients.h"
#include "e2e/test_data.h"

namespace strata::testing {
namespace {

constexpr std::string_view kRules = R"(groups:
  - name: strata-e2e
    interval: 1s
    rules:
      - record: job:e2e_requests:sum
        expr: sum by (job) (e2e_requests_total)
      - alert: E2EHighRequests
        expr: sum by (job) (e2e_requests_total) > 10
        labels:
          severity: page
        annotations:
          summary: "{{ $labels.job }} has {{ $value }} requests"
)";

// e2e_requests_total of job "api" (two instances, summing to 30 at the
// end) and job "db" (3), one sample every 15 s up to 5 s ago (vmalert
// aligns its query time down to the evaluation interval).
std::vector<GeneratedSeries> RequestSeries() {
  const int64_t now = NowUnixMillis();
  std::vector<GeneratedSeries> out;
  for (auto [job, instance, last] : {std::tuple{"api", "a", 10.0}, {"api", "b", 20.0}, {"db", "c", 3.0}}) {
    GeneratedSeries s;
    s.labels = Labels::FromUnsorted({{"__name__", "e2e_requests_total"}, {"instance", instance}, {"job", job}});
    for (int k = 4; k >= 0; --k) s.samples.push_back(Sample{now - 5000 - k * 15000, last - k});
    out.push_back(std::move(s));
  }
  return out;
}

// The instant query at the current time once it returns `want_series`.
QueryResponse QueryNowUntil(StrataCluster& cluster, std::string_view query, size_t want_series) {
  QueryResponse last;
  WaitFor(60, std::chrono::milliseconds(250), [&] {
    auto r = cluster.Select(fmt::format("/select/0/prometheus/api/v1/query?query={}&time={}", UrlEncode(query),
                                        NowUnixMillis() / 1000.0));
    auto parsed = r.ok() ? ParseQueryResponse(r->body) : absl::StatusOr<QueryResponse>(r.status());
    if (parsed.ok()) last = *parsed;
    return parsed.ok() && last.status == "success" && last.series.size() == want_series;
  });
  return last;
}

std::string_view Str(simdjson::dom::element e, std::string_view key) {
  std::string_view v;
  return e[key].get(v) == simdjson::SUCCESS ? v : std::string_view("<missing>");
}

// A Prometheus alert object (rules[].alerts[] and /api/v1/alerts): label and
// annotation objects, state, activeAt and the value as a string.
void CheckPrometheusAlert(simdjson::dom::element alert) {
  CHECK(alert["labels"].is_object());
  CHECK(alert["annotations"].is_object());
  CHECK(Str(alert, "state") == "firing");
  CHECK(alert["activeAt"].is_string());
  CHECK(alert["value"].is_string());
  CHECK(Str(alert["labels"], "alertname") == "E2EHighRequests");
  CHECK(Str(alert["labels"], "job") == "api");
  CHECK(Str(alert["labels"], "severity") == "page");
  CHECK(Str(alert["annotations"], "summary") == "api has 30 requests");
}

TEST_CASE("vmalert rules over select write recording results back and fire alerts into Alertmanager",
          "[e2e][.slow]") {
  const uint16_t vmalert_port = PickFreePort();
  ClusterOptions options;
  options.select_args = {fmt::format("-vmalert.proxyURL=http://127.0.0.1:{}", vmalert_port)};
  StrataCluster cluster(options);
  cluster.Start();

  std::string error;
  Alertmanager alertmanager(cluster.dir().path());
  REQUIRE(alertmanager.Start(&error));
  Vmalert vmalert(cluster.dir().path(),
                  VmalertOptions{.rules_yaml = std::string(kRules),
                                 .datasource_url = fmt::format("http://127.0.0.1:{}/select/0/prometheus",
                                                               cluster.select_port()),
                                 .remote_write_url = fmt::format("http://127.0.0.1:{}/insert/0/prometheus",
                                                                 cluster.insert_port()),
                                 .notifier_url = fmt::format("http://127.0.0.1:{}", alertmanager.port()),
                                 .port = vmalert_port});
  const bool started = vmalert.Start(&error);
  INFO(error);
  REQUIRE(started);
  // No data yet, so nothing fires: the list is empty, not null.
  auto no_alerts = cluster.Select("/select/0/prometheus/api/v1/alerts");
  REQUIRE(no_alerts.ok());
  CHECK(no_alerts->body == R"({"status":"success","data":{"alerts":[]}})");
  WriteAll(cluster, EncodeRequests(RequestSeries(), 3));

  SECTION("the recording rule's series is readable from select") {
    QueryResponse recorded = QueryNowUntil(cluster, "job:e2e_requests:sum", 2);
    INFO(recorded.error << "\n" << vmalert.LogTail() << cluster.Logs());
    REQUIRE(recorded.series.size() == 2);
    CHECK(recorded.series[0].LabelsText() == R"({__name__="job:e2e_requests:sum", job="api"})");
    CHECK(recorded.series[0].points.at(0).second == "30");
    CHECK(recorded.series[1].LabelsText() == R"({__name__="job:e2e_requests:sum", job="db"})");
    CHECK(recorded.series[1].points.at(0).second == "3");
    // vmalert also records the alert's state.
    QueryResponse alerts = QueryNowUntil(cluster, R"(ALERTS{alertname="E2EHighRequests"})", 1);
    REQUIRE(alerts.series.size() == 1);
    CHECK(alerts.series[0].LabelsText() ==
          R"({__name__="ALERTS", alertgroup="strata-e2e", alertname="E2EHighRequests", alertstate="firing", job="api", severity="page"})");
  }

  SECTION("Alertmanager receives the firing alert") {
    simdjson::dom::parser parser;
    std::string body;
    const bool fired = WaitFor(60, std::chrono::milliseconds(250), [&] {
      auto r = HttpClient::Get("127.0.0.1", alertmanager.port(), "/api/v2/alerts");
      if (!r.ok() || r->status != 200) return false;
      body = r->body;
      simdjson::dom::array list;
      return parser.parse(body).get(list) == simdjson::SUCCESS && list.size() == 1;
    });
    INFO(body << "\n" << vmalert.LogTail());
    REQUIRE(fired);
    simdjson::dom::element alert = parser.parse(body).at(0);
    CHECK(Str(alert["labels"], "alertname") == "E2EHighRequests");
    CHECK(Str(alert["labels"], "job") == "api");
    CHECK(Str(alert["labels"], "severity") == "page");
    CHECK(Str(alert["annotations"], "summary") == "api has 30 requests");
    CHECK(Str(alert["status"], "state") == "active");
  }

  SECTION("select serves vmalert's rules and alerts in Prometheus's shape") {
    simdjson::dom::parser parser;
    std::string rules_body;
    // Wait until the alert fires, as seen through the select node.
    const bool firing = WaitFor(60, std::chrono::milliseconds(250), [&] {
      auto r = cluster.Select("/select/0/prometheus/api/v1/rules");
      if (!r.ok() || r->status != 200) return false;
      rules_body = r->body;
      return rules_body.find(R"("state":"firing")") != std::string::npos;
    });
    INFO(rules_body);
    REQUIRE(firing);
    simdjson::dom::element rules = parser.parse(rules_body);
    CHECK(Str(rules, "status") == "success");
    simdjson::dom::array groups = rules["data"]["groups"];
    REQUIRE(groups.size() == 1);
    simdjson::dom::element group = groups.at(0);
    CHECK(Str(group, "name") == "strata-e2e");
    CHECK(group["file"].is_string());
    CHECK(group["interval"].is_number());
    simdjson::dom::array group_rules = group["rules"];
    REQUIRE(group_rules.size() == 2);
    simdjson::dom::element recording = group_rules.at(0);
    CHECK(Str(recording, "type") == "recording");
    CHECK(Str(recording, "name") == "job:e2e_requests:sum");
    CHECK(Str(recording, "query") == "sum by (job) (e2e_requests_total)");
    CHECK(Str(recording, "health") == "ok");
    simdjson::dom::element alerting = group_rules.at(1);
    CHECK(Str(alerting, "type") == "alerting");
    CHECK(Str(alerting, "name") == "E2EHighRequests");
    CHECK(Str(alerting, "query") == "sum by (job) (e2e_requests_total) > 10");
    CHECK(Str(alerting, "state") == "firing");
    CHECK(Str(alerting, "health") == "ok");
    CHECK(alerting["duration"].is_number());
    simdjson::dom::array rule_alerts;
    REQUIRE(alerting["alerts"].get(rule_alerts) == simdjson::SUCCESS);
    REQUIRE(rule_alerts.size() == 1);
    CheckPrometheusAlert(rule_alerts.at(0));

    // A form POST (as Grafana sends) reaches vmalert too.
    auto alerts_resp = cluster.SelectRequest("POST", "/select/0/prometheus/api/v1/alerts", "",
                                             {{"Content-Type", "application/x-www-form-urlencoded"}});
    REQUIRE(alerts_resp.ok());
    INFO(alerts_resp->body);
    CHECK(alerts_resp->status == 200);
    simdjson::dom::element alerts = parser.parse(alerts_resp->body);
    CHECK(Str(alerts, "status") == "success");
    simdjson::dom::array list;
    REQUIRE(alerts["data"]["alerts"].get(list) == simdjson::SUCCESS);
    REQUIRE(list.size() == 1);
    CheckPrometheusAlert(list.at(0));
  }
}

}  // namespace
}  // namespace strata::testing
