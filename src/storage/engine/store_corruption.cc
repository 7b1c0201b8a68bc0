#include "storage/engine/store_corruption.h"

#include "common/base/logging.h"
#include "common/base/status.h"
#include "storage/metrics/storage_metrics.h"

namespace strata::storage {

absl::StatusOr<std::unique_ptr<RocksStore>> OpenStoreWithRecovery(const RocksStoreOptions& options,
                                                                 StorageMetrics& metrics,
                                                                 RocksRecoveryReport* report) {
  RocksRecoveryReport local;
  if (report == nullptr) report = &local;
  auto store = OpenRocksStoreWithRecovery(options, report);
  if (const uint64_t n = report->corruptions(); n > 0) metrics.rocksdb_corruptions.Increment(static_cast<double>(n));
  return store;
}

bool NoteStoreError(const absl::Status& st, StoreOp op, const std::string& db_path, StorageMetrics& metrics) {
  if (st.code() != absl::StatusCode::kDataLoss) return false;
  metrics.rocksdb_corruptions.Increment();
  if (op == StoreOp::kRead) {
    STRATA_LOG(Error, "index database \"{}\": a read met corrupt data; the query failed, the node keeps serving: {}",
               db_path, ToStd(st.message()));
    return true;
  }
  absl::Status requested = RequestRocksRepair(db_path, ToStd(st.message()));
  if (!requested.ok()) {
    STRATA_LOG(Error, "index database \"{}\": cannot request a repair: {}", db_path, ToStd(requested.message()));
  }
  return true;
}

}  // namespace strata::storage
