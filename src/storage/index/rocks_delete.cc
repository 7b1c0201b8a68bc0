// RocksStore: delete_series. Deletion is logical at once (the id goes into
// `deleted_series` and an in-memory set that every read consults) and
// physical later: a compaction filter on each column family whose keys
// carry a series id drops the deleted ids' keys whenever RocksDB rewrites
// them (CompactAll, force_merge, or ordinary background compactions).
#include <fmt/format.h>

#include <algorithm>

#include "common/base/logging.h"
#include "common/base/status.h"
#include "storage/index/rocks_internal.h"

namespace strata::storage {
namespace {

// Where a column family keeps the series id (docs/format/index.md).
enum class IdAt {
  kKey,           // series_labels, series_max_time: the key is the id
  kKeyTail,       // postings: the last 8 bytes of the key
  kChunkKey,      // chunks_15s: bytes 4..12 (after the partition)
  kValue,         // series: the value is the id
};

class DeletedSeriesFilter : public rocksdb::CompactionFilter {
 public:
  DeletedSeriesFilter(IdAt at, std::shared_ptr<const DeletedIds> deleted) : at_(at), deleted_(std::move(deleted)) {}

  bool Filter(int /*level*/, const rocksdb::Slice& key, const rocksdb::Slice& value, std::string* /*new_value*/,
              bool* /*value_changed*/) const override {
    return Drop(key, value);
  }
  bool FilterMergeOperand(int /*level*/, const rocksdb::Slice& key, const rocksdb::Slice& operand) const override {
    return Drop(key, operand);
  }
  const char* Name() const override { return "strata.DeletedSeriesFilter"; }

 private:
  bool Drop(const rocksdb::Slice& key, const rocksdb::Slice& value) const {
    // Malformed keys are kept: dropping data is only for ids known deleted.
    switch (at_) {
      case IdAt::kKey:
        return key.size() == 8 && deleted_->Contains(LoadBE64(key.data()));
      case IdAt::kKeyTail:
        return key.size() >= 8 && deleted_->Contains(LoadBE64(key.data() + key.size() - 8));
      case IdAt::kChunkKey:
        return key.size() == kChunkKeySize && deleted_->Contains(LoadBE64(key.data() + 4));
      case IdAt::kValue:
        return value.size() == 8 && deleted_->Contains(LoadBE64(value.data()));
    }
    return false;
  }

  const IdAt at_;
  const std::shared_ptr<const DeletedIds> deleted_;
};

class DeletedSeriesFilterFactory : public rocksdb::CompactionFilterFactory {
 public:
  DeletedSeriesFilterFactory(IdAt at, std::shared_ptr<const DeletedIds> deleted)
      : at_(at), deleted_(std::move(deleted)) {}

  std::unique_ptr<rocksdb::CompactionFilter> CreateCompactionFilter(
      const rocksdb::CompactionFilter::Context& /*context*/) override {
    // No filter (and no per-key cost) while nothing was ever deleted.
    if (deleted_->size() == 0) return nullptr;
    return std::make_unique<DeletedSeriesFilter>(at_, deleted_);
  }
  const char* Name() const override { return "strata.DeletedSeriesFilterFactory"; }

 private:
  const IdAt at_;
  const std::shared_ptr<const DeletedIds> deleted_;
};

}  // namespace

void DeletedIds::Add(const std::vector<uint64_t>& ids) {
  if (ids.empty()) return;
  auto next = std::make_shared<absl::flat_hash_set<uint64_t>>(*set_.load(std::memory_order_acquire));
  next->insert(ids.begin(), ids.end());
  const size_t n = next->size();
  set_.store(std::move(next), std::memory_order_release);
  count_.store(n, std::memory_order_release);
}

std::shared_ptr<rocksdb::CompactionFilterFactory> NewDeletedSeriesFilterFactory(
    Cf which, std::shared_ptr<const DeletedIds> deleted) {
  switch (which) {
    case kSeries:
      return std::make_shared<DeletedSeriesFilterFactory>(IdAt::kValue, std::move(deleted));
    case kSeriesLabels:
    case kSeriesMaxTime:
      return std::make_shared<DeletedSeriesFilterFactory>(IdAt::kKey, std::move(deleted));
    case kPostings:
      return std::make_shared<DeletedSeriesFilterFactory>(IdAt::kKeyTail, std::move(deleted));
    case kChunks15s:
      return std::make_shared<DeletedSeriesFilterFactory>(IdAt::kChunkKey, std::move(deleted));
    default:
      // meta has no ids; deleted_series must keep its ids forever (a
      // compaction must not resurrect anything).
      return nullptr;
  }
}

absl::Status RocksStore::Impl::LoadDeletedSeries() {
  std::vector<uint64_t> ids;
  std::unique_ptr<rocksdb::Iterator> it = NewIterator(kDeletedSeries);
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    if (it->key().size() != 8) {
      STRATA_LOG(Warn, "index database \"{}\": skipping a deleted_series key of {} bytes", options.path,
                 it->key().size());
      continue;
    }
    ids.push_back(LoadBE64(it->key().data()));
  }
  STRATA_RETURN_IF_ERROR(IterStatus(*it, "list deleted series"));
  deleted->Add(ids);
  return absl::OkStatus();
}

absl::Status RocksStore::DeleteSeries(std::span<const SeriesRecord> series) {
  Impl& s = *impl_;
  if (series.empty()) return absl::OkStatus();
  // Under write_mu: no Write may re-point a `series` key between the check
  // and the delete below.
  absl::MutexLock l(&s.write_mu);
  rocksdb::WriteBatch wb;
  std::vector<uint64_t> ids;
  ids.reserve(series.size());
  std::string value;
  for (const SeriesRecord& r : series) {
    ids.push_back(r.id);
    const std::string id_bytes = EncodeBE64(r.id);
    rocksdb::Status st = wb.Put(s.cf[kDeletedSeries], id_bytes, rocksdb::Slice());
    st.PermitUncheckedError();  // WriteBatch::Put fails only above 4 GiB
    // The labels may already name a newer series (deleted, then written
    // again): that one stays.
    const std::string key = SeriesKey(r.tenant, r.labels);
    st = s.db->Get(rocksdb::ReadOptions(), s.cf[kSeries], key, &value);
    if (st.ok() && value == id_bytes) {
      st = wb.Delete(s.cf[kSeries], key);
      st.PermitUncheckedError();
    } else if (!st.ok() && !st.IsNotFound()) {
      return FromRocks(st, fmt::format("cannot delete series {} in \"{}\"", r.id, s.options.path));
    }
  }
  rocksdb::WriteOptions wo;
  wo.sync = true;
  STRATA_RETURN_IF_ERROR(
      FromRocks(s.db->Write(wo, &wb), fmt::format("cannot delete {} series in \"{}\"", ids.size(), s.options.path)));
  s.deleted->Add(ids);
  return absl::OkStatus();
}

bool RocksStore::IsDeleted(uint64_t id) const { return impl_->deleted->Contains(id); }

size_t RocksStore::num_deleted() const { return impl_->deleted->size(); }

}  // namespace strata::storage
