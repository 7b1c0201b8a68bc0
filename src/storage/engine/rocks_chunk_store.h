// File: storage/engine/rocks_chunk_store.h
//
// The ChunkStore of a persistent engine: chunks sealed by the head are
// re-encoded at once as kSplit chunks (common/chunkenc/chunk_codec.h, about
// a third of Gorilla's bytes on node_exporter data) and wait in memory
// ("pending") until Db::Flush writes them to RocksDB's `chunks_15s`
// column family together with the checkpoint that lets the WAL segments
// holding their samples be deleted. Reads merge pending chunks with the
// persisted ones, so a chunk is visible from the moment it is sealed.
// A flush stores a timestamp section once for all its chunks that have it
// (the series of one scrape), in RocksDB's `timestamps` column family.
#pragma once

#include <atomic>
#include <cstdint>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/mutex.h"
#include "storage/engine/packed_chunks.h"
#include "storage/head/chunk_store.h"
#include "storage/index/rocks_store.h"

namespace strata::storage {

// Thread-safe. Flushes (BeginFlush .. Finish/AbortFlush) must not overlap
// each other (Db serializes them); Add and Read run concurrently with them.
class RocksChunkStore final : public ChunkStore {
 public:
  // REQUIRES: `store` outlives this object.
  explicit RocksChunkStore(RocksStore* store);

  absl::Status Add(uint64_t series_id, ChunkData chunk) override;
  absl::Status AddOutOfOrder(uint64_t series_id, ChunkData chunk) override;
  // Read returns the pending and flushing chunks (memory), ReadPersisted
  // those in RocksDB. Called in that order, a chunk that a concurrent flush
  // moves to RocksDB in between is seen twice (harmless: readers keep one
  // sample per timestamp), never missed.
  absl::Status Read(uint64_t series_id, int64_t mint, int64_t maxt, std::vector<ChunkData>* out) const override;
  absl::Status ReadPersisted(uint64_t series_id, int64_t mint, int64_t maxt,
                             std::vector<ChunkData>* out) const override;
  // Pending chunks plus the chunks persisted through this object.
  uint64_t num_chunks() const override;

  static constexpr size_t kStripes = 64;

  // Moves every pending chunk to the "flushing" set (still readable), and
  // finds the timestamp sections that more than one of them has.
  // Returns the number of chunks moved.
  uint64_t BeginFlush();
  // Adds the flushing chunks of stripe `stripe` (< kStripes) to `batch`, so
  // the caller can write a large flush in several batches. Returns the
  // number of chunks added.
  uint64_t AddFlushingTo(size_t stripe, RocksStore::Batch* batch) const;
  // The batches are durable: drops the flushing set.
  void FinishFlush();
  // A batch failed: the flushing chunks become pending again (chunks of
  // batches already written are written again by the next flush, under new
  // keys: duplicates, which readers tolerate).
  void AbortFlush();

  uint64_t num_pending() const;
  // Bytes of the chunks waiting for a flush (pending and flushing).
  uint64_t pending_bytes() const { return pending_bytes_.load(std::memory_order_relaxed); }

 private:
  struct alignas(64) Stripe {
    mutable absl::Mutex mu;
    PackedChunks pending ABSL_GUARDED_BY(mu);
    PackedChunks flushing ABSL_GUARDED_BY(mu);
  };

  // A kSplit chunk's first timestamp and timestamp section.
  using TimestampSection = std::pair<int64_t, std::string_view>;

  RocksStore* const store_;
  Stripe stripes_[kStripes];
  // How many flushing chunks have each section, counted by BeginFlush;
  // views into the flushing sets. A section is stored apart when more than
  // one chunk has it. Flushes are serialized (Db's flush mutex), so only the
  // flushing thread touches it.
  absl::flat_hash_map<TimestampSection, uint32_t> timestamp_counts_;
  std::atomic<uint64_t> persisted_{0};
  std::atomic<uint64_t> pending_bytes_{0};
};

}  // namespace strata::storage
