// Exemplars and metric metadata of the Db: exemplars from write batches
// into RocksDB's `exemplars` column family, metadata into
// `metric_metadata` (rocks_store.h PutExemplars, PutMetadata).
//
// Exemplars skip the head and Strata's WAL: they are small, rare and not
// part of any chunk, so they go straight to RocksDB, whose own log makes
// them survive a restart (synced under -wal.fsync=always, like samples).
// An append whose exemplars fail to store is answered with the error; the
// sender's retry re-sends the samples too, which the head skips as
// duplicates.
#include <algorithm>
#include <limits>
#include <map>

#include <fmt/format.h>

#include "common/base/status.h"
#include "common/base/clock.h"
#include "common/model/series_hash.h"
#include "storage/engine/db.h"
#include "storage/engine/disk_space.h"
#include "storage/head/head_batch.h"
#include "storage/index/rocks_store.h"

namespace strata::storage {
namespace {

absl::Status NotPersistent(std::string_view what) {
  return absl::FailedPreconditionError(
      fmt::format("cannot {}: the storage node keeps no persistent store", what));
}

}  // namespace

absl::Status Db::StoreExemplars(const HeadBatch& batch) {
  if (batch.exemplars.empty() || store_ == nullptr) return absl::OkStatus();
  thread_local std::vector<RocksStore::ExemplarToStore> exemplars;
  exemplars.clear();
  for (const HeadBatch::Exemplar& e : batch.exemplars) {
    exemplars.push_back(RocksStore::ExemplarToStore{
        e.series_hash,
        std::span<const LabelView>(batch.exemplar_labels).subspan(e.label_begin, e.label_end - e.label_begin),
        e.timestamp_ms, e.value});
  }
  return Annotate(store_->PutExemplars(batch.tenant, exemplars, options_.max_exemplars_per_series,
                                       options_.fsync_mode == DbOptions::kAlways),
                  "cannot append exemplars to storage engine");
}

absl::Status Db::WriteMetadata(TenantId tenant, std::span<const MetricMetadata> metadata) {
  if (closed_.load(std::memory_order_acquire)) {
    return absl::UnavailableError("cannot write metric metadata: the storage engine is shutting down");
  }
  if (store_ == nullptr) return NotPersistent("store metric metadata");
  STRATA_RETURN_IF_ERROR(disk_space_->CheckWritable());
  return store_->PutMetadata(tenant, metadata, options_.fsync_mode == DbOptions::kAlways);
}

absl::StatusOr<MetadataResult> Db::Metadata(const MetadataRequest& request) const {
  if (store_ == nullptr) return NotPersistent("read metric metadata");
  MetadataResult result;
  STRATA_RETURN_IF_ERROR(store_->ReadMetadata(request.tenant, request.metric, request.limit, &result.metadata));
  return result;
}

absl::StatusOr<ExemplarsResult> Db::QueryExemplars(const ExemplarsRequest& request) const {
  if (store_ == nullptr) return NotPersistent("read exemplars");
  int64_t mint = request.min_time_ms;
  if (options_.retention_ms > 0) {
    mint = std::max(mint, NowUnixMillis() - options_.retention_ms);
  }
  // The series are looked up with samples up to an hour before the range:
  // an exemplar in a narrow window may sit between two scrapes' samples
  // (Prometheus sends exemplars in series of their own, so their series need
  // no sample at the exemplar's time).
  constexpr int64_t kSeriesSlackMs = 3600 * 1000;
  const int64_t series_mint =
      request.min_time_ms < std::numeric_limits<int64_t>::min() + kSeriesSlackMs ? request.min_time_ms
                                                                                  : request.min_time_ms - kSeriesSlackMs;
  // The union of the selectors' series, sorted by labels.
  std::map<Labels, std::vector<Exemplar>> by_series;
  for (const std::vector<Matcher>& selector : request.selectors) {
    STRATA_ASSIGN_OR_RETURN(std::vector<Labels> series,
                            SeriesLabels(request.tenant, selector, series_mint, request.max_time_ms));
    for (Labels& labels : series) {
      if (by_series.contains(labels)) continue;
      std::vector<Exemplar> exemplars;
      if (mint <= request.max_time_ms) {
        STRATA_RETURN_IF_ERROR(store_->ReadExemplars(request.tenant, SeriesHash(request.tenant, labels), mint,
                                                     request.max_time_ms, &exemplars));
      }
      if (!exemplars.empty()) by_series.emplace(std::move(labels), std::move(exemplars));
    }
  }
  ExemplarsResult result;
  for (auto& [labels, exemplars] : by_series) {
    result.series.push_back(SeriesExemplars{labels, std::move(exemplars)});
  }
  return result;
}

}  // namespace strata::storage
