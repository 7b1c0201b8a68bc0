// File: storage/engine/cardinality.h
//
// CardinalityCounter: the counts behind /api/v1/status/tsdb, taken over a
// stream of label sets (one per selected series). Memory is one counter per
// distinct name=value pair, never one entry per series, and the top lists
// are cut with bounded heaps (common/rpc/tsdb_status_top.h); the per-name
// figures follow from the per-pair counters, as Prometheus's
// index.Postings.Stats derives them:
//   series with label n          = sum over n's values of series with n=v
//   distinct values of n         = number of pairs with name n
//   memoryInBytesByLabelName[n]  = sum over n's values of len(v) * series
#pragma once

#include <cstdint>
#include <string>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "common/model/labels.h"
#include "common/rpc/storage_api.h"

namespace strata::storage {

// Not thread-safe; one per request.
class CardinalityCounter {
 public:
  // `focus_label` ("": none) selects series_count_by_focus_label_value.
  explicit CardinalityCounter(std::string focus_label) : focus_label_(std::move(focus_label)) {}

  void AddSeries(const Labels& labels);

  // The series counts and top lists, `top_n` entries each at most; the
  // head_* fields are left at their defaults for the caller.
  TsdbStatusResult Finish(size_t top_n) const;

 private:
  std::string focus_label_;
  uint64_t series_ = 0;
  uint64_t label_pairs_ = 0;
  absl::flat_hash_map<std::pair<std::string, std::string>, uint64_t> pairs_;
};

}  // namespace strata::storage
