#include "storage/index/rocks_store.h"

#include <algorithm>
#include <fstream>
#include <limits>
#include <map>
#include <random>
#include <tuple>

#include "common/chunkenc/chunk_codec.h"

#include "storage/index/time_partition.h"
#include "unit/storage/storage_test_util.h"

namespace strata::storage {
namespace {

using testing::TempDir;

Labels L(std::vector<Label> l) { return Labels::FromUnsorted(std::move(l)); }


TEST_CASE("series written in a batch can be looked up by labels and by id", "[storage][index][unit]") {
  TempDir dir;
  auto store = testing::MustOpenStore(dir.path() + "/db");
  const Labels a = L({{"__name__", "up"}, {"job", "node"}, {"instance", "h1"}});
  const Labels b = L({{"__name__", "up"}, {"job", "node"}, {"instance", "h2"}});
  RocksStore::Batch batch = store->NewBatch();
  batch.PutSeries(7, TenantId{1, 2}, a);
  batch.PutSeries(8, TenantId{1, 2}, b);
  batch.PutSeries(9, TenantId{3, 0}, a);
  batch.SetNextSeriesId(10);
  REQUIRE(batch.num_series() == 3);
  REQUIRE(store->Write(std::move(batch), true).ok());

  CHECK(store->LookupSeriesId(TenantId{1, 2}, a).value() == 7);
  CHECK(store->LookupSeriesId(TenantId{1, 2}, b).value() == 8);
  CHECK(store->LookupSeriesId(TenantId{3, 0}, a).value() == 9);
  CHECK(store->LookupSeriesId(TenantId{3, 0}, b).status().code() == absl::StatusCode::kNotFound);

  auto rec = store->GetSeries(8);
  REQUIRE(rec.ok());
  CHECK(rec->tenant == TenantId{1, 2});
  CHECK(rec->labels == b);
  CHECK(store->GetSeries(99).status().code() == absl::StatusCode::kNotFound);
  CHECK(store->next_series_id() == 10);
}

TEST_CASE("label values containing arbitrary bytes round-trip through series_labels", "[storage][index][unit]") {
  TempDir dir;
  auto store = testing::MustOpenStore(dir.path() + "/db");
  const Labels odd = L({{"__name__", "x"}, {"path", std::string("a\xff\x01 \"q\"\n", 9)}});
  RocksStore::Batch batch = store->NewBatch();
  batch.PutSeries(1, TenantId{}, odd);
  REQUIRE(store->Write(std::move(batch), false).ok());
  CHECK(store->GetSeries(1)->labels == odd);
  CHECK(store->LookupSeriesId(TenantId{}, odd).value() == 1);
}

TEST_CASE("postings list the ids of a label pair in increasing order, per tenant", "[storage][index][unit]") {
  TempDir dir;
  auto store = testing::MustOpenStore(dir.path() + "/db");
  std::mt19937_64 rng(42);
  std::vector<uint64_t> ids;
  for (uint64_t i = 0; i < 300; ++i) ids.push_back(rng() % (1ull << 40) + (i % 3 == 0 ? (1ull << 56) : 0));
  std::sort(ids.begin(), ids.end());
  ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
  std::vector<uint64_t> shuffled = ids;
  std::shuffle(shuffled.begin(), shuffled.end(), rng);

  RocksStore::Batch batch = store->NewBatch();
  std::vector<uint64_t> job_a;
  for (size_t i = 0; i < shuffled.size(); ++i) {
    const std::string job = i % 2 == 0 ? "a" : "ab";  // "a" is a prefix of "ab"
    batch.PutSeries(shuffled[i], TenantId{5, 5}, L({{"__name__", "m"}, {"job", job}, {"i", std::to_string(i)}}));
    if (job == "a") job_a.push_back(shuffled[i]);
  }
  // Same labels in another tenant must not leak into tenant 5:5.
  batch.PutSeries(1, TenantId{5, 6}, L({{"__name__", "m"}, {"job", "a"}}));
  REQUIRE(store->Write(std::move(batch), false).ok());
  std::sort(job_a.begin(), job_a.end());

  auto all = store->Postings(kGlobalScope, TenantId{5, 5}, "__name__", "m");
  REQUIRE(all.ok());
  CHECK(*all == ids);
  CHECK(store->Postings(kGlobalScope, TenantId{5, 5}, "job", "a").value() == job_a);
  CHECK(store->Postings(kGlobalScope, TenantId{5, 6}, "job", "a").value() == std::vector<uint64_t>{1});
  CHECK(store->Postings(kGlobalScope, TenantId{5, 5}, "job", "zzz").value().empty());

  // Early stop.
  int seen = 0;
  REQUIRE(store->ForEachPosting(kGlobalScope, TenantId{5, 5}, "__name__", "m", [&](uint64_t) { return ++seen < 5; })
              .ok());
  CHECK(seen == 5);
}

TEST_CASE("label values of a name are distinct and sorted", "[storage][index][unit]") {
  TempDir dir;
  auto store = testing::MustOpenStore(dir.path() + "/db");
  RocksStore::Batch batch = store->NewBatch();
  uint64_t id = 1;
  for (const char* v : {"b", "a", "ab", "a", "c", "b"}) {
    batch.PutSeries(id, TenantId{}, L({{"__name__", "m"}, {"k", v}, {"n", std::to_string(id)}}));
    ++id;
  }
  batch.PutSeries(id++, TenantId{}, L({{"__name__", "m"}, {"k2", "zz"}}));  // "k" is a prefix of "k2"
  batch.PutSeries(id++, TenantId{1, 0}, L({{"__name__", "m"}, {"k", "other-tenant"}}));
  REQUIRE(store->Write(std::move(batch), false).ok());
  CHECK(store->LabelValues(kGlobalScope, TenantId{}, "k").value() == std::vector<std::string>{"a", "ab", "b", "c"});
  CHECK(store->LabelValues(kGlobalScope, TenantId{}, "k2").value() == std::vector<std::string>{"zz"});
  CHECK(store->LabelValues(kGlobalScope, TenantId{}, "__name__").value() == std::vector<std::string>{"m"});
  CHECK(store->LabelValues(kGlobalScope, TenantId{}, "none").value().empty());
  CHECK(store->LabelValues(kGlobalScope, TenantId{1, 0}, "k").value() == std::vector<std::string>{"other-tenant"});
}

TEST_CASE("all series of a tenant are listed with their ids and labels", "[storage][index][unit]") {
  TempDir dir;
  auto store = testing::MustOpenStore(dir.path() + "/db");
  RocksStore::Batch batch = store->NewBatch();
  std::map<uint64_t, Labels> want;
  for (uint64_t i = 1; i <= 50; ++i) {
    Labels l = L({{"__name__", i % 2 ? "up" : "down"}, {"instance", "host-" + std::to_string(i)}});
    batch.PutSeries(i, TenantId{9, 9}, l);
    want[i] = l;
  }
  batch.PutSeries(100, TenantId{9, 10}, L({{"__name__", "up"}}));
  REQUIRE(store->Write(std::move(batch), false).ok());

  std::map<uint64_t, Labels> got;
  std::vector<Labels> order;
  REQUIRE(store->ForEachSeries(TenantId{9, 9}, [&](const SeriesRecord& r) {
    CHECK(r.tenant == TenantId{9, 9});
    got[r.id] = r.labels;
    order.push_back(r.labels);
    return true;
  }).ok());
  CHECK(got == want);
  CHECK(std::is_sorted(order.begin(), order.end(),
                       [](const Labels& a, const Labels& b) { return a.Canonical() < b.Canonical(); }));

  std::vector<uint64_t> ids;
  REQUIRE(store->ForEachSeriesById([&](const SeriesRecord& r) {
    ids.push_back(r.id);
    return true;
  }).ok());
  CHECK(ids.size() == 51);
  CHECK(std::is_sorted(ids.begin(), ids.end()));
}

TEST_CASE("chunk range reads return overlapping chunks in time order, negative times included",
          "[storage][index][unit]") {
  TempDir dir;
  auto store = testing::MustOpenStore(dir.path() + "/db");
  RocksStore::Batch batch = store->NewBatch();
  // Chunks of series 3: [-3000,-1001], [-1000,999], [1000,2999], an
  // out-of-order one sharing min_time 1000 with [1000,1500], and [3000,3000].
  batch.PutChunk(3, testing::MakeChunk(1000, 2999, "c"));
  batch.PutChunk(3, testing::MakeChunk(-3000, -1001, "a"));
  batch.PutChunk(3, testing::MakeChunk(-1000, 999, "b"));
  batch.PutChunk(3, testing::MakeChunk(1000, 1500, "ooo"));
  batch.PutChunk(3, testing::MakeChunk(3000, 3000, "d"));
  batch.PutChunk(2, testing::MakeChunk(0, 10, "other series"));
  batch.PutChunk(4, testing::MakeChunk(-5, 10, "other series"));
  REQUIRE(batch.num_chunks() == 7);
  REQUIRE(store->Write(std::move(batch), true).ok());

  auto read = [&](int64_t mint, int64_t maxt) {
    std::vector<ChunkData> out;
    REQUIRE(store->ReadChunks(3, mint, maxt, &out).ok());
    std::vector<std::string> data;
    for (size_t i = 0; i < out.size(); ++i) {
      data.push_back(out[i].data);
      CHECK(out[i].max_time_ms >= mint);
      CHECK(out[i].min_time_ms <= maxt);
      if (i > 0) CHECK(out[i - 1].min_time_ms <= out[i].min_time_ms);
    }
    return data;
  };
  constexpr int64_t kMin = std::numeric_limits<int64_t>::min();
  constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
  auto all = read(kMin, kMax);
  REQUIRE(all.size() == 5);
  CHECK(all[0] == "a");
  CHECK(all[1] == "b");
  CHECK(((all[2] == "c" && all[3] == "ooo") || (all[2] == "ooo" && all[3] == "c")));
  CHECK(all[4] == "d");
  CHECK(read(-2000, -1500) == std::vector<std::string>{"a"});
  CHECK(read(-1001, -1000) == std::vector<std::string>{"a", "b"});
  CHECK(read(-999, 0) == std::vector<std::string>{"b"});
  // 2000 lies inside [1000,2999] only: the seek must start before 2000.
  CHECK(read(2000, 2500) == std::vector<std::string>{"c"});
  CHECK(read(3000, kMax).size() == 1);
  CHECK(read(3001, kMax).empty());
  CHECK(read(kMin, -3001).empty());
  CHECK(read(10, 5).empty());

  std::vector<ChunkData> out;
  REQUIRE(store->ReadChunks(3, 2500, 2500, &out).ok());
  REQUIRE(out.size() == 1);
  CHECK(out[0].min_time_ms == 1000);
  CHECK(out[0].max_time_ms == 2999);
  CHECK(out[0].encoding == ChunkEncoding::kXor);
}

TEST_CASE("a long chunk written later is still found by reads starting inside it", "[storage][index][unit]") {
  TempDir dir;
  auto store = testing::MustOpenStore(dir.path() + "/db");
  RocksStore::Batch b1 = store->NewBatch();
  b1.PutChunk(1, testing::MakeChunk(0, 10, "short"));
  REQUIRE(store->Write(std::move(b1), false).ok());
  RocksStore::Batch b2 = store->NewBatch();
  b2.PutChunk(1, testing::MakeChunk(100, 1'000'000, "long"));
  REQUIRE(store->Write(std::move(b2), false).ok());
  std::vector<ChunkData> out;
  REQUIRE(store->ReadChunks(1, 999'999, 999'999, &out).ok());
  REQUIRE(out.size() == 1);
  CHECK(out[0].data == "long");
}

TEST_CASE("chunks of one scrape store their timestamp section once and read back whole", "[storage][index][unit]") {
  TempDir dir;
  const std::string path = dir.path() + "/db";
  auto store = testing::MustOpenStore(path);
  std::mt19937_64 rng(3);
  std::vector<Sample> a, b, other;
  for (int i = 0; i < 240; ++i) {
    const int64_t t = 1700000000000 + i * 15000 + static_cast<int64_t>(rng() % 5);  // scrape jitter
    a.push_back({t, static_cast<double>(i)});
    b.push_back({t, 0.5 * i});
    other.push_back({t + 7, 1.0});  // another target's timestamps
  }
  auto split = [](const std::vector<Sample>& samples) {
    ChunkData c;
    c.min_time_ms = samples.front().timestamp_ms;
    c.max_time_ms = samples.back().timestamp_ms;
    c.encoding = ChunkEncoding::kSplit;
    c.data = EncodeSplitChunk(samples);
    return c;
  };
  const ChunkData ca = split(a), cb = split(b), cother = split(other);
  RocksStore::Batch batch = store->NewBatch();
  for (const auto& [id, c, share] : {std::tuple{1, ca, true}, std::tuple{2, cb, true}, std::tuple{3, cother, false}}) {
    batch.PutChunk(id, c.min_time_ms, c.max_time_ms, c.encoding, c.data, share);
  }
  // An XOR chunk asked to share has no section to share: stored as it is.
  batch.PutChunk(4, 0, 10, ChunkEncoding::kXor, "xor bytes", true);
  REQUIRE(store->Write(std::move(batch), false).ok());
  CHECK(store->num_timestamp_sections_estimate() == 1);

  auto read_back = [&](uint64_t id) {
    std::vector<ChunkData> out;
    REQUIRE(store->ReadChunks(id, std::numeric_limits<int64_t>::min(), std::numeric_limits<int64_t>::max(), &out).ok());
    REQUIRE(out.size() == 1);
    return out[0];
  };
  for (int pass = 0; pass < 2; ++pass) {
    INFO("pass " << pass);
    CHECK(read_back(1).data == ca.data);
    CHECK(read_back(2).data == cb.data);
    CHECK(read_back(3).data == cother.data);
    CHECK(read_back(4).data == "xor bytes");
    std::vector<Sample> samples;
    REQUIRE(DecodeChunk(ChunkEncoding::kSplit, read_back(2).data, &samples).ok());
    REQUIRE(samples.size() == b.size());
    for (size_t i = 0; i < b.size(); ++i) CHECK(SameBits(samples[i], b[i]));
    store.reset();
    store = testing::MustOpenStore(path);
  }
}

TEST_CASE("reopening the store keeps series, postings, chunks and meta", "[storage][index][unit]") {
  TempDir dir;
  const std::string path = dir.path() + "/db";
  const Labels a = L({{"__name__", "up"}, {"job", "x"}});
  {
    auto store = testing::MustOpenStore(path);
    RocksStore::Batch batch = store->NewBatch();
    batch.PutSeries(41, TenantId{1, 1}, a);
    batch.PutChunk(41, testing::MakeChunk(-100, 5'000'000, "payload"));
    batch.SetNextSeriesId(42);
    batch.SetWalCheckpoint(17);
    REQUIRE(store->Write(std::move(batch), true).ok());
  }
  {
    auto store = testing::MustOpenStore(path);
    CHECK(store->next_series_id() == 42);
    CHECK(store->wal_checkpoint() == 17);
    CHECK(store->LookupSeriesId(TenantId{1, 1}, a).value() == 41);
    CHECK(store->GetSeries(41)->labels == a);
    CHECK(store->Postings(kGlobalScope, TenantId{1, 1}, "job", "x").value() == std::vector<uint64_t>{41});
    std::vector<ChunkData> out;
    // The max chunk span is persisted too: a read in the middle finds it.
    REQUIRE(store->ReadChunks(41, 4'000'000, 4'000'001, &out).ok());
    REQUIRE(out.size() == 1);
    CHECK(out[0].data == "payload");
    CHECK(out[0].min_time_ms == -100);
    CHECK(out[0].max_time_ms == 5'000'000);
    // A chunk with the same min_time after reopen gets a fresh key.
    RocksStore::Batch batch = store->NewBatch();
    batch.PutChunk(41, testing::MakeChunk(-100, 0, "second"));
    batch.SetNextSeriesId(5);  // smaller: ignored
    REQUIRE(store->Write(std::move(batch), true).ok());
    CHECK(store->next_series_id() == 42);
  }
  auto store = testing::MustOpenStore(path);
  std::vector<ChunkData> out;
  REQUIRE(store->ReadChunks(41, -100, -100, &out).ok());
  CHECK(out.size() == 2);
  CHECK(store->CompactAll().ok());
  out.clear();
  REQUIRE(store->ReadChunks(41, -100, -100, &out).ok());
  CHECK(out.size() == 2);
}

TEST_CASE("opening a store on a path that is a file fails with a clear error", "[storage][index][unit]") {
  TempDir dir;
  const std::string path = dir.path() + "/file";
  { std::ofstream(path) << "x"; }
  auto store = RocksStore::Open({.path = path});
  REQUIRE_FALSE(store.ok());
  CHECK(std::string(store.status().message()).find(path) != std::string::npos);
  CHECK(RocksStore::Open({}).status().code() == absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace strata::storage
