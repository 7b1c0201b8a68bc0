#include "storage/engine/packed_chunks.h"

#include <cstring>

#include "common/base/check.h"

namespace strata::storage {

const char* PackedChunks::Store(std::string_view data) {
  if (data.size() > kBlockBytes) {
    // Kept before the current block, so that block stays the one filled.
    auto own = std::make_unique<char[]>(data.size());
    std::memcpy(own.get(), data.data(), data.size());
    const char* p = own.get();
    blocks_.insert(blocks_.empty() ? blocks_.end() : blocks_.end() - 1, std::move(own));
    return p;
  }
  if (kBlockBytes - block_used_ < data.size()) {
    // for_overwrite: the block is filled before it is read.
    blocks_.push_back(std::make_unique_for_overwrite<char[]>(kBlockBytes));
    block_used_ = 0;
  }
  char* p = blocks_.back().get() + block_used_;
  if (!data.empty()) std::memcpy(p, data.data(), data.size());
  block_used_ += data.size();
  return p;
}

void PackedChunks::Add(uint64_t series_id, const ChunkData& chunk) {
  STRATA_CHECK(entries_.size() < kNone && chunk.data.size() <= UINT32_MAX);
  const uint32_t index = static_cast<uint32_t>(entries_.size());
  entries_.push_back(Entry{chunk.min_time_ms, chunk.max_time_ms, Store(chunk.data),
                           static_cast<uint32_t>(chunk.data.size()), kNone, chunk.encoding});
  data_bytes_ += chunk.data.size();
  auto [it, inserted] = by_series_.try_emplace(series_id, List{index, index});
  if (!inserted) {
    entries_[it->second.last].next = index;
    it->second.last = index;
  }
}

ChunkData PackedChunks::Copy(const View& v) {
  ChunkData c;
  c.min_time_ms = v.min_time_ms;
  c.max_time_ms = v.max_time_ms;
  c.encoding = v.encoding;
  c.data.assign(v.data);
  return c;
}

void PackedChunks::AppendOverlapping(uint64_t series_id, int64_t mint, int64_t maxt,
                                     std::vector<ChunkData>* out) const {
  auto it = by_series_.find(series_id);
  if (it == by_series_.end()) return;
  for (uint32_t i = it->second.first; i != kNone; i = entries_[i].next) {
    const Entry& e = entries_[i];
    if (e.max_time_ms >= mint && e.min_time_ms <= maxt) out->push_back(Copy(ViewOf(e)));
  }
}

void PackedChunks::Absorb(PackedChunks& other) {
  other.ForEach([this](uint64_t id, const View& v) { Add(id, Copy(v)); });
  other.Clear();
}

void PackedChunks::Clear() {
  blocks_.clear();
  block_used_ = kBlockBytes;
  entries_.clear();
  by_series_.clear();
  data_bytes_ = 0;
}

}  // namespace strata::storage
