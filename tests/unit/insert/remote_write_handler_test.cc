#include "insert/ingest/remote_write_handler.h"

#include <optional>
#include <string>
#include <vector>

#include <catch2/catch.hpp>
#include <fmt/format.h>

#include "common/prompb/remote_write_decoder.h"
#include "common/prompb/remote_write_encoder.h"
#include "insert/router/router.h"
#include "prompb/remote.pb.h"
#include "unit/insert/fake_storage.h"
#include "unit/insert/handler_harness.h"

namespace strata::insert {
namespace {

using testing::FakeCluster;

struct Series {
  std::vector<LabelView> labels;
  std::vector<Sample> samples;
};

std::string Body(const std::vector<Series>& series) {
  std::string request, body;
  for (const Series& s : series) AppendWriteRequestSeries(s.labels, s.samples, &request);
  SnappyCompress(request, &body);
  return body;
}

HttpRequest Post(std::string path, std::string body) {
  HttpRequest r;
  r.method = "POST";
  r.path = std::move(path);
  r.body = std::move(body);
  r.headers = {{"content-encoding", "snappy"},
               {"content-type", "application/x-protobuf"},
               {"x-prometheus-remote-write-version", "0.1.0"}};
  return r;
}

class Harness : public testing::HandlerHarness<RemoteWriteHandler> {
 public:
  explicit Harness(size_t nodes = 3, size_t replication = 1, RouterOptions options = {})
      : HandlerHarness(nodes, WithR(options, replication), RemoteWriteHandlerOptions{}) {}

 private:
  static RouterOptions WithR(RouterOptions o, size_t r) {
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

std::string Canonical(std::vector<Label> labels) {
  return Labels::FromUnsorted(std::move(labels)).Canonical();
}

TEST_CASE("remote_write stores every sample bit-exactly and answers 204", "[insert][remote_write]") {
  Harness h(3, 2);
  std::vector<Series> series = {
      {{{"__name__", "up"}, {"job", "node"}, {"instance", "a:9100"}},  // unsorted on purpose
       {{1700000000000, 1.0}, {1700000015000, StaleNaN()}}},
      {{{"__name__", "node_load1"}, {"instance", "a:9100"}}, {{-1000, -0.0}, {0, 1e308}, {5, 0.25}}},
  };
  HttpResponse r = h.Call(Post("/insert/0/prometheus/api/v1/write", Body(series)));
  CHECK(r.status == 204);
  CHECK(HeaderOf(r, "X-Prometheus-Remote-Write-Samples-Written") == "5");
  CHECK(HeaderOf(r, "X-Prometheus-Remote-Write-Histograms-Written") == "0");
  CHECK(HeaderOf(r, "X-Prometheus-Remote-Write-Exemplars-Written") == "0");
  auto stored = h.Stored();
  REQUIRE(stored.size() == 2);
  auto up = stored.at(Canonical({{"__name__", "up"}, {"job", "node"}, {"instance", "a:9100"}}));
  REQUIRE(up.size() == 2);
  CHECK(SameBits(up[0], Sample{1700000000000, 1.0}));
  CHECK(IsStaleNaN(up[1].value));
  auto load = stored.at(Canonical({{"__name__", "node_load1"}, {"instance", "a:9100"}}));
  REQUIRE(load.size() == 3);
  CHECK(SameBits(load[0], Sample{-1000, -0.0}));
  CHECK(SameBits(load[1], Sample{0, 1e308}));
  CHECK(SameBits(load[2], Sample{5, 0.25}));
}

TEST_CASE("remote_write rejects each kind of invalid series with 400 and stores the valid ones",
          "[insert][remote_write]") {
  struct Case {
    std::vector<Label> labels;  // owned: GENERATE copies cases around
    std::string reason;
  };
  auto c = GENERATE(Case{{{"job", "x"}}, "missing metric name"},
                    Case{{{"__name__", "m"}, {"", "x"}}, "empty name"},
                    Case{{{"__name__", "m"}, {"a", "1"}, {"a", "2"}}, "duplicate label name"},
                    Case{{{"__name__", "m"}, {"a", "caf\xc3"}}, "not valid UTF-8"});
  Harness h;
  std::vector<LabelView> bad;
  for (const Label& l : c.labels) bad.push_back({l.name, l.value});
  std::vector<Series> series = {{bad, {{1, 1.0}}}, {{{"__name__", "good"}}, {{1, 2.0}, {2, 3.0}}}};
  HttpResponse r = h.Call(Post("/api/v1/write", Body(series)));
  CHECK(r.status == 400);
  CHECK_THAT(r.body, Catch::Contains(c.reason));
  CHECK_THAT(r.body, Catch::Contains("rejected 1 of 2 series"));
  CHECK(HeaderOf(r, "X-Prometheus-Remote-Write-Samples-Written") == "2");
  auto stored = h.Stored();
  REQUIRE(stored.size() == 1);
  CHECK(stored.count(Canonical({{"__name__", "good"}})) == 1);
}

TEST_CASE("remote_write answers 400 for bodies that are not snappy or not protobuf", "[insert][remote_write]") {
  Harness h;
  HttpResponse r = h.Call(Post("/api/v1/write", "this is not snappy at all"));
  CHECK(r.status == 400);
  CHECK_THAT(r.body, Catch::StartsWith("cannot decompress snappy body"));

  std::string body;
  SnappyCompress("\x0a\x7f garbage", &body);
  r = h.Call(Post("/api/v1/write", body));
  CHECK(r.status == 400);
  CHECK_THAT(r.body, Catch::StartsWith("cannot parse remote_write request"));

  // A valid series followed by garbage: nothing is stored.
  std::string request;
  std::vector<LabelView> labels = {{"__name__", "x"}};
  std::vector<Sample> samples = {{1, 1}};
  AppendWriteRequestSeries(labels, samples, &request);
  request.append("\x0a\x10\x01");
  SnappyCompress(request, &body);
  r = h.Call(Post("/api/v1/write", body));
  CHECK(r.status == 400);
  CHECK(h.Stored().empty());
}

TEST_CASE("remote_write answers 503 when no storage node can take the data", "[insert][remote_write]") {
  Harness h(2, 1);
  for (auto& n : h.cluster.nodes) n->FailWrites(absl::UnavailableError("connection refused"));
  HttpResponse r = h.Call(Post("/api/v1/write", Body({{{{"__name__", "up"}}, {{1, 1.0}}}})));
  CHECK(r.status == 503);
  CHECK(HeaderOf(r, "X-Prometheus-Remote-Write-Samples-Written") == "0");

  Harness down(2, 1);
  for (auto& n : down.cluster.nodes) n->set_healthy(false);
  CHECK(down.Call(Post("/api/v1/write", Body({{{{"__name__", "up"}}, {{1, 1.0}}}}))).status == 503);
}

TEST_CASE("remote_write answers 429 with Retry-After over the in-flight cap", "[insert][remote_write]") {
  RouterOptions options;
  options.max_inflight_bytes = 10;
  Harness h(1, 1, options);
  h.cluster[0].set_hold(true);
  std::optional<HttpResponse> first;
  h.handler.Handle(Post("/api/v1/write", Body({{{{"__name__", "a"}}, {{1, 1.0}}}})),
                   [&](HttpResponse r) { first = std::move(r); });
  CHECK_FALSE(first.has_value());
  std::optional<HttpResponse> second;
  h.handler.Handle(Post("/api/v1/write", Body({{{{"__name__", "b"}}, {{1, 1.0}}}})),
                   [&](HttpResponse r) { second = std::move(r); });
  REQUIRE(second.has_value());
  CHECK(second->status == 429);
  CHECK(HeaderOf(*second, "Retry-After") == "1");
  h.cluster[0].ReleaseHeld();
  REQUIRE(first.has_value());
  CHECK(first->status == 204);
}

TEST_CASE("remote_write takes the tenant from the URL", "[insert][remote_write]") {
  struct Case {
    std::string path;
    int status;
    TenantId tenant;
  };
  auto c = GENERATE(Case{"/insert/12:3/prometheus/api/v1/write", 204, {12, 3}},
                    Case{"/insert/42/prometheus/api/v1/write", 204, {42, 0}},
                    Case{"/insert/5:6/prometheus", 204, {5, 6}}, Case{"/insert/5/prometheus/", 204, {5, 0}},
                    Case{"/insert/7/prometheus/api/v1/push", 204, {7, 0}}, Case{"/api/v1/write", 204, {0, 0}},
                    Case{"/insert/abc/prometheus/api/v1/write", 400, {}},
                    Case{"/insert/1:x/prometheus/api/v1/write", 400, {}},
                    Case{"/insert/99999999999/prometheus/api/v1/write", 400, {}},
                    Case{"/insert/1/influx/write", 404, {}}, Case{"/insert/", 404, {}});
  Harness h(1, 1);
  HttpResponse r = h.Call(Post(c.path, Body({{{{"__name__", "up"}}, {{1, 1.0}}}})));
  INFO(c.path << ": " << r.body);
  CHECK(r.status == c.status);
  auto contents = h.cluster[0].Contents();
  if (c.status == 204) {
    REQUIRE(contents.tenants.size() == 1);
    CHECK(contents.tenants[0] == c.tenant);
  } else {
    CHECK(contents.tenants.empty());
  }
}

TEST_CASE("remote_write refuses other methods, encodings and unknown messages", "[insert][remote_write]") {
  Harness h;
  HttpRequest get = Post("/api/v1/write", Body({{{{"__name__", "up"}}, {{1, 1.0}}}}));
  get.method = "GET";
  HttpResponse r = h.Call(std::move(get));
  CHECK(r.status == 405);
  CHECK(HeaderOf(r, "Allow") == "POST");

  HttpRequest zstd = Post("/api/v1/write", "x");
  zstd.headers[0].second = "zstd";
  CHECK(h.Call(std::move(zstd)).status == 400);

  HttpRequest v3 = Post("/api/v1/write", "x");
  v3.headers[1].second = "application/x-protobuf;proto=io.prometheus.write.v3.Request";
  CHECK(h.Call(std::move(v3)).status == 415);
  CHECK(h.Stored().empty());
}

TEST_CASE("remote_write stores floats but says 400 when native histograms were sent", "[insert][remote_write]") {
  prometheus::WriteRequest req;
  auto* ts = req.add_timeseries();
  auto* l = ts->add_labels();
  l->set_name("__name__");
  l->set_value("rpc_latency_seconds");
  ts->add_histograms()->set_count_int(3);
  auto* floats = req.add_timeseries();
  l = floats->add_labels();
  l->set_name("__name__");
  l->set_value("up");
  auto* s = floats->add_samples();
  s->set_value(1);
  s->set_timestamp(10);
  auto* e = floats->add_exemplars();
  e->set_value(1);
  std::string body;
  SnappyCompress(req.SerializeAsString(), &body);
  Harness h;
  HttpResponse r = h.Call(Post("/api/v1/write", body));
  CHECK(r.status == 400);
  CHECK_THAT(r.body, Catch::Contains("1 native histogram samples were not stored"));
  CHECK(HeaderOf(r, "X-Prometheus-Remote-Write-Samples-Written") == "1");
  CHECK(h.Stored().size() == 1);
  CHECK(testing::MetricValue(h.registry, "strata_insert_series_rejected_total", {{"reason", "native_histogram"}}) ==
        1);
}

TEST_CASE("remote_write answers 204 for a request without samples", "[insert][remote_write]") {
  Harness h;
  HttpResponse r = h.Call(Post("/api/v1/write", Body({})));
  CHECK(r.status == 204);
  CHECK(HeaderOf(r, "X-Prometheus-Remote-Write-Samples-Written") == "0");
}

TEST_CASE("remote_write sends exemplars with their series to every replica and counts them",
          "[insert][remote_write]") {
  prometheus::WriteRequest req;
  auto* with_sample = req.add_timeseries();
  auto* l = with_sample->add_labels();
  l->set_name("__name__");
  l->set_value("req_total");
  auto* s = with_sample->add_samples();
  s->set_value(3);
  s->set_timestamp(1000);
  // Prometheus sends exemplars in series of their own, without samples.
  auto* exemplar_only = req.add_timeseries();
  *exemplar_only->mutable_labels() = with_sample->labels();
  for (int i = 0; i < 2; ++i) {
    auto* e = exemplar_only->add_exemplars();
    auto* el = e->add_labels();
    el->set_name("trace_id");
    el->set_value(fmt::format("t{}", i));
    e->set_value(0.5 + i);
    e->set_timestamp(1000 + i);
  }
  std::string body;
  SnappyCompress(req.SerializeAsString(), &body);
  // Three nodes with replication 2 (each node gets the series it holds,
  // copied out), and one node (it gets the request's own encoding, which
  // switched to 0x58 at the exemplar-only series).
  for (auto [nodes, replicas] : {std::pair<size_t, size_t>{3, 2}, {1, 1}}) {
    INFO(nodes << " node(s)");
    Harness h(nodes, replicas);
    HttpResponse r = h.Call(Post("/api/v1/write", body));
    CHECK(r.status == 204);
    CHECK(HeaderOf(r, "X-Prometheus-Remote-Write-Samples-Written") == "1");
    CHECK(HeaderOf(r, "X-Prometheus-Remote-Write-Exemplars-Written") == "2");
    // Both replicas of the series got the exemplars, in 0x58 batches.
    size_t nodes_with_exemplars = 0;
    for (auto& n : h.cluster.nodes) {
      size_t exemplars = 0;
      for (const std::string& b : n->batches()) {
        auto reader = WriteBatchReader::Open(b);
        REQUIRE(reader.ok());
        CHECK(reader->with_exemplars());
        SeriesView v;
        while (reader->Next(&v)) {
          for (const ExemplarView& e : v.exemplars) {
            CHECK(e.labels_in(v.exemplar_labels)[0].value == fmt::format("t{}", exemplars));
            CHECK(e.timestamp_ms == 1000 + static_cast<int64_t>(exemplars));
            ++exemplars;
          }
        }
      }
      if (exemplars > 0) ++nodes_with_exemplars;
      CHECK((exemplars == 0 || exemplars == 2));
    }
    CHECK(nodes_with_exemplars == replicas);
  }
}

TEST_CASE("remote_write without exemplars still sends 0x57 batches", "[insert][remote_write]") {
  Harness h(1, 1);
  HttpResponse r = h.Call(Post("/api/v1/write", Body({{{{"__name__", "up"}}, {{1, 1}}}})));
  CHECK(r.status == 204);
  REQUIRE(h.cluster.nodes[0]->batches().size() == 1);
  CHECK(h.cluster.nodes[0]->batches()[0][0] == kWriteBatchMagic);
}

}  // namespace
}  // namespace strata::insert
