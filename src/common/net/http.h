// File: common/net/http.h
//
// Plain HTTP request/response types and a path router, free of Beast so that
// service code (insert, select, storage handlers) compiles without Asio or
// Beast headers. The server that speaks the protocol is common/net/http_server.h.
//
// Handlers run on the WorkPool (never on a network thread) and answer by
// calling the responder exactly once, from any thread, possibly later (after
// an RPC completes). A handler that never responds leaks the connection.
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/functional/any_invocable.h"
#include "absl/status/statusor.h"

namespace strata {

struct HttpRequest {
  std::string method;  // "GET", "POST", ...
  std::string path;    // percent-decoded path, without the query string
  std::string query;   // raw query string after '?', not decoded
  std::vector<std::pair<std::string, std::string>> headers;  // names lowercased
  std::string body;    // already gunzipped when Content-Encoding was gzip
  std::string remote_address;

  // First value of header `lowercase_name`, or "".
  std::string_view Header(std::string_view lowercase_name) const;
};

struct HttpResponse {
  int status = 200;
  std::string content_type = "text/plain; charset=utf-8";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;

  static HttpResponse Text(int status, std::string body);
  static HttpResponse Json(int status, std::string body);
};

using HttpResponder = absl::AnyInvocable<void(HttpResponse)>;
using HttpHandler = std::function<void(HttpRequest&& request, HttpResponder respond)>;

// The parameters of a request: the query string, plus the body of a POST with
// Content-Type application/x-www-form-urlencoded (as Prometheus reads them).
// Thread-compatible.
class FormParams {
 public:
  // Returns InvalidArgument for malformed percent-encoding.
  static absl::StatusOr<FormParams> Parse(const HttpRequest& request);
  static absl::StatusOr<FormParams> ParseQueryString(std::string_view query);

  bool Has(std::string_view name) const;
  // First value of `name`, or "".
  std::string_view Get(std::string_view name) const;
  std::vector<std::string_view> GetAll(std::string_view name) const;
  const std::vector<std::pair<std::string, std::string>>& items() const { return items_; }

 private:
  std::vector<std::pair<std::string, std::string>> items_;
};

// Decodes %XX escapes, and '+' as space when `plus_is_space`.
absl::StatusOr<std::string> PercentDecode(std::string_view s, bool plus_is_space);

// Routes a request path to a handler: exact paths first, then the longest
// registered prefix. Build it before the server starts; read-only afterwards
// (thread-safe for concurrent Find).
class HttpMux {
 public:
  void HandleExact(std::string path, HttpHandler handler);
  void HandlePrefix(std::string prefix, HttpHandler handler);

  // The handler for `path`, or nullptr (the server answers 404).
  const HttpHandler* Find(std::string_view path) const;

 private:
  std::vector<std::pair<std::string, HttpHandler>> exact_;
  std::vector<std::pair<std::string, HttpHandler>> prefixes_;
};

}  // namespace strata
