// File: select/fanout/fanout_exemplars.h
//
// Metric metadata and exemplars across the cluster: each request goes to
// every storage node in parallel (StorageApi::Metadata, QueryExemplars) and
// the answers are merged. Metadata is stored on every node (insert's
// Router::WriteMetadata) and exemplars on their series' replicas, so equal
// entries from several nodes count once.
//
// Failures: a node that fails is left out and named in `warnings`; the call
// fails (Unavailable with the last error) only when every node failed. A
// node that lacks the method (Unimplemented: an older version) holds none of
// the data and counts as an empty answer. InvalidArgument from any node
// fails the call.
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "common/rpc/storage_api.h"

namespace strata::select {

template <typename T>
struct FanoutAnswer {
  T result;
  std::vector<std::string> warnings;  // one per failed node
};

// Every node's metadata merged: per metric family name (sorted), its
// distinct (type, help, unit) entries, in the order of the nodes' answers.
struct MergedMetadata {
  std::vector<std::pair<std::string, std::vector<MetricMetadata>>> families;
};

// Thread-safe; block the caller until every node answered or `deadline`
// passed. The nodes must outlive the call.
absl::StatusOr<FanoutAnswer<MergedMetadata>> MetadataOnAllNodes(const std::vector<StorageApi*>& nodes,
                                                                 const MetadataRequest& request,
                                                                 std::chrono::steady_clock::time_point deadline);
// Series sorted by labels; each series' exemplars sorted by timestamp, equal
// ones (timestamp, value bits, labels) once.
absl::StatusOr<FanoutAnswer<ExemplarsResult>> ExemplarsOnAllNodes(const std::vector<StorageApi*>& nodes,
                                                                  const ExemplarsRequest& request,
                                                                  std::chrono::steady_clock::time_point deadline);

}  // namespace strata::select
