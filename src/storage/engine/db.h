// File: storage/engine/db.h
//
// The storage engine facade (LevelDB's DB, Prometheus's tsdb.DB): a WAL for
// durability and an in-memory head for queries. Open replays the WAL, so a
// node restarted after kill -9 serves every batch that was acknowledged.
// A plain synchronous library: no Asio; the WAL owns one background thread
// in interval fsync mode.
//
//   auto db = Db::Open({.data_path = "/var/lib/strata"}, &registry);
//   STRATA_RETURN_IF_ERROR((*db)->Append(batch_bytes));
//   auto result = (*db)->Search(request);
//   STRATA_RETURN_IF_ERROR((*db)->Close());
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "common/rpc/storage_api.h"
#include "storage/head/append_stats.h"

namespace prometheus {
class Registry;
}

namespace strata::storage {

class Head;
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
  // crosses a `chunk_range_ms`-aligned boundary (default 480 and 2 h).
  size_t max_samples_per_chunk = 480;
  int64_t chunk_range_ms = 2 * 3600 * 1000;

  // Samples up to this much older than their series' last sample are
  // accepted out of order (Prometheus's out_of_order_time_window); older
  // ones are rejected and counted. 0 rejects every out-of-order sample.
  int64_t out_of_order_window_ms = 3600 * 1000;
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
};

// Thread-safe: Append and Search may be called concurrently from any
// thread; Close once, after which Append and Search fail with Unavailable.
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
  // malformed), appends it as one WAL record, waits until it is durable per
  // the fsync mode, then applies it to the head. Out-of-order samples inside
  // the window are kept; duplicates are skipped and samples older than the
  // window rejected, both counted and reported in `*stats` (when non-null,
  // filled whenever OK is returned) rather than failing the batch, so the
  // caller can tell the sender. Blocks for the fsync in kAlways mode.
  // Unavailable when closed or on WAL I/O failure.
  absl::Status Append(std::string_view write_batch, AppendStats* stats = nullptr);

  // Runs a search against the head. See Head::Select for the semantics.
  absl::StatusOr<SearchResult> Search(const SearchRequest& request) const;

  // Flushes and fsyncs the WAL. Idempotent.
  absl::Status Close();

  DbStats Stats() const;
  const DbOptions& options() const { return options_; }

 private:
  Db(const DbOptions& options, prometheus::Registry* metrics);

  const DbOptions options_;
  std::unique_ptr<prometheus::Registry> own_registry_;
  std::unique_ptr<StorageMetrics> metrics_;
  std::unique_ptr<Head> head_;
  std::unique_ptr<Wal> wal_;
  std::atomic<bool> closed_{false};
  uint64_t replayed_records_ = 0;
};

}  // namespace strata::storage
