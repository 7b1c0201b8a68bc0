// End to end with the real Prometheus 2.42 from Debian as the remote_write
// sender: it scrapes itself every second and remote-writes to the insert
// node. What the select node returns must match what Prometheus returns from
// its own TSDB for the same selector and time.
#include <chrono>
#include <thread>

#include <catch2/catch.hpp>
#include <fmt/format.h>

#include "common/base/clock.h"
#include "e2e/cluster.h"
#include "e2e/prom_json.h"
#include "e2e/real_prometheus.h"

namespace strata::testing {
namespace {

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

  RealPrometheus prometheus(cluster.dir().path(), cluster.insert_port());
  std::string error;
  const bool started = prometheus.Start(&error);
  INFO(error);
  REQUIRE(started);
  const uint16_t prom_port = prometheus.port();
  // Compare at a time a few seconds in the past (the remote_write queue
  // sends at most 1 s late), with a few scrapes behind it.
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
  prometheus.Stop();
}

}  // namespace
}  // namespace strata::testing
