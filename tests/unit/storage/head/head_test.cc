#include "storage/head/head.h"

#include <fmt/format.h>
#include <prometheus/registry.h>

#include <algorithm>
#include <random>
#include <thread>

#include "common/chunkenc/xor_chunk.h"
#include "storage/metrics/storage_metrics.h"
#include "unit/storage/storage_test_util.h"

namespace strata::storage {
namespace {

using testing::M;
using testing::OneSeriesBatch;

constexpr int64_t kHour = 3600 * 1000;

struct HeadFixture {
  prometheus::Registry registry;
  StorageMetrics metrics{registry};
  Head head;
  explicit HeadFixture(HeadOptions options = {}) : head(options, metrics, std::make_unique<MemChunkStore>()) {}

  AppendStats Add(std::vector<LabelView> labels, std::vector<Sample> samples, TenantId tenant = {}) {
    std::string batch = OneSeriesBatch(tenant, labels, samples);
    REQUIRE(ValidateWriteBatch(batch).ok());
    AppendStats stats;
    REQUIRE(head.Append(batch, &stats).ok());
    return stats;
  }

  SearchResult Select(std::vector<Matcher> matchers, int64_t mint = INT64_MIN, int64_t maxt = INT64_MAX,
                      TenantId tenant = {}, uint64_t max_series = 0) {
    SearchRequest req;
    req.tenant = tenant;
    req.matchers = std::move(matchers);
    req.min_time_ms = mint;
    req.max_time_ms = maxt;
    req.max_series = max_series;
    auto r = head.Select(req);
    REQUIRE(r.ok());
    return *r;
  }

  std::vector<std::string> Names(std::vector<Matcher> matchers) {
    std::vector<std::string> out;
    for (const auto& s : Select(std::move(matchers)).series) out.push_back(s.labels.ToString());
    return out;
  }
};

std::vector<Sample> Decode(const SeriesChunks& s) {
  std::vector<Sample> out;
  for (const ChunkData& c : s.chunks) REQUIRE(DecodeXorChunk(c.data, &out).ok());
  return out;
}

TEST_CASE("head select implements every matcher type with Prometheus empty-label semantics",
          "[storage][head][unit]") {
  HeadFixture f;
  f.Add({{"__name__", "up"}, {"env", "prod"}, {"job", "api"}}, {{1000, 1}});
  f.Add({{"__name__", "up"}, {"job", "db"}}, {{1000, 1}});
  f.Add({{"__name__", "up"}, {"env", "dev"}, {"job", "web"}}, {{1000, 1}});
  f.Add({{"__name__", "errors"}, {"job", "api"}}, {{1000, 1}});

  // Results come back sorted by labels.
  CHECK(f.Names({M(MatchType::kEqual, "__name__", "up")}) ==
        std::vector<std::string>{R"(up{env="dev", job="web"})", R"(up{env="prod", job="api"})", R"(up{job="db"})"});
  CHECK(f.Names({M(MatchType::kEqual, "job", "api")}).size() == 2);
  CHECK(f.Names({M(MatchType::kEqual, "job", "nope")}).empty());
  // != includes series lacking the label.
  CHECK(f.Names({M(MatchType::kEqual, "__name__", "up"), M(MatchType::kNotEqual, "env", "prod")}) ==
        std::vector<std::string>{R"(up{env="dev", job="web"})", R"(up{job="db"})"});
  // ="" selects exactly the series without the label.
  CHECK(f.Names({M(MatchType::kEqual, "__name__", "up"), M(MatchType::kEqual, "env", "")}) ==
        std::vector<std::string>{R"(up{job="db"})"});
  // !="" selects the series that have it.
  CHECK(f.Names({M(MatchType::kNotEqual, "env", "")}).size() == 2);
  // =~".*" matches everything, label or not; =~".+" needs the label.
  CHECK(f.Names({M(MatchType::kRegexMatch, "env", ".*")}).size() == 4);
  CHECK(f.Names({M(MatchType::kRegexMatch, "env", ".+")}).size() == 2);
  // Literal alternation goes through postings; a real regex scans values.
  CHECK(f.Names({M(MatchType::kRegexMatch, "job", "api|web")}).size() == 3);
  CHECK(f.Names({M(MatchType::kRegexMatch, "job", "a.i|w.*")}).size() == 3);
  CHECK(f.Names({M(MatchType::kRegexMatch, "job", "ap")}).empty());  // anchored
  // !~ includes series lacking the label; !~"" requires it.
  CHECK(f.Names({M(MatchType::kEqual, "__name__", "up"), M(MatchType::kRegexNoMatch, "env", "pr.*")}) ==
        std::vector<std::string>{R"(up{env="dev", job="web"})", R"(up{job="db"})"});
  CHECK(f.Names({M(MatchType::kRegexNoMatch, "env", "")}).size() == 2);
  CHECK(f.Names({M(MatchType::kRegexNoMatch, "job", "api|db")}) ==
        std::vector<std::string>{R"(up{env="dev", job="web"})"});
  // Several matchers intersect.
  CHECK(f.Names({M(MatchType::kEqual, "job", "api"), M(MatchType::kRegexMatch, "__name__", "err.*")}) ==
        std::vector<std::string>{R"(errors{job="api"})"});
  // A regex matching the empty string on an unknown label selects all.
  CHECK(f.Names({M(MatchType::kRegexMatch, "nolabel", "x|")}).size() == 4);
}

TEST_CASE("head keeps tenants apart", "[storage][head][unit]") {
  HeadFixture f;
  f.Add({{"__name__", "up"}}, {{1000, 1}}, TenantId{1, 0});
  f.Add({{"__name__", "up"}}, {{1000, 2}}, TenantId{2, 0});
  CHECK(f.head.num_series() == 2);
  auto r = f.Select({M(MatchType::kEqual, "__name__", "up")}, INT64_MIN, INT64_MAX, TenantId{2, 0});
  REQUIRE(r.series.size() == 1);
  CHECK(Decode(r.series[0])[0].value == 2);
  CHECK(f.Select({M(MatchType::kEqual, "__name__", "up")}, INT64_MIN, INT64_MAX, TenantId{3, 0}).series.empty());
}

TEST_CASE("head with no out-of-order window skips duplicates and rejects older samples without failing the batch",
          "[storage][head][unit]") {
  HeadOptions options;
  options.out_of_order_window_ms = 0;
  HeadFixture f(options);
  AppendStats s = f.Add({{"__name__", "a"}}, {{1000, 1}, {2000, 2}, {2000, 9}, {1500, 7}, {3000, 3}});
  CHECK(s.samples_appended == 3);
  CHECK(s.duplicates == 1);
  CHECK(s.too_old == 1);
  CHECK(s.out_of_order == 0);
  CHECK(s.series_created == 1);
  // A retried batch is idempotent for its last sample and rejects the rest.
  s = f.Add({{"__name__", "a"}}, {{2000, 2}, {3000, 3}, {4000, 4}});
  CHECK(s.samples_appended == 1);
  CHECK(s.duplicates == 1);
  CHECK(s.too_old == 1);
  CHECK(s.series_created == 0);
  auto r = f.Select({M(MatchType::kEqual, "__name__", "a")});
  REQUIRE(r.series.size() == 1);
  std::vector<Sample> got = Decode(r.series[0]);
  REQUIRE(got.size() == 4);
  CHECK(got[1].value == 2);
  CHECK(got[3].timestamp_ms == 4000);
  CHECK(f.metrics.too_old.Value() == 2);
  CHECK(f.metrics.out_of_order.Value() == 0);
  CHECK(f.metrics.duplicates.Value() == 2);
  CHECK(f.metrics.samples_appended.Value() == 4);
}

// Every sample of every chunk, sorted by time but NOT deduplicated, so a
// sample returned twice shows up; also checks the per-chunk contract.
std::vector<Sample> Union(const SeriesChunks& s) {
  std::vector<Sample> out;
  for (size_t i = 0; i < s.chunks.size(); ++i) {
    const ChunkData& c = s.chunks[i];
    if (i > 0) CHECK(s.chunks[i - 1].min_time_ms <= c.min_time_ms);
    std::vector<Sample> one;
    REQUIRE(DecodeXorChunk(c.data, &one).ok());
    REQUIRE(!one.empty());
    CHECK(one.front().timestamp_ms == c.min_time_ms);
    CHECK(one.back().timestamp_ms == c.max_time_ms);
    for (size_t j = 1; j < one.size(); ++j) CHECK(one[j - 1].timestamp_ms < one[j].timestamp_ms);
    out.insert(out.end(), one.begin(), one.end());
  }
  std::stable_sort(out.begin(), out.end(),
                   [](const Sample& a, const Sample& b) { return a.timestamp_ms < b.timestamp_ms; });
  return out;
}

TEST_CASE("head accepts out-of-order samples inside the window and returns each once in time order",
          "[storage][head][unit]") {
  HeadOptions options;
  options.max_samples_per_chunk = 20;
  options.max_ooo_buffer_samples = 7;
  options.out_of_order_window_ms = 1000 * 1000;
  HeadFixture f(options);
  // Even seconds in order, then the odd seconds in reverse: every one of
  // them arrives late, some land in sealed chunks' ranges, some in the open
  // chunk's, and the buffer is sealed several times.
  std::vector<Sample> even, odd;
  for (int i = 0; i < 100; ++i) even.push_back({i * 2000, static_cast<double>(i * 2)});
  for (int i = 99; i >= 0; --i) odd.push_back({i * 2000 + 1000, static_cast<double>(i * 2 + 1)});
  AppendStats s = f.Add({{"__name__", "a"}}, even);
  CHECK(s.samples_appended == 100);
  CHECK(s.out_of_order == 0);
  // Split over several batches, as separate remote_write requests would be.
  uint64_t ooo = 0;
  for (size_t b = 0; b < odd.size(); b += 9) {
    std::vector<Sample> part(odd.begin() + static_cast<long>(b),
                             odd.begin() + static_cast<long>(std::min(odd.size(), b + 9)));
    AppendStats p = f.Add({{"__name__", "a"}}, part);
    CHECK(p.too_old == 0);
    CHECK(p.duplicates == 0);
    ooo += p.out_of_order;
  }
  CHECK(ooo == 99);  // 199 s is newer than 198 s: in order
  CHECK(f.metrics.out_of_order.Value() == 99);
  CHECK(f.metrics.samples_appended.Value() == 200);

  auto r = f.Select({M(MatchType::kEqual, "__name__", "a")});
  REQUIRE(r.series.size() == 1);
  std::vector<Sample> got = Union(r.series[0]);
  REQUIRE(got.size() == 200);
  for (int i = 0; i < 200; ++i) {
    CHECK(got[static_cast<size_t>(i)].timestamp_ms == i * 1000);
    CHECK(got[static_cast<size_t>(i)].value == i);
  }
  // Out-of-order chunks were sealed, and a time range still finds exactly
  // the samples inside it (chunks may hold more; none is missing).
  CHECK(f.head.chunk_store().num_chunks() > 200 / 20);
  r = f.Select({M(MatchType::kEqual, "__name__", "a")}, 50000, 59000);
  REQUIRE(r.series.size() == 1);
  got = Union(r.series[0]);
  std::vector<int64_t> in_range;
  for (const Sample& x : got) {
    if (x.timestamp_ms >= 50000 && x.timestamp_ms <= 59000) in_range.push_back(x.timestamp_ms);
  }
  REQUIRE(in_range.size() == 10);
  for (size_t i = 0; i < in_range.size(); ++i) CHECK(in_range[i] == 50000 + static_cast<int64_t>(i) * 1000);
}

TEST_CASE("head accepts any arrival order inside the window without loss or repetition", "[storage][head][unit]") {
  HeadOptions options;
  options.max_samples_per_chunk = 50;
  options.max_ooo_buffer_samples = 16;
  options.out_of_order_window_ms = 600 * 1000;
  HeadFixture f(options);
  std::mt19937_64 rng(42);
  // 2000 samples 1 s apart, shuffled within blocks of 300 (all late samples
  // are at most 300 s behind the newest), sent in batches of 1..20.
  std::vector<Sample> want;
  for (int i = 0; i < 2000; ++i) want.push_back({1700000000000 + i * 1000, static_cast<double>(rng() % 100)});
  std::vector<Sample> order = want;
  for (size_t b = 0; b < order.size(); b += 300) {
    std::shuffle(order.begin() + static_cast<long>(b), order.begin() + static_cast<long>(std::min(order.size(), b + 300)),
                 rng);
  }
  size_t i = 0;
  while (i < order.size()) {
    size_t n = std::min(order.size() - i, 1 + static_cast<size_t>(rng() % 20));
    std::vector<Sample> batch(order.begin() + static_cast<long>(i), order.begin() + static_cast<long>(i + n));
    // Within one remote_write series samples are usually sorted; half the
    // batches are not.
    if (rng() % 2 == 0) {
      std::sort(batch.begin(), batch.end(),
                [](const Sample& a, const Sample& b) { return a.timestamp_ms < b.timestamp_ms; });
    }
    AppendStats s = f.Add({{"__name__", "shuffled"}}, batch);
    CHECK(s.too_old == 0);
    CHECK(s.duplicates == 0);
    i += n;
  }
  CHECK(f.metrics.samples_appended.Value() == 2000);
  auto r = f.Select({M(MatchType::kEqual, "__name__", "shuffled")});
  REQUIRE(r.series.size() == 1);
  std::vector<Sample> got = Union(r.series[0]);
  REQUIRE(got.size() == want.size());
  for (size_t k = 0; k < got.size(); ++k) CHECK(SameBits(got[k], want[k]));
}

TEST_CASE("head rejects samples older than the window and counts them as too old", "[storage][head][unit]") {
  HeadOptions options;
  options.out_of_order_window_ms = 10000;
  HeadFixture f(options);
  f.Add({{"__name__", "a"}}, {{100000, 1}});
  AppendStats s = f.Add({{"__name__", "a"}}, {{90000, 2}, {89999, 3}, {95000, 4}, {1000, 5}});
  CHECK(s.out_of_order == 2);  // 90 s is exactly at the window's edge: accepted
  CHECK(s.too_old == 2);
  CHECK(s.samples_appended == 2);
  CHECK(f.metrics.too_old.Value() == 2);
  CHECK(f.metrics.out_of_order.Value() == 2);
  // The window follows the newest sample.
  f.Add({{"__name__", "a"}}, {{200000, 6}});
  s = f.Add({{"__name__", "a"}}, {{99000, 7}});
  CHECK(s.too_old == 1);
  auto r = f.Select({M(MatchType::kEqual, "__name__", "a")});
  REQUIRE(r.series.size() == 1);
  std::vector<Sample> got = Union(r.series[0]);
  REQUIRE(got.size() == 4);
  CHECK(got[0].timestamp_ms == 90000);
  CHECK(got[1].timestamp_ms == 95000);
  CHECK(got[2].timestamp_ms == 100000);
  CHECK(got[3].timestamp_ms == 200000);
  // A new series has no last sample: anything is in order for it.
  CHECK(f.Add({{"__name__", "b"}}, {{1, 1}}).samples_appended == 1);
}

TEST_CASE("head skips duplicates of the open chunk and the out-of-order buffer", "[storage][head][unit]") {
  HeadFixture f;
  f.Add({{"__name__", "a"}}, {{1000, 1}, {2000, 2}, {3000, 3}, {5000, 5}});
  // 4 s is new (out of order); 2 s and 5 s are in the open chunk; 4 s again
  // is in the buffer now.
  AppendStats s = f.Add({{"__name__", "a"}}, {{4000, 4}, {2000, 20}, {5000, 50}, {4000, 40}});
  CHECK(s.out_of_order == 1);
  CHECK(s.duplicates == 3);
  CHECK(s.samples_appended == 1);
  CHECK(f.metrics.duplicates.Value() == 3);
  // Resending the whole history changes nothing.
  s = f.Add({{"__name__", "a"}}, {{1000, 1}, {2000, 2}, {3000, 3}, {4000, 4}, {5000, 5}});
  CHECK(s.duplicates == 5);
  CHECK(s.samples_appended == 0);
  auto r = f.Select({M(MatchType::kEqual, "__name__", "a")});
  REQUIRE(r.series.size() == 1);
  std::vector<Sample> got = Union(r.series[0]);
  REQUIRE(got.size() == 5);
  for (size_t i = 0; i < got.size(); ++i) {
    CHECK(got[i].timestamp_ms == static_cast<int64_t>(i + 1) * 1000);
    CHECK(got[i].value == static_cast<double>(i + 1));  // the first value written wins
  }
}

TEST_CASE("head seals chunks at the sample limit and at 2h boundaries", "[storage][head][unit]") {
  HeadOptions options;
  options.max_samples_per_chunk = 480;
  options.chunk_range_ms = 2 * kHour;
  HeadFixture f(options);
  std::vector<Sample> samples;
  // 1000 samples 1 s apart starting 100 s before a 2h boundary.
  int64_t start = 10 * 2 * kHour - 100 * 1000;
  for (int i = 0; i < 1000; ++i) samples.push_back({start + i * 1000, static_cast<double>(i)});
  f.Add({{"__name__", "a"}}, samples);
  auto r = f.Select({M(MatchType::kEqual, "__name__", "a")});
  REQUIRE(r.series.size() == 1);
  const auto& chunks = r.series[0].chunks;
  // 100 samples before the boundary, then 480 + 420 (the open chunk).
  REQUIRE(chunks.size() == 3);
  CHECK(XorChunkNumSamples(chunks[0].data) == 100);
  CHECK(chunks[0].max_time_ms < 10 * 2 * kHour);
  CHECK(chunks[1].min_time_ms == 10 * 2 * kHour);
  CHECK(XorChunkNumSamples(chunks[1].data) == 480);
  CHECK(XorChunkNumSamples(chunks[2].data) == 420);
  CHECK(f.head.chunk_store().num_chunks() == 2);
  std::vector<Sample> got = Decode(r.series[0]);
  REQUIRE(got.size() == samples.size());
  for (size_t i = 0; i < got.size(); ++i) CHECK(SameBits(got[i], samples[i]));
  for (size_t i = 1; i < chunks.size(); ++i) CHECK(chunks[i - 1].max_time_ms < chunks[i].min_time_ms);
}

TEST_CASE("head seals chunks at window boundaries on both sides of the epoch", "[storage][head][unit]") {
  // Windows are floor-aligned: [-4h, -2h), [-2h, 0), [0, 2h), [2h, 4h).
  HeadOptions options;
  options.chunk_range_ms = 2 * kHour;
  HeadFixture f(options);
  const std::vector<Sample> samples = {{-2 * kHour - 1000, 1}, {-2 * kHour, 2}, {-1, 3},
                                       {0, 4},                 {2 * kHour - 1, 5}, {2 * kHour, 6}};
  f.Add({{"__name__", "a"}}, samples);
  auto r = f.Select({M(MatchType::kEqual, "__name__", "a")});
  REQUIRE(r.series.size() == 1);
  const auto& chunks = r.series[0].chunks;
  REQUIRE(chunks.size() == 4);
  const std::vector<std::pair<int64_t, int64_t>> want = {
      {-2 * kHour - 1000, -2 * kHour - 1000}, {-2 * kHour, -1}, {0, 2 * kHour - 1}, {2 * kHour, 2 * kHour}};
  for (size_t i = 0; i < chunks.size(); ++i) {
    INFO("chunk " << i);
    CHECK(chunks[i].min_time_ms == want[i].first);
    CHECK(chunks[i].max_time_ms == want[i].second);
  }
  std::vector<Sample> got = Decode(r.series[0]);
  REQUIRE(got.size() == samples.size());
  for (size_t i = 0; i < got.size(); ++i) CHECK(SameBits(got[i], samples[i]));
}

TEST_CASE("head select filters chunks and series by time range", "[storage][head][unit]") {
  HeadOptions options;
  options.max_samples_per_chunk = 10;
  HeadFixture f(options);
  std::vector<Sample> a, b;
  for (int i = 0; i < 30; ++i) a.push_back({i * 1000, 1});  // chunks [0,9s] [10,19s] [20,29s]
  b.push_back({100000, 1});
  f.Add({{"__name__", "a"}}, a);
  f.Add({{"__name__", "b"}}, b);
  auto all = f.Select({M(MatchType::kRegexMatch, "__name__", "a|b")});
  CHECK(all.series.size() == 2);
  auto r = f.Select({M(MatchType::kRegexMatch, "__name__", "a|b")}, 12000, 15000);
  REQUIRE(r.series.size() == 1);  // b has nothing in range
  REQUIRE(r.series[0].chunks.size() == 1);
  CHECK(r.series[0].chunks[0].min_time_ms == 10000);
  r = f.Select({M(MatchType::kRegexMatch, "__name__", "a|b")}, 9000, 20000);
  REQUIRE(r.series.size() == 1);
  CHECK(r.series[0].chunks.size() == 3);  // inclusive at both ends
  r = f.Select({M(MatchType::kRegexMatch, "__name__", "a|b")}, 29001, 99999);
  CHECK(r.series.empty());
  r = f.Select({M(MatchType::kRegexMatch, "__name__", "a|b")}, 100000, 100000);
  REQUIRE(r.series.size() == 1);
  CHECK(r.series[0].labels.MetricName() == "b");
}

TEST_CASE("head select honours max_series and reports truncation", "[storage][head][unit]") {
  HeadFixture f;
  for (int i = 0; i < 5; ++i) f.Add({{"__name__", "m"}, {"i", std::to_string(i)}}, {{1000, 1}});
  auto r = f.Select({M(MatchType::kEqual, "__name__", "m")}, INT64_MIN, INT64_MAX, {}, 3);
  CHECK(r.series.size() == 3);
  CHECK(r.truncated);
  CHECK(r.series[0].labels.Get("i") == "0");
  r = f.Select({M(MatchType::kEqual, "__name__", "m")}, INT64_MIN, INT64_MAX, {}, 5);
  CHECK(r.series.size() == 5);
  CHECK_FALSE(r.truncated);
}

TEST_CASE("head appends from many threads into distinct and shared series", "[storage][head][unit]") {
  HeadFixture f;
  constexpr int kThreads = 4;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 200; ++i) {
        WriteBatchBuilder b(TenantId{});
        std::string own = "t" + std::to_string(t);
        std::vector<LabelView> l1 = {{"__name__", "own"}, {"t", own}};
        std::string shared = std::to_string(i % 50);
        std::vector<LabelView> l2 = {{"__name__", "shared"}, {"i", shared}};
        std::vector<Sample> s = {{i * 1000, static_cast<double>(i)}};
        b.AddSeries(l1, s);
        b.AddSeries(l2, s);
        std::string batch = b.Finish();
        AppendStats st;
        REQUIRE(f.head.Append(batch, &st).ok());
      }
    });
  }
  for (auto& th : threads) th.join();
  CHECK(f.head.num_series() == kThreads + 50);
  auto r = f.Select({M(MatchType::kEqual, "__name__", "own")});
  REQUIRE(r.series.size() == kThreads);
  for (const auto& s : r.series) CHECK(Decode(s).size() == 200);
  CHECK(f.Select({M(MatchType::kEqual, "__name__", "shared")}).series.size() == 50);
  CHECK(f.head.LabelValues({}, "t").size() == kThreads);
}

TEST_CASE("head numbers new series in batch order although it resolves them stripe by stripe",
          "[storage][head][unit]") {
  // Chunks are keyed by series id, so ids in the order a client sends its
  // series keep one target's similar series together on disk.
  HeadOptions options;
  options.track_new_series = true;
  HeadFixture f(options);
  auto batch_of = [](int from, int to, int64_t t) {
    WriteBatchBuilder b(TenantId{});
    for (int i = from; i < to; ++i) {
      std::string value = fmt::format("{:04}", i);
      std::vector<LabelView> labels = {{"__name__", "m"}, {"i", value}};
      Sample s{t, static_cast<double>(i)};
      b.AddSeries(labels, std::span<const Sample>(&s, 1));
    }
    return b.Finish();
  };
  AppendStats first;
  REQUIRE(f.head.Append(batch_of(0, 300, 1000), &first).ok());
  CHECK(first.series_created == 300);
  // The second batch mixes 300 known series with 300 new ones.
  AppendStats stats;
  REQUIRE(f.head.Append(batch_of(0, 600, 2000), &stats).ok());
  CHECK(stats.series_created == 300);
  CHECK(stats.samples_appended == 600);
  std::vector<const MemSeries*> created = f.head.TakeNewSeries();
  REQUIRE(created.size() == 600);
  std::vector<std::pair<std::string, uint64_t>> by_value;
  for (const MemSeries* s : created) by_value.emplace_back(std::string(s->labels().Get("i")), s->id);
  std::sort(by_value.begin(), by_value.end());
  for (size_t i = 1; i < by_value.size(); ++i) {
    INFO(by_value[i - 1].first << " -> " << by_value[i - 1].second << ", " << by_value[i].first << " -> "
                               << by_value[i].second);
    CHECK(by_value[i].second == by_value[i - 1].second + 1);
  }
  // Every series holds both of its samples, found again through the stripes.
  auto r = f.Select({M(MatchType::kEqual, "__name__", "m")});
  REQUIRE(r.series.size() == 600);
  for (const auto& s : r.series) CHECK(Decode(s).size() == (s.labels.Get("i") < "0300" ? 2u : 1u));
}

TEST_CASE("head keeps series whose hashes collide apart, and drops one without losing the others",
          "[storage][head][unit]") {
  HeadFixture f;
  // Three series forced onto one hash: the head must tell them apart by
  // their labels, wherever each sits in the hash's chain.
  auto append = [&f](int64_t t) {
    WriteBatchBuilder b(TenantId{});
    for (const char* name : {"a", "b", "c"}) {
      std::vector<LabelView> labels = {{"__name__", name}, {"job", "x"}};
      Sample s{t, static_cast<double>(t) + name[0]};
      b.AddSeries(labels, std::span<const Sample>(&s, 1));
    }
    const std::string encoded = b.Finish();  // the batch points into it
    HeadBatch batch;
    REQUIRE(ParseWriteBatch(encoded, &batch).ok());
    for (HeadBatch::Series& s : batch.series) s.hash = 42;
    REQUIRE(f.head.Resolve(&batch).ok());
    AppendStats stats;
    REQUIRE(f.head.Apply(batch, &stats).ok());
    return stats;
  };
  CHECK(append(1000).series_created == 3);
  CHECK(append(2000).series_created == 0);
  CHECK(f.head.num_series() == 3);
  for (const char* name : {"a", "b", "c"}) {
    SearchResult r = f.Select({M(MatchType::kEqual, "__name__", name)});
    REQUIRE(r.series.size() == 1);
    const std::vector<Sample> samples = Decode(r.series[0]);
    REQUIRE(samples.size() == 2);
    CHECK(samples[0].timestamp_ms == 1000);
    CHECK(samples[0].value == 1000.0 + name[0]);
    CHECK(samples[1].timestamp_ms == 2000);
    CHECK(samples[1].value == 2000.0 + name[0]);
  }
  // "b" is in the middle of the chain (newest first: c, b, a), then "c" at
  // its head: the others stay found, and only the dropped one comes back new.
  for (const char* name : {"b", "c"}) {
    auto dropped = f.head.SelectSeries({}, std::vector<Matcher>{M(MatchType::kEqual, "__name__", name)});
    REQUIRE(f.head.DropSeries(dropped) == 1);
    CHECK(append(3000 + name[0]).series_created == 1);
    CHECK(f.head.num_series() == 3);
  }
  SearchResult a = f.Select({M(MatchType::kEqual, "__name__", "a")});
  REQUIRE(a.series.size() == 1);
  CHECK(Decode(a.series[0]).size() == 4);
}

TEST_CASE("write batch validation rejects malformed and unsorted batches", "[storage][head][unit]") {
  CHECK(ValidateWriteBatch(OneSeriesBatch({}, {{"__name__", "a"}, {"b", "c"}}, {{1, 1}})).ok());
  CHECK(ValidateWriteBatch("garbage").code() == absl::StatusCode::kInvalidArgument);
  CHECK(ValidateWriteBatch(OneSeriesBatch({}, {{"b", "c"}, {"__name__", "a"}}, {{1, 1}})).code() ==
        absl::StatusCode::kInvalidArgument);
  CHECK(ValidateWriteBatch(OneSeriesBatch({}, {{"a", "c"}, {"a", "d"}}, {{1, 1}})).code() ==
        absl::StatusCode::kInvalidArgument);
  CHECK(ValidateWriteBatch(OneSeriesBatch({}, {{"__name__", "a"}, {"b", ""}}, {{1, 1}})).code() ==
        absl::StatusCode::kInvalidArgument);
  std::string good = OneSeriesBatch({}, {{"__name__", "a"}}, {{1, 1}, {2, 2}});
  CHECK(ValidateWriteBatch(good.substr(0, good.size() - 3)).code() == absl::StatusCode::kInvalidArgument);
  // An empty batch (header only) is valid and appends nothing.
  CHECK(ValidateWriteBatch(WriteBatchBuilder(TenantId{}).Finish()).ok());
}

}  // namespace
}  // namespace strata::storage
