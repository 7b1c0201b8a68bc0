// kSplit (docs/format/chunk.md): the timestamps in a section of their own,
// then the values as mantissas (like kIntDelta / kDecimal) or as Gorilla XOR
// values. Every series of one scrape has the same timestamps, so the storage
// node keeps one copy of a timestamp section for all of them
// (storage/index: the timestamps column family); on the wire and in memory
// a kSplit chunk is always whole.
#include <bit>
#include <string>
#include <utility>

#include "common/base/check.h"
#include "common/chunkenc/chunk_codec.h"
#include "common/chunkenc/int_sequence.h"
#include "common/chunkenc/mantissa.h"
#include "common/chunkenc/split_chunk.h"
#include "common/encoding/varint.h"
#include "fmt/format.h"

namespace strata {
namespace {

using namespace chunkenc_internal;

// The high nibble of the value section's first byte.
enum ValueKind : int {
  kMantissas = 0,  // low nibble: the sequence mode; then e, exceptions, seeds, residuals
  kXorValues = 1,  // Gorilla's value coding alone; then the bit stream
};

absl::Status Corrupt(std::string_view what) {
  return absl::DataLossError(fmt::format("cannot decode split chunk: {}", what));
}

std::string EncodeTimestamps(std::span<const Sample> samples) {
  std::vector<uint64_t> ts(samples.size());
  for (size_t i = 0; i < samples.size(); ++i) ts[i] = static_cast<uint64_t>(samples[i].timestamp_ms);
  const SequencePlan plan = PlanSequence(ts);
  std::string out;
  out.push_back(static_cast<char>(plan.mode));
  PutVarint(&out, samples.size());
  PutSeeds(plan, &out);
  BitWriter w(&out);
  WritePacked(plan, &w);
  w.Flush();
  return out;
}

std::string EncodeMantissaValues(std::span<const Sample> samples, int e) {
  std::vector<uint64_t> ms;
  std::vector<Exception> exceptions;
  ToMantissas(samples, e, &ms, &exceptions);
  const SequencePlan plan = PlanSequence(ms);
  std::string out;
  out.push_back(static_cast<char>((kMantissas << 4) | plan.mode));
  out.push_back(static_cast<char>(e));
  PutExceptions(exceptions, &out);
  PutSeeds(plan, &out);
  BitWriter w(&out);
  WritePacked(plan, &w);
  w.Flush();
  return out;
}

// Gorilla's value coding (xor_chunk.h), without the interleaved timestamps:
// the first value raw, then per value '0' (same), '10' + the bits inside the
// previous leading/trailing-zero window, or '11' + 5-bit leading zeros
// (at most 31) + 6-bit length (0 for 64) + the bits.
std::string EncodeXorValues(std::span<const Sample> samples) {
  std::string out;
  out.push_back(static_cast<char>(kXorValues << 4));
  BitWriter w(&out);
  uint64_t prev = 0;
  int leading = -1, trailing = 0;  // -1: no window yet
  for (size_t i = 0; i < samples.size(); ++i) {
    const uint64_t bits = Bits(samples[i].value);
    if (i == 0) {
      w.Write(bits, 64);
      prev = bits;
      continue;
    }
    const uint64_t x = bits ^ prev;
    prev = bits;
    if (x == 0) {
      w.Write(0, 1);
      continue;
    }
    const int lead = std::min(std::countl_zero(x), 31);
    const int trail = std::countr_zero(x);
    if (leading >= 0 && lead >= leading && trail >= trailing) {
      w.Write(0b10, 2);
      w.Write(x >> trailing, 64 - leading - trailing);
      continue;
    }
    leading = lead;
    trailing = trail;
    const int sigbits = 64 - lead - trail;
    w.Write(0b11, 2);
    w.Write(static_cast<uint64_t>(lead), 5);
    w.Write(static_cast<uint64_t>(sigbits == 64 ? 0 : sigbits), 6);
    w.Write(x >> trail, sigbits);
  }
  w.Flush();
  return out;
}

bool DecodeXorValues(BitReader* bits, size_t n, Sample* s) {
  uint64_t prev = 0;
  int leading = -1, trailing = 0;
  for (size_t i = 0; i < n; ++i) {
    if (i == 0) {
      if (!bits->Read(64, &prev)) return false;
      s[0].value = std::bit_cast<double>(prev);
      continue;
    }
    uint64_t flag;
    if (!bits->Read(1, &flag)) return false;
    if (flag != 0) {
      if (!bits->Read(1, &flag)) return false;
      uint64_t x;
      if (flag == 0) {
        if (leading < 0 || !bits->Read(64 - leading - trailing, &x)) return false;
        prev ^= x << trailing;
      } else {
        uint64_t lead, sig;
        if (!bits->Read(5, &lead) || !bits->Read(6, &sig)) return false;
        const int sigbits = sig == 0 ? 64 : static_cast<int>(sig);
        if (static_cast<int>(lead) + sigbits > 64) return false;
        leading = static_cast<int>(lead);
        trailing = 64 - leading - sigbits;
        if (!bits->Read(sigbits, &x)) return false;
        prev ^= x << trailing;
      }
    }
    s[i].value = std::bit_cast<double>(prev);
  }
  return true;
}

// Reads a timestamp section into s[0..n), n from the section's own header.
absl::Status DecodeTimestamps(std::string_view section, std::vector<Sample>* out, size_t* n_out) {
  ByteReader r(section);
  std::string_view head;
  uint64_t n;
  if (!r.GetBytes(1, &head) || !r.GetVarint(&n)) return Corrupt("truncated timestamp header");
  const int mode = static_cast<uint8_t>(head[0]);
  if (mode >= kNumModes) return Corrupt("bad timestamp mode");
  if (n > kMaxChunkSamples) return Corrupt(fmt::format("sample count {} over {}", n, kMaxChunkSamples));
  std::array<uint64_t, kMaxSeeds> seeds{};
  if (!ReadSeeds(&r, mode, n, &seeds)) return Corrupt("truncated timestamp seeds");
  BitReader bits = RemainingBits(&r);
  const size_t base = out->size();
  out->resize(base + n);
  if (!ReadTimestamps(&bits, mode, seeds, n, out->data() + base)) return Corrupt("truncated timestamps");
  if (!bits.AtPaddedEnd()) return Corrupt("trailing bytes after the timestamps");
  *n_out = n;
  return absl::OkStatus();
}

absl::Status DecodeValues(std::string_view section, size_t n, Sample* s) {
  ByteReader r(section);
  std::string_view head;
  if (!r.GetBytes(1, &head)) return Corrupt("no value section");
  const int kind = static_cast<uint8_t>(head[0]) >> 4;
  const int mode = static_cast<uint8_t>(head[0]) & 0xf;
  if (kind == kXorValues) {
    if (mode != 0) return Corrupt("bad value header");
    BitReader bits = RemainingBits(&r);
    if (!DecodeXorValues(&bits, n, s)) return Corrupt("truncated XOR values");
    if (!bits.AtPaddedEnd()) return Corrupt("trailing bytes");
    return absl::OkStatus();
  }
  if (kind != kMantissas || mode >= kNumModes) return Corrupt("bad value header");
  std::string_view eb;
  if (!r.GetBytes(1, &eb)) return Corrupt("truncated exponent");
  const int e = static_cast<uint8_t>(eb[0]);
  if (e > kMaxDecimalExponent) return Corrupt(fmt::format("exponent {} over {}", e, kMaxDecimalExponent));
  std::vector<Exception> exceptions;
  if (!ReadExceptions(&r, n, &exceptions)) return Corrupt("bad exceptions");
  std::array<uint64_t, kMaxSeeds> seeds{};
  if (!ReadSeeds(&r, mode, n, &seeds)) return Corrupt("truncated value seeds");
  BitReader bits = RemainingBits(&r);
  if (!ReadMantissaValues(&bits, mode, seeds, n, e, s)) return Corrupt("truncated values");
  if (!bits.AtPaddedEnd()) return Corrupt("trailing bytes");
  for (const auto& [index, vbits] : exceptions) s[index].value = std::bit_cast<double>(vbits);
  return absl::OkStatus();
}

}  // namespace

std::string EncodeSplitChunk(std::span<const Sample> samples) {
  STRATA_CHECK(samples.size() <= kMaxChunkSamples) << "chunk of " << samples.size() << " samples";
  const std::string timestamps = EncodeTimestamps(samples);
  // Integers: mantissas at e = 0 always beat XOR. Decimals: mantissas at
  // their exponent, unless the digits are so many that XOR is smaller.
  // Neither: XOR.
  const int e = SharedExponent(samples);
  std::string values = e >= 0 ? EncodeMantissaValues(samples, e) : EncodeXorValues(samples);
  if (e > 0) {
    std::string xor_values = EncodeXorValues(samples);
    if (xor_values.size() < values.size()) values = std::move(xor_values);
  }
  return JoinChunkTimestamps(timestamps, values);
}

bool SplitChunkTimestamps(std::string_view data, std::string_view* timestamps, std::string_view* values) {
  ByteReader r(data);
  uint64_t size;
  if (!r.GetVarint(&size) || size == 0 || size > r.remaining()) return false;
  *timestamps = std::string_view(r.position(), size);
  *values = std::string_view(r.position() + size, r.remaining() - size);
  return true;
}

std::string JoinChunkTimestamps(std::string_view timestamps, std::string_view values) {
  std::string out;
  out.reserve(timestamps.size() + values.size() + 3);
  PutVarint(&out, timestamps.size());
  out.append(timestamps);
  out.append(values);
  return out;
}

absl::Status DecodeSplitChunk(std::string_view data, std::vector<Sample>* out) {
  std::string_view timestamps, values;
  if (!SplitChunkTimestamps(data, &timestamps, &values)) return Corrupt("bad timestamp section size");
  const size_t base = out->size();
  size_t n = 0;
  absl::Status st = DecodeTimestamps(timestamps, out, &n);
  if (st.ok()) st = DecodeValues(values, n, out->data() + base);
  if (!st.ok()) out->resize(base);
  return st;
}

size_t SplitChunkNumSamples(std::string_view data) {
  std::string_view timestamps, values;
  if (!SplitChunkTimestamps(data, &timestamps, &values)) return 0;
  ByteReader r(timestamps);
  std::string_view head;
  uint64_t n;
  if (!r.GetBytes(1, &head) || !r.GetVarint(&n) || n > kMaxChunkSamples) return 0;
  return static_cast<size_t>(n);
}

}  // namespace strata
