// PromQL parse and evaluation over in-memory node_exporter-like data: the
// queries of a typical host dashboard, as Grafana sends them (range queries
// whose step gives about 1000 points per panel), over 1h and 6h.
//
// Data: the real node_exporter scrape in shared/bench-data replicated over
// `kHosts` hosts, 15 s interval, 6 h; counters grow by random increments,
// gauges walk randomly. The Querier is the in-memory one, so the figures are
// the engine's own cost (no RPC, no chunk decoding).
#include <algorithm>
#include <fstream>
#include <map>
#include <random>
#include <sstream>

#include <benchmark/benchmark.h>

#include "bench/load/exposition_parser.h"
#include "common/base/check.h"
#include "select/promql/engine.h"
#include "select/promql/memory_querier.h"
#include "select/promql/parser.h"

namespace strata::promql {
namespace {

constexpr int kHosts = 20;
constexpr int64_t kIntervalMs = 15'000;
constexpr int64_t kDataMs = 6 * 3600 * 1000;
constexpr int64_t kEndMs = 1'700'000'000'000;

MemoryQuerier& Data() {
  static MemoryQuerier* querier = [] {
    std::ifstream in(STRATA_BENCH_DATA_DIR "/node_exporter_snapshot.prom");
    std::stringstream text;
    text << in.rdbuf();
    auto scrape = bench::ParseExposition(text.str());
    STRATA_CHECK(scrape.ok()) << scrape.status().ToString();
    std::map<Labels, std::vector<Sample>> series;
    std::mt19937_64 rng(42);
    std::uniform_real_distribution<double> step(0, 1);
    for (int host = 0; host < kHosts; ++host) {
      for (const bench::ExpositionSample& s : scrape->samples) {
        std::vector<Label> labels = s.labels;
        labels.push_back({"__name__", s.name});
        labels.push_back({"instance", "host-" + std::to_string(host) + ":9100"});
        labels.push_back({"job", "node"});
        const bool counter = scrape->TypeOf(s.name) == bench::MetricType::kCounter ||
                             s.name.ends_with("_bucket") || s.name.ends_with("_count") ||
                             s.name.ends_with("_sum");
        std::vector<Sample> samples;
        double v = s.value;
        for (int64_t t = kEndMs - kDataMs; t <= kEndMs; t += kIntervalMs) {
          samples.push_back({t, v});
          v = counter ? v + step(rng) * 100 : v * (0.99 + 0.02 * step(rng));
        }
        series[Labels::FromUnsorted(std::move(labels))] = std::move(samples);
      }
    }
    auto* q = new MemoryQuerier();
    for (auto& [labels, samples] : series) q->Add(labels, std::move(samples));
    return q;
  }();
  return *querier;
}

const std::vector<std::string>& DashboardQueries() {
  static const std::vector<std::string> queries = {
      "sum by (mode) (rate(node_cpu_seconds_total{instance=\"host-3:9100\"}[1m]))",
      "100 - avg by (instance) (rate(node_cpu_seconds_total{mode=\"idle\"}[1m])) * 100",
      "node_memory_MemAvailable_bytes / node_memory_MemTotal_bytes * 100",
      "rate(node_network_receive_bytes_total{device!=\"lo\"}[1m])",
      "topk(5, sum by (instance) (rate(node_disk_io_time_seconds_total[1m])))",
      "node_filesystem_avail_bytes{fstype!~\"tmpfs|overlay\"} / node_filesystem_size_bytes",
      "max_over_time(node_load1[5m])",
      "quantile by (mode) (0.9, rate(node_cpu_seconds_total[1m]))",
  };
  return queries;
}

void BM_Parse(benchmark::State& state) {
  const std::string& q = DashboardQueries()[static_cast<size_t>(state.range(0))];
  if (auto expr = ParseExpr(q); !expr.ok()) {
    state.SkipWithError(expr.status().ToString().c_str());
    return;
  }
  for (auto _ : state) {
    auto expr = ParseExpr(q);
    benchmark::DoNotOptimize(expr);
  }
  state.SetLabel(q.substr(0, 40));
}
BENCHMARK(BM_Parse)->DenseRange(0, 7);

// range(0): query index; range(1): range in hours. Step as Grafana picks it
// for a ~1000 px panel: range / 1000, at least the 15 s scrape interval.
void BM_RangeQuery(benchmark::State& state) {
  MemoryQuerier& data = Data();
  const std::string& q = DashboardQueries()[static_cast<size_t>(state.range(0))];
  const int64_t range_ms = state.range(1) * 3600 * 1000;
  const int64_t step_ms = std::max<int64_t>(kIntervalMs, range_ms / 1000 / 1000 * 1000);
  Engine engine;
  size_t points = 0;
  for (auto _ : state) {
    auto prepared = engine.NewRangeQuery(q, kEndMs - range_ms, kEndMs, step_ms);
    STRATA_CHECK(prepared.ok()) << prepared.status().ToString();
    auto result = engine.Exec(*prepared, data);
    if (!result.ok()) {
      state.SkipWithError(result.status().ToString().c_str());
      return;
    }
    points = 0;
    for (const SeriesResult& s : result->series) points += s.samples.size();
    benchmark::DoNotOptimize(result);
  }
  state.counters["points"] = static_cast<double>(points);
  state.SetLabel(q.substr(0, 40));
}
BENCHMARK(BM_RangeQuery)
    ->ArgsProduct({benchmark::CreateDenseRange(0, 7, 1), {1, 6}})
    ->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace strata::promql
