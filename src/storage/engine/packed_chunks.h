// File: storage/engine/packed_chunks.h
//
// Sealed chunks waiting in memory for a flush, packed: their bytes sit
// back to back in 64 KiB blocks, and each chunk is a 40-byte entry pointing
// into them. Held as one std::string each, the chunks of a 24 h backfill
// (hundreds of thousands per flush, 100-300 bytes each) cost about half
// their size again in string headers, malloc headers and growth slack, and
// their frees at the flush left the allocator's arenas fragmented (RSS
// ~90 MB above the live heap). Blocks are few, large and freed together.
//
// Thread-compatible: RocksChunkStore guards each instance with its stripe's
// mutex.
#pragma once

#include <cstdint>
#include <memory>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "common/rpc/storage_api.h"

namespace strata::storage {

class PackedChunks {
 public:
  // A chunk's metadata and bytes; `data` is valid until the next Clear().
  struct View {
    int64_t min_time_ms;
    int64_t max_time_ms;
    ChunkEncoding encoding;
    std::string_view data;
  };

  // Adds a chunk of `series_id` after those the series already has.
  void Add(uint64_t series_id, const ChunkData& chunk);
  // Appends copies of the chunks of `series_id` that overlap [mint, maxt],
  // in the order they were added.
  void AppendOverlapping(uint64_t series_id, int64_t mint, int64_t maxt, std::vector<ChunkData>* out) const;
  // Calls fn(series_id, View) for every chunk, each series' chunks in the
  // order they were added.
  template <typename Fn>
  void ForEach(Fn fn) const {
    for (const auto& [id, list] : by_series_) {
      for (uint32_t i = list.first; i != kNone; i = entries_[i].next) fn(id, ViewOf(entries_[i]));
    }
  }
  // Moves every chunk of `other` after this one's (a failed flush's chunks
  // go back to pending) and clears `other`.
  void Absorb(PackedChunks& other);
  // Frees the blocks; keeps the entry table's capacity for the next round.
  void Clear();

  size_t size() const { return entries_.size(); }
  bool empty() const { return entries_.empty(); }
  // Bytes of the chunks' data.
  uint64_t data_bytes() const { return data_bytes_; }

  static constexpr size_t kBlockBytes = size_t{64} << 10;

 private:
  static constexpr uint32_t kNone = ~uint32_t{0};
  struct Entry {
    int64_t min_time_ms;
    int64_t max_time_ms;
    const char* data;
    uint32_t size;
    uint32_t next;  // the series' next entry, or kNone
    ChunkEncoding encoding;
  };
  struct List {
    uint32_t first;
    uint32_t last;
  };

  static ChunkData Copy(const View& v);
  static View ViewOf(const Entry& e) { return View{e.min_time_ms, e.max_time_ms, e.encoding, {e.data, e.size}}; }
  // Copies `data` into the current block (a new one when it does not fit;
  // a chunk larger than a block gets a block of its own).
  const char* Store(std::string_view data);

  std::vector<std::unique_ptr<char[]>> blocks_;
  size_t block_used_ = kBlockBytes;  // of blocks_.back(); "full" before the first
  std::vector<Entry> entries_;
  absl::flat_hash_map<uint64_t, List> by_series_;
  uint64_t data_bytes_ = 0;
};

}  // namespace strata::storage
