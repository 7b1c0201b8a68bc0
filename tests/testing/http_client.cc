#include "testing/http_client.h"

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <cctype>
#include <optional>

#include "absl/status/status.h"
#include "fmt/format.h"

namespace strata::testing {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = boost::beast::http;
using tcp = asio::ip::tcp;
using boost::system::error_code;

std::string HttpClientResponse::Header(std::string_view lowercase_name) const {
  for (const auto& [n, v] : headers) {
    if (n == lowercase_name) return v;
  }
  return "";
}

struct HttpConnection::State {
  asio::io_context io;
  tcp::socket socket{io};
  beast::flat_buffer buffer;

  // Runs the io_context until `done` or the timeout; on timeout closes the
  // socket so the pending operation completes, and reports false.
  bool RunFor(std::chrono::milliseconds timeout, const bool& done) {
    io.restart();
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (!done && std::chrono::steady_clock::now() < deadline) {
      io.run_one_until(deadline);
    }
    if (done) return true;
    error_code ec;
    socket.close(ec);
    io.restart();
    io.run();  // let the aborted operation complete
    return false;
  }
};

HttpConnection::HttpConnection(std::chrono::milliseconds timeout)
    : state_(std::make_unique<State>()), timeout_(timeout) {}

HttpConnection::~HttpConnection() = default;

bool HttpConnection::is_open() const { return state_->socket.is_open(); }

absl::Status HttpConnection::Connect(const std::string& host, uint16_t port) {
  error_code ec;
  auto addr = asio::ip::make_address(host, ec);
  if (ec) return absl::InvalidArgumentError(fmt::format("bad host \"{}\": {}", host, ec.message()));
  bool done = false;
  error_code result;
  state_->socket.async_connect(tcp::endpoint(addr, port), [&](error_code e) {
    result = e;
    done = true;
  });
  if (!state_->RunFor(timeout_, done)) return absl::DeadlineExceededError("connect timed out");
  if (result) return absl::UnavailableError(fmt::format("cannot connect to {}:{}: {}", host, port, result.message()));
  state_->socket.set_option(tcp::no_delay(true), ec);
  return absl::OkStatus();
}

absl::StatusOr<HttpClientResponse> HttpConnection::Request(std::string_view method, std::string_view target,
                                                           std::string body, const HttpHeaders& headers) {
  http::request<http::string_body> req;
  req.method_string(beast::string_view(method.data(), method.size()));
  req.target(beast::string_view(target.data(), target.size()));
  req.version(11);
  req.set(http::field::host, "127.0.0.1");
  req.set(http::field::user_agent, "strata-test");
  for (const auto& [n, v] : headers) req.set(n, v);
  req.body() = std::move(body);
  req.prepare_payload();

  bool done = false;
  error_code result;
  http::async_write(state_->socket, req, [&](error_code e, size_t) {
    result = e;
    done = true;
  });
  if (!state_->RunFor(timeout_, done)) return absl::DeadlineExceededError("request write timed out");
  // A server that rejects early (413) may close before taking the whole body;
  // still try to read its response.
  bool write_failed = static_cast<bool>(result);

  http::response_parser<http::string_body> parser;
  parser.body_limit(size_t{1} << 30);
  done = false;
  http::async_read(state_->socket, state_->buffer, parser, [&](error_code e, size_t) {
    result = e;
    done = true;
  });
  if (!state_->RunFor(timeout_, done)) return absl::DeadlineExceededError("response read timed out");
  if (result) {
    error_code ignored;
    state_->socket.close(ignored);
    return absl::UnavailableError(fmt::format("cannot read response{}: {}",
                                              write_failed ? " (request write failed too)" : "", result.message()));
  }
  auto res = parser.release();
  HttpClientResponse out;
  out.status = static_cast<int>(res.result_int());
  for (const auto& f : res) {
    std::string name(f.name_string().data(), f.name_string().size());
    for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    out.headers.emplace_back(std::move(name), std::string(f.value().data(), f.value().size()));
  }
  out.body = std::move(res.body());
  if (!res.keep_alive()) {
    error_code ignored;
    state_->socket.close(ignored);
  }
  return out;
}

absl::StatusOr<std::string> HttpConnection::SendRawAndReadAll(std::string_view bytes) {
  bool done = false;
  error_code result;
  asio::async_write(state_->socket, asio::buffer(bytes.data(), bytes.size()), [&](error_code e, size_t) {
    result = e;
    done = true;
  });
  if (!state_->RunFor(timeout_, done)) return absl::DeadlineExceededError("raw write timed out");
  if (result) return absl::UnavailableError(fmt::format("raw write failed: {}", result.message()));
  std::string out;
  done = false;
  asio::async_read(state_->socket, asio::dynamic_buffer(out), [&](error_code e, size_t) {
    result = e;
    done = true;
  });
  if (!state_->RunFor(timeout_, done)) return absl::DeadlineExceededError("peer did not close the connection");
  return out;
}

absl::StatusOr<HttpClientResponse> HttpClient::Get(const std::string& host, uint16_t port, std::string_view target,
                                                   const HttpHeaders& headers) {
  HttpConnection conn;
  if (absl::Status s = conn.Connect(host, port); !s.ok()) return s;
  return conn.Request("GET", target, {}, headers);
}

absl::StatusOr<HttpClientResponse> HttpClient::Post(const std::string& host, uint16_t port, std::string_view target,
                                                    std::string body, std::string_view content_type,
                                                    const HttpHeaders& headers) {
  HttpConnection conn;
  if (absl::Status s = conn.Connect(host, port); !s.ok()) return s;
  HttpHeaders all = headers;
  all.emplace_back("Content-Type", std::string(content_type));
  return conn.Request("POST", target, std::move(body), all);
}

}  // namespace strata::testing
