#include "common/rpc/rpc_codec.h"

#include <zstd.h>

#include "common/base/status.h"
#include "common/rpc/rpc_protocol.h"
#include "fmt/format.h"
#include "strata/rpc.pb.h"

namespace strata {

namespace {

void AppendFrame(const google::protobuf::MessageLite& msg, std::string* out) {
  size_t size = msg.ByteSizeLong();
  out->resize(kRpcFrameHeaderBytes + size);
  auto* p = reinterpret_cast<unsigned char*>(out->data());
  p[0] = static_cast<unsigned char>(size >> 24);
  p[1] = static_cast<unsigned char>(size >> 16);
  p[2] = static_cast<unsigned char>(size >> 8);
  p[3] = static_cast<unsigned char>(size);
  msg.SerializeWithCachedSizesToArray(p + kRpcFrameHeaderBytes);
}

void SetBody(std::string_view body, size_t compress_min_bytes, rpc::Envelope* env) {
  if (compress_min_bytes > 0 && body.size() >= compress_min_bytes) {
    std::string packed = ZstdCompress(body);
    if (packed.size() < body.size()) {
      env->set_flags(env->flags() | kRpcFlagZstd);
      env->set_body(std::move(packed));
      return;
    }
  }
  env->set_body(body.data(), body.size());
}

}  // namespace

std::string ZstdCompress(std::string_view data, int level) {
  std::string out;
  out.resize(ZSTD_compressBound(data.size()));
  size_t n = ZSTD_compress(out.data(), out.size(), data.data(), data.size(), level);
  // Compression into a ZSTD_compressBound buffer cannot fail.
  out.resize(ZSTD_isError(n) ? 0 : n);
  return out;
}

absl::StatusOr<std::string> ZstdDecompress(std::string_view data, size_t max_bytes) {
  unsigned long long size = ZSTD_getFrameContentSize(data.data(), data.size());
  if (size == ZSTD_CONTENTSIZE_ERROR || size == ZSTD_CONTENTSIZE_UNKNOWN) {
    return absl::DataLossError("cannot decompress RPC body: not a zstd frame with a content size");
  }
  if (size > max_bytes) {
    return absl::ResourceExhaustedError(
        fmt::format("RPC body decompresses to {} bytes, over the limit of {}", size, max_bytes));
  }
  std::string out;
  out.resize(static_cast<size_t>(size));
  size_t n = ZSTD_decompress(out.data(), out.size(), data.data(), data.size());
  if (ZSTD_isError(n) || n != out.size()) {
    return absl::DataLossError(
        fmt::format("cannot decompress RPC body: {}", ZSTD_isError(n) ? ZSTD_getErrorName(n) : "size mismatch"));
  }
  return out;
}

std::string EncodeRequestFrame(uint64_t request_id, uint32_t method, std::string_view body, uint64_t timeout_ms,
                               size_t compress_min_bytes) {
  rpc::Envelope env;
  env.set_request_id(request_id);
  env.set_method(method);
  env.set_timeout_ms(timeout_ms);
  SetBody(body, compress_min_bytes, &env);
  std::string out;
  AppendFrame(env, &out);
  return out;
}

std::string EncodeReplyFrame(uint64_t request_id, uint32_t method, const absl::StatusOr<std::string>& reply,
                             size_t compress_min_bytes) {
  rpc::Envelope env;
  env.set_request_id(request_id);
  env.set_method(method);
  if (reply.ok()) {
    SetBody(*reply, compress_min_bytes, &env);
  } else {
    env.set_status_code(static_cast<uint32_t>(reply.status().code()));
    env.set_error_message(std::string(reply.status().message()));
  }
  std::string out;
  AppendFrame(env, &out);
  return out;
}

absl::StatusOr<RpcMessage> DecodeEnvelope(std::string_view payload, size_t max_body_bytes) {
  rpc::Envelope env;
  if (!env.ParseFromArray(payload.data(), static_cast<int>(payload.size()))) {
    return absl::DataLossError(fmt::format("cannot parse RPC envelope of {} bytes", payload.size()));
  }
  RpcMessage msg;
  msg.request_id = env.request_id();
  msg.method = env.method();
  msg.timeout_ms = env.timeout_ms();
  if (env.status_code() != 0) {
    auto code = static_cast<absl::StatusCode>(env.status_code());
    // A code this build does not know is still an error.
    if (env.status_code() > static_cast<uint32_t>(absl::StatusCode::kUnauthenticated)) code = absl::StatusCode::kUnknown;
    msg.status = absl::Status(code, env.error_message());
  }
  if (env.flags() & kRpcFlagZstd) {
    auto body = ZstdDecompress(env.body(), max_body_bytes);
    if (!body.ok()) {
      // The frame itself is fine, so only this request or reply fails.
      msg.status = Annotate(body.status(), fmt::format("RPC body of request {}", msg.request_id));
      return msg;
    }
    msg.body = std::move(*body);
  } else {
    msg.body = std::move(*env.mutable_body());
  }
  return msg;
}

std::string EncodeHelloFrame(uint32_t protocol_version, std::string_view node_name) {
  rpc::Hello hello;
  hello.set_protocol_version(protocol_version);
  hello.set_node_name(node_name.data(), node_name.size());
  std::string out;
  AppendFrame(hello, &out);
  return out;
}

absl::StatusOr<RpcHello> DecodeHello(std::string_view payload) {
  rpc::Hello hello;
  if (!hello.ParseFromArray(payload.data(), static_cast<int>(payload.size()))) {
    return absl::DataLossError("cannot parse RPC hello");
  }
  return RpcHello{hello.protocol_version(), hello.node_name()};
}

uint32_t DecodeFrameLength(const unsigned char* h) {
  return (uint32_t{h[0]} << 24) | (uint32_t{h[1]} << 16) | (uint32_t{h[2]} << 8) | uint32_t{h[3]};
}

}  // namespace strata
