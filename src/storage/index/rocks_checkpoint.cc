// RocksStore::CreateCheckpoint: the database part of a snapshot
// (storage/engine/snapshots.h).
#include <rocksdb/utilities/checkpoint.h>

#include <memory>

#include "storage/index/rocks_internal.h"

namespace strata::storage {

absl::Status RocksStore::CreateCheckpoint(const std::string& dir) const {
  const std::string context = fmt::format("cannot create checkpoint of \"{}\" in \"{}\"", impl_->options.path, dir);
  rocksdb::Checkpoint* raw = nullptr;
  STRATA_RETURN_IF_ERROR(FromRocks(rocksdb::Checkpoint::Create(impl_->db.get(), &raw), context));
  std::unique_ptr<rocksdb::Checkpoint> checkpoint(raw);
  // log_size_for_flush = 0: always flush the memtables, so the copy is SST
  // files (hard links) plus an empty log, never a copy of a large log.
  return FromRocks(checkpoint->CreateCheckpoint(dir, /*log_size_for_flush=*/0), context);
}

}  // namespace strata::storage
