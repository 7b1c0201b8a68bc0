#include "common/chunkenc/chunk_codec.h"

#include <algorithm>
#include <array>
#include <bit>
#include <cmath>
#include <cstring>
#include <utility>

#include "common/base/check.h"
#include "common/chunkenc/int_sequence.h"
#include "common/chunkenc/mantissa.h"
#include "common/chunkenc/split_chunk.h"
#include "common/chunkenc/xor_chunk.h"
#include "common/encoding/varint.h"
#include "fmt/format.h"

// kIntDelta and kDecimal share one layout (docs/format/chunk.md), kDecimal
// adding the exponent byte; kIntDelta is the e = 0 case. All integer
// arithmetic on timestamps and mantissas is modulo 2^64, so the encoder and a
// decoder fed garbage agree on overflow instead of hitting UB.

namespace strata {
namespace {

using namespace chunkenc_internal;

// Shared encoder: values at exponent e (kIntDelta: e = 0, no exponent byte).
std::string EncodeInts(std::span<const Sample> samples, int e, bool with_exponent) {
  STRATA_CHECK(samples.size() <= kMaxChunkSamples) << "chunk of " << samples.size() << " samples";
  const size_t n = samples.size();
  std::vector<uint64_t> ts(n), ms;
  for (size_t i = 0; i < n; ++i) ts[i] = static_cast<uint64_t>(samples[i].timestamp_ms);
  std::vector<Exception> exceptions;
  ToMantissas(samples, e, &ms, &exceptions);
  SequencePlan tp = PlanSequence(ts);
  SequencePlan vp = PlanSequence(ms);

  std::string out;
  out.push_back(static_cast<char>((tp.mode << 4) | vp.mode));
  PutVarint(&out, n);
  if (with_exponent) out.push_back(static_cast<char>(e));
  PutExceptions(exceptions, &out);
  PutSeeds(tp, &out);
  PutSeeds(vp, &out);
  BitWriter w(&out);
  WritePacked(tp, &w);
  WritePacked(vp, &w);
  w.Flush();
  return out;
}

absl::Status Corrupt(std::string_view codec, std::string_view what) {
  return absl::DataLossError(fmt::format("cannot decode {} chunk: {}", codec, what));
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
  std::vector<Exception> exceptions;
  if (!ReadExceptions(&r, n, &exceptions)) return Corrupt(codec, "bad exceptions");
  std::array<uint64_t, kMaxSeeds> t_seeds{}, v_seeds{};
  if (!ReadSeeds(&r, t_mode, n, &t_seeds) || !ReadSeeds(&r, v_mode, n, &v_seeds)) {
    return Corrupt(codec, "truncated seeds");
  }
  BitReader bits = RemainingBits(&r);
  const size_t base = out->size();
  out->resize(base + n);
  Sample* s = out->data() + base;
  const bool ok = ReadTimestamps(&bits, t_mode, t_seeds, n, s) && ReadMantissaValues(&bits, v_mode, v_seeds, n, e, s);
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
    case ChunkEncoding::kSplit: return EncodeSplitChunk(samples);
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
  // A few bytes bigger than those two where they fit; far smaller where
  // values need XOR but the timestamps jitter (Gorilla pays 16 bits each).
  consider(ChunkEncoding::kSplit, EncodeSplitChunk(samples));
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
    case ChunkEncoding::kSplit: return DecodeSplitChunk(data, out);
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
    case ChunkEncoding::kSplit: return SplitChunkNumSamples(data);
  }
  return 0;
}

}  // namespace strata
