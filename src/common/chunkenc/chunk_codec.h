// File: common/chunkenc/chunk_codec.h
//
// Every chunk encoding behind one API, and the per-chunk choice among them.
// Gorilla XOR (xor_chunk.h) is the reference; two integer codecs beat it
// where the data allows:
//
//   kIntDelta  values that are integers (counters, byte gauges, 0/1 flags)
//              stored as bit-packed delta or delta-of-delta of int64s;
//   kDecimal   values with few decimal places (0.25, 12.375, load averages)
//              stored as integer mantissas m with v = m / 10^e, e shared by
//              the chunk, then coded like kIntDelta;
//   kSplit     the timestamps in a section of their own, then the values as
//              mantissas (like the two above) or as Gorilla XOR values. The
//              series of one scrape share every timestamp, so a storage node
//              stores one copy of the section for all of them.
//
// All four are lossless bit for bit for every double. In the mantissa
// forms (kIntDelta, kDecimal, kSplit's mantissa values) a value that does
// not survive the integer (or decimal) round trip -- NaN payloads, the stale
// marker, +-Inf, -0.0, subnormals, 17-digit floats -- is kept raw in an
// exception list. Timestamps and mantissas are each coded in whichever of
// five difference modes packs smallest (offset, delta, delta-of-delta,
// delta minus the median step, distance from a straight line), in
// bit-packed blocks of 32; a scrape jittering by a few ms costs the
// jitter's bits instead of Gorilla's 16-bit bucket. Byte layouts:
// docs/format/chunk.md.
//
// Storage calls EncodeSplitChunk when it seals a chunk; select calls
// DecodeChunk with the encoding number that travelled with the bytes
// (ChunkData).
//
//   EncodedChunk c = EncodeBest(samples);        // c.encoding, c.data
//   std::vector<Sample> out;
//   STRATA_RETURN_IF_ERROR(DecodeChunk(c.encoding, c.data, &out));
//
// All functions are thread-safe (no shared state).
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "common/model/sample.h"
#include "common/rpc/storage_api.h"

namespace strata {

// The most samples one chunk of any encoding holds (the XOR count is a u16).
inline constexpr size_t kMaxChunkSamples = 65535;

// The largest shared decimal exponent kDecimal uses: v = m / 10^e, e <= 15.
// 10^15 is exact in a double, and larger exponents would rarely keep
// |m| < 2^53 for the values they are needed for.
inline constexpr int kMaxDecimalExponent = 15;

struct EncodedChunk {
  ChunkEncoding encoding = ChunkEncoding::kXor;
  std::string data;
};

// Encodes `samples` with every applicable encoding and keeps the smallest;
// on a tie the lower encoding number wins, so Gorilla is kept when nothing
// beats it. REQUIRES: samples.size() <= kMaxChunkSamples, timestamps
// non-decreasing (the XOR appender's precondition).
EncodedChunk EncodeBest(std::span<const Sample> samples);

// Encodes with one encoding (for tests, benchmarks and callers that must
// produce a given format). Same REQUIRES as EncodeBest. kIntDelta and
// kDecimal accept any values (unrepresentable ones become exceptions), so
// these never fail; EncodeChunk with an unknown encoding CHECK-fails.
std::string EncodeXorChunk(std::span<const Sample> samples);
std::string EncodeIntDeltaChunk(std::span<const Sample> samples);
// Picks the smallest e in [0, kMaxDecimalExponent] that represents every
// value that any such e can represent.
std::string EncodeDecimalChunk(std::span<const Sample> samples);
std::string EncodeChunk(ChunkEncoding encoding, std::span<const Sample> samples);

// kSplit, with whichever value form is smallest. Same REQUIRES as EncodeBest.
std::string EncodeSplitChunk(std::span<const Sample> samples);
// The timestamp section of a kSplit chunk and the rest (its values); false
// when `data` is too short to hold them. A storage node keeps the section
// apart and rebuilds the chunk with JoinChunkTimestamps.
bool SplitChunkTimestamps(std::string_view data, std::string_view* timestamps, std::string_view* values);
std::string JoinChunkTimestamps(std::string_view timestamps, std::string_view values);

// Appends the samples of `data` to `out`. Unknown encodings, truncated or
// corrupt bytes give DataLoss and leave `out` as it was; never crashes and
// never reads past `data`.
absl::Status DecodeChunk(ChunkEncoding encoding, std::string_view data, std::vector<Sample>* out);

// The sample count recorded in the chunk's header (0 when unreadable).
size_t ChunkNumSamples(ChunkEncoding encoding, std::string_view data);

}  // namespace strata
