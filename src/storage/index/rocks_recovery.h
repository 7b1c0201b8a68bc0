// File: storage/index/rocks_recovery.h
//
// What a storage node does when its RocksDB is damaged (docs/operations.md,
// "Corruption"): never refuse to start, never loop, never lose data silently.
//
//   - Open fails with Corruption (a truncated or missing SST, a damaged
//     MANIFEST or CURRENT): the damaged directory is moved aside to
//     `<path>.corrupt-<UTC time>` and kept for inspection; `<path>` is rebuilt
//     from it (SSTs hard-linked, small files copied) and rocksdb::RepairDB
//     salvages every readable SST and log; what it cannot read ends in
//     `<path>/lost/` and is logged with file and byte counts. If even that
//     does not open, the repaired copy is moved aside too and the node starts
//     with an empty store (the WAL is replayed from the start), logged as an
//     error.
//   - A write or compaction that meets a corrupt block leaves RocksDB
//     read-only until restart (its background error): the engine calls
//     RequestRocksRepair, keeps serving from its head and WAL (nothing
//     acknowledged is lost: the WAL is truncated only after a successful
//     flush), and the next open repairs as above before opening.
//   - A read that meets a corrupt block fails that query only (DataLoss);
//     everything else keeps working.
//
// Thread-safety: free functions; the store path must not be open elsewhere.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "storage/index/rocks_store.h"

namespace strata::storage {

struct RocksRecoveryReport {
  enum class Action {
    kNone,       // opened as is
    kRepaired,   // moved aside, repaired, opened
    kRecreated,  // could not be repaired: started empty
  };
  Action action = Action::kNone;
  // The failure that started the recovery (Open's error, or the reason given
  // to RequestRocksRepair).
  std::string reason;
  // Where the damaged original was kept (and, for kRecreated, the repaired
  // copy that still did not open).
  std::string moved_aside;
  std::string moved_aside_unrepairable;
  // SST files RepairDB could not read (their data is lost), now in
  // `<path>/lost/`, with their total size.
  std::vector<std::string> lost_files;
  uint64_t lost_bytes = 0;
  // SST files kept by the repair.
  uint64_t salvaged_files = 0;

  // Corruptions to count in strata_storage_corruptions_total{component="rocksdb"}:
  // one per recovery plus one per lost file.
  uint64_t corruptions() const;
};

// RocksStore::Open with the recovery policy above. Errors only when even an
// empty store cannot be created (I/O failure, permissions): those are not
// corruption and a restart may fix them. `report` may be null; every step is
// logged either way.
absl::StatusOr<std::unique_ptr<RocksStore>> OpenRocksStoreWithRecovery(const RocksStoreOptions& options,
                                                                      RocksRecoveryReport* report);

// Marks the store at `db_path` for repair at its next OpenRocksStoreWithRecovery
// (a file `STRATA_REPAIR_REQUESTED` holding `reason`, fsynced). Call it when
// a write, flush or compaction failed with DataLoss.
absl::Status RequestRocksRepair(const std::string& db_path, std::string_view reason);

// True when `open_error` (from RocksStore::Open) means damaged files rather
// than a transient or configuration problem.
bool IsRocksCorruption(const absl::Status& open_error);

}  // namespace strata::storage
