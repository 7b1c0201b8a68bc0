// Series lookup latency on the persistent index: 1M node_exporter-like
// series (500 metric names x 2000 instances, plus job/env/dc labels) in a
// RocksStore, queried through IndexReader over the global scope.
//
//   strata_index_bench [--benchmark_filter=Select]
//
// The store is built once (about half a minute) under
// $TMPDIR/strata_index_bench_1m_v1 and reused by later runs; delete the
// directory to rebuild. Times are per query.
#include <benchmark/benchmark.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include "common/model/matcher.h"
#include "storage/index/index_reader.h"
#include "storage/index/rocks_store.h"

namespace strata::storage {
namespace {

constexpr int kMetrics = 500;
constexpr int kInstances = 2000;
constexpr int64_t kMin = std::numeric_limits<int64_t>::min();
constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
const TenantId kTenant{};

std::string MetricName(int i) { return "node_metric_" + std::to_string(i); }
std::string Instance(int j) { return "host-" + std::to_string(j); }

Labels SeriesLabels(int metric, int instance) {
  static const char* kEnvs[] = {"prod", "staging", "dev", "test"};
  return Labels::FromUnsorted({{"__name__", MetricName(metric)},
                               {"instance", Instance(instance)},
                               {"job", "node"},
                               {"env", kEnvs[instance % 4]},
                               {"dc", "dc-" + std::to_string(instance % 10)}});
}

void Die(const absl::Status& st) {
  std::fprintf(stderr, "index bench setup failed: %s\n", std::string(st.message()).c_str());
  std::exit(1);
}

// Opens the cached store, building it first when missing. Ids follow
// scrape order: instance by instance, every metric of an instance.
RocksStore& Store() {
  static std::unique_ptr<RocksStore> store = [] {
    const std::filesystem::path dir = std::filesystem::temp_directory_path() / "strata_index_bench_1m_v1";
    const std::filesystem::path ready = dir / "READY";
    const bool cached = std::filesystem::exists(ready);
    if (!cached) std::filesystem::remove_all(dir);
    auto opened = RocksStore::Open({.path = (dir / "db").string(), .write_buffer_bytes = 256ull << 20});
    if (!opened.ok()) Die(opened.status());
    std::unique_ptr<RocksStore> s = std::move(opened).value();
    if (!cached) {
      const auto start = std::chrono::steady_clock::now();
      RocksStore::Batch batch = s->NewBatch();
      uint64_t id = 1;
      for (int j = 0; j < kInstances; ++j) {
        for (int i = 0; i < kMetrics; ++i) batch.PutSeries(id++, kTenant, SeriesLabels(i, j));
        if (batch.num_series() >= 50'000) {
          if (absl::Status st = s->Write(std::move(batch), false); !st.ok()) Die(st);
          batch = s->NewBatch();
        }
      }
      batch.SetNextSeriesId(id);
      if (absl::Status st = s->Write(std::move(batch), false); !st.ok()) Die(st);
      if (absl::Status st = s->FlushMemTables(); !st.ok()) Die(st);
      std::ofstream(ready) << "1\n";
      std::fprintf(stderr, "built 1M-series index in %.1f s at %s\n",
                   std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count(),
                   dir.string().c_str());
    }
    return s;
  }();
  return *store;
}

Matcher Must(MatchType type, std::string name, std::string value) {
  auto m = Matcher::Create(type, std::move(name), std::move(value));
  if (!m.ok()) Die(m.status());
  return *m;
}

// The q-th query's metric name: spread over the names.
Matcher NameIs(size_t q) { return Must(MatchType::kEqual, "__name__", MetricName(static_cast<int>(q * 7 % kMetrics))); }

void Report(benchmark::State& state, size_t series) {
  state.counters["series"] = static_cast<double>(series);
  state.SetItemsProcessed(state.iterations());
}

void BM_SelectNameAndInstance(benchmark::State& state) {
  const IndexReader reader(Store());
  size_t n = 0, q = 0;
  for (auto _ : state) {
    const std::string instance = Instance(static_cast<int>(q * 13 % kInstances));
    const std::vector<Matcher> ms = {NameIs(q), Must(MatchType::kEqual, "instance", instance)};
    ++q;
    auto ids = reader.SelectSeries(kTenant, ms, kMin, kMax);
    if (!ids.ok()) Die(ids.status());
    n = ids->size();
  }
  Report(state, n);
}
BENCHMARK(BM_SelectNameAndInstance)->Unit(benchmark::kMicrosecond);

void BM_SelectName(benchmark::State& state) {
  const IndexReader reader(Store());
  size_t n = 0, q = 0;
  for (auto _ : state) {
    const std::vector<Matcher> ms = {NameIs(q++)};
    auto ids = reader.SelectSeries(kTenant, ms, kMin, kMax);
    if (!ids.ok()) Die(ids.status());
    n = ids->size();
  }
  Report(state, n);
}
BENCHMARK(BM_SelectName)->Unit(benchmark::kMicrosecond);

// Arg: label-filter candidate budget (0 = postings only: reads the
// postings of the 1111 instances matching the prefix).
void BM_SelectNameAndInstancePrefix(benchmark::State& state) {
  const IndexReader reader(Store(), {.max_label_filter_candidates = static_cast<size_t>(state.range(0))});
  size_t n = 0, q = 0;
  for (auto _ : state) {
    const std::vector<Matcher> ms = {NameIs(q++),
                                     Must(MatchType::kRegexMatch, "instance", "host-1.*")};
    auto ids = reader.SelectSeries(kTenant, ms, kMin, kMax);
    if (!ids.ok()) Die(ids.status());
    n = ids->size();
  }
  Report(state, n);
}
BENCHMARK(BM_SelectNameAndInstancePrefix)->Arg(20'000)->Arg(0)->Unit(benchmark::kMillisecond);

void BM_LabelValuesInstance(benchmark::State& state) {
  const IndexReader reader(Store());
  size_t n = 0;
  for (auto _ : state) {
    auto values = reader.LabelValues(kTenant, "instance", {}, kMin, kMax);
    if (!values.ok()) Die(values.status());
    n = values->size();
  }
  state.counters["values"] = static_cast<double>(n);
}
BENCHMARK(BM_LabelValuesInstance)->Unit(benchmark::kMillisecond);

void BM_LabelValuesInstanceOfName(benchmark::State& state) {
  const IndexReader reader(Store());
  size_t n = 0, q = 0;
  for (auto _ : state) {
    const std::vector<Matcher> ms = {NameIs(q++)};
    auto values = reader.LabelValues(kTenant, "instance", ms, kMin, kMax);
    if (!values.ok()) Die(values.status());
    n = values->size();
  }
  state.counters["values"] = static_cast<double>(n);
}
BENCHMARK(BM_LabelValuesInstanceOfName)->Unit(benchmark::kMillisecond);

void BM_LabelNames(benchmark::State& state) {
  const IndexReader reader(Store());
  size_t n = 0;
  for (auto _ : state) {
    auto names = reader.LabelNames(kTenant, {}, kMin, kMax);
    if (!names.ok()) Die(names.status());
    n = names->size();
  }
  state.counters["names"] = static_cast<double>(n);
}
BENCHMARK(BM_LabelNames)->Unit(benchmark::kMicrosecond);

// Every series of one dc (100k series): the cost of a large selection.
void BM_CountSeriesOfDc(benchmark::State& state) {
  const IndexReader reader(Store());
  uint64_t n = 0;
  for (auto _ : state) {
    const std::vector<Matcher> ms = {Must(MatchType::kEqual, "dc", "dc-3"), Must(MatchType::kEqual, "job", "node")};
    auto count = reader.CountSeries(kTenant, ms, kMin, kMax);
    if (!count.ok()) Die(count.status());
    n = *count;
  }
  Report(state, n);
}
BENCHMARK(BM_CountSeriesOfDc)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace strata::storage
