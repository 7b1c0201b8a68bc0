#include "storage/engine/packed_chunks.h"

#include <map>
#include <random>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

namespace strata::storage {
namespace {

using Reference = std::map<uint64_t, std::vector<ChunkData>>;

bool Same(const ChunkData& a, const ChunkData& b) {
  return a.min_time_ms == b.min_time_ms && a.max_time_ms == b.max_time_ms && a.encoding == b.encoding &&
         a.data == b.data;
}

// Random chunks of a few series: sizes from empty to several blocks, so
// chunks straddle block ends and some need a block of their own.
void AddRandom(std::mt19937_64& rng, size_t n, PackedChunks* packed, Reference* ref) {
  for (size_t i = 0; i < n; ++i) {
    const uint64_t id = rng() % 50;
    ChunkData c;
    c.min_time_ms = static_cast<int64_t>(rng() % 100'000);
    c.max_time_ms = c.min_time_ms + static_cast<int64_t>(rng() % 10'000);
    c.encoding = static_cast<ChunkEncoding>(rng() % 3);
    size_t size = rng() % 400;
    if (rng() % 50 == 0) size = PackedChunks::kBlockBytes - 3 + rng() % (2 * PackedChunks::kBlockBytes);
    c.data.resize(size);
    for (char& ch : c.data) ch = static_cast<char>(rng());
    packed->Add(id, c);
    (*ref)[id].push_back(std::move(c));
  }
}

void CheckEqual(const PackedChunks& packed, const Reference& ref, std::mt19937_64& rng) {
  size_t total = 0;
  uint64_t bytes = 0;
  for (const auto& [id, chunks] : ref) {
    total += chunks.size();
    for (const ChunkData& c : chunks) bytes += c.data.size();
  }
  CHECK(packed.size() == total);
  CHECK(packed.data_bytes() == bytes);
  // Every chunk once, each series' chunks in the order they were added.
  Reference seen;
  packed.ForEach([&](uint64_t id, const PackedChunks::View& v) {
    seen[id].push_back(ChunkData{v.min_time_ms, v.max_time_ms, v.encoding, std::string(v.data)});
  });
  REQUIRE(seen.size() == ref.size());
  for (const auto& [id, chunks] : ref) {
    INFO("series " << id);
    const std::vector<ChunkData>& got = seen.at(id);
    REQUIRE(got.size() == chunks.size());
    for (size_t i = 0; i < chunks.size(); ++i) CHECK(Same(got[i], chunks[i]));
  }
  // Range reads against a brute-force filter.
  for (int q = 0; q < 200; ++q) {
    const uint64_t id = rng() % 60;  // some series have no chunks
    const int64_t mint = static_cast<int64_t>(rng() % 110'000) - 5'000;
    const int64_t maxt = mint + static_cast<int64_t>(rng() % 20'000);
    std::vector<ChunkData> want;
    if (auto it = ref.find(id); it != ref.end()) {
      for (const ChunkData& c : it->second) {
        if (c.max_time_ms >= mint && c.min_time_ms <= maxt) want.push_back(c);
      }
    }
    std::vector<ChunkData> got = {ChunkData{1, 2, ChunkEncoding::kXor, "kept"}};
    packed.AppendOverlapping(id, mint, maxt, &got);
    REQUIRE(got.size() == want.size() + 1);
    CHECK(got[0].data == "kept");
    for (size_t i = 0; i < want.size(); ++i) CHECK(Same(got[i + 1], want[i]));
  }
}

TEST_CASE("packed chunks keep every chunk's bytes and order, over many seeds", "[storage][chunks][unit]") {
  for (uint64_t seed = 1; seed <= 20; ++seed) {
    CAPTURE(seed);
    std::mt19937_64 rng(seed);
    PackedChunks packed;
    Reference ref;
    AddRandom(rng, 500, &packed, &ref);
    CheckEqual(packed, ref, rng);

    // A failed flush: the flushing set goes back after the newer chunks.
    PackedChunks newer;
    Reference newer_ref;
    AddRandom(rng, 200, &newer, &newer_ref);
    newer.Absorb(packed);
    for (auto& [id, chunks] : ref) {
      std::vector<ChunkData>& dst = newer_ref[id];
      dst.insert(dst.end(), chunks.begin(), chunks.end());
    }
    CHECK(packed.empty());
    CHECK(packed.data_bytes() == 0);
    CheckEqual(newer, newer_ref, rng);

    // Cleared and reused (a flush done, the next round of pending chunks).
    newer.Clear();
    CheckEqual(newer, Reference(), rng);
    Reference again;
    AddRandom(rng, 300, &newer, &again);
    CheckEqual(newer, again, rng);
  }
}

}  // namespace
}  // namespace strata::storage
