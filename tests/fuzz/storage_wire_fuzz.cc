// Fuzzes the storage wire decoders (common/rpc/storage_wire.h): every
// request body a storage node decodes from an insert or select node, and
// every reply body those decode from a storage node. The first byte picks
// the message; the rest is its body. Invariants: an error has a message;
// whatever decodes re-encodes to bytes that decode again, and encoding that
// gives the same bytes (decode . encode is the identity on decoded values).
#include <cstdint>
#include <string>

#include "common/rpc/storage_wire.h"
#include "fuzz/fuzz_check.h"

namespace strata::fuzz {
namespace {

template <typename Decode, typename Encode>
void CheckFixedPoint(std::string_view in, Decode decode, Encode encode) {
  auto first = decode(in);
  if (!first.ok()) {
    FUZZ_CHECK(!first.status().message().empty(), "an error without a message");
    return;
  }
  std::string once = encode(*first);
  auto second = decode(once);
  FUZZ_CHECK(second.ok(), "a re-encoded message does not decode: " + second.status().ToString());
  std::string twice = encode(*second);
  FUZZ_CHECK(once == twice, "encode(decode(encode(decode(x)))) differs from encode(decode(x))");
}

}  // namespace
}  // namespace strata::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace strata;
  using fuzz::CheckFixedPoint;
  if (size == 0) return 0;
  std::string_view in = fuzz::AsView(data + 1, size - 1);
  switch (data[0] % 16) {
    case 0: return CheckFixedPoint(in, DecodeSearchRequest, EncodeSearchRequest), 0;
    case 1: return CheckFixedPoint(in, DecodeSearchResult, EncodeSearchResult), 0;
    case 2: return CheckFixedPoint(in, DecodeSearchManyRequest, EncodeSearchManyRequest), 0;
    case 3: {
      // The caller knows how many results to expect: take the count the
      // body holds, found by decoding with each small count.
      for (size_t n = 0; n < 4; ++n) {
        CheckFixedPoint(in, [n](std::string_view b) { return DecodeSearchManyResult(b, n); },
                        EncodeSearchManyResult);
      }
      return 0;
    }
    case 4:
      return CheckFixedPoint(in, DecodeDeleteSeriesRequest,
                             [](const DeleteSeriesRequest& r) { return EncodeDeleteSeriesRequest(r.tenant, r.matchers); }),
             0;
    case 5: return CheckFixedPoint(in, DecodeDeleteSeriesResponse, EncodeDeleteSeriesResponse), 0;
    case 6: return CheckFixedPoint(in, DecodeLabelsRequest, EncodeLabelsRequest), 0;
    case 7: return CheckFixedPoint(in, DecodeLabelsResult, EncodeLabelsResult), 0;
    case 8: return CheckFixedPoint(in, DecodeSeriesLabelsResult, EncodeSeriesLabelsResult), 0;
    case 9: return CheckFixedPoint(in, DecodeTsdbStatusRequest, EncodeTsdbStatusRequest), 0;
    case 10: return CheckFixedPoint(in, DecodeTsdbStatusResult, EncodeTsdbStatusResult), 0;
    case 11:
      return CheckFixedPoint(in, DecodeWriteMetadataRequest,
                             [](const WriteMetadataRequest& r) { return EncodeWriteMetadataRequest(r.tenant, r.metadata); }),
             0;
    case 12: return CheckFixedPoint(in, DecodeMetadataRequest, EncodeMetadataRequest), 0;
    case 13: return CheckFixedPoint(in, DecodeMetadataResult, EncodeMetadataResult), 0;
    case 14: return CheckFixedPoint(in, DecodeExemplarsRequest, EncodeExemplarsRequest), 0;
    default: return CheckFixedPoint(in, DecodeExemplarsResult, EncodeExemplarsResult), 0;
  }
}
