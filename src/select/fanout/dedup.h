// File: select/fanout/dedup.h
//
// -dedup.minScrapeInterval, with VictoriaMetrics' semantics (lib/storage
// dedup.go, docs "Deduplication"): for HA Prometheus pairs that scrape the
// same targets and write the same series with slightly different
// timestamps, keep ONE raw sample per series per discrete interval. The
// intervals are (k*d - d, k*d] for integer k (their end is the timestamp
// rounded UP to a multiple of d); the kept sample is the one with the
// biggest timestamp in the interval; among samples with that same
// timestamp (copies from several nodes) the biggest value wins, and a real
// value wins over a Prometheus stale marker.
#pragma once

#include <cstdint>
#include <vector>

#include "common/model/sample.h"

namespace strata::select {

// The end of the discrete interval holding `timestamp_ms`: the smallest
// multiple of `interval_ms` >= it. REQUIRES: interval_ms > 0.
int64_t DedupIntervalEnd(int64_t timestamp_ms, int64_t interval_ms);

// De-duplicates `samples` (sorted by timestamp, equal timestamps allowed)
// in place as described above. interval_ms <= 0 only drops samples with
// equal timestamps, keeping the first of each.
void DeduplicateSamples(std::vector<Sample>& samples, int64_t interval_ms);

}  // namespace strata::select
