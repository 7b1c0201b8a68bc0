#include "storage/head/chunk_store.h"

#include <algorithm>

namespace strata::storage {

absl::Status MemChunkStore::Add(uint64_t series_id, ChunkData chunk) {
  Stripe& s = stripes_[series_id % kStripes];
  absl::MutexLock l(&s.mu);
  s.chunks[series_id].in_order.push_back(std::move(chunk));
  ++s.count;
  return absl::OkStatus();
}

absl::Status MemChunkStore::AddOutOfOrder(uint64_t series_id, ChunkData chunk) {
  Stripe& s = stripes_[series_id % kStripes];
  absl::MutexLock l(&s.mu);
  s.chunks[series_id].ooo.push_back(std::move(chunk));
  ++s.count;
  return absl::OkStatus();
}

absl::Status MemChunkStore::Read(uint64_t series_id, int64_t mint, int64_t maxt, std::vector<ChunkData>* out) const {
  const Stripe& s = stripes_[series_id % kStripes];
  absl::MutexLock l(&s.mu);
  auto it = s.chunks.find(series_id);
  if (it == s.chunks.end()) return absl::OkStatus();
  const size_t start = out->size();
  const std::vector<ChunkData>& chunks = it->second.in_order;
  // In-order chunks are in time order: skip those that end before mint.
  auto first = std::partition_point(chunks.begin(), chunks.end(),
                                    [mint](const ChunkData& c) { return c.max_time_ms < mint; });
  for (auto c = first; c != chunks.end() && c->min_time_ms <= maxt; ++c) out->push_back(*c);
  bool any_ooo = false;
  for (const ChunkData& c : it->second.ooo) {
    if (c.max_time_ms < mint || c.min_time_ms > maxt) continue;
    out->push_back(c);
    any_ooo = true;
  }
  if (any_ooo) {
    std::stable_sort(out->begin() + static_cast<std::ptrdiff_t>(start), out->end(),
                     [](const ChunkData& a, const ChunkData& b) { return a.min_time_ms < b.min_time_ms; });
  }
  return absl::OkStatus();
}

uint64_t MemChunkStore::num_chunks() const {
  uint64_t n = 0;
  for (const Stripe& s : stripes_) {
    absl::MutexLock l(&s.mu);
    n += s.count;
  }
  return n;
}

}  // namespace strata::storage
