// End to end: the security flags on real processes. HTTPS on the HTTP port
// (checked with curl and a certificate made by the openssl CLI at test
// time), basic auth / bearer tokens / authKeys with missing, wrong and right
// credentials, secrets kept out of /api/v1/status/flags and the log, and a
// cluster whose RPC runs over TLS.
#include <signal.h>

#include <fstream>

#include <catch2/catch.hpp>
#include <fmt/format.h>

#include "e2e/cluster.h"
#include "e2e/process.h"
#include "e2e/prom_json.h"
#include "e2e/test_data.h"
#include "testing/http_client.h"

namespace strata::testing {
namespace {

// A self-signed certificate for 127.0.0.1 (cert.pem, key.pem in `dir`); the
// certificate is also the CA clients trust.
struct TestCert {
  std::string cert, key;
};

TestCert MakeCert(const std::string& dir) {
  TestCert c{dir + "/cert.pem", dir + "/key.pem"};
  CommandResult r = RunCommand(fmt::format(
      "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 1 -subj /CN=127.0.0.1 "
      "-addext subjectAltName=IP:127.0.0.1 -keyout {} -out {} 2>&1",
      c.key, c.cert));
  INFO(r.output);
  REQUIRE(r.exit_code == 0);
  return c;
}

std::string Curl(const std::string& args) {
  CommandResult r = RunCommand("curl -sS --max-time 10 " + args + " 2>&1");
  return fmt::format("{}\n{}", r.exit_code, r.output);
}

// `strata all` on a fresh port with `flags`; waits until `ready` holds.
struct AllProcess {
  AllProcess(const TempDir& dir, std::vector<std::string> flags) : port(PickFreePort()) {
    std::vector<std::string> argv = {StrataBinary(), "all", fmt::format("-httpListenAddr=127.0.0.1:{}", port),
                                     "-storageDataPath=" + dir.path() + "/data"};
    argv.insert(argv.end(), flags.begin(), flags.end());
    process.Start(argv, dir.path() + "/all.log");
  }
  uint16_t port;
  ChildProcess process;
};

TEST_CASE("HTTPS: the API answers curl over TLS, plain HTTP on the port gets 400, bad TLS flags stop startup",
          "[e2e][security][.slow]") {
  TempDir dir;
  TestCert cert = MakeCert(dir.path());
  AllProcess all(dir, {"-tls", "-tlsCertFile=" + cert.cert, "-tlsKeyFile=" + cert.key});
  const std::string base = fmt::format("https://127.0.0.1:{}", all.port);
  const std::string ca = "--cacert " + cert.cert + " ";
  REQUIRE(WaitFor(100, std::chrono::milliseconds(100), [&] {
    return !all.process.Exited() && Curl(ca + base + "/ready").starts_with("0\n");
  }));
  INFO(all.process.LogTail());

  std::string write = Curl(ca + "-w '%{http_code}' --data-binary 'e2e_tls_metric{via=\"https\"} 42' " + base +
                           "/api/v1/import/prometheus");
  CHECK(write == "0\n204");
  std::string query;
  WaitFor(50, std::chrono::milliseconds(200), [&] {
    query = Curl(ca + "'" + base + "/api/v1/query?query=e2e_tls_metric'");
    return query.find("\"42\"") != std::string::npos;
  });
  CHECK(query.find(R"("via":"https")") != std::string::npos);
  CHECK(query.find("\"42\"") != std::string::npos);

  // Without the CA, curl refuses the self-signed certificate (exit code 60).
  CHECK(Curl(base + "/ready").starts_with("60\n"));
  // A plaintext client gets a readable answer, and the server keeps serving.
  auto plain = HttpClient::Get("127.0.0.1", all.port, "/ready");
  REQUIRE(plain.ok());
  CHECK(plain->status == 400);
  CHECK(plain->body.find("HTTPS") != std::string::npos);
  CHECK(Curl(ca + base + "/health") == "0\nOK");

  TempDir dir2;
  AllProcess broken(dir2, {"-tls", "-tlsCertFile=" + dir2.path() + "/missing.pem", "-tlsKeyFile=" + cert.key});
  REQUIRE(WaitFor(100, std::chrono::milliseconds(100), [&] { return broken.process.Exited(); }));
  CHECK(broken.process.LogTail().find("missing.pem") != std::string::npos);
}

TEST_CASE("auth: missing, wrong and right credentials for basic auth, bearer token and authKey; secrets stay hidden",
          "[e2e][security][.slow]") {
  TempDir dir;
  const std::string password = "pw-Zq81xx";
  {
    std::ofstream(dir.path() + "/password") << password << "\n";
  }
  AllProcess all(dir, {"-httpAuth.username=alice", "-httpAuth.password=file://" + dir.path() + "/password",
                       "-httpAuth.bearerToken=tok-Vy62", "-authKey=adm-Kp09", "-deleteAuthKey=del-Rb33"});
  REQUIRE(WaitHttpReady(all.port, 20000));  // /ready stays open to probes
  const HttpHeaders basic = {{"Authorization", "Basic YWxpY2U6cHctWnE4MXh4"}};  // alice:pw-Zq81xx
  const HttpHeaders wrong_basic = {{"Authorization", "Basic YWxpY2U6d3Jvbmc="}};  // alice:wrong
  const HttpHeaders bearer = {{"Authorization", "Bearer tok-Vy62"}};
  const HttpHeaders wrong_bearer = {{"Authorization", "Bearer tok-nope"}};
  auto get = [&](const std::string& target, const HttpHeaders& h) {
    auto r = HttpClient::Get("127.0.0.1", all.port, target, h);
    REQUIRE(r.ok());
    return *r;
  };

  const std::string q = "/api/v1/query?query=vector(1)";
  HttpClientResponse missing = get(q, {});
  CHECK(missing.status == 401);
  CHECK(missing.Header("www-authenticate").find("Basic realm=") == 0);
  CHECK(get(q, wrong_basic).status == 401);
  CHECK(get(q, wrong_bearer).status == 401);
  CHECK(get(q, basic).status == 200);
  CHECK(get(q, bearer).status == 200);
  CHECK(get("/health", {}).status == 200);
  CHECK(get("/metrics", {}).status == 401);
  CHECK(get("/metrics", bearer).status == 200);

  // Writes are guarded the same way.
  auto write = [&](const HttpHeaders& h) {
    auto r = HttpClient::Post("127.0.0.1", all.port, "/api/v1/import/prometheus", "e2e_auth_metric 1\n",
                              "text/plain", h);
    REQUIRE(r.ok());
    return r->status;
  };
  CHECK(write({}) == 401);
  CHECK(write(basic) == 204);

  // Admin endpoints want their authKey; basic auth alone does not open them.
  HttpClientResponse flush = get("/internal/force_flush", basic);
  CHECK(flush.status == 401);
  CHECK(flush.body == "Expected to receive non-empty authKey when -authKey is set\n");
  CHECK(get("/internal/force_flush?authKey=wrong", {}).body == "The provided authKey doesn't match -authKey\n");
  CHECK(get("/internal/force_flush?authKey=adm-Kp09", {}).status == 200);
  const std::string del = "/api/v1/admin/tsdb/delete_series?match[]=e2e_auth_metric";
  CHECK(get(del + "&authKey=adm-Kp09", {}).status == 401);  // its own key wins over -authKey
  CHECK(get(del + "&authKey=del-Rb33", {}).status == 204);

  // Secrets never show: not in status/flags, not in the log.
  HttpClientResponse flags = get("/api/v1/status/flags", basic);
  REQUIRE(flags.status == 200);
  CHECK(flags.body.find(R"("httpAuth.password":"secret")") != std::string::npos);
  CHECK(flags.body.find(R"("authKey":"secret")") != std::string::npos);
  CHECK(flags.body.find(R"("httpAuth.username":"alice")") != std::string::npos);
  for (const std::string& secret : {password, std::string("tok-Vy62"), std::string("adm-Kp09"), std::string("del-Rb33")}) {
    CHECK(flags.body.find(secret) == std::string::npos);
    CHECK(all.process.LogTail(1 << 20).find(secret) == std::string::npos);
  }
}

TEST_CASE("RPC over TLS: a cluster writes and reads end to end; a plaintext insert node is refused cleanly",
          "[e2e][security][.slow]") {
  TempDir certs;
  TestCert cert = MakeCert(certs.path());
  ClusterOptions options;
  options.storage_args = {"-rpc.tls", "-rpc.tlsCertFile=" + cert.cert, "-rpc.tlsKeyFile=" + cert.key};
  options.insert_args = {"-rpc.tls", "-rpc.tlsCAFile=" + cert.cert};
  options.select_args = options.insert_args;
  StrataCluster cluster(options);
  cluster.Start();
  auto data = GenerateSeries(6, 20, 11);
  WriteAll(cluster, EncodeRequests(data, 3));
  std::string diff = CompareWithSelect(cluster, data);
  INFO(diff << cluster.Logs());
  CHECK(diff.empty());

  // An insert node that speaks plaintext RPC to the TLS ports reaches no
  // storage node: the sender gets 503, and the storage log says why.
  uint16_t port = PickFreePort();
  ChildProcess plain_insert;
  plain_insert.Start({StrataBinary(), "insert", fmt::format("-httpListenAddr=127.0.0.1:{}", port),
                      fmt::format("-storageNode=127.0.0.1:{}", cluster.storage_insert_rpc_port(0))},
                     certs.path() + "/plain-insert.log");
  REQUIRE(WaitHttpReady(port, 20000));
  int status = 0;
  WaitFor(20, std::chrono::milliseconds(250), [&] {
    auto r = HttpClient::Post("127.0.0.1", port, "/api/v1/write", EncodeRequests(data, 6)[0], "application/x-protobuf",
                              {{"Content-Encoding", "snappy"}});
    status = r.ok() ? r->status : -1;
    return status == 503;
  });
  INFO(plain_insert.LogTail() << cluster.Logs());
  CHECK(status == 503);
  CHECK(cluster.Logs().find("without -rpc.tls") != std::string::npos);
}

}  // namespace
}  // namespace strata::testing
