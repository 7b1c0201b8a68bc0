#include "common/chunkenc/int_sequence.h"

#include <cstdint>
#include <utility>

namespace strata::chunkenc_internal {
namespace {

// The width a block is packed at: the widest value, 63 rounded up to 64
// (the 6-bit code has no room for both).
inline int PackedWidth(uint64_t or_of_block) {
  int w = BitWidth(or_of_block);
  return w == 63 ? 64 : w;
}

void WritePackedFrom(const std::vector<uint64_t>& z, size_t begin, BitWriter* w) {
  for (size_t b = begin; b < z.size(); b += kBlockSize) {
    size_t end = std::min(z.size(), b + kBlockSize);
    uint64_t all = 0;
    for (size_t i = b; i < end; ++i) all |= z[i];
    const int width = PackedWidth(all);
    w->Write(width == 64 ? 63 : static_cast<uint64_t>(width), kWidthCodeBits);
    for (size_t i = b; i < end; ++i) w->Write(z[i], width);
  }
}

struct ResidualInputs {
  const uint64_t* x;
  const uint64_t* d;     // d[i] = x[i] - x[i-1]
  uint64_t median;       // D
  uint64_t offset_base;  // B of kOffset
  uint64_t linear_base;  // B of kLinear
};

// The zigzagged residual of mode M at i >= kFirstResidual[M]. A template so
// that sizing a mode is a tight loop without a switch per value.
template <int M>
inline uint64_t Residual(const ResidualInputs& in, size_t i) {
  uint64_t v;
  if constexpr (M == kOffset) {
    v = in.x[i] - in.offset_base;
  } else if constexpr (M == kDelta) {
    v = in.d[i];
  } else if constexpr (M == kDeltaOfDelta) {
    v = in.d[i] - in.d[i - 1];
  } else if constexpr (M == kDeltaOffset) {
    v = in.d[i] - in.median;
  } else {
    v = in.x[i] - in.linear_base - static_cast<uint64_t>(i) * in.median;
  }
  return ZigZagEncode(static_cast<int64_t>(v));
}

uint64_t ResidualOf(int mode, const ResidualInputs& in, size_t i) {
  switch (mode) {
    case kOffset: return Residual<kOffset>(in, i);
    case kDelta: return Residual<kDelta>(in, i);
    case kDeltaOfDelta: return Residual<kDeltaOfDelta>(in, i);
    case kDeltaOffset: return Residual<kDeltaOffset>(in, i);
    default: return Residual<kLinear>(in, i);
  }
}

// Packed size of mode M's residuals in bits; stops early once over `limit`.
template <int M>
size_t ModeBits(const ResidualInputs& in, size_t n, size_t limit) {
  size_t bits = 0;
  for (size_t b = kFirstResidual[M]; b < n && bits <= limit; b += kBlockSize) {
    const size_t end = std::min(n, b + kBlockSize);
    uint64_t all = 0;
    for (size_t i = b; i < end; ++i) all |= Residual<M>(in, i);
    bits += kWidthCodeBits + static_cast<size_t>(PackedWidth(all)) * (end - b);
  }
  return bits;
}

// The base that centres values y(0..n) (read as int64) on zero: with range
// R = max - min of bit width w, min + 2^(w-1), so every y - base lies in
// [-2^(w-1), 2^(w-1) - 1] and zigzags into w bits.
template <typename Y>
uint64_t CentredBase(size_t n, Y y) {
  int64_t lo = static_cast<int64_t>(y(0)), hi = lo;
  for (size_t i = 1; i < n; ++i) {
    int64_t v = static_cast<int64_t>(y(i));
    lo = std::min(lo, v);
    hi = std::max(hi, v);
  }
  const int w = BitWidth(static_cast<uint64_t>(hi) - static_cast<uint64_t>(lo));
  return static_cast<uint64_t>(lo) + (w == 0 ? 0 : uint64_t{1} << (w - 1));
}

}  // namespace

SequencePlan PlanSequence(const std::vector<uint64_t>& x) {
  const size_t n = x.size();
  std::vector<uint64_t> d(n, 0);  // d[i] = x[i] - x[i-1], mod 2^64
  for (size_t i = 1; i < n; ++i) d[i] = x[i] - x[i - 1];
  uint64_t median = 0;
  if (n >= 2) {
    std::vector<int64_t> sorted(d.begin() + 1, d.end());
    std::nth_element(sorted.begin(), sorted.begin() + static_cast<ptrdiff_t>(sorted.size() / 2), sorted.end());
    median = static_cast<uint64_t>(sorted[sorted.size() / 2]);
  }
  ResidualInputs in{x.data(), d.data(), median, 0, 0};
  if (n > 0) {
    in.offset_base = CentredBase(n, [&](size_t i) { return x[i]; });
    in.linear_base = x[0] + CentredBase(n, [&](size_t i) { return x[i] - x[0] - static_cast<uint64_t>(i) * median; });
  }
  auto seeds_of = [&](int mode) {
    uint64_t seeds[kMaxSeeds] = {x.empty() ? 0 : x[0], median};
    if (mode == kOffset) seeds[0] = in.offset_base;
    if (mode == kLinear) seeds[0] = in.linear_base;
    if (mode == kDeltaOfDelta) seeds[1] = n >= 2 ? d[1] : 0;
    std::vector<uint64_t> out;
    const size_t num_seeds = std::min(n, kNumSeeds[static_cast<size_t>(mode)]);
    for (size_t j = 0; j < num_seeds; ++j) out.push_back(ZigZagEncode(static_cast<int64_t>(seeds[j])));
    return out;
  };
  // Size every mode without materialising it, then build the winner.
  int best_mode = kOffset;
  size_t best_bits = SIZE_MAX;
  for (int mode = 0; mode < kNumModes; ++mode) {
    size_t bits = 0;
    for (uint64_t seed : seeds_of(mode)) bits += 8 * VarintSize(seed);
    switch (mode) {
      case kOffset: bits += ModeBits<kOffset>(in, n, best_bits - std::min(bits, best_bits)); break;
      case kDelta: bits += ModeBits<kDelta>(in, n, best_bits - std::min(bits, best_bits)); break;
      case kDeltaOfDelta: bits += ModeBits<kDeltaOfDelta>(in, n, best_bits - std::min(bits, best_bits)); break;
      case kDeltaOffset: bits += ModeBits<kDeltaOffset>(in, n, best_bits - std::min(bits, best_bits)); break;
      case kLinear: bits += ModeBits<kLinear>(in, n, best_bits - std::min(bits, best_bits)); break;
    }
    if (bits < best_bits) {
      best_bits = bits;
      best_mode = mode;
    }
  }
  SequencePlan plan;
  plan.mode = best_mode;
  plan.seeds = seeds_of(best_mode);
  plan.residuals.assign(n, 0);
  for (size_t i = kFirstResidual[static_cast<size_t>(best_mode)]; i < n; ++i) {
    plan.residuals[i] = ResidualOf(best_mode, in, i);
  }
  return plan;
}

void WritePacked(const SequencePlan& plan, BitWriter* w) {
  WritePackedFrom(plan.residuals, kFirstResidual[static_cast<size_t>(plan.mode)], w);
}

void PutSeeds(const SequencePlan& plan, std::string* out) {
  for (uint64_t s : plan.seeds) PutVarint(out, s);
}

bool ReadSeeds(ByteReader* r, int mode, size_t n, std::array<uint64_t, kMaxSeeds>* seeds) {
  const size_t num_seeds = std::min(n, kNumSeeds[static_cast<size_t>(mode)]);
  for (size_t j = 0; j < num_seeds; ++j) {
    uint64_t z;
    if (!r->GetVarint(&z)) return false;
    (*seeds)[j] = static_cast<uint64_t>(ZigZagDecode(z));
  }
  return true;
}

}  // namespace strata::chunkenc_internal
