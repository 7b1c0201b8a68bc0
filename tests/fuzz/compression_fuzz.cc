// Fuzzes the body codecs: snappy blocks (remote_write), gzip
// (Content-Encoding of every HTTP body) and zstd (RPC bodies). The first
// byte chooses the codec; the rest is handed to its decoder with an output
// cap. Invariants: a decoder never returns more than its cap; what it
// returns compresses and decompresses back to itself; and any bytes at all
// survive a compress/decompress round trip.
#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "common/net/gzip.h"
#include "common/prompb/remote_write_decoder.h"
#include "common/prompb/remote_write_encoder.h"
#include "common/rpc/rpc_codec.h"
#include "fuzz/fuzz_check.h"

namespace strata::fuzz {
namespace {

constexpr size_t kMaxOutput = 1 << 20;

absl::StatusOr<std::string> Decode(int codec, std::string_view in, size_t max) {
  switch (codec) {
    case 0: {
      std::string out;
      absl::Status s = SnappyUncompress(in, max, &out);
      if (!s.ok()) return s;
      return out;
    }
    case 1:
      return GzipDecompress(in, max);
    default:
      return ZstdDecompress(in, max);
  }
}

std::string Encode(int codec, std::string_view in) {
  switch (codec) {
    case 0: {
      std::string out;
      SnappyCompress(in, &out);
      return out;
    }
    case 1:
      return GzipCompress(in, 1);
    default:
      return ZstdCompress(in, 1);
  }
}

void CheckRoundTrip(int codec, std::string_view data) {
  absl::StatusOr<std::string> back = Decode(codec, Encode(codec, data), data.size());
  FUZZ_CHECK(back.ok(), back.status().ToString());
  FUZZ_CHECK(*back == data, "a round trip changed the data");
}

}  // namespace
}  // namespace strata::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace strata::fuzz;
  if (size == 0) return 0;
  const int codec = data[0] % 3;
  std::string_view in = AsView(data + 1, size - 1);
  absl::StatusOr<std::string> out = Decode(codec, in, kMaxOutput);
  if (out.ok()) {
    FUZZ_CHECK(out->size() <= kMaxOutput, "a decoder passed its output cap");
    CheckRoundTrip(codec, *out);
  } else {
    FUZZ_CHECK(!out.status().message().empty(), "an error without a message");
  }
  CheckRoundTrip(codec, in);
  return 0;
}
