#include "common/rpc/rpc_internal.h"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/ssl/host_name_verification.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <vector>

#include "common/base/logging.h"
#include "common/base/status.h"
#include "common/rpc/rpc_protocol.h"

namespace strata::rpc_internal {

using net_internal::LogCoroutineException;

using boost::system::error_code;

namespace {
// Frames written per gathered write; bounds the iovec count.
constexpr size_t kMaxFramesPerWrite = 64;
// Hello frames are tiny; a bigger one is not a Strata peer.
constexpr size_t kMaxHelloBytes = 4096;
}  // namespace


void FramedConnection::Send(std::string frame) {
  if (closed_) return;
  outbox_.push_back(std::move(frame));
  if (writing_) return;
  writing_ = true;
  asio::co_spawn(strand_, WriteLoop(), [self = shared_from_this()](std::exception_ptr e) {
    LogCoroutineException("RPC writer", e);
    self->writing_ = false;
  });
}

void FramedConnection::Close() {
  if (closed_) return;
  closed_ = true;
  outbox_.clear();
  error_code ec;
  // No TLS close_notify: the frames carry their own ends, and a peer that
  // stopped answering must not hold the close.
  socket().shutdown(tcp::socket::shutdown_both, ec);
  socket().close(ec);
}

asio::awaitable<absl::Status> FramedConnection::StartTls(std::shared_ptr<asio::ssl::context> context,
                                                         asio::ssl::stream_base::handshake_type type,
                                                         const std::string& server_name,
                                                         std::chrono::milliseconds timeout) {
  tls_context_ = std::move(context);
  tls_ = std::make_unique<asio::ssl::stream<tcp::socket>>(std::move(socket_), *tls_context_);
  if (!server_name.empty()) {
    // SNI, and the name the certificate must carry (DNS name or IP address).
    SSL_set_tlsext_host_name(tls_->native_handle(), server_name.c_str());
    tls_->set_verify_callback(asio::ssl::host_name_verification(server_name));
  }
  ConnectionDeadline deadline(shared_from_this(), timeout);
  error_code ec;
  co_await tls_->async_handshake(type, asio::redirect_error(asio::use_awaitable, ec));
  if (deadline.fired()) {
    co_return absl::UnavailableError(fmt::format("TLS handshake timed out after {} ms", timeout.count()));
  }
  if (ec) co_return absl::UnavailableError(fmt::format("TLS handshake failed: {}", ec.message()));
  co_return absl::OkStatus();
}

asio::awaitable<void> FramedConnection::ReadExactly(asio::mutable_buffer buffer, error_code& ec) {
  if (tls_) {
    co_await asio::async_read(*tls_, buffer, asio::redirect_error(asio::use_awaitable, ec));
  } else {
    co_await asio::async_read(socket_, buffer, asio::redirect_error(asio::use_awaitable, ec));
  }
}

asio::awaitable<void> FramedConnection::WriteLoop() {
  auto self = shared_from_this();
  std::vector<std::string> batch;
  std::vector<asio::const_buffer> buffers;
  while (!outbox_.empty() && !closed_) {
    batch.clear();
    buffers.clear();
    while (!outbox_.empty() && batch.size() < kMaxFramesPerWrite) {
      batch.push_back(std::move(outbox_.front()));
      outbox_.pop_front();
    }
    for (const std::string& f : batch) buffers.push_back(asio::buffer(f));
    error_code ec;
    if (tls_) {
      co_await asio::async_write(*tls_, buffers, asio::redirect_error(asio::use_awaitable, ec));
    } else {
      co_await asio::async_write(socket_, buffers, asio::redirect_error(asio::use_awaitable, ec));
    }
    if (ec) {
      // The reader sees the closed socket and reports the loss.
      Close();
      break;
    }
  }
  writing_ = false;
}

ConnectionDeadline::ConnectionDeadline(const std::shared_ptr<FramedConnection>& conn,
                                       std::chrono::milliseconds timeout)
    : timer_(conn->strand(), timeout), fired_(std::make_shared<bool>(false)) {
  timer_.async_wait([conn, fired = fired_](error_code ec) {
    if (ec) return;
    *fired = true;
    conn->Close();
  });
}

ConnectionDeadline::~ConnectionDeadline() { timer_.cancel(); }

asio::awaitable<absl::Status> ReadFrame(FramedConnection& conn, size_t max_frame_bytes, std::string* payload) {
  unsigned char header[kRpcFrameHeaderBytes];
  error_code ec;
  co_await conn.ReadExactly(asio::buffer(header), ec);
  if (ec) {
    co_return absl::UnavailableError(
        ec == asio::error::eof ? std::string("connection closed by peer") : fmt::format("read failed: {}", ec.message()));
  }
  uint32_t length = DecodeFrameLength(header);
  if (length > max_frame_bytes) {
    co_return absl::DataLossError(
        fmt::format("frame of {} bytes exceeds the limit of {} bytes (not a Strata RPC peer?)", length, max_frame_bytes));
  }
  payload->resize(length);
  co_await conn.ReadExactly(asio::buffer(*payload), ec);
  if (ec) {
    co_return absl::UnavailableError(ec == asio::error::eof ? std::string("connection closed by peer mid-frame")
                                                            : fmt::format("read failed mid-frame: {}", ec.message()));
  }
  co_return absl::OkStatus();
}

asio::awaitable<absl::StatusOr<RpcHello>> Handshake(std::shared_ptr<FramedConnection> conn, uint32_t version,
                                                   std::string node_name, std::chrono::milliseconds timeout) {
  ConnectionDeadline deadline(conn, timeout);
  conn->Send(EncodeHelloFrame(version, node_name));
  std::string payload;
  absl::Status read = co_await ReadFrame(*conn, kMaxHelloBytes, &payload);
  if (deadline.fired()) {
    co_return absl::DeadlineExceededError(fmt::format("no handshake from the peer within {} ms", timeout.count()));
  }
  if (!read.ok()) co_return absl::UnavailableError(fmt::format("handshake failed: {}", ToStd(read.message())));
  auto hello = DecodeHello(payload);
  if (!hello.ok()) co_return absl::UnavailableError(fmt::format("handshake failed: {}", ToStd(hello.status().message())));
  if (hello->protocol_version != version) {
    co_return absl::FailedPreconditionError(
        fmt::format("RPC protocol version mismatch: peer \"{}\" speaks version {}, this node speaks {}",
                    hello->node_name, hello->protocol_version, version));
  }
  co_return *hello;
}

}  // namespace strata::rpc_internal
