// Day-partitioned chunks, series_max_time and retention drops of the
// RocksStore (docs/format/index.md, chunks_15s and series_max_time).
#include <algorithm>
#include <filesystem>
#include <limits>
#include <random>

#include "storage/index/rocks_store.h"

#include "common/chunkenc/chunk_codec.h"
#include "storage/index/time_partition.h"
#include "unit/storage/storage_test_util.h"

namespace strata::storage {
namespace {

using testing::TempDir;

constexpr int64_t kDay = kMsPerDay;
constexpr int64_t kHour = 3'600'000;
constexpr int64_t kMin = std::numeric_limits<int64_t>::min();
constexpr int64_t kMax = std::numeric_limits<int64_t>::max();


std::vector<std::string> Read(const RocksStore& store, uint64_t id, int64_t mint, int64_t maxt) {
  std::vector<ChunkData> out;
  REQUIRE(store.ReadChunks(id, mint, maxt, &out).ok());
  std::vector<std::string> data;
  for (size_t i = 0; i < out.size(); ++i) {
    CHECK(out[i].max_time_ms >= mint);
    CHECK(out[i].min_time_ms <= maxt);
    if (i > 0) CHECK(out[i - 1].min_time_ms <= out[i].min_time_ms);
    data.push_back(out[i].data);
  }
  return data;
}

uint64_t DirBytes(const std::string& dir) {
  uint64_t total = 0;
  for (const auto& e : std::filesystem::recursive_directory_iterator(dir)) {
    if (e.is_regular_file()) total += e.file_size();
  }
  return total;
}

std::string RandomBytes(std::mt19937_64& rng, size_t n) {
  std::string s(n, '\0');
  for (char& c : s) c = static_cast<char>(rng());
  return s;
}

std::vector<uint32_t> Days(std::initializer_list<int64_t> days) {
  std::vector<uint32_t> p;
  for (int64_t d : days) p.push_back(PartitionOfDay(d));
  return p;
}

TEST_CASE("chunk reads cross day boundaries and negative timestamps in time order", "[storage][index][unit]") {
  TempDir dir;
  auto store = testing::MustOpenStore(dir.path() + "/db");
  RocksStore::Batch batch = store->NewBatch();
  // Series 5: a chunk spanning midnight 1970-01-02 (stored in day 0), one
  // on day 1, one spanning the epoch (day -1), one two days before 1970 and
  // an out-of-order one on day 1.
  batch.PutChunk(5, testing::MakeChunk(kDay - kHour, kDay + kHour, "midnight"));
  batch.PutChunk(5, testing::MakeChunk(kDay + 2 * kHour, kDay + 3 * kHour, "day1"));
  batch.PutChunk(5, testing::MakeChunk(-1000, 1000, "epoch"));
  batch.PutChunk(5, testing::MakeChunk(-2 * kDay + 10, -2 * kDay + 20, "day-2"));
  batch.PutChunk(5, testing::MakeChunk(kDay + 30 * 60'000, kDay + 40 * 60'000, "ooo"));
  // Neighbours in the same partitions must not leak in.
  batch.PutChunk(4, testing::MakeChunk(kDay, kDay + 5, "other"));
  batch.PutChunk(6, testing::MakeChunk(-1000, 1000, "other"));
  REQUIRE(store->Write(std::move(batch), false).ok());

  std::vector<uint32_t> parts = store->ChunkPartitions();
  CHECK(parts == Days({-2, -1, 0, 1}));
  CHECK(std::is_sorted(parts.begin(), parts.end()));

  CHECK(Read(*store, 5, kMin, kMax) == std::vector<std::string>{"day-2", "epoch", "midnight", "ooo", "day1"});
  // A read starting after midnight finds the chunk that started the day
  // before (its key is in day 0's partition).
  CHECK(Read(*store, 5, kDay + 1, kDay + 2) == std::vector<std::string>{"midnight"});
  CHECK(Read(*store, 5, kDay + 35 * 60'000, kDay + 2 * kHour) ==
        std::vector<std::string>{"midnight", "ooo", "day1"});
  CHECK(Read(*store, 5, -1, 0) == std::vector<std::string>{"epoch"});
  CHECK(Read(*store, 5, -2 * kDay, -kDay).size() == 1);
  CHECK(Read(*store, 5, -2 * kDay + 21, -1001).empty());
  CHECK(Read(*store, 5, kDay + 3 * kHour + 1, kMax).empty());
  CHECK(Read(*store, 7, kMin, kMax).empty());
}

TEST_CASE("chunk partitions are learned again at open and reads skip days without chunks",
          "[storage][index][unit]") {
  TempDir dir;
  const std::string path = dir.path() + "/db";
  {
    auto store = testing::MustOpenStore(path);
    RocksStore::Batch batch = store->NewBatch();
    for (int64_t day : {3, 400, 401, -700}) batch.PutChunk(1, testing::MakeChunk(day * kDay + 5, day * kDay + 60'000, std::to_string(day)));
    REQUIRE(store->Write(std::move(batch), true).ok());
  }
  auto store = testing::MustOpenStore(path);
  CHECK(store->ChunkPartitions() == Days({-700, 3, 400, 401}));
  // A range of ~1100 days with chunks on four: every one is found.
  CHECK(Read(*store, 1, -800 * kDay, 500 * kDay) == std::vector<std::string>{"-700", "3", "400", "401"});
  CHECK(Read(*store, 1, 4 * kDay, 399 * kDay).empty());
  CHECK(Read(*store, 1, 401 * kDay, 401 * kDay + 10) == std::vector<std::string>{"401"});
}

TEST_CASE("MaxTime is the newest chunk end, never lowered by older chunks, and survives reopen",
          "[storage][index][unit]") {
  TempDir dir;
  const std::string path = dir.path() + "/db";
  {
    auto store = testing::MustOpenStore(path);
    CHECK(store->MaxTime(9).value() == kMin);
    RocksStore::Batch b1 = store->NewBatch();
    b1.PutChunk(9, testing::MakeChunk(-5000, -100, "a"));
    b1.PutChunk(9, testing::MakeChunk(0, 7000, "b"));
    b1.PutChunk(10, testing::MakeChunk(0, 42, "x"));
    b1.PutChunk(9, testing::MakeChunk(100, 200, "c"));  // same series again, not adjacent
    REQUIRE(store->Write(std::move(b1), false).ok());
    CHECK(store->MaxTime(9).value() == 7000);
    CHECK(store->MaxTime(10).value() == 42);

    RocksStore::Batch b2 = store->NewBatch();
    b2.PutChunk(9, testing::MakeChunk(-9000, -8000, "old out-of-order"));
    REQUIRE(store->Write(std::move(b2), false).ok());
    CHECK(store->MaxTime(9).value() == 7000);

    RocksStore::Batch b3 = store->NewBatch();
    b3.PutChunk(9, testing::MakeChunk(3 * kDay, 3 * kDay + 15'000, "new"));
    REQUIRE(store->Write(std::move(b3), true).ok());
    CHECK(store->MaxTime(9).value() == 3 * kDay + 15'000);
  }
  auto store = testing::MustOpenStore(path);
  CHECK(store->MaxTime(9).value() == 3 * kDay + 15'000);
  REQUIRE(store->CompactAll().ok());  // merges the "max" operands
  CHECK(store->MaxTime(9).value() == 3 * kDay + 15'000);
  CHECK(store->MaxTime(10).value() == 42);
  CHECK(store->MaxTime(11).value() == kMin);
}

TEST_CASE("dropping partitions removes old chunks and day postings, keeps the rest, and frees the disk",
          "[storage][index][unit]") {
  TempDir dir;
  const std::string path = dir.path() + "/db";
  auto store = testing::MustOpenStore(path);
  std::mt19937_64 rng(7);
  constexpr int kDays = 8;
  constexpr int kSeries = 100;
  const Labels labels = Labels::FromUnsorted({{"__name__", "m"}, {"job", "j"}});
  for (int day = 0; day < kDays; ++day) {
    RocksStore::Batch batch = store->NewBatch();
    for (uint64_t id = 1; id <= kSeries; ++id) {
      // 24 two-KiB incompressible chunks per series per day: ~5 MiB a day.
      for (int h = 0; h < 24; ++h) {
        const int64_t t = day * kDay + h * kHour;
        batch.PutChunk(id, testing::MakeChunk(t, t + kHour - 1, RandomBytes(rng, 2048)));
      }
      // And a kSplit chunk whose timestamp section the series share.
      const int64_t t = day * kDay + 30 * 60 * 1000;
      std::vector<Sample> samples = {{t, 1}, {t + 15'000, 2}, {t + 30'001, 3}, {t + 45'003, 4}};
      batch.PutChunk(id, t, t + 45'003, ChunkEncoding::kSplit, EncodeSplitChunk(samples), /*share_timestamps=*/true);
      if (day == 0) batch.PutSeries(id, TenantId{}, Labels::FromUnsorted({{"__name__", "m"}, {"i", std::to_string(id)}}));
      batch.PutDayPostings(PartitionOfDay(day), id, TenantId{}, labels);
    }
    REQUIRE(store->Write(std::move(batch), false).ok());
  }
  REQUIRE(store->FlushMemTables().ok());
  REQUIRE(store->CompactAll().ok());
  const uint64_t before = DirBytes(path);
  REQUIRE(before > 30ull << 20);
  CHECK(store->ChunkPartitions().size() == kDays);
  CHECK(store->num_timestamp_sections_estimate() == kDays);

  auto drop = store->DropPartitionsBefore(PartitionOfDay(6));
  REQUIRE(drop.ok());
  CHECK(drop->partitions == Days({0, 1, 2, 3, 4, 5}));
  CHECK(drop->approx_bytes > (20ull << 20));
  CHECK(store->ChunkPartitions() == Days({6, 7}));

  // Old days are gone from reads; the kept days and the global index stay.
  CHECK(Read(*store, 1, 0, 6 * kDay - 1).empty());
  CHECK(Read(*store, 1, 0, kMax).size() == 50);
  CHECK(Read(*store, kSeries, 7 * kDay, 7 * kDay + 10).size() == 1);
  // The dropped days' shared timestamps went with them.
  CHECK(store->num_timestamp_sections_estimate() == 2);
  CHECK(store->Postings(PartitionOfDay(5), TenantId{}, "job", "j").value().empty());
  CHECK(store->Postings(PartitionOfDay(6), TenantId{}, "job", "j").value().size() == kSeries);
  CHECK(store->Postings(kGlobalScope, TenantId{}, "__name__", "m").value().size() == kSeries);

  // The space came back (6 of 8 days), without an extra force_merge.
  const uint64_t after = DirBytes(path);
  INFO("before " << before << " after " << after);
  CHECK(after < before / 2);

  // Nothing more is due: a second drop is a no-op.
  auto again = store->DropPartitionsBefore(PartitionOfDay(6));
  REQUIRE(again.ok());
  CHECK(again->partitions.empty());

  // The drop survives reopen.
  store.reset();
  store = testing::MustOpenStore(path);
  CHECK(store->ChunkPartitions() == Days({6, 7}));
  CHECK(Read(*store, 1, 0, 6 * kDay - 1).empty());
  CHECK(Read(*store, 1, 0, kMax).size() == 50);
}

}  // namespace
}  // namespace strata::storage
