// File: common/model/sample.h
//
// A float sample: a millisecond timestamp and a value. The Prometheus stale
// marker is a NaN with the exact bit pattern 0x7ff0000000000002; it must be
// stored and returned bit-for-bit, so values are compared by bits, not by ==.
#pragma once

#include <bit>
#include <cstdint>

namespace strata {

struct Sample {
  int64_t timestamp_ms = 0;
  double value = 0;
};

inline constexpr uint64_t kStaleNaNBits = 0x7ff0000000000002ULL;

inline bool IsStaleNaN(double v) { return std::bit_cast<uint64_t>(v) == kStaleNaNBits; }
inline double StaleNaN() { return std::bit_cast<double>(kStaleNaNBits); }

inline bool SameBits(const Sample& a, const Sample& b) {
  return a.timestamp_ms == b.timestamp_ms && std::bit_cast<uint64_t>(a.value) == std::bit_cast<uint64_t>(b.value);
}

}  // namespace strata
