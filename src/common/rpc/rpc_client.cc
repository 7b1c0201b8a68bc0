#include "common/rpc/rpc_client.h"

#include <atomic>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <random>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/notification.h"
#include "common/base/logging.h"
#include "common/base/status.h"
#include "common/net/http_server.h"  // SplitHostPort
#include "common/rpc/rpc_internal.h"
#include "common/net/tls_context.h"
#include "prometheus/counter.h"
#include "prometheus/family.h"
#include "prometheus/gauge.h"
#include "prometheus/histogram.h"
#include "prometheus/registry.h"

namespace strata {

using net_internal::LogCoroutineException;

using namespace rpc_internal;  // NOLINT: internal plumbing of this module
using boost::system::error_code;

namespace {
// A connection that lived at least this long is followed by an immediate
// reconnect; a shorter one counts as a failed attempt (backoff grows).
constexpr std::chrono::seconds kStableConnection{1};
}  // namespace

class RpcClient::Impl : public std::enable_shared_from_this<RpcClient::Impl> {
 public:
  Impl(IoPool& io, RpcClientOptions options)
      : io_(io), options_(std::move(options)), strand_(asio::make_strand(io.context())), backoff_timer_(strand_),
        rng_(std::random_device{}()) {
    if (options_.metrics != nullptr) {
      requests_ = &prometheus::BuildCounter()
                       .Name("strata_rpc_client_requests_total")
                       .Help("RPC calls made, by method, peer and result.")
                       .Register(*options_.metrics);
      durations_ = &prometheus::BuildHistogram()
                        .Name("strata_rpc_client_request_duration_seconds")
                        .Help("Time from a call to its outcome.")
                        .Register(*options_.metrics);
      connected_gauge_ = &prometheus::BuildGauge()
                              .Name("strata_rpc_connected")
                              .Help("1 while the RPC connection to the peer is up.")
                              .Register(*options_.metrics)
                              .Add({{"peer", options_.address}});
    }
  }

  void Start() {
    asio::co_spawn(strand_, Run(), [self = shared_from_this()](std::exception_ptr e) {
      LogCoroutineException("RPC client", e);
      self->state_ = State::kClosed;
      self->FailAll(absl::UnavailableError(fmt::format("RPC client for {} closed", self->options_.address)));
      self->finished_.Notify();
    });
  }

  void Call(uint32_t method, std::string_view body, std::chrono::steady_clock::time_point deadline,
            DoneCallback done);
  void Close();
  bool IsConnected() const { return connected_.load(); }
  const std::string& address() const { return options_.address; }

 private:
  enum class State { kConnecting, kConnected, kBackoff, kClosed };

  struct PendingCall {
    DoneCallback done;
    std::unique_ptr<asio::steady_timer> timer;
    uint32_t method = 0;
    std::chrono::steady_clock::time_point start;
  };

  asio::awaitable<void> Run();
  asio::awaitable<absl::StatusOr<std::shared_ptr<FramedConnection>>> Connect();
  asio::awaitable<absl::Status> ReadReplies(std::shared_ptr<FramedConnection> conn);
  // On the strand.
  void StartCall(uint64_t id, uint32_t method, std::string frame, std::chrono::steady_clock::time_point deadline,
                 std::chrono::steady_clock::time_point start, DoneCallback done);
  void Finish(uint64_t id, absl::StatusOr<std::string> result);
  void FailAll(const absl::Status& status);
  void SetConnected(bool up) {
    connected_ = up;
    if (connected_gauge_ != nullptr) connected_gauge_->Set(up ? 1 : 0);
  }
  void Record(uint32_t method, const absl::Status& status, std::chrono::steady_clock::time_point start);
  std::chrono::milliseconds Jitter(std::chrono::milliseconds d) {
    std::uniform_real_distribution<double> dist(0.8, 1.2);
    return std::chrono::milliseconds(static_cast<int64_t>(static_cast<double>(d.count()) * dist(rng_)));
  }

  IoPool& io_;
  RpcClientOptions options_;
  Strand strand_;
  std::atomic<uint64_t> next_id_{1};
  std::atomic<bool> connected_{false};
  absl::Notification finished_;

  // Owned by the strand.
  State state_ = State::kConnecting;
  std::shared_ptr<FramedConnection> conn_;
  std::shared_ptr<FramedConnection> connecting_;  // during Connect(), so Close() can abort it
  absl::flat_hash_map<uint64_t, PendingCall> pending_;
  std::vector<std::string> queued_frames_;  // waiting for the connection attempt
  asio::steady_timer backoff_timer_;
  std::minstd_rand rng_;
  // Built by the first TLS connect (on strand_), then shared by every connection.
  std::shared_ptr<asio::ssl::context> tls_;
  std::string last_error_;

  prometheus::Family<prometheus::Counter>* requests_ = nullptr;
  prometheus::Family<prometheus::Histogram>* durations_ = nullptr;
  prometheus::Gauge* connected_gauge_ = nullptr;
};

asio::awaitable<void> RpcClient::Impl::Run() {
  auto self = shared_from_this();
  std::chrono::milliseconds backoff = options_.min_backoff;
  while (state_ != State::kClosed) {
    state_ = State::kConnecting;
    auto conn = co_await Connect();
    if (state_ == State::kClosed) {
      if (conn.ok()) (*conn)->Close();
      break;
    }
    bool stable = false;
    absl::Status cause;
    if (conn.ok()) {
      conn_ = *conn;
      state_ = State::kConnected;
      SetConnected(true);
      if (!last_error_.empty()) STRATA_LOG(Info, "RPC connection to {} is back", options_.address);
      last_error_.clear();
      backoff = options_.min_backoff;
      for (std::string& f : queued_frames_) conn_->Send(std::move(f));
      queued_frames_.clear();
      auto up_since = std::chrono::steady_clock::now();
      cause = co_await ReadReplies(conn_);
      stable = std::chrono::steady_clock::now() - up_since >= kStableConnection;
      conn_->Close();
      conn_ = nullptr;
      SetConnected(false);
    } else {
      cause = conn.status();
    }
    queued_frames_.clear();
    if (state_ == State::kClosed) break;
    std::string message = std::string(cause.message());
    FailAll(absl::UnavailableError(fmt::format("RPC connection to {} failed: {}", options_.address, message)));
    if (message != last_error_) {
      if (absl::IsFailedPrecondition(cause)) {
        STRATA_LOG(Error, "RPC connection to {} refused: {}", options_.address, message);
      } else {
        STRATA_LOG(Warn, "RPC connection to {} failed: {}; reconnecting with backoff", options_.address, message);
      }
      last_error_ = message;
    }
    if (stable) continue;
    state_ = State::kBackoff;
    backoff_timer_.expires_after(Jitter(backoff));
    error_code ec;
    co_await backoff_timer_.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    backoff = std::min(backoff * 2, options_.max_backoff);
  }
}

asio::awaitable<absl::StatusOr<std::shared_ptr<FramedConnection>>> RpcClient::Impl::Connect() {
  std::string host;
  uint16_t port = 0;
  absl::Status parsed = SplitHostPort(options_.address, &host, &port);
  if (!parsed.ok()) co_return parsed;
  if (host.empty()) host = "127.0.0.1";
  error_code ec;
  tcp::resolver resolver(strand_);
  auto endpoints = co_await resolver.async_resolve(host, std::to_string(port),
                                                   asio::redirect_error(asio::use_awaitable, ec));
  if (ec) co_return absl::UnavailableError(fmt::format("cannot resolve \"{}\": {}", host, ec.message()));
  auto conn = std::make_shared<FramedConnection>(strand_);
  connecting_ = conn;
  struct ClearConnecting {
    Impl* impl;
    ~ClearConnecting() { impl->connecting_ = nullptr; }
  } clear_connecting{this};
  {
    ConnectionDeadline deadline(conn, options_.connect_timeout);
    co_await asio::async_connect(conn->socket(), endpoints, asio::redirect_error(asio::use_awaitable, ec));
    if (deadline.fired()) {
      co_return absl::UnavailableError(fmt::format("connect timed out after {} ms", options_.connect_timeout.count()));
    }
  }
  if (ec) co_return absl::UnavailableError(fmt::format("cannot connect: {}", ec.message()));
  conn->socket().set_option(tcp::no_delay(true), ec);
  conn->socket().set_option(asio::socket_base::keep_alive(true), ec);
  conn->set_peer(options_.address);
  if (options_.tls) {
    if (!tls_) {
      auto tls = net_internal::ClientTlsContext(options_.tls_ca_file, options_.tls_insecure_skip_verify);
      if (!tls.ok()) {
        conn->Close();
        co_return absl::FailedPreconditionError(tls.status().message());
      }
      tls_ = std::shared_ptr<asio::ssl::context>(std::move(*tls));
    }
    // A named value, not a temporary: g++ 12 mishandles temporaries inside
    // co_await expressions (double destruction).
    std::string server_name = options_.tls_insecure_skip_verify ? std::string() : host;
    absl::Status started =
        co_await conn->StartTls(tls_, asio::ssl::stream_base::client, server_name, options_.handshake_timeout);
    if (!started.ok()) {
      conn->Close();
      co_return absl::UnavailableError(
          fmt::format("{} (is -rpc.tls set on the storage node, and does its certificate name \"{}\"?)",
                      ToStd(started.message()), host));
    }
  }
  auto hello = co_await Handshake(conn, options_.protocol_version, options_.node_name, options_.handshake_timeout);
  if (!hello.ok()) {
    conn->Close();
    co_return hello.status();
  }
  co_return conn;
}

asio::awaitable<absl::Status> RpcClient::Impl::ReadReplies(std::shared_ptr<FramedConnection> conn) {
  std::string payload;
  for (;;) {
    absl::Status read = co_await ReadFrame(*conn, options_.max_frame_bytes, &payload);
    if (!read.ok()) co_return read;
    // Replies are decoded on the network thread: the caller's callback runs
    // here anyway, and zstd decodes at GB/s.
    auto msg = DecodeEnvelope(payload, kRpcMaxBodyBytes);
    if (!msg.ok()) co_return msg.status();  // the stream is out of sync: drop the connection
    if (!msg->status.ok()) {
      Finish(msg->request_id, msg->status);
    } else {
      Finish(msg->request_id, std::move(msg->body));
    }
  }
}

void RpcClient::Impl::Call(uint32_t method, std::string_view body, std::chrono::steady_clock::time_point deadline,
                           DoneCallback done) {
  auto start = std::chrono::steady_clock::now();
  uint64_t id = next_id_.fetch_add(1);
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - start).count();
  // Compression and framing happen on the caller's thread, not the network's.
  std::string frame =
      EncodeRequestFrame(id, method, body, left > 0 ? static_cast<uint64_t>(left) : 1, options_.compress_min_bytes);
  asio::post(strand_, [self = shared_from_this(), id, method, frame = std::move(frame), deadline, start,
                       done = std::move(done)]() mutable {
    self->StartCall(id, method, std::move(frame), deadline, start, std::move(done));
  });
}

void RpcClient::Impl::StartCall(uint64_t id, uint32_t method, std::string frame,
                                std::chrono::steady_clock::time_point deadline,
                                std::chrono::steady_clock::time_point start, DoneCallback done) {
  absl::Status refused;
  if (state_ == State::kClosed) {
    refused = absl::UnavailableError(fmt::format("RPC client for {} is closed", options_.address));
  } else if (state_ == State::kBackoff) {
    refused = absl::UnavailableError(fmt::format("RPC peer {} is unreachable: {}", options_.address, last_error_));
  } else if (std::chrono::steady_clock::now() >= deadline) {
    refused = absl::DeadlineExceededError(fmt::format("RPC to {}: deadline passed before sending", options_.address));
  }
  if (!refused.ok()) {
    Record(method, refused, start);
    done(refused);
    return;
  }
  PendingCall call;
  call.done = std::move(done);
  call.method = method;
  call.start = start;
  call.timer = std::make_unique<asio::steady_timer>(strand_, deadline);
  call.timer->async_wait([self = shared_from_this(), id](error_code ec) {
    if (ec) return;
    self->Finish(id, absl::DeadlineExceededError(fmt::format("RPC to {} timed out", self->options_.address)));
  });
  pending_.emplace(id, std::move(call));
  if (state_ == State::kConnected) {
    conn_->Send(std::move(frame));
  } else {
    queued_frames_.push_back(std::move(frame));
  }
}

void RpcClient::Impl::Finish(uint64_t id, absl::StatusOr<std::string> result) {
  auto it = pending_.find(id);
  if (it == pending_.end()) return;  // already timed out, or an unknown id
  PendingCall call = std::move(it->second);
  pending_.erase(it);
  call.timer.reset();  // cancels the deadline
  Record(call.method, result.status(), call.start);
  call.done(std::move(result));
}

void RpcClient::Impl::FailAll(const absl::Status& status) {
  auto pending = std::move(pending_);
  pending_.clear();
  for (auto& [id, call] : pending) {
    call.timer.reset();
    Record(call.method, status, call.start);
    call.done(status);
  }
}

void RpcClient::Impl::Record(uint32_t method, const absl::Status& status,
                             std::chrono::steady_clock::time_point start) {
  if (requests_ == nullptr) return;
  std::string result = status.ok() ? "ok" : absl::StatusCodeToString(status.code());
  for (char& c : result) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  requests_->Add({{"method", RpcMethodName(method)}, {"peer", options_.address}, {"result", result}}).Increment();
  static const prometheus::Histogram::BucketBoundaries kBuckets = {0.0005, 0.001, 0.005, 0.01, 0.05, 0.1,
                                                                    0.5,    1,     5,     10,   30};
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  durations_->Add({{"method", RpcMethodName(method)}, {"peer", options_.address}}, kBuckets).Observe(seconds);
}

void RpcClient::Impl::Close() {
  asio::post(strand_, [self = shared_from_this()] {
    if (self->state_ == State::kClosed) return;
    self->state_ = State::kClosed;
    self->backoff_timer_.cancel();
    if (self->conn_) self->conn_->Close();
    if (self->connecting_) self->connecting_->Close();
    self->SetConnected(false);
    self->FailAll(absl::UnavailableError(fmt::format("RPC client for {} closed", self->options_.address)));
  });
  // Wait for the run loop to finish unless that would deadlock: on a network
  // thread, or with the IoPool already stopped.
  if (io_.context().get_executor().running_in_this_thread() || io_.context().stopped()) return;
  if (!finished_.WaitForNotificationWithTimeout(absl::Seconds(10))) {
    STRATA_LOG(Warn, "RPC client for {} did not close within 10 s", options_.address);
  }
}

RpcClient::RpcClient(IoPool& io, RpcClientOptions options) : impl_(std::make_shared<Impl>(io, std::move(options))) {
  impl_->Start();
}
RpcClient::~RpcClient() { Close(); }

void RpcClient::Call(uint32_t method, std::string body, std::chrono::steady_clock::time_point deadline,
                     DoneCallback done) {
  impl_->Call(method, body, deadline, std::move(done));
}

void RpcClient::Call(uint32_t method, std::shared_ptr<const std::string> body,
                     std::chrono::steady_clock::time_point deadline, DoneCallback done) {
  impl_->Call(method, *body, deadline, std::move(done));
}

bool RpcClient::IsConnected() const { return impl_->IsConnected(); }
void RpcClient::Close() { impl_->Close(); }
const std::string& RpcClient::address() const { return impl_->address(); }

}  // namespace strata
