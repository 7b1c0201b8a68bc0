#include "insert/ingest/ingest_limits.h"

#include <atomic>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <catch2/catch.hpp>

#include "common/prompb/remote_write_encoder.h"
#include "opentelemetry/proto/collector/metrics/v1/metrics_service.pb.h"
#include "unit/insert/handler_harness.h"

namespace strata::insert {
namespace {

namespace otlp_metrics = opentelemetry::proto::metrics::v1;
namespace otlp_collector = opentelemetry::proto::collector::metrics::v1;

constexpr int64_t kHourMs = 3600 * 1000;
// 2023-11-14 22:00:00 UTC: the start of an hour, two hours before a UTC day ends.
constexpr int64_t kT0 = 1'700'000'000'000 - 1'700'000'000'000 % kHourMs;

// The views point into the arguments: keep them alive while the result is used.
std::vector<LabelView> Series(std::string_view name, std::string_view instance) {
  std::vector<LabelView> l = {{"__name__", name}, {"instance", instance}};
  REQUIRE(ValidateAndSortLabels(&l).ok());
  return l;
}

IngestLimitsOptions LabelLimits(int64_t labels, int64_t name_len, int64_t value_len) {
  IngestLimitsOptions o;
  o.max_labels_per_series = labels;
  o.max_label_name_len = name_len;
  o.max_label_value_len = value_len;
  return o;
}

TEST_CASE("the label limits reject too many labels, a too long name and a too long value, and nothing else",
          "[insert][limits][unit]") {
  IngestLimiter limiter(LabelLimits(3, 8, 10));
  std::vector<LabelView> ok = {{"__name__", "up"}, {"a", "1"}, {"b", "0123456789"}};
  CHECK_FALSE(limiter.Check({}, ok).has_value());
  std::vector<LabelView> many = {{"__name__", "up"}, {"a", "1"}, {"b", "2"}, {"c", "3"}};
  CHECK(limiter.Check({}, many) == LimitReason::kTooManyLabels);
  CHECK_THAT(limiter.Describe(LimitReason::kTooManyLabels, {}, many),
             Catch::Contains("has 4 labels, over -maxLabelsPerTimeseries=3"));
  std::vector<LabelView> long_name = {{"__name__", "up"}, {"abcdefghi", "1"}};
  CHECK(limiter.Check({}, long_name) == LimitReason::kTooLongLabelName);
  std::vector<LabelView> long_value = {{"__name__", "up"}, {"a", "01234567890"}};
  CHECK(limiter.Check({}, long_value) == LimitReason::kTooLongLabelValue);
  // The metric name is a label value too.
  std::vector<LabelView> long_metric = {{"__name__", "a_long_metric"}};
  CHECK(limiter.Check({}, long_metric) == LimitReason::kTooLongLabelValue);

  IngestLimiter off(LabelLimits(0, 0, 0));
  CHECK_FALSE(off.Check({}, many).has_value());
  CHECK_FALSE(off.Check({}, long_name).has_value());
}

TEST_CASE("the hourly series limit admits known series, refuses new ones, and resets with the next hour",
          "[insert][limits][unit]") {
  int64_t now = kT0 + 10;
  IngestLimiter limiter(IngestLimitsOptions{.max_hourly_series = 2, .now_ms = [&now] { return now; }});
  auto a = Series("m", "a"), b = Series("m", "b"), c = Series("m", "c");
  CHECK_FALSE(limiter.Check({}, a).has_value());
  CHECK_FALSE(limiter.Check({}, b).has_value());
  CHECK(limiter.Check({}, c) == LimitReason::kHourlySeriesLimit);
  // Series already seen this hour keep flowing.
  CHECK_FALSE(limiter.Check({}, a).has_value());
  CHECK_FALSE(limiter.Check({}, b).has_value());
  // Another tenant has a budget of its own.
  CHECK_FALSE(limiter.Check(TenantId{1, 0}, c).has_value());
  CHECK_THAT(limiter.Describe(LimitReason::kHourlySeriesLimit, TenantId{1, 0}, c),
             Catch::Contains("new series of tenant 1 over -storage.maxHourlySeries=2"));
  now = kT0 + kHourMs;
  CHECK_FALSE(limiter.Check({}, c).has_value());
  CHECK_FALSE(limiter.Check({}, a).has_value());
  CHECK(limiter.Check({}, b) == LimitReason::kHourlySeriesLimit);
}

TEST_CASE("the daily series limit spans hours and a refused series takes no hourly slot", "[insert][limits][unit]") {
  int64_t now = kT0;
  IngestLimiter limiter(
      IngestLimitsOptions{.max_hourly_series = 2, .max_daily_series = 3, .now_ms = [&now] { return now; }});
  CHECK_FALSE(limiter.Check({}, Series("m", "1")).has_value());
  CHECK_FALSE(limiter.Check({}, Series("m", "2")).has_value());
  now += kHourMs;  // 23:00, same UTC day
  CHECK_FALSE(limiter.Check({}, Series("m", "3")).has_value());
  CHECK(limiter.Check({}, Series("m", "4")) == LimitReason::kDailySeriesLimit);
  // "4" was refused by the day, so the hour still has room for a known series.
  CHECK_FALSE(limiter.Check({}, Series("m", "1")).has_value());
  now += kHourMs;  // 00:00, the next UTC day
  CHECK_FALSE(limiter.Check({}, Series("m", "4")).has_value());
}

TEST_CASE("the series limiter counts each distinct series once under concurrent checks", "[insert][limits][unit]") {
  IngestLimitsOptions options;
  options.max_hourly_series = 500;
  IngestLimiter limiter(options);
  std::atomic<int> admitted{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 1000; ++i) {
        if (!limiter.Check({}, Series("m", std::to_string(i))).has_value()) ++admitted;
      }
    });
  }
  for (auto& t : threads) t.join();
  // Each admitted series may be admitted again by every thread, never more.
  CHECK(admitted.load() >= 500);
  CHECK(admitted.load() <= 4 * 500);
  int distinct_admitted = 0;
  for (int i = 0; i < 1000; ++i) distinct_admitted += !limiter.Check({}, Series("m", std::to_string(i))).has_value();
  CHECK(distinct_admitted == 500);
}

// ---- every ingest path goes through the same limits ----

InsertServiceOptions LimitedService() {
  InsertServiceOptions o;
  o.replication_factor = 1;
  o.limits.max_labels_per_series = 3;
  o.limits.max_hourly_series = 2;
  o.limits.now_ms = [] { return kT0 + 1000; };  // no hour boundary mid-test
  return o;
}

std::string RemoteWriteBody(const std::vector<std::vector<LabelView>>& series) {
  std::string request, body;
  std::vector<Sample> samples = {{1000, 1.0}, {2000, 2.0}};
  for (const auto& labels : series) AppendWriteRequestSeries(labels, samples, &request);
  SnappyCompress(request, &body);
  return body;
}

TEST_CASE("remote_write stores the series within the limits and answers 400 naming each limit and count",
          "[insert][limits][unit]") {
  testing::ServiceHarness h(3, LimitedService());
  std::vector<LabelView> many = {{"__name__", "m"}, {"a", "1"}, {"b", "2"}, {"c", "3"}};
  HttpResponse r = h.Post("/insert/5/prometheus/api/v1/write",
                          RemoteWriteBody({Series("m", "1"), many, Series("m", "2"), Series("m", "3")}));
  CHECK(r.status == 400);
  CHECK_THAT(r.body, Catch::Contains("rejected 2 of 4 series (1 over -maxLabelsPerTimeseries=3, 1 over "
                                     "-storage.maxHourlySeries=2); the first: series {__name__=\"m\""));
  auto stored = h.Stored(TenantId{5, 0});
  CHECK(stored.size() == 2);
  CHECK(stored.count(Labels::FromUnsorted({{"__name__", "m"}, {"instance", "1"}}).Canonical()) == 1);
  CHECK(stored.count(Labels::FromUnsorted({{"__name__", "m"}, {"instance", "2"}}).Canonical()) == 1);
  CHECK(h.Counter("strata_insert_series_rejected_total", {{"reason", "too_many_labels"}}) == 1);
  CHECK(h.Counter("strata_insert_series_rejected_total", {{"reason", "hourly_series_limit"}}) == 1);
  CHECK(h.Counter("strata_insert_rejected_samples_total", {{"reason", "too_many_labels"}}) == 2);
  CHECK(h.Counter("strata_insert_rejected_samples_total", {{"reason", "hourly_series_limit"}}) == 2);
  CHECK(h.Counter("strata_insert_samples_total", {}) == 4);
  // The stored series keep flowing; the tenant-0 budget is separate.
  CHECK(h.Post("/insert/5/prometheus/api/v1/write", RemoteWriteBody({Series("m", "1")})).status == 204);
  CHECK(h.Post("/api/v1/write", RemoteWriteBody({Series("m", "3")})).status == 204);
}

TEST_CASE("the samples of a series with invalid labels are counted as rejected too", "[insert][limits][unit]") {
  testing::ServiceHarness h(3, LimitedService());
  std::vector<LabelView> nameless = {{"job", "x"}};
  HttpResponse r = h.Post("/api/v1/write", RemoteWriteBody({nameless, Series("m", "1")}));
  CHECK(r.status == 400);
  CHECK_THAT(r.body, Catch::Contains("rejected 1 of 2 series; the first:"));
  CHECK(h.Counter("strata_insert_series_rejected_total", {{"reason", "missing_metric_name"}}) == 1);
  CHECK(h.Counter("strata_insert_rejected_samples_total", {{"reason", "missing_metric_name"}}) == 2);
  CHECK(h.Stored().size() == 1);
}

TEST_CASE("the import formats apply the same limits, after extra labels, and report them", "[insert][limits][unit]") {
  testing::ServiceHarness h(3, LimitedService());
  // extra_label adds a third label: a series with two of its own breaks the cap.
  HttpResponse r = h.Post("/api/v1/import/prometheus?extra_label=env=prod",
                          "ok 1 1700000000000\n"
                          "wide{a=\"1\",b=\"2\"} 2 1700000000000\n");
  CHECK(r.status == 400);
  CHECK_THAT(r.body, Catch::Contains("rejected 1 of 2 lines (1 over -maxLabelsPerTimeseries=3); the first: line 2: "
                                     "series {__name__=\"wide\""));
  CHECK(h.Stored().size() == 1);

  // Influx: one line, two fields, so two series; the hourly budget (2) holds
  // one more after "ok".
  r = h.Post("/influx/write", "cpu,host=a user=1,system=2 1700000000000000000\n");
  CHECK(r.status == 400);
  CHECK_THAT(r.body, Catch::Contains("1 over -storage.maxHourlySeries=2"));
  CHECK(h.Stored().size() == 2);
  CHECK(h.Counter("strata_insert_series_rejected_total", {{"reason", "hourly_series_limit"}}) == 1);

  r = h.Post("/api/v1/import", "{\"metric\":{\"__name__\":\"ok\",\"env\":\"prod\"},\"values\":[5],"
                               "\"timestamps\":[1700000001000]}\n");
  CHECK(r.status == 204);  // a known series
}

TEST_CASE("OTLP answers partial_success counting the points a limit rejected", "[insert][limits][unit]") {
  InsertServiceOptions o = LimitedService();
  testing::ServiceHarness h(3, o);
  otlp_collector::ExportMetricsServiceRequest req;
  auto* rm = req.add_resource_metrics();
  auto* attr = rm->mutable_resource()->add_attributes();
  attr->set_key("service.name");
  attr->mutable_value()->set_string_value("worker");
  auto* gauge = rm->add_scope_metrics()->add_metrics();
  gauge->set_name("temp");
  // temp{job="worker"} has 2 labels; the points with two attributes more
  // have 4, over the cap of 3.
  for (int i = 0; i < 3; ++i) {
    auto* p = gauge->mutable_gauge()->add_data_points();
    p->set_time_unix_nano(1'700'000'000'000'000'000 + static_cast<uint64_t>(i) * 1'000'000'000);
    p->set_as_double(i);
    if (i < 2) {
      for (const char* key : {"room", "floor"}) {
        auto* a = p->add_attributes();
        a->set_key(key);
        a->mutable_value()->set_string_value("x");
      }
    }
  }
  HttpRequest request;
  request.method = "POST";
  request.path = "/opentelemetry/v1/metrics";
  request.headers = {{"content-type", "application/x-protobuf"}};
  request.body = req.SerializeAsString();
  HttpResponse r = h.Call(std::move(request));
  CHECK(r.status == 200);
  otlp_collector::ExportMetricsServiceResponse resp;
  REQUIRE(resp.ParseFromString(r.body));
  CHECK(resp.partial_success().rejected_data_points() == 2);
  CHECK_THAT(resp.partial_success().error_message(), Catch::Contains("(1 over -maxLabelsPerTimeseries=3)"));
  CHECK(h.Counter("strata_insert_rejected_samples_total", {{"reason", "too_many_labels"}}) == 2);
  auto stored = h.Stored();
  REQUIRE(stored.size() == 1);
  CHECK(stored.begin()->second.size() == 1);
}

TEST_CASE("remote_write refuses a body whose decompressed size is over -maxInsertRequestSize and stores nothing",
          "[insert][limits][unit]") {
  InsertServiceOptions o;
  o.max_request_bytes = 1024;
  testing::ServiceHarness h(3, o);
  std::vector<std::vector<LabelView>> series;
  std::vector<std::string> names;
  for (int i = 0; i < 100; ++i) names.push_back(std::to_string(i));
  for (const std::string& n : names) series.push_back(Series("m", n));
  std::string body = RemoteWriteBody(series);
  REQUIRE(body.size() < 1024 * 4);
  HttpResponse r = h.Post("/api/v1/write", body);
  CHECK(r.status == 400);
  CHECK_THAT(r.body, Catch::Contains("1024"));
  CHECK(h.Stored().empty());
}

}  // namespace
}  // namespace strata::insert
