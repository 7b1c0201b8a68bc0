// File: common/rpc/rpc_internal.h
//
// Asio plumbing shared by rpc_client.cc and rpc_server.cc: a framed
// connection with a write queue, frame reading and the Hello handshake.
// Internal: include only from those .cc files (it pulls in Asio).
#pragma once

// Boost 1.74's awaitable.hpp uses std::exchange without including <utility>.
#include <utility>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <chrono>
#include <deque>
#include <exception>
#include <memory>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "common/net/asio_util.h"
#include "common/rpc/rpc_codec.h"

namespace strata::rpc_internal {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using Strand = asio::strand<asio::io_context::executor_type>;

// A socket with an outgoing frame queue, optionally wrapped in TLS. Owned
// by one strand: every member function REQUIRES running on strand() (post
// there from other threads).
class FramedConnection : public std::enable_shared_from_this<FramedConnection> {
 public:
  explicit FramedConnection(Strand strand) : strand_(strand), socket_(strand) {}

  Strand& strand() { return strand_; }
  // The TCP socket (under the TLS layer once StartTls ran).
  tcp::socket& socket() { return tls_ ? tls_->next_layer() : socket_; }

  // Wraps the connected socket in TLS with `context` and runs the handshake
  // as `type`; a client passes the server's name for SNI and verification
  // (empty: none). Bounded by `timeout`. Unavailable with OpenSSL's reason
  // when the handshake fails. Call before anything is sent.
  asio::awaitable<absl::Status> StartTls(std::shared_ptr<asio::ssl::context> context,
                                         asio::ssl::stream_base::handshake_type type, const std::string& server_name,
                                         std::chrono::milliseconds timeout);

  // Reads exactly buffer's size (through TLS when on).
  asio::awaitable<void> ReadExactly(asio::mutable_buffer buffer, boost::system::error_code& ec);
  bool closed() const { return closed_; }
  const std::string& peer() const { return peer_; }
  void set_peer(std::string peer) { peer_ = std::move(peer); }

  // Queues a complete frame and starts the writer when it is idle. Frames
  // sent after Close() are dropped.
  void Send(std::string frame);

  // Closes the socket; the reader and writer then fail and finish.
  void Close();

 private:
  asio::awaitable<void> WriteLoop();

  Strand strand_;
  tcp::socket socket_;
  // Set by StartTls: the stream then owns the socket; `tls_context_` outlives it.
  std::shared_ptr<asio::ssl::context> tls_context_;
  std::unique_ptr<asio::ssl::stream<tcp::socket>> tls_;
  std::string peer_;
  std::deque<std::string> outbox_;
  bool writing_ = false;
  bool closed_ = false;
};

// Closes a connection when a deadline passes unless cancelled first (by
// destruction). Owned by the connection's strand.
class ConnectionDeadline {
 public:
  ConnectionDeadline(const std::shared_ptr<FramedConnection>& conn, std::chrono::milliseconds timeout);
  ~ConnectionDeadline();
  bool fired() const { return *fired_; }

 private:
  asio::steady_timer timer_;
  std::shared_ptr<bool> fired_;
};

// Reads one frame's payload. Returns Unavailable when the connection fails
// or closes, DataLoss for a length over `max_frame_bytes`.
asio::awaitable<absl::Status> ReadFrame(FramedConnection& conn, size_t max_frame_bytes, std::string* payload);

// Sends our Hello and reads the peer's within `timeout`. Returns the peer's
// Hello; FailedPrecondition on a protocol version mismatch; Unavailable or
// DeadlineExceeded when the exchange does not complete.
asio::awaitable<absl::StatusOr<RpcHello>> Handshake(std::shared_ptr<FramedConnection> conn, uint32_t version,
                                                   std::string node_name, std::chrono::milliseconds timeout);

// For co_spawn completion handlers.


}  // namespace strata::rpc_internal
