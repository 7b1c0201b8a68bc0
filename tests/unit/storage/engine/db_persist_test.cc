// Tests of the persistent engine: Flush to RocksDB, WAL checkpoint and
// truncation, restart from RocksDB plus the WAL tail, crash points.
#include <algorithm>
#include <atomic>
#include <bit>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <thread>

#include <fmt/format.h>
#include <prometheus/registry.h>
#include <prometheus/text_serializer.h>

#include "common/chunkenc/chunk_codec.h"
#include "common/chunkenc/xor_chunk.h"
#include "storage/engine/db.h"
#include "storage/index/rocks_store.h"
#include "unit/storage/storage_test_util.h"
#include "unit/storage/engine/db_test_util.h"

namespace strata::storage {
namespace {

namespace fs = std::filesystem;
using testing::M;
using testing::OneSeriesBatch;
using testing::TempDir;

constexpr TenantId kTenant{4, 2};
constexpr int kSeries = 16;

using Written = std::map<std::string, std::vector<Sample>>;  // labels string -> samples

// Appends batches [first, first + n) of kSeries series x 8 samples each;
// batch b holds timestamps b*8 .. b*8+7 (x 15 s), values with awkward bits.
void WriteBatches(Db& db, int first, int n, Written* w) {
  std::mt19937_64 rng(static_cast<uint64_t>(first) * 7919 + 1);
  for (int b = first; b < first + n; ++b) {
    WriteBatchBuilder builder(kTenant);
    for (int s = 0; s < kSeries; ++s) {
      std::string inst = "host-" + std::to_string(s);
      std::vector<LabelView> labels = {{"__name__", "node_load"}, {"instance", inst}};
      std::vector<Sample> samples;
      for (int i = 0; i < 8; ++i) {
        int64_t t = static_cast<int64_t>(b * 8 + i) * 15000 - 600000;  // starts before 1970
        double v = rng() % 3 == 0 ? std::bit_cast<double>(rng()) : (rng() % 3 == 1 ? StaleNaN() : b + i * 0.5);
        samples.push_back({t, v});
      }
      builder.AddSeries(labels, samples);
      auto& dst = (*w)[Labels::FromViews(labels).ToString()];
      dst.insert(dst.end(), samples.begin(), samples.end());
    }
    REQUIRE(db.Append(builder.Finish()).ok());
  }
}

// What a select node does with a series' chunks: decode, merge by time,
// keep the first of equal timestamps.
std::map<std::string, std::vector<Sample>> ReadAll(const Db& db) {
  return testing::SearchAllSamples(db, kTenant, {M(MatchType::kEqual, "__name__", "node_load")});
}

void CheckAllThere(const Db& db, const Written& w) {
  auto got = ReadAll(db);
  REQUIRE(got.size() == w.size());
  for (const auto& [labels, want] : w) {
    const auto& have = got.at(labels);
    REQUIRE(have.size() == want.size());
    for (size_t i = 0; i < want.size(); ++i) {
      INFO(labels << " sample " << i);
      CHECK(SameBits(have[i], want[i]));
    }
  }
}

std::vector<uint64_t> WalSegments(const std::string& data_path) {
  std::vector<uint64_t> seqs;
  for (const auto& e : fs::directory_iterator(data_path + "/wal")) seqs.push_back(std::stoull(e.path().filename().string()));
  std::sort(seqs.begin(), seqs.end());
  return seqs;
}

DbOptions PersistentOptions(const std::string& path) {
  DbOptions o;
  o.data_path = path;
  o.persistent = true;
  o.flush_interval = std::chrono::milliseconds(0);
  o.retention_ms = testing::kKeepForeverMs;
  o.max_samples_per_chunk = 20;  // several sealed chunks per series
  o.block_cache_bytes = 8 << 20;
  o.write_buffer_bytes = 8 << 20;
  o.flush_batch_bytes = 2048;  // several RocksDB batches per flush
  return o;
}

TEST_CASE("persistent db flushed and reopened returns every sample bit-exact", "[storage][db][persist][unit]") {
  TempDir dir;
  DbOptions options = PersistentOptions(dir.path());
  Written w;
  {
    prometheus::Registry registry;
    auto db = Db::Open(options, &registry);
    REQUIRE(db.ok());
    WriteBatches(**db, 0, 10, &w);
    REQUIRE((*db)->Flush().ok());
    DbStats st = (*db)->Stats();
    CHECK(st.flushes == 1);
    CHECK(st.wal_checkpoint >= 2);
    const std::string text = prometheus::TextSerializer().Serialize(registry.Collect());
    CHECK(text.find("strata_storage_flushes_total 1") != std::string::npos);
    CHECK(text.find("strata_storage_chunks_persisted_total 0") == std::string::npos);
    CheckAllThere(**db, w);
    WriteBatches(**db, 10, 10, &w);
    CheckAllThere(**db, w);
    REQUIRE((*db)->Close().ok());
    CHECK((*db)->Flush().code() == absl::StatusCode::kUnavailable);
  }
  CHECK(fs::is_directory(dir.path() + "/db"));
  auto db = Db::Open(options, nullptr);
  REQUIRE(db.ok());
  DbStats st = (*db)->Stats();
  CHECK(st.series == 0);  // the head starts empty: series are in RocksDB
  CHECK(st.replayed_records == 0);  // Close flushed everything
  CheckAllThere(**db, w);
  // Series keep their identity: appending more brings them back into the
  // head under their ids (no new series in the index), and the newest
  // persisted timestamp still bounds the out-of-order window.
  WriteBatches(**db, 20, 2, &w);
  CHECK((*db)->Stats().series == kSeries);

  std::string old = OneSeriesBatch(kTenant, {{"__name__", "node_load"}, {"instance", "host-0"}},
                                   {{-600000 - 7200000, 1.0}});
  AppendStats append_stats;
  REQUIRE((*db)->Append(old, &append_stats).ok());
  CHECK(append_stats.too_old == 1);
  CheckAllThere(**db, w);
}

TEST_CASE("persistent db killed after a flush and more appends loses nothing", "[storage][db][persist][unit]") {
  TempDir dir;
  for (auto mode : {DbOptions::kInterval, DbOptions::kAlways}) {
    const std::string live = dir.path() + "/live" + std::to_string(mode);
    const std::string crashed = dir.path() + "/crashed" + std::to_string(mode);
    DbOptions options = PersistentOptions(live);
    options.fsync_mode = mode;
    options.fsync_interval = std::chrono::milliseconds(60000);
    auto db = Db::Open(options, nullptr);
    REQUIRE(db.ok());
    Written w;
    WriteBatches(**db, 0, 12, &w);
    REQUIRE((*db)->Flush().ok());
    WriteBatches(**db, 12, 7, &w);
    // kill -9 leaves what the page cache holds: copy while open.
    testing::CopyLiveDataDir(live, crashed);
    auto reopened = Db::Open(PersistentOptions(crashed), nullptr);
    REQUIRE(reopened.ok());
    CHECK((*reopened)->Stats().replayed_records == 7);
    CHECK((*reopened)->Stats().series == kSeries);  // named by the replayed WAL tail
    CheckAllThere(**reopened, w);
    REQUIRE((*db)->Close().ok());
  }
}

TEST_CASE("flush deletes the WAL segments below the checkpoint", "[storage][db][persist][unit]") {
  TempDir dir;
  DbOptions options = PersistentOptions(dir.path());
  options.wal_segment_size = 2048;  // a few batches per segment
  auto db = Db::Open(options, nullptr);
  REQUIRE(db.ok());
  Written w;
  WriteBatches(**db, 0, 30, &w);
  const std::vector<uint64_t> before = WalSegments(dir.path());
  REQUIRE(before.size() > 3);
  REQUIRE((*db)->Flush().ok());
  const uint64_t checkpoint = (*db)->Stats().wal_checkpoint;
  CHECK(checkpoint > before.back());
  const std::vector<uint64_t> after = WalSegments(dir.path());
  REQUIRE(after.size() == 1);
  CHECK(after[0] == checkpoint);
  CheckAllThere(**db, w);
  // A second flush with nothing new keeps working and stays consistent.
  REQUIRE((*db)->Flush().ok());
  CHECK(WalSegments(dir.path()).size() == 1);
  CheckAllThere(**db, w);
}

TEST_CASE("a crash between the RocksDB sync and the WAL deletion replays nothing twice",
          "[storage][db][persist][unit]") {
  TempDir dir;
  const std::string live = dir.path() + "/live";
  const std::string saved = dir.path() + "/saved_wal";
  const std::string crashed = dir.path() + "/crashed";
  auto db = Db::Open(PersistentOptions(live), nullptr);
  REQUIRE(db.ok());
  Written w;
  WriteBatches(**db, 0, 9, &w);
  REQUIRE((*db)->Flush().ok());
  WriteBatches(**db, 9, 9, &w);
  // The segments the next flush deletes, as they were before it.
  fs::copy(live + "/wal", saved, fs::copy_options::recursive);
  REQUIRE((*db)->Flush().ok());
  WriteBatches(**db, 18, 3, &w);
  testing::CopyLiveDataDir(live, crashed);
  // Put the deleted segments back: the state after RocksDB's sync but
  // before the unlink.
  uint64_t restored = 0;
  for (const auto& e : fs::directory_iterator(saved)) {
    if (!fs::exists(crashed + "/wal/" + e.path().filename().string())) {
      fs::copy(e.path(), crashed + "/wal/" + e.path().filename().string());
      ++restored;
    }
  }
  REQUIRE(restored > 0);
  auto reopened = Db::Open(PersistentOptions(crashed), nullptr);
  REQUIRE(reopened.ok());
  const DbStats st = (*reopened)->Stats();
  CHECK(st.replayed_records == 3);  // only the records after the checkpoint
  for (uint64_t seq : WalSegments(crashed)) CHECK(seq >= st.wal_checkpoint);
  CheckAllThere(**reopened, w);
  // Samples counted once: nothing below the checkpoint was re-appended.
  CHECK(st.samples_appended == 3 * kSeries * 8);
  REQUIRE((*db)->Close().ok());
}

TEST_CASE("a crash after the WAL rotation but before the RocksDB write loses nothing",
          "[storage][db][persist][unit]") {
  TempDir dir;
  const std::string live = dir.path() + "/live";
  auto db = Db::Open(PersistentOptions(live), nullptr);
  REQUIRE(db.ok());
  Written w;
  WriteBatches(**db, 0, 6, &w);
  REQUIRE((*db)->Flush().ok());
  WriteBatches(**db, 6, 6, &w);
  // A second flush dies after rotating the WAL (and sealing in memory) but
  // before its RocksDB write: RocksDB still has the first checkpoint, and
  // the WAL has one more, empty segment.
  const std::string crashed = dir.path() + "/crashed";
  testing::CopyLiveDataDir(live, crashed);
  // An empty new segment, as a rotation leaves it.
  std::vector<uint64_t> segs = WalSegments(crashed);
  { std::ofstream(fmt::format("{}/wal/{:08d}", crashed, segs.back() + 1)); }
  auto reopened = Db::Open(PersistentOptions(crashed), nullptr);
  REQUIRE(reopened.ok());
  CHECK((*reopened)->Stats().replayed_records == 6);
  CheckAllThere(**reopened, w);
  REQUIRE((*db)->Close().ok());
}

TEST_CASE("series ids handed out before a crash are never given to another series",
          "[storage][db][persist][unit]") {
  TempDir dir;
  {
    // What a crash can leave: series 1 persisted; series 2 created during
    // the flush, its chunk persisted but not its record; next id 3.
    auto store = RocksStore::Open({.path = dir.path() + "/db"});
    REQUIRE(store.ok());
    RocksStore::Batch batch = (*store)->NewBatch();
    batch.PutSeries(1, kTenant, Labels::FromUnsorted({{"__name__", "node_load"}, {"instance", "a"}}));
    XorAppender app;
    app.Append(5000, 42.0);
    ChunkData orphan;
    orphan.min_time_ms = orphan.max_time_ms = 5000;
    orphan.data = app.Finish();
    batch.PutChunk(2, orphan);
    batch.SetNextSeriesId(3);
    REQUIRE((*store)->Write(std::move(batch), true).ok());
  }
  auto db = Db::Open(PersistentOptions(dir.path()), nullptr);
  REQUIRE(db.ok());
  REQUIRE((*db)->Append(OneSeriesBatch(kTenant, {{"__name__", "node_load"}, {"instance", "b"}}, {{7000, 1.0}})).ok());
  // Series "a" has no samples, so it is not returned; "b" must not show
  // the orphan sample at 5000.
  auto got = ReadAll(**db);
  REQUIRE(got.size() == 1);
  const auto& b = got.begin()->second;
  REQUIRE(b.size() == 1);
  CHECK(b[0].timestamp_ms == 7000);
}

TEST_CASE("flushed chunks are split chunks sharing their timestamps, read back bit-exact",
          "[storage][db][persist][unit]") {
  TempDir dir;
  DbOptions options = PersistentOptions(dir.path());
  options.max_samples_per_chunk = 120;
  std::vector<Sample> counter, gauge;
  for (int i = 0; i < 240; ++i) {
    const int64_t t = int64_t{472222} * 3'600'000 + i * 15000;  // an hour from its start: no boundary cut
    counter.push_back({t, static_cast<double>(1000 + i * 7)});
    gauge.push_back({t, (i % 5 == 0) ? StaleNaN() : std::bit_cast<double>(0x3ff0000000000000ull + i * 977)});
  }
  {
    auto db = Db::Open(options, nullptr);
    REQUIRE(db.ok());
    REQUIRE((*db)->Append(OneSeriesBatch(kTenant, {{"__name__", "c"}}, counter)).ok());
    REQUIRE((*db)->Append(OneSeriesBatch(kTenant, {{"__name__", "g"}}, gauge)).ok());
    REQUIRE((*db)->Flush().ok());
    // Two chunks per series (the flush seals the open one); the two series
    // have the same timestamps: two sections, each stored once.
    CHECK((*db)->store()->num_timestamp_sections_estimate() == 2);
  }
  auto db = Db::Open(options, nullptr);
  REQUIRE(db.ok());
  for (const auto& [name, want] : {std::pair{std::string("c"), counter}, std::pair{std::string("g"), gauge}}) {
    SearchRequest req;
    req.tenant = kTenant;
    req.matchers = {M(MatchType::kEqual, "__name__", name)};
    req.min_time_ms = INT64_MIN;
    req.max_time_ms = INT64_MAX;
    auto r = (*db)->Search(req);
    REQUIRE(r.ok());
    REQUIRE(r->series.size() == 1);
    std::vector<Sample> got;
    for (const ChunkData& c : r->series[0].chunks) {
      const size_t begin = got.size();
      REQUIRE(DecodeChunk(c.encoding, c.data, &got).ok());
      CHECK(c.encoding == ChunkEncoding::kSplit);
      // An integer counter beats Gorilla by far; random-bit gauges are XOR
      // values, and the exact 15 s steps cost less than Gorilla's bit each.
      const size_t gorilla =
          EncodeXorChunk(std::span<const Sample>(got).subspan(begin)).size();
      if (name == "c") CHECK(c.data.size() * 2 < gorilla);
      if (name == "g") CHECK(c.data.size() < gorilla);
    }
    REQUIRE(got.size() == want.size());
    for (size_t i = 0; i < got.size(); ++i) CHECK(SameBits(got[i], want[i]));
  }
}

TEST_CASE("flushes running during concurrent appends lose no sample", "[storage][db][persist][unit]") {
  TempDir dir;
  const std::string live = dir.path() + "/live";
  DbOptions options = PersistentOptions(live);
  options.wal_segment_size = 8192;
  auto db = Db::Open(options, nullptr);
  REQUIRE(db.ok());
  std::atomic<bool> done{false};
  std::thread flusher([&] {
    while (!done.load()) {
      CHECK((*db)->Flush().ok());
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
  });
  std::vector<std::thread> writers;
  for (int t = 0; t < 3; ++t) {
    writers.emplace_back([&, t] {
      for (int i = 0; i < 200; ++i) {
        std::string batch = OneSeriesBatch(kTenant, {{"__name__", "node_load"}, {"instance", "w" + std::to_string(t)}},
                                           {{i * 1000, static_cast<double>(i)}});
        REQUIRE((*db)->Append(batch).ok());
      }
    });
  }
  for (auto& th : writers) th.join();
  done = true;
  flusher.join();
  CHECK((*db)->Stats().flushes >= 1);
  Written w;
  for (int t = 0; t < 3; ++t) {
    auto& v = w[Labels::FromUnsorted({{"__name__", "node_load"}, {"instance", "w" + std::to_string(t)}}).ToString()];
    for (int i = 0; i < 200; ++i) v.push_back({i * 1000, static_cast<double>(i)});
  }
  CheckAllThere(**db, w);
  const std::string crashed = dir.path() + "/crashed";
  testing::CopyLiveDataDir(live, crashed);
  auto reopened = Db::Open(PersistentOptions(crashed), nullptr);
  REQUIRE(reopened.ok());
  CheckAllThere(**reopened, w);
}

TEST_CASE("the background flush persists data without an explicit call", "[storage][db][persist][unit]") {
  TempDir dir;
  DbOptions options = PersistentOptions(dir.path());
  options.flush_interval = std::chrono::milliseconds(20);
  auto db = Db::Open(options, nullptr);
  REQUIRE(db.ok());
  Written w;
  WriteBatches(**db, 0, 3, &w);
  for (int i = 0; i < 500 && (*db)->Stats().flushes == 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  CHECK((*db)->Stats().flushes >= 1);
  CHECK((*db)->Stats().wal_checkpoint >= 2);
  CheckAllThere(**db, w);
  REQUIRE((*db)->Close().ok());
}

TEST_CASE("flush on a non-persistent db only syncs the WAL", "[storage][db][persist][unit]") {
  TempDir dir;
  DbOptions options;
  options.data_path = dir.path();
  options.persistent = false;
  auto db = Db::Open(options, nullptr);
  REQUIRE(db.ok());
  Written w;
  WriteBatches(**db, 0, 2, &w);
  REQUIRE((*db)->Flush().ok());
  CHECK((*db)->Stats().flushes == 0);
  CHECK_FALSE(fs::exists(dir.path() + "/db"));
  CheckAllThere(**db, w);
}

}  // namespace
}  // namespace strata::storage

namespace strata::storage {
namespace {

// Bytes in RocksDB's own log files (*.log) under the store.
uint64_t RocksLogBytes(const std::string& data_path) {
  uint64_t total = 0;
  for (const auto& e : fs::directory_iterator(data_path + "/db")) {
    if (e.path().extension() == ".log") total += e.file_size();
  }
  return total;
}

TEST_CASE("flush leaves data in compressed SST files, not RocksDB's log, and force merge keeps it",
          "[storage][db][persist][unit]") {
  TempDir dir;
  DbOptions options = PersistentOptions(dir.path());
  Written w;
  {
    auto db = Db::Open(options, nullptr);
    REQUIRE(db.ok());
    WriteBatches(**db, 0, 40, &w);
    REQUIRE((*db)->Flush().ok());
    // The memtables went to SST files, so the log holds nothing live: a
    // store written only by flushes must not keep its content uncompressed.
    CHECK(RocksLogBytes(dir.path()) < 4096);
    REQUIRE((*db)->ForceMerge().ok());
    CheckAllThere(**db, w);
    WriteBatches(**db, 40, 5, &w);
    REQUIRE((*db)->ForceMerge().ok());  // flushes the new samples too
    CHECK((*db)->Stats().flushes == 3);  // one Flush, two ForceMerges
  }
  auto db = Db::Open(options, nullptr);
  REQUIRE(db.ok());
  CHECK((*db)->Stats().replayed_records == 0);
  CheckAllThere(**db, w);
  REQUIRE((*db)->Close().ok());
  CHECK((*db)->ForceMerge().code() == absl::StatusCode::kUnavailable);
}

}  // namespace
}  // namespace strata::storage

namespace strata::storage {
namespace {

TEST_CASE("idle series leave the head after flushes and still answer every query", "[storage][db][persist][unit]") {
  TempDir dir;
  auto db = Db::Open(PersistentOptions(dir.path()), nullptr);
  REQUIRE(db.ok());
  Written w;
  WriteBatches(**db, 0, 4, &w);
  REQUIRE((*db)->Flush().ok());  // every series active this interval: all stay
  CHECK((*db)->Stats().series == kSeries);
  // Only host-0 keeps receiving samples.
  std::vector<Sample> more = {{1'000'000, 1.5}, {1'015'000, 2.5}};
  REQUIRE((*db)->Append(OneSeriesBatch(kTenant, {{"__name__", "node_load"}, {"instance", "host-0"}}, more)).ok());
  auto& host0 = w[R"(node_load{instance="host-0"})"];
  host0.insert(host0.end(), more.begin(), more.end());
  REQUIRE((*db)->Flush().ok());
  CHECK((*db)->Stats().series == 1);
  CHECK((*db)->Stats().evicted_series == kSeries - 1);
  // All time (global postings) and a short range (per-day postings) both
  // still see the evicted series.
  CheckAllThere(**db, w);
  SearchRequest req;
  req.tenant = kTenant;
  req.matchers = {M(MatchType::kRegexMatch, "instance", "host-1|host-2")};
  req.min_time_ms = -600000;
  req.max_time_ms = -600000 + 15000;
  auto r = (*db)->Search(req);
  REQUIRE(r.ok());
  REQUIRE(r->series.size() == 2);
  CHECK(r->series[0].labels.ToString() == R"(node_load{instance="host-1"})");
  // Evicted series come back when written to, under their old identity:
  // the data of before and after reads as one series, across a restart.
  WriteBatches(**db, 4, 2, &w);  // out of order for host-0, inside the window
  std::sort(host0.begin(), host0.end(),
            [](const Sample& a, const Sample& b) { return a.timestamp_ms < b.timestamp_ms; });
  CHECK((*db)->Stats().series == kSeries);
  CheckAllThere(**db, w);
  REQUIRE((*db)->Close().ok());
  db->reset();  // releases RocksDB's lock
  auto reopened = Db::Open(PersistentOptions(dir.path()), nullptr);
  REQUIRE(reopened.ok());
  CheckAllThere(**reopened, w);
}

}  // namespace
}  // namespace strata::storage

namespace strata::storage {
namespace {

TEST_CASE("delete_series removes matching series from head and store, and the labels start afresh",
          "[storage][db][persist][unit]") {
  TempDir dir;
  auto db = Db::Open(PersistentOptions(dir.path()), nullptr);
  REQUIRE(db.ok());
  Written w;
  WriteBatches(**db, 0, 3, &w);
  REQUIRE((*db)->Flush().ok());
  WriteBatches(**db, 3, 3, &w);  // some samples only in the head and WAL
  std::vector<Matcher> victims = {M(MatchType::kRegexMatch, "instance", "host-1|host-2|host-3")};
  auto deleted = (*db)->DeleteSeries(kTenant, victims);
  REQUIRE(deleted.ok());
  CHECK(*deleted == 3);
  for (const char* gone : {"host-1", "host-2", "host-3"}) w.erase(fmt::format(R"(node_load{{instance="{}"}})", gone));
  CheckAllThere(**db, w);
  CHECK((*db)->CountSeries(kTenant, victims, INT64_MIN, INT64_MAX).value() == 0);
  CHECK((*db)->LabelValues(kTenant, "instance", {}, INT64_MIN, INT64_MAX).value().size() == kSeries - 3);
  // Matching nothing deletes nothing; no matchers is refused.
  CHECK((*db)->DeleteSeries(kTenant, victims).value() == 0);
  CHECK((*db)->DeleteSeries(kTenant, {}).status().code() == absl::StatusCode::kInvalidArgument);
  // A new sample with deleted labels starts a new series holding only itself,
  // and nothing deleted comes back after a restart (WAL replay included).
  std::vector<Sample> fresh = {{5'000'000, 42}};
  REQUIRE((*db)->Append(OneSeriesBatch(kTenant, {{"__name__", "node_load"}, {"instance", "host-2"}}, fresh)).ok());
  w[R"(node_load{instance="host-2"})"] = fresh;
  CheckAllThere(**db, w);
  db->reset();
  auto reopened = Db::Open(PersistentOptions(dir.path()), nullptr);
  REQUIRE(reopened.ok());
  CheckAllThere(**reopened, w);
}

TEST_CASE("label names, values and series counts merge the head with the persistent index",
          "[storage][db][persist][unit]") {
  TempDir dir;
  auto db = Db::Open(PersistentOptions(dir.path()), nullptr);
  REQUIRE(db.ok());
  Written w;
  WriteBatches(**db, 0, 2, &w);
  REQUIRE((*db)->Flush().ok());
  REQUIRE((*db)->Flush().ok());  // idle: every series evicted, only RocksDB knows them
  CHECK((*db)->Stats().series == 0);
  REQUIRE((*db)->Append(OneSeriesBatch(kTenant, {{"__name__", "head_only"}, {"zone", "a"}}, {{1000, 1}})).ok());
  CHECK((*db)->LabelNames(kTenant, {}, INT64_MIN, INT64_MAX).value() ==
        std::vector<std::string>{"__name__", "instance", "zone"});
  CHECK((*db)->LabelValues(kTenant, "__name__", {}, INT64_MIN, INT64_MAX).value() ==
        std::vector<std::string>{"head_only", "node_load"});
  CHECK((*db)->LabelValues(kTenant, "instance", {}, INT64_MIN, INT64_MAX, 2).value() ==
        std::vector<std::string>{"host-0", "host-1"});
  const std::vector<Matcher> any_name = {M(MatchType::kRegexMatch, "__name__", ".+")};
  CHECK((*db)->CountSeries(kTenant, any_name, INT64_MIN, INT64_MAX).value() == kSeries + 1);
  // Another tenant sees none of it.
  CHECK((*db)->LabelNames(TenantId{9, 9}, {}, INT64_MIN, INT64_MAX).value().empty());
}

TEST_CASE("series and label names of the head count only inside the asked time range",
          "[storage][db][persist][unit]") {
  TempDir dir;
  auto db = Db::Open(PersistentOptions(dir.path()), nullptr);
  REQUIRE(db.ok());
  REQUIRE((*db)->Append(OneSeriesBatch(kTenant, {{"__name__", "later"}, {"zone", "a"}}, {{50'000, 1}, {60'000, 2}}))
              .ok());
  const std::vector<Matcher> any_name = {M(MatchType::kRegexMatch, "__name__", ".+")};
  // Before the first sample, and an inverted range: nothing.
  CHECK((*db)->SeriesLabels(kTenant, any_name, 10'000, 20'000).value().empty());
  CHECK((*db)->LabelNames(kTenant, {}, 10'000, 20'000).value().empty());
  CHECK((*db)->SeriesLabels(kTenant, any_name, 60'000, 50'000).value().empty());
  // Overlapping the samples, or reaching past the newest: the series.
  CHECK((*db)->SeriesLabels(kTenant, any_name, 10'000, 50'000).value().size() == 1);
  CHECK((*db)->SeriesLabels(kTenant, any_name, 55'000, 100'000).value().size() == 1);
  CHECK((*db)->CountSeries(kTenant, any_name, 60'001, 100'000).value() == 0);
}

}  // namespace
}  // namespace strata::storage

namespace strata::storage {
namespace {

// Polls the flush count: the triggers wake the background flush thread.
bool EventuallyFlushed(const Db& db) {
  for (int i = 0; i < 500 && db.Stats().flushes == 0; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  return db.Stats().flushes > 0;
}

TEST_CASE("a flush starts by itself when pending chunks or the WAL pass their limits",
          "[storage][db][persist][unit]") {
  TempDir dir;
  SECTION("pending chunk bytes") {
    DbOptions options = PersistentOptions(dir.path());
    options.flush_wal_bytes = 0;
    options.flush_pending_chunk_bytes = 512;  // a few sealed chunks
    auto db = Db::Open(options, nullptr);
    REQUIRE(db.ok());
    Written w;
    WriteBatches(**db, 0, 6, &w);  // 48 samples per series, chunks of 20
    CHECK(EventuallyFlushed(**db));
    CheckAllThere(**db, w);
  }
  SECTION("WAL bytes") {
    DbOptions options = PersistentOptions(dir.path());
    options.flush_pending_chunk_bytes = 0;
    options.flush_wal_bytes = 4096;
    auto db = Db::Open(options, nullptr);
    REQUIRE(db.ok());
    Written w;
    WriteBatches(**db, 0, 6, &w);
    CHECK(EventuallyFlushed(**db));
    CheckAllThere(**db, w);
  }
  SECTION("neither limit reached: no flush") {
    DbOptions options = PersistentOptions(dir.path());
    auto db = Db::Open(options, nullptr);  // defaults: 1 GiB WAL, 64 MiB chunks
    REQUIRE(db.ok());
    Written w;
    WriteBatches(**db, 0, 6, &w);
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    CHECK((*db)->Stats().flushes == 0);
  }
}

// The value of strata_storage_memory_bytes{part=`part`} in `registry`.
double MemoryGauge(prometheus::Registry& registry, const std::string& part) {
  for (const prometheus::MetricFamily& f : registry.Collect()) {
    if (f.name != "strata_storage_memory_bytes") continue;
    for (const prometheus::ClientMetric& m : f.metric) {
      if (m.label.size() == 1 && m.label[0].value == part) return m.gauge.value;
    }
  }
  FAIL("no strata_storage_memory_bytes{part=\"" << part << "\"}");
  return -1;
}

TEST_CASE("memory gauges follow the pending chunks, memtables and block cache", "[storage][db][persist][unit]") {
  TempDir dir;
  DbOptions options = PersistentOptions(dir.path());
  prometheus::Registry registry;
  auto db = Db::Open(options, &registry);
  REQUIRE(db.ok());
  Written w;
  // 10 batches of 8 samples per series seal chunks of 20: they wait in
  // memory for the flush.
  WriteBatches(**db, 0, 10, &w);
  (*db)->UpdateMemoryGauges();
  CHECK(MemoryGauge(registry, "pending_chunks") > 0);
  REQUIRE((*db)->Flush().ok());
  CheckAllThere(**db, w);  // reads SST blocks through the cache
  (*db)->UpdateMemoryGauges();
  CHECK(MemoryGauge(registry, "pending_chunks") == 0);
  CHECK(MemoryGauge(registry, "rocksdb_block_cache") > 0);
  CHECK(MemoryGauge(registry, "rocksdb_block_cache") <= static_cast<double>(options.block_cache_bytes));
  CHECK(MemoryGauge(registry, "rocksdb_table_readers") >= 0);
  // The engine's flush ends with RocksDB's memtables flushed to SST files;
  // writes after it sit in the memtables until RocksDB flushes them.
  const double memtables_before = MemoryGauge(registry, "rocksdb_memtables");
  RocksStore::Batch batch = (*db)->store()->NewBatch();
  constexpr int kChunks = 512;
  for (int i = 0; i < kChunks; ++i) {
    batch.PutChunk(1000 + static_cast<uint64_t>(i), testing::MakeChunk(0, 1000, std::string(1024, 'x')));
  }
  REQUIRE((*db)->store()->Write(std::move(batch), /*sync=*/false).ok());
  (*db)->UpdateMemoryGauges();
  const double memtables = MemoryGauge(registry, "rocksdb_memtables");
  CHECK(memtables >= memtables_before + kChunks * 1024);
  CHECK(memtables <= static_cast<double>(options.write_buffer_bytes));
  REQUIRE((*db)->Close().ok());
}

}  // namespace
}  // namespace strata::storage
