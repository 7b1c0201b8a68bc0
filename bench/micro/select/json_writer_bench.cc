// Writing a range-query matrix: the hot path of every dashboard refresh.
#include <random>

#include <benchmark/benchmark.h>

#include "select/api/json_writer.h"

namespace strata::select {
namespace {

promql::QueryResult MakeMatrix(int series, int points) {
  std::mt19937_64 rng(42);
  std::normal_distribution<double> jitter(0, 5);
  promql::QueryResult r;
  r.type = promql::ValueType::kMatrix;
  for (int s = 0; s < series; ++s) {
    promql::SeriesResult sr;
    sr.labels = Labels::FromUnsorted({{"__name__", "node_cpu_seconds_total"},
                                      {"instance", "10.0.0." + std::to_string(s) + ":9100"},
                                      {"mode", "idle"}});
    double v = 1000;
    for (int p = 0; p < points; ++p) {
      v += 15 + jitter(rng);
      sr.samples.push_back({1700000000000 + p * 15000, v});
    }
    r.series.push_back(std::move(sr));
  }
  return r;
}

void BM_JsonWriter_Matrix(benchmark::State& state) {
  const promql::QueryResult r = MakeMatrix(static_cast<int>(state.range(0)), 240);
  std::string buf;
  for (auto _ : state) {
    buf.clear();
    WriteQueryResponse(r, &buf);
    benchmark::DoNotOptimize(buf.data());
  }
  state.SetItemsProcessed(state.iterations() * state.range(0) * 240);
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(buf.size()));
}
BENCHMARK(BM_JsonWriter_Matrix)->Arg(10)->Arg(100);

void BM_JsonWriter_Float(benchmark::State& state) {
  std::string buf;
  double v = 0.1;
  for (auto _ : state) {
    buf.clear();
    AppendPromFloat(v, &buf);
    v += 1.37;
    benchmark::DoNotOptimize(buf.data());
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_JsonWriter_Float);

}  // namespace
}  // namespace strata::select
