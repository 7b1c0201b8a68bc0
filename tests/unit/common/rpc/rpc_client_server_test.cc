#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <catch2/catch.hpp>
#include <chrono>
#include <functional>
#include <future>
#include <mutex>
#include <random>
#include <thread>
#include <vector>

#include "common/rpc/rpc_client.h"
#include "common/rpc/rpc_codec.h"
#include "common/rpc/rpc_server.h"
#include "fmt/format.h"
#include "prometheus/registry.h"
#include "prometheus/text_serializer.h"

namespace strata {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

constexpr uint32_t kEcho = 100;
constexpr uint32_t kFail = 101;
constexpr uint32_t kHold = 102;  // the test keeps the reply

// Calls and waits for the outcome.
absl::StatusOr<std::string> CallSync(RpcClient& client, uint32_t method, std::string body,
                                     std::chrono::milliseconds timeout = 10s) {
  std::promise<absl::StatusOr<std::string>> promise;
  auto future = promise.get_future();
  client.Call(method, std::move(body), Clock::now() + timeout,
              [&promise](absl::StatusOr<std::string> r) { promise.set_value(std::move(r)); });
  REQUIRE(future.wait_for(timeout + 10s) == std::future_status::ready);
  return future.get();
}

bool WaitFor(const std::function<bool()>& cond, std::chrono::milliseconds timeout = 10s) {
  auto deadline = Clock::now() + timeout;
  while (Clock::now() < deadline) {
    if (cond()) return true;
    std::this_thread::sleep_for(5ms);
  }
  return cond();
}

struct Held {
  std::mutex mu;
  std::vector<std::pair<std::string, RpcReply>> replies;
  size_t size() {
    std::lock_guard<std::mutex> l(mu);
    return replies.size();
  }
};

RpcServerOptions TestServerOptions(uint16_t port = 0) {
  RpcServerOptions o;
  o.listen_address = fmt::format("127.0.0.1:{}", port);
  o.node_name = "test-server";
  o.shutdown_grace = 200ms;
  o.handshake_timeout = 300ms;
  return o;
}

RpcClientOptions TestClientOptions(uint16_t port) {
  RpcClientOptions o;
  o.address = fmt::format("127.0.0.1:{}", port);
  o.node_name = "test-client";
  o.min_backoff = 20ms;
  o.max_backoff = 100ms;
  o.handshake_timeout = 500ms;
  return o;
}

void RegisterTestMethods(RpcServer& server, Held* held) {
  server.RegisterMethod(kEcho, [](std::string&& body, RpcReply reply) { reply(std::move(body)); });
  server.RegisterMethod(kFail, [](std::string&& body, RpcReply reply) {
    reply(absl::NotFoundError(fmt::format("nothing called {}", body)));
  });
  server.RegisterMethod(kHold, [held](std::string&& body, RpcReply reply) {
    std::lock_guard<std::mutex> l(held->mu);
    held->replies.emplace_back(std::move(body), std::move(reply));
  });
}

struct Fixture {
  Fixture() {
    server = std::make_unique<RpcServer>(io, work, TestServerOptions());
    RegisterTestMethods(*server, &held);
    REQUIRE(server->Start().ok());
    client = std::make_unique<RpcClient>(io, TestClientOptions(server->port()));
  }
  ~Fixture() {
    client.reset();
    {
      std::lock_guard<std::mutex> l(held.mu);
      held.replies.clear();
    }
    server.reset();
  }

  IoPool io{2};
  WorkPool work{4};
  Held held;
  std::unique_ptr<RpcServer> server;
  std::unique_ptr<RpcClient> client;
};

// A raw TCP listener on 127.0.0.1 that hands every accepted socket to
// `on_conn` on its own thread: the misbehaving peers of these tests.
class FakePeer {
 public:
  explicit FakePeer(std::function<void(int fd)> on_conn) : on_conn_(std::move(on_conn)) {
    fd_ = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0);
    REQUIRE(listen(fd_, 16) == 0);
    socklen_t len = sizeof(addr);
    getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    thread_ = std::thread([this] {
      for (;;) {
        int c = accept(fd_, nullptr, nullptr);
        if (c < 0) return;
        ++accepted_;
        conns_.emplace_back([this, c] {
          on_conn_(c);
          close(c);
        });
      }
    });
  }
  ~FakePeer() {
    shutdown(fd_, SHUT_RDWR);
    close(fd_);
    thread_.join();
    for (auto& t : conns_) t.join();
  }
  uint16_t port() const { return port_; }
  int accepted() const { return accepted_; }

 private:
  std::function<void(int)> on_conn_;
  int fd_ = -1;
  uint16_t port_ = 0;
  std::atomic<int> accepted_{0};
  std::thread thread_;
  std::vector<std::thread> conns_;
};

void SendAll(int fd, std::string_view bytes) {
  while (!bytes.empty()) {
    ssize_t n = send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (n <= 0) return;
    bytes.remove_prefix(static_cast<size_t>(n));
  }
}

// Reads until the peer closes or `timeout`; returns true when it closed.
bool ReadUntilClosed(int fd, std::chrono::milliseconds timeout, std::string* got = nullptr) {
  timeval tv{static_cast<time_t>(timeout.count() / 1000), static_cast<suseconds_t>((timeout.count() % 1000) * 1000)};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  char buf[4096];
  for (;;) {
    ssize_t n = recv(fd, buf, sizeof(buf), 0);
    if (n == 0) return true;
    if (n < 0) return errno == ECONNRESET;
    if (got != nullptr) got->append(buf, static_cast<size_t>(n));
  }
}

int ConnectRaw(uint16_t port) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(port);
  REQUIRE(connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0);
  return fd;
}

TEST_CASE("rpc call returns the handler's reply", "[common][rpc][unit]") {
  Fixture f;
  auto r = CallSync(*f.client, kEcho, "ping");
  REQUIRE(r.ok());
  CHECK(*r == "ping");
  CHECK(f.client->IsConnected());
  auto empty = CallSync(*f.client, kEcho, "");
  REQUIRE(empty.ok());
  CHECK(empty->empty());
}

TEST_CASE("rpc handler errors and unknown methods reach the caller as statuses", "[common][rpc][unit]") {
  Fixture f;
  auto r = CallSync(*f.client, kFail, "foo");
  CHECK(absl::IsNotFound(r.status()));
  CHECK(r.status().message() == "nothing called foo");
  CHECK(absl::IsUnimplemented(CallSync(*f.client, 9999, "x").status()));
  // The connection survives both.
  CHECK(CallSync(*f.client, kEcho, "still here").value() == "still here");
}

TEST_CASE("rpc pipelines many calls on one connection and matches out-of-order replies", "[common][rpc][unit]") {
  Fixture f;
  REQUIRE(CallSync(*f.client, kEcho, "warm up").ok());
  constexpr int kCalls = 200;
  std::mutex mu;
  std::vector<std::pair<int, absl::StatusOr<std::string>>> results;
  std::promise<void> all;
  for (int i = 0; i < kCalls; ++i) {
    f.client->Call(kHold, std::to_string(i), Clock::now() + 20s, [&, i](absl::StatusOr<std::string> r) {
      std::lock_guard<std::mutex> l(mu);
      results.emplace_back(i, std::move(r));
      if (results.size() == kCalls) all.set_value();
    });
  }
  // Every request is outstanding at once before any reply is sent.
  REQUIRE(WaitFor([&] { return f.held.size() == kCalls; }));
  std::vector<std::pair<std::string, RpcReply>> replies;
  {
    std::lock_guard<std::mutex> l(f.held.mu);
    replies = std::move(f.held.replies);
    f.held.replies.clear();
  }
  std::shuffle(replies.begin(), replies.end(), std::mt19937(7));
  for (auto& [body, reply] : replies) reply("reply to " + body);
  REQUIRE(all.get_future().wait_for(20s) == std::future_status::ready);
  REQUIRE(results.size() == kCalls);
  bool in_call_order = true;
  for (size_t k = 0; k < results.size(); ++k) {
    auto& [i, r] = results[k];
    REQUIRE(r.ok());
    CHECK(*r == fmt::format("reply to {}", i));
    if (i != static_cast<int>(k)) in_call_order = false;
  }
  CHECK_FALSE(in_call_order);  // replies completed in the shuffled order
}

TEST_CASE("rpc server stops reading a connection with too many unanswered requests", "[common][rpc][unit]") {
  IoPool io(2);
  WorkPool work(2);
  Held held;
  RpcServerOptions so = TestServerOptions();
  so.max_inflight_per_connection = 4;
  RpcServer server(io, work, so);
  RegisterTestMethods(server, &held);
  REQUIRE(server.Start().ok());
  RpcClient client(io, TestClientOptions(server.port()));
  constexpr int kCalls = 20;
  std::atomic<int> ok{0};
  std::atomic<int> finished{0};
  for (int i = 0; i < kCalls; ++i) {
    client.Call(kHold, std::to_string(i), Clock::now() + 20s, [&](absl::StatusOr<std::string> r) {
      if (r.ok()) ++ok;
      ++finished;
    });
  }
  int answered = 0;
  while (answered < kCalls) {
    REQUIRE(WaitFor([&] { return held.size() > 0; }));
    std::this_thread::sleep_for(10ms);  // give an over-eager reader time to show itself
    std::vector<std::pair<std::string, RpcReply>> batch;
    {
      std::lock_guard<std::mutex> l(held.mu);
      CHECK(held.replies.size() <= 4);
      batch = std::move(held.replies);
      held.replies.clear();
    }
    for (auto& [body, reply] : batch) reply(std::move(body));
    answered += static_cast<int>(batch.size());
  }
  REQUIRE(WaitFor([&] { return finished == kCalls; }));
  CHECK(ok == kCalls);
}

TEST_CASE("rpc carries large compressible and incompressible bodies intact", "[common][rpc][unit]") {
  Fixture f;
  std::string text;
  while (text.size() < (8u << 20)) text += "node_cpu_seconds_total{cpu=\"0\",mode=\"idle\"} 12345.67\n";
  std::mt19937_64 rng(11);
  std::string noise(2u << 20, '\0');
  for (char& c : noise) c = static_cast<char>(rng());
  for (const std::string* body : {&text, &noise}) {
    auto r = CallSync(*f.client, kEcho, *body, 30s);
    REQUIRE(r.ok());
    CHECK(r->size() == body->size());
    CHECK(*r == *body);
  }
}

TEST_CASE("rpc call past its deadline fails with DeadlineExceeded and the late reply is ignored",
          "[common][rpc][unit]") {
  Fixture f;
  auto start = Clock::now();
  auto r = CallSync(*f.client, kHold, "slow", 100ms);
  CHECK(absl::IsDeadlineExceeded(r.status()));
  CHECK(Clock::now() - start < 5s);
  REQUIRE(WaitFor([&] { return f.held.size() == 1; }));
  {
    std::lock_guard<std::mutex> l(f.held.mu);
    // The handler saw the caller's deadline.
    CHECK(f.held.replies[0].second.deadline() <= start + 200ms);
    f.held.replies[0].second("too late");
    f.held.replies.clear();
  }
  CHECK(CallSync(*f.client, kEcho, "next").value() == "next");
}

TEST_CASE("rpc handler that drops its reply yields Internal instead of a hang", "[common][rpc][unit]") {
  IoPool io(1);
  WorkPool work(2);
  RpcServer server(io, work, TestServerOptions());
  server.RegisterMethod(kEcho, [](std::string&&, RpcReply) {});
  REQUIRE(server.Start().ok());
  RpcClient client(io, TestClientOptions(server.port()));
  CHECK(absl::IsInternal(CallSync(client, kEcho, "x").status()));
}

TEST_CASE("rpc outstanding calls fail with Unavailable when the server goes away", "[common][rpc][unit]") {
  Fixture f;
  REQUIRE(CallSync(*f.client, kEcho, "up").ok());
  std::promise<absl::StatusOr<std::string>> promise;
  f.client->Call(kHold, "never answered", Clock::now() + 30s,
                 [&](absl::StatusOr<std::string> r) { promise.set_value(std::move(r)); });
  REQUIRE(WaitFor([&] { return f.held.size() == 1; }));
  auto start = Clock::now();
  f.server->Stop();
  auto future = promise.get_future();
  REQUIRE(future.wait_for(10s) == std::future_status::ready);
  CHECK(absl::IsUnavailable(future.get().status()));
  CHECK(Clock::now() - start < 5s);
  CHECK(WaitFor([&] { return !f.client->IsConnected(); }));
  // While the peer is down calls fail fast instead of queueing.
  auto fail_start = Clock::now();
  auto down = CallSync(*f.client, kEcho, "anyone?", 5s);
  CHECK(absl::IsUnavailable(down.status()));
  CHECK(Clock::now() - fail_start < 3s);
}

TEST_CASE("rpc client reconnects when the server comes back on the same port", "[common][rpc][unit]") {
  IoPool io(2);
  WorkPool work(2);
  Held held;
  auto server = std::make_unique<RpcServer>(io, work, TestServerOptions());
  RegisterTestMethods(*server, &held);
  REQUIRE(server->Start().ok());
  uint16_t port = server->port();
  RpcClient client(io, TestClientOptions(port));
  REQUIRE(CallSync(client, kEcho, "one").ok());
  server.reset();
  REQUIRE(WaitFor([&] { return !client.IsConnected(); }));
  CHECK(absl::IsUnavailable(CallSync(client, kEcho, "down", 2s).status()));

  server = std::make_unique<RpcServer>(io, work, TestServerOptions(port));
  RegisterTestMethods(*server, &held);
  REQUIRE(server->Start().ok());
  REQUIRE(WaitFor([&] { return client.IsConnected(); }));
  CHECK(CallSync(client, kEcho, "two").value() == "two");
}

TEST_CASE("rpc client survives a peer that closes mid-frame", "[common][rpc][unit]") {
  FakePeer peer([](int fd) {
    SendAll(fd, std::string("\x00\x00", 2));  // half a length prefix
  });
  IoPool io(1);
  RpcClient client(io, TestClientOptions(peer.port()));
  auto r = CallSync(client, kEcho, "hello?", 5s);
  CHECK(absl::IsUnavailable(r.status()));
  CHECK_FALSE(client.IsConnected());
}

TEST_CASE("rpc client survives a peer that sends garbage", "[common][rpc][unit]") {
  FakePeer peer([](int fd) {
    SendAll(fd, std::string(64, '\xff'));  // a length far over the cap
    ReadUntilClosed(fd, 2s);
  });
  IoPool io(1);
  RpcClient client(io, TestClientOptions(peer.port()));
  auto r = CallSync(client, kEcho, "hello?", 5s);
  CHECK(absl::IsUnavailable(r.status()));
  // A well-formed Hello followed by a garbage envelope is dropped too.
  FakePeer peer2([](int fd) {
    SendAll(fd, EncodeHelloFrame(kRpcProtocolVersion, "fake"));
    SendAll(fd, std::string("\x00\x00\x00\x05\xff\xff\xff\xff\xff", 9));
    ReadUntilClosed(fd, 2s);
  });
  RpcClient client2(io, TestClientOptions(peer2.port()));
  auto r2 = CallSync(client2, kEcho, "hello?", 5s);
  CHECK(absl::IsUnavailable(r2.status()));
}

TEST_CASE("rpc client gives up on a peer that never completes the handshake", "[common][rpc][unit]") {
  FakePeer silent([](int fd) { ReadUntilClosed(fd, 3s); });
  IoPool io(1);
  RpcClientOptions options = TestClientOptions(silent.port());
  options.handshake_timeout = 200ms;
  RpcClient client(io, options);
  auto start = Clock::now();
  auto r = CallSync(client, kEcho, "hello?", 5s);
  CHECK(absl::IsUnavailable(r.status()));
  CHECK(Clock::now() - start < 2s);
}

TEST_CASE("rpc server drops a garbage-sending client and keeps serving others", "[common][rpc][unit]") {
  Fixture f;
  int fd = ConnectRaw(f.server->port());
  SendAll(fd, EncodeHelloFrame(kRpcProtocolVersion, "raw"));
  SendAll(fd, std::string("\x00\x00\x00\x08garbage!", 12));
  std::string got;
  CHECK(ReadUntilClosed(fd, 5s, &got));
  close(fd);
  // It did receive the server's Hello before being dropped.
  REQUIRE(got.size() >= 4);
  auto hello = DecodeHello(got.substr(4, DecodeFrameLength(reinterpret_cast<const unsigned char*>(got.data()))));
  REQUIRE(hello.ok());
  CHECK(hello->node_name == "test-server");

  int fd2 = ConnectRaw(f.server->port());
  SendAll(fd2, std::string(16, '\xff'));
  CHECK(ReadUntilClosed(fd2, 5s));
  close(fd2);

  // Silence is dropped after the handshake timeout.
  int fd3 = ConnectRaw(f.server->port());
  CHECK(ReadUntilClosed(fd3, 5s));
  close(fd3);

  CHECK(CallSync(*f.client, kEcho, "fine").value() == "fine");
}

TEST_CASE("rpc refuses a peer with another protocol version", "[common][rpc][unit]") {
  Fixture f;
  RpcClientOptions options = TestClientOptions(f.server->port());
  options.protocol_version = kRpcProtocolVersion + 98;
  RpcClient other(f.io, options);
  auto r = CallSync(other, kEcho, "hi", 5s);
  CHECK(absl::IsUnavailable(r.status()));
  CHECK_THAT(std::string(r.status().message()), Catch::Contains("version"));
  CHECK_FALSE(other.IsConnected());
  CHECK(CallSync(*f.client, kEcho, "ok").value() == "ok");
}

TEST_CASE("rpc calls after Close fail with Unavailable", "[common][rpc][unit]") {
  Fixture f;
  REQUIRE(CallSync(*f.client, kEcho, "x").ok());
  f.client->Close();
  CHECK_FALSE(f.client->IsConnected());
  CHECK(absl::IsUnavailable(CallSync(*f.client, kEcho, "y").status()));
}

TEST_CASE("rpc client and server export request metrics", "[common][rpc][unit]") {
  prometheus::Registry registry;
  IoPool io(1);
  WorkPool work(2);
  RpcServerOptions so = TestServerOptions();
  so.metrics = &registry;
  RpcServer server(io, work, so);
  server.RegisterMethod(kRpcMethodStorageWrite, [](std::string&&, RpcReply reply) { reply(std::string()); });
  REQUIRE(server.Start().ok());
  RpcClientOptions co = TestClientOptions(server.port());
  co.metrics = &registry;
  RpcClient client(io, co);
  for (int i = 0; i < 3; ++i) REQUIRE(CallSync(client, kRpcMethodStorageWrite, "b").ok());
  std::string text = prometheus::TextSerializer().Serialize(registry.Collect());
  CHECK_THAT(text, Catch::Contains(fmt::format(
                       "strata_rpc_client_requests_total{{method=\"write\",peer=\"127.0.0.1:{}\",result=\"ok\"}} 3",
                       server.port())));
  CHECK_THAT(text, Catch::Contains("strata_rpc_server_requests_total{method=\"write\",result=\"ok\"} 3"));
  CHECK_THAT(text, Catch::Contains(fmt::format("strata_rpc_connected{{peer=\"127.0.0.1:{}\"}} 1", server.port())));
}

}  // namespace
}  // namespace strata
