// File: tests/unit/storage/engine/db_test_util.h
//
// Reading a Db back the way a select node does: decode every chunk of each
// selected series, merge by time and keep the first of equal timestamps.
#pragma once

#include <algorithm>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "common/chunkenc/chunk_codec.h"
#include "storage/engine/db.h"

namespace strata::storage::testing {

// Every sample of the tenant's series that `matchers` select, over all
// time, by labels (Labels::ToString).
inline std::map<std::string, std::vector<Sample>> SearchAllSamples(const Db& db, TenantId tenant,
                                                                   std::vector<Matcher> matchers) {
  SearchRequest req;
  req.tenant = tenant;
  req.matchers = std::move(matchers);
  req.min_time_ms = INT64_MIN;
  req.max_time_ms = INT64_MAX;
  auto r = db.Search(req);
  REQUIRE(r.ok());
  std::map<std::string, std::vector<Sample>> out;
  for (const SeriesChunks& s : r->series) {
    std::vector<Sample> got;
    for (const ChunkData& c : s.chunks) REQUIRE(DecodeChunk(c.encoding, c.data, &got).ok());
    std::stable_sort(got.begin(), got.end(),
                     [](const Sample& a, const Sample& b) { return a.timestamp_ms < b.timestamp_ms; });
    got.erase(std::unique(got.begin(), got.end(),
                          [](const Sample& a, const Sample& b) { return a.timestamp_ms == b.timestamp_ms; }),
              got.end());
    out[s.labels.ToString()] = std::move(got);
  }
  return out;
}

}  // namespace strata::storage::testing
