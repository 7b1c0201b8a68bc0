// End to end: remote_write 2.0 requests, hand-built (no 2.0 sender exists on
// this machine: Prometheus 2.42 and vmagent 1.79 speak 1.0 only), sent to a
// real insert node and read back through the select node: samples through
// query_range, exemplars through query_exemplars, per-series metadata
// through /api/v1/metadata. Also the Prometheus text import's # TYPE/# HELP
// lines, which take the same metadata path.
#include <chrono>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include <catch2/catch.hpp>
#include <fmt/format.h>

#include "common/base/clock.h"
#include "common/prompb/remote_write_encoder.h"
#include "e2e/cluster.h"
#include "e2e/prom_json.h"
#include "testing/prw2_builder.h"

namespace strata::testing {
namespace {

using V2Metadata = io::prometheus::write::v2::Metadata;
using Points = std::vector<std::pair<int64_t, std::string>>;

absl::StatusOr<HttpClientResponse> PostV2(StrataCluster& cluster, const std::string& path, const std::string& request) {
  std::string body;
  SnappyCompress(request, &body);
  return HttpClient::Post("127.0.0.1", cluster.insert_port(), path, std::move(body),
                          "application/x-protobuf;proto=io.prometheus.write.v2.Request",
                          {{"Content-Encoding", "snappy"}, {"X-Prometheus-Remote-Write-Version", "2.0.0"}});
}

std::string HeaderOf(const HttpClientResponse& r, std::string_view lowercase_name) {
  for (const auto& [k, v] : r.headers) {
    if (k == lowercase_name) return v;
  }
  return {};
}

std::map<std::string, Points> QueryRange(StrataCluster& cluster, std::string_view selector, int64_t t0_ms,
                                         int64_t t1_ms) {
  auto resp = cluster.Select(fmt::format("/select/0/prometheus/api/v1/query_range?query={}&start={}&end={}&step=15",
                                         selector, t0_ms / 1000, t1_ms / 1000));
  REQUIRE(resp.ok());
  INFO(resp->body);
  REQUIRE(resp->status == 200);
  auto parsed = ParseQueryResponse(resp->body);
  REQUIRE(parsed.ok());
  std::map<std::string, Points> out;
  for (const QuerySeries& s : parsed->series) out[s.LabelsText()] = s.points;
  return out;
}

// Polls /api/v1/metadata?metric=<family> until it names `want_help` (the
// metadata write follows the samples; the reply waits for both, but a
// retry loop keeps the test honest about replication timing).
std::string MetadataOf(StrataCluster& cluster, const std::string& family, const std::string& want_help) {
  std::string body;
  for (int attempt = 0; attempt < 20; ++attempt) {
    auto r = cluster.Select("/select/0/prometheus/api/v1/metadata?metric=" + family);
    REQUIRE(r.ok());
    body = r->body;
    if (r->status == 200 && body.find(want_help) != std::string::npos) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(250));
  }
  return body;
}

TEST_CASE("a hand-built remote_write 2.0 request is stored and served: samples, exemplars, metadata",
          "[e2e][.slow]") {
  StrataCluster cluster;
  cluster.Start();
  const int64_t t0 = (NowUnixMillis() - 5 * 60 * 1000) / 15000 * 15000;
  const int64_t t1 = t0 + 15000;

  Prw2RequestBuilder b;
  auto* requests = b.AddSeries({{"__name__", "e2e_v2_requests_total"}, {"path", "/a"}}, {{t0, 7}, {t1, 9}});
  b.SetMetadata(requests, V2Metadata::METRIC_TYPE_COUNTER, "Requests served.", "");
  b.AddExemplar(requests, {{"trace_id", "abc123"}}, 1.5, t1);
  auto* bucket = b.AddSeries({{"__name__", "e2e_v2_latency_seconds_bucket"}, {"le", "+Inf"}}, {{t0, 3}, {t1, 4.25}});
  b.SetMetadata(bucket, V2Metadata::METRIC_TYPE_HISTOGRAM, "Latency.", "seconds");
  auto r = PostV2(cluster, "/insert/0/prometheus/api/v1/write", b.Serialize());
  REQUIRE(r.ok());
  INFO(r->body << cluster.Logs());
  CHECK(r->status == 204);
  CHECK(HeaderOf(*r, "x-prometheus-remote-write-samples-written") == "4");
  CHECK(HeaderOf(*r, "x-prometheus-remote-write-histograms-written") == "0");
  CHECK(HeaderOf(*r, "x-prometheus-remote-write-exemplars-written") == "1");

  // The plain path writes tenant 0 as well.
  Prw2RequestBuilder plain;
  plain.AddSeries({{"__name__", "e2e_v2_plain"}}, {{t0, -0.5}});
  auto r2 = PostV2(cluster, "/api/v1/write", plain.Serialize());
  REQUIRE(r2.ok());
  CHECK(r2->status == 204);

  CHECK(QueryRange(cluster, "%7B__name__%3D~%22e2e_v2_.%2A%22%7D", t0, t1) ==
        std::map<std::string, Points>{
            {"{__name__=\"e2e_v2_requests_total\", path=\"/a\"}", {{t0, "7"}, {t1, "9"}}},
            {"{__name__=\"e2e_v2_latency_seconds_bucket\", le=\"+Inf\"}", {{t0, "3"}, {t1, "4.25"}}},
            {"{__name__=\"e2e_v2_plain\"}", {{t0, "-0.5"}, {t1, "-0.5"}}},
        });

  auto exemplars = cluster.Select(fmt::format(
      "/select/0/prometheus/api/v1/query_exemplars?query=e2e_v2_requests_total&start={}&end={}", t0 / 1000,
      t1 / 1000 + 1));
  REQUIRE(exemplars.ok());
  INFO(exemplars->body);
  CHECK(exemplars->body.find("\"labels\":{\"trace_id\":\"abc123\"},\"value\":\"1.5\"") != std::string::npos);

  CHECK(MetadataOf(cluster, "e2e_v2_requests_total", "Requests served.") ==
        "{\"status\":\"success\",\"data\":{\"e2e_v2_requests_total\":[{\"type\":\"counter\",\"help\":"
        "\"Requests served.\",\"unit\":\"\"}]}}");
  // The bucket series' metadata is its family's.
  CHECK(MetadataOf(cluster, "e2e_v2_latency_seconds", "Latency.") ==
        "{\"status\":\"success\",\"data\":{\"e2e_v2_latency_seconds\":[{\"type\":\"histogram\",\"help\":"
        "\"Latency.\",\"unit\":\"seconds\"}]}}");

  // Native histograms: refused with 400 and a reason; the float series of
  // the same request is stored.
  Prw2RequestBuilder hist;
  hist.AddSeries({{"__name__", "e2e_v2_native"}})->add_histograms()->set_timestamp(t0);
  hist.AddSeries({{"__name__", "e2e_v2_beside_native"}}, {{t0, 1}});
  auto r3 = PostV2(cluster, "/insert/0/prometheus/api/v1/write", hist.Serialize());
  REQUIRE(r3.ok());
  CHECK(r3->status == 400);
  CHECK(r3->body.find("native histograms are not supported") != std::string::npos);
  CHECK(HeaderOf(*r3, "x-prometheus-remote-write-samples-written") == "1");
  CHECK(QueryRange(cluster, "e2e_v2_beside_native", t0, t0).size() == 1);
}

TEST_CASE("Prometheus text import metadata is served by /api/v1/metadata", "[e2e][.slow]") {
  StrataCluster cluster;
  cluster.Start();
  auto r = HttpClient::Post("127.0.0.1", cluster.insert_port(), "/insert/0/prometheus/api/v1/import/prometheus",
                            "# HELP e2e_text_temp Room temperature.\n# TYPE e2e_text_temp gauge\n"
                            "# UNIT e2e_text_temp celsius\ne2e_text_temp{room=\"a\"} 21.5\n",
                            "text/plain");
  REQUIRE(r.ok());
  INFO(r->body << cluster.Logs());
  CHECK(r->status == 204);
  CHECK(MetadataOf(cluster, "e2e_text_temp", "Room temperature.") ==
        "{\"status\":\"success\",\"data\":{\"e2e_text_temp\":[{\"type\":\"gauge\",\"help\":"
        "\"Room temperature.\",\"unit\":\"celsius\"}]}}");
  // And the sample itself.
  auto q = cluster.Select("/api/v1/query?query=e2e_text_temp");
  REQUIRE(q.ok());
  CHECK(q->body.find("\"21.5\"") != std::string::npos);
}

}  // namespace
}  // namespace strata::testing
