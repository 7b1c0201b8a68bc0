#include "common/formats/otlp_names.h"

#include <catch2/catch.hpp>

namespace strata {
namespace {

std::string Name(std::string_view name, std::string_view unit, OtlpMetricKind kind) {
  absl::StatusOr<std::string> n = OtlpMetricName(name, unit, kind);
  REQUIRE(n.ok());
  return *n;
}

std::string LabelName(std::string_view key) {
  absl::StatusOr<std::string> n = OtlpLabelName(key);
  REQUIRE(n.ok());
  return *n;
}

TEST_CASE("OTLP metric names get Prometheus's unit and type suffixes", "[formats][otlp][unit]") {
  using K = OtlpMetricKind;
  CHECK(Name("http.server.request.duration", "s", K::kHistogram) == "http_server_request_duration_seconds");
  CHECK(Name("system.network.io", "By", K::kMonotonicSum) == "system_network_io_bytes_total");
  CHECK(Name("process.runtime.heap", "By", K::kNonMonotonicSum) == "process_runtime_heap_bytes");
  CHECK(Name("throughput", "By/s", K::kGauge) == "throughput_bytes_per_second");
  CHECK(Name("speed", "m/h", K::kGauge) == "speed_meters_per_hour");
  CHECK(Name("latency", "ms", K::kSummary) == "latency_milliseconds");
  CHECK(Name("temperature", "Cel", K::kGauge) == "temperature_celsius");
  // Unknown units are used as written; annotations and "1" add nothing.
  CHECK(Name("queue.depth", "items", K::kGauge) == "queue_depth_items");
  CHECK(Name("http.requests", "{request}", K::kMonotonicSum) == "http_requests_total");
  CHECK(Name("jobs.done", "1", K::kMonotonicSum) == "jobs_done_total");
  CHECK(Name("cpu.utilization", "1", K::kGauge) == "cpu_utilization_ratio");
  CHECK(Name("cpu.utilization", "1", K::kNonMonotonicSum) == "cpu_utilization");
}

TEST_CASE("OTLP metric names do not repeat a suffix that is already there", "[formats][otlp][unit]") {
  using K = OtlpMetricKind;
  CHECK(Name("memory_bytes", "By", K::kGauge) == "memory_bytes");
  CHECK(Name("requests_total", "", K::kMonotonicSum) == "requests_total");
  // `total` moves to the end, like Prometheus.
  CHECK(Name("total.requests", "", K::kMonotonicSum) == "requests_total");
  CHECK(Name("disk.ratio", "1", K::kGauge) == "disk_ratio");
}

TEST_CASE("OTLP metric names are escaped to the legacy Prometheus character set", "[formats][otlp][unit]") {
  using K = OtlpMetricKind;
  CHECK(Name("my.metric--name__x", "", K::kGauge) == "my_metric_name_x");
  CHECK(Name("2xx.responses", "", K::kMonotonicSum) == "_2xx_responses_total");
  CHECK(Name("zählung", "", K::kGauge) == "z_hlung");
  CHECK(Name("ns:metric", "", K::kGauge) == "ns:metric");
  CHECK_FALSE(OtlpMetricName("", "", K::kGauge).ok());
  CHECK_FALSE(OtlpMetricName("...", "", K::kGauge).ok());
}

TEST_CASE("OTLP attribute keys become valid Prometheus label names", "[formats][otlp][unit]") {
  CHECK(LabelName("http.method") == "http_method");
  CHECK(LabelName("net.peer.name") == "net_peer_name");
  CHECK(LabelName("123") == "key_123");
  CHECK(LabelName("_private") == "key_private");
  CHECK(LabelName("__reserved__") == "__reserved__");
  CHECK(LabelName("a..b") == "a__b");
  CHECK(LabelName("grüße") == "gr__e");
  CHECK(LabelName(".") == "key_");
  CHECK_FALSE(OtlpLabelName("").ok());
  CHECK_FALSE(OtlpLabelName("..").ok());
}

}  // namespace
}  // namespace strata
