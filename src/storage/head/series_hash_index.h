// File: storage/head/series_hash_index.h
//
// The head's map from a series hash to the first series of its collision
// chain (MemSeries::next_same_hash), one per stripe.
//
// Why not absl::flat_hash_map: every append looks up each of its series
// here, in a table that is mostly not in the CPU caches, and the head
// prefetches every lookup of a batch before it does the first (head_append.cc
// Resolve). A swiss table keeps its control bytes apart from its slots, and
// its prefetch can only guess which slot of a 16-slot group will match, so a
// lookup costs two or three cache lines and the wait for one of them. Here a
// lookup starts at one slot that the hash alone determines (linear probing,
// load at most 3/4), and that slot's line holds the answer almost always:
// one line, known in advance.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace strata::storage {

struct MemSeries;

// Thread-compatible (the Head guards each with its stripe's mutex).
class SeriesHashIndex {
 public:
  SeriesHashIndex();

  // The chain head stored for `hash`, or null.
  MemSeries* Find(uint64_t hash) const {
    for (size_t i = Home(hash);; i = (i + 1) & mask_) {
      const Slot& slot = slots_[i];
      if (slot.series == nullptr) return nullptr;
      if (slot.hash == hash) return slot.series;
    }
  }
  // Starts loading the line where Find(hash) looks first.
  void Prefetch(uint64_t hash) const { __builtin_prefetch(&slots_[Home(hash)]); }

  // Stores `first` (not null) as the chain head for `hash`, replacing any.
  void Set(uint64_t hash, MemSeries* first);
  // Forgets `hash`; nothing when absent.
  void Erase(uint64_t hash);

  size_t size() const { return size_; }

 private:
  struct Slot {
    uint64_t hash = 0;
    MemSeries* series = nullptr;  // null: empty
  };

  // The top bits: the stripe is chosen by the low ones (Head::StripeFor),
  // so within one index those are all alike.
  size_t Home(uint64_t hash) const { return static_cast<size_t>(hash >> shift_); }
  void Grow();

  std::vector<Slot> slots_;  // a power of two, at least 2
  size_t mask_ = 0;
  int shift_ = 0;  // 64 - log2(slots_.size())
  size_t size_ = 0;
};

}  // namespace strata::storage
