// Malformed bodies on every ingest endpoint of a real insert node: garbage
// bytes, broken snappy, truncated protobuf, broken gzip, wrong content
// types, empty bodies, absurd timestamps and invalid label names. Each
// case asserts the status the protocol's origin answers (Prometheus for
// remote_write, VictoriaMetrics for its import formats, InfluxDB for line
// protocol, the OTLP/HTTP spec for OTLP), a message naming the problem, and
// what got stored: every case carries one valid series named after it, which
// must be absent when the protocol fails the request whole and present when
// it allows a partial write. The node must still serve afterwards.
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include <catch2/catch.hpp>
#include <fmt/format.h>

#include "common/base/clock.h"
#include "common/net/gzip.h"
#include "common/prompb/remote_write_encoder.h"
#include "e2e/cluster.h"
#include "e2e/prom_json.h"
#include "opentelemetry/proto/collector/metrics/v1/metrics_service.pb.h"
#include "testing/prw2_builder.h"

namespace strata::testing {
namespace {

constexpr std::string_view kProtobuf = "application/x-protobuf";
constexpr std::string_view kV2 = "application/x-protobuf;proto=io.prometheus.write.v2.Request";

enum class Stored { kNothing, kValidSeries, kNotApplicable };

struct BodyCase {
  std::string name;  // also the metric name of the case's valid series (if any)
  std::string path;
  std::string content_type;
  HttpHeaders headers;
  std::string body;
  int want_status;
  std::string want_text;  // a substring of the reply body
  Stored stored;
};

int64_t NowMs() { return NowUnixMillis() - 60'000; }

std::string V1Proto(const std::vector<std::pair<std::vector<LabelView>, std::vector<Sample>>>& series) {
  std::string request;
  for (const auto& [labels, samples] : series) AppendWriteRequestSeries(labels, samples, &request);
  return request;
}

std::string Snappy(std::string_view data) {
  std::string out;
  SnappyCompress(data, &out);
  return out;
}

std::string V2Proto(const std::string& name, int64_t ts, bool bad_ref = false, bool invalid_label = false,
                    int64_t bad_ts = 0) {
  Prw2RequestBuilder b;
  b.AddSeries({{"__name__", name}}, {{ts, 1}});
  if (bad_ref) b.AddSeries({{"__name__", "x"}}, {{ts, 1}})->set_labels_refs(1, 12345);
  if (invalid_label) b.AddSeries({{"__name__", "x"}, {"", "empty-name"}}, {{ts, 1}});
  if (bad_ts != 0) b.AddSeries({{"__name__", name + "_absurd"}}, {{bad_ts, 1}});
  return b.Serialize();
}

std::string Otlp(const std::string& name, int64_t ts_ms) {
  opentelemetry::proto::collector::metrics::v1::ExportMetricsServiceRequest req;
  auto* metric = req.add_resource_metrics()->add_scope_metrics()->add_metrics();
  metric->set_name(name);
  auto* point = metric->mutable_gauge()->add_data_points();
  point->set_time_unix_nano(static_cast<uint64_t>(ts_ms) * 1'000'000);
  point->set_as_double(1);
  return req.SerializeAsString();
}

std::vector<BodyCase> Cases() {
  const int64_t t = NowMs();
  const int64_t absurd = std::numeric_limits<int64_t>::max();
  auto v1 = [&](const std::string& name) { return V1Proto({{{{"__name__", name}}, {{t, 1}}}}); };
  const HttpHeaders snappy = {{"Content-Encoding", "snappy"}};
  const HttpHeaders gzip = {{"Content-Encoding", "gzip"}};
  std::vector<BodyCase> c;

  // remote_write 1.0 (origin: Prometheus's receiver).
  c.push_back({"sweep_rw1_garbage", "/api/v1/write", std::string(kProtobuf), snappy, "\xde\xad\xbe\xef garbage", 400,
               "cannot decompress snappy body", Stored::kNotApplicable});
  {
    std::string body = Snappy(v1("sweep_rw1_bad_snappy"));
    body.resize(body.size() - 4);  // the block ends early
    c.push_back({"sweep_rw1_bad_snappy", "/api/v1/write", std::string(kProtobuf), snappy, body, 400,
                 "cannot decompress snappy body", Stored::kNothing});
  }
  {
    std::string proto = v1("sweep_rw1_truncated") + v1("sweep_rw1_truncated_2");
    proto.resize(proto.size() - 3);
    c.push_back({"sweep_rw1_truncated", "/insert/0/prometheus/api/v1/write", std::string(kProtobuf), snappy,
                 Snappy(proto), 400, "cannot parse remote_write request", Stored::kNothing});
  }
  c.push_back({"sweep_rw1_gzip", "/api/v1/write", std::string(kProtobuf), gzip, Snappy(v1("sweep_rw1_gzip")), 400,
               "cannot gunzip body", Stored::kNothing});
  c.push_back({"sweep_rw1_content_type", "/api/v1/write", "application/json", snappy,
               Snappy(v1("sweep_rw1_content_type")), 415, "expected application/x-protobuf", Stored::kNothing});
  c.push_back({"sweep_rw1_empty", "/api/v1/write", std::string(kProtobuf), snappy, "", 400,
               "cannot decompress snappy body", Stored::kNotApplicable});
  c.push_back({"sweep_rw1_absurd_ts", "/api/v1/write", std::string(kProtobuf), snappy,
               Snappy(v1("sweep_rw1_absurd_ts") + V1Proto({{{{"__name__", "sweep_rw1_absurd_ts_x"}}, {{absurd, 1}}}})),
               400, "timestamp", Stored::kValidSeries});
  c.push_back({"sweep_rw1_label", "/api/v1/write", std::string(kProtobuf), snappy,
               Snappy(v1("sweep_rw1_label") + V1Proto({{{{"__name__", "x"}, {"", "v"}}, {{t, 1}}}})), 400,
               "rejected 1 of 2 series", Stored::kValidSeries});

  // remote_write 2.0 (origin: Prometheus's receiver and the 2.0 spec).
  c.push_back({"sweep_rw2_garbage", "/api/v1/write", std::string(kV2), snappy, "\x01\x02garbage", 400,
               "cannot decompress snappy body", Stored::kNotApplicable});
  {
    std::string proto = V2Proto("sweep_rw2_truncated", t);
    proto.resize(proto.size() - 2);
    c.push_back({"sweep_rw2_truncated", "/api/v1/write", std::string(kV2), snappy, Snappy(proto), 400,
                 "cannot parse remote_write 2.0 request", Stored::kNothing});
  }
  c.push_back({"sweep_rw2_bad_ref", "/api/v1/write", std::string(kV2), snappy,
               Snappy(V2Proto("sweep_rw2_bad_ref", t, /*bad_ref=*/true)), 400, "symbol ref 12345", Stored::kNothing});
  c.push_back({"sweep_rw2_unknown_proto", "/api/v1/write", "application/x-protobuf;proto=io.prometheus.write.v9.X",
               snappy, Snappy(V2Proto("sweep_rw2_unknown_proto", t)), 415, "unknown remote-write protobuf message",
               Stored::kNothing});
  c.push_back({"sweep_rw2_encoding", "/api/v1/write", std::string(kV2), {{"Content-Encoding", "zstd"}},
               V2Proto("sweep_rw2_encoding", t), 415, "unsupported Content-Encoding", Stored::kNothing});
  c.push_back({"sweep_rw2_v1_body", "/api/v1/write", std::string(kV2), snappy, Snappy(v1("sweep_rw2_v1_body")), 400,
               "is it a remote_write 1.0 prometheus.WriteRequest", Stored::kNothing});
  c.push_back({"sweep_rw2_empty", "/api/v1/write", std::string(kV2), snappy, "", 400, "cannot decompress snappy body",
               Stored::kNotApplicable});
  c.push_back({"sweep_rw2_label", "/api/v1/write", std::string(kV2), snappy,
               Snappy(V2Proto("sweep_rw2_label", t, false, /*invalid_label=*/true)), 400, "rejected 1 of 2 series",
               Stored::kValidSeries});
  c.push_back({"sweep_rw2_absurd_ts", "/api/v1/write", std::string(kV2), snappy,
               Snappy(V2Proto("sweep_rw2_absurd_ts", t, false, false, absurd)), 400, "timestamp",
               Stored::kValidSeries});

  // JSON lines (origin: VictoriaMetrics /api/v1/import; Strata answers 400
  // where VM logs, the good lines stored either way).
  auto json = [&](const std::string& name, int64_t ts) {
    return fmt::format("{{\"metric\":{{\"__name__\":\"{}\"}},\"values\":[1],\"timestamps\":[{}]}}\n", name, ts);
  };
  c.push_back({"sweep_json_garbage", "/api/v1/import", "application/json", {},
               "\xff\xfe garbage\n" + json("sweep_json_garbage", t), 400, "line 1", Stored::kValidSeries});
  c.push_back({"sweep_json_gzip", "/api/v1/import", "application/json", gzip, json("sweep_json_gzip", t), 400,
               "cannot gunzip body", Stored::kNothing});
  c.push_back({"sweep_json_absurd_ts", "/api/v1/import", "application/json", {},
               json("sweep_json_absurd_ts", t) + "{\"metric\":{\"__name__\":\"x\"},\"values\":[1],\"timestamps\":[1e300]}\n",
               400, "line 2", Stored::kValidSeries});
  c.push_back({"sweep_json_label", "/api/v1/import", "application/json", {},
               json("sweep_json_label", t) + "{\"metric\":{\"__name__\":\"x\",\"\":\"v\"},\"values\":[1],\"timestamps\":[1]}\n",
               400, "line 2", Stored::kValidSeries});
  c.push_back({"sweep_json_truncated", "/api/v1/import", "application/json", {},
               json("sweep_json_truncated", t) + "{\"metric\":{\"__name__\":\"x\"},\"valu", 400, "line 2",
               Stored::kValidSeries});
  // VictoriaMetrics ignores the content type of imports.
  c.push_back({"sweep_json_content_type", "/api/v1/import", "application/x-protobuf", {},
               json("sweep_json_content_type", t), 204, "", Stored::kValidSeries});
  c.push_back({"sweep_json_empty", "/api/v1/import", "application/json", {}, "", 204, "", Stored::kNotApplicable});

  // Prometheus text (origin: VictoriaMetrics /api/v1/import/prometheus).
  auto prom = [&](const std::string& name) { return fmt::format("{} 1 {}\n", name, t); };
  c.push_back({"sweep_prom_garbage", "/api/v1/import/prometheus", "text/plain", {},
               "}{ \xff\xfe 1 2 3\n" + prom("sweep_prom_garbage"), 400, "line 1", Stored::kValidSeries});
  c.push_back({"sweep_prom_absurd_ts", "/api/v1/import/prometheus", "text/plain", {},
               prom("sweep_prom_absurd_ts") + "x 1 99999999999999999999999\n", 400, "line 2", Stored::kValidSeries});
  c.push_back({"sweep_prom_label", "/api/v1/import/prometheus", "text/plain", {},
               prom("sweep_prom_label") + "x{=\"v\"} 1\n", 400, "line 2", Stored::kValidSeries});
  c.push_back({"sweep_prom_truncated", "/api/v1/import/prometheus", "text/plain", {},
               prom("sweep_prom_truncated") + "x{a=\"b", 400, "line 2", Stored::kValidSeries});
  c.push_back({"sweep_prom_gzip", "/api/v1/import/prometheus", "text/plain", gzip, prom("sweep_prom_gzip"), 400,
               "cannot gunzip body", Stored::kNothing});
  c.push_back({"sweep_prom_empty", "/api/v1/import/prometheus", "text/plain", {}, "", 204, "",
               Stored::kNotApplicable});

  // CSV (origin: VictoriaMetrics /api/v1/import/csv).
  const std::string csv_path = "/api/v1/import/csv?format=1:metric:sweep_csv_garbage,2:time:unix_ms";
  c.push_back({"sweep_csv_garbage", csv_path, "text/csv", {}, fmt::format("not-a-number,{}\n1,{}\n", t, t), 400,
               "line 1", Stored::kValidSeries});
  c.push_back({"sweep_csv_no_format", "/api/v1/import/csv", "text/csv", {}, fmt::format("1,{}\n", t), 400,
               "missing `format` query arg", Stored::kNotApplicable});
  c.push_back({"sweep_csv_absurd_ts", "/api/v1/import/csv?format=1:metric:sweep_csv_absurd_ts,2:time:unix_ms",
               "text/csv", {}, fmt::format("1,{}\n1,99999999999999999999999\n", t), 400, "line 2",
               Stored::kValidSeries});

  // Influx line protocol (origin: InfluxDB 1.x /write; JSON errors).
  c.push_back({"sweep_influx_garbage", "/write?precision=ms", "text/plain", {},
               fmt::format("\xff garbage ==\nsweep_influx_garbage value=1 {}\n", t), 400, "{\"error\":",
               Stored::kValidSeries});
  c.push_back({"sweep_influx_absurd_ts", "/influx/write?precision=ms", "text/plain", {},
               fmt::format("sweep_influx_absurd_ts value=1 {}\nx value=1 99999999999999999999999\n", t), 400,
               "{\"error\":", Stored::kValidSeries});
  c.push_back({"sweep_influx_gzip", "/write?precision=ms", "text/plain", gzip,
               fmt::format("sweep_influx_gzip value=1 {}\n", t), 400, "cannot gunzip body", Stored::kNothing});
  // InfluxDB reads line protocol whatever the Content-Type says.
  c.push_back({"sweep_influx_content_type", "/write?precision=ms", "application/json", {},
               fmt::format("sweep_influx_content_type value=1 {}\n", t), 204, "", Stored::kValidSeries});
  c.push_back({"sweep_influx_precision", "/write?precision=fortnight", "text/plain", {},
               fmt::format("sweep_influx_precision value=1 {}\n", t), 400, "unsupported precision",
               Stored::kNothing});

  // OTLP/HTTP (origin: the OTLP/HTTP spec: 400 for a bad body, 415 for a
  // media type the receiver does not take).
  c.push_back({"sweep_otlp_garbage", "/opentelemetry/v1/metrics", std::string(kProtobuf), {}, "\xff\xff\xff\xff\x0f",
               400, "", Stored::kNotApplicable});
  {
    std::string body = Otlp("sweep_otlp_truncated", t);
    body.resize(body.size() - 3);
    c.push_back({"sweep_otlp_truncated", "/opentelemetry/v1/metrics", std::string(kProtobuf), {}, body, 400, "",
                 Stored::kNothing});
  }
  c.push_back({"sweep_otlp_content_type", "/opentelemetry/v1/metrics", "text/plain", {},
               Otlp("sweep_otlp_content_type", t), 415, "unsupported Content-Type", Stored::kNothing});
  c.push_back({"sweep_otlp_json", "/opentelemetry/v1/metrics", "application/json", {}, "{}", 415,
               "OTLP/JSON is not supported", Stored::kNotApplicable});
  // An empty body is an empty ExportMetricsServiceRequest: success, nothing to store.
  c.push_back({"sweep_otlp_empty", "/opentelemetry/v1/metrics", std::string(kProtobuf), {}, "", 200, "",
               Stored::kNotApplicable});
  c.push_back({"sweep_otlp_gzip", "/opentelemetry/v1/metrics", std::string(kProtobuf), gzip,
               Otlp("sweep_otlp_gzip", t), 400, "cannot gunzip body", Stored::kNothing});
  return c;
}

TEST_CASE("malformed bodies on every ingest endpoint get the origin's status, a clear message, no partial write",
          "[e2e][.slow]") {
  StrataCluster cluster;
  cluster.Start();
  const std::vector<BodyCase> cases = Cases();
  for (const BodyCase& c : cases) {
    auto r = HttpClient::Post("127.0.0.1", cluster.insert_port(), c.path, c.body, c.content_type, c.headers);
    REQUIRE(r.ok());
    INFO(c.name << ": " << r->status << " " << r->body);
    CHECK(r->status == c.want_status);
    CHECK(r->body.find(c.want_text) != std::string::npos);
  }

  // Still serving: a good write and a query.
  const int64_t t = NowMs();
  auto good = HttpClient::Post("127.0.0.1", cluster.insert_port(), "/api/v1/import/prometheus",
                               fmt::format("sweep_after 1 {}\n", t), "text/plain");
  REQUIRE(good.ok());
  CHECK(good->status == 204);

  for (const BodyCase& c : cases) {
    if (c.stored == Stored::kNotApplicable) continue;
    auto q = cluster.Select(fmt::format("/api/v1/query?query=count({{__name__%3D~%22{}.%2A%22}})&time={}", c.name,
                                        t / 1000 + 1));
    REQUIRE(q.ok());
    auto parsed = ParseQueryResponse(q->body);
    REQUIRE(parsed.ok());
    INFO(c.name << ": " << q->body);
    if (c.stored == Stored::kNothing) {
      CHECK(parsed->series.empty());
    } else {
      // Exactly the valid series: nothing of the bad part.
      REQUIRE(parsed->series.size() == 1);
      CHECK(parsed->series[0].points.at(0).second == "1");
    }
  }
  auto after = cluster.Select(fmt::format("/api/v1/query?query=sweep_after&time={}", t / 1000 + 1));
  REQUIRE(after.ok());
  CHECK(after->body.find("\"1\"") != std::string::npos);
}

}  // namespace
}  // namespace strata::testing
