// File: storage/engine/store_corruption.h
//
// The engine's side of the corruption policy (storage/index/rocks_recovery.h,
// docs/operations.md "Corruption"): open the store with recovery and count
// it, and count (and log) DataLoss met at run time. Two calls for Db:
//
//   // Db::Open, instead of RocksStore::Open:
//   STRATA_ASSIGN_OR_RETURN(db->store_, OpenStoreWithRecovery(store_options, *db->metrics_));
//   // wherever a store read or write returned `st` (Search, Flush, ForceMerge):
//   NoteStoreError(st, StoreOp::kWrite, store_->path(), *metrics_);
//
// Thread-safe (free functions; metrics are thread-safe).
#pragma once

#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "storage/index/rocks_recovery.h"
#include "storage/index/rocks_store.h"

namespace strata::storage {

struct StorageMetrics;

// OpenRocksStoreWithRecovery, adding report.corruptions() to
// strata_storage_corruptions_total{component="rocksdb"}.
absl::StatusOr<std::unique_ptr<RocksStore>> OpenStoreWithRecovery(const RocksStoreOptions& options,
                                                                 StorageMetrics& metrics,
                                                                 RocksRecoveryReport* report = nullptr);

enum class StoreOp {
  kRead,   // the query fails, nothing else is affected
  kWrite,  // a flush, write or compaction: RocksDB stops writing until restart
};

// When `st` is DataLoss: counts it, logs it (the message names the file) and,
// for kWrite, asks for a repair at the next start (RequestRocksRepair), so the
// next start recovers instead of failing every flush again. Returns whether
// `st` was DataLoss.
bool NoteStoreError(const absl::Status& st, StoreOp op, const std::string& db_path, StorageMetrics& metrics);

}  // namespace strata::storage
