// File: select/fanout/fanout_querier.h
//
// The select node's Querier: it sends one SearchMany request, holding every
// selector of the query, to every storage node in parallel, decodes the
// returned chunks here (storage nodes never decode, DESIGN.md "Between the
// nodes"), and merges series with equal
// labels from different nodes into one, dropping samples with equal
// timestamps (replicas hold identical copies). Model: VictoriaMetrics
// cluster app/vmselect/netstorage/netstorage.go.
//
// Failure semantics with replication factor R (every series lives on R
// nodes): up to R-1 failed nodes still give a complete answer; with R or more
// failed nodes the result is marked partial and the failed nodes are named
// in warnings; when every node failed, Select returns Unavailable.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "common/model/tenant.h"
#include "common/rpc/storage_api.h"
#include "select/promql/querier.h"

namespace strata::select {

struct FanoutOptions {
  TenantId tenant;
  // How many storage nodes hold each series (-replicationFactor). >= 1.
  int replication_factor = 1;
  // Deadline of every Search call; Select never waits past it (plus a small
  // grace for callbacks to arrive).
  std::chrono::steady_clock::time_point deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  // Most series the query may load, summed over its selectors
  // (-search.maxSeries; 0: no limit). Beyond it Select fails with
  // ResourceExhausted instead of answering from a truncated set.
  uint64_t max_series = 0;
  // -search.denyPartialResponse: a result that would be partial (R or more
  // nodes failed) is an Unavailable error instead (HTTP 503).
  bool deny_partial = false;
  // -dedup.minScrapeInterval in ms (0: off): one sample per series per
  // interval (select/fanout/dedup.h).
  int64_t dedup_interval_ms = 0;
};

// One per query. Select may be called several times (once per selector),
// from one thread at a time; it blocks until every node answered or the
// deadline passed. The storage nodes must outlive the querier; callbacks
// that arrive after Select returned are harmless.
class FanoutQuerier : public promql::Querier {
 public:
  FanoutQuerier(std::vector<StorageApi*> nodes, FanoutOptions options);

  // Errors: InvalidArgument or ResourceExhausted reported by any node (the
  // request itself is bad, asking elsewhere will not help), ResourceExhausted
  // past max_series, DataLoss for an undecodable chunk, Unavailable when no
  // node answered.
  absl::StatusOr<promql::SeriesSet> Select(const promql::SelectHints& hints,
                                           std::span<const Matcher> matchers) override;
  // Sends every request to every node in ONE SearchMany call per node, so a
  // query costs one request and one answer per node however many selectors
  // it has; then merges each request's answers as Select does.
  absl::StatusOr<std::vector<promql::SeriesSet>> SelectMany(
      std::span<const promql::SelectRequest> requests) override;

 private:
  // The SeriesSet of one request from the nodes' answers to it.
  absl::StatusOr<promql::SeriesSet> Merge(std::vector<absl::StatusOr<SearchResult>> results,
                                          const promql::SelectHints& hints);
  absl::Status SeriesLimitError() const;

  std::vector<StorageApi*> nodes_;
  FanoutOptions options_;
  uint64_t series_loaded_ = 0;  // by earlier Selects of this query
};

// Merges per-node search results into series with decoded samples in
// [min_time_ms, max_time_ms], sorted by time, one sample per timestamp (the
// first node's in `results` order wins), or with dedup_interval_ms > 0 one
// sample per interval (DeduplicateSamples). Exposed for tests and
// benchmarks. DataLoss when a chunk cannot be decoded.
absl::StatusOr<std::vector<promql::SeriesSamples>> MergeSearchResults(std::vector<SearchResult>& results,
                                                                      int64_t min_time_ms, int64_t max_time_ms,
                                                                      int64_t dedup_interval_ms = 0);

}  // namespace strata::select
