// Db::DeleteSeries (delete_series).
#include <fmt/format.h>

#include "absl/container/flat_hash_set.h"
#include "common/base/logging.h"
#include "common/base/status.h"
#include "storage/engine/db.h"
#include "storage/head/head.h"
#include "storage/index/index_reader.h"
#include "storage/index/rocks_store.h"
#include "storage/metrics/storage_metrics.h"

namespace strata::storage {

absl::StatusOr<uint64_t> Db::DeleteSeries(TenantId tenant, std::span<const Matcher> matchers) {
  if (closed_.load(std::memory_order_acquire)) {
    return absl::UnavailableError("cannot delete series: the storage engine is shut down");
  }
  if (matchers.empty()) return absl::InvalidArgumentError("cannot delete series: no matchers given");
  if (store_ == nullptr) return absl::FailedPreconditionError("cannot delete series: the engine is not persistent");
  absl::MutexLock l(&flush_mu_);
  // Flushing first moves every acknowledged sample out of the WAL into
  // RocksDB under its series id: a restart cannot replay deleted samples
  // back into a new series.
  STRATA_RETURN_IF_ERROR(FlushLocked());
  const int64_t kMin = std::numeric_limits<int64_t>::min();
  const int64_t kMax = std::numeric_limits<int64_t>::max();
  std::vector<std::shared_ptr<const MemSeries>> in_head = head_->SelectSeries(tenant, matchers);
  absl::flat_hash_set<uint64_t> head_ids;
  std::vector<SeriesRecord> records;
  for (const auto& s : in_head) {
    head_ids.insert(s->id);
    records.push_back(SeriesRecord{s->id, s->tenant, s->labels()});
  }
  STRATA_ASSIGN_OR_RETURN(std::vector<uint64_t> ids, index_->SelectSeries(tenant, matchers, kMin, kMax));
  std::erase_if(ids, [&](uint64_t id) { return head_ids.contains(id); });
  STRATA_ASSIGN_OR_RETURN(std::vector<SeriesRecord> stored, store_->GetSeriesBatch(ids));
  for (SeriesRecord& r : stored) records.push_back(std::move(r));
  if (records.empty()) return 0;
  STRATA_RETURN_IF_ERROR(store_->DeleteSeries(records));
  head_->DropSeries(in_head);
  metrics_->series_deleted.Increment(static_cast<double>(records.size()));
  STRATA_LOG(Info, "deleted {} series of tenant {} matching {} matcher(s) in \"{}\"", records.size(),
             tenant.ToString(), matchers.size(), options_.data_path);
  return records.size();
}

}  // namespace strata::storage
