// End-to-end tests of the metadata endpoints (/api/v1/series,
// /api/v1/labels, /api/v1/label/<name>/values) on a real cluster (3 storage
// nodes, replicationFactor 2), read by Debian's promtool as a client.
#include <algorithm>
#include <chrono>
#include <sstream>

#include <catch2/catch.hpp>
#include <fmt/format.h>

#include "e2e/cluster.h"
#include "e2e/process.h"
#include "e2e/test_data.h"

namespace strata::testing {
namespace {

constexpr const char* kPromtool = "/usr/bin/promtool";

std::vector<std::string> Lines(const std::string& s) {
  std::vector<std::string> out;
  std::istringstream in(s);
  for (std::string line; std::getline(in, line);) {
    if (!line.empty()) out.push_back(line);
  }
  return out;
}

TEST_CASE("promtool reads series, label names and label values from the select node", "[e2e][.slow]") {
  StrataCluster cluster;
  cluster.Start();
  auto data = GenerateSeries(12, 10, 5);
  WriteAll(cluster, EncodeRequests(data, 4));
  REQUIRE(CompareWithSelect(cluster, data).empty());
  const std::string url = fmt::format("http://127.0.0.1:{}/select/0/prometheus", cluster.select_port());

  // One series, though it lives on two storage nodes.
  CommandResult r = RunCommand(fmt::format("{} query series --match='e2e_roundtrip_3' {}", kPromtool, url));
  INFO(r.output << cluster.Logs());
  REQUIRE(r.exit_code == 0);
  CHECK(Lines(r.output) == std::vector<std::string>{R"({__name__="e2e_roundtrip_3", instance="host-3", job="e2e"})"});

  // Every series once, from the union of two selectors.
  r = RunCommand(fmt::format(
      "{} query series --match='{{job=\"e2e\",instance=~\"host-[0-3]\"}}' --match='{{instance=\"host-4\"}}' {}",
      kPromtool, url));
  REQUIRE(r.exit_code == 0);
  size_t expected = 0;
  for (const auto& s : data) {
    const std::string_view host = s.labels.Get("instance");
    if (host == "host-0" || host == "host-1" || host == "host-2" || host == "host-3" || host == "host-4") ++expected;
  }
  CHECK(Lines(r.output).size() == expected);

  r = RunCommand(fmt::format("{} query labels {} instance", kPromtool, url));
  REQUIRE(r.exit_code == 0);
  CHECK(Lines(r.output) ==
        std::vector<std::string>{"host-0", "host-1", "host-2", "host-3", "host-4", "host-5", "host-6"});

  r = RunCommand(fmt::format("{} query labels {} __name__", kPromtool, url));
  REQUIRE(r.exit_code == 0);
  std::vector<std::string> names;
  for (const auto& s : data) names.emplace_back(s.labels.MetricName());
  std::sort(names.begin(), names.end());
  CHECK(Lines(r.output) == names);

  // The labels list and Prometheus's errors over plain HTTP, for tenant 0.
  auto http = cluster.Select("/api/v1/labels");
  REQUIRE(http.ok());
  CHECK(http->status == 200);
  CHECK(http->body == R"({"status":"success","data":["__name__","instance","job"]})");
  http = cluster.Select("/api/v1/series");
  REQUIRE(http.ok());
  CHECK(http->status == 400);
  CHECK(http->body == R"({"status":"error","errorType":"bad_data","error":"no match[] parameter provided"})");
  http = cluster.Select("/select/0/prometheus/api/v1/label/instance/values?limit=2");
  REQUIRE(http.ok());
  CHECK(http->body ==
        R"({"status":"success","data":["host-0","host-1"],"warnings":["results truncated due to limit"]})");

  // One node down: replication still gives complete answers.
  cluster.KillStorage(0);
  r = RunCommand(fmt::format("{} query labels {} instance", kPromtool, url));
  REQUIRE(r.exit_code == 0);
  CHECK(Lines(r.output).size() == 7);
  http = cluster.Select("/select/0/prometheus/api/v1/series?match[]=%7Bjob%3D%22e2e%22%7D");
  REQUIRE(http.ok());
  CHECK(http->status == 200);
  CHECK(http->body.find("isPartial") == std::string::npos);
  // Two down: what is left is answered, marked partial.
  cluster.KillStorage(1);
  http = cluster.Select("/select/0/prometheus/api/v1/series?match[]=%7Bjob%3D%22e2e%22%7D");
  REQUIRE(http.ok());
  CHECK(http->status == 200);
  CHECK(http->body.find(R"("isPartial":true)") != std::string::npos);
  CHECK(http->body.find("cannot fetch series from storage node 127.0.0.1:") != std::string::npos);
}

}  // namespace
}  // namespace strata::testing

namespace strata::testing {
namespace {

// promtool prints what Prometheus's Go client decoded: a vector as
// `<labels> => <value> @[<unix seconds>]` (values in Go's %f-style shortest
// form, so -1e-7 prints as -0.0000001), a matrix as `<labels> =>` and
// one `<value> @[<t>]` line per point, a scalar as `scalar: <v> @[<t>]`.
TEST_CASE("promtool query instant and range print the values the select node holds", "[e2e][.slow]") {
  ClusterOptions options;
  options.storage_nodes = 2;
  options.replication_factor = 1;
  StrataCluster cluster(options);
  cluster.Start();
  const int64_t t0 = (std::chrono::duration_cast<std::chrono::seconds>(
                          std::chrono::system_clock::now().time_since_epoch())
                          .count() -
                      600) /
                     15 * 15;
  auto w = HttpClient::Post("127.0.0.1", cluster.insert_port(), "/api/v1/import/prometheus",
                            fmt::format("e2e_pt{{job=\"a\"}} 1.5 {0}000\ne2e_pt{{job=\"a\"}} 2.5 {1}000\n"
                                        "e2e_pt{{job=\"a\"}} 4 {2}000\ne2e_pt{{job=\"b\"}} -1e-7 {2}000\n",
                                        t0, t0 + 15, t0 + 30),
                            "text/plain");
  REQUIRE(w.ok());
  REQUIRE(w->status == 204);

  const std::string tenant_url = fmt::format("http://127.0.0.1:{}/select/0/prometheus", cluster.select_port());
  const std::string plain_url = fmt::format("http://127.0.0.1:{}", cluster.select_port());
  for (const std::string& url : {tenant_url, plain_url}) {
    INFO(url);
    CommandResult r = RunCommand(
        fmt::format("{} query instant --time={} {} 'sort_desc(e2e_pt)'", kPromtool, t0 + 30, url));
    INFO(r.output << cluster.Logs());
    REQUIRE(r.exit_code == 0);
    CHECK(Lines(r.output) == std::vector<std::string>{
                                 fmt::format("e2e_pt{{job=\"a\"}} => 4 @[{}]", t0 + 30),
                                 fmt::format("e2e_pt{{job=\"b\"}} => -0.0000001 @[{}]", t0 + 30),
                             });

    r = RunCommand(fmt::format("{} query instant --time={}.5 {} 'sum(e2e_pt) * 2'", kPromtool, t0 + 30, url));
    REQUIRE(r.exit_code == 0);
    CHECK(Lines(r.output) == std::vector<std::string>{fmt::format("{{}} => 7.9999998 @[{}.5]", t0 + 30)});

    r = RunCommand(fmt::format("{} query instant --time={} {} '1 + 1'", kPromtool, t0, url));
    REQUIRE(r.exit_code == 0);
    CHECK(Lines(r.output) == std::vector<std::string>{fmt::format("scalar: 2 @[{}]", t0)});

    r = RunCommand(fmt::format("{} query range --start={} --end={} --step=15s {} 'e2e_pt{{job=\"a\"}}'", kPromtool,
                               t0, t0 + 45, url));
    REQUIRE(r.exit_code == 0);
    CHECK(Lines(r.output) == std::vector<std::string>{
                                 "e2e_pt{job=\"a\"} =>",
                                 fmt::format("1.5 @[{}]", t0),
                                 fmt::format("2.5 @[{}]", t0 + 15),
                                 fmt::format("4 @[{}]", t0 + 30),
                                 fmt::format("4 @[{}]", t0 + 45),
                             });

    // A PromQL error reaches promtool's user as Prometheus's message.
    r = RunCommand(fmt::format("{} query instant {} 'sum(e2e_pt'", kPromtool, url));
    CHECK(r.exit_code != 0);
    CHECK(r.output.find("unclosed left parenthesis") != std::string::npos);
  }
}

}  // namespace
}  // namespace strata::testing
