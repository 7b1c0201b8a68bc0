// File: select/fanout/fanout_labels.h
//
// The metadata reads of the labels and series APIs across the cluster:
// label names, the values of one label, and the label sets of the selected
// series. Every selector goes to every storage node in parallel
// (StorageApi::LabelNames / LabelValues / SeriesLabels); the answers are
// merged into one sorted, distinct list, so replicas of a series on several
// nodes count once. Model: VictoriaMetrics cluster's vmselect
// (netstorage.LabelNames, LabelValues, SearchMetricNames).
//
// Failure semantics are FanoutQuerier's (fanout_querier.h): with
// replication factor R, up to R-1 failed nodes still give a complete
// answer; with R or more the answer is marked partial and names the failed
// nodes in warnings; when every node failed the call returns Unavailable. An
// InvalidArgument or ResourceExhausted answer from any node fails the call
// (the request itself is at fault; asking elsewhere will not help).
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "common/model/labels.h"
#include "common/model/matcher.h"
#include "common/model/tenant.h"
#include "common/rpc/storage_api.h"

namespace strata::select {

struct MetadataQuery {
  TenantId tenant;
  // Series selectors, a union; each a conjunction of matchers. Empty: every
  // series of the tenant.
  std::vector<std::vector<Matcher>> selectors;
  // Series with data in [min_time_ms, max_time_ms] (inclusive).
  int64_t min_time_ms = 0;
  int64_t max_time_ms = 0;
  // Answer at most this many items (0 = no limit); `truncated` then says
  // whether more exist. The kept ones are the first in sort order.
  uint64_t limit = 0;
  // Storage nodes holding each series (-replicationFactor). >= 1.
  int replication_factor = 1;
  // -search.denyPartialResponse: Unavailable instead of a partial answer.
  bool deny_partial = false;
  // Of every node call; the fan-out never waits past it (plus a short grace
  // for callbacks to report it).
  std::chrono::steady_clock::time_point deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
};

template <typename T>
struct MetadataAnswer {
  std::vector<T> items;  // sorted, distinct, at most `limit`
  bool truncated = false;  // more than `limit` items exist
  bool partial = false;    // R or more nodes failed: items may be missing
  std::vector<std::string> warnings;  // one per failed node when partial
};

// Thread-safe; each blocks the caller until every node answered or the
// deadline passed. The nodes must outlive the call; answers arriving after
// it returned are dropped. Unavailable without nodes.
absl::StatusOr<MetadataAnswer<std::string>> LabelNamesOnAllNodes(const std::vector<StorageApi*>& nodes,
                                                                 const MetadataQuery& query);
absl::StatusOr<MetadataAnswer<std::string>> LabelValuesOnAllNodes(const std::vector<StorageApi*>& nodes,
                                                                  std::string_view label_name,
                                                                  const MetadataQuery& query);
absl::StatusOr<MetadataAnswer<Labels>> SeriesOnAllNodes(const std::vector<StorageApi*>& nodes,
                                                        const MetadataQuery& query);

}  // namespace strata::select
