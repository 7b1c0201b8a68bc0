#include "storage/engine/db.h"

#include <fmt/format.h>

#include <optional>

#include "absl/time/time.h"

#include "common/base/logging.h"
#include "common/base/status.h"
#include "storage/engine/rocks_chunk_store.h"
#include "storage/head/head.h"
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
    STRATA_ASSIGN_OR_RETURN(db->store_, RocksStore::Open(store_options));
    auto chunks = std::make_unique<RocksChunkStore>(db->store_.get());
    db->rocks_chunks_ = chunks.get();
    head_options.track_new_series = true;
    db->head_ = std::make_unique<Head>(head_options, *db->metrics_, std::move(chunks));
    // Series come back without samples: their chunks are read from RocksDB,
    // and what the WAL after the checkpoint holds is appended again below.
    Head* head = db->head_.get();
    RocksStore* store = db->store_.get();
    uint64_t loaded = 0;
    absl::Status load_status;
    STRATA_RETURN_IF_ERROR(store->ForEachSeriesById([&](const SeriesRecord& r) {
      // The newest persisted timestamp keeps the out-of-order window and
      // duplicate checks exact across restarts.
      absl::StatusOr<int64_t> last_t = store->MaxTime(r.id);
      if (!last_t.ok()) {
        load_status = last_t.status();
        return false;
      }
      head->AddPersistedSeries(r.id, r.tenant, r.labels, *last_t);
      ++loaded;
      return true;
    }));
    STRATA_RETURN_IF_ERROR(load_status);
    // A series created while a flush ran can have a chunk in that flush but
    // its record only in the next one: after a crash in between, its id owns
    // orphan chunks. The flush stores the next id after adding the chunks,
    // so skipping to it keeps such ids unused (the samples come back from
    // the WAL under a new id).
    head->ReserveSeriesIds(store->next_series_id());
    db->persisted_series_ = loaded;
    db->metrics_->series.Increment(static_cast<double>(loaded));
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
  uint64_t replayed = 0, bad = 0;
  AppendStats total;
  auto replay = [&](std::string_view record) {
    AppendStats stats;
    absl::Status st = head->ReplayWalRecord(record, &stats);
    if (!st.ok()) {
      if (++bad <= 10) STRATA_LOG(Error, "WAL replay in \"{}\": {}", wal_options.dir, st.ToString());
      if (st.code() == absl::StatusCode::kDataLoss) db->metrics_->wal_corrupt_records.Increment();
    }
    ++replayed;
    total.samples_appended += stats.samples_appended;
  };
  STRATA_ASSIGN_OR_RETURN(db->wal_, Wal::Open(wal_options, *db->metrics_, replay));
  db->replayed_records_ = replayed;
  db->metrics_->samples_replayed.Increment(static_cast<double>(total.samples_appended));
  STRATA_LOG(Info, "storage engine open in \"{}\": {} series ({} from RocksDB), {} samples replayed from {} WAL records",
             options.data_path, head->num_series(), db->persisted_series_, total.samples_appended, replayed);
  if (db->store_ != nullptr && options.flush_interval.count() > 0) {
    db->flush_thread_ = std::thread([d = db.get()] { d->FlushLoop(); });
  }
  return db;
}

absl::Status Db::Append(std::string_view write_batch, AppendStats* stats) {
  if (stats != nullptr) *stats = AppendStats();
  if (closed_.load(std::memory_order_acquire)) {
    return absl::UnavailableError("cannot append to storage engine: it is shutting down");
  }
  absl::Status valid = ValidateWriteBatch(write_batch);
  if (!valid.ok()) return valid;
  std::optional<absl::ReaderMutexLock> flush_guard;
  if (store_ != nullptr) flush_guard.emplace(&append_mu_);
  absl::Status logged = wal_->Append(write_batch);
  if (!logged.ok()) {
    if (logged.code() == absl::StatusCode::kFailedPrecondition) {
      return absl::UnavailableError("cannot append to storage engine: it is shutting down");
    }
    return logged;
  }
  // Durable from here on: a head failure does not un-acknowledge the batch
  // (replay will apply it again), so it is logged, not returned.
  absl::Status applied = head_->Append(write_batch, stats);
  if (!applied.ok()) STRATA_LOG(Error, "cannot apply batch to head: {}", applied.ToString());
  return absl::OkStatus();
}

absl::StatusOr<SearchResult> Db::Search(const SearchRequest& request) const {
  if (closed_.load(std::memory_order_acquire)) {
    return absl::UnavailableError("cannot search storage engine: it is shut down");
  }
  return head_->Select(request);
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
  return Annotate(store_->CompactAll(), "cannot merge storage engine");
}

absl::Status Db::FlushLocked() {
  if (store_ == nullptr) return wal_->Sync();
  const auto start = std::chrono::steady_clock::now();
  absl::Status st = FlushToStore();
  metrics_->flush_seconds.Increment(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  if (st.ok()) {
    metrics_->flushes.Increment();
  } else {
    metrics_->flush_errors.Increment();
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
  }
  // (b) Seal: from here every sample of those records is in a sealed chunk.
  auto sealed = head_->SealAll();
  if (!sealed.ok()) return Annotate(sealed.status(), "cannot flush storage engine: cannot seal chunks");
  // (c) New series, postings and chunks, in batches of about
  // DbOptions::flush_batch_bytes (a flush can carry an hour of data), the
  // last one with the checkpoint and a sync, which also makes the earlier
  // ones durable (RocksDB's log is ordered).
  RocksStore::Batch batch = store_->NewBatch();
  std::vector<const MemSeries*> series = head_->TakeNewSeries();
  for (const MemSeries* s : series) batch.PutSeries(s->id, s->tenant, s->labels);
  rocks_chunks_->BeginFlush();
  uint64_t chunks = 0;
  absl::Status written;
  for (size_t stripe = 0; stripe < RocksChunkStore::kStripes && written.ok(); ++stripe) {
    chunks += rocks_chunks_->AddFlushingTo(stripe, &batch);
    if (batch.approximate_bytes() >= options_.flush_batch_bytes) {
      written = store_->Write(std::move(batch), /*sync=*/false);
      batch = store_->NewBatch();
    }
  }
  if (written.ok()) {
    batch.SetNextSeriesId(head_->next_series_id());
    batch.SetWalCheckpoint(checkpoint);
    written = store_->Write(std::move(batch), /*sync=*/true);
  }
  if (!written.ok()) {
    rocks_chunks_->AbortFlush();
    head_->PutBackNewSeries(std::move(series));
    return Annotate(written, "cannot flush storage engine");
  }
  rocks_chunks_->FinishFlush();
  metrics_->chunks_persisted.Increment(static_cast<double>(chunks));
  // The batches are durable already (synced); moving them out of RocksDB's
  // uncompressed log into compressed SST files only saves space, so a
  // failure here is logged, not fatal.
  if (absl::Status st = store_->FlushMemTables(); !st.ok()) {
    STRATA_LOG(Warn, "{}", ToStd(st.message()));
  }
  // (d) A crash before or during the deletion is harmless: Open skips and
  // deletes segments below the checkpoint.
  absl::Status deleted = wal_->DeleteSegmentsBefore(checkpoint);
  if (!deleted.ok()) return Annotate(deleted, "cannot flush storage engine: cannot truncate WAL");
  flushes_.fetch_add(1, std::memory_order_relaxed);
  STRATA_LOG(Info, "flushed storage engine \"{}\": {} new series, {} chunks ({} sealed now), WAL checkpoint {}, {:.3f} s",
             options_.data_path, series.size(), chunks, *sealed, checkpoint,
             std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  return absl::OkStatus();
}

void Db::FlushLoop() {
  absl::MutexLock l(&stop_mu_);
  while (!stop_) {
    stop_mu_.AwaitWithTimeout(absl::Condition(&stop_), absl::FromChrono(options_.flush_interval));
    if (stop_) break;
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
  s.wal_corrupt_records = wal_->replay_stats().corrupt_records;
  s.wal_torn_tails = wal_->replay_stats().torn_tails;
  s.replayed_records = replayed_records_;
  s.flushes = flushes_.load(std::memory_order_relaxed);
  s.wal_checkpoint = store_ != nullptr ? store_->wal_checkpoint() : 0;
  s.persisted_series = persisted_series_;
  return s;
}

}  // namespace strata::storage
