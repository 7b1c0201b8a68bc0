// remote_write 2.0 on the insert handler: content negotiation (415), the
// symbol-table request stored like 1.0's (samples, exemplars, metadata),
// native histograms refused with a counted reason, malformed requests
// rejected whole.
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "common/model/write_batch.h"
#include "common/prompb/remote_write_encoder.h"
#include "insert/ingest/remote_write_handler.h"
#include "insert/router/router.h"
#include "testing/prw2_builder.h"
#include "unit/insert/handler_harness.h"

namespace strata::insert {
namespace {

using strata::testing::Prw2RequestBuilder;
using V2Metadata = io::prometheus::write::v2::Metadata;

constexpr std::string_view kV2ContentType = "application/x-protobuf;proto=io.prometheus.write.v2.Request";

HttpRequest PostV2(const std::string& request, std::string content_type = std::string(kV2ContentType),
                   std::string path = "/insert/0/prometheus/api/v1/write") {
  HttpRequest r;
  r.method = "POST";
  r.path = std::move(path);
  SnappyCompress(request, &r.body);
  r.headers = {{"content-encoding", "snappy"},
               {"content-type", std::move(content_type)},
               {"x-prometheus-remote-write-version", "2.0.0"}};
  return r;
}

class Harness : public testing::HandlerHarness<RemoteWriteHandler> {
 public:
  explicit Harness(size_t nodes = 3) : HandlerHarness(nodes, WithR(2), RemoteWriteHandlerOptions{}) {}

  std::vector<MetricMetadata> MetadataOn(size_t node) {
    std::vector<MetricMetadata> out;
    for (auto& [tenant, m] : cluster.nodes[node]->metadata()) out.push_back(m);
    return out;
  }

 private:
  static RouterOptions WithR(size_t r) {
    RouterOptions o;
    o.replication_factor = r;
    return o;
  }
};

std::string_view HeaderOf(const HttpResponse& r, std::string_view name) {
  for (const auto& [k, v] : r.headers) {
    if (k == name) return v;
  }
  return {};
}

TEST_CASE("remote_write 2.0 stores samples, exemplars and per-family metadata and reports the written counts",
          "[insert][remote_write_v2]") {
  Harness h;
  Prw2RequestBuilder b;
  // Labels unsorted on purpose: the receiver sorts.
  auto* a = b.AddSeries({{"job", "api"}, {"__name__", "rpc_seconds_bucket"}, {"le", "0.5"}}, {{1000, 3}, {2000, 4}});
  b.SetMetadata(a, V2Metadata::METRIC_TYPE_HISTOGRAM, "RPC latency.", "seconds");
  b.AddExemplar(a, {{"trace_id", "t-1"}}, 0.42, 1999);
  auto* c = b.AddSeries({{"__name__", "rpc_seconds_count"}, {"job", "api"}}, {{1000, 10}});
  b.SetMetadata(c, V2Metadata::METRIC_TYPE_HISTOGRAM, "RPC latency.", "seconds");
  b.AddSeries({{"__name__", "up"}, {"job", "api"}}, {{1000, 1}});  // no metadata

  HttpResponse r = h.Call(PostV2(b.Serialize()));
  INFO(r.body);
  CHECK(r.status == 204);
  CHECK(HeaderOf(r, "X-Prometheus-Remote-Write-Samples-Written") == "4");
  CHECK(HeaderOf(r, "X-Prometheus-Remote-Write-Histograms-Written") == "0");
  CHECK(HeaderOf(r, "X-Prometheus-Remote-Write-Exemplars-Written") == "1");

  auto stored = h.Stored();
  CHECK(stored.size() == 3);
  const std::string bucket = Labels::FromUnsorted({{"__name__", "rpc_seconds_bucket"}, {"job", "api"}, {"le", "0.5"}})
                                 .Canonical();
  REQUIRE(stored.count(bucket) == 1);
  REQUIRE(stored[bucket].size() == 2);
  CHECK(stored[bucket][1].timestamp_ms == 2000);
  CHECK(stored[bucket][1].value == 4);

  // The exemplar travelled with its series.
  size_t exemplars = 0;
  for (auto& node : h.cluster.nodes) {
    for (const std::string& batch : node->batches()) {
      auto reader = WriteBatchReader::Open(batch);
      REQUIRE(reader.ok());
      SeriesView v;
      while (reader->Next(&v)) {
        for (const ExemplarView& e : v.exemplars) {
          CHECK(e.labels_in(v.exemplar_labels)[0].value == "t-1");
          CHECK(e.value == 0.42);
          ++exemplars;
        }
      }
    }
  }
  CHECK(exemplars == 2);  // replication factor 2

  // One metadata entry per family, on every node (as 1.0's metadata).
  for (size_t n = 0; n < h.cluster.nodes.size(); ++n) {
    CHECK(h.MetadataOn(n) == std::vector<MetricMetadata>{{"rpc_seconds", 3, "RPC latency.", "seconds"}});
  }
  CHECK(testing::MetricValue(h.registry, "strata_insert_requests_total", {{"protocol", "promremotewrite2"}, {"result", "ok"}}) == 1);
}

TEST_CASE("remote_write 2.0 native histograms are refused with 400, counted, and the float series still stored",
          "[insert][remote_write_v2]") {
  Harness h;
  Prw2RequestBuilder b;
  b.AddSeries({{"__name__", "native_latency"}})->add_histograms()->set_timestamp(1000);
  b.AddSeries({{"__name__", "up"}}, {{1000, 1}});
  HttpResponse r = h.Call(PostV2(b.Serialize()));
  CHECK(r.status == 400);
  CHECK(r.body.find("1 native histogram samples were not stored: native histograms are not supported") !=
        std::string::npos);
  CHECK(HeaderOf(r, "X-Prometheus-Remote-Write-Samples-Written") == "1");
  CHECK(HeaderOf(r, "X-Prometheus-Remote-Write-Histograms-Written") == "0");
  CHECK(h.Stored().size() == 1);
  CHECK(testing::MetricValue(h.registry, "strata_insert_series_rejected_total", {{"reason", "native_histogram"}}) ==
        1);
}

TEST_CASE("remote_write 2.0 invalid series are refused with 400 naming them while valid ones are stored",
          "[insert][remote_write_v2]") {
  Harness h;
  Prw2RequestBuilder b;
  b.AddSeries({{"job", "no-name"}}, {{1000, 1}});
  b.AddSeries({{"__name__", "bad\xff"}}, {{1000, 1}});  // invalid UTF-8: the symbols are bytes on the wire
  b.AddSeries({{"__name__", "good"}}, {{1000, 1}});
  HttpResponse r = h.Call(PostV2(b.Serialize()));
  CHECK(r.status == 400);
  CHECK(r.body.rfind("rejected 2 of 3 series; the first: ", 0) == 0);
  CHECK(HeaderOf(r, "X-Prometheus-Remote-Write-Samples-Written") == "1");
  CHECK(h.Stored().size() == 1);
}

TEST_CASE("remote_write 2.0 requests with out-of-range symbol refs are rejected whole with 400",
          "[insert][remote_write_v2]") {
  Harness h;
  Prw2RequestBuilder b;
  b.AddSeries({{"__name__", "good"}}, {{1000, 1}});
  b.AddSeries({{"__name__", "bad"}}, {{1000, 1}})->set_labels_refs(0, 1000);
  HttpResponse r = h.Call(PostV2(b.Serialize()));
  CHECK(r.status == 400);
  CHECK(r.body == "cannot parse remote_write 2.0 request: timeseries[1]: series labels_refs holds symbol ref 1000, "
                  "but the symbols table has 4 entries\n");
  CHECK(HeaderOf(r, "X-Prometheus-Remote-Write-Samples-Written") == "0");
  CHECK(h.Stored().empty());
  for (auto& node : h.cluster.nodes) CHECK(node->write_calls() == 0);
}

TEST_CASE("remote_write content negotiation answers 415 for what it cannot take, as the 2.0 spec asks",
          "[insert][remote_write_v2]") {
  Prw2RequestBuilder b;
  b.AddSeries({{"__name__", "up"}}, {{1000, 1}});
  const std::string body = b.Serialize();
  struct Case {
    std::string content_type;
    int status;
    std::string body_prefix;
  };
  const std::vector<Case> cases = {
      {"application/x-protobuf;proto=io.prometheus.write.v3.Request", 415,
       "unknown remote-write protobuf message \"io.prometheus.write.v3.Request\""},
      {"application/json", 415, "expected application/x-protobuf as the first (media) part"},
      {"application/x-protobuf;proto", 415, "expected key=value parameters"},
      // Spaces, letter case and quotes as HTTP allows them.
      {"Application/X-Protobuf; proto=\"io.prometheus.write.v2.Request\"", 204, ""},
  };
  for (const Case& c : cases) {
    Harness h;
    INFO(c.content_type);
    HttpResponse r = h.Call(PostV2(body, c.content_type));
    CHECK(r.status == c.status);
    CHECK(r.body.rfind(c.body_prefix, 0) == 0);
    CHECK(!HeaderOf(r, "X-Prometheus-Remote-Write-Samples-Written").empty());
    CHECK(h.Stored().size() == (c.status == 204 ? 1u : 0u));
  }

  // A 2.0 body with a non-snappy encoding: 415 (1.0 keeps its 400).
  Harness h;
  HttpRequest gz = PostV2(body);
  gz.headers[0].second = "gzip";
  CHECK(h.Call(std::move(gz)).status == 415);
  HttpRequest v1 = PostV2(body, "application/x-protobuf");
  v1.headers[0].second = "gzip";
  CHECK(h.Call(std::move(v1)).status == 400);
}

TEST_CASE("remote_write picks the message from Content-Type, 1.0 by default", "[insert][remote_write_v2]") {
  CHECK(*RemoteWriteHandler::ProtoOf("") == RemoteWriteProto::kV1);
  CHECK(*RemoteWriteHandler::ProtoOf("application/x-protobuf") == RemoteWriteProto::kV1);
  CHECK(*RemoteWriteHandler::ProtoOf("application/x-protobuf;proto=prometheus.WriteRequest") ==
        RemoteWriteProto::kV1);
  CHECK(*RemoteWriteHandler::ProtoOf("application/x-protobuf;proto=io.prometheus.write.v2.Request") ==
        RemoteWriteProto::kV2);
  CHECK(*RemoteWriteHandler::ProtoOf("application/x-protobuf; charset=utf-8 ;proto=io.prometheus.write.v2.Request") ==
        RemoteWriteProto::kV2);
  CHECK(!RemoteWriteHandler::ProtoOf("text/plain").ok());

  // A 2.0 body on the plain /api/v1/write path goes to tenant 0:0.
  Harness h;
  Prw2RequestBuilder b;
  b.AddSeries({{"__name__", "up"}}, {{1000, 1}});
  CHECK(h.Call(PostV2(b.Serialize(), std::string(kV2ContentType), "/api/v1/write")).status == 204);
  CHECK(h.Stored().size() == 1);
}

}  // namespace
}  // namespace strata::insert
