#include "storage/engine/rocks_series_source.h"

#include "common/base/status.h"

namespace strata::storage {

absl::StatusOr<std::optional<SeriesSource::Found>> RocksSeriesSource::Find(TenantId tenant,
                                                                           std::span<const LabelView> labels) const {
  absl::StatusOr<uint64_t> id = store_->LookupSeriesId(tenant, Labels::FromViews(labels));
  if (absl::IsNotFound(id.status())) return std::nullopt;
  STRATA_RETURN_IF_ERROR(id.status());
  STRATA_ASSIGN_OR_RETURN(int64_t last_t, store_->MaxTime(*id));
  return Found{*id, last_t};
}

}  // namespace strata::storage
