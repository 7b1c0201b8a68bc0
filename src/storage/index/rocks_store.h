// File: storage/index/rocks_store.h
//
// The persistent part of a storage node: one RocksDB at `<data_path>/db`
// holding the series dictionary (labels <-> dense series id), the inverted
// index (postings) and sealed chunks, plus the engine's checkpoint metadata.
// The key layout of every column family is specified, with byte diagrams, in
// docs/format/index.md; the encoders live in rocks_store.cc only.
//
// Writers fill a Batch (new series with their postings, sealed chunks, meta
// values) and commit it atomically with Write(); readers see only committed
// data. RocksDB headers stay out of this header (pimpl), so including it
// costs nothing.
//
//   STRATA_ASSIGN_OR_RETURN(auto store, RocksStore::Open({.path = dir + "/db"}));
//   RocksStore::Batch b = store->NewBatch();
//   b.PutSeries(id, tenant, labels);
//   b.PutChunk(id, chunk);
//   STRATA_RETURN_IF_ERROR(store->Write(std::move(b), /*sync=*/true));
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "common/model/labels.h"
#include "common/model/tenant.h"
#include "common/rpc/storage_api.h"

namespace strata::storage {

class PostingsIterator;

struct RocksStoreOptions {
  // Directory of the RocksDB instance (created when missing). Required.
  std::string path;
  // LRU block cache shared by every column family: bounds the memory used
  // for cached index and chunk blocks.
  uint64_t block_cache_bytes = 256ull << 20;
  // Total memtable budget across column families (RocksDB's
  // db_write_buffer_size); each column family's memtable is a quarter of it.
  uint64_t write_buffer_bytes = 64ull << 20;
};

// A series as the store knows it.
struct SeriesRecord {
  uint64_t id = 0;
  TenantId tenant;
  Labels labels;
};

// Thread-safe: reads run concurrently with each other and with Write; Write
// calls are serialized internally. Destruction closes the database; no call
// may be in flight then.
class RocksStore {
 public:
  // An atomic set of updates, built without touching the database. Not
  // thread-safe; move it into Write().
  class Batch {
   public:
    ~Batch();
    Batch(Batch&&) noexcept;
    Batch& operator=(Batch&&) noexcept;

    // Adds the series to `series` and `series_labels` and, in the global
    // postings scope, one postings entry per label plus the scope's "all
    // series" entry. Writing the same (id, tenant, labels) twice is harmless.
    void PutSeries(uint64_t id, TenantId tenant, const Labels& labels);
    // Adds the postings of the series (one per label plus "all series") to
    // the per-day scope `partition` (time_partition.h, PartitionOfDay): the
    // engine calls it once per series per day that got chunks, so queries
    // over short ranges see only the series active then. Idempotent.
    void PutDayPostings(uint32_t partition, uint64_t id, TenantId tenant, const Labels& labels);
    // Adds a sealed chunk of the 15 s tier. Chunks of one series may share a
    // min_time (an out-of-order chunk and an in-order one): each gets a
    // unique key, so none overwrites another. With `share_timestamps`, a
    // kSplit chunk's timestamp section goes to the `timestamps` column
    // family, once for all chunks with the same section and min_time, and
    // the chunk refers to it; ReadChunks puts it back. Worth it when other
    // chunks of the flush (the other series of the scrape) have the same.
    void PutChunk(uint64_t series_id, const ChunkData& chunk);
    void PutChunk(uint64_t series_id, int64_t min_time_ms, int64_t max_time_ms, ChunkEncoding encoding,
                  std::string_view data, bool share_timestamps = false);
    // Meta values; the store keeps the largest next_series_id ever written.
    void SetNextSeriesId(uint64_t next_id);
    void SetWalCheckpoint(uint64_t first_needed_segment);

    size_t num_series() const;
    size_t num_chunks() const;
    // Bytes of the encoded batch so far (callers split large writes).
    size_t approximate_bytes() const;
    bool empty() const;

   private:
    friend class RocksStore;
    Batch();
    struct Rep;
    std::unique_ptr<Rep> rep_;
  };

  // Opens (creating when missing) the database with the column families
  // `series`, `series_labels`, `postings`, `chunks_15s`, `meta`,
  // `series_max_time`, `deleted_series`, `exemplars`, `metric_metadata`
  // and `timestamps`; column
  // families written by a newer version are opened too. Unavailable or
  // DataLoss (with the RocksDB message) when it cannot be opened.
  static absl::StatusOr<std::unique_ptr<RocksStore>> Open(const RocksStoreOptions& options);

  ~RocksStore();
  RocksStore(const RocksStore&) = delete;
  RocksStore& operator=(const RocksStore&) = delete;

  Batch NewBatch() const;

  // Commits `batch` atomically. With `sync`, returns after the RocksDB log
  // is fsynced, so the batch survives power loss.
  absl::Status Write(Batch batch, bool sync);

  // Series id of (tenant, labels); NotFound when unknown.
  absl::StatusOr<uint64_t> LookupSeriesId(TenantId tenant, const Labels& labels) const;
  // Tenant and labels of series `id`; NotFound when unknown.
  absl::StatusOr<SeriesRecord> GetSeries(uint64_t id) const;

  // Postings scopes: kGlobalScope (time_partition.h) covers all time; a
  // day's partition covers the series that have chunks in that day.
  //
  // Calls `fn` with the ids of the tenant's series having label
  // name=value in `scope`, in increasing id order, until `fn` returns false.
  // name="" and value="" lists every series of the scope.
  absl::Status ForEachPosting(uint32_t scope, TenantId tenant, std::string_view name, std::string_view value,
                              absl::FunctionRef<bool(uint64_t)> fn) const;
  // The same, collected.
  absl::StatusOr<std::vector<uint64_t>> Postings(uint32_t scope, TenantId tenant, std::string_view name,
                                                 std::string_view value) const;
  // A lazy, seekable iterator over the same ids (postings_iterator.h). It
  // reads RocksDB as it advances; errors surface through its status().
  std::unique_ptr<PostingsIterator> NewPostingsIterator(uint32_t scope, TenantId tenant, std::string_view name,
                                                        std::string_view value) const;
  // Calls `fn` with the distinct values of label `name` that start with
  // `prefix` among the tenant's series in `scope`, sorted bytewise, until it
  // returns false. Skips each value's ids with one seek, so the cost is per
  // value, not per series; with a prefix only the values in [prefix,
  // prefix+1) are visited.
  absl::Status ForEachLabelValue(uint32_t scope, TenantId tenant, std::string_view name, std::string_view prefix,
                                 absl::FunctionRef<bool(std::string_view)> fn) const;
  // Every distinct value of `name`, collected.
  absl::StatusOr<std::vector<std::string>> LabelValues(uint32_t scope, TenantId tenant, std::string_view name) const;
  // Calls `fn` with the distinct label names of the tenant's series in
  // `scope`, sorted, until it returns false: one seek per name.
  absl::Status ForEachLabelName(uint32_t scope, TenantId tenant, absl::FunctionRef<bool(std::string_view)> fn) const;

  // Tenant and labels of each of `ids` (one MultiGet), in the order of
  // `ids`; ids without labels (unknown or deleted) are left out.
  absl::StatusOr<std::vector<SeriesRecord>> GetSeriesBatch(std::span<const uint64_t> ids) const;

  // Calls `fn` with every series of `tenant`, in canonical-labels order,
  // until it returns false.
  absl::Status ForEachSeries(TenantId tenant, absl::FunctionRef<bool(const SeriesRecord&)> fn) const;
  // Calls `fn` with every series of every tenant, in id order, until it
  // returns false (used to load the head at startup).
  absl::Status ForEachSeriesById(absl::FunctionRef<bool(const SeriesRecord&)> fn) const;

  // Appends the 15 s chunks of `series_id` overlapping [mint, maxt] (both
  // inclusive) to `*out`, ordered by min_time_ms. Seeks directly to the
  // first candidate: the store tracks the longest chunk span ever written.
  absl::Status ReadChunks(uint64_t series_id, int64_t mint, int64_t maxt, std::vector<ChunkData>* out) const;

  // Newest max_time_ms among the chunks ever written for `series_id`, or
  // INT64_MIN when it has none or was deleted: one Get (series_max_time,
  // kept in the batches that write chunks). Retention does not lower it.
  absl::StatusOr<int64_t> MaxTime(uint64_t series_id) const;

  // delete_series: in one synced write, marks the ids deleted (kept across
  // restarts) and removes their `series` key when it still maps to that id,
  // so the same labels get a NEW id when they come back. Afterwards
  // ReadChunks and MaxTime return nothing for these ids and IsDeleted is
  // true; callers of the postings and series reads drop deleted ids. The
  // bytes go when compaction (CompactAll, force_merge) rewrites the keys.
  absl::Status DeleteSeries(std::span<const SeriesRecord> series);
  // True when series `id` was deleted. Lock-free; one atomic load when
  // nothing was ever deleted.
  bool IsDeleted(uint64_t id) const;
  size_t num_deleted() const;

  // Exemplars (column family `exemplars`, docs/format/index.md): key
  // tenant · series hash u64 BE · flipped timestamp u64 BE, value the
  // value's bits u64 LE then the labels (label_count uvarint, length-prefixed
  // name/value pairs). Keyed by SeriesHash rather than series id: exemplars
  // often arrive in series of their own (no samples, so no id in the head),
  // and the query side finds the series' labels first anyway. Like
  // Prometheus's circular exemplar buffer, but persistent and per series:
  // after the write a series keeps its newest `max_per_series` exemplars.
  // An exemplar equal in (series, timestamp) to a stored one replaces it.
  // Written with RocksDB's own log (synced with `sync`), so they survive a
  // restart without Strata's WAL.
  struct ExemplarToStore {
    uint64_t series_hash = 0;
    std::span<const LabelView> labels;
    int64_t timestamp_ms = 0;
    double value = 0;
  };
  absl::Status PutExemplars(TenantId tenant, std::span<const ExemplarToStore> exemplars, size_t max_per_series,
                            bool sync);
  // Appends the exemplars of the series in [mint, maxt] to `*out`, by time.
  absl::Status ReadExemplars(TenantId tenant, uint64_t series_hash, int64_t mint, int64_t maxt,
                             std::vector<Exemplar>* out) const;

  // Metric metadata (column family `metric_metadata`): key tenant · metric
  // family name, value type uvarint · help · unit (length-prefixed); the
  // latest write wins.
  absl::Status PutMetadata(TenantId tenant, std::span<const MetricMetadata> metadata, bool sync);
  // The tenant's metadata by name (only `metric` when not empty), at most
  // `limit` families when > 0.
  absl::Status ReadMetadata(TenantId tenant, std::string_view metric, uint64_t limit,
                            std::vector<MetricMetadata>* out) const;

  // Day partitions (time_partition.h) that hold chunks, ascending.
  std::vector<uint32_t> ChunkPartitions() const;

  struct PartitionDrop {
    std::vector<uint32_t> partitions;  // chunk partitions dropped
    uint64_t approx_bytes = 0;         // RocksDB's size estimate of the dropped ranges
  };
  // Retention: drops every chunk, shared timestamp section and per-day
  // postings entry of the partitions before `partition` (never the global
  // postings), with range
  // deletions, then deletes the SST files inside the range and compacts the
  // rest so the disk space comes back before this returns.
  absl::StatusOr<PartitionDrop> DropPartitionsBefore(uint32_t partition);

  // Meta values as of the last Write (or Open): 0 / 0 for a new database.
  uint64_t next_series_id() const;
  uint64_t wal_checkpoint() const;
  // Chunks written through this store since Open, plus those found at Open
  // (RocksDB's key estimate: approximate).
  uint64_t num_chunks_estimate() const;
  // Timestamp sections stored apart (the `timestamps` column family;
  // RocksDB's key estimate, which counts a section written twice twice
  // until a compaction).
  uint64_t num_timestamp_sections_estimate() const;

  // What RocksDB holds in memory, by part (the node's memory gauges).
  struct MemoryUsage {
    uint64_t memtables = 0;      // active, immutable and pinned memtables
    uint64_t block_cache = 0;    // the shared block cache's charge
    uint64_t table_readers = 0;  // index and filter blocks held outside it
  };
  MemoryUsage memory_usage() const;

  // Writes every memtable to SST files and waits. Afterwards RocksDB's own
  // log holds nothing live and is recycled, and the data sits compressed
  // (the log is not compressed: without this, a store that is only written
  // by Strata's flushes keeps its whole content in the log).
  absl::Status FlushMemTables();

  // Compacts every column family to the bottommost level (force_merge).
  absl::Status CompactAll();

  // Writes a consistent copy of the database to `dir` (which must not
  // exist) with rocksdb::Checkpoint: SST files are hard-linked when `dir` is
  // on the same filesystem, so it is cheap; the memtables are flushed first.
  // The copy opens with Open() like any store (snapshots, backups).
  absl::Status CreateCheckpoint(const std::string& dir) const;

  const std::string& path() const;

 private:
  struct Impl;
  explicit RocksStore(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace strata::storage
