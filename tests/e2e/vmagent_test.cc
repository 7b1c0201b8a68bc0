// End to end with Debian's vmagent as the remote_write sender: it scrapes a
// real node exporter and itself every second and remote-writes to the insert
// node. Every sample vmagent says it sent must be readable from the select
// node, under the labels vmagent attached.
#include <chrono>
#include <set>
#include <thread>

#include <catch2/catch.hpp>
#include <fmt/format.h>

#include "common/base/clock.h"
#include "e2e/cluster.h"
#include "e2e/prom_json.h"
#include "e2e/real_clients.h"
#include "e2e/real_prometheus.h"

namespace strata::testing {
namespace {

// One instant query at the current time, retried while the answer is not
// "success" with `want_series` series (samples are still on their way).
QueryResponse QueryUntil(StrataCluster& cluster, const std::string& query, size_t want_series) {
  QueryResponse last;
  WaitFor(40, std::chrono::milliseconds(250), [&] {
    auto r = cluster.Select(fmt::format("/select/0/prometheus/api/v1/query?query={}&time={}", UrlEncode(query),
                                        NowUnixMillis() / 1000.0));
    if (!r.ok()) return false;
    auto parsed = ParseQueryResponse(r->body);
    if (!parsed.ok()) return false;
    last = *parsed;
    return last.status == "success" && last.series.size() == want_series;
  });
  return last;
}

double Metric(const std::string& exposition, std::string_view name, const std::vector<std::string>& filter = {}) {
  auto v = SumExposedMetric(exposition, name, filter);
  INFO(name);
  REQUIRE(v.ok());
  return *v;
}

TEST_CASE("every sample vmagent scrapes from a node exporter and itself reads back from select", "[e2e][.slow]") {
  StrataCluster cluster;
  cluster.Start();
  std::string error;
  NodeExporter node(cluster.dir().path() + "/node_exporter.log");
  REQUIRE(node.Start(&error));
  Vmagent vmagent(cluster.dir().path(), cluster.insert_port(), {node.target()});
  const bool started = vmagent.Start(&error);
  INFO(error);
  REQUIRE(started);

  // `up` of both jobs, with exactly the labels vmagent attaches.
  QueryResponse up = QueryUntil(cluster, "up", 2);
  INFO(cluster.Logs() << vmagent.LogTail());
  REQUIRE(up.series.size() == 2);
  std::set<std::string> up_labels = {up.series[0].LabelsText(), up.series[1].LabelsText()};
  CHECK(up_labels == std::set<std::string>{
                         fmt::format(R"({{__name__="up", instance="{}", job="node"}})", node.target()),
                         fmt::format(R"({{__name__="up", instance="127.0.0.1:{}", job="vmagent"}})", vmagent.port())});
  for (const QuerySeries& s : up.series) CHECK(s.points.at(0).second == "1");

  // Node metrics arrive with their own labels plus job and instance.
  QueryResponse idle = QueryUntil(cluster, R"(node_cpu_seconds_total{cpu="0",mode="idle"})", 1);
  REQUIRE(idle.series.size() == 1);
  CHECK(idle.series[0].LabelsText() ==
        fmt::format(R"({{__name__="node_cpu_seconds_total", cpu="0", instance="{}", job="node", mode="idle"}})",
                    node.target()));

  // Let a few more scrapes through, then stop scraping and wait until
  // vmagent's queue is empty and its counter has not moved for 3 s (three
  // scrape intervals: the reload takes effect asynchronously).
  std::this_thread::sleep_for(std::chrono::seconds(3));
  vmagent.StopScraping();
  std::string metrics;
  double pushed = -1;
  int unchanged = 0;
  const bool settled = WaitFor(60, std::chrono::milliseconds(500), [&] {
    auto m = vmagent.Metrics();
    if (!m.ok()) return false;
    auto rows = SumExposedMetric(*m, "vmagent_remotewrite_rows_pushed_after_relabel_total");
    auto pending = SumExposedMetric(*m, "vmagent_remotewrite_pending_data_bytes");
    const bool same = rows.ok() && *rows == pushed && pending.ok() && *pending == 0;
    unchanged = same ? unchanged + 1 : 0;
    pushed = rows.ok() ? *rows : -1;
    metrics = *m;
    return unchanged >= 6;
  });
  REQUIRE(settled);
  REQUIRE(pushed > 1000);
  // Every request was accepted at once (vmagent counts 2xx as "2XX").
  const double requests = Metric(metrics, "vmagent_remotewrite_requests_total");
  CHECK(Metric(metrics, "vmagent_remotewrite_requests_total", {R"(status_code="2XX")"}) == requests);
  CHECK(SumExposedMetric(metrics, "vmagent_remotewrite_packets_dropped_total").value_or(0) == 0);
  CHECK(SumExposedMetric(metrics, "vmagent_remotewrite_retries_count_total").value_or(0) == 0);

  // The select node holds exactly as many samples as were sent: the raw
  // samples of every series of both jobs, counted point by point.
  const std::string all = UrlEncode(R"({job=~"node|vmagent"}[10m])");
  size_t stored = 0;
  const bool complete = WaitFor(20, std::chrono::milliseconds(500), [&] {
    auto r = cluster.Select(
        fmt::format("/select/0/prometheus/api/v1/query?query={}&time={}", all, NowUnixMillis() / 1000.0));
    auto parsed = r.ok() ? ParseQueryResponse(r->body) : absl::StatusOr<QueryResponse>(r.status());
    if (!parsed.ok() || parsed->status != "success") return false;
    stored = 0;
    for (const QuerySeries& s : parsed->series) stored += s.points.size();
    return static_cast<double>(stored) == pushed;
  });
  INFO("vmagent pushed " << pushed << "; select returns " << stored);
  CHECK(complete);
}

}  // namespace
}  // namespace strata::testing
