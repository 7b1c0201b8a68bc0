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

  // -tlsMinVersion=TLS13 turns away a client limited to TLS 1.2.
  TempDir dir3;
  AllProcess tls13(dir3, {"-tls", "-tlsCertFile=" + cert.cert, "-tlsKeyFile=" + cert.key, "-tlsMinVersion=TLS13"});
  const std::string base13 = fmt::format("https://127.0.0.1:{}", tls13.port);
  REQUIRE(WaitFor(100, std::chrono::milliseconds(100), [&] {
    return !tls13.process.Exited() && Curl(ca + base13 + "/ready").starts_with("0\n");
  }));
  CHECK_FALSE(Curl(ca + "--tls-max 1.2 " + base13 + "/ready").starts_with("0\n"));
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

TEST_CASE("Prometheus and vmagent remote-write over HTTPS with basic auth; wrong passwords store nothing",
          "[e2e][security][.slow]") {
  TempDir dir;
  TestCert cert = MakeCert(dir.path());
  AllProcess all(dir, {"-tls", "-tlsCertFile=" + cert.cert, "-tlsKeyFile=" + cert.key, "-httpAuth.username=writer",
                       "-httpAuth.password=pw-Lm55"});
  const std::string base = fmt::format("https://127.0.0.1:{}", all.port);
  const std::string curl = "--cacert " + cert.cert + " -u writer:pw-Lm55 ";
  REQUIRE(WaitFor(100, std::chrono::milliseconds(100), [&] {
    return !all.process.Exited() && Curl(curl + base + "/ready").starts_with("0\n");
  }));

  // The real Prometheus scrapes itself and remote-writes to Strata: one
  // remote_write with the right password, one with a wrong password that
  // adds the label writer="wrong".
  const uint16_t prom_port = PickFreePort();
  const std::string remote = fmt::format("{}/api/v1/write", base);
  {
    std::ofstream(dir.path() + "/prometheus.yml") << fmt::format(
        R"(global:
  scrape_interval: 1s
scrape_configs:
  - job_name: e2e_tls_prometheus
    static_configs:
      - targets: ['127.0.0.1:{0}']
remote_write:
  - url: {1}
    basic_auth: {{username: writer, password: pw-Lm55}}
    tls_config: {{ca_file: {2}}}
    queue_config: {{batch_send_deadline: 1s}}
  - url: {1}
    basic_auth: {{username: writer, password: wrong}}
    tls_config: {{ca_file: {2}}}
    queue_config: {{batch_send_deadline: 1s}}
    write_relabel_configs:
      - target_label: writer
        replacement: wrong
)",
        prom_port, remote, cert.cert);
  }
  ChildProcess prometheus;
  prometheus.Start({"/usr/bin/prometheus", "--config.file=" + dir.path() + "/prometheus.yml",
                    "--storage.tsdb.path=" + dir.path() + "/prometheus-data",
                    fmt::format("--web.listen-address=127.0.0.1:{}", prom_port)},
                   dir.path() + "/prometheus.log");

  // vmagent scrapes itself and remote-writes with its own flags.
  const uint16_t vmagent_port = PickFreePort();
  {
    std::ofstream(dir.path() + "/vmagent.yml") << fmt::format(
        "scrape_configs:\n  - job_name: e2e_tls_vmagent\n    scrape_interval: 1s\n    static_configs:\n"
        "      - targets: ['127.0.0.1:{}']\n",
        vmagent_port);
  }
  ChildProcess vmagent;
  vmagent.Start({"/usr/bin/vmagent", "-promscrape.config=" + dir.path() + "/vmagent.yml", "-remoteWrite.url=" + remote,
                 "-remoteWrite.basicAuth.username=writer", "-remoteWrite.basicAuth.password=pw-Lm55",
                 "-remoteWrite.tlsCAFile=" + cert.cert, "-remoteWrite.tmpDataPath=" + dir.path() + "/vmagent-data",
                 "-remoteWrite.flushInterval=1s", fmt::format("-httpListenAddr=127.0.0.1:{}", vmagent_port)},
                dir.path() + "/vmagent.log");

  std::string answer;
  auto query = [&](const std::string& q) {
    answer = Curl(curl + "'" + base + "/api/v1/query?query=" + UrlEncode(q) + "'");
    return answer;
  };
  bool both = WaitFor(120, std::chrono::milliseconds(250), [&] {
    return query("up{job=~\"e2e_tls_.*\"} == 1").find("e2e_tls_prometheus") != std::string::npos &&
           answer.find("e2e_tls_vmagent") != std::string::npos;
  });
  INFO(answer << "\n--- prometheus\n" << prometheus.LogTail() << "\n--- vmagent\n" << vmagent.LogTail()
              << "\n--- strata\n" << all.process.LogTail());
  CHECK(both);
  // Prometheus was told 401 for the wrong password, and nothing of it was stored.
  CHECK(WaitFor(60, std::chrono::milliseconds(250),
                [&] { return prometheus.LogTail(1 << 20).find("401 Unauthorized") != std::string::npos; }));
  CHECK(query("count({writer=\"wrong\"})").find(R"("result":[])") != std::string::npos);
  auto metrics = Curl(curl + base + "/metrics");
  CHECK(metrics.find("strata_http_auth_failures_total") != std::string::npos);
}

}  // namespace
}  // namespace strata::testing
