// RocksStore: series_max_time (a "max" merge operator), the in-memory set of
// day partitions holding chunks, and retention drops of whole partitions.
#include <fmt/format.h>
#include <rocksdb/convenience.h>

#include <algorithm>
#include <limits>

#include "common/base/status.h"
#include "storage/index/rocks_internal.h"
#include "storage/index/time_partition.h"

namespace strata::storage {
namespace {

// series_max_time values are FlipTime(t) in big-endian, so the bytewise
// larger value is the later time. A value of another size (never written)
// loses to a well-formed one rather than failing the merge.
class MaxTimeMergeOperator : public rocksdb::AssociativeMergeOperator {
 public:
  bool Merge(const rocksdb::Slice& /*key*/, const rocksdb::Slice* existing, const rocksdb::Slice& value,
             std::string* new_value, rocksdb::Logger* /*logger*/) const override {
    const bool take_new = existing == nullptr || existing->size() != 8 || (value.size() == 8 && value.compare(*existing) > 0);
    const rocksdb::Slice& winner = take_new ? value : *existing;
    new_value->assign(winner.data(), winner.size());
    return true;
  }
  const char* Name() const override { return "strata.MaxBE64"; }
};

std::string PartitionKey(uint32_t partition) {
  std::string k;
  PutBE32(&k, partition);
  return k;
}

}  // namespace

std::shared_ptr<rocksdb::MergeOperator> NewMaxTimeMergeOperator() {
  return std::make_shared<MaxTimeMergeOperator>();
}

void RocksStore::Batch::Rep::NoteChunk(uint64_t series_id, int64_t min_time_ms, int64_t max_time_ms) {
  const uint32_t partition = PartitionOf(min_time_ms);
  if (partitions.empty() || partitions.back() != partition) {
    if (std::find(partitions.begin(), partitions.end(), partition) == partitions.end()) partitions.push_back(partition);
  }
  if (has_max_time && max_time_id == series_id) {
    max_time = std::max(max_time, max_time_ms);
    return;
  }
  FlushMaxTime();
  has_max_time = true;
  max_time_id = series_id;
  max_time = max_time_ms;
}

void RocksStore::Batch::Rep::FlushMaxTime() {
  if (!has_max_time) return;
  rocksdb::Status st = wb.Merge(store->cf[kSeriesMaxTime], EncodeBE64(max_time_id), EncodeBE64(FlipTime(max_time)));
  st.PermitUncheckedError();  // WriteBatch::Merge fails only above 4 GiB
  has_max_time = false;
}

absl::Status RocksStore::Impl::LoadChunkPartitions() {
  std::set<uint32_t> found;
  std::unique_ptr<rocksdb::Iterator> it = NewIterator(kChunks15s);
  it->SeekToFirst();
  while (it->Valid()) {
    const rocksdb::Slice key = it->key();
    // Readers skip keys of another size; here they only name a partition
    // (failing Open over them would look like corruption to the recovery).
    if (key.size() < 4) {
      it->Next();
      continue;
    }
    const uint32_t partition = LoadBE32(key.data());
    found.insert(partition);
    if (partition == std::numeric_limits<uint32_t>::max()) break;
    it->Seek(ToSlice(PartitionKey(partition + 1)));
  }
  STRATA_RETURN_IF_ERROR(IterStatus(*it, "list chunk partitions"));
  absl::MutexLock l(&partitions_mu);
  chunk_partitions = std::move(found);
  return absl::OkStatus();
}

std::vector<uint32_t> RocksStore::ChunkPartitions() const {
  absl::ReaderMutexLock l(&impl_->partitions_mu);
  return std::vector<uint32_t>(impl_->chunk_partitions.begin(), impl_->chunk_partitions.end());
}

absl::StatusOr<RocksStore::PartitionDrop> RocksStore::DropPartitionsBefore(uint32_t partition) {
  Impl& s = *impl_;
  PartitionDrop drop;
  if (partition == 0) return drop;
  // Key ranges [partition 0, `partition`) of chunks_15s, of their shared
  // timestamps and of postings; the global postings scope (0xFFFFFFFF) is
  // never below a day.
  const std::string begin = PartitionKey(0);
  const std::string end = PartitionKey(partition);
  const rocksdb::Slice begin_slice = ToSlice(begin);
  const rocksdb::Slice end_slice = ToSlice(end);
  rocksdb::ColumnFamilyHandle* const cfs[3] = {s.cf[kChunks15s], s.cf[kTimestamps], s.cf[kPostings]};
  {
    // Under write_mu, so no Write adds an old partition between the check
    // and the range deletion.
    absl::MutexLock wl(&s.write_mu);
    {
      absl::ReaderMutexLock l(&s.partitions_mu);
      for (auto p = s.chunk_partitions.begin(); p != s.chunk_partitions.end() && *p < partition; ++p) {
        drop.partitions.push_back(*p);
      }
    }
    // Per-day postings may exist for a day without chunks (a chunk starting
    // the day before): one seek tells.
    bool postings_due = false;
    {
      std::unique_ptr<rocksdb::Iterator> it = s.NewIterator(kPostings, &end_slice);
      it->Seek(begin_slice);
      postings_due = it->Valid();
      STRATA_RETURN_IF_ERROR(s.IterStatus(*it, "read postings"));
    }
    if (drop.partitions.empty() && !postings_due) return drop;

    rocksdb::SizeApproximationOptions so;
    so.include_memtables = true;
    so.include_files = true;
    const rocksdb::Range range(begin_slice, end_slice);
    for (rocksdb::ColumnFamilyHandle* cf : cfs) {
      uint64_t bytes = 0;
      if (s.db->GetApproximateSizes(so, cf, &range, 1, &bytes).ok()) drop.approx_bytes += bytes;
    }

    rocksdb::WriteBatch wb;
    for (rocksdb::ColumnFamilyHandle* cf : cfs) {
      rocksdb::Status st = wb.DeleteRange(cf, begin_slice, end_slice);
      st.PermitUncheckedError();
    }
    rocksdb::WriteOptions wo;
    wo.sync = true;
    STRATA_RETURN_IF_ERROR(FromRocks(s.db->Write(wo, &wb), fmt::format("cannot drop partitions before day {} in \"{}\"",
                                                                        DayOfPartition(partition), s.options.path)));
    absl::MutexLock l(&s.partitions_mu);
    for (uint32_t p : drop.partitions) s.chunk_partitions.erase(p);
  }

  // Give the space back now: whole SST files inside the range go at once,
  // compaction rewrites the files straddling its end. Outside write_mu:
  // flushes go on meanwhile.
  rocksdb::CompactRangeOptions co;
  co.bottommost_level_compaction = rocksdb::BottommostLevelCompaction::kForceOptimized;
  for (rocksdb::ColumnFamilyHandle* cf : cfs) {
    const std::string context = fmt::format("cannot reclaim dropped partitions in \"{}\"", s.options.path);
    STRATA_RETURN_IF_ERROR(
        FromRocks(rocksdb::DeleteFilesInRange(s.db.get(), cf, &begin_slice, &end_slice, /*include_end=*/false), context));
    STRATA_RETURN_IF_ERROR(FromRocks(s.db->CompactRange(co, cf, &begin_slice, &end_slice), context));
  }
  return drop;
}

}  // namespace strata::storage
