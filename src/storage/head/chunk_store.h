// File: storage/head/chunk_store.h
//
// Where the head puts sealed chunks. Today they stay in memory
// (MemChunkStore); the RocksDB layout of DESIGN.md ("chunks keyed
// `series id | start time`") will implement the same interface, so the head
// does not change when chunks move to disk.
#pragma once

#include <cstdint>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "common/rpc/storage_api.h"

namespace strata::storage {

// Thread-safe: implementations take their own locks.
class ChunkStore {
 public:
  virtual ~ChunkStore() = default;

  // Stores a sealed in-order chunk of `series_id`. In-order chunks of one
  // series arrive in time order and never overlap each other.
  virtual absl::Status Add(uint64_t series_id, ChunkData chunk) = 0;

  // Stores a sealed out-of-order chunk of `series_id`: sorted itself, but it
  // may overlap any other chunk of the series (never sharing a timestamp
  // with one that the head could see when it accepted the samples).
  virtual absl::Status AddOutOfOrder(uint64_t series_id, ChunkData chunk) = 0;

  // Appends copies of the chunks (in-order and out-of-order) of `series_id`
  // that overlap [mint, maxt] (both inclusive) to `*out`, ordered by
  // min_time_ms.
  virtual absl::Status Read(uint64_t series_id, int64_t mint, int64_t maxt, std::vector<ChunkData>* out) const = 0;

  // The part of a read that may be slow (disk) and needs no head lock:
  // Head::Select calls Read under the series' stripe lock (so sealing is
  // atomic with respect to it), then this without the lock. A store whose
  // chunks move from memory to disk must return a moved chunk from at least
  // one of the two calls (it may return it from both). Default: nothing.
  virtual absl::Status ReadPersisted(uint64_t series_id, int64_t mint, int64_t maxt,
                                     std::vector<ChunkData>* out) const {
    (void)series_id, (void)mint, (void)maxt, (void)out;
    return absl::OkStatus();
  }

  // Number of chunks stored; for tests and status pages.
  virtual uint64_t num_chunks() const = 0;
};

// Keeps sealed chunks in memory, striped by series id. Thread-safe.
class MemChunkStore final : public ChunkStore {
 public:
  absl::Status Add(uint64_t series_id, ChunkData chunk) override;
  absl::Status AddOutOfOrder(uint64_t series_id, ChunkData chunk) override;
  absl::Status Read(uint64_t series_id, int64_t mint, int64_t maxt, std::vector<ChunkData>* out) const override;
  uint64_t num_chunks() const override;

 private:
  static constexpr size_t kStripes = 64;
  struct SeriesChunkList {
    std::vector<ChunkData> in_order;  // time order, disjoint: binary-searched
    std::vector<ChunkData> ooo;       // arrival order, few: scanned
  };
  struct alignas(64) Stripe {
    mutable absl::Mutex mu;
    absl::flat_hash_map<uint64_t, SeriesChunkList> chunks ABSL_GUARDED_BY(mu);
    uint64_t count ABSL_GUARDED_BY(mu) = 0;
  };
  Stripe stripes_[kStripes];
};

}  // namespace strata::storage
