// Disk full: the read-only mode of -storage.minFreeDiskSpaceBytes
// (storage/engine/disk_space.h), and a WAL write that fails half-way for
// lack of space (it must not be acknowledged and must not break replay).
#include "storage/engine/disk_space.h"

#include <prometheus/gauge.h>
#include <prometheus/registry.h>
#include <sys/resource.h>

#include <atomic>
#include <csignal>
#include <filesystem>

#include "storage/engine/db.h"
#include "unit/storage/engine/db_test_util.h"
#include "unit/storage/storage_test_util.h"

namespace strata::storage {
namespace {

namespace fs = std::filesystem;
using testing::M;
using testing::OneSeriesBatch;
using testing::TempDir;

TEST_CASE("the disk space guard turns read-only below the minimum and writable again above it",
          "[storage][disk][unit]") {
  std::atomic<uint64_t> free{50'000'000};
  std::atomic<int> lookups{0};
  prometheus::Registry registry;
  auto& gauge = prometheus::BuildGauge().Name("read_only").Register(registry).Add({});
  DiskSpaceGuard guard(DiskSpaceGuardOptions{.path = "/data",
                                             .min_free_bytes = 10'000'000,
                                             .check_interval = std::chrono::milliseconds(0),
                                             .free_bytes =
                                                 [&](const std::string& path) -> absl::StatusOr<uint64_t> {
                                                   CHECK(path == "/data");
                                                   ++lookups;
                                                   return free.load();
                                                 }},
                       &gauge);
  CHECK(guard.CheckWritable().ok());
  CHECK(gauge.Value() == 0);
  free = 9'999'999;
  absl::Status refused = guard.CheckWritable();
  CHECK(refused.code() == absl::StatusCode::kFailedPrecondition);
  CHECK_THAT(std::string(refused.message()),
             Catch::Contains("read-only: 9999999 bytes free") &&
                 Catch::Contains("-storage.minFreeDiskSpaceBytes=10000000"));
  CHECK(guard.read_only());
  CHECK(gauge.Value() == 1);
  free = 10'000'000;
  CHECK(guard.CheckWritable().ok());
  CHECK_FALSE(guard.read_only());
  CHECK(gauge.Value() == 0);
  CHECK(lookups.load() == 4);  // one at creation, one per check

  // A guard created on a full disk is read-only before any write.
  free = 1;
  prometheus::Gauge& gauge2 = prometheus::BuildGauge().Name("read_only2").Register(registry).Add({});
  DiskSpaceGuard full(DiskSpaceGuardOptions{.path = "/data",
                                            .min_free_bytes = 10,
                                            .check_interval = std::chrono::hours(1),
                                            .free_bytes = [&](const std::string&) -> absl::StatusOr<uint64_t> {
                                              return free.load();
                                            }},
                      &gauge2);
  CHECK(full.read_only());
  CHECK(gauge2.Value() == 1);
}

TEST_CASE("the disk space guard looks the free space up at most once per interval and keeps its state when "
          "the lookup fails",
          "[storage][disk][unit]") {
  std::atomic<int> lookups{0};
  std::atomic<bool> fail{false};
  DiskSpaceGuard guard(DiskSpaceGuardOptions{.path = "/data",
                                             .min_free_bytes = 100,
                                             .check_interval = std::chrono::hours(1),
                                             .free_bytes = [&](const std::string&) -> absl::StatusOr<uint64_t> {
                                               ++lookups;
                                               if (fail) return absl::UnavailableError("statvfs failed");
                                               return 10;
                                             }},
                       nullptr);
  for (int i = 0; i < 1000; ++i) CHECK_FALSE(guard.CheckWritable().ok());
  CHECK(lookups.load() == 1);

  DiskSpaceGuard failing(DiskSpaceGuardOptions{.path = "/data",
                                               .min_free_bytes = 100,
                                               .check_interval = std::chrono::milliseconds(0),
                                               .free_bytes = [&](const std::string&) -> absl::StatusOr<uint64_t> {
                                                 if (fail) return absl::UnavailableError("statvfs failed");
                                                 return 10;
                                               }},
                         nullptr);
  CHECK_FALSE(failing.CheckWritable().ok());
  fail = true;
  CHECK_FALSE(failing.CheckWritable().ok());  // still read-only: a failed lookup proves nothing
  // The real statvfs of an existing directory answers.
  auto real = DiskSpaceGuard::StatvfsFreeBytes(fs::temp_directory_path().string());
  REQUIRE(real.ok());
  CHECK(*real > 0);
  CHECK_FALSE(DiskSpaceGuard::StatvfsFreeBytes("/no/such/dir").ok());
}

TEST_CASE("a read-only storage engine refuses appends and metadata, serves reads, and takes writes when space "
          "returns",
          "[storage][disk][unit]") {
  TempDir dir;
  std::atomic<uint64_t> free{1'000'000'000};
  prometheus::Registry registry;
  DbOptions options;
  options.data_path = dir.path();
  options.disk_space.min_free_bytes = 10'000'000;
  options.disk_space.check_interval = std::chrono::milliseconds(0);
  options.disk_space.free_bytes = [&](const std::string&) -> absl::StatusOr<uint64_t> { return free.load(); };
  auto db = Db::Open(options, &registry);
  REQUIRE(db.ok());
  const TenantId tenant{1, 0};
  REQUIRE((*db)->Append(OneSeriesBatch(tenant, {{"__name__", "up"}}, {{1000, 1}})).ok());

  free = 5'000'000;
  absl::Status refused = (*db)->Append(OneSeriesBatch(tenant, {{"__name__", "up"}}, {{2000, 2}}));
  CHECK(refused.code() == absl::StatusCode::kFailedPrecondition);
  CHECK((*db)->read_only());
  MetricMetadata meta{"up", 2, "help", ""};  // 2: gauge
  CHECK((*db)->WriteMetadata(tenant, {&meta, 1}).code() == absl::StatusCode::kFailedPrecondition);
  auto read = testing::SearchAllSamples(**db, tenant, {M(MatchType::kEqual, "__name__", "up")});
  REQUIRE(read.size() == 1);
  CHECK(read.begin()->second.size() == 1);  // the refused sample is not there

  free = 20'000'000;
  REQUIRE((*db)->Append(OneSeriesBatch(tenant, {{"__name__", "up"}}, {{3000, 3}})).ok());
  CHECK_FALSE((*db)->read_only());
  read = testing::SearchAllSamples(**db, tenant, {M(MatchType::kEqual, "__name__", "up")});
  REQUIRE(read.size() == 1);
  CHECK(read.begin()->second.size() == 2);
}

std::string Key(std::string name) { return Labels::FromUnsorted({{"__name__", std::move(name)}}).ToString(); }

// The WAL segment being appended to (the newest file of <data>/wal).
fs::path NewestSegment(const std::string& data) {
  fs::path newest;
  for (const auto& e : fs::directory_iterator(fs::path(data) / "wal")) newest = std::max(newest, e.path());
  return newest;
}

TEST_CASE("a WAL write that runs out of space half-way is not acknowledged and replay after space returns is clean",
          "[storage][disk][unit]") {
  TempDir dir;
  DbOptions options;
  options.data_path = dir.path();
  options.persistent = false;  // the WAL alone: no RocksDB file meets the limit below
  options.disk_space.min_free_bytes = 0;
  const TenantId tenant{2, 0};
  std::vector<Sample> big;
  for (int i = 0; i < 2000; ++i) big.push_back({10'000 + i, static_cast<double>(i) * 1.5});
  {
    auto db = Db::Open(options, nullptr);
    REQUIRE(db.ok());
    REQUIRE((*db)->Append(OneSeriesBatch(tenant, {{"__name__", "a"}}, {{1000, 1}})).ok());
    const uintmax_t size = fs::file_size(NewestSegment(dir.path()));

    // RLIMIT_FSIZE makes write(2) stop at a file offset: the record of
    // series "b" (a new series, defined in that record) is cut half-way,
    // as ENOSPC would cut it. SIGXFSZ would kill the process; ignore it.
    // Only regular files above the limit are affected, for this short span.
    struct rlimit old_limit;
    REQUIRE(::getrlimit(RLIMIT_FSIZE, &old_limit) == 0);
    auto old_handler = std::signal(SIGXFSZ, SIG_IGN);
    struct rlimit cut = old_limit;
    cut.rlim_cur = static_cast<rlim_t>(size + 2000);
    REQUIRE(::setrlimit(RLIMIT_FSIZE, &cut) == 0);
    absl::Status failed = (*db)->Append(OneSeriesBatch(tenant, {{"__name__", "b"}}, big));
    const uintmax_t after_failure = fs::file_size(NewestSegment(dir.path()));
    REQUIRE(::setrlimit(RLIMIT_FSIZE, &old_limit) == 0);
    std::signal(SIGXFSZ, old_handler);

    CHECK(failed.code() == absl::StatusCode::kUnavailable);
    CHECK(after_failure == size);  // the partial record was cut off again
    // Space is back: the same new series is written (and defined) again.
    REQUIRE((*db)->Append(OneSeriesBatch(tenant, {{"__name__", "b"}}, {{5000, 5}})).ok());
    REQUIRE((*db)->Append(OneSeriesBatch(tenant, {{"__name__", "a"}}, {{2000, 2}})).ok());
    // Simulate a crash: the Db is destroyed without a flush (WAL only).
  }
  auto db = Db::Open(options, nullptr);
  REQUIRE(db.ok());
  DbStats stats = (*db)->Stats();
  CHECK(stats.wal_corrupt_records == 0);
  CHECK(stats.wal_torn_tails == 0);
  auto read = testing::SearchAllSamples(**db, tenant, {M(MatchType::kRegexMatch, "__name__", ".+")});
  REQUIRE(read.size() == 2);
  CHECK(read.at(Key("a")).size() == 2);
  // Only the acknowledged sample of "b": none of the refused batch.
  REQUIRE(read.at(Key("b")).size() == 1);
  CHECK(read.at(Key("b"))[0].timestamp_ms == 5000);
}

}  // namespace
}  // namespace strata::storage
