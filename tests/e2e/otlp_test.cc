// End-to-end test of OTLP metrics ingest with a real client: the
// OpenTelemetry JS SDK (from npm, pinned in otel_js/package-lock.json)
// exports a counter, an observable gauge and a histogram to the insert node;
// the series are read back from the select node.
//
// The SDK is installed with `npm ci` into the build tree once
// (STRATA_OTEL_JS_CACHE) and reused while package-lock.json is unchanged.
// Without node/npm or without the npm registry the test FAILS, naming what
// is missing: it is the issue's required real-client check.
#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <thread>

#include <catch2/catch.hpp>
#include <fmt/format.h>

#include "e2e/cluster.h"
#include "e2e/process.h"
#include "e2e/prom_json.h"

namespace strata::testing {
namespace {

namespace fs = std::filesystem;

std::string ReadFile(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Installs the pinned SDK into the cache directory unless it is there
// already; returns the node_modules directory. FAILs with npm's output.
std::string InstallOtelJs() {
  const fs::path src = STRATA_OTEL_JS_DIR;
  const fs::path cache = STRATA_OTEL_JS_CACHE;
  const fs::path modules = cache / "node_modules";
  const std::string lock = ReadFile(src / "package-lock.json");
  REQUIRE_FALSE(lock.empty());
  if (fs::exists(modules / "@opentelemetry" / "exporter-metrics-otlp-proto" / "package.json") &&
      ReadFile(cache / "package-lock.json") == lock) {
    return modules.string();
  }
  CommandResult node = RunCommand("node --version && npm --version");
  if (node.exit_code != 0) {
    FAIL("node and npm are needed for the OpenTelemetry JS client; install Debian's nodejs and npm "
         "(scripts/install-deps.sh): "
         << node.output);
  }
  fs::create_directories(cache);
  fs::copy_file(src / "package.json", cache / "package.json", fs::copy_options::overwrite_existing);
  fs::copy_file(src / "package-lock.json", cache / "package-lock.json", fs::copy_options::overwrite_existing);
  CommandResult npm =
      RunCommand(fmt::format("cd '{}' && timeout 600 npm ci --no-audit --no-fund --loglevel=error", cache.string()));
  if (npm.exit_code != 0) {
    fs::remove(cache / "package-lock.json");  // retry next time
    FAIL("could not install the OpenTelemetry JS SDK with `npm ci` (is https://registry.npmjs.org reachable?): "
         << npm.output);
  }
  return modules.string();
}

// The instant-query result of `query` at the select node, tenant 0.
QueryResponse Query(StrataCluster& cluster, const std::string& query) {
  auto r = cluster.Select("/select/0/prometheus/api/v1/query?query=" + UrlEncode(query));
  REQUIRE(r.ok());
  INFO(r->body);
  REQUIRE(r->status == 200);
  auto parsed = ParseQueryResponse(r->body);
  REQUIRE(parsed.ok());
  return *std::move(parsed);
}

// labels text -> value, of every series `query` returns.
std::map<std::string, double> Values(StrataCluster& cluster, const std::string& query) {
  std::map<std::string, double> out;
  for (const QuerySeries& s : Query(cluster, query).series) {
    REQUIRE(s.points.size() == 1);
    out[s.LabelsText()] = std::stod(s.points[0].second);
  }
  return out;
}

TEST_CASE("The OpenTelemetry JS SDK exports a counter, a gauge and a histogram that the select node returns",
          "[e2e][otlp][.slow]") {
  const std::string modules = InstallOtelJs();
  StrataCluster cluster;
  cluster.Start();

  const std::string url =
      fmt::format("http://127.0.0.1:{}/insert/0/opentelemetry/v1/metrics", cluster.insert_port());
  CommandResult exported = RunCommand(fmt::format("NODE_PATH='{}' timeout 120 node '{}/export.js' '{}'", modules,
                                                  STRATA_OTEL_JS_DIR, url));
  INFO(exported.output << cluster.Logs());
  REQUIRE(exported.exit_code == 0);
  REQUIRE(exported.output.find("exported") != std::string::npos);

  // The insert node answered 200 only after every replica stored the data,
  // so it is queryable now.
  const std::string ids = R"(instance="e2e-1", job="otel-e2e")";
  auto counters = Values(cluster, "http_requests_total");
  CHECK(counters == std::map<std::string, double>{
                        {fmt::format(R"({{__name__="http_requests_total", http_route="/a", {}}})", ids), 5},
                        {fmt::format(R"({{__name__="http_requests_total", http_route="/b", {}}})", ids), 4}});

  CHECK(Values(cluster, "queue_depth") ==
        std::map<std::string, double>{{fmt::format(R"({{__name__="queue_depth", {}, queue="orders"}})", ids), 7}});

  auto buckets = Values(cluster, "request_duration_seconds_bucket");
  auto bucket = [&](const char* le) {
    return fmt::format(R"({{__name__="request_duration_seconds_bucket", {}, le="{}"}})", ids, le);
  };
  CHECK(buckets == std::map<std::string, double>{
                       {bucket("0.1"), 0}, {bucket("1"), 1}, {bucket("10"), 2}, {bucket("+Inf"), 3}});
  CHECK(Values(cluster, "request_duration_seconds_count") ==
        std::map<std::string, double>{
            {fmt::format(R"({{__name__="request_duration_seconds_count", {}}})", ids), 3}});
  auto sum = Values(cluster, "request_duration_seconds_sum");
  REQUIRE(sum.size() == 1);
  CHECK(std::fabs(sum.begin()->second - 37.3) < 1e-9);

  // Resource attributes other than service.* arrive on target_info.
  QueryResponse info = Query(cluster, "target_info");
  REQUIRE(info.series.size() == 1);
  const auto& labels = info.series[0].labels;
  CHECK(labels.at("job") == "otel-e2e");
  CHECK(labels.at("instance") == "e2e-1");
  CHECK(labels.at("deployment_environment") == "test");
  CHECK(labels.at("telemetry_sdk_language") == "nodejs");
  CHECK(info.series[0].points.at(0).second == "1");
}

}  // namespace
}  // namespace strata::testing
