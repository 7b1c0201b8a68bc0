// File: storage/index/time_partition.h
//
// Time partitions of the persistent store: one per UTC day. Chunks are keyed
// by the day of their first sample and per-day postings by the day they
// cover, so retention drops whole days with range deletions and a query over
// a short range reads only the postings of the days it touches. The
// partition number in keys is the day with its sign bit flipped, so that the
// unsigned big-endian order of keys is the numeric order of days (days
// before 1970 first). kGlobalScope, the largest value, is not a day: it
// scopes the postings that cover all time.
#pragma once

#include <cstdint>

namespace strata::storage {

inline constexpr int64_t kMsPerDay = 86'400'000;

// Floor division: -1 ms is day -1.
inline int64_t DayOf(int64_t t_ms) {
  const int64_t q = t_ms / kMsPerDay;
  return (t_ms % kMsPerDay < 0) ? q - 1 : q;
}

// Days are clamped to what 32 bits hold (±5.8 million years around 1970).
inline uint32_t PartitionOfDay(int64_t day) {
  if (day < INT32_MIN) day = INT32_MIN;
  if (day > INT32_MAX - 1) day = INT32_MAX - 1;  // INT32_MAX flipped is kGlobalScope
  return static_cast<uint32_t>(static_cast<int32_t>(day)) ^ 0x8000'0000u;
}
inline int64_t DayOfPartition(uint32_t partition) { return static_cast<int32_t>(partition ^ 0x8000'0000u); }

inline uint32_t PartitionOf(int64_t t_ms) { return PartitionOfDay(DayOf(t_ms)); }

// The postings scope that covers all time (never a day's partition).
inline constexpr uint32_t kGlobalScope = 0xFFFF'FFFFu;

}  // namespace strata::storage
