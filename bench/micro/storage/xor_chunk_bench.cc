// XOR (Gorilla) chunk encode/decode cost and size on node_exporter-like
// series: monotonic counters, jittery gauges and constant series, scraped
// every 15 s with a little timestamp jitter. Fixed seed, so runs compare.
//
//   strata_storage_bench --benchmark_filter=Xor
//
// Reports ns per sample (items/s) and the counter bytes_per_sample.
#include <benchmark/benchmark.h>

#include <cmath>
#include <random>
#include <vector>

#include "common/chunkenc/xor_chunk.h"

namespace strata {
namespace {

enum Kind { kCounter = 0, kGauge = 1, kConstant = 2, kMixed = 3 };

constexpr size_t kSamplesPerChunk = 480;

// One chunk's worth of samples of the given kind.
std::vector<Sample> MakeSeries(Kind kind, std::mt19937_64& rng) {
  std::vector<Sample> out;
  out.reserve(kSamplesPerChunk);
  int64_t t = 1700000000000 + static_cast<int64_t>(rng() % 15000);
  double counter = static_cast<double>(rng() % 1000000);
  double gauge_base = static_cast<double>(rng() % 100000) / 10.0;
  std::normal_distribution<double> noise(0, gauge_base * 0.02 + 1);
  for (size_t i = 0; i < kSamplesPerChunk; ++i) {
    // Scrapes land within a few ms of the 15 s grid.
    t += 15000 + static_cast<int64_t>(rng() % 5) - 2;
    double v = 0;
    switch (kind) {
      case kCounter:  // e.g. node_network_receive_bytes_total: integer increments
        counter += static_cast<double>(rng() % 50000);
        v = counter;
        break;
      case kGauge:  // e.g. node_memory_Active_bytes / load averages: jitter with 2 decimals
        v = std::round((gauge_base + noise(rng)) * 100) / 100;
        break;
      case kConstant:  // e.g. node_uname_info, up
        v = 1;
        break;
      case kMixed:
        break;
    }
    out.push_back({t, v});
  }
  return out;
}

std::vector<std::vector<Sample>> MakeCorpus(Kind kind) {
  std::mt19937_64 rng(20261121);
  std::vector<std::vector<Sample>> corpus;
  for (int i = 0; i < 64; ++i) {
    Kind k = kind == kMixed ? static_cast<Kind>(i % 3) : kind;
    corpus.push_back(MakeSeries(k, rng));
  }
  return corpus;
}

void BM_XorEncode(benchmark::State& state) {
  auto corpus = MakeCorpus(static_cast<Kind>(state.range(0)));
  size_t bytes = 0, samples = 0;
  for (auto _ : state) {
    for (const auto& series : corpus) {
      XorAppender app;
      for (const Sample& s : series) app.Append(s.timestamp_ms, s.value);
      benchmark::DoNotOptimize(app.bytes().data());
      bytes += app.bytes().size();
      samples += series.size();
    }
  }
  state.SetItemsProcessed(static_cast<int64_t>(samples));
  state.counters["bytes_per_sample"] = static_cast<double>(bytes) / static_cast<double>(samples);
}

void BM_XorDecode(benchmark::State& state) {
  auto corpus = MakeCorpus(static_cast<Kind>(state.range(0)));
  std::vector<std::string> chunks;
  size_t total_bytes = 0, total_samples = 0;
  for (const auto& series : corpus) {
    XorAppender app;
    for (const Sample& s : series) app.Append(s.timestamp_ms, s.value);
    chunks.push_back(app.Finish());
    total_bytes += chunks.back().size();
    total_samples += series.size();
  }
  size_t samples = 0;
  for (auto _ : state) {
    for (const std::string& c : chunks) {
      XorIterator it(c);
      double sum = 0;
      while (it.Next()) sum += it.v();
      benchmark::DoNotOptimize(sum);
      samples += XorChunkNumSamples(c);
    }
  }
  state.SetItemsProcessed(static_cast<int64_t>(samples));
  state.counters["bytes_per_sample"] = static_cast<double>(total_bytes) / static_cast<double>(total_samples);
}

void KindArgs(benchmark::internal::Benchmark* b) {
  b->ArgName("kind");  // 0 counter, 1 gauge, 2 constant, 3 mixed
  for (int k = kCounter; k <= kMixed; ++k) b->Arg(k);
}

BENCHMARK(BM_XorEncode)->Apply(KindArgs);
BENCHMARK(BM_XorDecode)->Apply(KindArgs);

}  // namespace
}  // namespace strata
