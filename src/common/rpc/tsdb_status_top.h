// File: common/rpc/tsdb_status_top.h
//
// The top-N selection of the cardinality lists (TsdbStatusResult in
// storage_api.h), shared by the storage node that counts and the select
// node that merges the nodes' lists, so both order and cut them the same
// way: by value, largest first, ties by name ascending.
#pragma once

#include <algorithm>
#include <cstdint>
#include <queue>
#include <string>
#include <string_view>
#include <vector>

#include "common/rpc/storage_api.h"

namespace strata {

// True when `a` ranks before `b` in a top list.
inline bool RanksBefore(const TsdbStatEntry& a, const TsdbStatEntry& b) {
  if (a.value != b.value) return a.value > b.value;
  return a.name < b.name;
}

// Keeps the best `n` of the entries pushed in a bounded heap: O(log n) per
// push, and a name is copied only when it enters the heap. Not thread-safe.
class TsdbTopN {
 public:
  explicit TsdbTopN(size_t n) : n_(n) {}

  void Push(std::string_view name, uint64_t value) {
    if (n_ == 0) return;
    if (heap_.size() == n_) {
      // heap_.top() is the worst kept entry.
      const TsdbStatEntry& worst = heap_.top();
      if (!(value > worst.value || (value == worst.value && name < worst.name))) return;
      heap_.pop();
    }
    heap_.push(TsdbStatEntry{std::string(name), value});
  }

  // The kept entries in rank order; leaves the heap empty.
  std::vector<TsdbStatEntry> Take() {
    std::vector<TsdbStatEntry> out;
    out.reserve(heap_.size());
    while (!heap_.empty()) {
      out.push_back(heap_.top());
      heap_.pop();
    }
    std::reverse(out.begin(), out.end());
    return out;
  }

 private:
  struct WorstFirst {
    bool operator()(const TsdbStatEntry& a, const TsdbStatEntry& b) const { return RanksBefore(a, b); }
  };
  size_t n_;
  std::priority_queue<TsdbStatEntry, std::vector<TsdbStatEntry>, WorstFirst> heap_;
};

}  // namespace strata
