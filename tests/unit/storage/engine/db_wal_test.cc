// The engine's WAL records: series named by id with definitions only where
// needed (storage/head/wal_record.h), and their replay: definitions logged
// after use, ids only RocksDB knows, concurrent creators, corrupt records.
#include <prometheus/registry.h>
#include <prometheus/text_serializer.h>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <map>
#include <memory>
#include <thread>
#include <tuple>

#include "common/chunkenc/chunk_codec.h"
#include "common/model/series_batch.h"
#include "storage/engine/db.h"
#include "storage/head/series.h"
#include "storage/head/wal_record.h"
#include "storage/metrics/storage_metrics.h"
#include "storage/wal/wal.h"
#include "unit/storage/storage_test_util.h"
#include "unit/storage/engine/db_test_util.h"

namespace strata::storage {
namespace {

namespace fs = std::filesystem;
using testing::M;
using testing::OneSeriesBatch;
using testing::TempDir;

constexpr TenantId kTenant{9, 1};

// Every sample of the tenant's series, by labels, sorted by time with equal
// timestamps merged (what a select node does with the chunks).
std::map<std::string, std::vector<Sample>> ReadAll(const Db& db) {
  return testing::SearchAllSamples(db, kTenant, {M(MatchType::kRegexMatch, "__name__", ".+")});
}

using Written = std::map<std::string, std::vector<Sample>>;

void CheckAllThere(const Db& db, const Written& want) {
  auto got = ReadAll(db);
  REQUIRE(got.size() == want.size());
  for (const auto& [labels, samples] : want) {
    INFO(labels);
    REQUIRE(got.count(labels) == 1);
    std::vector<Sample> sorted = samples;
    std::sort(sorted.begin(), sorted.end(),
              [](const Sample& a, const Sample& b) { return a.timestamp_ms < b.timestamp_ms; });
    const auto& have = got.at(labels);
    REQUIRE(have.size() == sorted.size());
    for (size_t i = 0; i < sorted.size(); ++i) CHECK(SameBits(have[i], sorted[i]));
  }
}

// node_exporter-like label sets: ~100 bytes of labels a series.
std::vector<Labels> ScrapeSeries(int n) {
  std::vector<Labels> out;
  static const char* kModes[] = {"idle", "iowait", "irq", "nice", "softirq", "steal", "system", "user"};
  for (int i = 0; i < n; ++i) {
    out.push_back(Labels::FromUnsorted({{"__name__", "node_cpu_seconds_total"},
                                        {"cpu", std::to_string(i / 8)},
                                        {"mode", kModes[i % 8]},
                                        {"instance", "host-17.example.internal:9100"},
                                        {"job", "node"}}));
  }
  return out;
}

// One scrape of `series` at time `t`: float counters, integer counters and
// 0/1 gauges, like node_exporter's.
std::string Scrape(const std::vector<Labels>& series, int64_t t, Written* w) {
  WriteBatchBuilder b(kTenant);
  std::vector<LabelView> views;
  for (size_t i = 0; i < series.size(); ++i) {
    views.clear();
    for (const Label& l : series[i]) views.push_back({l.name, l.value});
    double v = i % 3 == 0 ? 1000.25 + static_cast<double>(t) / 997.0
                          : (i % 3 == 1 ? static_cast<double>(1'000'000'000 + t / 100) : static_cast<double>(t / 15000 % 2));
    Sample s{t, v};
    b.AddSeries(views, std::span<const Sample>(&s, 1));
    if (w != nullptr) (*w)[series[i].ToString()].push_back(s);
  }
  return b.Finish();
}

DbOptions Options(const std::string& path, bool persistent) {
  DbOptions o;
  o.data_path = path;
  o.persistent = persistent;
  o.flush_interval = std::chrono::milliseconds(0);
  o.flush_wal_bytes = 0;
  o.retention_ms = testing::kKeepForeverMs;
  o.block_cache_bytes = 8 << 20;
  o.write_buffer_bytes = 8 << 20;
  return o;
}

TEST_CASE("wal records of a steady node_exporter scrape take under 20 bytes a sample", "[storage][db][wal][unit]") {
  TempDir dir;
  for (bool persistent : {false, true}) {
    auto db = Db::Open(Options(dir.path() + (persistent ? "/p" : "/m"), persistent), nullptr);
    REQUIRE(db.ok());
    const std::vector<Labels> series = ScrapeSeries(500);
    Written w;
    // The first scrape defines its series: about the write batch's size.
    const std::string first = Scrape(series, 1'700'000'000'000, &w);
    REQUIRE((*db)->Append(first).ok());
    const uint64_t first_bytes = (*db)->Stats().wal_bytes;
    CHECK(first_bytes > first.size() / 2);
    // Later scrapes name the series by id.
    const std::string second = Scrape(series, 1'700'000'015'000, &w);
    REQUIRE((*db)->Append(second).ok());
    const double per_sample = static_cast<double>((*db)->Stats().wal_bytes - first_bytes) / 500;
    INFO("persistent " << persistent << ": " << per_sample << " WAL bytes/sample, write batch "
                       << static_cast<double>(second.size()) / 500);
    CHECK(per_sample < 20);
    CHECK(static_cast<double>(second.size()) / 500 > 5 * per_sample);  // what the WAL used to log
    if (persistent) {
      // Persisted series are never defined again: still small after a flush.
      REQUIRE((*db)->Flush().ok());
      const uint64_t before = (*db)->Stats().wal_bytes;
      REQUIRE((*db)->Append(Scrape(series, 1'700'000'030'000, &w)).ok());
      CHECK(static_cast<double>((*db)->Stats().wal_bytes - before) / 500 < 20);
    }
    CheckAllThere(**db, w);
    REQUIRE((*db)->Close().ok());
    db->reset();  // releases RocksDB's lock
    auto reopened = Db::Open(Options(dir.path() + (persistent ? "/p" : "/m"), persistent), nullptr);
    REQUIRE(reopened.ok());
    CheckAllThere(**reopened, w);
  }
}

// Writes hand-made samples records straight into `data_path`'s WAL, as a
// crashed engine could have left them.
class RecordWriter {
 public:
  struct Entry {
    uint64_t id;
    Labels labels;
    std::vector<Sample> samples;
    bool define;
  };
  static std::string Encode(const std::vector<Entry>& entries) {
    std::vector<std::shared_ptr<MemSeries>> series;
    HeadBatch batch;
    batch.tenant = kTenant;
    for (const Entry& e : entries) {
      series.push_back(MemSeries::Create(e.id, e.id, kTenant, 0, PackLabels(e.labels)));
      HeadBatch::Series& s = batch.AddSeries(e.samples);
      s.series = series.back().get();
      s.define = e.define;
      s.label_count = static_cast<uint32_t>(e.labels.size());
      s.packed_labels = s.series->packed_labels();
    }
    std::string out;
    EncodeWalRecord(batch, &out);
    return out;
  }
  // Appends raw payloads as WAL records (a fresh segment).
  static void Write(const std::string& data_path, const std::vector<std::string>& payloads) {
    prometheus::Registry registry;
    StorageMetrics metrics(registry);
    auto wal = Wal::Open({.dir = data_path + "/wal"}, metrics, [](std::string_view) {});
    REQUIRE(wal.ok());
    for (const std::string& p : payloads) REQUIRE((*wal)->Append(p).ok());
    REQUIRE((*wal)->Close().ok());
  }
  // Every record payload of the WAL, in order.
  static std::vector<std::string> ReadAll(const std::string& data_path) {
    prometheus::Registry registry;
    StorageMetrics metrics(registry);
    std::vector<std::string> out;
    auto wal = Wal::Open({.dir = data_path + "/wal"}, metrics, [&](std::string_view r) { out.emplace_back(r); });
    REQUIRE(wal.ok());
    REQUIRE((*wal)->Close().ok());
    return out;
  }
};

TEST_CASE("a subset of an insert SeriesBatch keeps each series' own samples, in the head and the wal",
          "[storage][db][wal][unit]") {
  // `strata all` hands the storage engine the insert side's batch as it
  // is: the head reads each series' samples where the batch holds them, and
  // the WAL record is encoded from the same ranges.
  TempDir dir;
  SeriesBatch batch(kTenant);
  const std::vector<std::pair<std::string, std::vector<Sample>>> series = {
      {"a", {{1000, 1.0}, {2000, 2.0}, {3000, 3.0}}}, {"b", {{1000, 10.0}}}, {"c", {{1500, 0.5}, {2500, 0.25}}}};
  for (const auto& [name, samples] : series) {
    const std::vector<LabelView> labels = {{"__name__", name}, {"job", "node"}};
    batch.AddSeries(labels, samples);
  }
  const Written want = {{"a{job=\"node\"}", series[0].second}, {"c{job=\"node\"}", series[2].second}};
  const std::vector<uint32_t> subset = {2, 0};  // out of order, "b" left out
  DbOptions options = Options(dir.path(), /*persistent=*/false);
  {
    auto db = Db::Open(options, nullptr);
    REQUIRE(db.ok());
    AppendStats stats;
    REQUIRE((*db)->AppendSeries(batch, subset, &stats).ok());
    CHECK(stats.samples_appended == 5);
    CheckAllThere(**db, want);
    REQUIRE((*db)->Close().ok());
  }
  auto db = Db::Open(options, nullptr);  // the WAL alone brings them back
  REQUIRE(db.ok());
  CheckAllThere(**db, want);
}

TEST_CASE("wal replay applies samples logged before their series' definition, in log order",
          "[storage][db][wal][unit]") {
  TempDir dir;
  const Labels a = Labels::FromUnsorted({{"__name__", "a"}});
  const Labels b = Labels::FromUnsorted({{"__name__", "b"}});
  const Labels lost = Labels::FromUnsorted({{"__name__", "lost"}});
  // Two appends raced on new series "a" (id 7): the one that did not define
  // it was logged first. Id 9's definition is in no surviving record.
  RecordWriter::Write(dir.path(),
                      {RecordWriter::Encode({{7, a, {{1000, 1.0}, {2000, 2.0}}, false},
                                             {8, b, {{1000, 10.0}}, true},
                                             {9, lost, {{1000, 5.0}}, false}}),
                       RecordWriter::Encode({{9, lost, {{2000, 6.0}}, false}, {7, a, {{2500, 2.5}}, false}}),
                       RecordWriter::Encode({{7, a, {{3000, 3.0}}, true}, {8, b, {{2000, 20.0}}, false}}),
                       "\x02garbage that is not a samples record"});
  DbOptions options = Options(dir.path(), /*persistent=*/false);
  prometheus::Registry registry;
  {
    auto db = Db::Open(options, &registry);
    REQUIRE(db.ok());
    CHECK((*db)->Stats().replayed_records == 4);
    CHECK((*db)->Stats().wal_corrupt_records == 1);
    CHECK((*db)->Stats().series == 2);
    CheckAllThere(**db, {{a.ToString(), {{1000, 1.0}, {2000, 2.0}, {2500, 2.5}, {3000, 3.0}}},
                         {b.ToString(), {{1000, 10.0}, {2000, 20.0}}}});
    // Replay order decides out-of-order: "a" got 2500 after 2000, in order.
    CHECK((*db)->Stats().out_of_order == 0);
    const std::string text = prometheus::TextSerializer().Serialize(registry.Collect());
    CHECK(text.find("strata_wal_corrupt_records_total 1") != std::string::npos);
    // A new series never takes an id the log used, lost ones included.
    REQUIRE((*db)->Append(OneSeriesBatch(kTenant, {{"__name__", "c"}}, {{4000, 4.0}})).ok());
    REQUIRE((*db)->Close().ok());
  }
  const std::vector<std::string> records = RecordWriter::ReadAll(dir.path());
  REQUIRE(records.size() == 5);
  WalRecord last;
  REQUIRE(DecodeWalRecord(records.back(), &last).ok());
  REQUIRE(last.definitions.size() == 1);
  CHECK(last.definitions[0].id > 9);
  CHECK(Labels::FromViews(last.labels_of(last.definitions[0])) == Labels::FromUnsorted({{"__name__", "c"}}));
}

TEST_CASE("wal replay resolves ids that only RocksDB knows after a flush and an eviction",
          "[storage][db][wal][persist][unit]") {
  TempDir dir;
  const std::string live = dir.path() + "/live";
  DbOptions options = Options(live, /*persistent=*/true);
  auto db = Db::Open(options, nullptr);
  REQUIRE(db.ok());
  const std::vector<Labels> series = ScrapeSeries(40);
  const std::vector<Labels> one(series.begin(), series.begin() + 1);
  Written w;
  int64_t t = 1'700'000'000'000;
  for (int i = 0; i < 5; ++i, t += 15000) REQUIRE((*db)->Append(Scrape(series, t, &w)).ok());
  REQUIRE((*db)->Flush().ok());  // every series and its definition now in RocksDB
  // Only the first series is active through the next flush: the rest are
  // evicted, then come back from RocksDB when written to again.
  REQUIRE((*db)->Append(Scrape(one, t, &w)).ok());
  t += 15000;
  REQUIRE((*db)->Flush().ok());
  CHECK((*db)->Stats().evicted_series == series.size() - 1);
  const uint64_t before = (*db)->Stats().wal_bytes;
  for (int i = 0; i < 4; ++i, t += 15000) REQUIRE((*db)->Append(Scrape(series, t, &w)).ok());
  // Named by id alone: no definition in these records.
  CHECK(static_cast<double>((*db)->Stats().wal_bytes - before) / (4 * 40) < 20);
  // kill -9 leaves what the page cache holds: copy while open.
  const std::string crashed = dir.path() + "/crashed";
  testing::CopyLiveDataDir(live, crashed);
  auto reopened = Db::Open(Options(crashed, true), nullptr);
  REQUIRE(reopened.ok());
  CHECK((*reopened)->Stats().replayed_records == 4);
  CHECK((*reopened)->Stats().wal_corrupt_records == 0);
  CHECK((*reopened)->Stats().series == series.size());
  CheckAllThere(**reopened, w);
  // The replayed series kept their ids: flushing creates no new series, and
  // a second restart still reads everything.
  REQUIRE((*reopened)->Flush().ok());
  REQUIRE((*reopened)->Close().ok());
  reopened->reset();  // releases RocksDB's lock
  auto again = Db::Open(Options(crashed, true), nullptr);
  REQUIRE(again.ok());
  CheckAllThere(**again, w);
  REQUIRE((*db)->Close().ok());
}

TEST_CASE("concurrent appenders creating the same new series lose nothing across a crash",
          "[storage][db][wal][unit]") {
  TempDir dir;
  for (bool persistent : {false, true}) {
    const std::string live = dir.path() + (persistent ? "/live-p" : "/live-m");
    DbOptions options = Options(live, persistent);
    options.fsync_mode = DbOptions::kAlways;
    options.wal_segment_size = 16 << 10;
    auto db = Db::Open(options, nullptr);
    REQUIRE(db.ok());
    constexpr int kThreads = 4, kBatches = 60, kSeries = 30;
    std::atomic<int> failures{0};
    std::atomic<bool> done{false};
    // Flushes meanwhile (persistent only): series get persisted while other
    // appends still define them, and the WAL is truncated under them.
    std::thread flusher([&] {
      while (persistent && !done.load()) {
        if (!(*db)->Flush().ok()) failures.fetch_add(1);
        std::this_thread::sleep_for(std::chrono::milliseconds(3));
      }
    });
    std::vector<std::thread> threads;
    for (int th = 0; th < kThreads; ++th) {
      threads.emplace_back([&, th] {
        for (int i = 0; i < kBatches; ++i) {
          WriteBatchBuilder b(kTenant);
          // New series keep appearing: batch i adds series i/2.
          for (int s = 0; s <= std::min(kSeries - 1, i / 2); ++s) {
            const std::string value = std::to_string(s);
            std::vector<LabelView> labels = {{"__name__", "shared"}, {"s", value}};
            const int64_t ts = static_cast<int64_t>(i * kThreads + th) * 1000;
            Sample x{ts, static_cast<double>(ts) + s};
            b.AddSeries(labels, std::span<const Sample>(&x, 1));
          }
          if (!(*db)->Append(b.Finish()).ok()) failures.fetch_add(1);
        }
      });
    }
    for (auto& t : threads) t.join();
    done = true;
    flusher.join();
    CHECK(failures.load() == 0);
    Written w;
    for (int s = 0; s < kSeries; ++s) {
      auto& v = w[Labels::FromUnsorted({{"__name__", "shared"}, {"s", std::to_string(s)}}).ToString()];
      for (int i = 2 * s; i < kBatches; ++i) {
        for (int th = 0; th < kThreads; ++th) {
          const int64_t ts = static_cast<int64_t>(i * kThreads + th) * 1000;
          v.push_back({ts, static_cast<double>(ts) + s});
        }
      }
    }
    CHECK((*db)->Stats().too_old == 0);
    CheckAllThere(**db, w);
    const std::string crashed = live + "-crashed";
    testing::CopyLiveDataDir(live, crashed);
    options.data_path = crashed;
    auto reopened = Db::Open(options, nullptr);
    REQUIRE(reopened.ok());
    CHECK((*reopened)->Stats().wal_corrupt_records == 0);
    CheckAllThere(**reopened, w);
    REQUIRE((*db)->Close().ok());
  }
}

TEST_CASE("a crc-valid wal record that does not decode is skipped and counted", "[storage][db][wal][unit]") {
  TempDir dir;
  DbOptions options = Options(dir.path(), /*persistent=*/false);
  const std::vector<Labels> series = ScrapeSeries(10);
  Written w;
  {
    auto db = Db::Open(options, nullptr);
    REQUIRE(db.ok());
    REQUIRE((*db)->Append(Scrape(series, 1000, &w)).ok());
    REQUIRE((*db)->Close().ok());
  }
  // A truncated samples record, an unknown type, a write batch cut short.
  std::string good = RecordWriter::Encode({{1, series[0], {{2000, 1.0}, {3000, 2.0}}, false}});
  std::string batch = OneSeriesBatch(kTenant, {{"__name__", "x"}}, {{1, 1}});
  RecordWriter::Write(dir.path(), {good.substr(0, good.size() - 3), "\x7fwhat", batch.substr(0, batch.size() - 1)});
  {
    auto db = Db::Open(options, nullptr);
    REQUIRE(db.ok());
    CHECK((*db)->Stats().wal_corrupt_records == 3);
    CheckAllThere(**db, w);
    // The log stays usable after them.
    REQUIRE((*db)->Append(Scrape(series, 4000, &w)).ok());
    REQUIRE((*db)->Close().ok());
  }
  auto db = Db::Open(options, nullptr);
  REQUIRE(db.ok());
  CHECK((*db)->Stats().wal_corrupt_records == 3);
  CheckAllThere(**db, w);
}

TEST_CASE("whole write batches in the wal, as older logs hold them, still replay", "[storage][db][wal][unit]") {
  TempDir dir;
  RecordWriter::Write(dir.path(), {OneSeriesBatch(kTenant, {{"__name__", "old"}}, {{1000, 1.0}, {2000, 2.0}})});
  auto db = Db::Open(Options(dir.path(), false), nullptr);
  REQUIRE(db.ok());
  REQUIRE((*db)->Append(OneSeriesBatch(kTenant, {{"__name__", "old"}}, {{3000, 3.0}})).ok());
  const std::string old = Labels::FromUnsorted({{"__name__", "old"}}).ToString();
  CheckAllThere(**db, {{old, {{1000, 1.0}, {2000, 2.0}, {3000, 3.0}}}});
  REQUIRE((*db)->Close().ok());
  auto reopened = Db::Open(Options(dir.path(), false), nullptr);
  REQUIRE(reopened.ok());
  CheckAllThere(**reopened, {{old, {{1000, 1.0}, {2000, 2.0}, {3000, 3.0}}}});
}

}  // namespace
}  // namespace strata::storage
