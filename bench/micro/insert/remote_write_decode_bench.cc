// Benchmarks of the remote_write ingest hot path on the insert node: snappy
// decode + protobuf walk + label validation + series hash, per sample, on a
// 2000-sample request shaped like Prometheus' default (max_samples_per_send
// 2000, one sample per series) built from real node_exporter series
// (/work/shared/bench-data/node_exporter_snapshot.prom, replicated over
// several instances). Release builds only (bench/README.md).
#include <benchmark/benchmark.h>

#include <algorithm>
#include <fstream>
#include <string>
#include <vector>

#include "common/cluster/ring.h"
#include "common/model/labels.h"
#include "common/model/series_hash.h"
#include "common/prompb/remote_write_decoder.h"
#include "common/prompb/remote_write_encoder.h"
#include "insert/ingest/remote_write_handler.h"
#include "insert/router/router.h"

namespace strata {
namespace {

constexpr const char* kSnapshot = "/work/shared/bench-data/node_exporter_snapshot.prom";
constexpr size_t kSamplesPerRequest = 2000;

// Parses `name{a="b",...} value` lines of the text exposition format (enough
// of it for the snapshot: quoted values with backslash escapes).
std::vector<std::vector<Label>> LoadSeries() {
  std::vector<std::vector<Label>> out;
  std::ifstream in(kSnapshot);
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    std::vector<Label> labels;
    size_t i = line.find_first_of("{ ");
    if (i == std::string::npos) continue;
    labels.push_back({"__name__", line.substr(0, i)});
    if (line[i] == '{') {
      ++i;
      while (i < line.size() && line[i] != '}') {
        size_t eq = line.find('=', i);
        if (eq == std::string::npos || eq + 1 >= line.size() || line[eq + 1] != '"') break;
        std::string name = line.substr(i, eq - i), value;
        size_t j = eq + 2;
        for (; j < line.size() && line[j] != '"'; ++j) {
          if (line[j] == '\\' && j + 1 < line.size()) ++j;
          value.push_back(line[j]);
        }
        labels.push_back({name, value});
        i = j + 1;
        if (i < line.size() && line[i] == ',') ++i;
      }
    }
    out.push_back(std::move(labels));
  }
  if (out.empty()) {  // no snapshot: synthetic node_exporter-like names
    for (int i = 0; i < 500; ++i) {
      out.push_back({{"__name__", "node_cpu_seconds_total"}, {"cpu", std::to_string(i % 8)}, {"mode", "idle"}});
    }
  }
  return out;
}

// The uncompressed and snappy WriteRequest: 2000 series (snapshot series x
// instances), one sample each, labels sorted by name as Prometheus sends
// them.
struct Request {
  std::string raw;
  std::string snappy;
};

const Request& TestRequest() {
  static const Request request = [] {
    auto base = LoadSeries();
    Request r;
    std::vector<LabelView> views;
    for (size_t k = 0; k < kSamplesPerRequest; ++k) {
      const auto& labels = base[k % base.size()];
      std::string instance = "node-" + std::to_string(k / base.size()) + ".prod.example.com:9100";
      views.clear();
      for (const Label& l : labels) views.push_back({l.name, l.value});
      views.push_back({"instance", instance});
      views.push_back({"job", "node"});
      // Sorted by name, as Prometheus sends them.
      std::sort(views.begin(), views.end(), [](const LabelView& a, const LabelView& b) { return a.name < b.name; });
      Sample s{1700000000000 + static_cast<int64_t>(k), static_cast<double>(k) * 1.5};
      AppendWriteRequestSeries(views, std::span<const Sample>(&s, 1), &r.raw);
    }
    SnappyCompress(r.raw, &r.snappy);
    return r;
  }();
  return request;
}

void BM_RemoteWrite_DecodeValidateHash(benchmark::State& state) {
  const Request& req = TestRequest();
  RemoteWriteDecoder decoder;
  WriteRequestSeries series;
  uint64_t checksum = 0;
  size_t samples = 0;
  for (auto _ : state) {
    auto reader = decoder.Decompress(req.snappy);
    if (!reader.ok()) state.SkipWithError("bad request");
    while (reader->Next(&series)) {
      if (!ValidateAndSortLabels(&series.labels).ok()) continue;
      checksum += SeriesHash(TenantId{}, series.labels);
      samples += series.samples.size();
    }
  }
  benchmark::DoNotOptimize(checksum);
  state.SetItemsProcessed(static_cast<int64_t>(samples));
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * req.snappy.size()));
  state.counters["ns/sample"] = benchmark::Counter(static_cast<double>(samples),
                                                   benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
  state.counters["request_bytes"] = static_cast<double>(req.snappy.size());
}
BENCHMARK(BM_RemoteWrite_DecodeValidateHash);

// The same plus packing each series into the request's SeriesBatch (what
// the HTTP handler does before the Router splits it per node) and, with
// `encode`, encoding all of it as a write batch (what the Router does for
// a remote storage node that holds every series of the request).
void DecodeToSeriesBatch(benchmark::State& state, bool encode) {
  const Request& req = TestRequest();
  RemoteWriteDecoder decoder;
  WriteRequestSeries series;
  size_t samples = 0;
  for (auto _ : state) {
    auto reader = decoder.Decompress(req.snappy);
    SeriesBatch batch(TenantId{});
    insert::RemoteWriteHandler::ReserveForV1(decoder.buffer().size(), batch);
    while (reader->Next(&series)) {
      if (!ValidateAndSortLabels(&series.labels).ok()) continue;
      batch.AddSeries(series.labels, series.samples);
    }
    samples += batch.sample_count();
    if (encode) {
      benchmark::DoNotOptimize(batch.EncodeAll());
    } else {
      benchmark::DoNotOptimize(batch.bytes());
    }
  }
  state.SetItemsProcessed(static_cast<int64_t>(samples));
  state.counters["ns/sample"] = benchmark::Counter(static_cast<double>(samples),
                                                   benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
}

void BM_RemoteWrite_DecodeToSeriesBatch(benchmark::State& state) { DecodeToSeriesBatch(state, false); }
BENCHMARK(BM_RemoteWrite_DecodeToSeriesBatch);

void BM_RemoteWrite_DecodeToWriteBatch(benchmark::State& state) { DecodeToSeriesBatch(state, true); }
BENCHMARK(BM_RemoteWrite_DecodeToWriteBatch);

void BM_RemoteWrite_WalkOnly(benchmark::State& state) {
  const Request& req = TestRequest();
  WriteRequestSeries series;
  size_t samples = 0;
  for (auto _ : state) {
    WriteRequestReader reader(req.raw);
    while (reader.Next(&series)) samples += series.samples.size();
  }
  state.SetItemsProcessed(static_cast<int64_t>(samples));
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * req.raw.size()));
}
BENCHMARK(BM_RemoteWrite_WalkOnly);

void BM_HashRing_Route(benchmark::State& state) {
  std::vector<std::string> names;
  for (int i = 0; i < state.range(0); ++i) names.push_back("storage-" + std::to_string(i) + ":8400");
  HashRing ring(names);
  NodeList out;
  uint64_t h = 0x9e3779b97f4a7c15ULL;
  for (auto _ : state) {
    h = h * 6364136223846793005ULL + 1442695040888963407ULL;
    ring.Route(h, 2, [](size_t) { return true; }, &out);
    benchmark::DoNotOptimize(out.data());
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_HashRing_Route)->Arg(3)->Arg(10)->Arg(50);

}  // namespace
}  // namespace strata
