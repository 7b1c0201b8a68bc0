// Exemplars and metric metadata in the storage engine: written through
// Append (0x58 write batches) and WriteMetadata, read back by
// QueryExemplars and Metadata, kept across a restart, capped per series.
#include <catch2/catch.hpp>

#include "common/base/clock.h"
#include "common/model/write_batch.h"
#include "storage/engine/db.h"
#include "unit/storage/storage_test_util.h"

namespace strata::storage {
namespace {

using testing::M;
using testing::TempDir;

const TenantId kTenant{3, 4};

DbOptions Options(const TempDir& dir) {
  DbOptions o;
  o.data_path = dir.path();
  o.flush_interval = std::chrono::milliseconds(0);
  o.max_exemplars_per_series = 3;
  return o;
}

// A batch with exemplars: series `{__name__="req", path=<path>}` with
// `samples` and one exemplar {trace_id=<trace>} per entry of `exemplars`
// (timestamp, value).
std::string ExemplarBatch(std::string_view path, const std::vector<Sample>& samples,
                          const std::vector<std::pair<int64_t, double>>& exemplars, std::string_view trace = "abc") {
  WriteBatchBuilder b(kTenant, /*with_exemplars=*/true);
  std::vector<LabelView> labels = {{"__name__", "req"}, {"path", path}};
  std::vector<LabelView> exemplar_labels;
  std::vector<ExemplarView> views;
  for (const auto& [ts, value] : exemplars) {
    uint32_t begin = static_cast<uint32_t>(exemplar_labels.size());
    exemplar_labels.push_back({"trace_id", trace});
    views.push_back(ExemplarView{begin, begin + 1, value, ts});
  }
  b.AddSeries(labels, samples, views, exemplar_labels);
  return b.Finish();
}

ExemplarsRequest Query(std::string path, int64_t mint, int64_t maxt) {
  ExemplarsRequest r;
  r.tenant = kTenant;
  r.selectors.push_back({M(MatchType::kEqual, "__name__", "req"), M(MatchType::kEqual, "path", std::move(path))});
  r.min_time_ms = mint;
  r.max_time_ms = maxt;
  return r;
}

std::vector<int64_t> Timestamps(const ExemplarsResult& r) {
  std::vector<int64_t> out;
  for (const auto& s : r.series) {
    for (const auto& e : s.exemplars) out.push_back(e.timestamp_ms);
  }
  return out;
}

TEST_CASE("exemplars written with samples come back for the selected series and survive a restart",
          "[storage][exemplars][unit]") {
  TempDir dir;
  const int64_t now = NowUnixMillis();
  {
    auto db = Db::Open(Options(dir), nullptr);
    REQUIRE(db.ok());
    REQUIRE((*db)->Append(ExemplarBatch("/a", {{now, 1}}, {{now, 0.25}})).ok());
    // Prometheus sends exemplars in series of their own, without samples.
    REQUIRE((*db)->Append(ExemplarBatch("/a", {}, {{now + 1000, 0.5}}, "def")).ok());
    REQUIRE((*db)->Append(ExemplarBatch("/b", {{now, 2}}, {{now + 5, 9}})).ok());

    auto r = (*db)->QueryExemplars(Query("/a", now - 1000, now + 5000));
    REQUIRE(r.ok());
    REQUIRE(r->series.size() == 1);
    CHECK(r->series[0].series.ToString() == "req{path=\"/a\"}");
    REQUIRE(r->series[0].exemplars.size() == 2);
    CHECK(r->series[0].exemplars[0].labels.ToString() == "{trace_id=\"abc\"}");
    CHECK(r->series[0].exemplars[0].value == 0.25);
    CHECK(r->series[0].exemplars[1].labels.ToString() == "{trace_id=\"def\"}");
    // The time range clips.
    auto clipped = (*db)->QueryExemplars(Query("/a", now + 1, now + 5000));
    REQUIRE(clipped.ok());
    CHECK(Timestamps(*clipped) == std::vector<int64_t>{now + 1000});
    REQUIRE((*db)->Close().ok());
  }
  auto db = Db::Open(Options(dir), nullptr);
  REQUIRE(db.ok());
  auto r = (*db)->QueryExemplars(Query("/a", now - 1000, now + 5000));
  REQUIRE(r.ok());
  CHECK(Timestamps(*r) == std::vector<int64_t>{now, now + 1000});
  // The samples of the batches are stored as ever.
  SearchRequest search;
  search.tenant = kTenant;
  search.matchers = {M(MatchType::kEqual, "__name__", "req")};
  search.min_time_ms = now - 1000;
  search.max_time_ms = now + 1000;
  auto s = (*db)->Search(search);
  REQUIRE(s.ok());
  CHECK(s->series.size() == 2);
}

TEST_CASE("each series keeps only its newest exemplars, and re-sent exemplars count once",
          "[storage][exemplars][unit]") {
  TempDir dir;
  const int64_t now = NowUnixMillis();
  auto db = Db::Open(Options(dir), nullptr);  // cap 3
  REQUIRE(db.ok());
  for (int i = 0; i < 5; ++i) {
    REQUIRE((*db)->Append(ExemplarBatch("/a", {{now + i, 1}}, {{now + i, i}})).ok());
    // A replica's or a retry's copy of the same exemplar.
    REQUIRE((*db)->Append(ExemplarBatch("/a", {}, {{now + i, i}})).ok());
  }
  auto r = (*db)->QueryExemplars(Query("/a", now - 1000, now + 1000));
  REQUIRE(r.ok());
  CHECK(Timestamps(*r) == std::vector<int64_t>{now + 2, now + 3, now + 4});
}

TEST_CASE("metric metadata keeps the latest type, help and unit per metric family across a restart",
          "[storage][metadata][unit]") {
  TempDir dir;
  {
    auto db = Db::Open(Options(dir), nullptr);
    REQUIRE(db.ok());
    std::vector<MetricMetadata> md = {{"http_requests_total", 1, "Requests.", ""},
                                      {"latency_seconds", 3, "Latency.", "seconds"}};
    REQUIRE((*db)->WriteMetadata(kTenant, md).ok());
    std::vector<MetricMetadata> update = {{"http_requests_total", 1, "All requests.", ""}};
    REQUIRE((*db)->WriteMetadata(kTenant, update).ok());
    // Another tenant's metadata stays apart.
    REQUIRE((*db)->WriteMetadata(TenantId{9, 0}, update).ok());
    REQUIRE((*db)->Close().ok());
  }
  auto db = Db::Open(Options(dir), nullptr);
  REQUIRE(db.ok());
  auto all = (*db)->Metadata(MetadataRequest{kTenant, "", 0});
  REQUIRE(all.ok());
  REQUIRE(all->metadata.size() == 2);
  CHECK(all->metadata[0] == MetricMetadata{"http_requests_total", 1, "All requests.", ""});
  CHECK(all->metadata[1] == MetricMetadata{"latency_seconds", 3, "Latency.", "seconds"});
  auto one = (*db)->Metadata(MetadataRequest{kTenant, "latency_seconds", 0});
  REQUIRE(one.ok());
  REQUIRE(one->metadata.size() == 1);
  CHECK(one->metadata[0].unit == "seconds");
  auto limited = (*db)->Metadata(MetadataRequest{kTenant, "", 1});
  REQUIRE(limited.ok());
  CHECK(limited->metadata.size() == 1);
  auto none = (*db)->Metadata(MetadataRequest{kTenant, "latency", 0});
  REQUIRE(none.ok());
  CHECK(none->metadata.empty());
}

TEST_CASE("write batches without exemplars keep the old bytes and a malformed exemplar section is rejected",
          "[storage][exemplars][unit]") {
  WriteBatchBuilder old_style(kTenant);
  std::vector<LabelView> labels = {{"__name__", "up"}};
  old_style.AddSeries(labels, std::vector<Sample>{{1, 1}});
  std::string v1 = old_style.Finish();
  CHECK(v1[0] == kWriteBatchMagic);
  WriteBatchBuilder with(kTenant, true);
  with.AddSeries(labels, std::vector<Sample>{{1, 1}});
  std::string v2 = with.Finish();
  CHECK(v2[0] == kWriteBatchExemplarsMagic);
  // The same series plus an empty exemplar section (count 0).
  CHECK(v2.substr(1) == v1.substr(1) + std::string(1, '\0'));

  TempDir dir;
  auto db = Db::Open(Options(dir), nullptr);
  REQUIRE(db.ok());
  CHECK((*db)->Append(v1).ok());
  std::string truncated = ExemplarBatch("/a", {{1, 1}}, {{1, 2}});
  truncated.resize(truncated.size() - 3);
  CHECK(absl::IsInvalidArgument((*db)->Append(truncated)));
}

}  // namespace
}  // namespace strata::storage
