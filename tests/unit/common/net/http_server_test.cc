#include "common/net/http_server.h"

#include <atomic>
#include <catch2/catch.hpp>
#include <chrono>
#include <stdexcept>
#include <thread>
#include <vector>

#include "common/net/gzip.h"
#include "fmt/format.h"
#include "prometheus/registry.h"
#include "prometheus/text_serializer.h"
#include "testing/http_client.h"

namespace strata {
namespace {

using testing::HttpClient;
using testing::HttpConnection;

// A server on an ephemeral loopback port with an echo handler at /echo.
struct ServerFixture {
  explicit ServerFixture(HttpServerOptions options = {}) {
    options.listen_address = "127.0.0.1:0";
    mux.HandleExact("/echo", [](HttpRequest&& req, HttpResponder respond) {
      std::string out = fmt::format("{} {} q={} ua={} body={}", req.method, req.path, req.query,
                                    req.Header("user-agent"), req.body);
      respond(HttpResponse::Text(200, std::move(out)));
    });
    mux.HandlePrefix("/later/", [](HttpRequest&& req, HttpResponder respond) {
      // Answer from a thread that is neither a network nor a work thread.
      std::thread([path = req.path, respond = std::move(respond)]() mutable {
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
        HttpResponse r = HttpResponse::Json(201, fmt::format("{{\"path\":\"{}\"}}", path));
        r.headers.emplace_back("X-Strata-Test", "yes");
        respond(std::move(r));
      }).detach();
    });
    mux.HandleExact("/big", [](HttpRequest&&, HttpResponder respond) {
      std::string body;
      for (int i = 0; i < 2000; ++i) body += fmt::format("line {}\n", i);
      respond(HttpResponse::Text(200, std::move(body)));
    });
    mux.HandleExact("/drop", [](HttpRequest&&, HttpResponder) {});
    mux.HandleExact("/throw", [](HttpRequest&&, HttpResponder) { throw std::runtime_error("handler bug"); });
    server = std::make_unique<HttpServer>(io, work, options, mux);
    REQUIRE(server->Start().ok());
    REQUIRE(server->port() != 0);
  }
  uint16_t port() const { return server->port(); }

  IoPool io{2};
  WorkPool work{2};
  HttpMux mux;
  std::unique_ptr<HttpServer> server;
};

TEST_CASE("http server answers GET and POST with decoded path, raw query and lowercased headers",
          "[common][net][http][unit]") {
  ServerFixture f;
  auto get = HttpClient::Get("127.0.0.1", f.port(), "/ech%6F?a=b%20c&d");
  REQUIRE(get.ok());
  CHECK(get->status == 200);
  CHECK(get->body == "GET /echo q=a=b%20c&d ua=strata-test body=");
  CHECK(get->Header("content-type") == "text/plain; charset=utf-8");
  CHECK(get->Header("content-length") == std::to_string(get->body.size()));

  auto post = HttpClient::Post("127.0.0.1", f.port(), "/echo", "payload bytes", "application/octet-stream");
  REQUIRE(post.ok());
  CHECK(post->status == 200);
  CHECK(post->body == "POST /echo q= ua=strata-test body=payload bytes");
}

TEST_CASE("http server serves many requests on one keep-alive connection", "[common][net][http][unit]") {
  ServerFixture f;
  HttpConnection conn;
  REQUIRE(conn.Connect("127.0.0.1", f.port()).ok());
  for (int i = 0; i < 100; ++i) {
    auto r = conn.Request("POST", "/echo", std::to_string(i));
    REQUIRE(r.ok());
    CHECK(r->body == fmt::format("POST /echo q= ua=strata-test body={}", i));
    REQUIRE(conn.is_open());
  }
}

TEST_CASE("http server handles concurrent clients", "[common][net][http][unit]") {
  ServerFixture f;
  std::atomic<int> ok{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      HttpConnection conn;
      if (!conn.Connect("127.0.0.1", f.port()).ok()) return;
      for (int i = 0; i < 25; ++i) {
        auto r = conn.Request("GET", fmt::format("/echo?t={}&i={}", t, i));
        if (r.ok() && r->body == fmt::format("GET /echo q=t={}&i={} ua=strata-test body=", t, i)) ++ok;
      }
    });
  }
  for (auto& t : threads) t.join();
  CHECK(ok == 8 * 25);
}

TEST_CASE("http server writes a response given later from another thread", "[common][net][http][unit]") {
  ServerFixture f;
  HttpConnection conn;
  REQUIRE(conn.Connect("127.0.0.1", f.port()).ok());
  for (int i = 0; i < 3; ++i) {
    auto r = conn.Request("GET", fmt::format("/later/{}", i));
    REQUIRE(r.ok());
    CHECK(r->status == 201);
    CHECK(r->Header("content-type") == "application/json");
    CHECK(r->Header("x-strata-test") == "yes");
    CHECK(r->body == fmt::format("{{\"path\":\"/later/{}\"}}", i));
  }
}

TEST_CASE("http server answers 500 when a handler drops its responder or throws", "[common][net][http][unit]") {
  ServerFixture f;
  HttpConnection conn;
  REQUIRE(conn.Connect("127.0.0.1", f.port()).ok());
  for (const char* path : {"/drop", "/throw"}) {
    auto r = conn.Request("GET", path);
    REQUIRE(r.ok());
    CHECK(r->status == 500);
  }
  auto again = conn.Request("GET", "/echo");
  REQUIRE(again.ok());
  CHECK(again->status == 200);
}

TEST_CASE("http server answers 404 for an unknown path and keeps the connection", "[common][net][http][unit]") {
  ServerFixture f;
  HttpConnection conn;
  REQUIRE(conn.Connect("127.0.0.1", f.port()).ok());
  auto r = conn.Request("GET", "/nope");
  REQUIRE(r.ok());
  CHECK(r->status == 404);
  auto again = conn.Request("GET", "/echo");
  REQUIRE(again.ok());
  CHECK(again->status == 200);
}

TEST_CASE("http server rejects a body over the limit with 413", "[common][net][http][unit]") {
  HttpServerOptions options;
  options.max_body_bytes = 1024;
  ServerFixture f(options);
  auto small = HttpClient::Post("127.0.0.1", f.port(), "/echo", std::string(1024, 'x'), "text/plain");
  REQUIRE(small.ok());
  CHECK(small->status == 200);
  auto big = HttpClient::Post("127.0.0.1", f.port(), "/echo", std::string(4096, 'x'), "text/plain");
  REQUIRE(big.ok());
  CHECK(big->status == 413);
  // A gzip body that inflates past the limit is refused the same way.
  auto bomb = HttpClient::Post("127.0.0.1", f.port(), "/echo", GzipCompress(std::string(100000, 'y')), "text/plain",
                               {{"Content-Encoding", "gzip"}});
  REQUIRE(bomb.ok());
  CHECK(bomb->status == 413);
}

TEST_CASE("http server answers garbage with 400, closes, and keeps serving others", "[common][net][http][unit]") {
  ServerFixture f;
  HttpConnection bad;
  REQUIRE(bad.Connect("127.0.0.1", f.port()).ok());
  auto reply = bad.SendRawAndReadAll(std::string("\x01\x02\x03 garbage \xff\r\n\r\n"));
  REQUIRE(reply.ok());
  CHECK(reply->rfind("HTTP/1.1 400", 0) == 0);

  HttpConnection bad2;
  REQUIRE(bad2.Connect("127.0.0.1", f.port()).ok());
  auto reply2 = bad2.SendRawAndReadAll("GET /echo HTTP/1.1\r\nContent-Length: banana\r\n\r\n");
  REQUIRE(reply2.ok());
  CHECK(reply2->rfind("HTTP/1.1 400", 0) == 0);

  auto good = HttpClient::Get("127.0.0.1", f.port(), "/echo");
  REQUIRE(good.ok());
  CHECK(good->status == 200);
}

TEST_CASE("http server gunzips request bodies and gzips large responses on request", "[common][net][http][unit]") {
  ServerFixture f;
  auto post = HttpClient::Post("127.0.0.1", f.port(), "/echo", GzipCompress("compressed payload"), "text/plain",
                               {{"Content-Encoding", "gzip"}});
  REQUIRE(post.ok());
  CHECK(post->body == "POST /echo q= ua=strata-test body=compressed payload");

  // Encodings other than gzip are the handler's business (remote write: snappy).
  auto snappy = HttpClient::Post("127.0.0.1", f.port(), "/echo", std::string("\xff\x00raw", 5), "application/x-protobuf",
                                 {{"Content-Encoding", "snappy"}});
  REQUIRE(snappy.ok());
  CHECK(snappy->status == 200);
  CHECK(snappy->body == std::string("POST /echo q= ua=strata-test body=\xff\x00raw", 39));

  auto plain = HttpClient::Get("127.0.0.1", f.port(), "/big");
  REQUIRE(plain.ok());
  CHECK(plain->Header("content-encoding").empty());
  auto zipped = HttpClient::Get("127.0.0.1", f.port(), "/big", {{"Accept-Encoding", "gzip, deflate"}});
  REQUIRE(zipped.ok());
  CHECK(zipped->Header("content-encoding") == "gzip");
  CHECK(zipped->body.size() < plain->body.size());
  auto unzipped = GzipDecompress(zipped->body, 1 << 20);
  REQUIRE(unzipped.ok());
  CHECK(*unzipped == plain->body);
  // Small responses are not worth compressing.
  auto small = HttpClient::Get("127.0.0.1", f.port(), "/echo", {{"Accept-Encoding", "gzip"}});
  REQUIRE(small.ok());
  CHECK(small->Header("content-encoding").empty());
}

TEST_CASE("http server stop waits for an in-flight response and then refuses connections",
          "[common][net][http][unit]") {
  ServerFixture f;
  uint16_t port = f.port();
  absl::StatusOr<testing::HttpClientResponse> slow;
  std::thread client([&] { slow = HttpClient::Get("127.0.0.1", port, "/later/slow"); });
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  f.server->Stop();
  client.join();
  REQUIRE(slow.ok());
  CHECK(slow->status == 201);
  CHECK(!HttpClient::Get("127.0.0.1", port, "/echo").ok());
}

TEST_CASE("http server rejects a malformed listen address and a port in use", "[common][net][http][unit]") {
  IoPool io(1);
  WorkPool work(1);
  HttpMux mux;
  HttpServerOptions bad;
  bad.listen_address = "127.0.0.1";
  HttpServer s1(io, work, bad, mux);
  CHECK(absl::IsInvalidArgument(s1.Start()));

  HttpServerOptions any;
  any.listen_address = "127.0.0.1:0";
  HttpServer s2(io, work, any, mux);
  REQUIRE(s2.Start().ok());
  HttpServerOptions same;
  same.listen_address = fmt::format("127.0.0.1:{}", s2.port());
  HttpServer s3(io, work, same, mux);
  CHECK(absl::IsUnavailable(s3.Start()));
}

TEST_CASE("http server counts requests per path group in the metrics registry", "[common][net][http][unit]") {
  prometheus::Registry registry;
  HttpServerOptions options;
  options.metrics = &registry;
  ServerFixture f(options);
  for (int i = 0; i < 3; ++i) REQUIRE(HttpClient::Get("127.0.0.1", f.port(), "/echo").ok());
  REQUIRE(HttpClient::Get("127.0.0.1", f.port(), "/missing").ok());
  std::string text = prometheus::TextSerializer().Serialize(registry.Collect());
  CHECK_THAT(text, Catch::Contains("strata_http_requests_total{code=\"200\",path=\"/echo\"} 3"));
  CHECK_THAT(text, Catch::Contains("strata_http_requests_total{code=\"404\",path=\"other\"} 1"));
}

}  // namespace
}  // namespace strata
