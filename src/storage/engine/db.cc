#include "storage/engine/db.h"

#include <fmt/format.h>
#include <malloc.h>

#include <filesystem>
#include <limits>
#include <optional>

#include "absl/time/time.h"

#include "common/base/logging.h"
#include "common/base/status.h"
#include "storage/engine/rocks_chunk_store.h"
#include "storage/engine/retention.h"
#include "storage/engine/store_corruption.h"
#include "storage/engine/rocks_series_source.h"
#include "storage/index/index_reader.h"
#include "storage/index/time_partition.h"
#include "storage/head/head.h"
#include "storage/engine/disk_space.h"
#include "storage/head/wal_record.h"
#include "storage/head/wal_replay.h"
#include "storage/index/rocks_store.h"
#include "storage/metrics/storage_metrics.h"
#include "storage/wal/wal.h"

namespace strata::storage {

Db::Db(const DbOptions& options, prometheus::Registry* metrics) : options_(options) {
  if (metrics == nullptr) {
    own_registry_ = std::make_unique<prometheus::Registry>();
    metrics = own_registry_.get();
  }
  metrics_ = std::make_unique<StorageMetrics>(*metrics);
}

Db::~Db() {
  absl::Status st = Close();
  if (!st.ok()) STRATA_LOG(Error, "cannot close storage engine in \"{}\": {}", options_.data_path, st.ToString());
}

absl::StatusOr<std::unique_ptr<Db>> Db::Open(const DbOptions& options, prometheus::Registry* metrics) {
  if (options.data_path.empty()) return absl::InvalidArgumentError("cannot open storage engine: data_path is empty");
  if (options.out_of_order_window_ms < 0) {
    return absl::InvalidArgumentError(fmt::format(
        "cannot open storage engine: out_of_order_window_ms must be >= 0, got {}", options.out_of_order_window_ms));
  }
  if (options.max_samples_per_chunk == 0 || options.max_samples_per_chunk >= 65535 || options.chunk_range_ms <= 0) {
    return absl::InvalidArgumentError(
        fmt::format("cannot open storage engine: invalid chunk limits ({} samples, {} ms)",
                    options.max_samples_per_chunk, options.chunk_range_ms));
  }
  std::unique_ptr<Db> db(new Db(options, metrics));
  // The guard looks at the free space at once: the directory must exist
  // (the WAL and the store below would create it anyway).
  std::error_code mkdir_error;
  std::filesystem::create_directories(options.data_path, mkdir_error);
  DiskSpaceGuardOptions disk_space = options.disk_space;
  disk_space.path = options.data_path;
  db->disk_space_ = std::make_unique<DiskSpaceGuard>(std::move(disk_space), &db->metrics_->read_only);
  HeadOptions head_options;
  head_options.max_samples_per_chunk = options.max_samples_per_chunk;
  head_options.chunk_range_ms = options.chunk_range_ms;
  head_options.out_of_order_window_ms = options.out_of_order_window_ms;
  WalOptions wal_options;
  if (options.persistent) {
    RocksStoreOptions store_options;
    store_options.path = options.data_path + "/db";
    store_options.block_cache_bytes = options.block_cache_bytes;
    store_options.write_buffer_bytes = options.write_buffer_bytes;
    // A damaged store is repaired (or set aside) rather than failing every
    // start: a crash loop serves nothing, while the WAL and the replicas
    // still hold what the repair cannot save (store_corruption.h).
    STRATA_ASSIGN_OR_RETURN(db->store_, OpenStoreWithRecovery(store_options, *db->metrics_));
    auto chunks = std::make_unique<RocksChunkStore>(db->store_.get());
    db->rocks_chunks_ = chunks.get();
    db->series_source_ = std::make_unique<RocksSeriesSource>(db->store_.get());
    db->index_ = std::make_unique<IndexReader>(*db->store_);
    // Days that expired while the node was down go before anything reads.
    db->retention_ = std::make_unique<RetentionEnforcer>(db->store_.get(), options.retention_ms, db->metrics_.get());
    db->EnforceRetention();
    head_options.track_new_series = true;
    // The head starts empty: series come back from RocksDB when samples (or
    // the WAL tail below) name them, so opening costs nothing per series.
    db->head_ = std::make_unique<Head>(head_options, *db->metrics_, std::move(chunks), db->series_source_.get());
    // A series created while a flush ran can have a chunk in that flush but
    // its record only in the next one: after a crash in between, its id owns
    // orphan chunks. The flush stores the next id after adding the chunks,
    // so skipping to it keeps such ids unused (the WAL replay below gives
    // the id back to its own series, whose definition is in the WAL tail).
    db->head_->ReserveSeriesIds(db->store_->next_series_id());
    wal_options.first_segment = db->store_->wal_checkpoint();
  } else {
    db->head_ = std::make_unique<Head>(head_options, *db->metrics_, std::make_unique<MemChunkStore>());
  }

  wal_options.dir = options.data_path + "/wal";
  wal_options.segment_size = options.wal_segment_size;
  wal_options.fsync_mode =
      options.fsync_mode == DbOptions::kAlways ? WalFsyncMode::kAlways : WalFsyncMode::kInterval;
  wal_options.fsync_interval = options.fsync_interval;

  Head* head = db->head_.get();
  uint64_t replayed = 0, bad = 0, corrupt = 0;
  AppendStats total;
  // Records name series by id: ids the log does not define (any more) are
  // series a flush persisted, found in RocksDB by id (wal_replay.h).
  WalReplayer::IdLookup lookup;
  absl::Status lookup_error;
  if (db->store_ != nullptr) {
    lookup = [store = db->store_.get(), metrics = db->metrics_.get(),
              &lookup_error](uint64_t id) -> absl::StatusOr<std::optional<WalReplayer::StoredSeries>> {
      WalReplayer::StoredSeries found;
      if (store->IsDeleted(id)) {
        found.deleted = true;
        return found;
      }
      // A corrupt key costs that series' WAL samples (counted and logged,
      // like a corrupt WAL record), not every start: failing the open on it
      // would be a crash loop. Other read errors fail the open.
      auto failed = [&](const absl::Status& st) {
        if (NoteStoreError(st, StoreOp::kRead, store->path(), *metrics)) return false;
        if (lookup_error.ok()) lookup_error = st;
        return true;
      };
      absl::StatusOr<SeriesRecord> record = store->GetSeries(id);
      if (absl::IsNotFound(record.status())) return std::nullopt;
      if (!record.ok()) {
        if (failed(record.status())) return record.status();
        return std::nullopt;
      }
      absl::StatusOr<int64_t> last_t = store->MaxTime(id);
      if (!last_t.ok() && failed(last_t.status())) return last_t.status();
      found.last_t = last_t.ok() ? *last_t : std::numeric_limits<int64_t>::min();
      found.tenant = record->tenant;
      found.labels = std::move(record->labels);
      return found;
    };
  }
  WalReplayer replayer(head, std::move(lookup));
  auto replay = [&](std::string_view record) {
    AppendStats stats;
    absl::Status st = replayer.Replay(record, &stats);
    if (!st.ok()) {
      if (++bad <= 10) STRATA_LOG(Error, "WAL replay in \"{}\": {}", wal_options.dir, st.ToString());
      if (st.code() == absl::StatusCode::kDataLoss) {
        ++corrupt;
        db->metrics_->wal_corrupt_records.Increment();
        db->metrics_->wal_corruptions.Increment();
      }
    }
    ++replayed;
    total.samples_appended += stats.samples_appended;
  };
  STRATA_ASSIGN_OR_RETURN(db->wal_, Wal::Open(wal_options, *db->metrics_, replay));
  // Reading RocksDB failed: serving would silently miss acknowledged
  // samples, so the open fails (nothing was changed; a retry replays again).
  if (!lookup_error.ok()) return Annotate(lookup_error, "cannot open storage engine: cannot replay WAL");
  const WalReplayer::Leftover lost = replayer.Finish();
  if (lost.samples > 0) {
    STRATA_LOG(Error,
               "WAL replay in \"{}\": {} samples of {} series ids dropped: no surviving WAL record defines the ids "
               "and RocksDB does not know them (their defining record was corrupt)",
               wal_options.dir, lost.samples, lost.series);
  }
  db->replayed_records_ = replayed;
  db->replay_corrupt_records_ = corrupt;
  db->metrics_->samples_replayed.Increment(static_cast<double>(total.samples_appended));
  STRATA_LOG(Info, "storage engine open in \"{}\": {} samples of {} series replayed from {} WAL records",
             options.data_path, total.samples_appended, head->num_series(), replayed);
  if (db->store_ != nullptr &&
      (options.flush_interval.count() > 0 || options.flush_wal_bytes > 0 || options.flush_pending_chunk_bytes > 0)) {
    db->flush_thread_ = std::thread([d = db.get()] { d->FlushLoop(); });
  }
  return db;
}

absl::Status Db::CheckAppendable() const {
  if (closed_.load(std::memory_order_acquire)) {
    return absl::UnavailableError("cannot append to storage engine: it is shutting down");
  }
  return disk_space_->CheckWritable();
}

namespace {

// Laid out once, outside every lock; reused by this thread's next append,
// so that steady-state appends do not allocate.
HeadBatch& ThreadHeadBatch() {
  thread_local HeadBatch batch;
  return batch;
}

}  // namespace

absl::Status Db::Append(std::string_view write_batch, AppendStats* stats) {
  if (stats != nullptr) *stats = AppendStats();
  STRATA_RETURN_IF_ERROR(CheckAppendable());
  HeadBatch& batch = ThreadHeadBatch();
  absl::Status valid = ParseWriteBatch(write_batch, &batch);
  if (!valid.ok()) return valid;
  return AppendParsed(batch, stats);
}

absl::Status Db::AppendSeries(const SeriesBatch& batch, std::span<const uint32_t> subset, AppendStats* stats) {
  if (stats != nullptr) *stats = AppendStats();
  STRATA_RETURN_IF_ERROR(CheckAppendable());
  HeadBatch& head_batch = ThreadHeadBatch();
  FillHeadBatch(batch, subset, &head_batch);
  return AppendParsed(head_batch, stats);
}

absl::Status Db::AppendParsed(HeadBatch& batch, AppendStats* stats) {
  // Exemplars bypass the head and the WAL (db_exemplars.cc); a batch of
  // exemplars alone writes no WAL record.
  if (!batch.series.empty()) STRATA_RETURN_IF_ERROR(AppendSamples(batch, stats));
  return StoreExemplars(batch);
}

absl::Status Db::AppendSamples(HeadBatch& batch, AppendStats* stats) {
  thread_local std::string record;
  // Held from before the series are resolved until their samples are
  // applied: no flush rotation falls in between, hence at most one eviction
  // pass, which sees the resolved series active and keeps them.
  std::optional<absl::ReaderMutexLock> flush_guard;
  if (store_ != nullptr) flush_guard.emplace(&append_mu_);
  absl::Status resolved = head_->Resolve(&batch);
  if (!resolved.ok()) return Annotate(resolved, "cannot append to storage engine: cannot resolve series");
  // One record: the samples by series id, plus the definitions of series
  // that neither RocksDB nor a durable record knows (wal_record.h).
  EncodeWalRecord(batch, &record);
  absl::Status logged = wal_->Append(record);
  if (!logged.ok()) {
    if (logged.code() == absl::StatusCode::kFailedPrecondition) {
      return absl::UnavailableError("cannot append to storage engine: it is shutting down");
    }
    return logged;
  }
  // Durable from here on: a head failure does not un-acknowledge the batch
  // (replay will apply it again), so it is logged, not returned.
  absl::Status applied = head_->Apply(batch, stats);
  if (!applied.ok()) STRATA_LOG(Error, "cannot apply batch to head: {}", applied.ToString());
  if (store_ != nullptr) MaybeRequestFlush(record.size());
  return absl::OkStatus();
}

bool Db::read_only() const { return disk_space_->read_only(); }

void Db::MaybeRequestFlush(size_t record_bytes) {
  bool due = false;
  if (options_.flush_wal_bytes > 0) {
    const uint64_t before = wal_bytes_since_flush_.fetch_add(record_bytes, std::memory_order_relaxed);
    due = before < options_.flush_wal_bytes && before + record_bytes >= options_.flush_wal_bytes;
  }
  if (options_.flush_pending_chunk_bytes > 0 &&
      rocks_chunks_->pending_bytes() >= options_.flush_pending_chunk_bytes) {
    due = !pending_flush_requested_.exchange(true, std::memory_order_relaxed) || due;
  }
  if (!due) return;
  // Once per crossing (both marks reset when the flush rotates the WAL).
  absl::MutexLock l(&stop_mu_);
  flush_requested_ = true;
}

absl::Status Db::Flush() {
  if (closed_.load(std::memory_order_acquire)) {
    return absl::UnavailableError("cannot flush storage engine: it is shut down");
  }
  absl::MutexLock l(&flush_mu_);
  return FlushLocked();
}

absl::Status Db::ForceMerge() {
  if (closed_.load(std::memory_order_acquire)) {
    return absl::UnavailableError("cannot merge storage engine: it is shut down");
  }
  absl::MutexLock l(&flush_mu_);
  STRATA_RETURN_IF_ERROR(FlushLocked());
  if (store_ == nullptr) return absl::OkStatus();
  absl::Status st = store_->CompactAll();
  NoteStoreError(st, StoreOp::kWrite, store_->path(), *metrics_);
  return Annotate(st, "cannot merge storage engine");
}

absl::Status Db::FlushLocked() {
  if (store_ == nullptr) return wal_->Sync();
  const auto start = std::chrono::steady_clock::now();
  absl::Status st = FlushToStore();
  metrics_->flush_seconds.Increment(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  if (st.ok()) {
    metrics_->flushes.Increment();
    // Flushes run at least hourly: the natural clock for dropping days.
    EnforceRetention();
  } else {
    metrics_->flush_errors.Increment();
    NoteStoreError(st, StoreOp::kWrite, store_->path(), *metrics_);
  }
  return st;
}

absl::Status Db::FlushToStore() {
  const auto start = std::chrono::steady_clock::now();
  // (a) Every record in a segment below `checkpoint` is in the head once
  // the rotation returns: appends hold append_mu_ shared until applied.
  uint64_t checkpoint;
  {
    absl::WriterMutexLock l(&append_mu_);
    auto rotated = wal_->Rotate();
    if (!rotated.ok()) return Annotate(rotated.status(), "cannot flush storage engine: cannot rotate WAL");
    checkpoint = *rotated;
    wal_bytes_since_flush_.store(0, std::memory_order_relaxed);
  }
  // (b) Seal: from here every sample of those records is in a sealed chunk.
  auto sealed = head_->SealAll();
  if (!sealed.ok()) return Annotate(sealed.status(), "cannot flush storage engine: cannot seal chunks");
  // (c) New series, postings and chunks, in batches of about
  // DbOptions::flush_batch_bytes (a flush can carry an hour of data), the
  // last one with the checkpoint and a sync, which also makes the earlier
  // ones durable (RocksDB's log is ordered).
  RocksStore::Batch batch = store_->NewBatch();
  absl::Status written;
  // Writes the batch once it is full: a flush after a fresh start carries
  // every series' definition and postings, and unbounded they would sit in
  // memory twice (batch and memtable) at the node's peak.
  auto write_if_full = [&] {
    if (!written.ok() || batch.approximate_bytes() < options_.flush_batch_bytes) return;
    written = store_->Write(std::move(batch), /*sync=*/false);
    batch = store_->NewBatch();
  };
  std::vector<const MemSeries*> series = head_->TakeNewSeries();
  for (const MemSeries* s : series) {
    batch.PutSeries(s->id, s->tenant, s->labels());
    write_if_full();
  }
  rocks_chunks_->BeginFlush();
  // After BeginFlush: every chunk now flushing had its days queued before
  // it was sealed (Head::TakeDayPostings), so no chunk reaches RocksDB
  // without the per-day postings that let queries over its days find it.
  std::vector<DayPosting> day_postings = head_->TakeDayPostings();
  for (const DayPosting& p : day_postings) {
    batch.PutDayPostings(PartitionOfDay(p.day), p.series->id, p.series->tenant, p.series->labels());
    write_if_full();
  }
  uint64_t chunks = 0;
  for (size_t stripe = 0; stripe < RocksChunkStore::kStripes && written.ok(); ++stripe) {
    chunks += rocks_chunks_->AddFlushingTo(stripe, &batch);
    write_if_full();
  }
  if (written.ok()) {
    batch.SetNextSeriesId(head_->next_series_id());
    batch.SetWalCheckpoint(checkpoint);
    written = store_->Write(std::move(batch), /*sync=*/true);
  }
  if (!written.ok()) {
    rocks_chunks_->AbortFlush();
    head_->PutBackNewSeries(std::move(series));
    head_->PutBackDayPostings(std::move(day_postings));
    return Annotate(written, "cannot flush storage engine");
  }
  rocks_chunks_->FinishFlush();
  // Only now do the pending bytes drop: a request re-armed earlier would
  // start a second flush at once, sealing every open chunk again.
  pending_flush_requested_.store(false, std::memory_order_relaxed);
  head_->MarkPersisted(series);
  // Everything sealed is in RocksDB now: series idle for a whole interval
  // can leave the head (they come back through the series source).
  const uint64_t evicted = head_->EvictIdle();
  evicted_series_.fetch_add(evicted, std::memory_order_relaxed);
  metrics_->chunks_persisted.Increment(static_cast<double>(chunks));
  // The batches are durable already (synced); moving them out of RocksDB's
  // uncompressed log into compressed SST files only saves space, so a
  // failure here is logged, not fatal.
  if (absl::Status st = store_->FlushMemTables(); !st.ok()) {
    STRATA_LOG(Warn, "{}", ToStd(st.message()));
  }
  // The chunks just written were many small allocations; hand the freed
  // memory back to the OS so that the node's RSS follows its live data
  // rather than its peak between flushes.
  ::malloc_trim(0);
  // (d) A crash before or during the deletion is harmless: Open skips and
  // deletes segments below the checkpoint.
  absl::Status deleted = wal_->DeleteSegmentsBefore(checkpoint);
  if (!deleted.ok()) return Annotate(deleted, "cannot flush storage engine: cannot truncate WAL");
  flushes_.fetch_add(1, std::memory_order_relaxed);
  STRATA_LOG(Info,
             "flushed storage engine \"{}\": {} new series, {} chunks ({} sealed now), {} idle series evicted, WAL "
             "checkpoint {}, {:.3f} s",
             options_.data_path, series.size(), chunks, *sealed, evicted, checkpoint,
             std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  return absl::OkStatus();
}

void Db::EnforceRetention() {
  if (retention_ == nullptr) return;
  // A failure leaves the expired days in place until the next flush; it
  // loses nothing and is counted (strata_storage_retention_errors_total).
  if (auto dropped = retention_->RunNow(); !dropped.ok()) STRATA_LOG(Warn, "{}", ToStd(dropped.status().message()));
}

void Db::FlushLoop() {
  absl::MutexLock l(&stop_mu_);
  auto wake = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(stop_mu_) { return stop_ || flush_requested_; };
  while (!stop_) {
    if (options_.flush_interval.count() > 0) {
      stop_mu_.AwaitWithTimeout(absl::Condition(&wake), absl::FromChrono(options_.flush_interval));
    } else {
      stop_mu_.Await(absl::Condition(&wake));
    }
    if (stop_) break;
    flush_requested_ = false;
    stop_mu_.Unlock();
    absl::Status st;
    {
      absl::MutexLock fl(&flush_mu_);
      st = FlushLocked();
    }
    if (!st.ok()) STRATA_LOG(Error, "background flush failed: {}", st.ToString());
    stop_mu_.Lock();
  }
}

absl::Status Db::Close() {
  if (closed_.exchange(true)) return absl::OkStatus();
  if (flush_thread_.joinable()) {
    {
      absl::MutexLock l(&stop_mu_);
      stop_ = true;
    }
    flush_thread_.join();
  }
  if (wal_ == nullptr) return absl::OkStatus();
  absl::Status flushed;
  if (store_ != nullptr) {
    absl::MutexLock l(&flush_mu_);
    flushed = FlushLocked();
    if (!flushed.ok()) STRATA_LOG(Error, "final flush of \"{}\" failed: {}", options_.data_path, flushed.ToString());
  }
  absl::Status closed = wal_->Close();
  return closed.ok() ? flushed : closed;
}

DbStats Db::Stats() const {
  const StorageMetrics& m = *metrics_;
  auto u = [](double v) { return static_cast<uint64_t>(v); };
  DbStats s;
  s.series = head_->num_series();
  s.samples_appended = u(m.samples_appended.Value());
  s.out_of_order = u(m.out_of_order.Value());
  s.too_old = u(m.too_old.Value());
  s.duplicates = u(m.duplicates.Value());
  s.chunks_sealed = u(m.chunks_sealed.Value());
  s.wal_records = u(m.wal_records.Value());
  s.wal_bytes = u(m.wal_bytes.Value());
  s.wal_fsyncs = u(m.wal_fsyncs.Value());
  s.wal_corrupt_records = wal_->replay_stats().corrupt_records + replay_corrupt_records_;
  s.wal_torn_tails = wal_->replay_stats().torn_tails;
  s.replayed_records = replayed_records_;
  s.flushes = flushes_.load(std::memory_order_relaxed);
  s.wal_checkpoint = store_ != nullptr ? store_->wal_checkpoint() : 0;
  s.evicted_series = evicted_series_.load(std::memory_order_relaxed);
  return s;
}

void Db::UpdateMemoryGauges() const {
  if (store_ == nullptr || closed_.load(std::memory_order_acquire)) return;
  const RocksStore::MemoryUsage m = store_->memory_usage();
  metrics_->memory_rocksdb_memtables.Set(static_cast<double>(m.memtables));
  metrics_->memory_rocksdb_block_cache.Set(static_cast<double>(m.block_cache));
  metrics_->memory_rocksdb_table_readers.Set(static_cast<double>(m.table_readers));
  metrics_->memory_pending_chunks.Set(static_cast<double>(rocks_chunks_->pending_bytes()));
}

}  // namespace strata::storage
