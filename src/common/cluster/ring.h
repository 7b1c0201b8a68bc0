// File: common/cluster/ring.h
//
// Consistent-hash ring over the storage nodes: where a series lives. Each node
// is placed at `virtual_nodes` positions XXH3("<name>#<i>") on a 64-bit ring;
// a series with placement hash h (common/model/series_hash.h) belongs to the
// first distinct nodes found walking clockwise from h. Positions depend only
// on node names, so adding a node moves only the series it takes over
// (about 1/N of them) and removing a node moves only that node's series, the
// property that keeps a resize of the cluster cheap (VictoriaMetrics
// lib/consistenthash plays the same role).
//
// The clockwise order of distinct nodes is also the failover order: when a
// replica's node is down, the next node in that order takes the copy.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/container/inlined_vector.h"
#include "absl/functional/function_ref.h"

namespace strata {

// Node indexes chosen for one series; inline for replication factors <= 4.
using NodeList = absl::InlinedVector<uint32_t, 4>;

// Immutable after construction: thread-safe for concurrent reads.
class HashRing {
 public:
  // Measured over 1M series and 10 nodes, the most loaded node holds
  // 1.05-1.07x the mean with 1024 virtual nodes per node, but up to 1.13x
  // with 256 or 512 for some node names (the target is <= 1.1x). The ring
  // costs 16 bytes per virtual node, 160 KiB for 10 nodes.
  static constexpr size_t kDefaultVirtualNodes = 1024;

  // Node i is `node_names[i]` (an address or other stable, unique name).
  // REQUIRES: names are unique and non-empty; virtual_nodes >= 1.
  explicit HashRing(std::vector<std::string> node_names, size_t virtual_nodes = kDefaultVirtualNodes);

  size_t node_count() const { return names_.size(); }
  const std::string& node_name(size_t node) const { return names_[node]; }

  // Clears `*out` and fills it with the first `count` distinct nodes for
  // which `usable(node)` is true, clockwise from `series_hash`, in that
  // (preference) order. Fewer are returned when fewer nodes are usable.
  // `usable` is called at most once per node.
  void Route(uint64_t series_hash, size_t count, absl::FunctionRef<bool(size_t node)> usable, NodeList* out) const;

  // Every node, in the preference order of `series_hash`.
  void PreferenceOrder(uint64_t series_hash, std::vector<uint32_t>* out) const;

 private:
  struct Point {
    uint64_t position;
    uint32_t node;
  };

  std::vector<std::string> names_;
  std::vector<Point> points_;  // sorted by position
};

}  // namespace strata
