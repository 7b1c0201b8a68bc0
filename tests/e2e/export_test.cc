// End-to-end tests of the raw-sample and cardinality endpoints of the select
// node on real clusters: /api/v1/export (JSON lines), /federate (scraped by
// the real Prometheus 2.42) and /api/v1/status/tsdb.
#include <chrono>
#include <ctime>
#include <map>
#include <thread>

#include <catch2/catch.hpp>
#include <fmt/format.h>

#include "common/base/clock.h"
#include "e2e/cluster.h"
#include "e2e/prom_json.h"
#include "e2e/real_prometheus.h"
#include "e2e/test_data.h"
#include "testing/http_client.h"

namespace strata::testing {
namespace {

// `count` series <name>{job=<job>,instance="h<i>"} with `samples` samples
// 15 s apart ending `end_ms`; value s*100 + i + 0.25 for odd i.
std::vector<GeneratedSeries> MakeSeries(std::string_view name, std::string_view job, int count, int samples,
                                        int64_t end_ms) {
  std::vector<GeneratedSeries> out;
  for (int s = 0; s < count; ++s) {
    GeneratedSeries g;
    g.labels = Labels::FromUnsorted(
        {{"__name__", std::string(name)}, {"job", std::string(job)}, {"instance", fmt::format("h{}", s)}});
    for (int i = 0; i < samples; ++i) {
      g.samples.push_back({end_ms - (samples - 1 - i) * 15'000, s * 100 + i + (i % 2 == 1 ? 0.25 : 0.0)});
    }
    out.push_back(std::move(g));
  }
  return out;
}

// The JSON lines VictoriaMetrics writes for `g`, at most `per_line` samples
// a line (0: all), labels in sorted order.
std::string ExpectedLines(const GeneratedSeries& g, size_t per_line) {
  std::string out;
  const size_t n = g.samples.size();
  if (per_line == 0) per_line = n;
  for (size_t b = 0; b < n; b += per_line) {
    std::string values, timestamps;
    for (size_t i = b; i < std::min(n, b + per_line); ++i) {
      values += fmt::format("{}{}", i > b ? "," : "", g.samples[i].value);
      timestamps += fmt::format("{}{}", i > b ? "," : "", g.samples[i].timestamp_ms);
    }
    out += fmt::format(
        R"({{"metric":{{"__name__":"{}","instance":"{}","job":"{}"}},"values":[{}],"timestamps":[{}]}})"
        "\n",
        g.labels.Get("__name__"), g.labels.Get("instance"), g.labels.Get("job"), values, timestamps);
  }
  return out;
}

// GETs `target` from the select node until it answers 200 with `want`
// (writes are acknowledged once in the WAL; a few retries cover slow
// nodes) and returns the last body.
std::string SelectUntil(StrataCluster& cluster, const std::string& target, const std::string& want) {
  std::string body;
  for (int attempt = 0; attempt < 50; ++attempt) {
    auto r = cluster.Select(target);
    REQUIRE(r.ok());
    body = r->body;
    if (r->status == 200 && body == want) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  return body;
}

TEST_CASE("export answers every written sample once as JSON lines, though replicas hold two copies",
          "[e2e][.slow]") {
  StrataCluster cluster;  // 3 storage nodes, replication factor 2
  cluster.Start();
  const int64_t end = NowUnixMillis() - 60'000;
  auto data = MakeSeries("e2e_export", "exp", 4, 12, end);
  WriteAll(cluster, EncodeRequests(data, 2));

  std::string want;
  for (const auto& g : data) want += ExpectedLines(g, 0);
  CHECK(SelectUntil(cluster, "/select/0/prometheus/api/v1/export?match[]=e2e_export", want) == want);

  // Two selectors naming the same series, start/end and max_rows_per_line.
  want.clear();
  for (const auto& g : data) {
    if (g.labels.Get("instance") == "h1") want = ExpectedLines(g, 5);
  }
  auto r = cluster.Select(fmt::format(
      "/api/v1/export?match[]=e2e_export%7Binstance%3D%22h1%22%7D&match[]=%7Binstance%3D%22h1%22%7D"
      "&max_rows_per_line=5&start={}.{:03}&end={}.{:03}",
      (end - 11 * 15'000) / 1000, (end - 11 * 15'000) % 1000, end / 1000, end % 1000));
  REQUIRE(r.ok());
  CHECK(r->body == want);

  r = cluster.Select("/api/v1/export");
  REQUIRE(r.ok());
  CHECK(r->status == 400);
  CHECK(r->body == R"({"status":"error","errorType":"bad_data","error":"no match[] parameter provided"})");
  r = cluster.Select("/api/v1/export?match[]=up&end=noon");
  REQUIRE(r.ok());
  CHECK(r->status == 400);
}

TEST_CASE("the real Prometheus federates the newest samples from the select node", "[e2e][.slow]") {
  StrataCluster cluster;
  cluster.Start();
  const int64_t end = NowUnixMillis() - 20'000;
  auto data = MakeSeries("e2e_fed", "fed", 3, 6, end);
  WriteAll(cluster, EncodeRequests(data, 3));

  // The exposition text itself.
  std::string want = "# TYPE e2e_fed untyped\n";
  for (const auto& g : data) {
    want += fmt::format("e2e_fed{{instance=\"{}\",job=\"fed\"}} {} {}\n", g.labels.Get("instance"),
                        g.samples.back().value, g.samples.back().timestamp_ms);
  }
  CHECK(SelectUntil(cluster, "/federate?match[]=e2e_fed", want) == want);
  auto r = cluster.Select("/select/0/prometheus/federate");
  REQUIRE(r.ok());
  CHECK(r->status == 400);

  RealPrometheus prometheus(cluster.dir().path(), cluster.insert_port());
  prometheus.AddScrapeConfig(fmt::format(R"(  - job_name: federate
    honor_labels: true
    metrics_path: /select/0/prometheus/federate
    params:
      'match[]': ['{{__name__="e2e_fed"}}']
    static_configs:
      - targets: ['127.0.0.1:{}']
)",
                                         cluster.select_port()));
  std::string error;
  const bool started = prometheus.Start(&error);
  INFO(error);
  REQUIRE(started);
  std::string got_body;
  absl::StatusOr<QueryResponse> got = absl::UnknownError("not queried");
  for (int attempt = 0; attempt < 40; ++attempt) {
    auto resp = HttpClient::Get("127.0.0.1", prometheus.port(), "/api/v1/query?query=e2e_fed");
    REQUIRE(resp.ok());
    got_body = resp->body;
    got = ParseQueryResponse(resp->body);
    if (got.ok() && got->series.size() == data.size()) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(250));
  }
  INFO(got_body << prometheus.LogTail());
  REQUIRE(got.ok());
  REQUIRE(got->series.size() == data.size());
  for (const auto& g : data) {
    std::map<std::string, std::string> labels;
    for (const Label& l : g.labels) labels[l.name] = l.value;
    bool found = false;
    for (const auto& s : got->series) {
      if (s.labels != labels) continue;
      found = true;
      REQUIRE(s.points.size() == 1);
      // The federated sample keeps its value; Prometheus answers the query
      // with it (its timestamp is the query's evaluation time).
      CHECK(s.points[0].second == fmt::format("{}", g.samples.back().value));
    }
    INFO(g.labels.ToString());
    CHECK(found);
  }
}

TEST_CASE("tsdb status counts the written series once across replicas", "[e2e][.slow]") {
  ClusterOptions options;
  options.storage_nodes = 2;
  options.replication_factor = 2;  // every node holds every series
  StrataCluster cluster(options);
  cluster.Start();
  const int64_t end = NowUnixMillis() - 60'000;
  auto data = MakeSeries("e2e_card_a", "x", 5, 3, end);
  auto b = MakeSeries("e2e_card_b", "y", 1, 3, end);
  data.insert(data.end(), b.begin(), b.end());
  WriteAll(cluster, EncodeRequests(data, 6));
  // Every series readable before counting.
  std::string want;
  for (const auto& g : data) want += ExpectedLines(g, 0);
  REQUIRE(SelectUntil(cluster, "/api/v1/export?match[]=%7Bjob%3D~%22x%7Cy%22%7D", want) == want);

  auto r = cluster.Select("/select/0/prometheus/api/v1/status/tsdb?match[]=%7Bjob%3D~%22x%7Cy%22%7D&topN=3");
  REQUIRE(r.ok());
  INFO(r->body);
  CHECK(r->status == 200);
  for (const char* part : {
           R"("seriesCountByMetricName":[{"name":"e2e_card_a","value":5},{"name":"e2e_card_b","value":1}])",
           R"("labelValueCountByLabelName":[{"name":"instance","value":5},{"name":"__name__","value":2},)"
           R"({"name":"job","value":2}])",
           // 5 * len("e2e_card_a") + len("e2e_card_b")
           R"("memoryInBytesByLabelName":[{"name":"__name__","value":60},{"name":"instance","value":12},)"
           R"({"name":"job","value":6}])",
           R"("seriesCountByLabelValuePair":[{"name":"__name__=e2e_card_a","value":5},)"
           R"({"name":"job=x","value":5},{"name":"instance=h0","value":2}])",
           R"("seriesCountByLabelName":[{"name":"__name__","value":6},{"name":"instance","value":6},)"
           R"({"name":"job","value":6}])",
           R"("totalSeries":6,"totalLabelValuePairs":18})",
           R"("headStats":{"numSeries":6,"numLabelPairs":9,)",
       }) {
    CHECK(r->body.find(part) != std::string::npos);
  }

  // Today's series, the focus label's values, and an empty day.
  const std::time_t now = static_cast<std::time_t>(end / 1000);
  std::tm tm{};
  ::gmtime_r(&now, &tm);
  const std::string today = fmt::format("{:04}-{:02}-{:02}", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday);
  r = cluster.Select(fmt::format("/api/v1/status/tsdb?date={}&focusLabel=job&match[]=%7Bjob%3D~%22x%7Cy%22%7D", today));
  REQUIRE(r.ok());
  CHECK(r->body.find(R"("seriesCountByFocusLabelValue":[{"name":"x","value":5},{"name":"y","value":1}])") !=
        std::string::npos);
  r = cluster.Select("/api/v1/status/tsdb?date=2001-01-01");
  REQUIRE(r.ok());
  CHECK(r->body.find(R"("totalSeries":0,)") != std::string::npos);
  r = cluster.Select("/api/v1/status/tsdb?limit=0");
  REQUIRE(r.ok());
  CHECK(r->status == 400);
  CHECK(r->body.find("limit must be a positive number") != std::string::npos);
}

}  // namespace
}  // namespace strata::testing
