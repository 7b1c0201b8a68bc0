// Eviction of idle series, lookups in the series source and per-day
// postings: what keeps the head's memory proportional to active series.
#include <prometheus/registry.h>

#include "absl/container/flat_hash_map.h"
#include "storage/head/head.h"
#include "storage/index/time_partition.h"
#include "storage/metrics/storage_metrics.h"
#include "unit/storage/storage_test_util.h"

namespace strata::storage {
namespace {

using testing::M;
using testing::OneSeriesBatch;

// A persistent index in miniature: labels -> (id, newest timestamp).
class FakeSource final : public SeriesSource {
 public:
  absl::StatusOr<std::optional<Found>> Find(TenantId tenant, std::span<const LabelView> labels) const override {
    ++lookups;
    if (fail) return absl::UnavailableError("disk on fire");
    auto it = known.find(tenant.ToString() + Labels::FromViews(labels).ToString());
    if (it == known.end()) return std::nullopt;
    return it->second;
  }
  void Put(TenantId tenant, const Labels& labels, uint64_t id, int64_t last_t) {
    known[tenant.ToString() + labels.ToString()] = Found{id, last_t};
  }
  absl::flat_hash_map<std::string, Found> known;
  mutable int lookups = 0;
  bool fail = false;
};

struct EvictFixture {
  prometheus::Registry registry;
  StorageMetrics metrics{registry};
  FakeSource source;
  Head head;
  EvictFixture() : head(Options(), metrics, std::make_unique<MemChunkStore>(), &source) {}
  static HeadOptions Options() {
    HeadOptions o;
    o.track_new_series = true;
    return o;
  }
  AppendStats Add(std::vector<LabelView> labels, std::vector<Sample> samples) {
    AppendStats stats;
    REQUIRE(head.Append(OneSeriesBatch({}, labels, samples), &stats).ok());
    return stats;
  }
  // What Db::Flush does to the head: seal, persist identities, evict.
  uint64_t FlushAndEvict() {
    REQUIRE(head.SealAll().ok());
    std::vector<const MemSeries*> created = head.TakeNewSeries();
    for (const MemSeries* s : created) source.Put(s->tenant, s->labels(), s->id, s->last_t);
    head.MarkPersisted(created);
    return head.EvictIdle();
  }
};

TEST_CASE("an idle persisted series leaves the head after a full idle interval and comes back with its id",
          "[storage][head][unit]") {
  EvictFixture f;
  f.Add({{"__name__", "busy"}}, {{1000, 1}});
  f.Add({{"__name__", "idle"}}, {{1000, 1}});
  const uint64_t idle_id = f.head.SelectSeries({}, std::vector<Matcher>{M(MatchType::kEqual, "__name__", "idle")})[0]->id;

  // First pass: both just received samples, so both stay (and turn idle).
  CHECK(f.FlushAndEvict() == 0);
  f.Add({{"__name__", "busy"}}, {{2000, 2}});
  // Second pass: "idle" got nothing for a whole interval and is persisted.
  CHECK(f.FlushAndEvict() == 1);
  CHECK(f.head.num_series() == 1);
  CHECK(f.head.SelectSeries({}, std::vector<Matcher>{M(MatchType::kEqual, "__name__", "idle")}).empty());
  CHECK(f.head.SelectSeries({}, std::vector<Matcher>{M(MatchType::kRegexMatch, "__name__", ".+")}).size() == 1);

  // It comes back under its old id, remembering its newest timestamp.
  f.source.Put({}, Labels::FromSorted({Label{"__name__", "idle"}}), idle_id, 1000);
  AppendStats again = f.Add({{"__name__", "idle"}}, {{1000, 9}, {3000, 3}});
  CHECK(again.series_created == 0);
  CHECK(again.duplicates == 1);  // 1000 was persisted before eviction
  CHECK(again.samples_appended == 1);
  auto back = f.head.SelectSeries({}, std::vector<Matcher>{M(MatchType::kEqual, "__name__", "idle")});
  REQUIRE(back.size() == 1);
  CHECK(back[0]->id == idle_id);
  // New ids never collide with a returning one.
  f.Add({{"__name__", "fresh"}}, {{1000, 1}});
  CHECK(f.head.next_series_id() > idle_id);
}

TEST_CASE("series not yet persisted or holding unsealed samples are never evicted", "[storage][head][unit]") {
  EvictFixture f;
  f.Add({{"__name__", "a"}}, {{1000, 1}});
  // Not persisted (no flush took it): survives any number of passes.
  CHECK(f.head.EvictIdle() == 0);
  CHECK(f.head.EvictIdle() == 0);
  CHECK(f.head.num_series() == 1);
  // Written to during the interval: stays, even once persisted.
  f.Add({{"__name__", "a"}}, {{5000, 1}});
  CHECK(f.FlushAndEvict() == 0);
  // An out-of-order sample left unsealed pins the series too.
  f.Add({{"__name__", "a"}}, {{4000, 1}});  // out of order, buffered
  CHECK(f.head.EvictIdle() == 0);           // active this interval
  CHECK(f.head.EvictIdle() == 0);           // idle, but its buffer is unsealed
  CHECK(f.head.num_series() == 1);
}

TEST_CASE("a failing series source skips that series' samples and reports the error", "[storage][head][unit]") {
  EvictFixture f;
  f.source.fail = true;
  AppendStats stats;
  absl::Status st = f.head.Append(OneSeriesBatch({}, {{"__name__", "x"}}, {{1000, 1}}), &stats);
  CHECK(st.code() == absl::StatusCode::kUnavailable);
  CHECK(stats.samples_appended == 0);
  CHECK(f.head.num_series() == 0);
  // The source recovers: the series is created normally.
  f.source.fail = false;
  REQUIRE(f.head.Append(OneSeriesBatch({}, {{"__name__", "x"}}, {{1000, 1}}), &stats).ok());
  CHECK(stats.series_created == 1);
}

TEST_CASE("sealing queues one day posting per series and day, out-of-order days included",
          "[storage][head][unit]") {
  EvictFixture f;
  const int64_t day = 20000;  // 2024-10-04
  const int64_t t0 = day * kMsPerDay;
  // Two chunks on the same day, then one the next day.
  f.Add({{"__name__", "a"}}, {{t0 + 1000, 1}});
  REQUIRE(f.head.SealAll().ok());
  f.Add({{"__name__", "a"}}, {{t0 + 2000, 1}});
  REQUIRE(f.head.SealAll().ok());
  f.Add({{"__name__", "a"}}, {{t0 + kMsPerDay + 1000, 1}});
  REQUIRE(f.head.SealAll().ok());
  std::vector<DayPosting> p = f.head.TakeDayPostings();
  REQUIRE(p.size() == 2);
  CHECK(p[0].day == day);
  CHECK(p[1].day == day + 1);
  CHECK(p[0].series->labels().ToString() == "a{}");
  // An out-of-order chunk queues its day again, even one already indexed.
  f.Add({{"__name__", "a"}}, {{t0 + kMsPerDay + 500, 1}});  // within the 1 h window
  REQUIRE(f.head.SealAll().ok());
  p = f.head.TakeDayPostings();
  REQUIRE(p.size() == 1);
  CHECK(p[0].day == day + 1);
  // Put back after a failed flush: nothing is lost, order kept.
  f.head.PutBackDayPostings(std::move(p));
  CHECK(f.head.TakeDayPostings().size() == 1);
  CHECK(f.head.TakeDayPostings().empty());
}

}  // namespace
}  // namespace strata::storage
