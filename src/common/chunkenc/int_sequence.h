// File: common/chunkenc/int_sequence.h
//
// The integer-sequence coding shared by the chunk codecs of this directory
// (kIntDelta, kDecimal, kSplit; docs/format/chunk.md "Sequences"): MSB-first
// bit I/O, the five residual modes, and bit-packed blocks of 32. Internal to
// common/chunkenc: the codecs' public API is chunk_codec.h.
#pragma once

#include <algorithm>
#include <array>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "common/encoding/varint.h"

namespace strata::chunkenc_internal {

// Residuals are bit-packed in blocks of kBlockSize values sharing one width:
// a 6-bit width code (63 stands for 64 bits), then the values.
constexpr size_t kBlockSize = 32;
constexpr int kWidthCodeBits = 6;

inline int BitWidth(uint64_t z) { return 64 - std::countl_zero(z); }

// MSB-first bit writer appending to a string.
class BitWriter {
 public:
  explicit BitWriter(std::string* out) : out_(out) {}

  void Write(uint64_t v, int nbits) {
    if (nbits == 0) return;
    if (nbits > 56) {  // keep acc_ within 64 bits: pending bits (< 8) + nbits
      Write(v >> 32, nbits - 32);
      Write(v & 0xffffffffu, 32);
      return;
    }
    v &= (uint64_t{1} << nbits) - 1;
    acc_ = (acc_ << nbits) | v;
    pending_ += nbits;
    while (pending_ >= 8) {
      pending_ -= 8;
      out_->push_back(static_cast<char>(acc_ >> pending_));
    }
    acc_ &= (uint64_t{1} << pending_) - 1;
  }

  // Zero-pads to the byte boundary.
  void Flush() {
    if (pending_ > 0) out_->push_back(static_cast<char>(acc_ << (8 - pending_)));
    acc_ = 0;
    pending_ = 0;
  }

 private:
  std::string* out_;
  uint64_t acc_ = 0;
  int pending_ = 0;
};

// MSB-first bit reader; every read is bounds-checked.
class BitReader {
 public:
  explicit BitReader(std::string_view data)
      : p_(reinterpret_cast<const uint8_t*>(data.data())), size_bits_(data.size() * 8) {}

  bool Read(int nbits, uint64_t* out) {
    if (pos_ + static_cast<size_t>(nbits) > size_bits_) return false;
    // Fast path: one unaligned big-endian load holds the bits whenever 8
    // bytes remain from the current byte (a read starts at most 7 bits in,
    // so up to 57 bits fit).
    const size_t byte = pos_ >> 3;
    if (nbits > 0 && nbits <= 57 && byte + 8 <= (size_bits_ >> 3)) {
      uint64_t word;
      std::memcpy(&word, p_ + byte, sizeof(word));
      word = __builtin_bswap64(word);
      *out = (word << (pos_ & 7)) >> (64 - nbits);
      pos_ += static_cast<size_t>(nbits);
      return true;
    }
    uint64_t v = 0;
    while (nbits > 0) {
      int avail = 8 - static_cast<int>(pos_ & 7);
      int take = nbits < avail ? nbits : avail;
      uint64_t bits = (p_[pos_ >> 3] >> (avail - take)) & ((1u << take) - 1);
      v = (v << take) | bits;
      pos_ += static_cast<size_t>(take);
      nbits -= take;
    }
    *out = v;
    return true;
  }

  // Reads `count` values of `nbits` (1..64) each into out[0..count). One
  // bounds check for the whole block when it and 8 bytes past it fit (the
  // common case: all but a chunk's last block), else value by value.
  bool ReadBlock(int nbits, size_t count, uint64_t* out) {
    const size_t end_bits = pos_ + static_cast<size_t>(nbits) * count;
    if (end_bits > size_bits_) return false;
    if (nbits > 57 || (end_bits >> 3) + 8 > (size_bits_ >> 3)) {
      for (size_t i = 0; i < count; ++i) Read(nbits, &out[i]);
      return true;
    }
    const int drop = 64 - nbits;
    for (size_t i = 0; i < count; ++i) {
      uint64_t word;
      std::memcpy(&word, p_ + (pos_ >> 3), sizeof(word));
      out[i] = (__builtin_bswap64(word) << (pos_ & 7)) >> drop;
      pos_ += static_cast<size_t>(nbits);
    }
    return true;
  }

  // True when only zero padding (< 8 bits) is left.
  bool AtPaddedEnd() {
    if (size_bits_ - pos_ >= 8) return false;
    uint64_t pad;
    return Read(static_cast<int>(size_bits_ - pos_), &pad) && pad == 0;
  }

 private:
  const uint8_t* p_;
  size_t size_bits_;
  size_t pos_ = 0;
};

// How an integer sequence x (timestamps, or mantissas) becomes residuals.
// Each mode has a few seeds (zigzag varints in the byte header) and
// bit-packed residuals from index kFirstResidual[mode] on; the encoder keeps
// whichever mode packs smallest. D is the median step of the chunk; B is a
// base chosen to centre the residuals on zero, so a range of R costs
// bitwidth(R) bits after zigzag, not one bit more.
enum SequenceMode : int {
  kOffset = 0,        // r[i] = x[i] - B; seed B                (0/1 flags, small gauges)
  kDelta = 1,         // r[i] = x[i] - x[i-1]; seed x0          (gauges)
  kDeltaOfDelta = 2,  // r[i] = d[i] - d[i-1]; seeds x0, d1     (Gorilla's timestamps)
  kDeltaOffset = 3,   // r[i] = x[i] - x[i-1] - D; seeds x0, D  (steady counters)
  kLinear = 4,        // r[i] = x[i] - B - i*D; seeds B, D      (jittered scrape times)
};
constexpr int kNumModes = 5;
constexpr std::array<size_t, kNumModes> kNumSeeds = {1, 1, 2, 2, 2};
constexpr std::array<size_t, kNumModes> kFirstResidual = {0, 1, 2, 1, 0};
constexpr size_t kMaxSeeds = 2;

struct SequencePlan {
  int mode = kOffset;
  std::vector<uint64_t> seeds;      // zigzagged
  std::vector<uint64_t> residuals;  // zigzagged; meaningful from kFirstResidual[mode]
};

// The mode, seeds and residuals that pack x smallest.
SequencePlan PlanSequence(const std::vector<uint64_t>& x);

// Writes plan.residuals from the mode's first residual index on, in blocks.
void WritePacked(const SequencePlan& plan, BitWriter* w);

// Appends the plan's seeds as zigzag varints (the header part ReadSeeds reads).
void PutSeeds(const SequencePlan& plan, std::string* out);

// Reads the min(n, seeds of `mode`) zigzag varint seeds of a sequence.
bool ReadSeeds(ByteReader* r, int mode, size_t n, std::array<uint64_t, kMaxSeeds>* seeds);

// Undoes PlanSequence: decodes `count` values of mode kMode from their
// seeds and packed residual stream, handing each to `sink(i, x)`. A block's
// residuals are read first, then turned into values in a loop without
// branches on the mode. Wrapping arithmetic throughout.
template <int kMode, typename Sink>
bool ReadSequenceOf(BitReader* bits, const std::array<uint64_t, kMaxSeeds>& seeds, size_t count, Sink sink) {
  constexpr size_t kFirst = kFirstResidual[static_cast<size_t>(kMode)];
  uint64_t prev = 0;
  uint64_t delta = 0;  // kDeltaOfDelta: the current step
  size_t i = 0;
  if constexpr (kFirst > 0) {
    if (count == 0) return true;
    prev = seeds[0];
    sink(0, prev);
    i = 1;
    if constexpr (kFirst > 1) {
      if (count == 1) return true;
      delta = seeds[1];
      prev += delta;
      sink(1, prev);
      i = 2;
    }
  }
  std::array<uint64_t, kBlockSize> r;
  while (i < count) {
    uint64_t code;
    if (!bits->Read(kWidthCodeBits, &code)) return false;
    const int width = code == 63 ? 64 : static_cast<int>(code);
    const size_t m = std::min(count - i, kBlockSize);
    if (width == 0) {
      std::fill_n(r.begin(), m, 0);
    } else {
      if (!bits->ReadBlock(width, m, r.data())) return false;
      for (size_t j = 0; j < m; ++j) r[j] = static_cast<uint64_t>(ZigZagDecode(r[j]));
    }
    for (size_t j = 0; j < m; ++j, ++i) {
      if constexpr (kMode == kOffset) {
        prev = seeds[0] + r[j];
      } else if constexpr (kMode == kDelta) {
        prev += r[j];
      } else if constexpr (kMode == kDeltaOfDelta) {
        delta += r[j];
        prev += delta;
      } else if constexpr (kMode == kDeltaOffset) {
        prev += seeds[1] + r[j];
      } else {
        static_assert(kMode == kLinear);
        prev = seeds[0] + static_cast<uint64_t>(i) * seeds[1] + r[j];
      }
      sink(i, prev);
    }
  }
  return true;
}

template <typename Sink>
bool ReadSequence(BitReader* bits, int mode, const std::array<uint64_t, kMaxSeeds>& seeds, size_t count,
                  Sink sink) {
  switch (mode) {
    case kOffset: return ReadSequenceOf<kOffset>(bits, seeds, count, sink);
    case kDelta: return ReadSequenceOf<kDelta>(bits, seeds, count, sink);
    case kDeltaOfDelta: return ReadSequenceOf<kDeltaOfDelta>(bits, seeds, count, sink);
    case kDeltaOffset: return ReadSequenceOf<kDeltaOffset>(bits, seeds, count, sink);
    case kLinear: return ReadSequenceOf<kLinear>(bits, seeds, count, sink);
  }
  return false;
}

// The rest of `r` as a bit stream: the packed residuals after a byte header.
inline BitReader RemainingBits(ByteReader* r) {
  std::string_view rest;
  r->GetBytes(r->remaining(), &rest);
  return BitReader(rest);
}

}  // namespace strata::chunkenc_internal
