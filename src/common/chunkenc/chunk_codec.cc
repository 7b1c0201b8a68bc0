#include "common/chunkenc/chunk_codec.h"

#include <algorithm>
#include <array>
#include <bit>
#include <cmath>
#include <cstring>
#include <utility>

#include "common/base/check.h"
#include "common/chunkenc/xor_chunk.h"
#include "common/encoding/varint.h"
#include "fmt/format.h"

// kIntDelta and kDecimal share one layout (docs/format/chunk.md), kDecimal
// adding the exponent byte; kIntDelta is the e = 0 case. All integer
// arithmetic on timestamps and mantissas is modulo 2^64, so the encoder and a
// decoder fed garbage agree on overflow instead of hitting UB.

namespace strata {
namespace {

// Residuals are bit-packed in blocks of kBlockSize values sharing one width:
// a 6-bit width code (63 stands for 64 bits), then the values.
constexpr size_t kBlockSize = 32;
constexpr int kWidthCodeBits = 6;

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

// The smallest exponent representing v, or -1.
int MinExponent(double v) {
  for (int e = 0; e <= kMaxDecimalExponent; ++e) {
    int64_t m;
    if (ToMantissa(v, e, &m)) return e;
  }
  return -1;
}

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

// The width a block is packed at: the widest value, 63 rounded up to 64
// (the 6-bit code has no room for both).
inline int PackedWidth(uint64_t or_of_block) {
  int w = BitWidth(or_of_block);
  return w == 63 ? 64 : w;
}

void WritePacked(const std::vector<uint64_t>& z, size_t begin, BitWriter* w) {
  for (size_t b = begin; b < z.size(); b += kBlockSize) {
    size_t end = std::min(z.size(), b + kBlockSize);
    uint64_t all = 0;
    for (size_t i = b; i < end; ++i) all |= z[i];
    const int width = PackedWidth(all);
    w->Write(width == 64 ? 63 : static_cast<uint64_t>(width), kWidthCodeBits);
    for (size_t i = b; i < end; ++i) w->Write(z[i], width);
  }
}

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

// Shared encoder: values at exponent e (kIntDelta: e = 0, no exponent byte).
std::string EncodeInts(std::span<const Sample> samples, int e, bool with_exponent) {
  STRATA_CHECK(samples.size() <= kMaxChunkSamples) << "chunk of " << samples.size() << " samples";
  const size_t n = samples.size();
  std::vector<uint64_t> ts(n), ms(n);
  std::vector<std::pair<size_t, uint64_t>> exceptions;
  int64_t prev_m = 0;
  for (size_t i = 0; i < n; ++i) {
    ts[i] = static_cast<uint64_t>(samples[i].timestamp_ms);
    int64_t m;
    if (ToMantissa(samples[i].value, e, &m)) {
      prev_m = m;
    } else {
      // Carry the previous mantissa through so the exception costs the
      // integer stream (nearly) nothing.
      exceptions.emplace_back(i, Bits(samples[i].value));
      m = prev_m;
    }
    ms[i] = static_cast<uint64_t>(m);
  }
  SequencePlan tp = PlanSequence(ts);
  SequencePlan vp = PlanSequence(ms);

  std::string out;
  out.push_back(static_cast<char>((tp.mode << 4) | vp.mode));
  PutVarint(&out, n);
  if (with_exponent) out.push_back(static_cast<char>(e));
  PutVarint(&out, exceptions.size());
  size_t next_index = 0;
  for (const auto& [index, bits] : exceptions) {
    PutVarint(&out, index - next_index);
    PutFixed64(&out, bits);
    next_index = index + 1;
  }
  for (uint64_t s : tp.seeds) PutVarint(&out, s);
  for (uint64_t s : vp.seeds) PutVarint(&out, s);
  BitWriter w(&out);
  WritePacked(tp.residuals, kFirstResidual[static_cast<size_t>(tp.mode)], &w);
  WritePacked(vp.residuals, kFirstResidual[static_cast<size_t>(vp.mode)], &w);
  w.Flush();
  return out;
}

absl::Status Corrupt(std::string_view codec, std::string_view what) {
  return absl::DataLossError(fmt::format("cannot decode {} chunk: {}", codec, what));
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

absl::Status DecodeInts(std::string_view data, bool with_exponent, std::vector<Sample>* out) {
  const std::string_view codec = with_exponent ? "decimal" : "int-delta";
  ByteReader r(data);
  std::string_view head;
  if (!r.GetBytes(1, &head)) return Corrupt(codec, "empty");
  const int t_mode = static_cast<uint8_t>(head[0]) >> 4;
  const int v_mode = static_cast<uint8_t>(head[0]) & 0xf;
  if (t_mode >= kNumModes || v_mode >= kNumModes) return Corrupt(codec, "bad sequence mode");
  uint64_t n;
  if (!r.GetVarint(&n)) return Corrupt(codec, "truncated sample count");
  if (n > kMaxChunkSamples) return Corrupt(codec, fmt::format("sample count {} over {}", n, kMaxChunkSamples));
  int e = 0;
  if (with_exponent) {
    std::string_view eb;
    if (!r.GetBytes(1, &eb)) return Corrupt(codec, "truncated exponent");
    e = static_cast<uint8_t>(eb[0]);
    if (e > kMaxDecimalExponent) return Corrupt(codec, fmt::format("exponent {} over {}", e, kMaxDecimalExponent));
  }
  uint64_t num_exceptions;
  if (!r.GetVarint(&num_exceptions) || num_exceptions > n) return Corrupt(codec, "bad exception count");
  std::vector<std::pair<size_t, uint64_t>> exceptions(num_exceptions);
  uint64_t next_index = 0;
  for (auto& [index, bits] : exceptions) {
    uint64_t gap;
    if (!r.GetVarint(&gap) || gap >= n - next_index) return Corrupt(codec, "bad exception index");
    index = next_index + gap;
    next_index = index + 1;
    if (!r.GetFixed64(&bits)) return Corrupt(codec, "truncated exception value");
  }
  std::array<uint64_t, kMaxSeeds> t_seeds{}, v_seeds{};
  if (!ReadSeeds(&r, t_mode, n, &t_seeds) || !ReadSeeds(&r, v_mode, n, &v_seeds)) {
    return Corrupt(codec, "truncated seeds");
  }
  std::string_view rest;
  r.GetBytes(r.remaining(), &rest);
  BitReader bits(rest);

  const size_t base = out->size();
  out->resize(base + n);
  Sample* s = out->data() + base;
  bool ok = ReadSequence(&bits, t_mode, t_seeds, n,
                         [s](size_t i, uint64_t x) { s[i].timestamp_ms = static_cast<int64_t>(x); });
  if (e == 0) {
    ok = ok && ReadSequence(&bits, v_mode, v_seeds, n, [s](size_t i, uint64_t x) {
           s[i].value = static_cast<double>(static_cast<int64_t>(x));
         });
  } else {
    ok = ok && ReadSequence(&bits, v_mode, v_seeds, n, [s, e](size_t i, uint64_t x) {
           s[i].value = FromMantissa(static_cast<int64_t>(x), e);
         });
  }
  if (!ok) {
    out->resize(base);
    return Corrupt(codec, "truncated bit stream");
  }
  if (!bits.AtPaddedEnd()) {
    out->resize(base);
    return Corrupt(codec, "trailing bytes");
  }
  for (const auto& [index, vbits] : exceptions) s[index].value = std::bit_cast<double>(vbits);
  return absl::OkStatus();
}

// The exponent EncodeDecimalChunk uses; -1 when no value has one.
int SharedExponent(std::span<const Sample> samples) {
  int e = -1;
  for (const Sample& s : samples) {
    // Integers (the common case) need no search beyond e = 0.
    int m = MinExponent(s.value);
    if (m > e) e = m;
    if (e == kMaxDecimalExponent) break;
  }
  return e;
}

}  // namespace

std::string EncodeXorChunk(std::span<const Sample> samples) {
  STRATA_CHECK(samples.size() <= kMaxChunkSamples) << "chunk of " << samples.size() << " samples";
  XorAppender app;
  for (const Sample& s : samples) app.Append(s.timestamp_ms, s.value);
  return app.Finish();
}

std::string EncodeIntDeltaChunk(std::span<const Sample> samples) { return EncodeInts(samples, 0, false); }

std::string EncodeDecimalChunk(std::span<const Sample> samples) {
  return EncodeInts(samples, std::max(0, SharedExponent(samples)), true);
}

std::string EncodeChunk(ChunkEncoding encoding, std::span<const Sample> samples) {
  switch (encoding) {
    case ChunkEncoding::kXor: return EncodeXorChunk(samples);
    case ChunkEncoding::kIntDelta: return EncodeIntDeltaChunk(samples);
    case ChunkEncoding::kDecimal: return EncodeDecimalChunk(samples);
  }
  STRATA_CHECK(false) << "unknown chunk encoding " << static_cast<int>(encoding);
  return {};
}

EncodedChunk EncodeBest(std::span<const Sample> samples) {
  EncodedChunk best{ChunkEncoding::kXor, EncodeXorChunk(samples)};
  auto consider = [&best](ChunkEncoding encoding, std::string data) {
    if (data.size() < best.data.size()) best = EncodedChunk{encoding, std::move(data)};
  };
  // Even with every value an exception kIntDelta can win: 9 bytes per raw
  // value beat XOR on incompressible doubles, and timestamps pack tighter.
  consider(ChunkEncoding::kIntDelta, EncodeInts(samples, 0, false));
  int e = SharedExponent(samples);
  // At e = 0 kDecimal is kIntDelta plus an exponent byte.
  if (e > 0) consider(ChunkEncoding::kDecimal, EncodeInts(samples, e, true));
  return best;
}

absl::Status DecodeChunk(ChunkEncoding encoding, std::string_view data, std::vector<Sample>* out) {
  switch (encoding) {
    case ChunkEncoding::kXor: {
      const size_t base = out->size();
      absl::Status st = DecodeXorChunk(data, out);
      if (!st.ok()) out->resize(base);
      return st;
    }
    case ChunkEncoding::kIntDelta: return DecodeInts(data, false, out);
    case ChunkEncoding::kDecimal: return DecodeInts(data, true, out);
  }
  return absl::DataLossError(fmt::format("cannot decode chunk: unknown encoding {}", static_cast<int>(encoding)));
}

size_t ChunkNumSamples(ChunkEncoding encoding, std::string_view data) {
  switch (encoding) {
    case ChunkEncoding::kXor: return XorChunkNumSamples(data);
    case ChunkEncoding::kIntDelta:
    case ChunkEncoding::kDecimal: {
      ByteReader r(data);
      std::string_view head;
      uint64_t n;
      if (!r.GetBytes(1, &head) || !r.GetVarint(&n) || n > kMaxChunkSamples) return 0;
      return static_cast<size_t>(n);
    }
  }
  return 0;
}

}  // namespace strata
