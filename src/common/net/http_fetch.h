// File: common/net/http_fetch.h
//
// A minimal blocking HTTP/1.1 client for server-side proxying (the select
// node forwarding /api/v1/rules and /api/v1/alerts to vmalert): one GET on
// a fresh connection, `Connection: close`, plain http:// only. Plain POSIX
// sockets, no Asio or Beast, so it lives next to http.h. Bodies may come
// with Content-Length, chunked, or until the peer closes. Pure function:
// thread-safe.
#pragma once

#include <chrono>
#include <cstddef>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "common/net/http.h"

namespace strata {

struct HttpFetchOptions {
  // Bounds connecting, sending and receiving together.
  std::chrono::milliseconds timeout{std::chrono::seconds(30)};
  // A larger response body fails with ResourceExhausted.
  size_t max_body_bytes = size_t{64} << 20;
};

// GETs `url` (http://host[:port][/path][?query]). Returns the response
// (status, content type, body; other headers in `headers`) whatever its
// status code. Errors: InvalidArgument for a malformed or non-http URL,
// Unavailable when the host cannot be resolved or reached or the response is
// malformed, DeadlineExceeded on timeout, ResourceExhausted for a body
// beyond the limit.
absl::StatusOr<HttpResponse> HttpGet(std::string_view url, const HttpFetchOptions& options = {});

}  // namespace strata
