// File: storage/engine/snapshots.h
//
// Backups of a storage node, as VictoriaMetrics has them (/snapshot/create,
// /snapshot/list, /snapshot/delete, /snapshot/delete_all). A snapshot is a
// directory `<data_path>/snapshots/<name>/` that is itself a Strata data
// path: `db/` is a RocksDB checkpoint of the store (hard links, so creating
// one costs no disk until compaction rewrites the files) and `wal/` holds
// the WAL segments the store does not contain yet (hard links for finished
// segments, a copy of the one being appended to). The engine is flushed
// first, so that WAL part is small. Every sample acknowledged before
// Create() was called is in the snapshot; restoring = stopping the node and
// using the snapshot's directory (or a copy of it) as -storageDataPath.
//
// Names are VictoriaMetrics': `YYYYMMDDhhmmss-XXXXXXXXXXXXXXXX` (UTC time,
// then a hex counter seeded from the clock); only names of that form are
// listed or deleted, so a name can never reach outside snapshots/.
//
//   SnapshotManager snapshots(db.options().data_path, db.store(),
//                             db.options().data_path + "/wal", [&db] { return db.Flush(); });
//   STRATA_ASSIGN_OR_RETURN(std::string name, snapshots.Create());
//
// Thread-safe: calls are serialized by an internal mutex; they may run
// concurrently with the engine's appends, flushes and compactions.
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"

namespace strata::storage {

class RocksStore;

class SnapshotManager {
 public:
  // `store` (not owned) must outlive the manager; `flush` makes the store
  // hold every acknowledged sample (Db::Flush).
  SnapshotManager(std::string data_path, RocksStore* store, std::string wal_dir,
                  std::function<absl::Status()> flush);

  // Flushes, then writes a new snapshot and returns its name. Unavailable
  // (nothing left behind) when the flush, the checkpoint or a copy fails.
  absl::StatusOr<std::string> Create();

  // Names of the snapshots, oldest first. An absent snapshots/ directory is
  // an empty list.
  absl::StatusOr<std::vector<std::string>> List() const;

  // Deletes one snapshot. InvalidArgument for a name that is not a snapshot
  // name (e.g. "../db"), NotFound when there is no such snapshot.
  absl::Status Delete(std::string_view name);

  // Deletes every snapshot (and any left half-written by a crash).
  absl::Status DeleteAll();

  // Directory of snapshot `name` (not checked).
  std::string PathOf(std::string_view name) const;

  static bool IsValidName(std::string_view name);
  // A fresh name for the current time.
  static std::string NewName();

 private:
  absl::Status CopyWal(const std::string& to, uint64_t first_segment) const;

  const std::string dir_;  // <data_path>/snapshots
  RocksStore* const store_;
  const std::string wal_dir_;
  const std::function<absl::Status()> flush_;
  mutable absl::Mutex mu_;
};

}  // namespace strata::storage
