#include "common/rpc/rpc_server.h"

#include <atomic>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/ip/v6_only.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <map>

#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/mutex.h"
#include "common/base/check.h"
#include "common/base/logging.h"
#include "common/base/status.h"
#include "common/net/http_server.h"  // SplitHostPort
#include "common/rpc/rpc_internal.h"
#include "common/net/tls_context.h"
#include "prometheus/counter.h"
#include "prometheus/family.h"
#include "prometheus/histogram.h"
#include "prometheus/registry.h"

namespace strata {

using net_internal::LogCoroutineException;

using namespace rpc_internal;  // NOLINT: internal plumbing of this module
using boost::system::error_code;

namespace {
constexpr std::chrono::seconds kDefaultHandlerDeadline{30};
}  // namespace

namespace rpc_internal {

// What a pending reply needs: where to send it, and the server's gate.
struct ReplyState {
  std::shared_ptr<RpcServer::Impl> server;
  std::weak_ptr<FramedConnection> conn;
  std::shared_ptr<std::atomic<int64_t>> conn_inflight;
  uint64_t request_id = 0;
  uint32_t method = 0;
  std::chrono::steady_clock::time_point start;
  std::chrono::steady_clock::time_point deadline;
};

}  // namespace rpc_internal

class RpcServer::Impl : public std::enable_shared_from_this<RpcServer::Impl> {
 public:
  Impl(IoPool& io, WorkPool& work, RpcServerOptions options)
      : io_(io), work_(work), options_(std::move(options)), acceptor_strand_(asio::make_strand(io.context())),
        acceptor_(acceptor_strand_) {
    if (options_.metrics != nullptr) {
      requests_ = &prometheus::BuildCounter()
                       .Name("strata_rpc_server_requests_total")
                       .Help("RPC requests served, by method and result.")
                       .Register(*options_.metrics);
      durations_ = &prometheus::BuildHistogram()
                        .Name("strata_rpc_server_request_duration_seconds")
                        .Help("Time from a request's arrival to its reply being queued.")
                        .Register(*options_.metrics);
    }
  }

  void RegisterMethod(uint32_t method, RpcMethodHandler handler) {
    STRATA_CHECK(!started_);
    STRATA_CHECK(methods_.emplace(method, std::move(handler)).second);
  }
  absl::Status Start();
  void Stop();
  uint16_t port() const { return port_.load(); }

  // Called by RpcReply on any thread.
  void SendReply(ReplyState& state, absl::StatusOr<std::string> reply);

 private:
  asio::awaitable<void> AcceptLoop();
  asio::awaitable<void> Session(std::shared_ptr<FramedConnection> conn);
  void Dispatch(std::shared_ptr<FramedConnection> conn, std::shared_ptr<std::atomic<int64_t>> conn_inflight,
                std::string payload);
  void Record(uint32_t method, const absl::Status& status, std::chrono::steady_clock::time_point start);
  bool Drained() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return conns_.empty() && inflight_ == 0 && !accept_loop_running_;
  }

  IoPool& io_;
  WorkPool& work_;
  RpcServerOptions options_;
  absl::flat_hash_map<uint32_t, RpcMethodHandler> methods_;  // read-only after Start
  Strand acceptor_strand_;
  tcp::acceptor acceptor_;
  std::atomic<uint16_t> port_{0};
  std::atomic<bool> stopping_{false};
  bool started_ = false;
  bool stopped_ = false;

  mutable absl::Mutex mu_;
  std::map<FramedConnection*, std::shared_ptr<FramedConnection>> conns_ ABSL_GUARDED_BY(mu_);
  int64_t inflight_ ABSL_GUARDED_BY(mu_) = 0;
  bool accept_loop_running_ ABSL_GUARDED_BY(mu_) = false;

  // Set by Start() when TLS is configured; shared with the connections.
  std::shared_ptr<asio::ssl::context> tls_;
  prometheus::Family<prometheus::Counter>* requests_ = nullptr;
  prometheus::Family<prometheus::Histogram>* durations_ = nullptr;
};

absl::Status RpcServer::Impl::Start() {
  if (!options_.tls_cert_file.empty() || !options_.tls_key_file.empty()) {
    auto tls = net_internal::ServerTlsContext(options_.tls_cert_file, options_.tls_key_file, "TLS12");
    if (!tls.ok()) return tls.status();
    tls_ = std::shared_ptr<asio::ssl::context>(std::move(*tls));
  }
  STRATA_RETURN_IF_ERROR(net_internal::Listen(acceptor_, options_.listen_address, "RPC"));
  error_code ec;
  port_ = acceptor_.local_endpoint(ec).port();
  started_ = true;
  {
    absl::MutexLock l(&mu_);
    accept_loop_running_ = true;
  }
  asio::co_spawn(acceptor_strand_, AcceptLoop(), [self = shared_from_this()](std::exception_ptr e) {
    LogCoroutineException("RPC accept loop", e);
    absl::MutexLock l(&self->mu_);
    self->accept_loop_running_ = false;
  });
  STRATA_LOG(Info, "RPC server \"{}\" listening on {} (port {}{})", options_.node_name, options_.listen_address,
             port_.load(), tls_ ? ", TLS" : "");
  return absl::OkStatus();
}

asio::awaitable<void> RpcServer::Impl::AcceptLoop() {
  auto self = shared_from_this();
  while (!stopping_) {
    auto conn = std::make_shared<FramedConnection>(asio::make_strand(io_.context()));
    error_code ec;
    co_await acceptor_.async_accept(conn->socket(), asio::redirect_error(asio::use_awaitable, ec));
    if (ec) {
      if (stopping_ || ec == asio::error::operation_aborted) break;
      STRATA_LOG(Warn, "RPC accept failed: {}", ec.message());
      asio::steady_timer t(acceptor_strand_, std::chrono::milliseconds(50));
      co_await t.async_wait(asio::redirect_error(asio::use_awaitable, ec));
      continue;
    }
    {
      absl::MutexLock l(&mu_);
      conns_.emplace(conn.get(), conn);
    }
    asio::co_spawn(conn->strand(), Session(conn), [self, conn](std::exception_ptr e) {
      LogCoroutineException("RPC server session", e);
      conn->Close();
      absl::MutexLock l(&self->mu_);
      self->conns_.erase(conn.get());
    });
  }
}

asio::awaitable<void> RpcServer::Impl::Session(std::shared_ptr<FramedConnection> conn) {
  auto self = shared_from_this();
  error_code ec;
  auto ep = conn->socket().remote_endpoint(ec);
  if (!ec) conn->set_peer(fmt::format("{}:{}", ep.address().to_string(), ep.port()));
  conn->socket().set_option(tcp::no_delay(true), ec);
  conn->socket().set_option(asio::socket_base::keep_alive(true), ec);

  if (tls_) {
    const std::string no_server_name;  // named: see the g++ 12 note in rpc_client.cc
    absl::Status tls =
        co_await conn->StartTls(tls_, asio::ssl::stream_base::server, no_server_name, options_.handshake_timeout);
    if (!tls.ok()) {
      STRATA_LOG(Warn, "RPC server dropped {}: {} (a client without -rpc.tls?)", conn->peer(), ToStd(tls.message()));
      conn->Close();
      co_return;
    }
  }
  auto hello = co_await Handshake(conn, options_.protocol_version, options_.node_name, options_.handshake_timeout);
  if (!hello.ok()) {
    if (absl::IsFailedPrecondition(hello.status())) {
      STRATA_LOG(Error, "RPC server refused {}: {}", conn->peer(), ToStd(hello.status().message()));
    } else {
      STRATA_LOG(Warn, "RPC server dropped {}: {}", conn->peer(), ToStd(hello.status().message()));
    }
    conn->Close();
    co_return;
  }
  STRATA_LOG(Debug, "RPC connection from \"{}\" ({})", hello->node_name, conn->peer());
  std::string payload;
  auto conn_inflight = std::make_shared<std::atomic<int64_t>>(0);
  asio::steady_timer pause(conn->strand());
  for (;;) {
    // Back-pressure: a client with too many unanswered requests is not read
    // from until some are answered, so TCP flow control slows it down. The
    // short poll only runs while overloaded.
    while (*conn_inflight >= static_cast<int64_t>(options_.max_inflight_per_connection) && !conn->closed()) {
      pause.expires_after(std::chrono::milliseconds(1));
      co_await pause.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    }
    absl::Status read = co_await ReadFrame(*conn, options_.max_frame_bytes, &payload);
    if (!read.ok()) {
      if (!conn->closed() && !absl::IsUnavailable(read)) {
        STRATA_LOG(Warn, "RPC server dropped {}: {}", conn->peer(), ToStd(read.message()));
      }
      break;
    }
    // Decoding (protobuf parse, zstd) and the handler run on the WorkPool;
    // the network thread goes straight back to reading.
    Dispatch(conn, conn_inflight, std::move(payload));
    payload = std::string();
  }
  conn->Close();
}

void RpcServer::Impl::Dispatch(std::shared_ptr<FramedConnection> conn,
                               std::shared_ptr<std::atomic<int64_t>> conn_inflight, std::string payload) {
  {
    absl::MutexLock l(&mu_);
    ++inflight_;
  }
  ++*conn_inflight;
  auto start = std::chrono::steady_clock::now();
  work_.Submit([self = shared_from_this(), conn, conn_inflight, payload = std::move(payload), start]() mutable {
    auto state = std::make_unique<ReplyState>();
    state->server = self;
    state->conn = conn;
    state->conn_inflight = conn_inflight;
    state->start = start;
    auto msg = DecodeEnvelope(payload, kRpcMaxBodyBytes);
    if (!msg.ok()) {
      // A frame we cannot parse means the stream is out of sync or the peer
      // is not a Strata node: drop the connection.
      STRATA_LOG(Warn, "RPC server dropped {}: {}", conn->peer(), ToStd(msg.status().message()));
      asio::post(conn->strand(), [conn] { conn->Close(); });
      --*conn_inflight;
      absl::MutexLock l(&self->mu_);
      --self->inflight_;
      return;
    }
    state->request_id = msg->request_id;
    state->method = msg->method;
    state->deadline = msg->timeout_ms > 0 ? start + std::chrono::milliseconds(msg->timeout_ms)
                                          : start + kDefaultHandlerDeadline;
    RpcReply reply(std::move(state));
    if (!msg->status.ok()) {
      reply(msg->status);
      return;
    }
    if (self->stopping_) {
      reply(absl::UnavailableError("RPC server is shutting down"));
      return;
    }
    auto it = self->methods_.find(msg->method);
    if (it == self->methods_.end()) {
      reply(absl::UnimplementedError(fmt::format("unknown RPC method {}", msg->method)));
      return;
    }
    it->second(std::move(msg->body), std::move(reply));
  });
}

void RpcServer::Impl::SendReply(ReplyState& state, absl::StatusOr<std::string> reply) {
  Record(state.method, reply.status(), state.start);
  if (auto conn = state.conn.lock()) {
    std::string frame = EncodeReplyFrame(state.request_id, state.method, reply, options_.compress_min_bytes);
    asio::post(conn->strand(), [conn, frame = std::move(frame)]() mutable { conn->Send(std::move(frame)); });
  }
  --*state.conn_inflight;
  absl::MutexLock l(&mu_);
  --inflight_;
}

void RpcServer::Impl::Record(uint32_t method, const absl::Status& status,
                             std::chrono::steady_clock::time_point start) {
  if (requests_ == nullptr) return;
  std::string result = status.ok() ? "ok" : absl::StatusCodeToString(status.code());
  for (char& c : result) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  requests_->Add({{"method", RpcMethodName(method)}, {"result", result}}).Increment();
  static const prometheus::Histogram::BucketBoundaries kBuckets = {0.0005, 0.001, 0.005, 0.01, 0.05, 0.1,
                                                                    0.5,    1,     5,     10,   30};
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  durations_->Add({{"method", RpcMethodName(method)}}, kBuckets).Observe(seconds);
}

void RpcServer::Impl::Stop() {
  if (!started_ || stopped_) return;
  stopped_ = true;
  stopping_ = true;
  asio::post(acceptor_strand_, [self = shared_from_this()] {
    error_code ec;
    self->acceptor_.close(ec);
  });
  // In-flight requests get to reply while the connections are still open.
  {
    absl::MutexLock l(&mu_);
    auto no_inflight = [this]() ABSL_NO_THREAD_SAFETY_ANALYSIS { return inflight_ == 0; };
    if (!mu_.AwaitWithTimeout(absl::Condition(&no_inflight), absl::Milliseconds(options_.shutdown_grace.count()))) {
      STRATA_LOG(Warn, "RPC server stopping with {} requests still in flight", inflight_);
    }
  }
  std::vector<std::shared_ptr<FramedConnection>> conns;
  {
    absl::MutexLock l(&mu_);
    for (auto& [p, c] : conns_) conns.push_back(c);
  }
  for (auto& c : conns) asio::post(c->strand(), [c] { c->Close(); });
  absl::MutexLock l(&mu_);
  auto closed = [this]() ABSL_NO_THREAD_SAFETY_ANALYSIS { return conns_.empty() && !accept_loop_running_; };
  if (!mu_.AwaitWithTimeout(absl::Condition(&closed), absl::Seconds(5))) {
    STRATA_LOG(Warn, "RPC server stopped with {} connections still open", conns_.size());
  }
}

RpcReply::RpcReply(std::unique_ptr<ReplyState> state) : state_(std::move(state)) {}
RpcReply::RpcReply(RpcReply&&) noexcept = default;
RpcReply& RpcReply::operator=(RpcReply&& other) noexcept {
  if (this != &other) {
    if (state_) (*this)(absl::InternalError("request dropped by handler"));
    state_ = std::move(other.state_);
  }
  return *this;
}

RpcReply::~RpcReply() {
  if (state_) (*this)(absl::InternalError("request dropped by handler"));
}

void RpcReply::operator()(absl::StatusOr<std::string> reply) {
  STRATA_CHECK(state_ != nullptr);
  std::unique_ptr<ReplyState> state = std::move(state_);
  state->server->SendReply(*state, std::move(reply));
}

std::chrono::steady_clock::time_point RpcReply::deadline() const {
  return state_ ? state_->deadline : std::chrono::steady_clock::time_point{};
}

RpcServer::RpcServer(IoPool& io, WorkPool& work, RpcServerOptions options)
    : impl_(std::make_shared<Impl>(io, work, std::move(options))) {
  // The health probe of RpcClient users (common/rpc/health_checked_storage.h):
  // answered on the WorkPool like any request, so it also shows a node whose
  // handlers cannot run.
  impl_->RegisterMethod(kRpcMethodPing, [](std::string&&, RpcReply reply) { reply(std::string()); });
}
RpcServer::~RpcServer() { Stop(); }
void RpcServer::RegisterMethod(uint32_t method, RpcMethodHandler handler) {
  impl_->RegisterMethod(method, std::move(handler));
}
absl::Status RpcServer::Start() { return impl_->Start(); }
uint16_t RpcServer::port() const { return impl_->port(); }
void RpcServer::Stop() { impl_->Stop(); }

}  // namespace strata
