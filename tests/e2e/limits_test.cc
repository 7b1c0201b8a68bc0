// Ingest limits against a real cluster: a remote_write and an import that
// break -maxLabelsPerTimeseries and -storage.maxHourlySeries store their
// valid series, answer 400 naming each limit and count, and the insert
// node's /metrics counts the rejected series and samples; a body over
// -maxInsertRequestSize gets 413.
#include <chrono>
#include <map>
#include <thread>

#include <catch2/catch.hpp>
#include <fmt/format.h>

#include "common/prompb/remote_write_encoder.h"
#include "e2e/cluster.h"
#include "e2e/prom_json.h"

namespace strata::testing {
namespace {

// The value of the first /metrics line starting with `series` (-1 when none).
double ScrapeValue(uint16_t port, std::string_view series) {
  auto r = HttpClient::Get("127.0.0.1", port, "/metrics");
  REQUIRE(r.ok());
  size_t at = r->body.find(series);
  if (at == std::string::npos) return -1;
  size_t space = r->body.find(' ', at + series.size());
  return std::stod(r->body.substr(space + 1, r->body.find('\n', space) - space - 1));
}

TEST_CASE("insert limits reject and report the series over them and keep the rest, on a real cluster",
          "[e2e][limits][.slow]") {
  StrataCluster cluster(ClusterOptions{.storage_nodes = 2,
                                       .replication_factor = 1,
                                       .wal_fsync = "interval",
                                       .select_args = {},
                                       .insert_args = {"-maxLabelsPerTimeseries=4", "-storage.maxHourlySeries=3",
                                                       "-maxInsertRequestSize=64KiB"},
                                       .storage_args = {},
                                       .storage_node_args = {}});
  cluster.Start();
  const int64_t now_ms = (std::chrono::duration_cast<std::chrono::milliseconds>(
                              std::chrono::system_clock::now().time_since_epoch())
                              .count() /
                          1000) *
                         1000;

  RemoteWriteEncoder encoder;
  std::vector<Sample> samples = {{now_ms - 2000, 1}, {now_ms - 1000, 2}};
  encoder.AddSeries(Labels::FromUnsorted({{"__name__", "lim_ok"}, {"i", "1"}}), samples);
  encoder.AddSeries(Labels::FromUnsorted({{"__name__", "lim_wide"}, {"a", "1"}, {"b", "2"}, {"c", "3"}, {"d", "4"}}),
                    samples);
  encoder.AddSeries(Labels::FromUnsorted({{"__name__", "lim_ok"}, {"i", "2"}}), samples);
  auto r = cluster.RemoteWrite(encoder.FinishSnappy());
  REQUIRE(r.ok());
  CHECK(r->status == 400);
  CHECK_THAT(r->body, Catch::Contains("rejected 1 of 3 series (1 over -maxLabelsPerTimeseries=4)"));
  CHECK(r->Header("x-prometheus-remote-write-samples-written") == "4");

  // The tenant's hourly budget is 3 series: two stored above, one more fits.
  encoder.AddSeries(Labels::FromUnsorted({{"__name__", "lim_ok"}, {"i", "3"}}), samples);
  encoder.AddSeries(Labels::FromUnsorted({{"__name__", "lim_ok"}, {"i", "4"}}), samples);
  const std::vector<Sample> one_more = {{now_ms, 3}};
  encoder.AddSeries(Labels::FromUnsorted({{"__name__", "lim_ok"}, {"i", "1"}}), one_more);
  r = cluster.RemoteWrite(encoder.FinishSnappy());
  REQUIRE(r.ok());
  CHECK(r->status == 400);
  CHECK_THAT(r->body, Catch::Contains("rejected 1 of 3 series (1 over -storage.maxHourlySeries=3)"));

  // The import path goes through the same limits.
  auto imported = HttpClient::Post("127.0.0.1", cluster.insert_port(), "/api/v1/import/prometheus",
                                   fmt::format("lim_ok{{i=\"5\"}} 1 {}\n", now_ms), "text/plain");
  REQUIRE(imported.ok());
  CHECK(imported->status == 400);
  CHECK_THAT(imported->body, Catch::Contains("1 over -storage.maxHourlySeries=3"));

  // A body over -maxInsertRequestSize, as sent.
  auto big = HttpClient::Post("127.0.0.1", cluster.insert_port(), "/api/v1/import/prometheus",
                              std::string(100 << 10, '#'), "text/plain");
  REQUIRE(big.ok());
  CHECK(big->status == 413);

  // What was stored: lim_ok i=1 (3 samples), i=2, i=3; nothing else.
  std::string query = fmt::format("/select/0/prometheus/api/v1/query?query={}&time={}",
                                  UrlEncode("count_over_time({__name__=~\"lim_.*\"}[1m])"), now_ms / 1000);
  std::string diff;
  for (int attempt = 0; attempt < 50; ++attempt) {
    auto q = cluster.Select(query);
    REQUIRE(q.ok());
    REQUIRE(q->status == 200);
    auto parsed = ParseQueryResponse(q->body);
    REQUIRE(parsed.ok());
    std::map<std::string, std::string> counts;
    for (const auto& s : parsed->series) {
      counts[s.labels.count("i") ? s.labels.at("i") : "?"] = s.points.empty() ? "" : s.points[0].second;
    }
    std::map<std::string, std::string> want = {{"1", "3"}, {"2", "2"}, {"3", "2"}};
    diff = counts == want ? "" : q->body;
    if (diff.empty()) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  INFO(diff);
  CHECK(diff.empty());

  const uint16_t port = cluster.insert_port();
  CHECK(ScrapeValue(port, "strata_insert_series_rejected_total{reason=\"too_many_labels\"}") == 1);
  CHECK(ScrapeValue(port, "strata_insert_series_rejected_total{reason=\"hourly_series_limit\"}") == 2);
  CHECK(ScrapeValue(port, "strata_insert_rejected_samples_total{reason=\"too_many_labels\"}") == 2);
  CHECK(ScrapeValue(port, "strata_insert_rejected_samples_total{reason=\"hourly_series_limit\"}") == 3);
}

}  // namespace
}  // namespace strata::testing
