// The RPC layer over TLS: a TLS client and server exchange calls (large,
// compressed bodies included); a plaintext client, a client that does not
// trust the server's certificate, and a TLS client against a plaintext server
// all fail with Unavailable instead of hanging or crashing.
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <cstdlib>
#include <future>
#include <string>
#include <thread>

#include "common/net/io_pool.h"
#include "common/rpc/rpc_client.h"
#include "common/rpc/rpc_server.h"
#include "fmt/format.h"

namespace strata {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

constexpr uint32_t kEcho = 100;

// A self-signed certificate for 127.0.0.1, made with the openssl CLI in a
// fresh directory (removed at the end).
struct TestCert {
  TestCert() {
    char tmpl[] = "/tmp/strata-rpc-tls-XXXXXX";
    REQUIRE(mkdtemp(tmpl) != nullptr);
    dir = tmpl;
    cert = dir + "/cert.pem";
    key = dir + "/key.pem";
    std::string cmd = fmt::format(
        "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 1 -subj /CN=127.0.0.1 "
        "-addext subjectAltName=IP:127.0.0.1 -keyout {} -out {} >/dev/null 2>&1",
        key, cert);
    REQUIRE(std::system(cmd.c_str()) == 0);
  }
  ~TestCert() { (void)std::system(fmt::format("rm -rf {}", dir).c_str()); }
  std::string dir, cert, key;
};

absl::StatusOr<std::string> CallSync(RpcClient& client, std::string body, std::chrono::milliseconds timeout = 3s) {
  std::promise<absl::StatusOr<std::string>> promise;
  auto future = promise.get_future();
  client.Call(kEcho, std::move(body), Clock::now() + timeout,
              [&promise](absl::StatusOr<std::string> r) { promise.set_value(std::move(r)); });
  REQUIRE(future.wait_for(timeout + 10s) == std::future_status::ready);
  return future.get();
}

// The first call that is not Unavailable-because-still-connecting, within 3 s.
absl::StatusOr<std::string> CallWhenSettled(RpcClient& client, std::string body) {
  absl::StatusOr<std::string> r = absl::UnavailableError("not called");
  for (int i = 0; i < 30; ++i) {
    r = CallSync(client, body);
    if (r.ok()) break;
    std::this_thread::sleep_for(100ms);
  }
  return r;
}

struct TlsFixture {
  explicit TlsFixture(bool server_tls) {
    RpcServerOptions o;
    o.listen_address = "127.0.0.1:0";
    o.handshake_timeout = 1000ms;
    o.shutdown_grace = 200ms;
    if (server_tls) {
      o.tls_cert_file = cert.cert;
      o.tls_key_file = cert.key;
    }
    server = std::make_unique<RpcServer>(io, work, o);
    server->RegisterMethod(kEcho, [](std::string&& body, RpcReply reply) { reply(std::move(body)); });
    REQUIRE(server->Start().ok());
  }
  RpcClientOptions Client(bool tls, std::string ca_file) const {
    RpcClientOptions o;
    o.address = fmt::format("127.0.0.1:{}", server->port());
    o.min_backoff = 20ms;
    o.max_backoff = 100ms;
    o.handshake_timeout = 1000ms;
    o.tls = tls;
    o.tls_ca_file = std::move(ca_file);
    return o;
  }
  TestCert cert;
  IoPool io{2};
  WorkPool work{2};
  std::unique_ptr<RpcServer> server;
};

TEST_CASE("RPC calls succeed over TLS when the client trusts the server's certificate", "[common][rpc][tls][unit]") {
  TlsFixture f(/*server_tls=*/true);
  RpcClient client(f.io, f.Client(true, f.cert.cert));
  auto small = CallWhenSettled(client, "hello over tls");
  REQUIRE(small.ok());
  CHECK(*small == "hello over tls");
  // Large enough to be zstd-compressed and to span many TLS records.
  std::string big(3 << 20, 'x');
  for (size_t i = 0; i < big.size(); i += 97) big[i] = static_cast<char>('a' + i % 26);
  auto echoed = CallSync(client, big);
  REQUIRE(echoed.ok());
  CHECK(*echoed == big);
  CHECK(client.IsConnected());
  client.Close();
}

TEST_CASE("RPC over TLS fails cleanly for a plaintext client, an untrusted certificate and a plaintext server",
          "[common][rpc][tls][unit]") {
  TlsFixture tls_server(/*server_tls=*/true);
  {
    RpcClient plain(tls_server.io, tls_server.Client(false, ""));
    auto r = CallWhenSettled(plain, "x");
    CHECK(absl::IsUnavailable(r.status()));
    CHECK_FALSE(plain.IsConnected());
  }
  {
    // The system's CAs do not know the test certificate.
    RpcClient untrusting(tls_server.io, tls_server.Client(true, ""));
    auto r = CallWhenSettled(untrusting, "x");
    CHECK(absl::IsUnavailable(r.status()));
  }
  TlsFixture plain_server(/*server_tls=*/false);
  {
    RpcClient tls_client(plain_server.io, plain_server.Client(true, plain_server.cert.cert));
    auto r = CallWhenSettled(tls_client, "x");
    CHECK(absl::IsUnavailable(r.status()));
  }
  // The TLS server still serves a good client afterwards.
  RpcClient good(tls_server.io, tls_server.Client(true, tls_server.cert.cert));
  auto r = CallWhenSettled(good, "still fine");
  REQUIRE(r.ok());
  CHECK(*r == "still fine");
}

TEST_CASE("an RPC server with an unusable certificate does not start", "[common][rpc][tls][unit]") {
  IoPool io{1};
  WorkPool work{1};
  RpcServerOptions o;
  o.listen_address = "127.0.0.1:0";
  o.tls_cert_file = "/nonexistent/cert.pem";
  o.tls_key_file = "/nonexistent/key.pem";
  RpcServer server(io, work, o);
  absl::Status st = server.Start();
  CHECK(absl::IsInvalidArgument(st));
  CHECK(std::string(st.message()).find("/nonexistent/cert.pem") != std::string::npos);
}

}  // namespace
}  // namespace strata
