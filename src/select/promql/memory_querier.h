// File: select/promql/memory_querier.h
//
// A Querier over series held in memory: the data source for engine tests and
// for the PromQL conformance runner (which `load`s series and evaluates).
#pragma once

#include <cstdint>
#include <vector>

#include "select/promql/querier.h"

namespace strata::promql {

// Thread-compatible: Add and Select must not run concurrently; concurrent
// Selects are fine.
class MemoryQuerier : public Querier {
 public:
  // Adds samples to the series `labels` (created when new). Samples are
  // merged by timestamp; a later sample replaces an earlier one with the
  // same timestamp.
  void Add(const Labels& labels, std::vector<Sample> samples);
  // The same with the samples' start timestamps (querier.h SeriesSamples):
  // `start_timestamps` is empty or has one entry per sample (0: unknown).
  // Samples added without them get 0 once the series has some.
  void Add(const Labels& labels, std::vector<Sample> samples, std::vector<int64_t> start_timestamps);

  absl::StatusOr<SeriesSet> Select(const SelectHints& hints, std::span<const Matcher> matchers) override;

  size_t num_series() const { return series_.size(); }

 private:
  std::vector<SeriesSamples> series_;  // sorted by labels
};

}  // namespace strata::promql
