// File: storage/engine/db.h
//
// The storage engine facade (LevelDB's DB, Prometheus's tsdb.DB): a WAL for
// durability and an in-memory head for queries. Open replays the WAL, so a
// node restarted after kill -9 serves every batch that was acknowledged.
// With `persistent`, sealed chunks and the series index also go to RocksDB
// (`<data_path>/db`, docs/format/index.md) on every Flush, and the WAL is
// truncated to what RocksDB does not hold yet.
// A plain synchronous library: no Asio; the WAL owns one background thread
// in interval fsync mode, and a persistent Db one flush thread.
//
//   auto db = Db::Open({.data_path = "/var/lib/strata"}, &registry);
//   STRATA_RETURN_IF_ERROR((*db)->Append(batch_bytes));
//   auto result = (*db)->Search(request);
//   STRATA_RETURN_IF_ERROR((*db)->Flush());  // e.g. /internal/force_flush
//   STRATA_RETURN_IF_ERROR((*db)->Close());
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "common/rpc/storage_api.h"
#include "storage/engine/disk_space.h"
#include "storage/head/append_stats.h"

namespace prometheus {
class Registry;
}

namespace strata::storage {

class Head;
struct HeadBatch;
class IndexReader;
class RocksChunkStore;
class RetentionEnforcer;
class RocksSeriesSource;
class RocksStore;
class Wal;
struct StorageMetrics;

struct DbOptions {
  // Root of the node's data; the WAL lives in `<data_path>/wal/`. Required.
  std::string data_path;

  // -wal.fsync: kAlways acknowledges a batch only after fdatasync (group
  // commit batches concurrent writers into one fsync); kInterval after
  // write(2), with a background fdatasync every `fsync_interval` (survives a
  // process crash, may lose up to one interval on power loss).
  enum FsyncMode { kAlways, kInterval };
  FsyncMode fsync_mode = kInterval;
  std::chrono::milliseconds fsync_interval{1000};

  // WAL segment files are rotated at this size (default 128 MiB).
  uint64_t wal_segment_size = 128ull << 20;

  // Head chunks are sealed at this many samples, or before a sample that
  // crosses a `chunk_range_ms`-aligned boundary (default 240 and 1 h).
  // The open chunk is Gorilla-coded, which on noisy gauges costs several
  // times the sealed chunk's bytes: 1 h instead of 2 h took 55 MB off the
  // peak RSS of a 50,700-series backfill for 9% more disk per sample.
  size_t max_samples_per_chunk = 240;
  int64_t chunk_range_ms = 3600 * 1000;

  // Samples up to this much older than their series' last sample are
  // accepted out of order (Prometheus's out_of_order_time_window); older
  // ones are rejected and counted. 0 rejects every out-of-order sample.
  int64_t out_of_order_window_ms = 3600 * 1000;

  // Keep sealed chunks and the series index in RocksDB at `<data_path>/db`
  // (see Flush); on restart series come from RocksDB and only the WAL after
  // the last flush's checkpoint is replayed. Off: everything stays in
  // memory and the WAL grows forever (tests of the WAL-only path).
  bool persistent = true;
  // Persistent only: a background Flush runs this often (0 = never; Close
  // always flushes). A flush seals every open chunk, so this bounds chunk
  // length: 1 h is 240 samples at a 15 s interval, enough for Gorilla to
  // amortize a chunk's first-sample cost (< 0.1 byte/sample), while the
  // WAL to replay after a crash stays at most ~1 h of ingest.
  std::chrono::milliseconds flush_interval{3600 * 1000};
  // Persistent only: a flush also starts when the WAL written since the
  // last one exceeds this many bytes (0 = no limit), which bounds the WAL
  // on disk, the sealed chunks waiting in memory and the replay after a
  // crash under heavy ingest or a backfill of old data.
  uint64_t flush_wal_bytes = 1ull << 30;
  // Persistent only: a flush also starts when sealed chunks waiting in
  // memory for it exceed this many bytes (0 = no limit): the bound on what
  // a steady ingest or a backfill holds in memory between flushes.
  uint64_t flush_pending_chunk_bytes = 32ull << 20;
  // Persistent only: RocksDB's block cache and memtable budget.
  uint64_t block_cache_bytes = 256ull << 20;
  uint64_t write_buffer_bytes = 32ull << 20;
  // A flush writes its chunks in RocksDB batches of about this size (only
  // the last one synced), so it does not hold a second copy of an hour of
  // chunks in one batch. Larger batches save nothing measurable: each is
  // copied into the memtable anyway, and a batch's buffer grows by doubling
  // (up to twice this size at the node's memory peak).
  size_t flush_batch_bytes = 4u << 20;
  // Persistent only (-retentionPeriod, storage/engine/retention.h): whole
  // UTC days older than this are dropped from RocksDB at Open and after
  // each flush; <= 0 keeps everything. Default 1 month of 31 days, like VM.
  int64_t retention_ms = 31LL * 24 * 3600 * 1000;
  // Persistent only (-storage.maxExemplarsPerSeries): exemplars kept per
  // series, the newest; 0 keeps all. Without `persistent` exemplars are
  // not stored.
  size_t max_exemplars_per_series = 100;
  // -storage.minFreeDiskSpaceBytes and how free space is looked up
  // (storage/engine/disk_space.h): below the bound the node refuses writes
  // (FailedPrecondition) and keeps serving reads. Open sets `path` to
  // data_path.
  DiskSpaceGuardOptions disk_space;
};

// A point-in-time copy of the engine's counters (also exported as metrics).
struct DbStats {
  uint64_t series = 0;
  uint64_t samples_appended = 0;  // live appends and WAL replay
  uint64_t out_of_order = 0;  // accepted, inside the window
  uint64_t too_old = 0;       // rejected, outside the window
  uint64_t duplicates = 0;
  uint64_t chunks_sealed = 0;
  uint64_t wal_records = 0;  // appended since Open
  uint64_t wal_bytes = 0;
  uint64_t wal_fsyncs = 0;
  uint64_t wal_corrupt_records = 0;  // skipped during replay
  uint64_t wal_torn_tails = 0;       // truncated during replay
  uint64_t replayed_records = 0;
  uint64_t flushes = 0;           // successful Flush calls since Open
  uint64_t wal_checkpoint = 0;    // first WAL segment RocksDB does not hold
  uint64_t evicted_series = 0;    // idle series dropped from the head since Open
};

// Thread-safe: Append, Search and Flush may be called concurrently from any
// thread; Close once, after which they fail with Unavailable.
class Db {
 public:
  // Creates `options.data_path` if needed and replays the WAL into the head.
  // Metrics (`strata_storage_*`, `strata_wal_*`) are registered on `metrics`
  // when non-null (it must outlive the Db), else on a private registry.
  // Errors: InvalidArgument for bad options, Unavailable for I/O failures.
  static absl::StatusOr<std::unique_ptr<Db>> Open(const DbOptions& options, prometheus::Registry* metrics);

  ~Db();  // Close()s when not closed.

  Db(const Db&) = delete;
  Db& operator=(const Db&) = delete;

  // Validates an encoded write batch (InvalidArgument, nothing written, when
  // malformed), resolves its series in the head, appends its samples as one
  // WAL record naming the series by id (docs/format/wal.md), waits until it
  // is durable per the fsync mode, then applies it to the head. Errors from
  // the series lookup in RocksDB fail the call before anything is logged.
  // Out-of-order samples inside
  // the window are kept; duplicates are skipped and samples older than the
  // window rejected, both counted and reported in `*stats` (when non-null,
  // filled whenever OK is returned) rather than failing the batch, so the
  // caller can tell the sender. Blocks for the fsync in kAlways mode.
  // Unavailable when closed or on WAL I/O failure (a failed write is not
  // acknowledged and leaves no partial record). FailedPrecondition while the
  // node is read-only for lack of disk space (disk_space.h); WriteMetadata too.
  absl::Status Append(std::string_view write_batch, AppendStats* stats = nullptr);

  // Append for the series `subset` of `batch` (indexes into
  // batch.series()), from the insert side in the same process
  // (InProcessStorage): the same outcomes, without a write batch to encode
  // and parse. SeriesBatch::AddSeries requires validated labels, so nothing
  // is checked again.
  absl::Status AppendSeries(const SeriesBatch& batch, std::span<const uint32_t> subset,
                            AppendStats* stats = nullptr);

  // True while free disk space is below min_free_disk_space_bytes.
  bool read_only() const;

  // The series of `request.tenant` that every matcher selects and that have
  // chunks overlapping [min_time_ms, max_time_ms], sorted by labels, with
  // those chunks (see storage_api.h; Head::Select for the head's part).
  // With `persistent`, the head's series are merged with the series the
  // persistent index finds for the time range (db_search.cc).
  absl::StatusOr<SearchResult> Search(const SearchRequest& request) const;

  // Sorted label names, and sorted distinct values of label `name`, of the
  // tenant's series that every matcher selects (all series when none) and
  // that have data in [mint, maxt]; at most `limit` when > 0. Series count
  // likewise. For the labels, label values and status APIs.
  absl::StatusOr<std::vector<std::string>> LabelNames(TenantId tenant, std::span<const Matcher> matchers,
                                                      int64_t mint, int64_t maxt, size_t limit = 0) const;
  absl::StatusOr<std::vector<std::string>> LabelValues(TenantId tenant, std::string_view name,
                                                       std::span<const Matcher> matchers, int64_t mint, int64_t maxt,
                                                       size_t limit = 0) const;
  absl::StatusOr<uint64_t> CountSeries(TenantId tenant, std::span<const Matcher> matchers, int64_t mint,
                                       int64_t maxt) const;
  // The label sets of those series, sorted, at most `limit` when > 0: the
  // series API's search, from the index alone (no chunk is read).
  absl::StatusOr<std::vector<Labels>> SeriesLabels(TenantId tenant, std::span<const Matcher> matchers, int64_t mint,
                                                   int64_t maxt, size_t limit = 0) const;
  // Cardinality counts of the series SeriesLabels would list for the
  // request (head and persistent index, each series once, deleted ones
  // left out) for /api/v1/status/tsdb: a time range of at most
  // IndexReaderOptions::max_days_per_day_scope days reads the per-day
  // postings, a longer one the all-time postings. Memory is one counter per
  // distinct label pair; labels are read in batches. head_* describe the
  // selected series' in-memory chunks.
  absl::StatusOr<TsdbStatusResult> TsdbStatus(const TsdbStatusRequest& request) const;

  // Metric metadata and exemplars (storage_api.h). FailedPrecondition
  // without `persistent`. Exemplars come in write batches (Append); reads
  // skip exemplars older than the retention period.
  absl::Status WriteMetadata(TenantId tenant, std::span<const MetricMetadata> metadata);
  absl::StatusOr<MetadataResult> Metadata(const MetadataRequest& request) const;
  absl::StatusOr<ExemplarsResult> QueryExemplars(const ExemplarsRequest& request) const;

  // delete_series: removes every series of `tenant` that the matchers
  // select (at least one matcher), over all time, and returns how many.
  // Flushes first, so that nothing deleted comes back from the WAL; the
  // series disappear from queries at once, their bytes at the next
  // ForceMerge; new samples with the same labels start a new series.
  // FailedPrecondition without `persistent`.
  absl::StatusOr<uint64_t> DeleteSeries(TenantId tenant, std::span<const Matcher> matchers);

  // Makes RocksDB hold every sample acknowledged before the call (VictoriaMetrics'
  // /internal/force_flush): rotates the WAL, seals every open chunk and
  // out-of-order buffer, writes new series, postings and sealed chunks in
  // one synced RocksDB batch with the new WAL checkpoint, then deletes the
  // WAL segments below it. Appends and searches continue meanwhile (appends
  // pause only for the WAL rotation). Flushes are serialized. Without
  // `persistent`, only fsyncs the WAL. Unavailable when closed or on I/O
  // errors (nothing is lost then: the WAL is deleted only after success).
  absl::Status Flush();

  // Flush(), then compacts every RocksDB column family down to the bottom
  // level (force_merge), so that a benchmark or backup sees a settled store.
  // Blocks until done; serialized with flushes.
  absl::Status ForceMerge();

  // Stops the flush thread, flushes (persistent only), then flushes and
  // fsyncs the WAL. Idempotent.
  absl::Status Close();

  DbStats Stats() const;
  // Sets strata_storage_memory_bytes{part=...} from RocksDB's and the
  // pending chunks' current sizes. Cheap (a few property reads): meant to
  // run before each /metrics scrape.
  void UpdateMemoryGauges() const;
  const DbOptions& options() const { return options_; }
  // The persistent store (null without `persistent`), for operator tools
  // that work beside the engine (snapshots: storage/engine/snapshots.h).
  RocksStore* store() const { return store_.get(); }

 private:
  Db(const DbOptions& options, prometheus::Registry* metrics);

  // OK when appends are taken: not closed, not read-only.
  absl::Status CheckAppendable() const;
  // What Append and AppendSeries share once the batch is laid out.
  absl::Status AppendParsed(HeadBatch& batch, AppendStats* stats);
  // The two halves of AppendParsed: samples through the head and the WAL,
  // and exemplars straight to RocksDB (db_exemplars.cc).
  absl::Status AppendSamples(HeadBatch& batch, AppendStats* stats);
  absl::Status StoreExemplars(const HeadBatch& batch);

  absl::Status FlushLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(flush_mu_);
  absl::Status FlushToStore() ABSL_EXCLUSIVE_LOCKS_REQUIRED(flush_mu_);
  // The read paths (db_read.cc); the public methods note store errors.
  absl::StatusOr<SearchResult> SearchImpl(const SearchRequest& request) const;
  absl::StatusOr<std::vector<std::string>> LabelNamesImpl(TenantId tenant, std::span<const Matcher> matchers,
                                                          int64_t mint, int64_t maxt, size_t limit) const;
  absl::StatusOr<std::vector<std::string>> LabelValuesImpl(TenantId tenant, std::string_view name,
                                                           std::span<const Matcher> matchers, int64_t mint,
                                                           int64_t maxt, size_t limit) const;
  absl::StatusOr<uint64_t> CountSeriesImpl(TenantId tenant, std::span<const Matcher> matchers, int64_t mint,
                                           int64_t maxt) const;
  absl::StatusOr<std::vector<Labels>> SeriesLabelsImpl(TenantId tenant, std::span<const Matcher> matchers,
                                                       int64_t mint, int64_t maxt, size_t limit) const;
  absl::StatusOr<TsdbStatusResult> TsdbStatusImpl(const TsdbStatusRequest& request) const;
  template <typename T>
  T NotedRead(T result) const;

  // Wakes the flush thread when the WAL or the pending chunks passed their
  // limit (DbOptions::flush_wal_bytes, flush_pending_chunk_bytes).
  void MaybeRequestFlush(size_t record_bytes);
  // Drops the day partitions older than options_.retention_ms; logs failures.
  void EnforceRetention();
  void FlushLoop();

  const DbOptions options_;
  std::unique_ptr<prometheus::Registry> own_registry_;
  std::unique_ptr<StorageMetrics> metrics_;
  std::unique_ptr<RocksStore> store_;  // persistent only; outlives head_
  std::unique_ptr<RocksSeriesSource> series_source_;  // persistent only; outlives head_
  std::unique_ptr<IndexReader> index_;                // persistent only
  std::unique_ptr<RetentionEnforcer> retention_;      // persistent only
  RocksChunkStore* rocks_chunks_ = nullptr;  // owned by head_
  std::unique_ptr<Head> head_;
  std::unique_ptr<Wal> wal_;
  std::unique_ptr<DiskSpaceGuard> disk_space_;
  std::atomic<bool> closed_{false};
  uint64_t replayed_records_ = 0;
  uint64_t replay_corrupt_records_ = 0;  // CRC-valid but undecodable, skipped
  std::atomic<uint64_t> evicted_series_{0};

  // Appends hold it shared from the WAL write until the head applied the
  // batch; Flush holds it exclusively around the WAL rotation, so every
  // record in a segment below the checkpoint is in the head when it seals.
  absl::Mutex append_mu_;
  absl::Mutex flush_mu_;  // one flush at a time
  std::atomic<uint64_t> flushes_{0};

  // WAL bytes appended since the last flush started (flush_wal_bytes), and
  // whether pending chunks already requested one (flush_pending_chunk_bytes).
  std::atomic<uint64_t> wal_bytes_since_flush_{0};
  std::atomic<bool> pending_flush_requested_{false};

  absl::Mutex stop_mu_;
  bool stop_ ABSL_GUARDED_BY(stop_mu_) = false;
  bool flush_requested_ ABSL_GUARDED_BY(stop_mu_) = false;
  std::thread flush_thread_;
};

}  // namespace strata::storage
