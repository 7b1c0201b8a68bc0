// End to end against the real Prometheus 2.42 from Debian: Prometheus
// scrapes itself and a real node exporter every second and remote-writes
// every sample to a Strata cluster; then the same dashboard-style PromQL
// queries go to both, and the answers must agree (labels exactly, values to
// 1e-9 relative).
//
// Prometheus 2 and 3 differ at window boundaries: 2.x includes a sample
// exactly at t - range (or t - lookback), 3.x does not. The queries are
// therefore evaluated at a millisecond phase that no scrape timestamp comes
// near, where both semantics select the same samples.
#include <cmath>
#include <thread>

#include <catch2/catch.hpp>
#include <fmt/format.h>
#include <fmt/ranges.h>

#include "common/base/clock.h"
#include "e2e/cluster.h"
#include "e2e/prom_json.h"
#include "e2e/real_prometheus.h"

namespace strata::testing {
namespace {

bool SameValue(const std::string& a, const std::string& b) {
  if (a == b) return true;
  const double x = std::strtod(a.c_str(), nullptr);
  const double y = std::strtod(b.c_str(), nullptr);
  if (std::isnan(x) || std::isnan(y) || std::isinf(x) || std::isinf(y)) return false;
  // Relative 1e-9, or absolute 1e-12 for results that are rounding noise
  // around zero (a stddev of equal rates comes out as 1.57e-14 on one side
  // and 1.57e-14 with other last bits on the other).
  const double diff = std::fabs(x - y);
  return diff <= 1e-9 * std::max(std::fabs(x), std::fabs(y)) || diff <= 1e-12;
}

// Empty when equal; else a readable difference.
std::string Compare(const QueryResponse& want, const QueryResponse& got) {
  if (got.status != "success") return "strata failed: " + got.error_type + ": " + got.error;
  if (want.result_type != got.result_type) {
    return fmt::format("result type: prometheus {} strata {}", want.result_type, got.result_type);
  }
  std::string out;
  if (want.series.size() != got.series.size()) {
    out += fmt::format("series count: prometheus {} strata {}\n", want.series.size(), got.series.size());
  }
  int shown = 0;
  for (size_t i = 0; i < std::max(want.series.size(), got.series.size()) && shown < 4; ++i) {
    const QuerySeries* w = i < want.series.size() ? &want.series[i] : nullptr;
    const QuerySeries* g = i < got.series.size() ? &got.series[i] : nullptr;
    bool same = w != nullptr && g != nullptr && w->LabelsText() == g->LabelsText() &&
                w->points.size() == g->points.size();
    for (size_t j = 0; same && j < w->points.size(); ++j) {
      same = w->points[j].first == g->points[j].first && SameValue(w->points[j].second, g->points[j].second);
    }
    if (same) continue;
    ++shown;
    auto describe = [](const QuerySeries* s) {
      if (s == nullptr) return std::string("(none)");
      std::string points;
      for (size_t j = 0; j < s->points.size() && j < 4; ++j) {
        points += fmt::format(" {}@{}", s->points[j].second, s->points[j].first);
      }
      return fmt::format("{} [{} points:{}]", s->LabelsText(), s->points.size(), points);
    };
    out += fmt::format("  prometheus {}\n  strata     {}\n", describe(w), describe(g));
  }
  return out;
}

// The millisecond phase (0..999) farthest from every scrape timestamp's,
// over every scrape since the start (the first scrape of a target may come
// at another phase than the later, aligned ones).
int64_t SafePhase(uint16_t prom_port) {
  auto r = HttpClient::Get("127.0.0.1", prom_port, "/api/v1/query?query=" + UrlEncode("up[5m]"));
  REQUIRE(r.ok());
  auto parsed = ParseQueryResponse(r->body);
  REQUIRE(parsed.ok());
  std::vector<int64_t> phases;
  for (const QuerySeries& s : parsed->series) {
    for (const auto& [t, v] : s.points) phases.push_back(((t % 1000) + 1000) % 1000);
  }
  REQUIRE(!phases.empty());
  int64_t best = 0, best_distance = -1;
  INFO("scrape phases (ms): " << fmt::format("{}", fmt::join(phases, " ")));
  for (int64_t c = 0; c < 1000; c += 10) {
    int64_t nearest = 1000;
    for (int64_t p : phases) nearest = std::min({nearest, std::abs(c - p), 1000 - std::abs(c - p)});
    if (nearest > best_distance) {
      best_distance = nearest;
      best = c;
    }
  }
  // Scrape timestamps jitter by a few ms; far less than this margin.
  CHECK(best_distance >= 50);
  return best;
}

// Dashboard-style queries over node exporter and Prometheus's own metrics:
// the functions, aggregations and operators Grafana dashboards use most.
const std::vector<std::string>& Queries() {
  static const std::vector<std::string> queries = {
      "up",
      "rate(node_cpu_seconds_total[30s])",
      "sum by (mode) (rate(node_cpu_seconds_total[30s]))",
      "100 - avg by (instance) (rate(node_cpu_seconds_total{mode=\"idle\"}[30s])) * 100",
      "irate(node_cpu_seconds_total{mode=\"user\"}[10s])",
      "increase(prometheus_tsdb_head_samples_appended_total[30s])",
      "node_memory_MemAvailable_bytes / node_memory_MemTotal_bytes * 100",
      "node_filesystem_avail_bytes{fstype!~\"tmpfs|overlay\"} / node_filesystem_size_bytes",
      "rate(node_network_receive_bytes_total[20s])",
      "sum without (cpu) (rate(node_cpu_seconds_total[30s]))",
      "topk(3, rate(node_cpu_seconds_total[30s]))",
      "bottomk(2, process_resident_memory_bytes)",
      "count by (job) (up)",
      "count(node_cpu_seconds_total) by (mode)",
      "sum(rate(prometheus_http_requests_total[30s])) by (handler)",
      "histogram_quantile(0.9, sum by (le) (rate(prometheus_http_request_duration_seconds_bucket[30s])))",
      "histogram_quantile(0.5, rate(prometheus_tsdb_compaction_chunk_range_seconds_bucket[30s]))",
      "max_over_time(process_resident_memory_bytes[20s])",
      "min_over_time(process_resident_memory_bytes[20s])",
      "avg_over_time(go_goroutines[20s])",
      "quantile_over_time(0.5, go_goroutines[20s])",
      "stddev_over_time(process_resident_memory_bytes[20s])",
      "count_over_time(up[20s])",
      "last_over_time(go_goroutines[20s])",
      "changes(go_goroutines[20s])",
      "resets(prometheus_http_requests_total[20s])",
      "deriv(process_resident_memory_bytes[20s])",
      "predict_linear(process_resident_memory_bytes[20s], 3600)",
      "delta(go_goroutines[20s])",
      "node_load1 > 0",
      "up == bool 1",
      "go_goroutines > on (job, instance) group_left () up",
      "process_resident_memory_bytes * on (instance, job) group_left (version) go_info",
      "up and on (job) go_goroutines",
      "up unless on (job) node_load1",
      "node_load1 or go_goroutines",
      "label_replace(up, \"host\", \"$1\", \"instance\", \"(.*):.*\")",
      "label_join(up, \"both\", \"/\", \"job\", \"instance\")",
      "absent(this_metric_does_not_exist{job=\"x\"})",
      "count_values(\"goroutines\", go_goroutines)",
      "quantile(0.5, rate(node_cpu_seconds_total[30s]))",
      "stddev by (mode) (rate(node_cpu_seconds_total[30s]))",
      "group by (job) (up)",
      "avg(rate(node_cpu_seconds_total[30s])) by (cpu)",
      "max(rate(node_network_transmit_bytes_total[20s])) by (device)",
      "scalar(up{job=\"prometheus\"}) * 2",
      "time() - process_start_time_seconds",
      "timestamp(up)",
      "abs(deriv(go_goroutines[20s]))",
      "round(rate(node_cpu_seconds_total[30s]), 0.01)",
      "clamp_max(go_goroutines, 20)",
      "sort_desc(sum by (mode) (rate(node_cpu_seconds_total[30s])))",
      "rate(node_cpu_seconds_total{mode=\"system\"}[30s:5s])",
      "max_over_time(rate(prometheus_http_requests_total[10s])[30s:2s])",
      "go_goroutines offset 5s",
      "-go_goroutines",
      "vector(1) + on () group_left () vector(2)",
      "sum(up) / count(up)",
      "ln(node_memory_MemTotal_bytes) + log2(node_memory_MemTotal_bytes)",
      "day_of_week() * 0 + hour(vector(0))",
  };
  return queries;
}

TEST_CASE("dashboard PromQL over data remote-written by a real Prometheus answers as Prometheus 2.42 does",
          "[e2e][promql][.slow]") {
  StrataCluster cluster;
  cluster.Start();
  NodeExporter node_exporter(cluster.dir().path() + "/node_exporter.log");
  std::string error;
  const bool exporter_started = node_exporter.Start(&error);
  INFO(error);
  REQUIRE(exporter_started);
  RealPrometheus prometheus(cluster.dir().path(), cluster.insert_port(), {node_exporter.target()});
  const bool prometheus_started = prometheus.Start(&error);
  INFO(error);
  REQUIRE(prometheus_started);

  // The queries look back at most 40 s from the evaluation time. Prometheus
  // 2.42's remote_write starts reading its WAL only once the queue is up, so
  // the first scrapes may never reach Strata: keep 12 s of margin before the
  // oldest window, and 3 s for remote_write to deliver the newest samples.
  std::this_thread::sleep_for(std::chrono::seconds(55));
  const int64_t phase = SafePhase(prometheus.port());
  const int64_t t_ms = (NowUnixMillis() / 1000 - 3) * 1000 + phase;
  const std::string t = fmt::format("{}.{:03}", t_ms / 1000, t_ms % 1000);
  const std::string start = fmt::format("{}.{:03}", t_ms / 1000 - 10, t_ms % 1000);

  // The raw samples first (range vectors can only be instant queries):
  // if these differ, no function result can agree.
  std::vector<std::string> targets;
  for (const char* raw : {"{job=~\"prometheus|node\",__name__=~\"prometheus_http_requests_total|up|go_goroutines\"}[40s]",
                          "node_cpu_seconds_total[40s]"}) {
    targets.push_back(fmt::format("/api/v1/query?query={}&time={}", UrlEncode(raw), t));
  }
  for (const std::string& query : Queries()) {
    targets.push_back(fmt::format("/api/v1/query?query={}&time={}", UrlEncode(query), t));
    targets.push_back(
        fmt::format("/api/v1/query_range?query={}&start={}&end={}&step=2", UrlEncode(query), start, t));
  }
  int compared = 0;
  for (const std::string& target : targets) {
    {
      auto want_resp = HttpClient::Get("127.0.0.1", prometheus.port(), target);
      REQUIRE(want_resp.ok());
      auto want = ParseQueryResponse(want_resp->body);
      REQUIRE(want.ok());
      INFO(target << "\n" << want_resp->body.substr(0, 300));
      REQUIRE(want->status == "success");
      // An empty answer would compare equal to anything empty: every query
      // of the list must select data.
      CHECK(!want->series.empty());
      // remote_write may still be delivering: retry for a while.
      std::string diff = "not queried";
      for (int attempt = 0; attempt < 60 && !diff.empty(); ++attempt) {
        if (attempt > 0) std::this_thread::sleep_for(std::chrono::milliseconds(500));
        auto got_resp = cluster.Select("/select/0/prometheus" + target);
        REQUIRE(got_resp.ok());
        auto got = ParseQueryResponse(got_resp->body);
        diff = got.ok() ? Compare(*want, *got) : got_resp->body.substr(0, 500);
      }
      INFO(diff);
      CHECK(diff.empty());
      ++compared;
    }
  }
  CHECK(compared == static_cast<int>(targets.size()));
  prometheus.Stop();
}

}  // namespace
}  // namespace strata::testing
