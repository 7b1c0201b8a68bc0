// Storage engine restart at 1M series: how long Db::Open takes on a node
// whose series are all in RocksDB, and how long the first scrape after the
// restart takes, when every one of the 1M series comes back into the head
// through a RocksDB lookup (series id and newest timestamp).
//
//   strata_db_restart_bench [--benchmark_filter=Reopen]
//
// The data directory (2,000 hosts x 500 series, 4 samples each, flushed) is
// built once and cached in $TMPDIR/strata_restart_bench_1m_v1; delete it to
// rebuild. Each run of the second benchmark appends one more sample per
// series, so the cached store grows slowly.
#include <benchmark/benchmark.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "common/model/write_batch.h"
#include "storage/engine/db.h"

namespace strata::storage {
namespace {

constexpr int kHosts = 2000;
constexpr int kSeriesPerHost = 500;
constexpr int64_t kStep = 15'000;
constexpr TenantId kTenant{};

std::string DataDir() {
  const char* tmp = std::getenv("TMPDIR");
  return std::string(tmp != nullptr ? tmp : "/tmp") + "/strata_restart_bench_1m_v1";
}

DbOptions Options() {
  DbOptions o;
  o.data_path = DataDir();
  o.flush_interval = std::chrono::milliseconds(0);
  o.flush_wal_bytes = 0;
  o.retention_ms = 100LL * 365 * 86'400'000;
  return o;
}

// One host's scrape at `t`: 500 series named like node_exporter's.
std::string HostBatch(int host, int64_t t) {
  WriteBatchBuilder b(kTenant);
  const std::string instance = "host-" + std::to_string(host) + ":9100";
  for (int i = 0; i < kSeriesPerHost; ++i) {
    const std::string metric = "node_metric_" + std::to_string(i % 100);
    const std::string dev = "dev" + std::to_string(i / 100);
    const std::vector<LabelView> labels = {{"__name__", metric}, {"device", dev}, {"instance", instance}, {"job", "node"}};
    const std::vector<Sample> samples = {{t, static_cast<double>(host + i)}};
    b.AddSeries(labels, samples);
  }
  return b.Finish();
}

// Newest timestamp written so far (the cache remembers it in a file).
int64_t g_next_t = 0;

void EnsureData() {
  static bool done = false;
  if (done) return;
  done = true;
  const std::string marker = DataDir() + "/READY";
  const auto now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                          std::chrono::system_clock::now().time_since_epoch())
                          .count();
  if (std::filesystem::exists(marker)) {
    FILE* f = std::fopen(marker.c_str(), "r");
    long long t = 0;
    if (f != nullptr && std::fscanf(f, "%lld", &t) == 1) g_next_t = t;
    if (f != nullptr) std::fclose(f);
    if (g_next_t > 0) return;
  }
  std::filesystem::remove_all(DataDir());
  auto db = Db::Open(Options(), nullptr);
  if (!db.ok()) std::abort();
  int64_t t = now_ms - 3600 * 1000;
  for (int round = 0; round < 4; ++round, t += kStep) {
    for (int host = 0; host < kHosts; ++host) {
      if (!(*db)->Append(HostBatch(host, t)).ok()) std::abort();
    }
  }
  if (!(*db)->Close().ok()) std::abort();
  g_next_t = t;
  FILE* f = std::fopen(marker.c_str(), "w");
  std::fprintf(f, "%lld\n", static_cast<long long>(g_next_t));
  std::fclose(f);
}

void SaveNextT() {
  FILE* f = std::fopen((DataDir() + "/READY").c_str(), "w");
  std::fprintf(f, "%lld\n", static_cast<long long>(g_next_t));
  std::fclose(f);
}

// Open (RocksDB, retention check, empty WAL tail) and Close of a node whose
// 1M series are all persisted.
void BM_Db_Reopen_1MSeries(benchmark::State& state) {
  EnsureData();
  for (auto _ : state) {
    auto db = Db::Open(Options(), nullptr);
    if (!db.ok()) state.SkipWithError("open failed");
    benchmark::DoNotOptimize(db);
  }
  state.counters["series"] = kHosts * kSeriesPerHost;
}
BENCHMARK(BM_Db_Reopen_1MSeries)->Unit(benchmark::kMillisecond)->Iterations(3);

// Open, then one scrape of every series: each comes back into the head
// with its id and newest timestamp from RocksDB. Batches are built before
// the timed region.
void BM_Db_FirstScrapeAfterRestart_1MSeries(benchmark::State& state) {
  EnsureData();
  for (auto _ : state) {
    state.PauseTiming();
    std::vector<std::string> batches;
    batches.reserve(kHosts);
    for (int host = 0; host < kHosts; ++host) batches.push_back(HostBatch(host, g_next_t));
    g_next_t += kStep;
    state.ResumeTiming();
    auto db = Db::Open(Options(), nullptr);
    if (!db.ok()) state.SkipWithError("open failed");
    AppendStats stats;
    uint64_t created = 0;
    for (const std::string& b : batches) {
      if (!(*db)->Append(b, &stats).ok()) state.SkipWithError("append failed");
      created += stats.series_created;
    }
    state.PauseTiming();
    if (created != 0) state.SkipWithError("series were created anew instead of found");
    if (!(*db)->Close().ok()) state.SkipWithError("close failed");
    db->reset();
    SaveNextT();
    state.ResumeTiming();
  }
  state.counters["series"] = kHosts * kSeriesPerHost;
}
BENCHMARK(BM_Db_FirstScrapeAfterRestart_1MSeries)->Unit(benchmark::kMillisecond)->Iterations(2);

}  // namespace
}  // namespace strata::storage
