// File: tests/testing/http_client.h
//
// A small blocking HTTP/1.1 client for tests (unit and end to end). Every
// call has a timeout, so a hung server fails the test instead of hanging it.
// Beast stays in http_client.cc.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"

namespace strata::testing {

using HttpHeaders = std::vector<std::pair<std::string, std::string>>;

struct HttpClientResponse {
  int status = 0;
  HttpHeaders headers;  // names lowercased
  std::string body;     // as sent (not gunzipped)

  // First value of `lowercase_name`, or "".
  std::string Header(std::string_view lowercase_name) const;
};

// One keep-alive connection; requests are sent one after another on it.
// Thread-compatible.
class HttpConnection {
 public:
  explicit HttpConnection(std::chrono::milliseconds timeout = std::chrono::seconds(10));
  ~HttpConnection();
  HttpConnection(const HttpConnection&) = delete;
  HttpConnection& operator=(const HttpConnection&) = delete;

  absl::Status Connect(const std::string& host, uint16_t port);
  // Sends one request and reads its response. Errors: Unavailable for a
  // connection failure (including the server closing it), DeadlineExceeded.
  absl::StatusOr<HttpClientResponse> Request(std::string_view method, std::string_view target, std::string body = {},
                                             const HttpHeaders& headers = {});
  // Writes raw bytes, then reads whatever arrives until the peer closes or
  // the timeout passes (for malformed-request tests).
  absl::StatusOr<std::string> SendRawAndReadAll(std::string_view bytes);
  bool is_open() const;

 private:
  struct State;
  std::unique_ptr<State> state_;
  std::chrono::milliseconds timeout_;
};

// One-shot requests, each on a fresh connection.
class HttpClient {
 public:
  static absl::StatusOr<HttpClientResponse> Get(const std::string& host, uint16_t port, std::string_view target,
                                                const HttpHeaders& headers = {});
  static absl::StatusOr<HttpClientResponse> Post(const std::string& host, uint16_t port, std::string_view target,
                                                 std::string body, std::string_view content_type,
                                                 const HttpHeaders& headers = {});
};

}  // namespace strata::testing
