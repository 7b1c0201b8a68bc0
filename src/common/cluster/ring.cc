#include "common/cluster/ring.h"

#include <algorithm>

#include <fmt/format.h>

#include "common/base/check.h"
#include "common/model/series_hash.h"

namespace strata {

HashRing::HashRing(std::vector<std::string> node_names, size_t virtual_nodes) : names_(std::move(node_names)) {
  STRATA_CHECK(virtual_nodes >= 1 && "a hash ring needs at least one virtual node per node");
  points_.reserve(names_.size() * virtual_nodes);
  for (size_t n = 0; n < names_.size(); ++n) {
    STRATA_CHECK(!names_[n].empty() && "a storage node has an empty name");
    for (size_t m = 0; m < n; ++m) {
      STRATA_CHECK(names_[m] != names_[n] && "a storage node name is listed twice");
    }
    for (size_t i = 0; i < virtual_nodes; ++i) {
      points_.push_back(Point{Hash64(fmt::format("{}#{}", names_[n], i)), static_cast<uint32_t>(n)});
    }
  }
  // Ties (a 64-bit collision) are broken by node index so that the ring does
  // not depend on the order of construction.
  std::sort(points_.begin(), points_.end(), [](const Point& a, const Point& b) {
    return a.position != b.position ? a.position < b.position : a.node < b.node;
  });
}

namespace {

// A set of node indexes without allocation for clusters up to 256 nodes.
class NodeSet {
 public:
  explicit NodeSet(size_t nodes) : words_((nodes + 63) / 64, 0) {}
  // Returns true when `node` was not yet in the set.
  bool Insert(uint32_t node) {
    uint64_t& w = words_[node / 64];
    uint64_t bit = uint64_t{1} << (node % 64);
    if (w & bit) return false;
    w |= bit;
    return true;
  }

 private:
  absl::InlinedVector<uint64_t, 4> words_;
};

}  // namespace

void HashRing::Route(uint64_t series_hash, size_t count, absl::FunctionRef<bool(size_t node)> usable,
                     NodeList* out) const {
  out->clear();
  if (count == 0 || points_.empty()) return;
  if (names_.size() == 1) {  // `strata all` and single-node clusters: no search
    if (usable(0)) out->push_back(0);
    return;
  }
  auto start = std::lower_bound(points_.begin(), points_.end(), series_hash,
                                [](const Point& p, uint64_t h) { return p.position < h; });
  size_t first = static_cast<size_t>(start - points_.begin());
  NodeSet seen(names_.size());
  size_t distinct = 0;
  for (size_t k = 0; k < points_.size() && distinct < names_.size(); ++k) {
    size_t i = first + k;
    if (i >= points_.size()) i -= points_.size();
    uint32_t node = points_[i].node;
    if (!seen.Insert(node)) continue;
    ++distinct;
    if (usable(node)) {
      out->push_back(node);
      if (out->size() == count) return;
    }
  }
}

void HashRing::PreferenceOrder(uint64_t series_hash, std::vector<uint32_t>* out) const {
  NodeList nodes;
  Route(series_hash, names_.size(), [](size_t) { return true; }, &nodes);
  out->assign(nodes.begin(), nodes.end());
}

}  // namespace strata
