// -retentionPeriod parsing and the RetentionEnforcer on a real RocksStore.
#include "storage/engine/retention.h"

#include <prometheus/registry.h>

#include <limits>

#include "storage/index/time_partition.h"
#include "storage/metrics/storage_metrics.h"
#include "unit/storage/storage_test_util.h"

namespace strata::storage {
namespace {

using testing::TempDir;

constexpr int64_t kDay = kMsPerDay;

int64_t MustParse(std::string_view text) {
  absl::StatusOr<int64_t> ms = ParseRetentionPeriod(text);
  INFO(text << ": " << ms.status().ToString());
  REQUIRE(ms.ok());
  return *ms;
}

bool Rejected(std::string_view text) {
  absl::StatusOr<int64_t> ms = ParseRetentionPeriod(text);
  if (ms.ok()) return false;
  CHECK(ms.status().code() == absl::StatusCode::kInvalidArgument);
  // The message names the flag and the value.
  CHECK(std::string(ms.status().message()).find("retentionPeriod") != std::string::npos);
  return true;
}

TEST_CASE("retention periods parse like VictoriaMetrics: bare numbers are 31-day months", "[storage][retention][unit]") {
  CHECK(MustParse("1") == 31 * kDay);
  CHECK(MustParse("12") == 12 * 31 * kDay);
  CHECK(MustParse("1.5") == 46 * kDay + kDay / 2);
  CHECK(MustParse("0.5") == 15 * kDay + kDay / 2);
  CHECK(MustParse("1200") == 1200 * 31 * kDay);
  CHECK(MustParse("1d") == kDay);
  CHECK(MustParse("30d") == 30 * kDay);
  CHECK(MustParse("24h") == kDay);
  CHECK(MustParse("36h") == kDay + kDay / 2);
  CHECK(MustParse("2w") == 14 * kDay);
  CHECK(MustParse("1y") == 365 * kDay);
  CHECK(MustParse("1Y") == 365 * kDay);
  CHECK(MustParse("1y2w") == 379 * kDay);
  CHECK(MustParse("1d12h") == kDay + kDay / 2);
  CHECK(MustParse("86400s") == kDay);

  CHECK(Rejected(""));
  CHECK(Rejected("0"));
  CHECK(Rejected("0.01"));   // 7.4 hours
  CHECK(Rejected("12h"));    // under a day
  CHECK(Rejected("1m"));     // months or minutes?
  CHECK(Rejected("3M"));
  CHECK(Rejected("2d30m"));  // ends in m too, as VictoriaMetrics
  CHECK(Rejected("-1"));
  CHECK(Rejected("-5d"));
  CHECK(Rejected("1201"));
  CHECK(Rejected("200y"));
  CHECK(Rejected("abc"));
  CHECK(Rejected("5x"));
  CHECK(Rejected("d"));
  CHECK(Rejected("1 d"));
}

TEST_CASE("the first kept day is the one holding now minus the retention", "[storage][retention][unit]") {
  CHECK(RetentionEnforcer::FirstKeptPartition(10 * kDay, 2 * kDay) == PartitionOfDay(8));
  CHECK(RetentionEnforcer::FirstKeptPartition(10 * kDay + 1, 2 * kDay) == PartitionOfDay(8));
  CHECK(RetentionEnforcer::FirstKeptPartition(10 * kDay - 1, 2 * kDay) == PartitionOfDay(7));
  CHECK(RetentionEnforcer::FirstKeptPartition(kDay, 3 * kDay) == PartitionOfDay(-2));
  CHECK(RetentionEnforcer::FirstKeptPartition(std::numeric_limits<int64_t>::min() + 5, kDay) == 0);
}

TEST_CASE("the retention enforcer drops whole expired days, keeps the current ones and counts it",
          "[storage][retention][unit]") {
  TempDir dir;
  auto opened = RocksStore::Open({.path = dir.path() + "/db"});
  REQUIRE(opened.ok());
  RocksStore& store = **opened;
  RocksStore::Batch batch = store.NewBatch();
  for (int64_t day = 0; day <= 10; ++day) {
    for (uint64_t id = 1; id <= 3; ++id) {
      ChunkData c;
      c.min_time_ms = day * kDay + 1000;
      c.max_time_ms = day * kDay + 2000;
      c.data = "chunk";
      batch.PutChunk(id, c);
    }
  }
  REQUIRE(store.Write(std::move(batch), true).ok());

  prometheus::Registry registry;
  StorageMetrics metrics(registry);
  int64_t now = 10 * kDay + 5 * 3'600'000;
  RetentionEnforcer retention(&store, 2 * kDay, &metrics, [&] { return now; });
  CHECK(retention.retention_ms() == 2 * kDay);

  auto drop = retention.RunNow();
  REQUIRE(drop.ok());
  CHECK(drop->partitions.size() == 8);  // days 0..7
  // Day 8 holds now - 2 days: kept, as are days 9 and 10.
  CHECK(store.ChunkPartitions() == std::vector<uint32_t>{PartitionOfDay(8), PartitionOfDay(9), PartitionOfDay(10)});
  std::vector<ChunkData> out;
  REQUIRE(store.ReadChunks(2, 0, 11 * kDay, &out).ok());
  REQUIRE(out.size() == 3);
  CHECK(out[0].min_time_ms == 8 * kDay + 1000);
  CHECK(metrics.retention_partitions_dropped.Value() == 8);
  CHECK(metrics.retention_runs.Value() == 1);
  CHECK(metrics.partitions.Value() == 3);
  CHECK(metrics.retention_errors.Value() == 0);

  // Nothing more is due the same day.
  drop = retention.Run(now + 3'600'000);
  REQUIRE(drop.ok());
  CHECK(drop->partitions.empty());
  CHECK(store.ChunkPartitions().size() == 3);

  // A day later, day 8 goes.
  now += kDay;
  drop = retention.RunNow();
  REQUIRE(drop.ok());
  CHECK(drop->partitions == std::vector<uint32_t>{PartitionOfDay(8)});
  CHECK(metrics.retention_partitions_dropped.Value() == 9);
  CHECK(metrics.retention_runs.Value() == 3);

  // Retention off drops nothing.
  RetentionEnforcer off(&store, 0, nullptr);
  drop = off.Run(100 * kDay);
  REQUIRE(drop.ok());
  CHECK(drop->partitions.empty());
  CHECK(store.ChunkPartitions().size() == 2);
}

}  // namespace
}  // namespace strata::storage
