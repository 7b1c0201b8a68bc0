// What RocksDB 7.8 does with damaged files, and what Strata does about it
// (storage/index/rocks_recovery.h, storage/engine/store_corruption.h):
//   (a) a truncated SST: Open fails with Corruption ("file is too short");
//   (b) flipped bytes in an SST block: Open succeeds, reads of that block and
//       any compaction over it fail with Corruption, and after a failed
//       compaction RocksDB refuses every write until restart;
//   (c) a damaged MANIFEST (Corruption) or a CURRENT naming a missing
//       MANIFEST (IOError): Open fails.
// Each case must end in a working store, a counted metric, and no abort.
#include "storage/engine/store_corruption.h"

#include <filesystem>
#include <fstream>
#include <random>

#include <prometheus/registry.h>
#include <prometheus/text_serializer.h>

#include "storage/index/rocks_recovery.h"
#include "storage/metrics/storage_metrics.h"
#include "unit/storage/storage_test_util.h"

namespace strata::storage {
namespace {

namespace fs = std::filesystem;
using testing::TempDir;
using Action = RocksRecoveryReport::Action;

constexpr uint64_t kSeries = 2000;
constexpr int kFlushes = 3;
constexpr TenantId kTenant{1, 2};

Labels SeriesLabels(uint64_t id) { return Labels::FromUnsorted({{"__name__", "x"}, {"i", std::to_string(id)}}); }

// kFlushes SST generations of kSeries series x one chunk of incompressible
// bytes each, so the largest SST file holds chunks.
void Fill(const std::string& path) {
  auto store = RocksStore::Open({.path = path});
  REQUIRE(store.ok());
  std::mt19937_64 rng(7);
  for (int f = 0; f < kFlushes; ++f) {
    RocksStore::Batch batch = (*store)->NewBatch();
    for (uint64_t id = 0; id < kSeries; ++id) {
      if (f == 0) batch.PutSeries(id, kTenant, SeriesLabels(id));
      ChunkData c;
      c.min_time_ms = f * 1000;
      c.max_time_ms = f * 1000 + 999;
      for (int i = 0; i < 12; ++i) c.data.append(std::to_string(rng()));
      batch.PutChunk(id, c);
    }
    batch.SetNextSeriesId(kSeries);
    batch.SetWalCheckpoint(5);
    REQUIRE((*store)->Write(std::move(batch), true).ok());
    REQUIRE((*store)->FlushMemTables().ok());
  }
}

std::string LargestSst(const std::string& path) {
  std::string best;
  uintmax_t size = 0;
  for (const auto& e : fs::directory_iterator(path)) {
    if (e.path().extension() == ".sst" && e.file_size() > size) {
      size = e.file_size();
      best = e.path().string();
    }
  }
  REQUIRE(!best.empty());
  return best;
}

void Overwrite(const std::string& file, uintmax_t offset, std::string_view bytes) {
  std::fstream io(file, std::ios::in | std::ios::out | std::ios::binary);
  io.seekp(static_cast<std::streamoff>(offset));
  io.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  REQUIRE(io.good());
}

struct ReadResult {
  uint64_t chunks = 0;
  uint64_t data_loss = 0;
  uint64_t other_errors = 0;
};

ReadResult ReadEverything(const RocksStore& store) {
  ReadResult r;
  for (uint64_t id = 0; id < kSeries; ++id) {
    std::vector<ChunkData> out;
    absl::Status st = store.ReadChunks(id, 0, 1'000'000, &out);
    if (st.code() == absl::StatusCode::kDataLoss) {
      ++r.data_loss;
    } else if (!st.ok()) {
      ++r.other_errors;
    }
    r.chunks += out.size();
  }
  return r;
}

// The store still takes writes and compactions after recovery.
void CheckWritable(RocksStore& store) {
  RocksStore::Batch batch = store.NewBatch();
  batch.PutSeries(store.next_series_id(), kTenant, SeriesLabels(999999));
  ChunkData c;
  c.min_time_ms = 50'000;
  c.max_time_ms = 50'999;
  c.data = "fresh";
  batch.PutChunk(store.next_series_id(), c);
  batch.SetNextSeriesId(store.next_series_id() + 1);
  REQUIRE(store.Write(std::move(batch), true).ok());
  REQUIRE(store.CompactAll().ok());
}

double Corruptions(prometheus::Registry& registry) {
  for (const auto& family : registry.Collect()) {
    if (family.name != "strata_storage_corruptions_total") continue;
    for (const auto& metric : family.metric) {
      for (const auto& l : metric.label) {
        if (l.name == "component" && l.value == "rocksdb") return metric.counter.value;
      }
    }
  }
  return -1;
}

TEST_CASE("a truncated SST file is moved aside, the rest repaired, the loss counted", "[storage][corruption][unit]") {
  TempDir dir;
  const std::string path = dir.path() + "/db";
  Fill(path);
  const std::string sst = LargestSst(path);
  const uintmax_t half = fs::file_size(sst) / 2;
  fs::resize_file(sst, half);
  CHECK(RocksStore::Open({.path = path}).status().code() == absl::StatusCode::kDataLoss);  // what RocksDB does

  prometheus::Registry registry;
  StorageMetrics metrics(registry);
  RocksRecoveryReport report;
  auto store = OpenStoreWithRecovery({.path = path}, metrics, &report);
  REQUIRE(store.ok());
  CHECK(report.action == Action::kRepaired);
  CHECK(report.reason.find("too short") != std::string::npos);
  REQUIRE(report.lost_files.size() == 1);
  CHECK(fs::path(report.lost_files[0]).filename() == fs::path(sst).filename());
  CHECK(report.lost_bytes == half);
  CHECK(Corruptions(registry) == 2);  // the recovery and the lost file
  // The damaged original is kept, untouched, for inspection.
  CHECK(fs::file_size(fs::path(report.moved_aside) / fs::path(sst).filename()) == half);

  const ReadResult r = ReadEverything(**store);
  CHECK(r.data_loss == 0);
  CHECK(r.other_errors == 0);
  CHECK(r.chunks >= kSeries);  // the other generations survived
  CHECK(r.chunks < kSeries * kFlushes);
  CHECK((*store)->GetSeries(17)->labels == SeriesLabels(17));
  CHECK((*store)->next_series_id() == kSeries);
  CHECK((*store)->wal_checkpoint() == 5);
  CheckWritable(**store);
}

TEST_CASE("a corrupt SST block fails only its reads, and a failed compaction repairs at the next open",
          "[storage][corruption][unit]") {
  TempDir dir;
  const std::string path = dir.path() + "/db";
  Fill(path);
  const std::string sst = LargestSst(path);
  Overwrite(sst, fs::file_size(sst) / 4, "garbage-garbage-garbage-garbage!");

  prometheus::Registry registry;
  StorageMetrics metrics(registry);
  {
    RocksRecoveryReport report;
    auto store = OpenStoreWithRecovery({.path = path}, metrics, &report);
    REQUIRE(store.ok());
    CHECK(report.action == Action::kNone);  // RocksDB does not read data blocks at Open
    const ReadResult r = ReadEverything(**store);
    CHECK(r.data_loss > 0);              // the series in the bad block
    CHECK(r.data_loss < kSeries / 10);   // and no others
    CHECK(r.other_errors == 0);
    std::vector<ChunkData> out;
    absl::Status read = absl::OkStatus();
    for (uint64_t id = 0; id < kSeries && read.ok(); ++id) read = (*store)->ReadChunks(id, 0, 1'000'000, &out);
    CHECK(read.message().find(".sst") != absl::string_view::npos);  // the log line names the file
    CHECK(NoteStoreError(read, StoreOp::kRead, path, metrics));
    CHECK(Corruptions(registry) == 1);
    CHECK(!fs::exists(path + "/STRATA_REPAIR_REQUESTED"));  // a read alone does not ask for a repair

    absl::Status compact = (*store)->CompactAll();
    REQUIRE(compact.code() == absl::StatusCode::kDataLoss);
    // RocksDB now refuses writes until restart: the engine keeps its WAL.
    RocksStore::Batch batch = (*store)->NewBatch();
    batch.SetWalCheckpoint(6);
    CHECK((*store)->Write(std::move(batch), true).code() == absl::StatusCode::kDataLoss);
    CHECK(NoteStoreError(compact, StoreOp::kWrite, path, metrics));
    CHECK(Corruptions(registry) == 2);
    CHECK(fs::exists(path + "/STRATA_REPAIR_REQUESTED"));
    CHECK(!NoteStoreError(absl::UnavailableError("disk full"), StoreOp::kWrite, path, metrics));
    CHECK(Corruptions(registry) == 2);
  }

  RocksRecoveryReport report;
  auto store = OpenStoreWithRecovery({.path = path}, metrics, &report);
  REQUIRE(store.ok());
  CHECK(report.action == Action::kRepaired);
  CHECK(report.reason.find("repair requested") != std::string::npos);
  CHECK(report.lost_files.size() == 1);
  CHECK(Corruptions(registry) == 4);
  CHECK(!fs::exists(path + "/STRATA_REPAIR_REQUESTED"));
  const ReadResult r = ReadEverything(**store);
  CHECK(r.data_loss == 0);
  CHECK(r.other_errors == 0);
  CHECK(r.chunks > 0);
  CHECK((*store)->next_series_id() == kSeries);
  CheckWritable(**store);

  // The next start is a plain open: no repair loop.
  store->reset();
  RocksRecoveryReport again;
  REQUIRE(OpenStoreWithRecovery({.path = path}, metrics, &again).ok());
  CHECK(again.action == Action::kNone);
  CHECK(Corruptions(registry) == 4);
}

TEST_CASE("a damaged MANIFEST or CURRENT is rebuilt from the SST files without losing data",
          "[storage][corruption][unit]") {
  TempDir dir;
  const std::string path = dir.path() + "/db";
  Fill(path);
  const bool manifest = GENERATE(true, false);
  INFO((manifest ? "garbage in the MANIFEST" : "CURRENT names a missing MANIFEST"));
  if (manifest) {
    std::string file;
    for (const auto& e : fs::directory_iterator(path)) {
      if (e.path().filename().string().starts_with("MANIFEST-")) file = e.path().string();
    }
    REQUIRE(!file.empty());
    Overwrite(file, fs::file_size(file) / 2, "XXXXXXXXXXXXXXXXXXXXXXXX");
  } else {
    std::ofstream(path + "/CURRENT", std::ios::trunc) << "MANIFEST-999999\n";
  }
  CHECK(!RocksStore::Open({.path = path}).ok());  // what RocksDB does

  prometheus::Registry registry;
  StorageMetrics metrics(registry);
  RocksRecoveryReport report;
  auto store = OpenStoreWithRecovery({.path = path}, metrics, &report);
  REQUIRE(store.ok());
  CHECK(report.action == Action::kRepaired);
  CHECK(report.lost_files.empty());
  CHECK(report.salvaged_files > 0);
  CHECK(Corruptions(registry) == 1);
  const ReadResult r = ReadEverything(**store);
  CHECK(r.data_loss == 0);
  CHECK(r.chunks == kSeries * kFlushes);
  CHECK((*store)->next_series_id() == kSeries);
  CHECK((*store)->wal_checkpoint() == 5);
  CHECK((*store)->GetSeries(1999)->labels == SeriesLabels(1999));
  CheckWritable(**store);
}

TEST_CASE("writes held only in RocksDB's own log survive a MANIFEST repair", "[storage][corruption][unit]") {
  TempDir dir;
  const std::string path = dir.path() + "/db";
  Fill(path);
  {
    auto store = RocksStore::Open({.path = path});
    REQUIRE(store.ok());
    RocksStore::Batch batch = (*store)->NewBatch();
    ChunkData c;
    c.min_time_ms = 90'000;
    c.max_time_ms = 90'999;
    c.data = "only-in-the-log";
    batch.PutChunk(3, c);
    batch.SetWalCheckpoint(8);
    REQUIRE((*store)->Write(std::move(batch), true).ok());  // synced to the log, no memtable flush
  }
  std::string manifest;
  for (const auto& e : fs::directory_iterator(path)) {
    if (e.path().filename().string().starts_with("MANIFEST-")) manifest = e.path().string();
  }
  REQUIRE(!manifest.empty());
  fs::remove(manifest);

  prometheus::Registry registry;
  StorageMetrics metrics(registry);
  RocksRecoveryReport report;
  auto store = OpenStoreWithRecovery({.path = path}, metrics, &report);
  REQUIRE(store.ok());
  CHECK(report.action == Action::kRepaired);
  CHECK(report.lost_files.empty());
  CHECK((*store)->wal_checkpoint() == 8);
  std::vector<ChunkData> out;
  REQUIRE((*store)->ReadChunks(3, 90'000, 90'999, &out).ok());
  REQUIRE(out.size() == 1);
  CHECK(out[0].data == "only-in-the-log");
  CHECK(ReadEverything(**store).chunks == kSeries * kFlushes + 1);
  CheckWritable(**store);
}

TEST_CASE("a store that opens cleanly is neither repaired nor counted", "[storage][corruption][unit]") {
  TempDir dir;
  const std::string path = dir.path() + "/db";
  Fill(path);
  prometheus::Registry registry;
  StorageMetrics metrics(registry);
  RocksRecoveryReport report;
  auto store = OpenStoreWithRecovery({.path = path}, metrics, &report);
  REQUIRE(store.ok());
  CHECK(report.action == Action::kNone);
  CHECK(Corruptions(registry) == 0);
  CHECK(ReadEverything(**store).chunks == kSeries * kFlushes);
  int siblings = 0;
  for (const auto& e : fs::directory_iterator(dir.path())) siblings += e.path() != fs::path(path);
  CHECK(siblings == 0);
}

}  // namespace
}  // namespace strata::storage
