#include "common/prompb/remote_write_encoder.h"

#include <bit>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "common/prompb/remote_write_decoder.h"
#include "prompb/remote.pb.h"

namespace strata {
namespace {

TEST_CASE("RemoteWriteEncoder bodies decode with libprotobuf and with the zero-copy decoder",
          "[prompb][encoder]") {
  RemoteWriteEncoder encoder;
  std::vector<LabelView> a = {{"__name__", "node_memory_MemFree_bytes"}, {"instance", "h:9100"}};
  std::vector<Sample> samples = {{1700000000000, 1.5e9}, {1700000015000, StaleNaN()}, {-3, -0.0}};
  encoder.AddSeries(a, samples);
  encoder.AddSeries(Labels::FromUnsorted({{"job", "node"}, {"__name__", "up"}}), std::span<const Sample>(samples).first(1));
  REQUIRE(encoder.series_count() == 2);

  prometheus::WriteRequest ref;
  REQUIRE(ref.ParseFromString(encoder.proto()));
  REQUIRE(ref.timeseries_size() == 2);
  CHECK(ref.timeseries(0).labels(0).value() == "node_memory_MemFree_bytes");
  CHECK(std::bit_cast<uint64_t>(ref.timeseries(0).samples(1).value()) == kStaleNaNBits);
  CHECK(ref.timeseries(0).samples(2).timestamp() == -3);
  CHECK(ref.timeseries(1).labels(1).name() == "job");

  std::string proto = encoder.proto();
  std::string body = encoder.FinishSnappy();
  CHECK(encoder.series_count() == 0);
  RemoteWriteDecoder decoder;
  auto reader = decoder.Decompress(body);
  REQUIRE(reader.ok());
  CHECK(decoder.buffer() == proto);
  WriteRequestSeries s;
  REQUIRE(reader->Next(&s));
  REQUIRE(s.samples.size() == 3);
  CHECK(SameBits(s.samples[1], Sample{1700000015000, StaleNaN()}));
  CHECK(SameBits(s.samples[2], Sample{-3, -0.0}));
  REQUIRE(reader->Next(&s));
  CHECK(s.labels[0].value == "up");
  CHECK_FALSE(reader->Next(&s));
  CHECK(reader->status().ok());
}

}  // namespace
}  // namespace strata
