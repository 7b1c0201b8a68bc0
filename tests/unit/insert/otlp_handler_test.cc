#include "insert/ingest/otlp_handler.h"

#include <string>
#include <utility>
#include <vector>

#include <catch2/catch.hpp>

#include "opentelemetry/proto/collector/metrics/v1/metrics_service.pb.h"
#include "unit/insert/handler_harness.h"

namespace strata::insert {
namespace {

namespace otlp_metrics = opentelemetry::proto::metrics::v1;
namespace otlp_collector = opentelemetry::proto::collector::metrics::v1;

constexpr uint64_t kT1 = 1'700'000'000'000'000'000;

// A request with a cumulative counter "jobs.done" = 5 for service "worker",
// and optionally a delta sum that Strata rejects.
std::string Body(bool with_delta = false) {
  otlp_collector::ExportMetricsServiceRequest req;
  auto* rm = req.add_resource_metrics();
  auto* attr = rm->mutable_resource()->add_attributes();
  attr->set_key("service.name");
  attr->mutable_value()->set_string_value("worker");
  auto* sm = rm->add_scope_metrics();
  auto* m = sm->add_metrics();
  m->set_name("jobs.done");
  m->mutable_sum()->set_is_monotonic(true);
  m->mutable_sum()->set_aggregation_temporality(otlp_metrics::AGGREGATION_TEMPORALITY_CUMULATIVE);
  auto* p = m->mutable_sum()->add_data_points();
  p->set_time_unix_nano(kT1);
  p->set_as_int(5);
  if (with_delta) {
    auto* d = sm->add_metrics();
    d->set_name("deltas");
    d->mutable_sum()->set_aggregation_temporality(otlp_metrics::AGGREGATION_TEMPORALITY_DELTA);
    d->mutable_sum()->add_data_points()->set_as_double(1);
  }
  return req.SerializeAsString();
}

HttpRequest Post(std::string path, std::string body, std::string content_type = "application/x-protobuf") {
  HttpRequest r;
  r.method = "POST";
  r.path = std::move(path);
  r.body = std::move(body);
  r.headers = {{"content-type", std::move(content_type)}};
  return r;
}

// The OTLP handler behind the insert service's routes (ingest_paths.h).
using Harness = testing::ServiceHarness;

std::string Canonical(std::vector<Label> labels) { return Labels::FromUnsorted(std::move(labels)).Canonical(); }

// Reads the google.rpc.Status {code = 1, message = 2} of an error reply.
std::pair<int, std::string> RpcStatus(const std::string& body) {
  REQUIRE(body.size() >= 4);
  REQUIRE(body[0] == 0x08);
  int code = body[1];
  REQUIRE(body[2] == 0x12);
  size_t pos = 3, len = 0;
  for (int shift = 0;; shift += 7) {
    auto b = static_cast<unsigned char>(body.at(pos++));
    len |= static_cast<size_t>(b & 0x7f) << shift;
    if (b < 0x80) break;
  }
  REQUIRE(pos + len == body.size());
  return {code, body.substr(pos, len)};
}

TEST_CASE("OTLP export stores the converted series and answers 200 with an empty response", "[insert][otlp]") {
  Harness h;
  HttpResponse r = h.Call(Post("/insert/7:3/opentelemetry/v1/metrics", Body()));
  CHECK(r.status == 200);
  CHECK(r.content_type == "application/x-protobuf");
  CHECK(r.body.empty());
  CHECK(h.Stored().empty());  // nothing for tenant 0:0
  auto stored = h.Stored(TenantId{7, 3});
  REQUIRE(stored.size() == 1);
  auto samples = stored.at(Canonical({{"__name__", "jobs_done_total"}, {"job", "worker"}}));
  REQUIRE(samples.size() == 1);
  CHECK(SameBits(samples[0], Sample{1'700'000'000'000, 5.0}));
}

TEST_CASE("OTLP export reports rejected points as partial success and stores the rest", "[insert][otlp]") {
  Harness h;
  HttpResponse r = h.Call(Post("/opentelemetry/v1/metrics", Body(/*with_delta=*/true)));
  CHECK(r.status == 200);
  otlp_collector::ExportMetricsServiceResponse resp;
  REQUIRE(resp.ParseFromString(r.body));
  CHECK(resp.partial_success().rejected_data_points() == 1);
  CHECK_THAT(resp.partial_success().error_message(), Catch::Contains("delta temporality is not supported"));
  CHECK(h.Stored().size() == 1);
}

TEST_CASE("OTLP export rejects malformed protobuf with 400 and a google.rpc.Status", "[insert][otlp]") {
  Harness h;
  HttpResponse r = h.Call(Post("/otlp/v1/metrics", "\x0a\x05garbage-that-is-too-long"));
  CHECK(r.status == 400);
  auto [code, message] = RpcStatus(r.body);
  CHECK(code == 3);
  CHECK_THAT(message, Catch::Contains("malformed OTLP request"));
  CHECK(h.Stored().empty());
}

TEST_CASE("OTLP export refuses JSON, other media types, other encodings and other methods", "[insert][otlp]") {
  Harness h;
  HttpResponse json = h.Call(Post("/opentelemetry/v1/metrics", "{}", "application/json"));
  CHECK(json.status == 415);
  CHECK(json.content_type == "application/json");
  CHECK_THAT(json.body, Catch::Contains("OTLP/JSON is not supported"));

  CHECK(h.Call(Post("/opentelemetry/v1/metrics", Body(), "text/plain")).status == 415);
  HttpRequest zstd = Post("/opentelemetry/v1/metrics", Body());
  zstd.headers.emplace_back("content-encoding", "zstd");
  CHECK(h.Call(std::move(zstd)).status == 415);
  HttpRequest get = Post("/opentelemetry/v1/metrics", "");
  get.method = "GET";
  HttpResponse r = h.Call(std::move(get));
  CHECK(r.status == 405);
  CHECK(RpcStatus(r.body).second == "OTLP export needs POST, not GET");
  CHECK(h.Call(Post("/insert/x/opentelemetry/v1/metrics", Body())).status == 400);
  // Parameters after the media type are fine.
  CHECK(h.Call(Post("/opentelemetry/v1/metrics", Body(), "application/x-protobuf; charset=binary")).status == 200);
  CHECK(h.Stored().size() == 1);
}

TEST_CASE("OTLP export answers 503 when the storage nodes cannot take the data", "[insert][otlp]") {
  Harness h;
  for (auto& n : h.cluster.nodes) n->FailWrites(absl::UnavailableError("node down"));
  HttpResponse r = h.Call(Post("/opentelemetry/v1/metrics", Body()));
  CHECK(r.status == 503);
  CHECK(RpcStatus(r.body).first == 14);
}

TEST_CASE("The insert service routes OTLP paths to the OTLP handler and counts the requests", "[insert][otlp]") {
  Harness h(2);
  for (const char* path : {"/opentelemetry/v1/metrics", "/otlp/v1/metrics", "/insert/0/opentelemetry/v1/metrics",
                           "/insert/0/opentelemetry/api/v1/push"}) {
    INFO(path);
    CHECK(h.Call(Post(path, Body(true))).status == 200);
  }
  auto stored = h.Stored();
  REQUIRE(stored.size() == 1);
  CHECK(stored.begin()->second.size() == 4);  // the counter's one sample per request
  CHECK(h.Counter("strata_insert_requests_total", {{"protocol", "opentelemetry"}, {"result", "ok"}}) == 4);
  CHECK(h.Counter("strata_insert_samples_total", {}) == 4);
  CHECK(h.Counter("strata_insert_series_rejected_total", {{"reason", "delta_temporality"}}) == 4);
  // An OTLP path under another protocol's prefix is no route.
  CHECK(h.Call(Post("/insert/0/prometheus/opentelemetry/v1/metrics", Body())).status == 404);
}

}  // namespace
}  // namespace strata::insert
