#include "storage/engine/db.h"

#include <prometheus/registry.h>
#include <prometheus/text_serializer.h>

#include <algorithm>
#include <atomic>
#include <bit>
#include <filesystem>
#include <fstream>
#include <random>
#include <thread>

#include "common/chunkenc/chunk_codec.h"
#include "common/chunkenc/xor_chunk.h"
#include "unit/storage/storage_test_util.h"

namespace strata::storage {
namespace {

// The samples of these tests are from 1970: keep them past the default
// retention (which would drop them at Open and at every flush).
DbOptions OldDataOptions() {
  DbOptions o;
  o.retention_ms = testing::kKeepForeverMs;
  return o;
}

using testing::M;
using testing::OneSeriesBatch;
using testing::TempDir;

struct Written {
  std::map<std::string, std::vector<Sample>> by_series;  // labels string -> samples
};

// Appends `batches` batches of 20 series x 10 samples with awkward values.
Written WriteSome(Db& db, int batches, uint64_t seed) {
  Written w;
  std::mt19937_64 rng(seed);
  for (int b = 0; b < batches; ++b) {
    WriteBatchBuilder builder(TenantId{3, 1});
    for (int s = 0; s < 20; ++s) {
      std::string inst = "host-" + std::to_string(s);
      std::vector<LabelView> labels = {{"__name__", "node_cpu"}, {"instance", inst}};
      std::vector<Sample> samples;
      for (int i = 0; i < 10; ++i) {
        int64_t t = (b * 10 + i) * 15000 + 1700000000000;
        double v;
        switch (rng() % 4) {
          case 0: v = StaleNaN(); break;
          case 1: v = std::bit_cast<double>(rng()); break;
          case 2: v = -0.0; break;
          default: v = static_cast<double>(rng() % 1000) / 10; break;
        }
        samples.push_back({t, v});
      }
      builder.AddSeries(labels, samples);
      auto& dst = w.by_series[Labels::FromViews(labels).ToString()];
      dst.insert(dst.end(), samples.begin(), samples.end());
    }
    REQUIRE(db.Append(builder.Finish()).ok());
  }
  return w;
}

void CheckAllThere(Db& db, const Written& w) {
  SearchRequest req;
  req.tenant = TenantId{3, 1};
  req.matchers = {M(MatchType::kEqual, "__name__", "node_cpu")};
  req.min_time_ms = INT64_MIN;
  req.max_time_ms = INT64_MAX;
  auto r = db.Search(req);
  REQUIRE(r.ok());
  REQUIRE(r->series.size() == w.by_series.size());
  for (const SeriesChunks& s : r->series) {
    std::vector<Sample> got;
    for (const ChunkData& c : s.chunks) REQUIRE(DecodeChunk(c.encoding, c.data, &got).ok());
    const auto& want = w.by_series.at(s.labels.ToString());
    REQUIRE(got.size() == want.size());
    for (size_t i = 0; i < got.size(); ++i) {
      INFO(s.labels.ToString() << " sample " << i);
      CHECK(SameBits(got[i], want[i]));
    }
  }
}

TEST_CASE("db reopened after close serves every sample bit-exact", "[storage][db][unit]") {
  TempDir dir;
  DbOptions options = OldDataOptions();
  options.data_path = dir.path();
  // WAL-only engine: everything comes back through replay (the persistent
  // engine's restart is covered by db_persist_test.cc).
  options.persistent = false;
  options.fsync_mode = DbOptions::kAlways;
  options.max_samples_per_chunk = 64;
  Written w;
  {
    auto db = Db::Open(options, nullptr);
    REQUIRE(db.ok());
    w = WriteSome(**db, 30, 1);
    CheckAllThere(**db, w);
    DbStats st = (*db)->Stats();
    CHECK(st.series == 20);
    CHECK(st.samples_appended == 30 * 200);
    CHECK(st.wal_records == 30);
    CHECK(st.wal_fsyncs >= 1);
    REQUIRE((*db)->Close().ok());
    CHECK((*db)->Append(OneSeriesBatch({}, {{"__name__", "a"}}, {{1, 1}})).code() ==
          absl::StatusCode::kUnavailable);
  }
  auto db = Db::Open(options, nullptr);
  REQUIRE(db.ok());
  CHECK((*db)->Stats().replayed_records == 30);
  CHECK((*db)->Stats().series == 20);
  CheckAllThere(**db, w);
  // The replayed head still enforces the out-of-order window: batch 0's
  // timestamps are now more than an hour older than each series' last one.
  WriteSome(**db, 1, 2);
  CHECK((*db)->Stats().too_old == 200);
}

TEST_CASE("db loses nothing acknowledged when the process dies without close", "[storage][db][unit]") {
  TempDir dir;
  for (auto mode : {DbOptions::kInterval, DbOptions::kAlways}) {
    std::string live = dir.path() + "/live" + std::to_string(mode);
    std::string crashed = dir.path() + "/crashed" + std::to_string(mode);
    DbOptions options = OldDataOptions();
    options.data_path = live;
    options.fsync_mode = mode;
    options.fsync_interval = std::chrono::milliseconds(60000);  // no background sync meanwhile
    auto db = Db::Open(options, nullptr);
    REQUIRE(db.ok());
    Written w = WriteSome(**db, 12, 7);
    // What kill -9 leaves behind is what the page cache holds now: copy it
    // while the Db is still open, then abandon the live one.
    testing::CopyLiveDataDir(live, crashed);
    options.data_path = crashed;
    auto reopened = Db::Open(options, nullptr);
    REQUIRE(reopened.ok());
    CHECK((*reopened)->Stats().wal_torn_tails == 0);
    CheckAllThere(**reopened, w);
  }
}

TEST_CASE("db replays everything before a torn tail left by a crash", "[storage][db][unit]") {
  TempDir dir;
  DbOptions options = OldDataOptions();
  options.data_path = dir.path();
  Written w;
  {
    auto db = Db::Open(options, nullptr);
    REQUIRE(db.ok());
    w = WriteSome(**db, 5, 3);
    REQUIRE((*db)->Close().ok());
  }
  // Half a record at the end of the newest segment.
  std::filesystem::path newest;
  for (const auto& e : std::filesystem::directory_iterator(dir.path() + "/wal")) {
    if (newest.empty() || e.path() > newest) newest = e.path();
  }
  {
    std::ofstream out(newest, std::ios::binary | std::ios::app);
    out << std::string("\xa7\xd1\x41\x57\xff\x00\x00\x00garbage", 15);
  }
  prometheus::Registry registry;
  auto db = Db::Open(options, &registry);
  REQUIRE(db.ok());
  CHECK((*db)->Stats().wal_torn_tails == 1);
  CheckAllThere(**db, w);
  std::string text = prometheus::TextSerializer().Serialize(registry.Collect());
  CHECK(text.find("strata_wal_torn_tails_truncated_total 1") != std::string::npos);
  // Close flushed everything to RocksDB, so the head starts empty; series
  // come back into it (under their ids) when written to again.
  CHECK(text.find("strata_storage_series 0") != std::string::npos);
  WriteSome(**db, 5, 3);
  text = prometheus::TextSerializer().Serialize(registry.Collect());
  CHECK(text.find("strata_storage_series 20") != std::string::npos);
  CHECK(text.find("strata_wal_fsync_duration_seconds_bucket") != std::string::npos);
}

TEST_CASE("db rejects a malformed batch without writing it", "[storage][db][unit]") {
  TempDir dir;
  DbOptions options = OldDataOptions();
  options.data_path = dir.path();
  auto db = Db::Open(options, nullptr);
  REQUIRE(db.ok());
  std::string good = OneSeriesBatch({}, {{"__name__", "a"}}, {{1, 1}, {2, 2}});
  CHECK((*db)->Append(good.substr(0, good.size() - 1)).code() == absl::StatusCode::kInvalidArgument);
  CHECK((*db)->Append("").code() == absl::StatusCode::kInvalidArgument);
  CHECK((*db)->Stats().wal_records == 0);
  CHECK((*db)->Append(good).ok());
  CHECK((*db)->Stats().wal_records == 1);
  CHECK_FALSE(Db::Open(DbOptions{}, nullptr).ok());
}

TEST_CASE("db appends concurrently with fsync always and all of it replays", "[storage][db][unit]") {
  TempDir dir;
  DbOptions options = OldDataOptions();
  options.data_path = dir.path();
  options.fsync_mode = DbOptions::kAlways;
  {
    auto db = Db::Open(options, nullptr);
    REQUIRE(db.ok());
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t) {
      threads.emplace_back([&, t] {
        for (int i = 0; i < 50; ++i) {
          std::string batch =
              OneSeriesBatch({}, {{"__name__", "c"}, {"t", std::to_string(t)}}, {{i * 1000, static_cast<double>(i)}});
          REQUIRE((*db)->Append(batch).ok());
        }
      });
    }
    for (auto& th : threads) th.join();
    CHECK((*db)->Stats().samples_appended == 200);
    CHECK((*db)->Stats().wal_fsyncs <= 200);
  }
  auto db = Db::Open(options, nullptr);
  REQUIRE(db.ok());
  SearchRequest req;
  req.matchers = {M(MatchType::kEqual, "__name__", "c")};
  req.min_time_ms = 0;
  req.max_time_ms = 1000000;
  auto r = (*db)->Search(req);
  REQUIRE(r.ok());
  REQUIRE(r->series.size() == 4);
  for (const auto& s : r->series) {
    std::vector<Sample> got;
    for (const auto& c : s.chunks) REQUIRE(DecodeChunk(c.encoding, c.data, &got).ok());
    CHECK(got.size() == 50);
  }
}

// All samples of series `name` in tenant 0, sorted by time, not deduplicated
// (a sample returned twice shows up twice).
std::vector<Sample> AllSamples(const Db& db, const std::string& name) {
  SearchRequest req;
  req.matchers = {M(MatchType::kEqual, "__name__", name)};
  req.min_time_ms = INT64_MIN;
  req.max_time_ms = INT64_MAX;
  auto r = db.Search(req);
  REQUIRE(r.ok());
  std::vector<Sample> got;
  if (r->series.empty()) return got;
  REQUIRE(r->series.size() == 1);
  for (const auto& c : r->series[0].chunks) REQUIRE(DecodeChunk(c.encoding, c.data, &got).ok());
  std::stable_sort(got.begin(), got.end(),
                   [](const Sample& a, const Sample& b) { return a.timestamp_ms < b.timestamp_ms; });
  return got;
}

TEST_CASE("db reports appended, out-of-order, duplicate and too-old samples to the caller", "[storage][db][unit]") {
  TempDir dir;
  DbOptions options = OldDataOptions();
  options.data_path = dir.path();
  options.out_of_order_window_ms = 60000;
  auto db = Db::Open(options, nullptr);
  REQUIRE(db.ok());
  AppendStats stats;
  REQUIRE((*db)->Append(OneSeriesBatch({}, {{"__name__", "a"}}, {{100000, 1}, {200000, 2}}), &stats).ok());
  CHECK(stats.samples_appended == 2);
  CHECK(stats.series_created == 1);
  // 150 s: late but inside the window; 200 s: duplicate; 10 s: too old.
  REQUIRE((*db)->Append(OneSeriesBatch({}, {{"__name__", "a"}}, {{150000, 3}, {200000, 2}, {10000, 4}}), &stats)
              .ok());
  CHECK(stats.samples_appended == 1);
  CHECK(stats.out_of_order == 1);
  CHECK(stats.duplicates == 1);
  CHECK(stats.too_old == 1);
  CHECK(stats.series_created == 0);
  // A failed append leaves no stale counts behind.
  CHECK((*db)->Append("garbage", &stats).code() == absl::StatusCode::kInvalidArgument);
  CHECK(stats.samples_appended == 0);
  CHECK(stats.too_old == 0);
  DbStats st = (*db)->Stats();
  CHECK(st.samples_appended == 3);
  CHECK(st.out_of_order == 1);
  CHECK(st.duplicates == 1);
  CHECK(st.too_old == 1);
  options.out_of_order_window_ms = -1;
  options.data_path = dir.path() + "/bad";
  CHECK(Db::Open(options, nullptr).status().code() == absl::StatusCode::kInvalidArgument);
}

TEST_CASE("db keeps out-of-order samples across a restart", "[storage][db][unit]") {
  TempDir dir;
  DbOptions options = OldDataOptions();
  options.data_path = dir.path();
  options.persistent = false;  // asserts replay decisions, see above
  options.max_samples_per_chunk = 16;
  std::vector<Sample> want;
  DbStats before;
  {
    auto db = Db::Open(options, nullptr);
    REQUIRE(db.ok());
    // In-order multiples of 10 s, then the 5 s offsets newest first.
    std::vector<Sample> in_order, late;
    for (int i = 0; i < 300; ++i) in_order.push_back({i * 10000, static_cast<double>(i)});
    for (int i = 299; i >= 0; --i) late.push_back({i * 10000 + 5000, -static_cast<double>(i)});
    REQUIRE((*db)->Append(OneSeriesBatch({}, {{"__name__", "a"}}, in_order)).ok());
    for (const Sample& s : late) REQUIRE((*db)->Append(OneSeriesBatch({}, {{"__name__", "a"}}, {s})).ok());
    want = in_order;
    want.insert(want.end(), late.begin(), late.end());
    std::sort(want.begin(), want.end(),
              [](const Sample& a, const Sample& b) { return a.timestamp_ms < b.timestamp_ms; });
    // 2995 s is newer than 2990 s; everything else is late, and within the
    // default 1 h window of the newest sample.
    before = (*db)->Stats();
    CHECK(before.out_of_order == 299);
    CHECK(before.too_old == 0);
    std::vector<Sample> got = AllSamples(**db, "a");
    REQUIRE(got.size() == want.size());
    for (size_t i = 0; i < got.size(); ++i) CHECK(SameBits(got[i], want[i]));
  }
  auto db = Db::Open(options, nullptr);
  REQUIRE(db.ok());
  // Replay goes through the same append path: same decisions, same samples.
  DbStats after = (*db)->Stats();
  CHECK(after.samples_appended == before.samples_appended);
  CHECK(after.out_of_order == before.out_of_order);
  CHECK(after.too_old == 0);
  std::vector<Sample> got = AllSamples(**db, "a");
  REQUIRE(got.size() == want.size());
  for (size_t i = 0; i < got.size(); ++i) CHECK(SameBits(got[i], want[i]));
}

TEST_CASE("db loses nothing when concurrent batches interleave the timestamps of one series",
          "[storage][db][unit]") {
  // Several remote_write connections carrying the same series: batches are
  // applied in completion order, so later timestamps often win the race.
  TempDir dir;
  DbOptions options = OldDataOptions();
  options.data_path = dir.path();
  options.fsync_mode = DbOptions::kAlways;
  constexpr int kThreads = 4, kPerThread = 150;
  std::atomic<int> failures{0};
  {
    auto db = Db::Open(options, nullptr);
    REQUIRE(db.ok());
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
      threads.emplace_back([&, t] {
        for (int i = 0; i < kPerThread; ++i) {
          int64_t ts = (i * kThreads + t) * 1000;
          std::string batch = OneSeriesBatch({}, {{"__name__", "shared"}}, {{ts, static_cast<double>(ts)}});
          if (!(*db)->Append(batch).ok()) failures.fetch_add(1);
        }
      });
    }
    for (auto& th : threads) th.join();
    CHECK(failures.load() == 0);
    DbStats st = (*db)->Stats();
    CHECK(st.samples_appended == kThreads * kPerThread);
    CHECK(st.too_old == 0);
    CHECK(st.duplicates == 0);
    std::vector<Sample> got = AllSamples(**db, "shared");
    REQUIRE(got.size() == kThreads * kPerThread);
    for (size_t i = 0; i < got.size(); ++i) CHECK(got[i].timestamp_ms == static_cast<int64_t>(i) * 1000);
  }
  // The WAL holds the batches in log order, which differs from the order
  // they were applied in: replay still ends with every sample.
  auto db = Db::Open(options, nullptr);
  REQUIRE(db.ok());
  std::vector<Sample> got = AllSamples(**db, "shared");
  REQUIRE(got.size() == kThreads * kPerThread);
  for (size_t i = 0; i < got.size(); ++i) CHECK(got[i].value == static_cast<double>(i) * 1000);
}

}  // namespace
}  // namespace strata::storage
