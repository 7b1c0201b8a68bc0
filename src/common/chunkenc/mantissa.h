// File: common/chunkenc/mantissa.h
//
// Values as decimal mantissas, v = m / 10^e, for the integer codecs of this
// directory (kIntDelta, kDecimal and kSplit's mantissa values;
// docs/format/chunk.md). A value whose mantissa does not give back its exact
// bits is an exception, kept raw. Internal to common/chunkenc.
#pragma once

#include <array>
#include <bit>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "common/chunkenc/chunk_codec.h"
#include "common/chunkenc/int_sequence.h"
#include "common/encoding/varint.h"

namespace strata::chunkenc_internal {

constexpr std::array<double, kMaxDecimalExponent + 1> kPow10 = {
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15};

// 2^53: every integer of at most this magnitude is exact in a double.
constexpr double kMaxExactInt = 9007199254740992.0;

inline uint64_t Bits(double v) { return std::bit_cast<uint64_t>(v); }

inline double FromMantissa(int64_t m, int e) {
  // e = 0 (every kIntDelta value) needs no division.
  return e == 0 ? static_cast<double>(m) : static_cast<double>(m) / kPow10[static_cast<size_t>(e)];
}

// The mantissa of v at exponent e, if v survives the round trip bit for bit.
// Rejects NaN, +-Inf, -0.0 (it would come back as +0.0), subnormals and
// values with more digits than e keeps.
inline bool ToMantissa(double v, int e, int64_t* m) {
  double scaled = v * kPow10[static_cast<size_t>(e)];
  if (!(std::fabs(scaled) <= kMaxExactInt)) return false;  // also false for NaN
  int64_t candidate = static_cast<int64_t>(std::nearbyint(scaled));
  if (Bits(FromMantissa(candidate, e)) != Bits(v)) return false;
  *m = candidate;
  return true;
}

// The exponent a decimal chunk uses: the largest of the values' smallest
// exponents; -1 when no value has one.
int SharedExponent(std::span<const Sample> samples);

// An index into the samples and the raw bits of its value.
using Exception = std::pair<size_t, uint64_t>;

// The values of `samples` at exponent e as a mantissa sequence. An exception
// carries the previous mantissa (0 before the first), so it costs the
// sequence (nearly) nothing; the decoder overwrites it with the raw bits.
void ToMantissas(std::span<const Sample> samples, int e, std::vector<uint64_t>* mantissas,
                 std::vector<Exception>* exceptions);

// count varint, then per exception: index gap varint, raw bits u64 LE.
void PutExceptions(const std::vector<Exception>& exceptions, std::string* out);
// Reads what PutExceptions wrote for a chunk of n samples; false when
// truncated or an index is out of range.
bool ReadExceptions(ByteReader* r, size_t n, std::vector<Exception>* exceptions);

// Decodes a sequence of `mode` (int_sequence.h) into s[0..n): timestamps,
// or mantissas at exponent e as values. False when the bits run out.
bool ReadTimestamps(BitReader* bits, int mode, const std::array<uint64_t, kMaxSeeds>& seeds, size_t n, Sample* s);
bool ReadMantissaValues(BitReader* bits, int mode, const std::array<uint64_t, kMaxSeeds>& seeds, size_t n, int e, Sample* s);

}  // namespace strata::chunkenc_internal
