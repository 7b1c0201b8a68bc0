// File: common/rpc/rpc_codec.h
//
// Encoding and decoding of RPC frames (docs/format/rpc.md) without any I/O,
// so the same code serves the client, the server and the tests. Bodies are
// compressed and decompressed here, on whichever thread builds or consumes
// the frame. Protobuf-generated headers stay in rpc_codec.cc.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace strata {

// A decoded Envelope with its body decompressed.
struct RpcMessage {
  uint64_t request_id = 0;
  uint32_t method = 0;
  // A reply's status; also DataLoss (or ResourceExhausted) when the body
  // did not decompress, in which case `body` is empty.
  absl::Status status;
  std::string body;
  // Remaining time the caller allows, in ms (0 = not given); requests only.
  uint64_t timeout_ms = 0;
};

// zstd helpers. Decompress returns DataLoss for corrupt input and
// ResourceExhausted when the content would exceed `max_bytes`.
std::string ZstdCompress(std::string_view data, int level = 1);
absl::StatusOr<std::string> ZstdDecompress(std::string_view data, size_t max_bytes);

// Builds a complete frame (4-byte length + Envelope). The body is
// compressed when it is at least `compress_min_bytes` long and compression
// saves space (compress_min_bytes == 0 disables compression).
std::string EncodeRequestFrame(uint64_t request_id, uint32_t method, std::string_view body, uint64_t timeout_ms,
                               size_t compress_min_bytes);
std::string EncodeReplyFrame(uint64_t request_id, uint32_t method, const absl::StatusOr<std::string>& reply,
                             size_t compress_min_bytes);

// Parses a frame payload (the bytes after the length). Returns DataLoss for
// a payload that is not a valid Envelope (the stream cannot be trusted any
// more); a body that does not decompress is reported in RpcMessage::status.
absl::StatusOr<RpcMessage> DecodeEnvelope(std::string_view payload, size_t max_body_bytes);

// Hello frames.
std::string EncodeHelloFrame(uint32_t protocol_version, std::string_view node_name);
struct RpcHello {
  uint32_t protocol_version = 0;
  std::string node_name;
};
absl::StatusOr<RpcHello> DecodeHello(std::string_view payload);

// Reads the big-endian length of a frame header. REQUIRES: 4 bytes.
uint32_t DecodeFrameLength(const unsigned char* header);

}  // namespace strata
