// File: common/net/http_server.h
//
// The HTTP/1.1 server of every Strata process (Prometheus API, remote write,
// /metrics). It speaks the protocol with Boost.Beast on the IoPool and runs
// each request's handler on the WorkPool; the handler answers through its
// HttpResponder from any thread, possibly later. Beast and Asio stay in
// http_server.cc: this header is cheap to include.
//
// Behaviour on the wire:
//   - keep-alive connections, one request at a time per connection;
//   - unknown path -> 404; body over max_body_bytes -> 413; malformed HTTP
//     -> 400 and the connection is closed;
//   - `Content-Encoding: gzip` request bodies are gunzipped before the
//     handler sees them; other encodings (remote write's `snappy`) reach the
//     handler as sent, with the header; responses larger than gzip_min_bytes are gzipped
//     when the client sent `Accept-Encoding: gzip`;
//   - `Expect: 100-continue` is answered before the body is read.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "common/net/http.h"
#include "common/net/http_auth.h"
#include "common/net/io_pool.h"

namespace prometheus {
class Registry;
}

namespace strata {

struct HttpServerOptions {
  // "host:port"; ":port" listens on all interfaces. Port 0 picks a free port
  // (read it back with HttpServer::port()).
  std::string listen_address = "127.0.0.1:8480";
  // Largest accepted request body, after gunzip. Larger -> 413.
  size_t max_body_bytes = size_t{64} << 20;
  // Largest accepted request header block. Larger -> 431.
  size_t max_header_bytes = size_t{64} << 10;
  // A keep-alive connection with no request for this long is closed; also
  // bounds the time to receive one whole request.
  std::chrono::seconds idle_timeout{120};
  // Bounds the time to send one response.
  std::chrono::seconds write_timeout{60};
  // Stop() waits this long for in-flight responses before closing anyway.
  std::chrono::milliseconds shutdown_grace{10000};
  // Responses at least this large are gzipped for clients that accept it;
  // 0 disables response compression.
  size_t gzip_min_bytes = 1024;
  // When set, exports strata_http_requests_total{path,code} and
  // strata_http_request_duration_seconds{path}. Must outlive the server.
  prometheus::Registry* metrics = nullptr;
  // Maps a request path to the low-cardinality `path` metric label. The
  // default keeps the first path segment ("/api", "/insert", "/metrics");
  // paths that match no handler are labelled "other".
  std::function<std::string(std::string_view path)> metrics_path_label;
  // When set, every request passes auth->Check() before its handler runs;
  // refused ones get its 401 and count in strata_http_auth_failures_total.
  std::shared_ptr<const HttpAuthenticator> auth;
  // HTTPS when both are set: PEM files of the certificate chain and of its
  // private key, read by Start(). A plaintext HTTP request on an HTTPS port
  // gets a plain 400 saying so, as Go's net/http answers.
  std::string tls_cert_file;
  std::string tls_key_file;
  // Oldest protocol version accepted: "TLS12" or "TLS13".
  std::string tls_min_version = "TLS12";
  // Bounds the TLS handshake of a new connection.
  std::chrono::seconds tls_handshake_timeout{10};
};

// Serves an HttpMux. Thread-safe: Start/Stop/port may be called from any
// thread (Start and Stop not concurrently with each other).
//
// Lifetime: the IoPool, WorkPool and mux must outlive the server, and the
// IoPool must keep running until Stop() returns. Handlers still holding a
// responder after Stop() may call it; the response is dropped.
class HttpServer {
 public:
  HttpServer(IoPool& io, WorkPool& work, HttpServerOptions options, const HttpMux& mux);
  ~HttpServer();  // Stop()
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Binds and starts accepting. Returns InvalidArgument for a malformed
  // listen_address or unusable TLS files, Unavailable when the address
  // cannot be bound.
  absl::Status Start();

  // The bound port; 0 before Start().
  uint16_t port() const;

  // Stops accepting, closes idle connections, waits up to shutdown_grace for
  // in-flight requests to be answered, then closes everything. Blocks;
  // idempotent. REQUIRES: not called from an IoPool thread.
  void Stop();

 private:
  class Impl;
  std::shared_ptr<Impl> impl_;
};

// Splits "host:port" (or ":port", "[v6]:port"). An empty host means all
// interfaces. Returns InvalidArgument when malformed. Shared with the RPC
// layer.
absl::Status SplitHostPort(std::string_view address, std::string* host, uint16_t* port);

}  // namespace strata
