// End to end with the real Prometheus 2.42 from Debian as the remote_write
// sender: it scrapes itself every second and remote-writes to the insert
// node. What the select node returns must match what Prometheus returns from
// its own TSDB for the same selector and time.
#include <signal.h>

#include <chrono>
#include <fstream>
#include <thread>

#include <catch2/catch.hpp>
#include <fmt/format.h>

#include "common/base/clock.h"
#include "e2e/cluster.h"
#include "e2e/prom_json.h"

namespace strata::testing {
namespace {

constexpr const char* kPrometheusBinary = "/usr/bin/prometheus";

std::string Diff(const QueryResponse& want, const QueryResponse& got) {
  std::string out;
  if (want.series.size() != got.series.size()) {
    out += fmt::format("series count: prometheus {} strata {}\n", want.series.size(), got.series.size());
  }
  size_t n = std::min(want.series.size(), got.series.size());
  int shown = 0;
  for (size_t i = 0; i < n && shown < 5; ++i) {
    const auto& w = want.series[i];
    const auto& g = got.series[i];
    if (w.LabelsText() != g.LabelsText() || w.points != g.points) {
      ++shown;
      out += fmt::format("prometheus {} {} points, first {}\n  strata {} {} points, first {}\n", w.LabelsText(),
                         w.points.size(), w.points.empty() ? "-" : w.points[0].second, g.LabelsText(),
                         g.points.size(), g.points.empty() ? "-" : g.points[0].second);
    }
  }
  return out;
}

TEST_CASE("samples remote-written by a real Prometheus read back as Prometheus returns them", "[e2e][.slow]") {
  StrataCluster cluster;
  cluster.Start();

  uint16_t prom_port = PickFreePort();
  std::string config_path = cluster.dir().path() + "/prometheus.yml";
  {
    std::ofstream config(config_path);
    config << fmt::format(R"(global:
  scrape_interval: 1s
  evaluation_interval: 1s
scrape_configs:
  - job_name: prometheus
    static_configs:
      - targets: ['127.0.0.1:{}']
remote_write:
  - url: http://127.0.0.1:{}/insert/0/prometheus/api/v1/write
    queue_config:
      batch_send_deadline: 1s
      max_shards: 4
)",
                          prom_port, cluster.insert_port());
  }
  ChildProcess prometheus;
  prometheus.Start({kPrometheusBinary, "--config.file=" + config_path,
                    "--storage.tsdb.path=" + cluster.dir().path() + "/prometheus-data",
                    fmt::format("--web.listen-address=127.0.0.1:{}", prom_port)},
                   cluster.dir().path() + "/prometheus.log");

  // Let Prometheus scrape a few times, then compare at a time a few seconds
  // in the past (the remote_write queue sends at most 1 s late).
  bool prom_up = false;
  for (int i = 0; i < 100 && !prom_up; ++i) {
    auto r = HttpClient::Get("127.0.0.1", prom_port, "/-/ready");
    prom_up = r.ok() && r->status == 200;
    if (!prom_up) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  INFO(prometheus.LogTail());
  REQUIRE(prom_up);
  // The first scrape comes a few seconds after start; wait for it, then for
  // a few more scrapes so that the comparison time has history behind it.
  bool scraped = false;
  for (int i = 0; i < 150 && !scraped; ++i) {
    auto r = HttpClient::Get("127.0.0.1", prom_port, "/api/v1/query?query=up");
    auto parsed = r.ok() ? ParseQueryResponse(r->body) : absl::StatusOr<QueryResponse>(r.status());
    scraped = parsed.ok() && !parsed->series.empty();
    if (!scraped) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  REQUIRE(scraped);
  std::this_thread::sleep_for(std::chrono::seconds(5));
  int64_t t = NowUnixMillis() / 1000 - 2;

  const std::vector<std::string> queries = {
      fmt::format("/api/v1/query?query=%7Bjob%3D%22prometheus%22%7D&time={}", t),
      fmt::format("/api/v1/query?query=up&time={}", t),
      fmt::format("/api/v1/query_range?query=prometheus_http_requests_total&start={}&end={}&step=1", t - 4, t),
  };
  for (const std::string& q : queries) {
    auto want_resp = HttpClient::Get("127.0.0.1", prom_port, q);
    REQUIRE(want_resp.ok());
    REQUIRE(want_resp->status == 200);
    auto want = ParseQueryResponse(want_resp->body);
    REQUIRE(want.ok());
    REQUIRE(!want->series.empty());
    std::string diff = "not queried";
    for (int attempt = 0; attempt < 60 && !diff.empty(); ++attempt) {
      auto got_resp = cluster.Select("/select/0/prometheus" + q);
      REQUIRE(got_resp.ok());
      auto got = ParseQueryResponse(got_resp->body);
      REQUIRE(got.ok());
      diff = got->status == "success" ? Diff(*want, *got) : got_resp->body;
      if (!diff.empty()) std::this_thread::sleep_for(std::chrono::milliseconds(500));
    }
    INFO(q << "\n" << diff << "\n" << cluster.Logs());
    CHECK(diff.empty());
    if (q == queries[0]) CHECK(want->series.size() > 100);
  }
  prometheus.Stop(SIGTERM);
}

}  // namespace
}  // namespace strata::testing
