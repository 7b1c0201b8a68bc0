// delete_series in the RocksStore: logical deletion at once, physical
// removal by compaction (docs/format/index.md, deleted_series).
#include <filesystem>
#include <limits>
#include <random>

#include "storage/index/rocks_store.h"
#include "storage/index/time_partition.h"
#include "unit/storage/storage_test_util.h"

namespace strata::storage {
namespace {

using testing::TempDir;

constexpr int64_t kMin = std::numeric_limits<int64_t>::min();
constexpr int64_t kMax = std::numeric_limits<int64_t>::max();


size_t NumChunks(const RocksStore& store, uint64_t id) {
  std::vector<ChunkData> out;
  REQUIRE(store.ReadChunks(id, kMin, kMax, &out).ok());
  return out.size();
}

uint64_t DirBytes(const std::string& dir) {
  uint64_t total = 0;
  for (const auto& e : std::filesystem::recursive_directory_iterator(dir)) {
    if (e.is_regular_file()) total += e.file_size();
  }
  return total;
}

Labels Host(int i) { return Labels::FromUnsorted({{"__name__", "up"}, {"instance", "h" + std::to_string(i)}}); }

TEST_CASE("deleted series disappear from reads at once and their labels get a new id", "[storage][index][unit]") {
  TempDir dir;
  const std::string path = dir.path() + "/db";
  const TenantId tenant{1, 2};
  {
    auto store = testing::MustOpenStore(path);
    RocksStore::Batch batch = store->NewBatch();
    for (int i = 1; i <= 3; ++i) {
      batch.PutSeries(i, tenant, Host(i));
      batch.PutDayPostings(PartitionOfDay(0), i, tenant, Host(i));
      batch.PutChunk(i, testing::MakeChunk(1000, 2000, "data"));
    }
    batch.SetNextSeriesId(4);
    REQUIRE(store->Write(std::move(batch), true).ok());
    CHECK(store->num_deleted() == 0);
    CHECK_FALSE(store->IsDeleted(2));

    const SeriesRecord victim{2, tenant, Host(2)};
    REQUIRE(store->DeleteSeries(std::span<const SeriesRecord>(&victim, 1)).ok());
    CHECK(store->IsDeleted(2));
    CHECK_FALSE(store->IsDeleted(1));
    CHECK(store->num_deleted() == 1);
    CHECK(NumChunks(*store, 2) == 0);
    CHECK(store->MaxTime(2).value() == kMin);
    CHECK(store->LookupSeriesId(tenant, Host(2)).status().code() == absl::StatusCode::kNotFound);
    // The others are untouched.
    CHECK(NumChunks(*store, 1) == 1);
    CHECK(NumChunks(*store, 3) == 1);
    CHECK(store->MaxTime(3).value() == 2000);
    CHECK(store->LookupSeriesId(tenant, Host(3)).value() == 3);

    // The same labels come back: a new id, with its own data.
    RocksStore::Batch again = store->NewBatch();
    again.PutSeries(4, tenant, Host(2));
    again.PutChunk(4, testing::MakeChunk(5000, 6000, "new"));
    REQUIRE(store->Write(std::move(again), true).ok());
    CHECK(store->LookupSeriesId(tenant, Host(2)).value() == 4);
    CHECK(NumChunks(*store, 4) == 1);
    CHECK(NumChunks(*store, 2) == 0);
    // Deleting the old id again must not unmap the new one.
    REQUIRE(store->DeleteSeries(std::span<const SeriesRecord>(&victim, 1)).ok());
    CHECK(store->LookupSeriesId(tenant, Host(2)).value() == 4);
  }
  // Deletion survives a restart.
  auto store = testing::MustOpenStore(path);
  CHECK(store->IsDeleted(2));
  CHECK_FALSE(store->IsDeleted(4));
  CHECK(store->num_deleted() == 1);
  CHECK(NumChunks(*store, 2) == 0);
  CHECK(NumChunks(*store, 4) == 1);
  CHECK(store->LookupSeriesId(tenant, Host(2)).value() == 4);
}

TEST_CASE("compaction removes every key of deleted series and their bytes", "[storage][index][unit]") {
  TempDir dir;
  const std::string path = dir.path() + "/db";
  auto store = testing::MustOpenStore(path);
  const TenantId tenant{};
  std::mt19937_64 rng(3);
  constexpr int kSeries = 40;
  // 40 series; the first ten hold 3 MiB of incompressible chunks each.
  for (int i = 1; i <= kSeries; ++i) {
    RocksStore::Batch batch = store->NewBatch();
    batch.PutSeries(i, tenant, Host(i));
    batch.PutDayPostings(PartitionOfDay(0), i, tenant, Host(i));
    const int chunks = i <= 10 ? 1500 : 30;
    for (int c = 0; c < chunks; ++c) {
      std::string data(2048, '\0');
      for (char& ch : data) ch = static_cast<char>(rng());
      batch.PutChunk(i, testing::MakeChunk(c * 60'000, c * 60'000 + 59'999, std::move(data)));
    }
    REQUIRE(store->Write(std::move(batch), false).ok());
  }
  REQUIRE(store->FlushMemTables().ok());
  REQUIRE(store->CompactAll().ok());
  const uint64_t before = DirBytes(path);

  std::vector<SeriesRecord> victims;
  for (int i = 1; i <= 10; ++i) victims.push_back(SeriesRecord{static_cast<uint64_t>(i), tenant, Host(i)});
  REQUIRE(store->DeleteSeries(victims).ok());
  REQUIRE(store->CompactAll().ok());
  const uint64_t after = DirBytes(path);
  INFO("before " << before << " after " << after);
  // 10 of the series held ~97% of the bytes.
  CHECK(after < before / 4);

  // Physically gone: keys no longer exist, whatever the readers filter.
  for (int i = 1; i <= 10; ++i) {
    CHECK(store->GetSeries(i).status().code() == absl::StatusCode::kNotFound);
  }
  const std::vector<uint64_t> global = store->Postings(kGlobalScope, tenant, "__name__", "up").value();
  const std::vector<uint64_t> day = store->Postings(PartitionOfDay(0), tenant, "__name__", "up").value();
  CHECK(global.size() == kSeries - 10);
  CHECK(day.size() == kSeries - 10);
  for (uint64_t id : global) CHECK(id > 10);
  // The survivors are intact.
  for (int i = 11; i <= kSeries; ++i) {
    CHECK(NumChunks(*store, i) == 30);
    CHECK(store->MaxTime(i).value() == 29 * 60'000 + 59'999);
    CHECK(store->GetSeries(i)->labels == Host(i));
  }
}

}  // namespace
}  // namespace strata::storage
