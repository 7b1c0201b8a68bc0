#include "storage/engine/rocks_chunk_store.h"

#include <algorithm>
#include <utility>

#include "common/chunkenc/chunk_codec.h"
#include "common/chunkenc/xor_chunk.h"

namespace strata::storage {

RocksChunkStore::RocksChunkStore(RocksStore* store) : store_(store) {}

namespace {

// The head seals Gorilla chunks; in memory and on disk they become kSplit
// chunks, whose timestamp section the flush can share between the series
// of a scrape.
void Compact(ChunkData* c) {
  if (c->encoding != ChunkEncoding::kXor) return;
  thread_local std::vector<Sample> samples;
  samples.clear();
  if (!DecodeXorChunk(c->data, &samples).ok() || samples.empty() || samples.size() > kMaxChunkSamples) return;
  c->encoding = ChunkEncoding::kSplit;
  c->data = EncodeSplitChunk(samples);
}

// The timestamp section of a flushing chunk, or an empty view.
std::string_view TimestampsOf(const PackedChunks::View& c) {
  std::string_view timestamps, values;
  if (c.encoding != ChunkEncoding::kSplit || !SplitChunkTimestamps(c.data, &timestamps, &values)) return {};
  return timestamps;
}

}  // namespace

absl::Status RocksChunkStore::Add(uint64_t series_id, ChunkData chunk) {
  // Before the lock: readers and flushes of the stripe do not wait for it.
  Compact(&chunk);
  pending_bytes_.fetch_add(chunk.data.size(), std::memory_order_relaxed);
  Stripe& s = stripes_[series_id % kStripes];
  absl::MutexLock l(&s.mu);
  s.pending.Add(series_id, chunk);
  return absl::OkStatus();
}

absl::Status RocksChunkStore::AddOutOfOrder(uint64_t series_id, ChunkData chunk) {
  // RocksDB keys order chunks by min_time whatever their kind.
  return Add(series_id, std::move(chunk));
}

absl::Status RocksChunkStore::Read(uint64_t series_id, int64_t mint, int64_t maxt,
                                   std::vector<ChunkData>* out) const {
  const size_t start = out->size();
  {
    const Stripe& s = stripes_[series_id % kStripes];
    absl::MutexLock l(&s.mu);
    s.flushing.AppendOverlapping(series_id, mint, maxt, out);
    s.pending.AppendOverlapping(series_id, mint, maxt, out);
  }
  std::stable_sort(out->begin() + static_cast<std::ptrdiff_t>(start), out->end(),
                   [](const ChunkData& a, const ChunkData& b) { return a.min_time_ms < b.min_time_ms; });
  return absl::OkStatus();
}

absl::Status RocksChunkStore::ReadPersisted(uint64_t series_id, int64_t mint, int64_t maxt,
                                            std::vector<ChunkData>* out) const {
  return store_->ReadChunks(series_id, mint, maxt, out);
}

uint64_t RocksChunkStore::num_chunks() const { return num_pending() + persisted_.load(std::memory_order_relaxed); }

uint64_t RocksChunkStore::num_pending() const {
  uint64_t n = 0;
  for (const Stripe& s : stripes_) {
    absl::MutexLock l(&s.mu);
    n += s.pending.size() + s.flushing.size();
  }
  return n;
}

uint64_t RocksChunkStore::BeginFlush() {
  uint64_t n = 0;
  // The views stay valid until FinishFlush or AbortFlush: nothing is added
  // to a flushing set.
  timestamp_counts_.clear();
  for (Stripe& s : stripes_) {
    absl::MutexLock l(&s.mu);
    // Flushes never overlap, so `flushing` is empty here.
    std::swap(s.flushing, s.pending);
    n += s.flushing.size();
    s.flushing.ForEach([this](uint64_t, const PackedChunks::View& c) {
      std::string_view timestamps = TimestampsOf(c);
      if (!timestamps.empty()) ++timestamp_counts_[TimestampSection{c.min_time_ms, timestamps}];
    });
  }
  return n;
}

uint64_t RocksChunkStore::AddFlushingTo(size_t stripe, RocksStore::Batch* batch) const {
  const Stripe& s = stripes_[stripe];
  absl::MutexLock l(&s.mu);
  s.flushing.ForEach([this, batch](uint64_t id, const PackedChunks::View& c) {
    std::string_view timestamps = TimestampsOf(c);
    bool shared = false;
    if (!timestamps.empty()) {
      auto it = timestamp_counts_.find(TimestampSection{c.min_time_ms, timestamps});
      shared = it != timestamp_counts_.end() && it->second > 1;
    }
    batch->PutChunk(id, c.min_time_ms, c.max_time_ms, c.encoding, c.data, shared);
  });
  return s.flushing.size();
}

void RocksChunkStore::FinishFlush() {
  uint64_t n = 0;
  uint64_t bytes = 0;
  for (Stripe& s : stripes_) {
    absl::MutexLock l(&s.mu);
    bytes += s.flushing.data_bytes();
    n += s.flushing.size();
    s.flushing.Clear();
  }
  persisted_.fetch_add(n, std::memory_order_relaxed);
  pending_bytes_.fetch_sub(bytes, std::memory_order_relaxed);
  timestamp_counts_.clear();
}

void RocksChunkStore::AbortFlush() {
  timestamp_counts_.clear();
  for (Stripe& s : stripes_) {
    absl::MutexLock l(&s.mu);
    s.pending.Absorb(s.flushing);
  }
}

}  // namespace strata::storage
