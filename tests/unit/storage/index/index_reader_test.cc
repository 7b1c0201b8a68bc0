#include "storage/index/index_reader.h"

#include <algorithm>
#include <atomic>
#include <iterator>
#include <limits>
#include <map>
#include <random>
#include <set>
#include <thread>

#include "storage/index/postings_iterator.h"
#include "storage/index/time_partition.h"
#include "unit/storage/storage_test_util.h"

namespace strata::storage {
namespace {

using testing::M;
using testing::TempDir;

constexpr int64_t kMin = std::numeric_limits<int64_t>::min();
constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
constexpr TenantId kTenant{3, 4};

Labels L(std::vector<Label> l) { return Labels::FromUnsorted(std::move(l)); }

std::unique_ptr<RocksStore> MustOpen(const std::string& path) {
  auto store = RocksStore::Open({.path = path});
  REQUIRE(store.ok());
  return std::move(store).value();
}

std::vector<uint64_t> RandomSortedIds(std::mt19937_64& rng, size_t n, uint64_t range) {
  std::set<uint64_t> s;
  while (s.size() < n) s.insert(rng() % range);
  return {s.begin(), s.end()};
}

std::vector<uint64_t> Drain(PostingsIterator& it) {
  std::vector<uint64_t> out;
  REQUIRE(CollectPostings(it, 0, &out).ok());
  return out;
}

// Seeks to increasing random targets and checks each landing against the
// expected sorted list.
void CheckSeeks(std::mt19937_64& rng, PostingsIterator& it, const std::vector<uint64_t>& want, uint64_t range) {
  uint64_t target = 0;
  while (true) {
    target += rng() % (range / 20 + 1);
    auto pos = std::lower_bound(want.begin(), want.end(), target);
    const bool ok = it.Seek(target);
    REQUIRE(ok == (pos != want.end()));
    if (!ok) break;
    REQUIRE(it.At() == *pos);
    target = it.At();  // a Seek to the current id must stay
    if (rng() % 2 == 0) {
      REQUIRE(it.Seek(target));
      REQUIRE(it.At() == *pos);
      const bool next = it.Next();
      REQUIRE(next == (pos + 1 != want.end()));
      if (!next) break;
      REQUIRE(it.At() == *(pos + 1));
      target = it.At();
    }
  }
}

TEST_CASE("postings intersections, unions and differences equal the set operations, with seeks",
          "[storage][index][unit]") {
  for (uint64_t seed = 1; seed <= 200; ++seed) {
    std::mt19937_64 rng(seed);
    const uint64_t range = 50 + rng() % 2000;
    const size_t k = 1 + rng() % 4;
    std::vector<std::vector<uint64_t>> lists;
    for (size_t i = 0; i < k; ++i) lists.push_back(RandomSortedIds(rng, rng() % (range / 2), range));
    auto vecs = [&] {
      std::vector<PostingsIteratorPtr> its;
      for (const auto& l : lists) its.push_back(NewVectorPostings(l));
      return its;
    };
    std::vector<uint64_t> inter = lists[0], uni = lists[0];
    for (size_t i = 1; i < k; ++i) {
      std::vector<uint64_t> a, b;
      std::set_intersection(inter.begin(), inter.end(), lists[i].begin(), lists[i].end(), std::back_inserter(a));
      std::set_union(uni.begin(), uni.end(), lists[i].begin(), lists[i].end(), std::back_inserter(b));
      inter = std::move(a);
      uni = std::move(b);
    }
    std::vector<uint64_t> diff;
    const std::vector<uint64_t>& last = lists.back();
    std::set_difference(lists[0].begin(), lists[0].end(), last.begin(), last.end(), std::back_inserter(diff));

    INFO("seed " << seed);
    CHECK(Drain(*NewIntersection(vecs())) == inter);
    CHECK(Drain(*NewUnion(vecs())) == uni);
    CHECK(Drain(*NewDifference(NewVectorPostings(lists[0]), NewVectorPostings(last))) == diff);
    auto i1 = NewIntersection(vecs());
    CheckSeeks(rng, *i1, inter, range);
    auto u1 = NewUnion(vecs());
    CheckSeeks(rng, *u1, uni, range);
    auto d1 = NewDifference(NewVectorPostings(lists[0]), NewVectorPostings(last));
    CheckSeeks(rng, *d1, diff, range);
  }
  CHECK(Drain(*NewIntersection({})).empty());
  CHECK(Drain(*NewUnion({})).empty());
}

TEST_CASE("a RocksDB postings iterator seeks within its list only", "[storage][index][unit]") {
  TempDir dir;
  auto store = MustOpen(dir.path() + "/db");
  std::mt19937_64 rng(7);
  const std::vector<uint64_t> ids = RandomSortedIds(rng, 500, 1ull << 20);
  RocksStore::Batch batch = store->NewBatch();
  for (uint64_t id : ids) batch.PutSeries(id, kTenant, L({{"__name__", "m"}, {"k", "v"}}));
  // Neighbours in key order: value "v\0x" (same prefix), value "w", other
  // tenant, a day scope.
  batch.PutSeries(1ull << 21, kTenant, L({{"__name__", "m"}, {"k", std::string("v\0x", 3)}}));
  batch.PutSeries((1ull << 21) + 1, kTenant, L({{"__name__", "m"}, {"k", "w"}}));
  batch.PutSeries((1ull << 21) + 2, TenantId{3, 5}, L({{"__name__", "m"}, {"k", "v"}}));
  batch.PutDayPostings(PartitionOfDay(0), (1ull << 21) + 3, kTenant, L({{"__name__", "m"}, {"k", "v"}}));
  REQUIRE(store->Write(std::move(batch), false).ok());

  auto it = store->NewPostingsIterator(kGlobalScope, kTenant, "k", "v");
  CHECK(Drain(*it) == ids);
  for (int round = 0; round < 20; ++round) {
    auto seeker = store->NewPostingsIterator(kGlobalScope, kTenant, "k", "v");
    CheckSeeks(rng, *seeker, ids, 1ull << 20);
  }
  auto past = store->NewPostingsIterator(kGlobalScope, kTenant, "k", "v");
  CHECK_FALSE(past->Seek(ids.back() + 1));
  CHECK(store->Postings(PartitionOfDay(0), kTenant, "k", "v").value() == std::vector<uint64_t>{(1ull << 21) + 3});
  CHECK(store->Postings(PartitionOfDay(1), kTenant, "k", "v").value().empty());
  // The "all series" entry of each scope.
  CHECK(store->Postings(kGlobalScope, kTenant, "", "").value().size() == ids.size() + 2);
  CHECK(store->Postings(PartitionOfDay(0), kTenant, "", "").value() == std::vector<uint64_t>{(1ull << 21) + 3});
}

// ---------------------------------------------------------------------------
// Matcher semantics against a brute-force reference.

struct Universe {
  std::map<uint64_t, Labels> series;
  std::map<uint64_t, std::set<int64_t>> days;  // days with data per series
};

const std::vector<std::string> kNames = {"__name__", "a", "b", "c", "i"};

std::string RandomValue(std::mt19937_64& rng, const std::string& name) {
  static const std::vector<std::string> kValues = {"x", "xy", "xyz", "y", "yx", "z", "foo", "foo-1", "foo-12",
                                                   "fop", "FOO", "a.b", "a|b", "x\ny",
                                                   "f",   "fo"};
  if (name == "i") return "host-" + std::to_string(rng() % 40);  // many values: eager unions
  if (name == "__name__") return "metric_" + std::to_string(rng() % 5);
  return kValues[rng() % kValues.size()];
}

Universe BuildUniverse(std::mt19937_64& rng, RocksStore& store, size_t n, int64_t days) {
  Universe u;
  RocksStore::Batch batch = store.NewBatch();
  uint64_t id = 1;
  for (size_t s = 0; s < n; ++s) {
    id += 1 + rng() % 5;
    std::vector<Label> labels;
    for (const std::string& name : kNames) {
      if (name != "__name__" && rng() % 3 == 0) continue;  // label absent
      labels.push_back(Label{name, RandomValue(rng, name)});
    }
    Labels l = L(std::move(labels));
    batch.PutSeries(id, kTenant, l);
    std::set<int64_t>& ds = u.days[id];
    for (int64_t d = -1; d < days - 1; ++d) {
      if (rng() % 4 == 0) ds.insert(d);
    }
    for (int64_t d : ds) batch.PutDayPostings(PartitionOfDay(d), id, kTenant, l);
    u.series[id] = l;
  }
  // Another tenant with the same labels must never show up.
  batch.PutSeries(id + 1000, TenantId{3, 5}, u.series.begin()->second);
  REQUIRE(store.Write(std::move(batch), false).ok());
  return u;
}

Matcher RandomMatcher(std::mt19937_64& rng) {
  static const std::vector<std::string> kPatterns = {
      "", "x", "x|y", "x|", "xy|z|nope", "x.*", "foo.*", "foo-1.*", "fo+", "fo*", ".*", ".+", "x.+", "(?i)foo",
      "[xy].*", "host-1.*", "host-(1|2)", "host-3", "metric_1|metric_3", "metric_.*", ".*y", "a\\.b", "a\\|b",
      "x.y", "nope", "host-.*|x"};
  static const std::vector<std::string> kLiterals = {"", "x", "xy", "y", "foo", "host-1", "host-12", "metric_2",
                                                     "a|b", "nope"};
  const std::string& name = kNames[rng() % kNames.size()];
  const MatchType type = static_cast<MatchType>(rng() % 4);
  const bool regex = type == MatchType::kRegexMatch || type == MatchType::kRegexNoMatch;
  const std::string value = regex ? kPatterns[rng() % kPatterns.size()] : kLiterals[rng() % kLiterals.size()];
  return M(type, name, value);
}

std::vector<uint64_t> Reference(const Universe& u, const std::vector<Matcher>& ms, int64_t mint, int64_t maxt,
                                const IndexReader& reader) {
  const std::vector<uint32_t> scopes = reader.ScopesFor(mint, maxt);
  const bool global = scopes.size() == 1 && scopes[0] == kGlobalScope;
  std::vector<uint64_t> out;
  for (const auto& [id, labels] : u.series) {
    bool ok = std::all_of(ms.begin(), ms.end(), [&](const Matcher& m) { return m.Matches(labels.Get(m.name())); });
    if (ok && !global) {
      const std::set<int64_t>& ds = u.days.at(id);
      ok = std::any_of(ds.begin(), ds.end(), [&](int64_t d) { return d >= DayOf(mint) && d <= DayOf(maxt); });
    }
    if (ok) out.push_back(id);
  }
  return out;
}

std::string Describe(const std::vector<Matcher>& ms) {
  std::string s = "{";
  for (const Matcher& m : ms) s += m.ToString() + ", ";
  return s + "}";
}

TEST_CASE("series selection matches a brute-force evaluation of random matchers", "[storage][index][unit]") {
  for (uint64_t seed = 1; seed <= 12; ++seed) {
    TempDir dir;
    auto store = MustOpen(dir.path() + "/db");
    std::mt19937_64 rng(seed);
    const Universe u = BuildUniverse(rng, *store, 150 + rng() % 250, 8);
    // Both evaluation strategies: postings only, and label checks on the
    // candidates of the direct matchers.
    const IndexReader postings_only(*store, {.max_days_per_day_scope = 5, .max_label_filter_candidates = 0});
    const IndexReader label_filter(*store, {.max_days_per_day_scope = 5, .max_label_filter_candidates = 100'000});
    for (int q = 0; q < 150; ++q) {
      std::vector<Matcher> ms;
      const size_t k = rng() % 4;
      for (size_t i = 0; i < k; ++i) ms.push_back(RandomMatcher(rng));
      int64_t mint = kMin, maxt = kMax;
      if (q % 3 != 0) {
        // A range of 1..8 days, possibly straddling day boundaries: <= 5
        // days read per-day postings, more the global scope.
        mint = (static_cast<int64_t>(rng() % 9) - 2) * kMsPerDay + static_cast<int64_t>(rng() % kMsPerDay);
        maxt = mint + static_cast<int64_t>(rng() % (7 * kMsPerDay));
      }
      const std::vector<uint64_t> want = Reference(u, ms, mint, maxt, postings_only);
      INFO("seed " << seed << " query " << Describe(ms) << " [" << mint << ", " << maxt << "]");
      auto a = postings_only.SelectSeries(kTenant, ms, mint, maxt);
      REQUIRE(a.ok());
      CHECK(*a == want);
      auto b = label_filter.SelectSeries(kTenant, ms, mint, maxt);
      REQUIRE(b.ok());
      CHECK(*b == want);
      CHECK(label_filter.CountSeries(kTenant, ms, mint, maxt).value() == want.size());
      if (want.size() > 2) {
        CHECK(postings_only.SelectSeries(kTenant, ms, mint, maxt, 2).value() ==
              std::vector<uint64_t>(want.begin(), want.begin() + 2));
        CHECK(label_filter.SelectSeries(kTenant, ms, mint, maxt, 2).value() ==
              std::vector<uint64_t>(want.begin(), want.begin() + 2));
      }
    }
  }
}

TEST_CASE("label names and values follow the selected series and the time range", "[storage][index][unit]") {
  for (uint64_t seed = 100; seed <= 105; ++seed) {
    TempDir dir;
    auto store = MustOpen(dir.path() + "/db");
    std::mt19937_64 rng(seed);
    const Universe u = BuildUniverse(rng, *store, 300, 6);
    const IndexReader reader(*store, {.max_days_per_day_scope = 3});
    for (int q = 0; q < 60; ++q) {
      std::vector<Matcher> ms;
      const size_t k = rng() % 3;
      for (size_t i = 0; i < k; ++i) ms.push_back(RandomMatcher(rng));
      int64_t mint = kMin, maxt = kMax;
      if (q % 2 == 1) {
        mint = (static_cast<int64_t>(rng() % 7) - 1) * kMsPerDay;
        maxt = mint + static_cast<int64_t>(rng() % (4 * kMsPerDay));
      }
      std::set<std::string> names;
      std::map<std::string, std::set<std::string>> values;
      for (uint64_t id : Reference(u, ms, mint, maxt, reader)) {
        for (const Label& l : u.series.at(id)) {
          names.insert(l.name);
          values[l.name].insert(l.value);
        }
      }
      INFO("seed " << seed << " query " << Describe(ms) << " [" << mint << ", " << maxt << "]");
      auto got_names = reader.LabelNames(kTenant, ms, mint, maxt);
      REQUIRE(got_names.ok());
      CHECK(*got_names == std::vector<std::string>(names.begin(), names.end()));
      for (const std::string& name : {std::string("a"), std::string("i"), std::string("nope")}) {
        auto got = reader.LabelValues(kTenant, name, ms, mint, maxt);
        REQUIRE(got.ok());
        const std::set<std::string>& w = values[name];
        CHECK(*got == std::vector<std::string>(w.begin(), w.end()));
        if (w.size() > 1) {
          CHECK(reader.LabelValues(kTenant, name, ms, mint, maxt, 1).value() == std::vector<std::string>{*w.begin()});
        }
      }
    }
  }
}

TEST_CASE("label values with matchers selecting many series agree with the labels of those series",
          "[storage][index][unit]") {
  TempDir dir;
  auto store = MustOpen(dir.path() + "/db");
  RocksStore::Batch batch = store->NewBatch();
  std::set<std::string> even_hosts;
  for (uint64_t id = 1; id <= 6000; ++id) {
    const std::string host = "host-" + std::to_string(id % 97);
    const std::string parity = id % 2 ? "odd" : "even";
    batch.PutSeries(id, kTenant, L({{"__name__", "m"}, {"host", host}, {"parity", parity}}));
    if (parity == "even") even_hosts.insert(host);
  }
  batch.PutSeries(7000, kTenant, L({{"__name__", "other"}, {"host", "lonely"}}));
  REQUIRE(store->Write(std::move(batch), false).ok());
  const IndexReader reader(*store);
  // 3000 series > one labels batch: values are tested by intersection.
  const std::vector<Matcher> even = {M(MatchType::kEqual, "parity", "even")};
  CHECK(reader.LabelValues(kTenant, "host", even, kMin, kMax).value() ==
        std::vector<std::string>(even_hosts.begin(), even_hosts.end()));
  const std::vector<Matcher> m = {M(MatchType::kEqual, "__name__", "m")};
  auto hosts = reader.LabelValues(kTenant, "host", m, kMin, kMax).value();
  CHECK(hosts.size() == 97);
  CHECK(std::find(hosts.begin(), hosts.end(), "lonely") == hosts.end());
  CHECK(reader.LabelValues(kTenant, "host", {}, kMin, kMax).value().size() == 98);
  CHECK(reader.CountSeries(kTenant, m, kMin, kMax).value() == 6000);
  CHECK(reader.CountSeries(kTenant, {}, kMin, kMax).value() == 6001);
  CHECK(reader.LabelNames(kTenant, {}, kMin, kMax).value() == std::vector<std::string>{"__name__", "host", "parity"});
  CHECK(reader.LabelNames(kTenant, {}, kMin, kMax, 2).value() == std::vector<std::string>{"__name__", "host"});
  CHECK(reader.LabelNames(TenantId{9, 9}, {}, kMin, kMax).value().empty());
}

TEST_CASE("deleted series are never selected", "[storage][index][unit]") {
  TempDir dir;
  auto store = MustOpen(dir.path() + "/db");
  RocksStore::Batch batch = store->NewBatch();
  for (uint64_t id = 1; id <= 100; ++id) {
    const Labels l = L({{"__name__", "m"}, {"job", id % 2 ? "a" : "b"}, {"n", std::to_string(id)}});
    batch.PutSeries(id, kTenant, l);
    batch.PutDayPostings(PartitionOfDay(3), id, kTenant, l);
  }
  REQUIRE(store->Write(std::move(batch), false).ok());
  // RocksStore::IsDeleted applies too; the predicate lets this test delete
  // without delete_series.
  const IndexReader reader(*store, {.is_deleted = [](uint64_t id) { return id % 10 == 0; }});
  for (const std::vector<Matcher>& ms : std::vector<std::vector<Matcher>>{
           {},
           {M(MatchType::kEqual, "__name__", "m")},
           {M(MatchType::kEqual, "job", "b"), M(MatchType::kRegexMatch, "n", ".*0")},
           {M(MatchType::kNotEqual, "job", "a")}}) {
    for (int64_t t : {int64_t{3} * kMsPerDay, kMax}) {
      auto ids = reader.SelectSeries(kTenant, ms, t == kMax ? kMin : t, t);
      REQUIRE(ids.ok());
      CHECK(ids->empty() == (ms.size() == 2));  // {job="b", n=~".*0"}: all deleted
      for (uint64_t id : *ids) CHECK(id % 10 != 0);
    }
  }
  CHECK(reader.CountSeries(kTenant, {}, kMin, kMax).value() == 90);
  const std::vector<Matcher> n20 = {M(MatchType::kEqual, "n", "20")};
  CHECK(reader.SelectSeries(kTenant, n20, kMin, kMax).value().empty());
}

TEST_CASE("query ranges choose per-day scopes up to the configured span, the global scope beyond",
          "[storage][index][unit]") {
  TempDir dir;
  auto store = MustOpen(dir.path() + "/db");
  const IndexReader reader(*store, {.max_days_per_day_scope = 3});
  CHECK(reader.ScopesFor(0, kMsPerDay - 1) == std::vector<uint32_t>{PartitionOfDay(0)});
  CHECK(reader.ScopesFor(-1, kMsPerDay) ==
        std::vector<uint32_t>{PartitionOfDay(-1), PartitionOfDay(0), PartitionOfDay(1)});
  CHECK(reader.ScopesFor(0, 3 * kMsPerDay) == std::vector<uint32_t>{kGlobalScope});
  CHECK(reader.ScopesFor(kMin, kMax) == std::vector<uint32_t>{kGlobalScope});
  CHECK(reader.ScopesFor(5, 4).empty());
  const IndexReader global_only(*store, {.max_days_per_day_scope = 0});
  CHECK(global_only.ScopesFor(0, 1) == std::vector<uint32_t>{kGlobalScope});

  // A series with data on day 1 only is found on day 1, not on day 2.
  RocksStore::Batch batch = store->NewBatch();
  const Labels l = L({{"__name__", "m"}});
  batch.PutSeries(5, kTenant, l);
  batch.PutDayPostings(PartitionOfDay(1), 5, kTenant, l);
  REQUIRE(store->Write(std::move(batch), false).ok());
  const std::vector<Matcher> ms = {M(MatchType::kEqual, "__name__", "m")};
  CHECK(reader.SelectSeries(kTenant, ms, kMsPerDay + 5, kMsPerDay + 6).value() == std::vector<uint64_t>{5});
  CHECK(reader.SelectSeries(kTenant, ms, 2 * kMsPerDay, 2 * kMsPerDay + 6).value().empty());
  CHECK(reader.SelectSeries(kTenant, ms, 2 * kMsPerDay, 10 * kMsPerDay).value() == std::vector<uint64_t>{5});
  CHECK(reader.LabelValues(kTenant, "__name__", {}, 2 * kMsPerDay, 2 * kMsPerDay).value().empty());
  CHECK(reader.LabelValues(kTenant, "__name__", {}, 0, kMsPerDay).value() == std::vector<std::string>{"m"});
}

TEST_CASE("readers running during writes see whole batches, sorted and unique", "[storage][index][unit]") {
  TempDir dir;
  auto store = MustOpen(dir.path() + "/db");
  const IndexReader reader(*store);
  constexpr uint64_t kBatch = 50;
  constexpr uint64_t kBatches = 40;
  std::atomic<bool> done{false};
  std::atomic<int> bad{0};
  std::vector<std::thread> readers;
  for (int r = 0; r < 3; ++r) {
    readers.emplace_back([&] {
      const std::vector<Matcher> ms = {M(MatchType::kEqual, "__name__", "m")};
      size_t last = 0;
      while (!done.load()) {
        auto ids = reader.SelectSeries(kTenant, ms, kMin, kMax);
        const bool ok = ids.ok() && std::is_sorted(ids->begin(), ids->end()) &&
                        std::adjacent_find(ids->begin(), ids->end()) == ids->end() && ids->size() % kBatch == 0 &&
                        ids->size() >= last;
        if (!ok) ++bad;
        if (ids.ok()) last = ids->size();
      }
    });
  }
  for (uint64_t b = 0; b < kBatches; ++b) {
    RocksStore::Batch batch = store->NewBatch();
    for (uint64_t i = 0; i < kBatch; ++i) {
      const uint64_t id = 1 + (i * kBatches + b);  // interleaved ids
      batch.PutSeries(id, kTenant, L({{"__name__", "m"}, {"n", std::to_string(id)}}));
    }
    REQUIRE(store->Write(std::move(batch), false).ok());
  }
  done = true;
  for (std::thread& t : readers) t.join();
  CHECK(bad.load() == 0);
  CHECK(reader.CountSeries(kTenant, {}, kMin, kMax).value() == kBatch * kBatches);
}

}  // namespace
}  // namespace strata::storage
