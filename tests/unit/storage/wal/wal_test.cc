#include "storage/wal/wal.h"

#include <prometheus/registry.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <set>
#include <thread>

#include "storage/metrics/storage_metrics.h"
#include "storage/wal/wal_format.h"
#include "unit/storage/storage_test_util.h"

namespace strata::storage {
namespace {

using testing::TempDir;

std::string Payload(int i) { return "record-" + std::to_string(i) + std::string(static_cast<size_t>(i % 97), 'x'); }

std::vector<std::string> ReplayAll(const WalOptions& options, StorageMetrics& metrics, WalReplayStats* stats = nullptr) {
  std::vector<std::string> out;
  auto wal = Wal::Open(options, metrics, [&](std::string_view p) { out.emplace_back(p); });
  REQUIRE(wal.ok());
  if (stats != nullptr) *stats = (*wal)->replay_stats();
  REQUIRE((*wal)->Close().ok());
  return out;
}

std::vector<std::filesystem::path> Segments(const std::string& dir) {
  std::vector<std::filesystem::path> out;
  for (const auto& e : std::filesystem::directory_iterator(dir)) out.push_back(e.path());
  std::sort(out.begin(), out.end());
  return out;
}

void CorruptByte(const std::filesystem::path& file, uint64_t offset) {
  std::fstream f(file, std::ios::in | std::ios::out | std::ios::binary);
  f.seekg(static_cast<std::streamoff>(offset));
  char c;
  f.read(&c, 1);
  c = static_cast<char>(c ^ 0x5a);
  f.seekp(static_cast<std::streamoff>(offset));
  f.write(&c, 1);
}

TEST_CASE("wal records round trip in order across segment rotation", "[storage][wal][unit]") {
  TempDir dir;
  prometheus::Registry registry;
  StorageMetrics metrics(registry);
  WalOptions options{.dir = dir.path() + "/wal", .segment_size = 1024, .fsync_mode = WalFsyncMode::kAlways};
  {
    auto wal = Wal::Open(options, metrics, [](std::string_view) { FAIL("empty WAL replayed a record"); });
    REQUIRE(wal.ok());
    for (int i = 0; i < 200; ++i) REQUIRE((*wal)->Append(Payload(i)).ok());
    // A record larger than a segment gets a segment of its own.
    REQUIRE((*wal)->Append(std::string(5000, 'L')).ok());
    REQUIRE((*wal)->Append("after-large").ok());
    CHECK((*wal)->current_segment() > 5);
    REQUIRE((*wal)->Close().ok());
    CHECK((*wal)->Append("x").code() == absl::StatusCode::kFailedPrecondition);
  }
  CHECK(Segments(options.dir).size() > 5);
  for (const auto& seg : Segments(options.dir)) {
    CHECK(seg.filename().string().size() == 8);
    CHECK(std::filesystem::file_size(seg) <= 5000 + wal_format::kHeaderSize);
  }
  WalReplayStats stats;
  std::vector<std::string> got = ReplayAll(options, metrics, &stats);
  REQUIRE(got.size() == 202);
  for (int i = 0; i < 200; ++i) CHECK(got[static_cast<size_t>(i)] == Payload(i));
  CHECK(got[200] == std::string(5000, 'L'));
  CHECK(got[201] == "after-large");
  CHECK(stats.corrupt_records == 0);
  CHECK(stats.torn_tails == 0);
  CHECK(metrics.wal_records.Value() == 202);
}

TEST_CASE("wal truncates a torn tail at the last good record and counts it", "[storage][wal][unit]") {
  TempDir dir;
  prometheus::Registry registry;
  StorageMetrics metrics(registry);
  WalOptions options{.dir = dir.path(), .fsync_mode = WalFsyncMode::kInterval};
  {
    auto wal = Wal::Open(options, metrics, [](std::string_view) {});
    REQUIRE(wal.ok());
    for (int i = 0; i < 10; ++i) REQUIRE((*wal)->Append(Payload(i)).ok());
    REQUIRE((*wal)->Close().ok());
  }
  auto seg = Segments(options.dir).back();
  uint64_t good_size = std::filesystem::file_size(seg);
  // A crash in the middle of writing the 11th record: header and part of
  // the payload made it to disk.
  std::string frame;
  {
    auto wal = Wal::Open(options, metrics, [](std::string_view) {});
    REQUIRE(wal.ok());
    REQUIRE((*wal)->Append("this record will be torn").ok());
    REQUIRE((*wal)->Close().ok());
    auto newest = Segments(options.dir).back();
    std::ifstream in(newest, std::ios::binary);
    frame.assign(std::istreambuf_iterator<char>(in), {});
    std::filesystem::remove(newest);
  }
  {
    std::ofstream out(seg, std::ios::binary | std::ios::app);
    out.write(frame.data(), static_cast<std::streamsize>(frame.size() - 5));
  }
  WalReplayStats stats;
  std::vector<std::string> got = ReplayAll(options, metrics, &stats);
  REQUIRE(got.size() == 10);
  CHECK(got.back() == Payload(9));
  CHECK(stats.torn_tails == 1);
  CHECK(stats.corrupt_records == 0);
  CHECK(std::filesystem::file_size(seg) == good_size);
  CHECK(metrics.wal_torn_tails.Value() == 1);

  // The repaired log replays cleanly next time.
  got = ReplayAll(options, metrics, &stats);
  CHECK(got.size() == 10);
  CHECK(stats.torn_tails == 0);
}

TEST_CASE("wal skips a corrupt record in the middle and keeps the records after it", "[storage][wal][unit]") {
  TempDir dir;
  prometheus::Registry registry;
  StorageMetrics metrics(registry);
  WalOptions options{.dir = dir.path(), .fsync_mode = WalFsyncMode::kInterval};
  {
    auto wal = Wal::Open(options, metrics, [](std::string_view) {});
    REQUIRE(wal.ok());
    for (int i = 0; i < 20; ++i) REQUIRE((*wal)->Append(Payload(i)).ok());
    REQUIRE((*wal)->Close().ok());
  }
  auto seg = Segments(options.dir).front();
  // Offset of record 5's payload.
  uint64_t offset = 0;
  for (int i = 0; i < 5; ++i) offset += wal_format::kHeaderSize + Payload(i).size();
  CorruptByte(seg, offset + wal_format::kHeaderSize + 3);
  // And the length field of record 12, so its extent is garbage too.
  uint64_t offset12 = offset;
  for (int i = 5; i < 12; ++i) offset12 += wal_format::kHeaderSize + Payload(i).size();
  CorruptByte(seg, offset12 + 5);

  WalReplayStats stats;
  std::vector<std::string> got = ReplayAll(options, metrics, &stats);
  CHECK(stats.corrupt_records == 2);
  CHECK(stats.torn_tails == 0);
  REQUIRE(got.size() == 18);
  std::set<std::string> have(got.begin(), got.end());
  CHECK(have.count(Payload(5)) == 0);
  CHECK(have.count(Payload(12)) == 0);
  CHECK(have.count(Payload(4)) == 1);
  CHECK(have.count(Payload(6)) == 1);
  CHECK(got.back() == Payload(19));
  CHECK(metrics.wal_corrupt_records.Value() == 2);
}

TEST_CASE("wal with fsync always makes every concurrent append durable", "[storage][wal][unit]") {
  TempDir dir;
  prometheus::Registry registry;
  StorageMetrics metrics(registry);
  WalOptions options{.dir = dir.path(), .segment_size = 64 << 10, .fsync_mode = WalFsyncMode::kAlways};
  constexpr int kThreads = 8;
  constexpr int kPerThread = 150;
  std::set<std::string> expected;
  {
    auto wal = Wal::Open(options, metrics, [](std::string_view) {});
    REQUIRE(wal.ok());
    std::vector<std::thread> threads;
    std::atomic<int> failures{0};
    for (int t = 0; t < kThreads; ++t) {
      threads.emplace_back([&, t] {
        for (int i = 0; i < kPerThread; ++i) {
          if (!(*wal)->Append("t" + std::to_string(t) + "-" + Payload(i)).ok()) ++failures;
        }
      });
      for (int i = 0; i < kPerThread; ++i) expected.insert("t" + std::to_string(t) + "-" + Payload(i));
    }
    for (auto& th : threads) th.join();
    CHECK(failures == 0);
    // Group commit: never more fsyncs than records.
    CHECK(metrics.wal_fsyncs.Value() <= kThreads * kPerThread);
    CHECK(metrics.wal_fsyncs.Value() >= 1);
    // No Close: a crash right now must lose nothing acknowledged. Replay a
    // copy of the directory while the log is still open.
    std::filesystem::copy(options.dir, dir.path() + "/copy");
    REQUIRE((*wal)->Close().ok());
  }
  WalOptions copy = options;
  copy.dir = dir.path() + "/copy";
  std::vector<std::string> got = ReplayAll(copy, metrics);
  CHECK(got.size() == expected.size());
  CHECK(std::set<std::string>(got.begin(), got.end()) == expected);
  // Each thread's records are in its own order.
  std::vector<int> next(kThreads, 0);
  for (const std::string& r : got) {
    int t = r[1] - '0';
    CHECK(r == "t" + std::to_string(t) + "-" + Payload(next[static_cast<size_t>(t)]++));
  }
}

TEST_CASE("wal in interval mode fsyncs in the background", "[storage][wal][unit]") {
  TempDir dir;
  prometheus::Registry registry;
  StorageMetrics metrics(registry);
  WalOptions options{.dir = dir.path(), .fsync_mode = WalFsyncMode::kInterval,
                     .fsync_interval = std::chrono::milliseconds(20)};
  auto wal = Wal::Open(options, metrics, [](std::string_view) {});
  REQUIRE(wal.ok());
  REQUIRE((*wal)->Append("a").ok());
  for (int i = 0; i < 200 && metrics.wal_fsyncs.Value() == 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  CHECK(metrics.wal_fsyncs.Value() >= 1);
  REQUIRE((*wal)->Close().ok());
}

}  // namespace
}  // namespace strata::storage

namespace strata::storage {
namespace {

TEST_CASE("wal rotation orders records and deleted segments are not replayed", "[storage][wal][unit]") {
  TempDir dir;
  prometheus::Registry registry;
  StorageMetrics metrics(registry);
  WalOptions options{.dir = dir.path() + "/wal", .fsync_mode = WalFsyncMode::kInterval};
  uint64_t checkpoint = 0;
  {
    auto wal = Wal::Open(options, metrics, [](std::string_view) {});
    REQUIRE(wal.ok());
    const uint64_t first = (*wal)->current_segment();
    // Rotating an empty segment keeps it.
    CHECK((*wal)->Rotate().value() == first);
    for (int i = 0; i < 10; ++i) REQUIRE((*wal)->Append(Payload(i)).ok());
    checkpoint = (*wal)->Rotate().value();
    CHECK(checkpoint == first + 1);
    CHECK((*wal)->current_segment() == checkpoint);
    for (int i = 10; i < 15; ++i) REQUIRE((*wal)->Append(Payload(i)).ok());
    CHECK((*wal)->ListSegments() == std::vector<uint64_t>{first, checkpoint});
    REQUIRE((*wal)->DeleteSegmentsBefore(checkpoint).ok());
    CHECK((*wal)->ListSegments() == std::vector<uint64_t>{checkpoint});
    // The segment being written is never deleted.
    REQUIRE((*wal)->DeleteSegmentsBefore(checkpoint + 100).ok());
    CHECK((*wal)->ListSegments() == std::vector<uint64_t>{checkpoint});
    REQUIRE((*wal)->Close().ok());
    CHECK((*wal)->Rotate().status().code() == absl::StatusCode::kFailedPrecondition);
  }
  std::vector<std::string> got = ReplayAll(options, metrics);
  REQUIRE(got.size() == 5);
  CHECK(got[0] == Payload(10));
}

TEST_CASE("wal open skips and deletes segments below first_segment", "[storage][wal][unit]") {
  TempDir dir;
  prometheus::Registry registry;
  StorageMetrics metrics(registry);
  WalOptions options{.dir = dir.path() + "/wal", .segment_size = 512, .fsync_mode = WalFsyncMode::kAlways};
  uint64_t keep_from = 0;
  {
    auto wal = Wal::Open(options, metrics, [](std::string_view) {});
    REQUIRE(wal.ok());
    for (int i = 0; i < 40; ++i) REQUIRE((*wal)->Append(Payload(i)).ok());
    keep_from = (*wal)->Rotate().value();
    for (int i = 40; i < 45; ++i) REQUIRE((*wal)->Append(Payload(i)).ok());
    REQUIRE((*wal)->Close().ok());
  }
  REQUIRE(Segments(options.dir).size() > 3);
  options.first_segment = keep_from;
  std::vector<std::string> got = ReplayAll(options, metrics);
  REQUIRE(got.size() == 5);
  CHECK(got.front() == Payload(40));
  for (const auto& p : Segments(options.dir)) CHECK(std::stoull(p.filename().string()) >= keep_from);
  // With every segment gone, new segments still start at first_segment, so
  // the next open (same checkpoint) replays what is appended now.
  std::filesystem::remove_all(options.dir);
  options.first_segment = 1000;
  {
    auto wal = Wal::Open(options, metrics, [](std::string_view) {});
    REQUIRE(wal.ok());
    CHECK((*wal)->current_segment() == 1000);
    REQUIRE((*wal)->Append("kept").ok());
    REQUIRE((*wal)->Close().ok());
  }
  CHECK(ReplayAll(options, metrics) == std::vector<std::string>{"kept"});
}

}  // namespace
}  // namespace strata::storage
