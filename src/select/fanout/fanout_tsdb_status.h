// File: select/fanout/fanout_tsdb_status.h
//
// /api/v1/status/tsdb across the cluster: one TsdbStatus call per storage
// node in parallel, answers merged by MergeTsdbStatus.
//
// How the merge counts, and why. Every node counts only its own series, and
// with replication factor R every series lives on R nodes. Per name (metric
// name, label name, name=value pair, focus value) the nodes' values are
// summed and the sum divided by R (rounded up), as are the totals: when
// every node answered, each series was counted exactly R times, so the
// series figures (series counts, label pairs, bytes) come out exact.
// Distinct-value figures (labelValueCountByLabelName, numLabelPairs) are
// not additive across nodes: a value present on more than R nodes is
// counted more than R times, so after the division they lie between the
// true count and N/R times it (N nodes). VictoriaMetrics' vmselect sums
// without dividing (its figures grow with R); dividing keeps Strata's
// numbers those of one copy of the data, as Prometheus would report them.
// Each node sends only its top_n per list, so a name just outside some
// nodes' top lists is undercounted; top_n entries are kept after merging.
// Head figures: chunks summed (not divided: every replica holds its own
// chunks), min/max time the extremes.
//
// Failure semantics are FanoutQuerier's (fanout_querier.h): up to R-1 failed
// nodes still answer (marked partial from R on, with a warning per node),
// all failed is Unavailable, InvalidArgument from any node fails the call.
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "common/rpc/storage_api.h"

namespace strata::select {

struct TsdbStatusAnswer {
  TsdbStatusResult status;
  bool partial = false;
  std::vector<std::string> warnings;
};

// Merges the answers of the nodes that answered (see above). Pure; exposed
// for tests. REQUIRES: replication_factor >= 1, top_n >= 1.
TsdbStatusResult MergeTsdbStatus(const std::vector<TsdbStatusResult>& answers, int replication_factor,
                                 size_t top_n);

// Thread-safe; blocks until every node answered or `deadline` passed. The
// nodes must outlive the call. Unavailable without nodes.
absl::StatusOr<TsdbStatusAnswer> TsdbStatusOnAllNodes(const std::vector<StorageApi*>& nodes,
                                                      const TsdbStatusRequest& request, int replication_factor,
                                                      std::chrono::steady_clock::time_point deadline);

}  // namespace strata::select
