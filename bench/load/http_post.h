// File: bench/load/http_post.h
//
// A minimal blocking HTTP/1.1 client over POSIX sockets, for the load
// generator: one keep-alive connection, POST with a body, response status
// and body (Content-Length, chunked, or read-to-close). Kept outside the
// server's Asio stack on purpose: the sender's own cost should be small and
// obvious, and it must not share code paths with the system under test.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"

namespace strata::bench {

struct HttpUrl {
  std::string host;
  uint16_t port = 80;
  std::string path;  // with the query string, "/" when empty
};

// Accepts only "http://host[:port][/path]".
absl::StatusOr<HttpUrl> ParseHttpUrl(std::string_view url);

struct HttpResult {
  int status = 0;
  std::string body;
};

// One connection, used by one thread at a time (thread-compatible). Connects
// lazily and reconnects after the server closes the connection; a request
// that fails on a reused connection before any response byte arrives is
// retried once on a fresh one (the server may have closed an idle socket).
class HttpPostClient {
 public:
  HttpPostClient(std::string host, uint16_t port, std::chrono::milliseconds io_timeout);
  ~HttpPostClient();
  HttpPostClient(const HttpPostClient&) = delete;
  HttpPostClient& operator=(const HttpPostClient&) = delete;

  // Sends `POST path` with `headers` (name, value) and `body`. A non-OK
  // status means a transport failure (connect, write, read, malformed
  // response); HTTP error codes come back in HttpResult::status.
  absl::StatusOr<HttpResult> Post(std::string_view path,
                                  const std::vector<std::pair<std::string, std::string>>& headers,
                                  std::string_view body);

  // Number of TCP connections opened so far.
  int connects() const { return connects_; }

 private:
  absl::Status Connect();
  void Close();
  absl::Status WriteAll(std::string_view a, std::string_view b);
  // Reads one response; `*got_bytes` tells whether any byte arrived.
  absl::StatusOr<HttpResult> ReadResponse(bool* got_bytes, bool* keep_alive);
  absl::StatusOr<size_t> Fill();

  std::string host_;
  uint16_t port_;
  std::chrono::milliseconds io_timeout_;
  int fd_ = -1;
  int connects_ = 0;
  std::string buf_;  // received, not yet consumed
};

}  // namespace strata::bench
