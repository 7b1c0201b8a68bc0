// Fuzzes the RPC frame decoder (common/rpc/rpc_codec.h): the Envelope of
// every frame a peer sends (with its zstd body) and the Hello frame.
// Invariants: a frame encoded from what was decoded decodes to the same
// request id, method, timeout, status and body, compressed or not; the
// frame's length header matches its size; the same for Hello.
#include <cstdint>
#include <string>

#include "common/rpc/rpc_codec.h"
#include "fuzz/fuzz_check.h"

namespace strata::fuzz {
namespace {

constexpr size_t kMaxBody = 1 << 20;

// The payload of a frame, after checking its length header.
std::string_view Payload(const std::string& frame) {
  FUZZ_CHECK(frame.size() >= 4, "a frame without its length");
  FUZZ_CHECK(DecodeFrameLength(reinterpret_cast<const unsigned char*>(frame.data())) == frame.size() - 4,
             "the length header does not match the frame");
  return std::string_view(frame).substr(4);
}

void CheckSame(const RpcMessage& a, const RpcMessage& b, bool reply) {
  FUZZ_CHECK(a.request_id == b.request_id && a.method == b.method, "id or method changed in a round trip");
  FUZZ_CHECK(a.body == b.body, "the body changed in a round trip");
  if (reply) {
    FUZZ_CHECK(a.status.code() == b.status.code() && a.status.message() == b.status.message(),
               "the status changed in a round trip: " + a.status.ToString() + " vs " + b.status.ToString());
  } else {
    FUZZ_CHECK(a.timeout_ms == b.timeout_ms, "the timeout changed in a round trip");
  }
}

}  // namespace
}  // namespace strata::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace strata;
  using namespace strata::fuzz;
  std::string_view payload = AsView(data, size);
  absl::StatusOr<RpcMessage> m = DecodeEnvelope(payload, kMaxBody);
  if (m.ok()) {
    FUZZ_CHECK(m->body.size() <= kMaxBody, "a body over the cap");
    for (size_t compress : {size_t{0}, size_t{1}}) {
      std::string request = EncodeRequestFrame(m->request_id, m->method, m->body, m->timeout_ms, compress);
      absl::StatusOr<RpcMessage> r = DecodeEnvelope(Payload(request), kMaxBody);
      FUZZ_CHECK(r.ok() && r->status.ok(), "an encoded request does not decode");
      CheckSame(RpcMessage{m->request_id, m->method, absl::OkStatus(), m->body, m->timeout_ms}, *r, false);

      absl::StatusOr<std::string> reply_value =
          m->status.ok() ? absl::StatusOr<std::string>(m->body) : absl::StatusOr<std::string>(m->status);
      std::string reply = EncodeReplyFrame(m->request_id, m->method, reply_value, compress);
      absl::StatusOr<RpcMessage> back = DecodeEnvelope(Payload(reply), kMaxBody);
      FUZZ_CHECK(back.ok(), "an encoded reply does not decode");
      RpcMessage want{m->request_id, m->method, m->status, m->status.ok() ? m->body : std::string(), 0};
      CheckSame(want, *back, true);
    }
  } else {
    FUZZ_CHECK(!m.status().message().empty(), "an error without a message");
  }
  absl::StatusOr<RpcHello> hello = DecodeHello(payload);
  if (hello.ok()) {
    absl::StatusOr<RpcHello> again = DecodeHello(Payload(EncodeHelloFrame(hello->protocol_version, hello->node_name)));
    FUZZ_CHECK(again.ok() && again->protocol_version == hello->protocol_version &&
                   again->node_name == hello->node_name,
               "a Hello changed in a round trip");
  }
  return 0;
}
