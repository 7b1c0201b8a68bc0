#include "common/rpc/rpc_codec.h"

#include <catch2/catch.hpp>
#include <random>

#include "common/rpc/rpc_protocol.h"
#include "strata/rpc.pb.h"

namespace strata {
namespace {

std::string Payload(const std::string& frame) {
  REQUIRE(frame.size() >= kRpcFrameHeaderBytes);
  uint32_t len = DecodeFrameLength(reinterpret_cast<const unsigned char*>(frame.data()));
  REQUIRE(len == frame.size() - kRpcFrameHeaderBytes);
  return frame.substr(kRpcFrameHeaderBytes);
}

TEST_CASE("rpc request frames round trip with a big-endian length prefix", "[common][rpc][unit]") {
  std::string frame = EncodeRequestFrame(42, kRpcMethodStorageSearch, "hello", 1500, 1024);
  CHECK(static_cast<unsigned char>(frame[0]) == 0);
  CHECK(static_cast<unsigned char>(frame[3]) == frame.size() - 4);
  auto msg = DecodeEnvelope(Payload(frame), 1 << 20);
  REQUIRE(msg.ok());
  CHECK(msg->request_id == 42);
  CHECK(msg->method == kRpcMethodStorageSearch);
  CHECK(msg->timeout_ms == 1500);
  CHECK(msg->status.ok());
  CHECK(msg->body == "hello");
}

TEST_CASE("rpc bodies over the threshold travel zstd-compressed and come back intact", "[common][rpc][unit]") {
  std::string body;
  for (int i = 0; i < 10000; ++i) body += "up{job=\"node\"} 1\n";
  std::string frame = EncodeRequestFrame(1, kRpcMethodStorageWrite, body, 0, 1024);
  CHECK(frame.size() < body.size() / 10);
  rpc::Envelope env;
  REQUIRE(env.ParseFromString(Payload(frame)));
  CHECK((env.flags() & kRpcFlagZstd) != 0);
  auto msg = DecodeEnvelope(Payload(frame), 1 << 24);
  REQUIRE(msg.ok());
  CHECK(msg->body == body);

  // Incompressible bodies are sent as they are.
  std::mt19937 rng(7);
  std::string noise(4096, '\0');
  for (char& c : noise) c = static_cast<char>(rng());
  rpc::Envelope raw;
  REQUIRE(raw.ParseFromString(Payload(EncodeRequestFrame(2, 1, noise, 0, 1024))));
  CHECK((raw.flags() & kRpcFlagZstd) == 0);
  CHECK(raw.body() == noise);
}

TEST_CASE("rpc reply frames carry the status code and message", "[common][rpc][unit]") {
  auto msg = DecodeEnvelope(Payload(EncodeReplyFrame(7, 2, absl::NotFoundError("no such series"), 1024)), 1 << 20);
  REQUIRE(msg.ok());
  CHECK(msg->request_id == 7);
  CHECK(absl::IsNotFound(msg->status));
  CHECK(msg->status.message() == "no such series");
  auto ok = DecodeEnvelope(Payload(EncodeReplyFrame(8, 2, std::string("body"), 1024)), 1 << 20);
  REQUIRE(ok.ok());
  CHECK(ok->status.ok());
  CHECK(ok->body == "body");
}

TEST_CASE("rpc decoding rejects garbage envelopes and reports corrupt bodies per message", "[common][rpc][unit]") {
  CHECK(absl::IsDataLoss(DecodeEnvelope("\xff\xff\xff\xff\xff", 1 << 20).status()));
  rpc::Envelope env;
  env.set_request_id(9);
  env.set_flags(kRpcFlagZstd);
  env.set_body("not zstd at all");
  auto msg = DecodeEnvelope(env.SerializeAsString(), 1 << 20);
  REQUIRE(msg.ok());
  CHECK(msg->request_id == 9);
  CHECK(absl::IsDataLoss(msg->status));
  // A compressed body claiming more than the limit is refused before allocation.
  std::string big(1 << 20, 'a');
  auto limited = DecodeEnvelope(Payload(EncodeRequestFrame(3, 1, big, 0, 1024)), 1000);
  REQUIRE(limited.ok());
  CHECK(absl::IsResourceExhausted(limited->status));
}

TEST_CASE("rpc hello frames round trip", "[common][rpc][unit]") {
  auto hello = DecodeHello(Payload(EncodeHelloFrame(kRpcProtocolVersion, "storage-1")));
  REQUIRE(hello.ok());
  CHECK(hello->protocol_version == kRpcProtocolVersion);
  CHECK(hello->node_name == "storage-1");
}

}  // namespace
}  // namespace strata
