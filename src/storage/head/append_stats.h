// File: storage/head/append_stats.h
//
// What one append did with the samples of a write batch. Kept in its own
// header so that engine/db.h can hand it to callers (the insert path tells
// the sender about rejected samples) without including the head.
#pragma once

#include <cstdint>

namespace strata::storage {

// A plain value; not thread-safe (each call fills its own).
struct AppendStats {
  // Samples now in the head, out-of-order ones included.
  uint64_t samples_appended = 0;
  // Of samples_appended: older than the series' last sample but inside the
  // out-of-order window, so kept in the series' out-of-order buffer.
  uint64_t out_of_order = 0;
  // Skipped: timestamp equal to a sample still in the open chunk or the
  // out-of-order buffer (a retried batch). Duplicates of samples in sealed
  // chunks are not detected here; readers drop equal timestamps.
  uint64_t duplicates = 0;
  // Rejected: older than the series' last sample by more than the
  // out-of-order window (or older at all when the window is 0).
  uint64_t too_old = 0;
  uint64_t series_created = 0;
  uint64_t chunks_sealed = 0;  // in-order and out-of-order chunks
};

}  // namespace strata::storage
