// File: common/rpc/rpc_server.h
//
// The serving side of Strata's node-to-node RPC (docs/format/rpc.md): accepts
// TCP connections, performs the Hello handshake, reads pipelined request
// frames and runs each request's handler on the WorkPool. Handlers answer
// through an RpcReply, from any thread, in any order; replies carry the
// request id. Asio stays in the .cc files.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "common/net/io_pool.h"
#include "common/rpc/rpc_protocol.h"

namespace prometheus {
class Registry;
}

namespace strata {

namespace rpc_internal {
struct ReplyState;
}

struct RpcServerOptions {
  // "host:port"; ":port" listens on all interfaces; port 0 picks a free port.
  std::string listen_address = "127.0.0.1:8400";
  // Sent to clients in the Hello; shows up in their logs.
  std::string node_name = "strata";
  // A client that has not sent its Hello within this time is dropped.
  std::chrono::milliseconds handshake_timeout{5000};
  // Frames longer than this are a protocol error (the connection is closed).
  size_t max_frame_bytes = kRpcMaxFrameBytes;
  // Reply bodies at least this large are zstd-compressed; 0 disables.
  size_t compress_min_bytes = kRpcDefaultCompressMinBytes;
  // A connection with this many unanswered requests is not read from until
  // some are answered (back-pressure through TCP flow control).
  size_t max_inflight_per_connection = 4096;
  // Stop() waits this long for in-flight requests before closing anyway.
  std::chrono::milliseconds shutdown_grace{10000};
  // The version announced in the Hello. Tests only: peers with another
  // version are refused.
  uint32_t protocol_version = kRpcProtocolVersion;
  // When set, exports strata_rpc_server_requests_total{method,result} and
  // strata_rpc_server_request_duration_seconds{method}. Must outlive the
  // server.
  prometheus::Registry* metrics = nullptr;
  // TLS when both are set (-rpc.tlsCertFile, -rpc.tlsKeyFile): PEM
  // certificate chain and key, read by Start(). Every connection must then
  // complete a TLS handshake before its Hello.
  std::string tls_cert_file;
  std::string tls_key_file;
};

// The answer to one request. Move-only; call it exactly once, from any
// thread. If it is destroyed without being called, the client receives
// Internal ("request dropped by handler"), so a request can never hang.
// Calling it after the connection closed or the server stopped is harmless
// (the reply is dropped).
class RpcReply {
 public:
  RpcReply() = default;
  RpcReply(RpcReply&&) noexcept;
  RpcReply& operator=(RpcReply&&) noexcept;
  ~RpcReply();

  // Sends the reply: a body, or an error status delivered to the caller as
  // is. REQUIRES: not called before on this object.
  void operator()(absl::StatusOr<std::string> reply);

  // The caller's deadline (from the request's timeout), or 30 s from arrival
  // when the caller gave none.
  std::chrono::steady_clock::time_point deadline() const;

  explicit RpcReply(std::unique_ptr<rpc_internal::ReplyState> state);

 private:
  std::unique_ptr<rpc_internal::ReplyState> state_;
};

// Runs on a WorkPool thread; must not block for long (hand slow work on).
using RpcMethodHandler = std::function<void(std::string&& request_body, RpcReply reply)>;

// Thread-safety: RegisterMethod before Start(); afterwards Start, port and
// Stop may be called from any non-IoPool thread.
// Lifetime: the IoPool and WorkPool must outlive the server; the IoPool must
// keep running until Stop() returns.
class RpcServer {
 public:
  RpcServer(IoPool& io, WorkPool& work, RpcServerOptions options);
  ~RpcServer();  // Stop()
  RpcServer(const RpcServer&) = delete;
  RpcServer& operator=(const RpcServer&) = delete;

  // REQUIRES: before Start(); one handler per method number. The server
  // answers kRpcMethodPing itself.
  void RegisterMethod(uint32_t method, RpcMethodHandler handler);

  // Binds and starts accepting. InvalidArgument for a malformed address,
  // Unavailable when it cannot be bound.
  absl::Status Start();

  // The bound port; 0 before Start().
  uint16_t port() const;

  // Shutdown, in order: stop accepting; answer new requests with
  // Unavailable ("shutting down"); wait up to shutdown_grace for in-flight
  // handlers to reply; close every connection. Blocks; idempotent.
  void Stop();

 private:
  friend struct rpc_internal::ReplyState;
  class Impl;
  std::shared_ptr<Impl> impl_;
};

}  // namespace strata
