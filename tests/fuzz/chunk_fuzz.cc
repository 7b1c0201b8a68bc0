// Fuzzes the chunk codecs (common/chunkenc/chunk_codec.h): the select node
// decodes the chunk bytes every storage node sends (SearchResult), so
// DecodeChunk reads peer input. The first byte picks the encoding (kXor,
// kIntDelta, kDecimal, kSplit) and a mode:
//   mode 0: the rest is chunk bytes. Invariants: a decode appends exactly
//           ChunkNumSamples samples or fails with DataLoss leaving the output
//           as it was; decoded samples with non-decreasing timestamps
//           re-encode (same encoding, and EncodeBest) to the same bits.
//   mode 1: the rest is samples (8-byte first timestamp or step, 8-byte
//           value), timestamps non-decreasing; each encoding and EncodeBest decode them
//           back bit for bit.
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "common/chunkenc/chunk_codec.h"
#include "fuzz/fuzz_check.h"

namespace strata::fuzz {
namespace {

void CheckEncodes(ChunkEncoding encoding, std::span<const Sample> samples) {
  for (const EncodedChunk& c : {EncodedChunk{encoding, EncodeChunk(encoding, samples)}, EncodeBest(samples)}) {
    std::vector<Sample> back;
    absl::Status s = DecodeChunk(c.encoding, c.data, &back);
    FUZZ_CHECK(s.ok(), "an encoded chunk does not decode: " + s.ToString());
    FUZZ_CHECK(SameSamples(back, samples), "a chunk round trip changed the samples");
    FUZZ_CHECK(ChunkNumSamples(c.encoding, c.data) == samples.size(), "the chunk header has the wrong count");
  }
}

bool NonDecreasing(std::span<const Sample> samples) {
  for (size_t i = 1; i < samples.size(); ++i) {
    if (samples[i].timestamp_ms < samples[i - 1].timestamp_ms) return false;
  }
  return true;
}

}  // namespace
}  // namespace strata::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace strata;
  using namespace strata::fuzz;
  if (size == 0) return 0;
  const auto encoding = static_cast<ChunkEncoding>(1 + (data[0] & 0x7f) % 4);
  std::string_view in = AsView(data + 1, size - 1);
  if ((data[0] & 0x80) == 0) {
    std::vector<Sample> out = {{-1, 42}};  // a decode appends after this
    absl::Status s = DecodeChunk(encoding, in, &out);
    if (!s.ok()) {
      FUZZ_CHECK(absl::IsDataLoss(s), s.ToString());
      FUZZ_CHECK(out.size() == 1, "a failed decode changed the output");
      return 0;
    }
    std::span<const Sample> decoded = std::span<const Sample>(out).subspan(1);
    FUZZ_CHECK(decoded.size() == ChunkNumSamples(encoding, in), "the decoded count is not the header's");
    if (decoded.size() <= kMaxChunkSamples && NonDecreasing(decoded)) CheckEncodes(encoding, decoded);
    return 0;
  }
  std::vector<Sample> samples;
  int64_t ts = 0;
  for (size_t i = 0; i + 16 <= in.size() && samples.size() < kMaxChunkSamples; i += 16) {
    uint64_t delta, bits;
    std::memcpy(&delta, in.data() + i, 8);
    std::memcpy(&bits, in.data() + i + 8, 8);
    if (i == 0) {
      ts = static_cast<int64_t>(delta);  // the first timestamp: any int64
    } else {
      // Small steps mostly (as scrapes), any non-negative step sometimes.
      uint64_t step = (delta & 1) ? (delta >> 1) : ((delta >> 1) & 0xffff);
      uint64_t room = static_cast<uint64_t>(INT64_MAX) - static_cast<uint64_t>(ts);
      if (step > room) break;
      ts = static_cast<int64_t>(static_cast<uint64_t>(ts) + step);
    }
    samples.push_back({ts, std::bit_cast<double>(bits)});
  }
  CheckEncodes(encoding, samples);
  return 0;
}
