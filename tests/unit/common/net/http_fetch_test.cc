#include "common/net/http_fetch.h"

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <thread>

#include "common/net/http_server.h"
#include "fmt/format.h"

namespace strata {
namespace {

// A loopback listener on an ephemeral port that answers each connection
// with `reply` (after reading the request head), or never when `reply` is
// empty.
class RawServer {
 public:
  explicit RawServer(std::string reply) : reply_(std::move(reply)) {
    fd_ = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0);
    socklen_t len = sizeof(addr);
    getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    REQUIRE(listen(fd_, 4) == 0);
    thread_ = std::thread([this] {
      const int c = accept(fd_, nullptr, nullptr);
      if (c < 0) return;
      std::string head;
      char buf[4096];
      while (head.find("\r\n\r\n") == std::string::npos) {
        const ssize_t n = recv(c, buf, sizeof(buf), 0);
        if (n <= 0) break;
        head.append(buf, static_cast<size_t>(n));
      }
      request_ = head;
      if (!reply_.empty()) {
        (void)!send(c, reply_.data(), reply_.size(), MSG_NOSIGNAL);
      } else {
        // Hold the connection until the client gives up.
        while (recv(c, buf, sizeof(buf), 0) > 0) {
        }
      }
      close(c);
    });
  }
  ~RawServer() {
    shutdown(fd_, SHUT_RDWR);
    close(fd_);
    thread_.join();
  }
  uint16_t port() const { return port_; }
  const std::string& request() const { return request_; }

 private:
  int fd_ = -1;
  uint16_t port_ = 0;
  std::string reply_;
  std::string request_;
  std::thread thread_;
};

TEST_CASE("http fetch gets status, content type and body from a strata server", "[common][net][http][unit]") {
  IoPool io{1};
  WorkPool work{1};
  HttpMux mux;
  mux.HandleExact("/api/v1/rules", [](HttpRequest&& req, HttpResponder respond) {
    respond(HttpResponse::Json(200, fmt::format("{{\"q\":\"{}\"}}", req.query)));
  });
  HttpServerOptions options;
  options.listen_address = "127.0.0.1:0";
  HttpServer server(io, work, options, mux);
  REQUIRE(server.Start().ok());
  const std::string base = fmt::format("http://127.0.0.1:{}", server.port());

  auto r = HttpGet(base + "/api/v1/rules?type=alert");
  REQUIRE(r.ok());
  CHECK(r->status == 200);
  CHECK(r->content_type == "application/json");
  CHECK(r->body == R"({"q":"type=alert"})");

  auto missing = HttpGet(base + "/nothing");
  REQUIRE(missing.ok());
  CHECK(missing->status == 404);
  server.Stop();
}

TEST_CASE("http fetch decodes chunked bodies", "[common][net][http][unit]") {
  RawServer server(
      "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
      "5\r\n{\"a\":\r\nb;ext=1\r\n\"chunked!\"}\r\n0\r\n\r\n");
  auto r = HttpGet(fmt::format("http://127.0.0.1:{}/x?y=1", server.port()));
  REQUIRE(r.ok());
  CHECK(r->body == R"({"a":"chunked!"})");
  CHECK(server.request().starts_with("GET /x?y=1 HTTP/1.1\r\n"));
  CHECK(server.request().find("Connection: close\r\n") != std::string::npos);
}

TEST_CASE("http fetch reports bad URLs, refused connections and timeouts", "[common][net][http][unit]") {
  CHECK(HttpGet("https://127.0.0.1/").status().code() == absl::StatusCode::kInvalidArgument);
  CHECK(HttpGet("http://:80/").status().code() == absl::StatusCode::kInvalidArgument);
  uint16_t closed_port = 0;
  {
    RawServer s("HTTP/1.1 204 No Content\r\n\r\n");
    closed_port = s.port();
    auto r = HttpGet(fmt::format("http://127.0.0.1:{}", closed_port));
    REQUIRE(r.ok());
    CHECK(r->status == 204);
  }
  CHECK(HttpGet(fmt::format("http://127.0.0.1:{}/", closed_port)).status().code() ==
        absl::StatusCode::kUnavailable);
  RawServer silent("");
  HttpFetchOptions quick;
  quick.timeout = std::chrono::milliseconds(200);
  CHECK(HttpGet(fmt::format("http://127.0.0.1:{}/", silent.port()), quick).status().code() ==
        absl::StatusCode::kDeadlineExceeded);
}

}  // namespace
}  // namespace strata
