// File: storage/head/head.h
//
// The in-memory head of the storage engine (Prometheus tsdb "Head"): the
// series that receive samples, each with its open XOR chunk and its
// out-of-order buffer, sealed chunks in a ChunkStore, and a per-tenant
// inverted index of those series. The engine hands it each write batch
// decoded (head_batch.h) in two steps: Resolve (series found or created,
// before the WAL record, which names them by id) and Apply (samples, once
// the record is durable); the head is rebuilt from the WAL tail at startup
// (wal_replay.h, head_wal_replay.cc).
//
// With a persistent engine the head is not the whole index: a series that
// stayed idle for a flush interval is evicted once its identity and chunks
// are in RocksDB (EvictIdle), and a series the head does not hold is looked
// up in the SeriesSource before a new id is assigned, so it comes back with
// its id and its newest persisted timestamp. Memory then follows the active
// series, not every series ever seen, and a restart starts empty.
//
// Files: head.cc (series map, index, eviction), head_append.cc (Append,
// validation, sealing), head_read.cc (Select), head_wal_replay.cc (replay).
#pragma once

#include <atomic>
#include <cstdint>
#include <limits>
#include <memory>
#include <optional>
#include <span>
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
#include "storage/head/head_batch.h"
#include "storage/head/mem_postings.h"
#include "storage/head/series.h"
#include "storage/head/series_hash_index.h"

namespace strata::storage {

struct StorageMetrics;

struct HeadOptions {
  // A chunk is sealed when it holds this many samples (Prometheus: 120;
  // 2x that keeps the per-chunk overhead low at a 15 s scrape interval,
  // while the Gorilla-coded open chunks stay small: DbOptions).
  size_t max_samples_per_chunk = 240;
  // A chunk is also sealed before the first sample that falls into a later
  // window [k*chunk_range_ms, (k+1)*chunk_range_ms) than the chunk's first
  // sample, so chunks never straddle a 1 h-aligned boundary.
  int64_t chunk_range_ms = 3600 * 1000;
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

// Where the head looks up a series it does not hold: the persistent index.
// Thread-safe implementations only (Find runs under a head stripe lock).
class SeriesSource {
 public:
  struct Found {
    uint64_t id = 0;
    // Newest persisted timestamp, INT64_MIN when the series has no chunks.
    int64_t last_t = std::numeric_limits<int64_t>::min();
  };
  virtual ~SeriesSource() = default;
  // nullopt when the series is unknown; an error when the lookup failed.
  virtual absl::StatusOr<std::optional<Found>> Find(TenantId tenant, std::span<const LabelView> labels) const = 0;
};

// A day for which `series` got a sealed chunk, and so needs per-day postings
// (queued when the chunk is sealed, before the chunk reaches the store).
struct DayPosting {
  std::shared_ptr<const MemSeries> series;
  int64_t day = 0;
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
  // REQUIRES: `metrics` and `source` (may be null: every unknown series is
  // new) outlive the head.
  Head(const HeadOptions& options, StorageMetrics& metrics, std::unique_ptr<ChunkStore> chunks,
       const SeriesSource* source = nullptr);
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
  // Parse + Resolve + Apply in one call, for callers without a WAL (tests,
  // replay of whole-batch WAL records). InvalidArgument for a bad batch.
  // Like Apply, it must not overlap two EvictIdle passes.
  absl::Status Append(std::string_view batch, AppendStats* stats);

  // The engine's append path, in two steps around the WAL write.
  // Resolve finds or creates every series of the laid-out `batch`
  // (ParseWriteBatch or FillHeadBatch), marks it active (so the next
  // eviction pass keeps it) and sets HeadBatch::Series::define for series
  // the WAL record must define (neither persisted nor defined by a durable
  // record). Errors when the SeriesSource lookup fails; series resolved
  // before stay (no samples).
  absl::Status Resolve(HeadBatch* batch);
  // Appends the samples of a resolved batch (as Append describes) and marks
  // the series it defined as defined in the WAL: call only once the WAL
  // record holding those definitions is durable.
  // REQUIRES: Resolve(batch) succeeded and at most one EvictIdle pass
  // started since (the engine holds appends' shared lock across both steps,
  // so that no flush rotation, hence no second pass, falls in between):
  // the pass sees the series active and keeps them, so the pointers hold.
  // A batch built without Resolve (WAL replay) sets each Series' `series`
  // and `hash` (= series->hash) itself.
  absl::Status Apply(const HeadBatch& batch, AppendStats* stats);

  // WAL replay (head_wal_replay.cc): a series whose identity the WAL or the
  // persistent index gives by id.
  struct KnownSeries {
    uint64_t id = 0;
    // Found in the persistent index by id: no SeriesSource lookup, `last_t`
    // is its newest persisted timestamp (INT64_MIN: no chunks).
    bool persisted = false;
    int64_t last_t = std::numeric_limits<int64_t>::min();
  };
  // Finds (tenant, labels) in the head, else creates it under `known.id`
  // (reserving the ids up to it). A series defined by the WAL alone is
  // still looked up in the SeriesSource first (a flush may have persisted
  // it), and the id found there wins. Counts new series in `*created`.
  // REQUIRES: `labels` a valid label set.
  absl::StatusOr<MemSeries*> ResolveKnown(TenantId tenant, std::span<const LabelView> labels,
                                          const KnownSeries& known, uint64_t* created);

  // Series of `request.tenant` selected by every matcher that have chunks
  // overlapping [min_time_ms, max_time_ms], sorted by labels, with those
  // chunks (sealed ones, a snapshot of the open one and the out-of-order
  // buffer encoded as a chunk), ordered by min_time_ms. Out-of-order chunks
  // overlap the in-order ones; every accepted sample is in exactly one chunk
  // (see storage_api.h ChunkData). Stops after `max_series` (truncated =
  // true when more matched).
  // Only the series the head holds: with a persistent engine, Db::Search
  // adds the evicted ones from the persistent index.
  absl::StatusOr<SearchResult> Select(const SearchRequest& request) const;

  // The tenant's head series that every matcher selects, in no particular
  // order. The pointers keep evicted series alive while the caller reads.
  std::vector<std::shared_ptr<const MemSeries>> SelectSeries(TenantId tenant, std::span<const Matcher> matchers) const;

  // The series' newest sample time (INT64_MIN when it has none), read under
  // its stripe lock.
  int64_t LastSampleTime(const MemSeries& series) const;

  // Appends the chunks of `series` overlapping [mint, maxt] to `*out`,
  // ordered by min_time_ms: sealed ones from the chunk store (pending and
  // persisted), a snapshot of the open chunk and the out-of-order buffer
  // encoded as a chunk.
  absl::Status ReadChunks(const MemSeries& series, int64_t mint, int64_t maxt, std::vector<ChunkData>* out) const;

  // Seals every open chunk and out-of-order buffer into the chunk store, so
  // that every sample appended before the call is in a sealed chunk. Runs
  // concurrently with appends (one stripe locked at a time). Returns the
  // number of chunks sealed; on a chunk store error the rest is still
  // sealed and the first error returned.
  absl::StatusOr<uint64_t> SealAll();

  // The series created since the previous call (HeadOptions::
  // track_new_series), in creation order. They stay in the head (and the
  // pointers valid) at least until MarkPersisted: EvictIdle keeps
  // unpersisted series. PutBackNewSeries returns them after a failed flush.
  std::vector<const MemSeries*> TakeNewSeries();
  void PutBackNewSeries(std::vector<const MemSeries*> series);
  // The series' identities are durable in the persistent index.
  void MarkPersisted(std::span<const MemSeries* const> series);

  // The (series, day) pairs queued since the previous call: every sealed
  // in-order chunk whose days the series had not been indexed for, and
  // every out-of-order chunk (HeadOptions::track_new_series only). A chunk's
  // pair is queued before the chunk reaches the chunk store, so a flush that
  // takes the pairs after moving the store's pending chunks covers them all.
  std::vector<DayPosting> TakeDayPostings();
  void PutBackDayPostings(std::vector<DayPosting> postings);

  // Removes every persisted series that received no sample since the
  // previous call and holds no unsealed samples, and marks the others idle.
  // Call after a successful flush, so that the removed series' chunks are in
  // the store. Returns the number removed.
  uint64_t EvictIdle();

  // Removes `series` from the head whatever their state (delete_series):
  // unsealed samples are dropped, and a series not yet persisted will not
  // be. The next sample with the same labels starts a series again. Returns
  // the number removed.
  uint64_t DropSeries(std::span<const std::shared_ptr<const MemSeries>> series);

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
    SeriesHashIndex by_hash ABSL_GUARDED_BY(mu);
    std::vector<std::shared_ptr<MemSeries>> owned ABSL_GUARDED_BY(mu);
  };

  // Postings hold MemSeries::ref, not ids (see series.h).
  struct TenantIndex {
    mutable absl::Mutex mu;
    MemPostings postings ABSL_GUARDED_BY(mu);
    absl::flat_hash_map<uint64_t, std::shared_ptr<MemSeries>> by_ref ABSL_GUARDED_BY(mu);
  };

  Stripe& StripeFor(uint64_t hash) const { return stripes_[hash % kStripes]; }
  TenantIndex& GetOrCreateTenant(TenantId tenant);
  const TenantIndex* FindTenant(TenantId tenant) const;

  // The head's series with these labels, or null. REQUIRES: stripe.mu held.
  // `packed_labels`: PackLabels of the labels (MemSeries::packed_labels).
  MemSeries* FindInHead(Stripe& stripe, TenantId tenant, uint64_t hash, std::string_view packed_labels) const
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(stripe.mu);
  // Finds the series in the head, else in the source, else creates it.
  // REQUIRES: stripe.mu held.
  // `known` (may be null): the identity replay knows (ResolveKnown).
  absl::StatusOr<MemSeries*> GetOrCreateSeries(Stripe& stripe, TenantId tenant, uint64_t hash,
                                               std::string_view packed_labels,
                                               std::span<const LabelView> labels, const KnownSeries* known,
                                               AppendStats* stats) ABSL_EXCLUSIVE_LOCKS_REQUIRED(stripe.mu);
  // Removes `s` from the stripe's hash chain and the tenant's by_ref.
  // REQUIRES: stripe.mu held (the caller erases it from stripe.owned).
  void Unlink(Stripe& stripe, MemSeries* s) ABSL_EXCLUSIVE_LOCKS_REQUIRED(stripe.mu);
  // Queues day postings for a chunk of `s` about to be sealed.
  // REQUIRES: the series' stripe mutex held.
  void QueueDayPostings(MemSeries* s, int64_t min_time, int64_t max_time, bool out_of_order);
  // The batch's series indexes grouped by stripe (of HeadBatch::Series::hash).
  void OrderByStripe(const HeadBatch& batch, std::vector<uint32_t>* order) const;
  // Calls fn(stripe, indexes) once per stripe group of `order` (from
  // OrderByStripe), in stripe order, without locking the stripe.
  template <typename Fn>
  void ForEachStripeGroup(const HeadBatch& batch, std::span<const uint32_t> order, Fn&& fn) const;
  // Appends samples to `s`. REQUIRES: the series' stripe mutex held.
  absl::Status AppendSamples(MemSeries* s, std::span<const Sample> samples, AppendStats* stats);
  absl::Status SealOpenChunk(MemSeries* s);
  absl::Status SealOooBuffer(MemSeries* s);
  // The first timestamp past the chunk window (chunk_range_ms, aligned to
  // the epoch) that holds `t`; INT64_MAX when that is past the int64 range.
  int64_t WindowEnd(int64_t t) const;

  const HeadOptions options_;
  StorageMetrics& metrics_;
  std::unique_ptr<ChunkStore> chunks_;
  const SeriesSource* const source_;
  mutable Stripe stripes_[kStripes];

  mutable absl::Mutex tenants_mu_;
  absl::flat_hash_map<TenantId, std::unique_ptr<TenantIndex>> tenants_ ABSL_GUARDED_BY(tenants_mu_);

  absl::Mutex new_series_mu_;  // innermost
  std::vector<const MemSeries*> new_series_ ABSL_GUARDED_BY(new_series_mu_);
  std::vector<DayPosting> day_postings_ ABSL_GUARDED_BY(new_series_mu_);

  std::atomic<uint64_t> next_series_id_{1};
  std::atomic<uint64_t> next_ref_{1};
  std::atomic<uint64_t> num_series_{0};
};

}  // namespace strata::storage
