// End to end: the real Prometheus 2.42 scrapes an OpenMetrics target with
// exemplars (served by the test) and remote-writes samples, exemplars and
// metric metadata to Strata; the select node must serve them on
// /api/v1/query_exemplars and /api/v1/metadata.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <thread>

#include <catch2/catch.hpp>
#include <fmt/format.h>

#include "common/base/clock.h"
#include "e2e/cluster.h"
#include "e2e/real_prometheus.h"

namespace strata::testing {
namespace {

constexpr std::string_view kOpenMetrics =
    "# TYPE strata_demo_requests counter\n"
    "# HELP strata_demo_requests Demo requests served.\n"
    "strata_demo_requests_total{path=\"/a\"} 7 # {trace_id=\"abc123\"} 1.5\n"
    "# EOF\n";

// Answers every HTTP request on 127.0.0.1 with kOpenMetrics, one connection
// at a time (a Prometheus scrape is one request per connection or a few on
// a kept-alive one; both work since every request gets the same answer).
class OpenMetricsTarget {
 public:
  OpenMetricsTarget() {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    REQUIRE(fd_ >= 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0);
    REQUIRE(::listen(fd_, 16) == 0);
    socklen_t len = sizeof(addr);
    REQUIRE(::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len) == 0);
    port_ = ntohs(addr.sin_port);
    thread_ = std::thread([this] { Serve(); });
  }
  ~OpenMetricsTarget() {
    stop_ = true;
    ::shutdown(fd_, SHUT_RDWR);
    ::close(fd_);
    thread_.join();
  }
  std::string target() const { return fmt::format("127.0.0.1:{}", port_); }

 private:
  void Serve() {
    while (!stop_) {
      int c = ::accept(fd_, nullptr, nullptr);
      if (c < 0) continue;
      timeval tv{2, 0};
      ::setsockopt(c, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
      std::string request;
      char buf[4096];
      while (true) {
        ssize_t n = ::read(c, buf, sizeof(buf));
        if (n <= 0) break;
        request.append(buf, static_cast<size_t>(n));
        if (request.find("\r\n\r\n") == std::string::npos) continue;
        std::string response = fmt::format(
            "HTTP/1.1 200 OK\r\nContent-Type: application/openmetrics-text; version=1.0.0; charset=utf-8\r\n"
            "Content-Length: {}\r\n\r\n{}",
            kOpenMetrics.size(), kOpenMetrics);
        if (::write(c, response.data(), response.size()) < 0) break;
        request.clear();
      }
      ::close(c);
    }
  }

  int fd_ = -1;
  uint16_t port_ = 0;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

TEST_CASE("exemplars and metric metadata remote-written by a real Prometheus are served by select",
          "[e2e][.slow]") {
  StrataCluster cluster;
  cluster.Start();
  OpenMetricsTarget target;
  RealPrometheus prometheus(cluster.dir().path(), cluster.insert_port(), {target.target()},
                            /*exemplars_and_metadata=*/true);
  std::string error;
  const bool started = prometheus.Start(&error);
  INFO(error);
  REQUIRE(started);
  const int64_t start_ms = NowUnixMillis() - 60'000;

  // Grafana's exemplar probe sends start/end in milliseconds.
  std::string exemplars;
  for (int attempt = 0; attempt < 60; ++attempt) {
    auto r = cluster.Select(fmt::format(
        "/select/0/prometheus/api/v1/query_exemplars?query=strata_demo_requests_total&start={}&end={}", start_ms,
        NowUnixMillis() + 60'000));
    REQUIRE(r.ok());
    exemplars = r->body;
    if (r->status == 200 && exemplars.find("abc123") != std::string::npos) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
  }
  INFO(exemplars << "\n" << cluster.Logs() << "\n" << prometheus.LogTail());
  CHECK(exemplars.find("\"status\":\"success\"") != std::string::npos);
  CHECK(exemplars.find("\"seriesLabels\":{\"__name__\":\"strata_demo_requests_total\"") != std::string::npos);
  CHECK(exemplars.find("\"path\":\"/a\"") != std::string::npos);
  CHECK(exemplars.find("\"labels\":{\"trace_id\":\"abc123\"},\"value\":\"1.5\"") != std::string::npos);

  // The same in seconds, as Prometheus's own API takes them; a selector
  // matching nothing gives an empty list.
  auto seconds = cluster.Select(fmt::format(
      "/select/0/prometheus/api/v1/query_exemplars?query=rate(strata_demo_requests_total[1m])&start={}&end={}",
      start_ms / 1000, NowUnixMillis() / 1000 + 60));
  REQUIRE(seconds.ok());
  CHECK(seconds->body.find("abc123") != std::string::npos);
  auto none = cluster.Select("/select/0/prometheus/api/v1/query_exemplars?query=no_such_metric");
  REQUIRE(none.ok());
  CHECK(none->body == "{\"status\":\"success\",\"data\":[]}");

  std::string metadata;
  for (int attempt = 0; attempt < 60; ++attempt) {
    auto r = cluster.Select("/select/0/prometheus/api/v1/metadata?metric=strata_demo_requests");
    REQUIRE(r.ok());
    metadata = r->body;
    if (r->status == 200 && metadata.find("Demo requests served.") != std::string::npos) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
  }
  INFO(metadata);
  CHECK(metadata == "{\"status\":\"success\",\"data\":{\"strata_demo_requests\":[{\"type\":\"counter\",\"help\":"
                    "\"Demo requests served.\",\"unit\":\"\"}]}}");
  // Prometheus's own metrics' metadata came too; limit cuts the families.
  auto limited = cluster.Select("/select/0/prometheus/api/v1/metadata?limit=2");
  REQUIRE(limited.ok());
  CHECK(limited->body.find("\"type\":\"") != std::string::npos);
  size_t families = 0;
  for (size_t p = limited->body.find(":[{"); p != std::string::npos; p = limited->body.find(":[{", p + 1)) ++families;
  CHECK(families == 2);
  prometheus.Stop();
}

}  // namespace
}  // namespace strata::testing
