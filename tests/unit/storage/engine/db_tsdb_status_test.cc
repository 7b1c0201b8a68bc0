// Db::TsdbStatus: the cardinality counts of /api/v1/status/tsdb over the
// head and the persistent index.
#include <catch2/catch.hpp>

#include "storage/engine/db.h"
#include "unit/storage/storage_test_util.h"

namespace strata::storage {
namespace {

using testing::M;
using testing::OneSeriesBatch;
using testing::TempDir;

constexpr TenantId kTenant{4, 2};
constexpr int64_t kDay = 20'000;  // days since the epoch
constexpr int64_t kMsPerDayTest = 86'400'000;
constexpr int64_t kT = kDay * kMsPerDayTest + 60'000;

DbOptions Options(const std::string& path) {
  DbOptions o;
  o.data_path = path;
  o.persistent = true;
  o.flush_interval = std::chrono::milliseconds(0);
  o.retention_ms = testing::kKeepForeverMs;
  o.block_cache_bytes = 8 << 20;
  o.write_buffer_bytes = 8 << 20;
  return o;
}

TsdbStatusRequest AllTime(uint64_t top_n) {
  TsdbStatusRequest r;
  r.tenant = kTenant;
  r.min_time_ms = INT64_MIN;
  r.max_time_ms = INT64_MAX;
  r.top_n = top_n;
  return r;
}

// Four series of day kDay and one of two days earlier, flushed and evicted
// (only the index knows them), then one series in the head only.
std::unique_ptr<Db> OpenWithData(const TempDir& dir) {
  auto db = Db::Open(Options(dir.path()), nullptr);
  REQUIRE(db.ok());
  Db& d = **db;
  REQUIRE(d.Append(OneSeriesBatch(kTenant, {{"__name__", "up"}, {"instance", "h1"}, {"job", "a"}}, {{kT, 1}})).ok());
  REQUIRE(d.Append(OneSeriesBatch(kTenant, {{"__name__", "up"}, {"instance", "h2"}, {"job", "a"}}, {{kT, 1}})).ok());
  REQUIRE(d.Append(OneSeriesBatch(kTenant, {{"__name__", "up"}, {"instance", "h1"}, {"job", "b"}}, {{kT, 0}})).ok());
  REQUIRE(d.Append(OneSeriesBatch(kTenant, {{"__name__", "node_load"}, {"instance", "h1"}}, {{kT, 0.5}})).ok());
  REQUIRE(d.Append(OneSeriesBatch(kTenant, {{"__name__", "old_metric"}, {"instance", "h9"}},
                                  {{kT - 2 * kMsPerDayTest, 7}}))
              .ok());
  // Another tenant's series count nowhere.
  REQUIRE(d.Append(OneSeriesBatch(TenantId{9, 9}, {{"__name__", "up"}, {"job", "x"}}, {{kT, 1}})).ok());
  REQUIRE(d.Flush().ok());
  REQUIRE(d.Flush().ok());  // idle: evicted from the head
  REQUIRE(d.Append(OneSeriesBatch(kTenant, {{"__name__", "head_only"}, {"zone", "a"}}, {{kT + 5000, 3}})).ok());
  return std::move(*db);
}

TEST_CASE("tsdb status counts series, label values and pairs over the head and the index",
          "[storage][db][persist][unit]") {
  TempDir dir;
  auto db = OpenWithData(dir);
  auto st = db->TsdbStatus(AllTime(10));
  REQUIRE(st.ok());
  CHECK(st->total_series == 6);
  CHECK(st->total_label_value_pairs == 15);  // 3 * 3 + 2 + 2 + 2
  CHECK(st->distinct_label_pairs == 10);     // 4 names, 3 instances, 2 jobs, 1 zone
  CHECK(st->series_count_by_metric_name ==
        std::vector<TsdbStatEntry>{{"up", 3}, {"head_only", 1}, {"node_load", 1}, {"old_metric", 1}});
  CHECK(st->series_count_by_label_name ==
        std::vector<TsdbStatEntry>{{"__name__", 6}, {"instance", 5}, {"job", 3}, {"zone", 1}});
  CHECK(st->label_value_count_by_label_name ==
        std::vector<TsdbStatEntry>{{"__name__", 4}, {"instance", 3}, {"job", 2}, {"zone", 1}});
  // len(value) * series: instance 2*3 + 2 + 2, job 1*2 + 1, zone 1,
  // __name__ 2*3 + 9 + 9 + 10.
  CHECK(st->memory_in_bytes_by_label_name ==
        std::vector<TsdbStatEntry>{{"__name__", 34}, {"instance", 10}, {"job", 3}, {"zone", 1}});
  CHECK(st->series_count_by_focus_label_value.empty());
  // Only the head series has in-memory chunks.
  CHECK(st->head_chunks == 1);
  CHECK(st->head_min_time_ms == kT + 5000);
  CHECK(st->head_max_time_ms == kT + 5000);

  // top_n cuts every list, ties broken by name.
  TsdbStatusRequest top = AllTime(3);
  top.focus_label = "instance";
  st = db->TsdbStatus(top);
  REQUIRE(st.ok());
  CHECK(st->series_count_by_label_value_pair ==
        std::vector<TsdbStatEntry>{{"__name__=up", 3}, {"instance=h1", 3}, {"job=a", 2}});
  CHECK(st->series_count_by_focus_label_value == std::vector<TsdbStatEntry>{{"h1", 3}, {"h2", 1}, {"h9", 1}});
  CHECK(st->series_count_by_metric_name.size() == 3);
}

TEST_CASE("tsdb status of one day reads that day's series; matchers narrow it", "[storage][db][persist][unit]") {
  TempDir dir;
  auto db = OpenWithData(dir);
  TsdbStatusRequest day = AllTime(10);
  day.min_time_ms = kDay * kMsPerDayTest;
  day.max_time_ms = (kDay + 1) * kMsPerDayTest - 1;
  auto st = db->TsdbStatus(day);
  REQUIRE(st.ok());
  CHECK(st->total_series == 5);  // not old_metric, two days earlier
  CHECK(st->series_count_by_metric_name ==
        std::vector<TsdbStatEntry>{{"up", 3}, {"head_only", 1}, {"node_load", 1}});

  TsdbStatusRequest job = AllTime(10);
  job.matchers = {M(MatchType::kEqual, "job", "a")};
  st = db->TsdbStatus(job);
  REQUIRE(st.ok());
  CHECK(st->total_series == 2);
  CHECK(st->label_value_count_by_label_name ==
        std::vector<TsdbStatEntry>{{"instance", 2}, {"__name__", 1}, {"job", 1}});
  CHECK(st->head_chunks == 0);
  CHECK(st->head_min_time_ms > st->head_max_time_ms);

  TsdbStatusRequest other = AllTime(10);
  other.tenant = TenantId{1, 1};
  st = db->TsdbStatus(other);
  REQUIRE(st.ok());
  CHECK(st->total_series == 0);
  CHECK(st->series_count_by_metric_name.empty());
}

}  // namespace
}  // namespace strata::storage
