#include "storage/head/series_hash_index.h"

#include <bit>
#include <utility>

#include "common/base/check.h"

namespace strata::storage {
namespace {

constexpr size_t kInitialSlots = 16;

}  // namespace

SeriesHashIndex::SeriesHashIndex()
    : slots_(kInitialSlots), mask_(kInitialSlots - 1), shift_(64 - std::countr_zero(kInitialSlots)) {}

void SeriesHashIndex::Set(uint64_t hash, MemSeries* first) {
  STRATA_CHECK(first != nullptr);
  size_t i = Home(hash);
  for (;; i = (i + 1) & mask_) {
    if (slots_[i].series == nullptr) break;
    if (slots_[i].hash == hash) {
      slots_[i].series = first;
      return;
    }
  }
  slots_[i] = Slot{hash, first};
  // At most 3/4 full: linear probing stays short, and a lookup's first slot
  // (the one prefetched) is where its hash is found nearly always.
  if (++size_ * 4 > slots_.size() * 3) Grow();
}

void SeriesHashIndex::Erase(uint64_t hash) {
  size_t i = Home(hash);
  for (;; i = (i + 1) & mask_) {
    if (slots_[i].series == nullptr) return;
    if (slots_[i].hash == hash) break;
  }
  // Backward-shift deletion (no tombstones): pull later entries of the
  // probe run into the hole when their home slot allows it, so that every
  // entry stays reachable from its home without crossing an empty slot.
  size_t hole = i;
  for (size_t j = (hole + 1) & mask_; slots_[j].series != nullptr; j = (j + 1) & mask_) {
    const size_t home = Home(slots_[j].hash);
    // Movable when its home is not in the cyclic range (hole, j].
    const bool home_after_hole = ((j - home) & mask_) < ((j - hole) & mask_);
    if (!home_after_hole) {
      slots_[hole] = slots_[j];
      hole = j;
    }
  }
  slots_[hole] = Slot{};
  --size_;
}

void SeriesHashIndex::Grow() {
  std::vector<Slot> old(slots_.size() * 2);
  old.swap(slots_);
  mask_ = slots_.size() - 1;
  shift_ = 64 - std::countr_zero(slots_.size());
  for (const Slot& slot : old) {
    if (slot.series == nullptr) continue;
    size_t i = Home(slot.hash);
    while (slots_[i].series != nullptr) i = (i + 1) & mask_;
    slots_[i] = slot;
  }
}

}  // namespace strata::storage
