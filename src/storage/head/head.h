// File: storage/head/head.h
//
// The in-memory head of the storage engine (Prometheus tsdb "Head"): every
// series with its open XOR chunk and its out-of-order buffer, sealed chunks
// in a ChunkStore, and a per-tenant inverted index for Select. Batches arrive as encoded write
// batches (common/model/write_batch.h) already durable in the WAL; the head
// is rebuilt from the WAL at startup (head_wal_replay.cc).
//
// Files: head.cc (series map, index), head_append.cc (Append, validation),
// head_read.cc (Select), head_wal_replay.cc (replay).
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string_view>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "common/model/labels.h"
#include "common/model/tenant.h"
#include "common/model/write_batch.h"
#include "common/rpc/storage_api.h"
#include "storage/head/append_stats.h"
#include "storage/head/chunk_store.h"
#include "storage/head/mem_postings.h"
#include "storage/head/series.h"

namespace strata::storage {

struct StorageMetrics;

struct HeadOptions {
  // A chunk is sealed when it holds this many samples (Prometheus: 120;
  // 4x that keeps the per-chunk overhead low at a 15 s scrape interval).
  size_t max_samples_per_chunk = 480;
  // A chunk is also sealed before the first sample that falls into a later
  // window [k*chunk_range_ms, (k+1)*chunk_range_ms) than the chunk's first
  // sample, so chunks never straddle a 2 h-aligned boundary.
  int64_t chunk_range_ms = 2 * 3600 * 1000;
  // Prometheus's out_of_order_time_window: a sample older than its series'
  // last sample is accepted when it is at most this much older (remote_write
  // senders with several shards or retries produce them); older ones are
  // rejected as too old. 0 rejects every out-of-order sample.
  int64_t out_of_order_window_ms = 3600 * 1000;
  // Out-of-order samples wait in a sorted per-series buffer (16 bytes a
  // sample) that is sealed into its own XOR chunk at this size, which bounds
  // the memory a series can pin with out-of-order writes.
  size_t max_ooo_buffer_samples = 120;
  // Remember the series created since the last TakeNewSeries() (the engine
  // persists them on flush). Off for a head without a persistent store.
  bool track_new_series = false;
};

// Checks that `batch` is a well-formed write batch whose series have sorted,
// unique, non-empty label names and non-empty values, and at least one
// sample each. InvalidArgument naming the problem otherwise.
absl::Status ValidateWriteBatch(std::string_view batch);

// Thread-safe. Appends to different series proceed in parallel: series live
// in 64 stripes by hash, each with its own mutex, which also guards the
// mutable fields of its series (see series.h). Lock order: stripe mutex ->
// tenants_mu_ -> TenantIndex::mu; ChunkStore locks are innermost.
class Head {
 public:
  // REQUIRES: `metrics` outlives the head.
  Head(const HeadOptions& options, StorageMetrics& metrics, std::unique_ptr<ChunkStore> chunks);
  ~Head();

  Head(const Head&) = delete;
  Head& operator=(const Head&) = delete;

  // Appends every sample of `batch`. A sample older than its series' last
  // sample goes to the series' out-of-order buffer when it is inside the
  // out-of-order window and is rejected as too old otherwise; a sample whose
  // timestamp is already in the open chunk or the buffer is skipped as a
  // duplicate (see AppendStats). None of these fails the batch. Updates the
  // metrics and, when non-null, `*stats`. In-order samples never allocate;
  // out-of-order ones may grow the buffer. Errors only when the chunk store
  // fails (the rest of the batch is still applied).
  // REQUIRES: ValidateWriteBatch(batch).ok().
  absl::Status Append(std::string_view batch, AppendStats* stats);

  // Applies one WAL record at startup. A record that is not a valid batch is
  // skipped with DataLoss (the rest of the WAL still replays).
  absl::Status ReplayWalRecord(std::string_view record, AppendStats* stats);

  // Series of `request.tenant` selected by every matcher that have chunks
  // overlapping [min_time_ms, max_time_ms], sorted by labels, with those
  // chunks (sealed ones, a snapshot of the open one and the out-of-order
  // buffer encoded as a chunk), ordered by min_time_ms. Out-of-order chunks
  // overlap the in-order ones; every accepted sample is in exactly one chunk
  // (see storage_api.h ChunkData). Stops after `max_series` (truncated =
  // true when more matched).
  absl::StatusOr<SearchResult> Select(const SearchRequest& request) const;

  // Adds a series loaded from the persistent index at startup, with its
  // stored id and no open chunk (its chunks are in the chunk store).
  // `last_t` is its newest persisted timestamp (INT64_MIN when none): later
  // samples at or before it are duplicates, out of order or too old, as if
  // the head had never restarted. Ids assigned later are larger than every
  // loaded one. Call before any Append, in increasing id order (postings
  // lists need ids ascending).
  void AddPersistedSeries(uint64_t id, TenantId tenant, Labels labels, int64_t last_t);

  // Seals every open chunk and out-of-order buffer into the chunk store, so
  // that every sample appended before the call is in a sealed chunk. Runs
  // concurrently with appends (one stripe locked at a time). Returns the
  // number of chunks sealed; on a chunk store error the rest is still
  // sealed and the first error returned.
  absl::StatusOr<uint64_t> SealAll();

  // The series created since the previous call (HeadOptions::
  // track_new_series), in creation order; series are never freed, so the
  // pointers stay valid for the head's lifetime. PutBackNewSeries returns
  // them after a failed flush.
  std::vector<const MemSeries*> TakeNewSeries();
  void PutBackNewSeries(std::vector<const MemSeries*> series);

  // Makes every id assigned from now on >= `next_id` (startup: ids handed
  // out before a crash may own orphan chunks in the store and must never be
  // given to another series).
  void ReserveSeriesIds(uint64_t next_id);

  // The id the next new series will get.
  uint64_t next_series_id() const { return next_series_id_.load(std::memory_order_relaxed); }

  // Sorted values of label `name` among the tenant's series.
  std::vector<std::string> LabelValues(TenantId tenant, std::string_view name) const;

  uint64_t num_series() const { return num_series_.load(std::memory_order_relaxed); }
  const ChunkStore& chunk_store() const { return *chunks_; }

 private:
  static constexpr size_t kStripes = 64;

  struct alignas(64) Stripe {
    mutable absl::Mutex mu;
    // hash -> first series with that hash (collisions chain via next_same_hash).
    absl::flat_hash_map<uint64_t, MemSeries*> by_hash ABSL_GUARDED_BY(mu);
    std::vector<std::unique_ptr<MemSeries>> owned ABSL_GUARDED_BY(mu);
  };

  struct TenantIndex {
    mutable absl::Mutex mu;
    MemPostings postings ABSL_GUARDED_BY(mu);
    absl::flat_hash_map<uint64_t, MemSeries*> by_id ABSL_GUARDED_BY(mu);
  };

  Stripe& StripeFor(uint64_t hash) const { return stripes_[hash % kStripes]; }
  TenantIndex& GetOrCreateTenant(TenantId tenant);
  const TenantIndex* FindTenant(TenantId tenant) const;

  // Finds or creates the series. REQUIRES: stripe.mu held.
  MemSeries* GetOrCreateSeries(Stripe& stripe, TenantId tenant, uint64_t hash, const SeriesView& view,
                               AppendStats* stats) ABSL_EXCLUSIVE_LOCKS_REQUIRED(stripe.mu);
  // Appends samples to `s`. REQUIRES: the series' stripe mutex held.
  absl::Status AppendSamples(MemSeries* s, const std::vector<Sample>& samples, AppendStats* stats);
  absl::Status SealOpenChunk(MemSeries* s);
  absl::Status SealOooBuffer(MemSeries* s);
  int64_t Window(int64_t t) const;

  const HeadOptions options_;
  StorageMetrics& metrics_;
  std::unique_ptr<ChunkStore> chunks_;
  mutable Stripe stripes_[kStripes];

  mutable absl::Mutex tenants_mu_;
  absl::flat_hash_map<TenantId, std::unique_ptr<TenantIndex>> tenants_ ABSL_GUARDED_BY(tenants_mu_);

  absl::Mutex new_series_mu_;  // innermost
  std::vector<const MemSeries*> new_series_ ABSL_GUARDED_BY(new_series_mu_);

  std::atomic<uint64_t> next_series_id_{1};
  std::atomic<uint64_t> num_series_{0};
};

}  // namespace strata::storage
