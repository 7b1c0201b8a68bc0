// File: tests/e2e/test_data.h
//
// Generated series for round-trip tests, and the check that a Strata select
// node returns exactly them.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/model/labels.h"
#include "common/model/sample.h"
#include "e2e/cluster.h"

namespace strata::testing {

struct GeneratedSeries {
  Labels labels;
  std::vector<Sample> samples;
};

// `count` series named e2e_roundtrip_<i> with `samples` samples each, 15 s
// apart, ending about a minute ago. Values cover random bit patterns (NaN
// payloads included), integers, tiny and huge magnitudes, +-Inf and -0.
// Series 0 ends with a stale marker. Deterministic for a seed.
std::vector<GeneratedSeries> GenerateSeries(int count, int samples, uint32_t seed);

// Snappy remote_write bodies holding `series`, `per_request` series each.
std::vector<std::string> EncodeRequests(const std::vector<GeneratedSeries>& series, size_t per_request);

// Queries the select node for every generated series over its whole time
// range (one point per sample) and compares. Returns "" when every sample
// is there bit-exact (stale markers: the point is absent), else a
// description of the first differences. Also fails on isPartial.
std::string CompareWithSelect(StrataCluster& cluster, const std::vector<GeneratedSeries>& series);

// POSTs every request through the insert node; the test stops unless each
// gets 204.
void WriteAll(StrataCluster& cluster, const std::vector<std::string>& requests);

// Polls until the select node returns every generated sample (clients
// reconnect to restarted nodes with backoff), then returns the last diff
// ("" when complete).
std::string EventuallyComplete(StrataCluster& cluster, const std::vector<GeneratedSeries>& series);

}  // namespace strata::testing
