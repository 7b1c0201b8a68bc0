// Decoding and merging replica chunks on the select node.
#include <random>

#include <benchmark/benchmark.h>

#include "common/chunkenc/xor_chunk.h"
#include "select/fanout/fanout_querier.h"

namespace strata::select {
namespace {

std::vector<SearchResult> MakeReplicas(int series, int replicas) {
  std::mt19937_64 rng(7);
  std::normal_distribution<double> jitter(0, 2);
  std::vector<SearchResult> out(replicas);
  for (int s = 0; s < series; ++s) {
    XorAppender app;
    double v = 100;
    for (int p = 0; p < 480; ++p) {
      v += jitter(rng);
      app.Append(1700000000000 + p * 15000, v);
    }
    ChunkData c;
    c.min_time_ms = app.min_time();
    c.max_time_ms = app.max_time();
    c.data = app.Finish();
    Labels l = Labels::FromUnsorted({{"__name__", "up"}, {"instance", std::to_string(s)}});
    for (int r = 0; r < replicas; ++r) out[r].series.push_back(SeriesChunks{l, {c}});
  }
  return out;
}

void BM_Fanout_MergeReplicas(benchmark::State& state) {
  const std::vector<SearchResult> input = MakeReplicas(static_cast<int>(state.range(0)), 2);
  for (auto _ : state) {
    state.PauseTiming();
    std::vector<SearchResult> copy = input;
    state.ResumeTiming();
    auto merged = MergeSearchResults(copy, 0, INT64_MAX);
    benchmark::DoNotOptimize(merged);
  }
  state.SetItemsProcessed(state.iterations() * state.range(0) * 480 * 2);
}
BENCHMARK(BM_Fanout_MergeReplicas)->Arg(100)->Arg(1000);

}  // namespace
}  // namespace strata::select
