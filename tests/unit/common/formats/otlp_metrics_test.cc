#include "common/formats/otlp_metrics.h"

#include <cmath>
#include <map>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "opentelemetry/proto/collector/metrics/v1/metrics_service.pb.h"

namespace strata {
namespace {

namespace otlp_common = opentelemetry::proto::common::v1;
namespace otlp_metrics = opentelemetry::proto::metrics::v1;
namespace otlp_collector = opentelemetry::proto::collector::metrics::v1;

constexpr uint64_t kT1 = 1'700'000'000'000'000'000;  // ns
constexpr int64_t kT1Ms = 1'700'000'000'000;

void SetAttr(google::protobuf::RepeatedPtrField<otlp_common::KeyValue>* attrs, const std::string& k,
             const std::string& v) {
  auto* kv = attrs->Add();
  kv->set_key(k);
  kv->mutable_value()->set_string_value(v);
}

// A request with one resource (service "shop", namespace "prod", instance
// "i-1", plus host.name) and one scope; tests add metrics to it.
struct Request {
  otlp_collector::ExportMetricsServiceRequest pb;
  otlp_metrics::ScopeMetrics* scope;

  explicit Request(bool with_resource = true) {
    auto* rm = pb.add_resource_metrics();
    if (with_resource) {
      auto* attrs = rm->mutable_resource()->mutable_attributes();
      SetAttr(attrs, "service.name", "shop");
      SetAttr(attrs, "service.namespace", "prod");
      SetAttr(attrs, "service.instance.id", "i-1");
      SetAttr(attrs, "host.name", "h1");
    }
    scope = rm->add_scope_metrics();
    scope->mutable_scope()->set_name("my.library");
    scope->mutable_scope()->set_version("1.0");
  }
  otlp_metrics::Metric* Metric(const std::string& name, const std::string& unit = "") {
    auto* m = scope->add_metrics();
    m->set_name(name);
    m->set_unit(unit);
    return m;
  }
  OtlpConversion Convert(int64_t now_ms = 42) const {
    absl::StatusOr<OtlpConversion> c = ConvertOtlpMetrics(pb.SerializeAsString(), OtlpConvertOptions{.now_ms = now_ms});
    REQUIRE(c.ok());
    return *std::move(c);
  }
};

otlp_metrics::NumberDataPoint* AddNumber(google::protobuf::RepeatedPtrField<otlp_metrics::NumberDataPoint>* points,
                                         double v, uint64_t t = kT1) {
  auto* p = points->Add();
  p->set_time_unix_nano(t);
  p->set_start_time_unix_nano(t - 1'000'000'000);
  p->set_as_double(v);
  return p;
}

// Series rendered as `name{a="b", ...}` -> samples.
std::map<std::string, std::vector<Sample>> ByName(const OtlpConversion& c) {
  std::map<std::string, std::vector<Sample>> out;
  for (const OtlpSeries& s : c.series) {
    std::string key = Labels::FromSorted(s.labels).ToString();
    REQUIRE(out.count(key) == 0);
    out[key] = s.samples;
  }
  return out;
}

double Only(const std::map<std::string, std::vector<Sample>>& m, const std::string& key) {
  auto it = m.find(key);
  INFO(key);
  REQUIRE(it != m.end());
  REQUIRE(it->second.size() == 1);
  return it->second[0].value;
}

TEST_CASE("OTLP gauges keep attributes as labels and map service attributes to job and instance",
          "[formats][otlp][unit]") {
  Request r;
  auto* g = r.Metric("queue.length", "{item}")->mutable_gauge();
  auto* p = AddNumber(g->mutable_data_points(), 7.5);
  SetAttr(p->mutable_attributes(), "queue.name", "orders");
  OtlpConversion c = r.Convert();
  auto m = ByName(c);
  CHECK(c.points_accepted == 1);
  CHECK(c.points_rejected == 0);
  CHECK(c.first_problem.empty());
  CHECK(Only(m, R"(queue_length{instance="i-1", job="prod/shop", queue_name="orders"})") == 7.5);
  REQUIRE(m.at(R"(queue_length{instance="i-1", job="prod/shop", queue_name="orders"})")[0].timestamp_ms == kT1Ms);
  // Other resource attributes go to target_info, not to every series;
  // scope name/version are not labels.
  CHECK(Only(m, R"(target_info{host_name="h1", instance="i-1", job="prod/shop"})") == 1);
  CHECK(m.size() == 2);
}

TEST_CASE("OTLP cumulative monotonic sums become counters ending in _total", "[formats][otlp][unit]") {
  Request r;
  auto* sum = r.Metric("http.requests", "{request}")->mutable_sum();
  sum->set_is_monotonic(true);
  sum->set_aggregation_temporality(otlp_metrics::AGGREGATION_TEMPORALITY_CUMULATIVE);
  auto* p = sum->add_data_points();
  p->set_time_unix_nano(kT1);
  p->set_as_int(12);
  SetAttr(p->mutable_attributes(), "http.method", "GET");
  auto* updown = r.Metric("pool.connections")->mutable_sum();
  updown->set_is_monotonic(false);
  updown->set_aggregation_temporality(otlp_metrics::AGGREGATION_TEMPORALITY_CUMULATIVE);
  AddNumber(updown->mutable_data_points(), -3);
  auto m = ByName(r.Convert());
  CHECK(Only(m, R"(http_requests_total{http_method="GET", instance="i-1", job="prod/shop"})") == 12);
  CHECK(Only(m, R"(pool_connections{instance="i-1", job="prod/shop"})") == -3);
}

TEST_CASE("OTLP delta sums and histograms are rejected and counted, like Prometheus's default",
          "[formats][otlp][unit]") {
  Request r;
  auto* sum = r.Metric("deltas")->mutable_sum();
  sum->set_is_monotonic(true);
  sum->set_aggregation_temporality(otlp_metrics::AGGREGATION_TEMPORALITY_DELTA);
  AddNumber(sum->mutable_data_points(), 1);
  AddNumber(sum->mutable_data_points(), 2, kT1 + 1'000'000'000);
  auto* h = r.Metric("delta.hist")->mutable_histogram();
  h->set_aggregation_temporality(otlp_metrics::AGGREGATION_TEMPORALITY_DELTA);
  h->add_data_points()->set_time_unix_nano(kT1);
  auto* ok = r.Metric("fine")->mutable_gauge();
  AddNumber(ok->mutable_data_points(), 1);
  OtlpConversion c = r.Convert();
  CHECK(c.points_accepted == 1);
  CHECK(c.points_rejected == 3);
  CHECK(c.rejected_by_reason[static_cast<size_t>(OtlpRejectReason::kDeltaTemporality)] == 3);
  CHECK(c.first_problem.find("\"deltas\"") != std::string::npos);
  CHECK(c.first_problem.find("delta temporality") != std::string::npos);
  auto m = ByName(c);
  CHECK(m.count(R"(fine{instance="i-1", job="prod/shop"})") == 1);
  for (const auto& [name, samples] : m) CHECK(name.find("delta") == std::string::npos);
}

TEST_CASE("OTLP histograms become classic cumulative _bucket, _count and _sum series", "[formats][otlp][unit]") {
  Request r;
  auto* h = r.Metric("http.server.duration", "ms")->mutable_histogram();
  h->set_aggregation_temporality(otlp_metrics::AGGREGATION_TEMPORALITY_CUMULATIVE);
  auto* p = h->add_data_points();
  p->set_time_unix_nano(kT1);
  p->set_count(10);
  p->set_sum(123.5);
  for (double b : {0.005, 10.0, 250.0}) p->add_explicit_bounds(b);
  for (uint64_t n : {1, 2, 3, 4}) p->add_bucket_counts(n);
  auto m = ByName(r.Convert());
  const std::string tail = R"(instance="i-1", job="prod/shop")";
  CHECK(Only(m, "http_server_duration_milliseconds_bucket{" + tail + R"(, le="0.005"})") == 1);
  CHECK(Only(m, "http_server_duration_milliseconds_bucket{" + tail + R"(, le="10"})") == 3);
  CHECK(Only(m, "http_server_duration_milliseconds_bucket{" + tail + R"(, le="250"})") == 6);
  CHECK(Only(m, "http_server_duration_milliseconds_bucket{" + tail + R"(, le="+Inf"})") == 10);
  CHECK(Only(m, "http_server_duration_milliseconds_count{" + tail + "}") == 10);
  CHECK(Only(m, "http_server_duration_milliseconds_sum{" + tail + "}") == 123.5);
}

TEST_CASE("OTLP histograms without a sum have no _sum series", "[formats][otlp][unit]") {
  Request r(/*with_resource=*/false);
  auto* h = r.Metric("sizes")->mutable_histogram();
  h->set_aggregation_temporality(otlp_metrics::AGGREGATION_TEMPORALITY_CUMULATIVE);
  auto* p = h->add_data_points();
  p->set_time_unix_nano(kT1);
  p->set_count(2);
  p->add_bucket_counts(2);
  auto m = ByName(r.Convert());
  CHECK(Only(m, R"(sizes_bucket{le="+Inf"})") == 2);
  CHECK(Only(m, "sizes_count{}") == 2);
  CHECK(m.count("sizes_sum{}") == 0);
  CHECK(m.size() == 2);  // no resource: no target_info either
}

TEST_CASE("OTLP summaries become quantile series with _count and _sum", "[formats][otlp][unit]") {
  Request r(false);
  auto* s = r.Metric("rpc.latency", "s")->mutable_summary();
  auto* p = s->add_data_points();
  p->set_time_unix_nano(kT1);
  p->set_count(4);
  p->set_sum(2.5);
  auto* q = p->add_quantile_values();
  q->set_quantile(0.5);
  q->set_value(0.4);
  q = p->add_quantile_values();
  q->set_quantile(0.99);
  q->set_value(1.9);
  auto m = ByName(r.Convert());
  CHECK(Only(m, R"(rpc_latency_seconds{quantile="0.5"})") == 0.4);
  CHECK(Only(m, R"(rpc_latency_seconds{quantile="0.99"})") == 1.9);
  CHECK(Only(m, "rpc_latency_seconds_count{}") == 4);
  CHECK(Only(m, "rpc_latency_seconds_sum{}") == 2.5);
}

TEST_CASE("OTLP exponential histograms are rejected with their own reason", "[formats][otlp][unit]") {
  Request r(false);
  auto* e = r.Metric("latency")->mutable_exponential_histogram();
  e->set_aggregation_temporality(otlp_metrics::AGGREGATION_TEMPORALITY_CUMULATIVE);
  e->add_data_points()->set_count(3);
  e->add_data_points()->set_count(4);
  r.Metric("no.data");  // no data field at all
  OtlpConversion c = r.Convert();
  CHECK(c.series.empty());
  CHECK(c.points_rejected == 2);
  CHECK(c.rejected_by_reason[static_cast<size_t>(OtlpRejectReason::kExponentialHistogram)] == 2);
  CHECK(c.first_problem.find("exponential histograms are not supported") != std::string::npos);
}

TEST_CASE("OTLP points without a recorded value become Prometheus stale markers", "[formats][otlp][unit]") {
  Request r(false);
  auto* g = r.Metric("temp")->mutable_gauge();
  AddNumber(g->mutable_data_points(), 3)->set_flags(otlp_metrics::DATA_POINT_FLAGS_NO_RECORDED_VALUE_MASK);
  auto* h = r.Metric("hist")->mutable_histogram();
  h->set_aggregation_temporality(otlp_metrics::AGGREGATION_TEMPORALITY_CUMULATIVE);
  auto* p = h->add_data_points();
  p->set_time_unix_nano(kT1);
  p->set_flags(otlp_metrics::DATA_POINT_FLAGS_NO_RECORDED_VALUE_MASK);
  p->set_count(5);
  p->set_sum(1);
  p->add_explicit_bounds(1);
  p->add_bucket_counts(5);
  p->add_bucket_counts(0);
  OtlpConversion c = r.Convert();
  REQUIRE(c.series.size() == 5);
  for (const OtlpSeries& s : c.series) {
    REQUIRE(s.samples.size() == 1);
    CHECK(IsStaleNaN(s.samples[0].value));
  }
}

TEST_CASE("OTLP attribute values of every type become label values", "[formats][otlp][unit]") {
  Request r(false);
  auto* p = AddNumber(r.Metric("m")->mutable_gauge()->mutable_data_points(), 1);
  auto* attrs = p->mutable_attributes();
  auto add = [&](const std::string& k) {
    auto* kv = attrs->Add();
    kv->set_key(k);
    return kv->mutable_value();
  };
  add("i")->set_int_value(-42);
  add("d")->set_double_value(0.25);
  add("big")->set_double_value(1e21);
  add("b")->set_bool_value(true);
  add("bytes")->set_bytes_value("hi!?");
  auto* arr = add("arr")->mutable_array_value();
  arr->add_values()->set_string_value("x");
  arr->add_values()->set_int_value(2);
  add("empty");  // no value: an empty label, which Prometheus drops
  // Keys that collide after sanitising are joined with ';' in key order.
  SetAttr(attrs, "k_v", "second");
  SetAttr(attrs, "k.v", "first");
  auto m = ByName(r.Convert());
  CHECK(m.count(R"(m{arr="[\"x\",2]", b="true", big="1e+21", bytes="aGkhPw==", d="0.25", i="-42", k_v="first;second"})") ==
        1);
}

TEST_CASE("OTLP points of one series are merged, time-ordered, and a zero time means now", "[formats][otlp][unit]") {
  Request r(false);
  auto* g = r.Metric("g")->mutable_gauge();
  AddNumber(g->mutable_data_points(), 2, kT1 + 2'000'000'000);
  AddNumber(g->mutable_data_points(), 1, kT1);
  AddNumber(g->mutable_data_points(), 3, kT1 + 2'000'000'000);  // same time: the later point wins
  auto* z = r.Metric("z")->mutable_gauge();
  AddNumber(z->mutable_data_points(), 9, 0);
  auto m = ByName(r.Convert(/*now_ms=*/777));
  REQUIRE(m.at("g{}").size() == 2);
  CHECK(m.at("g{}")[0].timestamp_ms == kT1Ms);
  CHECK(m.at("g{}")[0].value == 1);
  CHECK(m.at("g{}")[1].timestamp_ms == kT1Ms + 2000);
  CHECK(m.at("g{}")[1].value == 3);
  REQUIRE(m.at("z{}").size() == 1);
  CHECK(m.at("z{}")[0].timestamp_ms == 777);
}

TEST_CASE("OTLP target_info covers the resource's time range every 150 s", "[formats][otlp][unit]") {
  Request r;
  auto* g = r.Metric("g")->mutable_gauge();
  AddNumber(g->mutable_data_points(), 1, kT1);
  AddNumber(g->mutable_data_points(), 1, kT1 + 400'000'000'000);  // +400 s
  auto m = ByName(r.Convert());
  const auto& info = m.at(R"(target_info{host_name="h1", instance="i-1", job="prod/shop"})");
  REQUIRE(info.size() == 4);
  CHECK(info[0].timestamp_ms == kT1Ms);
  CHECK(info[1].timestamp_ms == kT1Ms + 150'000);
  CHECK(info[2].timestamp_ms == kT1Ms + 300'000);
  CHECK(info[3].timestamp_ms == kT1Ms + 400'000);
}

TEST_CASE("OTLP metrics whose names normalize to nothing are rejected", "[formats][otlp][unit]") {
  Request r(false);
  AddNumber(r.Metric("...")->mutable_gauge()->mutable_data_points(), 1);
  auto* p = AddNumber(r.Metric("ok")->mutable_gauge()->mutable_data_points(), 1);
  SetAttr(p->mutable_attributes(), "..", "bad key");
  OtlpConversion c = r.Convert();
  CHECK(c.series.empty());
  CHECK(c.points_rejected == 2);
  CHECK(c.rejected_by_reason[static_cast<size_t>(OtlpRejectReason::kInvalidMetricName)] == 1);
  CHECK(c.rejected_by_reason[static_cast<size_t>(OtlpRejectReason::kInvalidLabels)] == 1);
}

TEST_CASE("Malformed OTLP protobuf is rejected whole; an empty request converts to nothing",
          "[formats][otlp][unit]") {
  CHECK(absl::IsInvalidArgument(ConvertOtlpMetrics("\x0a\xff\xff", {}).status()));
  CHECK(absl::IsInvalidArgument(ConvertOtlpMetrics("not protobuf at all", {}).status()));
  Request r(false);
  std::string body = r.pb.SerializeAsString();
  CHECK_FALSE(ConvertOtlpMetrics(body.substr(0, body.size() - 1), {}).ok());
  absl::StatusOr<OtlpConversion> empty = ConvertOtlpMetrics("", {});
  REQUIRE(empty.ok());
  CHECK(empty->series.empty());
  CHECK(empty->points_rejected == 0);
}

TEST_CASE("The OTLP response is empty on success and carries partial_success otherwise", "[formats][otlp][unit]") {
  CHECK(EncodeOtlpMetricsResponse(0, "").empty());
  otlp_collector::ExportMetricsServiceResponse resp;
  REQUIRE(resp.ParseFromString(EncodeOtlpMetricsResponse(3, "metric \"x\": delta")));
  CHECK(resp.partial_success().rejected_data_points() == 3);
  CHECK(resp.partial_success().error_message() == "metric \"x\": delta");
}

}  // namespace
}  // namespace strata
