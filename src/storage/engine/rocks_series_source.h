// File: storage/engine/rocks_series_source.h
//
// The head's SeriesSource over the persistent index: a series the head does
// not hold (evicted, or the node restarted) is found by its labels in the
// `series` column family and comes back with its id and its newest
// persisted timestamp. A miss costs one bloom-filtered point lookup, which is
// what every brand-new series pays.
#pragma once

#include "storage/head/head.h"
#include "storage/index/rocks_store.h"

namespace strata::storage {

// Thread-safe (RocksStore reads are).
class RocksSeriesSource final : public SeriesSource {
 public:
  // REQUIRES: `store` outlives this object.
  explicit RocksSeriesSource(const RocksStore* store) : store_(store) {}

  absl::StatusOr<std::optional<Found>> Find(TenantId tenant, std::span<const LabelView> labels) const override;

 private:
  const RocksStore* const store_;
};

}  // namespace strata::storage
