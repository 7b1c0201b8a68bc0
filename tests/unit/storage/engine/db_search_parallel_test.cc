// Db::Search reads the chunks of many series on several threads; these
// tests hold its answers (and where max_series cuts them) to those of
// one-series searches, which read on the calling thread alone.
#include <string>
#include <vector>

#include <catch2/catch.hpp>
#include <fmt/format.h>

#include "storage/engine/db.h"
#include "unit/storage/storage_test_util.h"

namespace strata::storage {
namespace {

using testing::M;
using testing::TempDir;

constexpr TenantId kTenant{7, 0};
// More than one read window of Db::Search (256 candidates).
constexpr int kSeries = 600;
constexpr int64_t kStep = 15'000;

std::string Instance(int s) { return fmt::format("h{:04d}", s); }

// Appends samples [first, first + n) of every series with `s % modulo == 0`.
void Write(Db& db, int first, int n, int modulo) {
  WriteBatchBuilder builder(kTenant);
  for (int s = 0; s < kSeries; s += modulo) {
    const std::string inst = Instance(s);
    std::vector<Sample> samples;
    for (int i = first; i < first + n; ++i) samples.push_back({i * kStep, s * 1000.0 + i * 0.25});
    const std::vector<LabelView> labels = {{"__name__", "m"}, {"instance", inst}};
    builder.AddSeries(labels, samples);
  }
  REQUIRE(db.Append(builder.Finish()).ok());
}

// A Db whose series are of every kind a search meets: half only in the
// store (evicted from the head after going idle), half in the head with
// persisted chunks, sealed in-memory chunks and an open chunk.
std::unique_ptr<Db> MixedDb(const std::string& path) {
  DbOptions o;
  o.data_path = path;
  o.persistent = true;
  o.flush_interval = std::chrono::milliseconds(0);
  o.retention_ms = testing::kKeepForeverMs;
  o.max_samples_per_chunk = 20;
  auto db = Db::Open(o, nullptr);
  REQUIRE(db.ok());
  Write(**db, 0, 50, 1);
  REQUIRE((*db)->Flush().ok());
  Write(**db, 50, 30, 2);
  REQUIRE((*db)->Flush().ok());  // the odd series were idle: they leave the head
  Write(**db, 80, 25, 2);
  REQUIRE((*db)->Stats().series < static_cast<uint64_t>(kSeries));
  return std::move(*db);
}

SearchResult MustSearch(const Db& db, std::vector<Matcher> matchers, int64_t mint, int64_t maxt,
                        uint64_t max_series = 0) {
  SearchRequest req;
  req.tenant = kTenant;
  req.matchers = std::move(matchers);
  req.min_time_ms = mint;
  req.max_time_ms = maxt;
  req.max_series = max_series;
  auto r = db.Search(req);
  REQUIRE(r.ok());
  return *std::move(r);
}

void RequireSameSeries(const SeriesChunks& a, const SeriesChunks& b) {
  REQUIRE(a.labels == b.labels);
  REQUIRE(a.chunks.size() == b.chunks.size());
  for (size_t i = 0; i < a.chunks.size(); ++i) {
    CHECK(a.chunks[i].min_time_ms == b.chunks[i].min_time_ms);
    CHECK(a.chunks[i].max_time_ms == b.chunks[i].max_time_ms);
    CHECK(a.chunks[i].encoding == b.chunks[i].encoding);
    CHECK(a.chunks[i].data == b.chunks[i].data);
  }
}

TEST_CASE("a search of many series answers as one-series searches do", "[storage][db][persist][unit]") {
  TempDir dir;
  std::unique_ptr<Db> db = MixedDb(dir.path());
  // All time, and a range that leaves out the odd series' last samples.
  for (const auto& [mint, maxt] : {std::pair<int64_t, int64_t>{INT64_MIN, INT64_MAX}, {40 * kStep, 60 * kStep}}) {
    INFO("range " << mint << " .. " << maxt);
    SearchResult all = MustSearch(*db, {M(MatchType::kEqual, "__name__", "m")}, mint, maxt);
    CHECK_FALSE(all.truncated);
    REQUIRE(all.series.size() == static_cast<size_t>(kSeries));
    for (int s = 0; s < kSeries; ++s) {
      INFO("series " << s);
      SearchResult one = MustSearch(*db, {M(MatchType::kEqual, "instance", Instance(s))}, mint, maxt);
      REQUIRE(one.series.size() == 1);
      // Label order: the instance numbers are zero-padded.
      RequireSameSeries(all.series[static_cast<size_t>(s)], one.series[0]);
    }
  }
  // A range where only the even series have data leaves the others out.
  SearchResult late = MustSearch(*db, {M(MatchType::kEqual, "__name__", "m")}, 90 * kStep, 100 * kStep);
  REQUIRE(late.series.size() == static_cast<size_t>(kSeries / 2));
  CHECK(late.series[1].labels.Get("instance") == Instance(2));
}

TEST_CASE("a search over max_series keeps the first series in label order and says truncated",
          "[storage][db][persist][unit]") {
  TempDir dir;
  std::unique_ptr<Db> db = MixedDb(dir.path());
  const std::vector<Matcher> all_m = {M(MatchType::kEqual, "__name__", "m")};
  SearchResult all = MustSearch(*db, all_m, INT64_MIN, INT64_MAX);
  REQUIRE(all.series.size() == static_cast<size_t>(kSeries));
  for (uint64_t limit : {1, 255, 256, 257, 599, 600, 601}) {
    INFO("max_series " << limit);
    SearchResult cut = MustSearch(*db, all_m, INT64_MIN, INT64_MAX, limit);
    CHECK(cut.truncated == (limit < static_cast<uint64_t>(kSeries)));
    REQUIRE(cut.series.size() == std::min<size_t>(limit, kSeries));
    for (size_t i = 0; i < cut.series.size(); ++i) RequireSameSeries(cut.series[i], all.series[i]);
  }
  // Series without data in the range do not count against the limit.
  SearchResult late = MustSearch(*db, all_m, 90 * kStep, 100 * kStep, 200);
  CHECK(late.truncated);
  REQUIRE(late.series.size() == 200);
  CHECK(late.series[199].labels.Get("instance") == Instance(398));
}

}  // namespace
}  // namespace strata::storage
