// Storage engine ingest: Db::Append of node_exporter-like scrapes (one
// batch = one host's ~500 series, one sample each, like a remote_write
// request), into a persistent engine with the default fsync interval and no
// flush during the run (and, second variant, into a WAL-only engine).
// Reports samples/s and the WAL bytes written per
// sample (`wal_bytes_per_sample`), the figure the WAL record format sets.
//
//   strata_db_append_bench [--benchmark_filter=Append]
//
// Batches are built outside the timed region; the timed part is exactly
// what the storage node's RPC handler calls.
#include <benchmark/benchmark.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include <unistd.h>

#include "absl/synchronization/mutex.h"
#include "common/model/write_batch.h"
#include "storage/engine/db.h"

namespace strata::storage {
namespace {

constexpr int kSeriesPerHost = 500;

// Label sets shaped like node_exporter's: a few labels, realistic lengths.
std::vector<Labels> HostSeries(int host) {
  const std::string instance = "host-" + std::to_string(host) + ".example.internal:9100";
  std::vector<Labels> out;
  static const char* kModes[] = {"idle", "iowait", "irq", "nice", "softirq", "steal", "system", "user"};
  for (int cpu = 0; cpu < 16; ++cpu) {
    for (const char* mode : kModes) {
      out.push_back(Labels::FromUnsorted({{"__name__", "node_cpu_seconds_total"},
                                          {"cpu", std::to_string(cpu)},
                                          {"mode", mode},
                                          {"instance", instance},
                                          {"job", "node"}}));
    }
  }
  static const char* kNetMetrics[] = {"node_network_receive_bytes_total", "node_network_transmit_bytes_total",
                                      "node_network_receive_packets_total", "node_network_transmit_packets_total",
                                      "node_network_receive_errs_total", "node_network_up"};
  for (int dev = 0; out.size() < 300; ++dev) {
    for (const char* m : kNetMetrics) {
      out.push_back(Labels::FromUnsorted(
          {{"__name__", m}, {"device", "eth" + std::to_string(dev)}, {"instance", instance}, {"job", "node"}}));
    }
  }
  static const char* kFsMetrics[] = {"node_filesystem_avail_bytes", "node_filesystem_size_bytes",
                                     "node_filesystem_files_free", "node_filesystem_readonly"};
  for (int fs = 0; out.size() < 400; ++fs) {
    for (const char* m : kFsMetrics) {
      out.push_back(Labels::FromUnsorted({{"__name__", m},
                                          {"device", "/dev/nvme0n1p" + std::to_string(fs)},
                                          {"fstype", "ext4"},
                                          {"mountpoint", "/mnt/data" + std::to_string(fs)},
                                          {"instance", instance},
                                          {"job", "node"}}));
    }
  }
  for (int i = 0; out.size() < kSeriesPerHost; ++i) {
    out.push_back(Labels::FromUnsorted(
        {{"__name__", "node_vmstat_metric_" + std::to_string(i)}, {"instance", instance}, {"job", "node"}}));
  }
  return out;
}

// One value per series kind: float counters (CPU seconds), integer counters
// (bytes, packets) and small integer gauges, as node_exporter exposes them.
double NextValue(size_t series, int step, std::mt19937_64& rng) {
  switch (series % 3) {
    case 0: return 1000.0 + step * 15 * 0.37 + static_cast<double>(rng() % 1000) / 1000.0;  // float counter
    case 1: return static_cast<double>(1'000'000'000ull + static_cast<uint64_t>(step) * 150'000 + rng() % 10'000);
    default: return static_cast<double>(rng() % 2);
  }
}

void BM_DbAppendNodeExporterScrape(benchmark::State& state) {
  // As the strata binary runs (src/cmd/strata/main.cc): Debian's abseil
  // otherwise checks every Mutex acquisition for lock-order cycles.
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
  const int hosts = static_cast<int>(state.range(0));
  const bool persistent = state.range(1) != 0;
  const std::string dir = (std::filesystem::temp_directory_path() /
                           ("strata_db_append_bench_" + std::to_string(::getpid())))
                              .string();
  std::filesystem::remove_all(dir);
  DbOptions options;
  options.data_path = dir;
  options.persistent = persistent;
  options.flush_interval = std::chrono::milliseconds(0);
  options.flush_wal_bytes = 0;
  auto db = Db::Open(options, nullptr);
  if (!db.ok()) {
    state.SkipWithError(std::string(db.status().message()).c_str());
    return;
  }
  std::vector<std::vector<Labels>> series(static_cast<size_t>(hosts));
  for (int h = 0; h < hosts; ++h) series[static_cast<size_t>(h)] = HostSeries(h);
  std::mt19937_64 rng(1);
  std::vector<LabelView> views;
  auto build = [&](int host, int step) {
    WriteBatchBuilder b(TenantId{});
    const int64_t t = 1'700'000'000'000 + static_cast<int64_t>(step) * 15'000 + host * 37;
    const auto& hs = series[static_cast<size_t>(host)];
    for (size_t i = 0; i < hs.size(); ++i) {
      views.clear();
      for (const Label& l : hs[i]) views.push_back({l.name, l.value});
      Sample s{t, NextValue(i, step, rng)};
      b.AddSeries(views, std::span<const Sample>(&s, 1));
    }
    return b.Finish();
  };
  // Warm up: every series exists before timing (the steady state).
  for (int h = 0; h < hosts; ++h) {
    if (!(*db)->Append(build(h, 0)).ok()) state.SkipWithError("warm-up append failed");
  }
  const DbStats before = (*db)->Stats();
  int64_t n = 0;
  std::string batch = build(0, 1);
  for (auto _ : state) {
    absl::Status st = (*db)->Append(batch);
    if (!st.ok()) state.SkipWithError(std::string(st.message()).c_str());
    ++n;
    state.PauseTiming();
    batch = build(static_cast<int>(n % hosts), static_cast<int>(1 + n / hosts));
    state.ResumeTiming();
  }
  const DbStats after = (*db)->Stats();
  const double samples = static_cast<double>(after.samples_appended - before.samples_appended);
  state.SetItemsProcessed(static_cast<int64_t>(samples));
  state.counters["wal_bytes_per_sample"] = static_cast<double>(after.wal_bytes - before.wal_bytes) / samples;
  db->reset();
  std::filesystem::remove_all(dir);
}
// Args: hosts, persistent (0: WAL-only engine, nothing flushed at the end).
BENCHMARK(BM_DbAppendNodeExporterScrape)->Args({100, 1})->Args({100, 0})->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace strata::storage
