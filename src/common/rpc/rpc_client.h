// File: common/rpc/rpc_client.h
//
// The calling side of Strata's node-to-node RPC (docs/format/rpc.md): one
// persistent TCP connection to one peer, with pipelined requests (replies
// are matched by request id and may arrive in any order), per-call
// deadlines, transparent zstd compression of large bodies, and reconnection
// with jittered exponential backoff. Asio stays in the .cc files.
//
// Connection states (all transitions happen on the client's strand):
//   kConnecting  - resolving, connecting, exchanging Hello. Calls wait for
//                  the outcome (bounded by their deadlines). -> kConnected,
//                  kBackoff, kClosed.
//   kConnected   - calls are sent at once. On loss every outstanding call
//                  fails with Unavailable. -> kConnecting (at once if the
//                  connection had lived a while, else via kBackoff), kClosed.
//   kBackoff     - waiting before the next attempt; calls fail fast with
//                  Unavailable. -> kConnecting, kClosed.
//   kClosed      - terminal; calls fail with Unavailable.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "absl/functional/any_invocable.h"
#include "absl/status/statusor.h"
#include "common/net/io_pool.h"
#include "common/rpc/rpc_protocol.h"

namespace prometheus {
class Registry;
}

namespace strata {

struct RpcClientOptions {
  // "host:port" of the peer's RPC server.
  std::string address;
  // Sent to the server in the Hello.
  std::string node_name = "strata";
  // Bounds TCP connect, and separately the Hello exchange.
  std::chrono::milliseconds connect_timeout{2000};
  std::chrono::milliseconds handshake_timeout{5000};
  // Reconnect backoff: doubles per failed attempt from min to max, with
  // +-20% jitter; reset by a successful handshake.
  std::chrono::milliseconds min_backoff{100};
  std::chrono::milliseconds max_backoff{5000};
  // Request bodies at least this large are zstd-compressed; 0 disables.
  size_t compress_min_bytes = kRpcDefaultCompressMinBytes;
  size_t max_frame_bytes = kRpcMaxFrameBytes;
  // Tests only: the version announced in the Hello.
  uint32_t protocol_version = kRpcProtocolVersion;
  // When set, exports strata_rpc_client_requests_total{method,peer,result},
  // strata_rpc_client_request_duration_seconds{method,peer} and
  // strata_rpc_connected{peer}. Must outlive the client.
  prometheus::Registry* metrics = nullptr;
  // TLS towards the server (-rpc.tls): its certificate is verified against
  // `tls_ca_file` (empty: the system's CAs) and must name the host of
  // `address`, unless `tls_insecure_skip_verify`.
  bool tls = false;
  std::string tls_ca_file;
  bool tls_insecure_skip_verify = false;
};

// Thread-safe. Callbacks run on an IoPool thread and must not block.
// Lifetime: the IoPool must outlive the client and keep running until
// Close() (or the destructor) returns.
class RpcClient {
 public:
  using DoneCallback = absl::AnyInvocable<void(absl::StatusOr<std::string>)>;

  // Starts connecting at once, in the background.
  RpcClient(IoPool& io, RpcClientOptions options);
  ~RpcClient();  // Close()
  RpcClient(const RpcClient&) = delete;
  RpcClient& operator=(const RpcClient&) = delete;

  // Sends a request; `done` is called exactly once with the reply body or:
  //   Unavailable       - not connected (in backoff, closed), or the
  //                       connection was lost before the reply;
  //   DeadlineExceeded  - no reply by `deadline` (a late reply is ignored);
  //   DataLoss          - the reply could not be decoded;
  //   any status the server's handler replied with.
  // Never blocks; never queues beyond one connection attempt.
  void Call(uint32_t method, std::string body, std::chrono::steady_clock::time_point deadline, DoneCallback done);
  // Same, for a body shared with other calls (replicated batches): spares a copy.
  void Call(uint32_t method, std::shared_ptr<const std::string> body, std::chrono::steady_clock::time_point deadline,
            DoneCallback done);

  // True while the connection is up (handshake done).
  bool IsConnected() const;

  // Fails every outstanding call with Unavailable and stops reconnecting.
  // Blocks until callbacks are done, except when called from an IoPool
  // thread (then it completes asynchronously). Idempotent.
  void Close();

  const std::string& address() const;

 private:
  class Impl;
  std::shared_ptr<Impl> impl_;
};

}  // namespace strata
