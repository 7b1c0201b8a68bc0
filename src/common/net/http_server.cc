#include "common/net/http_server.h"
#include "common/net/asio_util.h"

#include <atomic>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ip/v6_only.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/detect_ssl.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>
#include <cctype>
#include <charconv>
#include <exception>
#include <map>
#include <optional>
#include <mutex>

#include "absl/synchronization/mutex.h"
#include "common/base/logging.h"
#include "common/base/status.h"
#include "common/net/gzip.h"
#include "common/net/tls_context.h"
#include "prometheus/counter.h"
#include "prometheus/family.h"
#include "prometheus/histogram.h"
#include "prometheus/registry.h"

namespace strata {

using net_internal::LogCoroutineException;

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = boost::beast::http;
using tcp = asio::ip::tcp;
using boost::system::error_code;

absl::Status SplitHostPort(std::string_view address, std::string* host, uint16_t* port) {
  size_t colon = address.rfind(':');
  if (colon == std::string_view::npos) {
    return absl::InvalidArgumentError(fmt::format("address \"{}\" lacks \":port\"", address));
  }
  std::string_view h = address.substr(0, colon);
  std::string_view p = address.substr(colon + 1);
  if (h.size() >= 2 && h.front() == '[' && h.back() == ']') h = h.substr(1, h.size() - 2);
  unsigned value = 0;
  auto [ptr, ec] = std::from_chars(p.data(), p.data() + p.size(), value);
  if (p.empty() || ec != std::errc() || ptr != p.data() + p.size() || value > 65535) {
    return absl::InvalidArgumentError(fmt::format("address \"{}\" has an invalid port", address));
  }
  *host = std::string(h);
  *port = static_cast<uint16_t>(value);
  return absl::OkStatus();
}

namespace {

using Strand = asio::strand<asio::io_context::executor_type>;

std::string DefaultPathLabel(std::string_view path) {
  size_t end = path.find('/', 1);
  return std::string(path.substr(0, end));
}


bool IsHttpParseError(const error_code& ec) {
  return ec.category() == http::make_error_code(http::error::bad_method).category();
}

// What a client gets when reading its request failed, or nullopt when the
// connection just ends (peer gone, timeout, a truncated message).
std::optional<HttpResponse> ReadErrorResponse(const error_code& ec) {
  if (ec == http::error::body_limit) return HttpResponse::Text(413, "request body too large\n");
  if (ec == http::error::header_limit) return HttpResponse::Text(431, "request header too large\n");
  if (IsHttpParseError(ec) && ec != http::error::partial_message) {
    return HttpResponse::Text(400, fmt::format("malformed HTTP request: {}\n", ec.message()));
  }
  return std::nullopt;
}

bool AcceptsGzip(std::string_view accept_encoding) {
  // Good enough for real clients: "gzip" listed and not explicitly "gzip;q=0".
  size_t pos = accept_encoding.find("gzip");
  if (pos == std::string_view::npos) return false;
  std::string_view rest = accept_encoding.substr(pos + 4);
  size_t comma = rest.find(',');
  std::string_view params = rest.substr(0, comma);
  return params.find("q=0") == std::string_view::npos || params.find("q=0.") != std::string_view::npos;
}

// Handed from a WorkPool thread to the connection's strand.
struct PendingResponse {
  std::mutex mu;
  bool done = false;
  HttpResponse response;
  asio::steady_timer wake;
  explicit PendingResponse(Strand strand) : wake(strand, asio::steady_timer::time_point::max()) {}
};

// The HttpResponder given to handlers: stores the response and wakes the
// connection's coroutine on its strand. Callable once from any thread; if it
// is destroyed unanswered (a handler bug or exception) the client gets 500
// instead of a connection that hangs.
class Responder {
 public:
  Responder(std::shared_ptr<PendingResponse> pending, Strand strand)
      : pending_(std::move(pending)), strand_(std::move(strand)) {}
  Responder(Responder&&) = default;
  Responder& operator=(Responder&&) = default;
  ~Responder() {
    if (pending_) Deliver(HttpResponse::Text(500, "internal error: the handler dropped the request\n"));
  }
  void operator()(HttpResponse response) {
    if (pending_) Deliver(std::move(response));
  }

 private:
  void Deliver(HttpResponse response) {
    std::shared_ptr<PendingResponse> pending = std::move(pending_);
    pending_ = nullptr;
    {
      std::lock_guard<std::mutex> l(pending->mu);
      if (pending->done) return;
      pending->done = true;
      pending->response = std::move(response);
    }
    asio::post(strand_, [pending] { pending->wake.cancel(); });
  }

  std::shared_ptr<PendingResponse> pending_;
  Strand strand_;
};

}  // namespace

// Connection bookkeeping shared between the session coroutine (on its strand)
// and Stop(). `stream` and `idle` are touched only on the strand.
struct HttpConnection {
  explicit HttpConnection(Strand s) : strand(std::move(s)) {}
  Strand strand;
  beast::tcp_stream* stream = nullptr;
  std::shared_ptr<PendingResponse> pending;
  bool idle = true;
};

class HttpServer::Impl : public std::enable_shared_from_this<HttpServer::Impl> {
 public:
  Impl(IoPool& io, WorkPool& work, HttpServerOptions options, const HttpMux& mux)
      : io_(io), work_(work), options_(std::move(options)), mux_(mux), acceptor_strand_(asio::make_strand(io.context())),
        acceptor_(acceptor_strand_) {
    if (!options_.metrics_path_label) options_.metrics_path_label = DefaultPathLabel;
    if (options_.metrics != nullptr) {
      requests_ = &prometheus::BuildCounter()
                       .Name("strata_http_requests_total")
                       .Help("HTTP requests served, by path group and status code.")
                       .Register(*options_.metrics);
      durations_ = &prometheus::BuildHistogram()
                        .Name("strata_http_request_duration_seconds")
                        .Help("Time from a request's arrival to its response being written.")
                        .Register(*options_.metrics);
      if (options_.auth != nullptr) {
        auth_failures_ = &prometheus::BuildCounter()
                              .Name("strata_http_auth_failures_total")
                              .Help("HTTP requests refused with 401 for missing or wrong credentials.")
                              .Register(*options_.metrics)
                              .Add({});
      }
    }
  }

  absl::Status Start();
  void Stop();
  uint16_t port() const { return port_.load(); }

 private:
  asio::awaitable<void> AcceptLoop();
  asio::awaitable<void> Session(tcp::socket socket, std::shared_ptr<HttpConnection> conn);
  // The HTTPS session: TLS handshake, then the same request loop.
  asio::awaitable<void> TlsSession(beast::tcp_stream stream, std::shared_ptr<HttpConnection> conn,
                                   const std::string& remote);
  // Reads one request; returns false when the connection must close.
  // `Stream` is beast::tcp_stream or beast::ssl_stream<beast::tcp_stream>.
  template <class Stream>
  asio::awaitable<bool> ServeOne(Stream& stream, beast::flat_buffer& buffer, const std::shared_ptr<HttpConnection>& conn,
                                 const std::string& remote);
  template <class Stream>
  asio::awaitable<bool> WriteResponse(Stream& stream, HttpResponse response, unsigned version, bool keep_alive,
                                      bool gzip_ok);
  void Record(std::string_view path, bool matched, int status, std::chrono::steady_clock::time_point start);

  void AddConnection(const std::shared_ptr<HttpConnection>& c) {
    absl::MutexLock l(&mu_);
    conns_.emplace(c.get(), c);
  }
  void RemoveConnection(HttpConnection* c) {
    absl::MutexLock l(&mu_);
    conns_.erase(c);
  }
  // Cancels the I/O of idle connections (all of them when `all`).
  void CloseConnections(bool all);

  IoPool& io_;
  WorkPool& work_;
  HttpServerOptions options_;
  const HttpMux& mux_;
  Strand acceptor_strand_;
  tcp::acceptor acceptor_;
  // Set by Start() when TLS is configured; read-only afterwards.
  std::unique_ptr<asio::ssl::context> tls_;
  std::atomic<uint16_t> port_{0};
  std::atomic<bool> stopping_{false};
  // Set when the grace period is over: sessions waiting for a handler give up.
  std::atomic<bool> stopping_forced_{false};
  bool started_ = false;

  mutable absl::Mutex mu_;
  std::map<HttpConnection*, std::shared_ptr<HttpConnection>> conns_ ABSL_GUARDED_BY(mu_);
  bool accept_loop_running_ ABSL_GUARDED_BY(mu_) = false;

  prometheus::Family<prometheus::Counter>* requests_ = nullptr;
  prometheus::Family<prometheus::Histogram>* durations_ = nullptr;
  prometheus::Counter* auth_failures_ = nullptr;
};

absl::Status HttpServer::Impl::Start() {
  if (!options_.tls_cert_file.empty() || !options_.tls_key_file.empty()) {
    absl::StatusOr<std::unique_ptr<asio::ssl::context>> tls =
        net_internal::ServerTlsContext(options_.tls_cert_file, options_.tls_key_file, options_.tls_min_version);
    if (!tls.ok()) return tls.status();
    tls_ = std::move(*tls);
  }
  STRATA_RETURN_IF_ERROR(net_internal::Listen(acceptor_, options_.listen_address, "HTTP"));
  error_code ec;
  port_ = acceptor_.local_endpoint(ec).port();
  started_ = true;
  {
    absl::MutexLock l(&mu_);
    accept_loop_running_ = true;
  }
  asio::co_spawn(acceptor_strand_, AcceptLoop(), [self = shared_from_this()](std::exception_ptr e) {
    LogCoroutineException("HTTP accept loop", e);
    absl::MutexLock l(&self->mu_);
    self->accept_loop_running_ = false;
  });
  STRATA_LOG(Info, "{} server listening on {} (port {})", tls_ ? "HTTPS" : "HTTP", options_.listen_address,
             port_.load());
  return absl::OkStatus();
}

asio::awaitable<void> HttpServer::Impl::AcceptLoop() {
  auto self = shared_from_this();
  while (!stopping_) {
    error_code ec;
    Strand strand = asio::make_strand(io_.context());
    tcp::socket socket(strand);
    co_await acceptor_.async_accept(socket, asio::redirect_error(asio::use_awaitable, ec));
    if (ec) {
      if (stopping_ || ec == asio::error::operation_aborted) break;
      // EMFILE and friends: back off briefly instead of spinning.
      STRATA_LOG(Warn, "HTTP accept failed: {}", ec.message());
      asio::steady_timer t(acceptor_strand_, std::chrono::milliseconds(50));
      co_await t.async_wait(asio::redirect_error(asio::use_awaitable, ec));
      continue;
    }
    auto conn = std::make_shared<HttpConnection>(strand);
    AddConnection(conn);
    asio::co_spawn(strand, Session(std::move(socket), conn), [self, conn](std::exception_ptr e) {
      LogCoroutineException("HTTP session", e);
      self->RemoveConnection(conn.get());
    });
  }
}

asio::awaitable<void> HttpServer::Impl::Session(tcp::socket socket, std::shared_ptr<HttpConnection> conn) {
  auto self = shared_from_this();
  error_code ec;
  std::string remote;
  auto ep = socket.remote_endpoint(ec);
  if (!ec) remote = fmt::format("{}:{}", ep.address().to_string(), ep.port());
  socket.set_option(tcp::no_delay(true), ec);
  beast::tcp_stream stream(std::move(socket));
  conn->stream = &stream;
  if (tls_) {
    co_await TlsSession(std::move(stream), conn, remote);
    co_return;
  }
  beast::flat_buffer buffer;
  while (!stopping_) {
    bool keep = co_await ServeOne(stream, buffer, conn, remote);
    if (!keep) break;
  }
  conn->stream = nullptr;
  stream.socket().shutdown(tcp::socket::shutdown_send, ec);
  stream.close();
}

asio::awaitable<void> HttpServer::Impl::TlsSession(beast::tcp_stream plain, std::shared_ptr<HttpConnection> conn,
                                                   const std::string& remote) {
  error_code ec;
  beast::flat_buffer buffer;
  conn->stream = &plain;
  auto close_plain = [&] {
    conn->stream = nullptr;
    plain.socket().shutdown(tcp::socket::shutdown_send, ec);
    plain.close();
  };
  plain.expires_after(options_.tls_handshake_timeout);
  bool is_tls = co_await beast::async_detect_ssl(plain, buffer, asio::redirect_error(asio::use_awaitable, ec));
  if (ec) {
    close_plain();
    co_return;
  }
  if (!is_tls) {
    // A client that speaks plain HTTP to the HTTPS port: tell it in words it
    // can read instead of dropping the connection.
    co_await WriteResponse(plain,
                           HttpResponse::Text(400, "Client sent an HTTP request to an HTTPS server.\n"), 11, false,
                           false);
    close_plain();
    co_return;
  }
  // The TLS stream owns the socket for the rest of the session; CloseConnections
  // reaches it through its lowest layer.
  beast::ssl_stream<beast::tcp_stream> stream(std::move(plain), *tls_);
  conn->stream = &beast::get_lowest_layer(stream);
  size_t used = co_await stream.async_handshake(asio::ssl::stream_base::server, buffer.data(),
                                                asio::redirect_error(asio::use_awaitable, ec));
  if (ec) {
    STRATA_LOG(Debug, "TLS handshake with {} failed: {}", remote, ec.message());
    conn->stream = nullptr;
    beast::get_lowest_layer(stream).close();
    co_return;
  }
  buffer.consume(used);
  while (!stopping_) {
    bool keep = co_await ServeOne(stream, buffer, conn, remote);
    if (!keep) break;
  }
  // close_notify, bounded: a peer that never answers it must not hold the session.
  beast::get_lowest_layer(stream).expires_after(std::chrono::seconds(2));
  co_await stream.async_shutdown(asio::redirect_error(asio::use_awaitable, ec));
  conn->stream = nullptr;
  beast::get_lowest_layer(stream).close();
}

template <class Stream>
asio::awaitable<bool> HttpServer::Impl::ServeOne(Stream& stream, beast::flat_buffer& buffer,
                                                 const std::shared_ptr<HttpConnection>& conn,
                                                 const std::string& remote) {
  error_code ec;
  http::request_parser<http::string_body> parser;
  parser.header_limit(static_cast<std::uint32_t>(std::min<size_t>(options_.max_header_bytes, UINT32_MAX)));
  parser.body_limit(options_.max_body_bytes);
  conn->idle = true;
  beast::get_lowest_layer(stream).expires_after(options_.idle_timeout);
  co_await http::async_read_header(stream, buffer, parser, asio::redirect_error(asio::use_awaitable, ec));
  conn->idle = false;
  auto start = std::chrono::steady_clock::now();
  if (ec == http::error::end_of_stream || ec == asio::error::eof || ec == asio::error::operation_aborted ||
      ec == beast::error::timeout || ec == asio::error::connection_reset) {
    co_return false;
  }
  unsigned version = parser.is_header_done() ? parser.get().version() : 11;
  if (ec) {
    if (std::optional<HttpResponse> answer = ReadErrorResponse(ec)) {
      Record("", false, answer->status, start);
      co_await WriteResponse(stream, *answer, version, false, false);
    }
    co_return false;
  }
  {
    auto& header = parser.get();
    auto expect = header[http::field::expect];
    if (beast::iequals(expect, "100-continue")) {
      http::response<http::empty_body> cont{http::status::continue_, header.version()};
      beast::get_lowest_layer(stream).expires_after(options_.write_timeout);
      co_await http::async_write(stream, cont, asio::redirect_error(asio::use_awaitable, ec));
      if (ec) co_return false;
    }
  }
  beast::get_lowest_layer(stream).expires_after(options_.idle_timeout);
  co_await http::async_read(stream, buffer, parser, asio::redirect_error(asio::use_awaitable, ec));
  if (ec) {
    if (std::optional<HttpResponse> answer = ReadErrorResponse(ec)) {
      Record("", false, answer->status, start);
      co_await WriteResponse(stream, *answer, version, false, false);
    }
    co_return false;
  }

  http::request<http::string_body> req = parser.release();
  bool keep_alive = req.keep_alive();
  HttpRequest request;
  request.method = std::string(req.method_string());
  request.remote_address = remote;
  std::string_view target(req.target().data(), req.target().size());
  size_t qmark = target.find('?');
  std::string_view raw_path = target.substr(0, qmark);
  if (qmark != std::string_view::npos) request.query = std::string(target.substr(qmark + 1));
  bool gzip_ok = false;
  std::string content_encoding;
  for (const auto& field : req) {
    std::string name(field.name_string().data(), field.name_string().size());
    for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    std::string value(field.value().data(), field.value().size());
    if (name == "accept-encoding") gzip_ok = gzip_ok || AcceptsGzip(value);
    if (name == "content-encoding") content_encoding = value;
    request.headers.emplace_back(std::move(name), std::move(value));
  }
  gzip_ok = gzip_ok && options_.gzip_min_bytes > 0;
  auto decoded_path = PercentDecode(raw_path, /*plus_is_space=*/false);
  if (!decoded_path.ok() || raw_path.empty() || raw_path.front() != '/') {
    Record("", false, 400, start);
    bool ok = co_await WriteResponse(stream, HttpResponse::Text(400, "malformed request path\n"), req.version(),
                                     keep_alive, false);
    co_return ok && keep_alive;
  }
  request.path = std::move(*decoded_path);
  request.body = std::move(req.body());
  if (options_.auth != nullptr) {
    // Before the mux, as VictoriaMetrics does: without credentials even an
    // unknown path answers 401, so paths cannot be probed. And before the
    // gzip inflation, so that a client without credentials cannot make this
    // thread inflate a body (an authKey form field is read as sent).
    if (std::optional<HttpResponse> refused = options_.auth->Check(request)) {
      if (auth_failures_ != nullptr) auth_failures_->Increment();
      Record(request.path, false, refused->status, start);
      bool ok = co_await WriteResponse(stream, std::move(*refused), req.version(), keep_alive, false);
      co_return ok && keep_alive;
    }
  }
  // Only gzip is a transport encoding the server removes. Others (snappy
  // for remote_write, zstd, ...) are part of a protocol: the handler sees the
  // body as sent, with the header, and judges it.
  if (beast::iequals(content_encoding, "gzip")) {
    // Request bodies are inflated here (not on the WorkPool) so the size
    // limit is enforced before a handler sees anything; zlib is fast enough
    // that this costs less than a thread hop.
    auto inflated = GzipDecompress(request.body, options_.max_body_bytes);
    if (!inflated.ok()) {
      int code = absl::IsResourceExhausted(inflated.status()) ? 413 : 400;
      Record(request.path, false, code, start);
      bool ok = co_await WriteResponse(stream, HttpResponse::Text(code, std::string(inflated.status().message()) + "\n"),
                                       req.version(), false, false);
      co_return ok && false;
    }
    request.body = std::move(*inflated);
  }

  const HttpHandler* handler = mux_.Find(request.path);
  if (handler == nullptr) {
    Record(request.path, false, 404, start);
    bool ok = co_await WriteResponse(stream, HttpResponse::Text(404, fmt::format("no handler for {}\n", request.path)),
                                     req.version(), keep_alive, false);
    co_return ok && keep_alive;
  }

  // Hand the request to the WorkPool and sleep on a timer until the
  // responder (any thread) stores the response and cancels the timer on our
  // strand. A fresh timer per request keeps a late cancel from waking the
  // next request.
  auto pending = std::make_shared<PendingResponse>(conn->strand);
  conn->pending = pending;
  std::string path_copy = request.path;
  beast::get_lowest_layer(stream).expires_never();
  work_.Submit([handler, responder = Responder(pending, conn->strand), req_moved = std::move(request)]() mutable {
    (*handler)(std::move(req_moved), std::move(responder));
  });
  bool done = false;
  for (;;) {
    {
      std::lock_guard<std::mutex> l(pending->mu);
      done = pending->done;
    }
    if (done || stopping_forced_) break;
    co_await pending->wake.async_wait(asio::redirect_error(asio::use_awaitable, ec));
  }
  conn->pending = nullptr;
  if (!done) co_return false;  // forced shutdown while the handler still runs
  HttpResponse response;
  {
    std::lock_guard<std::mutex> l(pending->mu);
    response = std::move(pending->response);
  }
  int status = response.status;
  Record(path_copy, true, status, start);
  bool ok = co_await WriteResponse(stream, std::move(response), req.version(), keep_alive && !stopping_, gzip_ok);
  co_return ok && keep_alive;
}

template <class Stream>
asio::awaitable<bool> HttpServer::Impl::WriteResponse(Stream& stream, HttpResponse response, unsigned version,
                                                      bool keep_alive, bool gzip_ok) {
  http::response<http::string_body> res{static_cast<http::status>(response.status), version};
  res.set(http::field::content_type, response.content_type);
  bool has_encoding = false;
  for (auto& [name, value] : response.headers) {
    if (beast::iequals(name, "content-encoding")) has_encoding = true;
    res.set(name, value);
  }
  if (gzip_ok && !has_encoding && response.body.size() >= options_.gzip_min_bytes) {
    res.body() = GzipCompress(response.body, 1);
    res.set(http::field::content_encoding, "gzip");
    res.set(http::field::vary, "Accept-Encoding");
  } else {
    res.body() = std::move(response.body);
  }
  res.keep_alive(keep_alive);
  res.prepare_payload();
  error_code ec;
  beast::get_lowest_layer(stream).expires_after(options_.write_timeout);
  co_await http::async_write(stream, res, asio::redirect_error(asio::use_awaitable, ec));
  co_return !ec;
}

void HttpServer::Impl::Record(std::string_view path, bool matched, int status,
                              std::chrono::steady_clock::time_point start) {
  if (requests_ == nullptr) return;
  std::string label = matched ? options_.metrics_path_label(path) : std::string("other");
  requests_->Add({{"path", label}, {"code", std::to_string(status)}}).Increment();
  static const prometheus::Histogram::BucketBoundaries kBuckets = {0.001, 0.005, 0.01, 0.05, 0.1, 0.5,
                                                                    1,     5,     10,   30,   60};
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  durations_->Add({{"path", label}}, kBuckets).Observe(seconds);
}

void HttpServer::Impl::CloseConnections(bool all) {
  std::vector<std::shared_ptr<HttpConnection>> conns;
  {
    absl::MutexLock l(&mu_);
    for (auto& [ptr, c] : conns_) conns.push_back(c);
  }
  for (auto& c : conns) {
    asio::post(c->strand, [c, all] {
      if (c->stream == nullptr) return;
      if (all || c->idle) c->stream->cancel();
      if (all && c->pending) c->pending->wake.cancel();
    });
  }
}

void HttpServer::Impl::Stop() {
  if (!started_ || stopping_.exchange(true)) return;
  asio::post(acceptor_strand_, [self = shared_from_this()] {
    error_code ec;
    self->acceptor_.close(ec);
  });
  auto drained = [this]() ABSL_NO_THREAD_SAFETY_ANALYSIS { return conns_.empty() && !accept_loop_running_; };
  auto deadline = absl::Now() + absl::Milliseconds(options_.shutdown_grace.count());
  // Idle connections close now; busy ones close after their response (the
  // session loop sees stopping_). Repeat the sweep because a connection may
  // turn idle between sweeps.
  while (absl::Now() < deadline) {
    CloseConnections(false);
    absl::MutexLock l(&mu_);
    if (mu_.AwaitWithTimeout(absl::Condition(&drained), absl::Milliseconds(50))) break;
  }
  stopping_forced_ = true;
  for (int i = 0; i < 100; ++i) {
    CloseConnections(true);
    absl::MutexLock l(&mu_);
    if (mu_.AwaitWithTimeout(absl::Condition(&drained), absl::Milliseconds(20))) break;
  }
  absl::MutexLock l(&mu_);
  if (!conns_.empty()) STRATA_LOG(Warn, "HTTP server stopped with {} connections still open", conns_.size());
}

HttpServer::HttpServer(IoPool& io, WorkPool& work, HttpServerOptions options, const HttpMux& mux)
    : impl_(std::make_shared<Impl>(io, work, std::move(options), mux)) {}

HttpServer::~HttpServer() { Stop(); }

absl::Status HttpServer::Start() { return impl_->Start(); }

uint16_t HttpServer::port() const { return impl_->port(); }

void HttpServer::Stop() { impl_->Stop(); }

}  // namespace strata
