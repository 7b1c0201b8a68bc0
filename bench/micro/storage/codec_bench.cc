// Chunk codecs compared on the ingest benchmark's own data: the frame file
// that `strata_loadgen generate` writes (node_exporter series replicated
// over hosts, realistic value evolution, 15 s scrapes). Every series is cut
// into 240-sample chunks (1 h), the way the head seals them, and each codec
// encodes the same chunks.
//
//   STRATA_CODEC_BENCH_FRAMES=build-release/bench-data/node-100hosts-1h.rw
//   strata_storage_bench --benchmark_filter=Codec
//
// Default file: <build dir>/bench-data/node-100hosts-1h.rw (scripts/bench.sh
// generates it). Counters:
//   bytes_per_sample  encoded size over the whole file, per sample
//   share_<enc>       BM_Codec_Encode/best: fraction of chunks each encoding won
//   items/s           samples encoded or decoded per second (timed on a
//                     fixed subset of chunks, kTimedChunks)
// BM_Codec_ZstdBlocks adds zstd per chunk and over 16 KiB runs of chunks,
// what a zstd-compressed RocksDB level would store (block compression).
#include <benchmark/benchmark.h>
#include <zstd.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <unordered_map>
#include <vector>

#include "common/chunkenc/chunk_codec.h"
#include "common/encoding/varint.h"
#include "common/prompb/remote_write_decoder.h"

namespace strata {
namespace {

constexpr size_t kChunkSamples = 240;
constexpr size_t kTimedChunks = 4000;

struct Corpus {
  std::vector<std::vector<Sample>> chunks;
  size_t samples = 0;
  std::string error;
};

std::string FramesPath() {
  if (const char* env = std::getenv("STRATA_CODEC_BENCH_FRAMES")) return env;
  return STRATA_BENCH_BINARY_DIR "/bench-data/node-100hosts-1h.rw";
}

// Reads the frame file (bench/load/loadgen.h: "SLGF" | u32 version 2 | u32
// shards, then u32 length | u32 shard | snappy remote_write body) and groups
// samples by series in arrival order (frames of one shard are in time order).
Corpus LoadCorpus() {
  Corpus c;
  std::string path = FramesPath();
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    c.error = "cannot open " + path + " (set STRATA_CODEC_BENCH_FRAMES; scripts/bench.sh generates it)";
    return c;
  }
  std::stringstream ss;
  ss << in.rdbuf();
  std::string file = ss.str();
  ByteReader r(file);
  std::string_view magic;
  uint32_t version, shards;
  if (!r.GetBytes(4, &magic) || magic != "SLGF" || !r.GetFixed32(&version) || version != 2 || !r.GetFixed32(&shards)) {
    c.error = "not a version-2 frame file: " + path;
    return c;
  }
  RemoteWriteDecoder decoder;
  std::unordered_map<std::string, size_t> index;
  std::vector<std::vector<Sample>> series;
  WriteRequestSeries ts;
  std::string key;
  while (!r.empty()) {
    uint32_t len, shard;
    std::string_view body;
    if (!r.GetFixed32(&len) || !r.GetFixed32(&shard) || !r.GetBytes(len, &body)) {
      c.error = "truncated frame in " + path;
      return c;
    }
    auto reader = decoder.Decompress(body);
    if (!reader.ok()) {
      c.error = std::string(reader.status().message());
      return c;
    }
    while (reader->Next(&ts)) {
      key.clear();
      for (const LabelView& l : ts.labels) {
        key.append(l.name);
        key.push_back('\xff');
        key.append(l.value);
        key.push_back('\xff');
      }
      auto [it, inserted] = index.try_emplace(key, series.size());
      if (inserted) series.emplace_back();
      auto& dst = series[it->second];
      dst.insert(dst.end(), ts.samples.begin(), ts.samples.end());
    }
  }
  for (auto& s : series) {
    std::stable_sort(s.begin(), s.end(),
                     [](const Sample& a, const Sample& b) { return a.timestamp_ms < b.timestamp_ms; });
    for (size_t i = 0; i < s.size(); i += kChunkSamples) {
      size_t end = std::min(s.size(), i + kChunkSamples);
      c.chunks.emplace_back(s.begin() + static_cast<ptrdiff_t>(i), s.begin() + static_cast<ptrdiff_t>(end));
      c.samples += end - i;
    }
  }
  return c;
}

const Corpus& GetCorpus() {
  static const Corpus* corpus = new Corpus(LoadCorpus());
  return *corpus;
}

// A spread-out subset of the chunks for timing (the whole file is 50K
// chunks, grouped by series in order of first appearance): every k-th one.
std::vector<const std::vector<Sample>*> TimedChunks(const Corpus& c) {
  std::vector<const std::vector<Sample>*> out;
  size_t stride = std::max<size_t>(1, c.chunks.size() / kTimedChunks);
  for (size_t i = 0; i < c.chunks.size() && out.size() < kTimedChunks; i += stride) out.push_back(&c.chunks[i]);
  return out;
}

// Mode 0..2: that ChunkEncoding (1 + mode); 3: EncodeBest; 4: kSplit, what
// storage nodes seal (EncodeSplitChunk).
EncodedChunk EncodeMode(int mode, std::span<const Sample> s) {
  if (mode == 3) return EncodeBest(s);
  if (mode == 4) return EncodedChunk{ChunkEncoding::kSplit, EncodeSplitChunk(s)};
  auto e = static_cast<ChunkEncoding>(mode + 1);
  return EncodedChunk{e, EncodeChunk(e, s)};
}

void ModeArgs(benchmark::internal::Benchmark* b) {
  b->ArgName("codec");  // 0 xor (Gorilla), 1 int-delta, 2 decimal, 3 best, 4 split
  for (int m = 0; m <= 4; ++m) b->Arg(m);
  b->Unit(benchmark::kMillisecond);
}

void BM_Codec_Encode(benchmark::State& state) {
  const Corpus& c = GetCorpus();
  if (!c.error.empty()) {
    state.SkipWithError(c.error.c_str());
    return;
  }
  const int mode = static_cast<int>(state.range(0));
  // Size over the whole file, once.
  size_t bytes = 0;
  std::map<ChunkEncoding, size_t> wins;
  for (const auto& chunk : c.chunks) {
    EncodedChunk e = EncodeMode(mode, chunk);
    bytes += e.data.size();
    ++wins[e.encoding];
  }
  auto timed = TimedChunks(c);
  size_t samples = 0;
  for (auto _ : state) {
    for (const auto* chunk : timed) {
      EncodedChunk e = EncodeMode(mode, *chunk);
      benchmark::DoNotOptimize(e.data.data());
      samples += chunk->size();
    }
  }
  state.SetItemsProcessed(static_cast<int64_t>(samples));
  state.counters["bytes_per_sample"] = static_cast<double>(bytes) / static_cast<double>(c.samples);
  state.counters["chunks"] = static_cast<double>(c.chunks.size());
  if (mode == 3) {
    for (auto [e, n] : wins) {
      const char* name = e == ChunkEncoding::kXor        ? "share_xor"
                         : e == ChunkEncoding::kIntDelta ? "share_int_delta"
                                                         : "share_decimal";
      state.counters[name] = static_cast<double>(n) / static_cast<double>(c.chunks.size());
    }
  }
}

void BM_Codec_Decode(benchmark::State& state) {
  const Corpus& c = GetCorpus();
  if (!c.error.empty()) {
    state.SkipWithError(c.error.c_str());
    return;
  }
  const int mode = static_cast<int>(state.range(0));
  std::vector<EncodedChunk> encoded;
  size_t bytes = 0, want = 0;
  for (const auto* chunk : TimedChunks(c)) {
    encoded.push_back(EncodeMode(mode, *chunk));
    bytes += encoded.back().data.size();
    want += chunk->size();
  }
  std::vector<Sample> out;
  size_t samples = 0;
  for (auto _ : state) {
    for (const EncodedChunk& e : encoded) {
      out.clear();
      if (!DecodeChunk(e.encoding, e.data, &out).ok()) {
        state.SkipWithError("decode failed");
        return;
      }
      samples += out.size();
    }
  }
  state.SetItemsProcessed(static_cast<int64_t>(samples));
  state.counters["bytes_per_sample"] = static_cast<double>(bytes) / static_cast<double>(want);
}

// zstd (level 3, RocksDB's default for ZSTD) over runs of chunks of at least
// block_bytes, as they would sit in a RocksDB data block, for Gorilla (codec
// 0), EncodeBest (codec 3) and kSplit (codec 4); the smaller of compressed
// and raw counts.
// Timing is the compression of the timed subset.
void BM_Codec_ZstdBlocks(benchmark::State& state) {
  const Corpus& c = GetCorpus();
  if (!c.error.empty()) {
    state.SkipWithError(c.error.c_str());
    return;
  }
  const int mode = static_cast<int>(state.range(0));
  const size_t block_bytes = static_cast<size_t>(state.range(1));
  auto blocks_of = [mode, block_bytes](auto&& chunks) {
    std::vector<std::string> blocks(1);
    for (const auto& chunk : chunks) {
      const std::vector<Sample>& s = *chunk;
      if (!blocks.back().empty() && blocks.back().size() >= block_bytes) blocks.emplace_back();
      blocks.back() += EncodeMode(mode, s).data;
    }
    return blocks;
  };
  std::vector<const std::vector<Sample>*> all;
  for (const auto& chunk : c.chunks) all.push_back(&chunk);
  std::string buf;
  auto compressed_size = [&buf](const std::string& block) {
    buf.resize(ZSTD_compressBound(block.size()));
    size_t n = ZSTD_compress(buf.data(), buf.size(), block.data(), block.size(), 3);
    return ZSTD_isError(n) ? block.size() : std::min(n, block.size());
  };
  size_t bytes = 0;
  for (const std::string& block : blocks_of(all)) bytes += compressed_size(block);
  auto timed_blocks = blocks_of(TimedChunks(c));
  size_t in_bytes = 0;
  for (auto _ : state) {
    for (const std::string& block : timed_blocks) {
      benchmark::DoNotOptimize(compressed_size(block));
      in_bytes += block.size();
    }
  }
  state.SetBytesProcessed(static_cast<int64_t>(in_bytes));
  state.counters["bytes_per_sample"] = static_cast<double>(bytes) / static_cast<double>(c.samples);
}

BENCHMARK(BM_Codec_Encode)->Apply(ModeArgs);
BENCHMARK(BM_Codec_Decode)->Apply(ModeArgs);
// block_bytes 0: each chunk compressed alone (a zstd chunk wrapper).
BENCHMARK(BM_Codec_ZstdBlocks)
    ->ArgNames({"codec", "block_bytes"})
    ->ArgsProduct({{0, 3, 4}, {0, 16 << 10}})
    ->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace strata
