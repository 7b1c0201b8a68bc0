#include "storage/engine/db.h"

#include <fmt/format.h>

#include "common/base/logging.h"
#include "common/base/status.h"
#include "storage/head/head.h"
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
  db->head_ = std::make_unique<Head>(head_options, *db->metrics_, std::make_unique<MemChunkStore>());

  WalOptions wal_options;
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
  STRATA_LOG(Info, "storage engine open in \"{}\": {} series, {} samples replayed from {} WAL records",
             options.data_path, head->num_series(), total.samples_appended, replayed);
  return db;
}

absl::Status Db::Append(std::string_view write_batch, AppendStats* stats) {
  if (stats != nullptr) *stats = AppendStats();
  if (closed_.load(std::memory_order_acquire)) {
    return absl::UnavailableError("cannot append to storage engine: it is shutting down");
  }
  absl::Status valid = ValidateWriteBatch(write_batch);
  if (!valid.ok()) return valid;
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

absl::Status Db::Close() {
  if (closed_.exchange(true)) return absl::OkStatus();
  if (wal_ == nullptr) return absl::OkStatus();
  return wal_->Close();
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
  return s;
}

}  // namespace strata::storage
