// File: storage/engine/retention.h
//
// Retention (-retentionPeriod): data is dropped a whole UTC day at a time,
// once every millisecond of the day is older than now - retention, by
// RocksStore::DropPartitionsBefore (range deletions, then the SST files go).
// So a day lingers up to one day past the period, as VictoriaMetrics keeps a
// partition until all of it has expired. The engine runs the enforcer at
// Open and after every flush; a run with nothing due costs one seek.
//
//   STRATA_ASSIGN_OR_RETURN(int64_t ms, ParseRetentionPeriod("3"));  // 93 days
//   RetentionEnforcer retention(store, ms, &metrics);
//   STRATA_RETURN_IF_ERROR(retention.RunNow().status());
#pragma once

#include <cstdint>
#include <functional>
#include <string_view>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "storage/index/rocks_store.h"

namespace strata::storage {

struct StorageMetrics;

inline constexpr int64_t kMsPer31Days = 31LL * 24 * 3600 * 1000;

// Parses a -retentionPeriod value as VictoriaMetrics does: a bare number
// (fractions allowed) counts months of 31 days, at most 1200; otherwise a
// duration with the suffixes ms, s, h, d, w (7 days), y (365 days), which
// may be combined ("1y6w") and is case-insensitive. A trailing "m" is
// rejected (months or minutes?), as is anything under one day. Returns
// milliseconds; InvalidArgument naming the value otherwise.
absl::StatusOr<int64_t> ParseRetentionPeriod(std::string_view text);

// Thread-safe: runs are serialized. `store` (and `metrics`, when non-null)
// must outlive the enforcer.
class RetentionEnforcer {
 public:
  using Clock = std::function<int64_t()>;  // Unix milliseconds

  // `retention_ms` <= 0 disables retention (Run drops nothing).
  RetentionEnforcer(RocksStore* store, int64_t retention_ms, StorageMetrics* metrics, Clock clock = nullptr);

  // The partition of the newest day that is kept: every day before it ends
  // at or before now_ms - retention_ms.
  static uint32_t FirstKeptPartition(int64_t now_ms, int64_t retention_ms);

  // Drops every day partition older than FirstKeptPartition(now_ms); returns
  // what was dropped (nothing when nothing was due). Counts runs, dropped
  // partitions, estimated bytes and errors in the metrics.
  absl::StatusOr<RocksStore::PartitionDrop> Run(int64_t now_ms);
  // Run(clock()), the clock given at construction (default: wall clock).
  absl::StatusOr<RocksStore::PartitionDrop> RunNow();

  int64_t retention_ms() const { return retention_ms_; }

 private:
  RocksStore* const store_;
  const int64_t retention_ms_;
  StorageMetrics* const metrics_;
  const Clock clock_;
  absl::Mutex mu_;
};

}  // namespace strata::storage
