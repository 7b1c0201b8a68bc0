#include "storage/server/in_process_storage.h"

#include <map>
#include <optional>

#include "common/chunkenc/chunk_codec.h"
#include "storage/engine/db.h"
#include "unit/storage/storage_test_util.h"

namespace strata::storage {
namespace {

using testing::M;
using testing::OneSeriesBatch;
using testing::TempDir;

DbOptions KeepForever(const TempDir& dir) {
  DbOptions options;
  options.data_path = dir.path();
  options.retention_ms = testing::kKeepForeverMs;
  return options;
}

TEST_CASE("in-process storage writes and searches through the StorageApi", "[storage][server][unit]") {
  TempDir dir;
  const DbOptions options = KeepForever(dir);
  auto db = Db::Open(options, nullptr);
  REQUIRE(db.ok());
  InProcessStorage api(**db);
  CHECK(api.Name() == "local");

  bool called = false;
  auto batch = std::make_shared<const std::string>(OneSeriesBatch({}, {{"__name__", "up"}}, {{1000, 1}}));
  api.Write(RequestContext{}, batch, [&](absl::Status st) {
    CHECK(st.ok());
    called = true;
  });
  CHECK(called);  // synchronous: the callback ran before Write returned

  called = false;
  api.Write(RequestContext{}, std::make_shared<const std::string>("bad"), [&](absl::Status st) {
    CHECK(st.code() == absl::StatusCode::kInvalidArgument);
    called = true;
  });
  CHECK(called);

  called = false;
  api.Write(RequestContext::WithTimeout(std::chrono::milliseconds(-1)), batch, [&](absl::Status st) {
    CHECK(st.code() == absl::StatusCode::kDeadlineExceeded);
    called = true;
  });
  CHECK(called);

  SearchRequest req;
  req.matchers = {M(MatchType::kEqual, "__name__", "up")};
  req.min_time_ms = 0;
  req.max_time_ms = 2000;
  called = false;
  api.Search(RequestContext{}, req, [&](absl::StatusOr<SearchResult> r) {
    REQUIRE(r.ok());
    REQUIRE(r->series.size() == 1);
    CHECK(r->series[0].labels.MetricName() == "up");
    called = true;
  });
  CHECK(called);

  REQUIRE((*db)->Close().ok());
  api.Write(RequestContext{}, batch, [&](absl::Status st) { CHECK(st.code() == absl::StatusCode::kUnavailable); });
}

// The series of `batch` that Search finds for {__name__="up"}, by job, with
// their sample count.
std::map<std::string, size_t> UpSeries(InProcessStorage& api) {
  SearchRequest req;
  req.matchers = {M(MatchType::kEqual, "__name__", "up")};
  req.min_time_ms = 0;
  req.max_time_ms = 1'000'000;
  std::map<std::string, size_t> out;
  api.Search(RequestContext{}, req, [&](absl::StatusOr<SearchResult> r) {
    REQUIRE(r.ok());
    for (const SeriesChunks& s : r->series) {
      std::vector<Sample> samples;
      for (const ChunkData& c : s.chunks) REQUIRE(DecodeChunk(c.encoding, c.data, &samples).ok());
      out[std::string(s.labels.Get("job"))] = samples.size();
    }
  });
  return out;
}

TEST_CASE("in-process storage stores the chosen series of a series batch, also after a restart",
          "[storage][server][unit]") {
  TempDir dir;
  const DbOptions options = KeepForever(dir);
  SeriesBatch batch(TenantId{});
  for (const char* job : {"a", "b", "c", "d"}) {
    const std::vector<LabelView> labels = {{"__name__", "up"}, {"job", job}};
    const std::vector<Sample> samples = {{1000, 1}, {16000, 0}, {31000, 1}};
    batch.AddSeries(labels, samples);
  }
  const std::vector<uint32_t> subset = {3, 0, 2};  // any order, as the Router groups them
  const std::map<std::string, size_t> want = {{"a", 3}, {"c", 3}, {"d", 3}};
  {
    auto db = Db::Open(options, nullptr);
    REQUIRE(db.ok());
    InProcessStorage api(**db);
    bool called = false;
    api.WriteSeries(RequestContext{}, batch, subset, [&](absl::Status st) {
      CHECK(st.ok());
      called = true;
    });
    CHECK(called);  // synchronous
    CHECK(UpSeries(api) == want);
    // Sent again (a Router re-send): the duplicates change nothing.
    api.WriteSeries(RequestContext{}, batch, subset, [](absl::Status st) { CHECK(st.ok()); });
    CHECK(UpSeries(api) == want);

    called = false;
    api.WriteSeries(RequestContext::WithTimeout(std::chrono::milliseconds(-1)), batch, std::vector<uint32_t>{1},
                    [&](absl::Status st) {
                      CHECK(st.code() == absl::StatusCode::kDeadlineExceeded);
                      called = true;
                    });
    CHECK(called);
    // No flush: the samples and the new series' definitions come back
    // from the WAL.
    REQUIRE((*db)->Close().ok());
    api.WriteSeries(RequestContext{}, batch, subset,
                    [](absl::Status st) { CHECK(st.code() == absl::StatusCode::kUnavailable); });
  }
  auto db = Db::Open(options, nullptr);
  REQUIRE(db.ok());
  InProcessStorage api(**db);
  CHECK(UpSeries(api) == want);
  REQUIRE((*db)->Close().ok());
}

TEST_CASE("in-process storage keeps the exemplars of a series batch", "[storage][server][unit]") {
  TempDir dir;
  const DbOptions options = KeepForever(dir);
  auto db = Db::Open(options, nullptr);
  REQUIRE(db.ok());
  InProcessStorage api(**db);
  SeriesBatch batch(TenantId{});
  const std::vector<LabelView> labels = {{"__name__", "up"}, {"job", "a"}};
  const std::vector<Sample> samples = {{1000, 1}};
  const std::vector<LabelView> exemplar_labels = {{"trace_id", "abc"}};
  ExemplarView exemplar;
  exemplar.label_begin = 0;
  exemplar.label_end = 1;
  exemplar.timestamp_ms = 1000;
  exemplar.value = 1;
  batch.AddSeries(labels, samples, std::vector<ExemplarView>{exemplar}, exemplar_labels);
  api.WriteSeries(RequestContext{}, batch, std::vector<uint32_t>{0}, [](absl::Status st) { CHECK(st.ok()); });
  CHECK(UpSeries(api) == std::map<std::string, size_t>{{"a", 1}});

  ExemplarsRequest req;
  req.selectors = {{M(MatchType::kEqual, "__name__", "up")}};
  req.min_time_ms = 0;
  req.max_time_ms = 2000;
  api.QueryExemplars(RequestContext{}, req, [](absl::StatusOr<ExemplarsResult> r) {
    REQUIRE(r.ok());
    REQUIRE(r->series.size() == 1);
    REQUIRE(r->series[0].exemplars.size() == 1);
    CHECK(r->series[0].exemplars[0].labels.Get("trace_id") == "abc");
    CHECK(r->series[0].exemplars[0].timestamp_ms == 1000);
  });
  REQUIRE((*db)->Close().ok());
}

TEST_CASE("in-process storage deletes series through the StorageApi", "[storage][server][unit]") {
  TempDir dir;
  const DbOptions options = KeepForever(dir);
  auto db = Db::Open(options, nullptr);
  REQUIRE(db.ok());
  InProcessStorage api(**db);
  for (const char* job : {"a", "b", "c"}) {
    auto batch =
        std::make_shared<const std::string>(OneSeriesBatch({}, {{"__name__", "up"}, {"job", job}}, {{1000, 1}}));
    api.Write(RequestContext{}, batch, [](absl::Status st) { REQUIRE(st.ok()); });
  }

  std::optional<absl::StatusOr<uint64_t>> got;
  api.DeleteSeries(RequestContext{}, TenantId{}, {M(MatchType::kRegexMatch, "job", "a|b")},
                   [&](absl::StatusOr<uint64_t> r) { got = std::move(r); });
  REQUIRE(got.has_value());  // synchronous
  REQUIRE(got->ok());
  CHECK(**got == 2);

  SearchRequest req;
  req.matchers = {M(MatchType::kEqual, "__name__", "up")};
  req.min_time_ms = 0;
  req.max_time_ms = 2000;
  api.Search(RequestContext{}, req, [&](absl::StatusOr<SearchResult> r) {
    REQUIRE(r.ok());
    REQUIRE(r->series.size() == 1);
    CHECK(r->series[0].labels.Get("job") == "c");
  });

  got.reset();
  api.DeleteSeries(RequestContext::WithTimeout(std::chrono::milliseconds(-1)), TenantId{},
                   {M(MatchType::kEqual, "job", "c")}, [&](absl::StatusOr<uint64_t> r) { got = std::move(r); });
  REQUIRE(got.has_value());
  CHECK(got->status().code() == absl::StatusCode::kDeadlineExceeded);

  got.reset();
  api.DeleteSeries(RequestContext{}, TenantId{}, {}, [&](absl::StatusOr<uint64_t> r) { got = std::move(r); });
  REQUIRE(got.has_value());
  CHECK(got->status().code() == absl::StatusCode::kInvalidArgument);
  REQUIRE((*db)->Close().ok());
}

TEST_CASE("in-process storage refuses delete_series without a persistent engine", "[storage][server][unit]") {
  TempDir dir;
  DbOptions options;
  options.data_path = dir.path();
  options.persistent = false;
  auto db = Db::Open(options, nullptr);
  REQUIRE(db.ok());
  InProcessStorage api(**db);
  std::optional<absl::StatusOr<uint64_t>> got;
  api.DeleteSeries(RequestContext{}, TenantId{}, {M(MatchType::kEqual, "job", "c")},
                   [&](absl::StatusOr<uint64_t> r) { got = std::move(r); });
  REQUIRE(got.has_value());
  CHECK(got->status().code() == absl::StatusCode::kFailedPrecondition);
  REQUIRE((*db)->Close().ok());
}

TEST_CASE("in-process storage answers label names, values and series labels from head and store",
          "[storage][server][unit]") {
  TempDir dir;
  const DbOptions options = KeepForever(dir);
  auto db = Db::Open(options, nullptr);
  REQUIRE(db.ok());
  InProcessStorage api(**db);
  auto write = [&](TenantId tenant, std::vector<LabelView> labels, int64_t t) {
    auto batch = std::make_shared<const std::string>(OneSeriesBatch(tenant, std::move(labels), {{t, 1}}));
    api.Write(RequestContext{}, batch, [](absl::Status st) { REQUIRE(st.ok()); });
  };
  write({}, {{"__name__", "up"}, {"job", "b"}}, 1000);
  write({}, {{"__name__", "up"}, {"job", "a"}, {"zone", "z1"}}, 1000);
  write({}, {{"__name__", "down"}, {"job", "c"}}, 1000);
  REQUIRE((*db)->Flush().ok());  // these three now come from the persistent index
  // Three days later: the persistent index narrows time by UTC day.
  constexpr int64_t kLater = 3 * 86'400'000LL;
  write({}, {{"__name__", "up"}, {"job", "d"}}, kLater);
  write(TenantId{7, 0}, {{"__name__", "up"}, {"job", "other-tenant"}}, 1000);

  LabelsRequest req;
  req.min_time_ms = 0;
  req.max_time_ms = kLater;
  std::optional<absl::StatusOr<SeriesLabelsResult>> series;
  req.matchers = {M(MatchType::kEqual, "__name__", "up")};
  api.SeriesLabels(RequestContext{}, req, [&](absl::StatusOr<SeriesLabelsResult> r) { series = std::move(r); });
  REQUIRE(series.has_value());  // synchronous
  REQUIRE(series->ok());
  REQUIRE((*series)->series.size() == 3);
  CHECK((*series)->series[0].ToString() == "up{job=\"a\", zone=\"z1\"}");
  CHECK((*series)->series[1].ToString() == "up{job=\"b\"}");
  CHECK((*series)->series[2].ToString() == "up{job=\"d\"}");
  CHECK(!(*series)->truncated);

  req.limit = 2;
  api.SeriesLabels(RequestContext{}, req, [&](absl::StatusOr<SeriesLabelsResult> r) { series = std::move(r); });
  REQUIRE(series->ok());
  CHECK((*series)->series.size() == 2);
  CHECK((*series)->truncated);
  req.limit = 3;
  api.SeriesLabels(RequestContext{}, req, [&](absl::StatusOr<SeriesLabelsResult> r) { series = std::move(r); });
  REQUIRE(series->ok());
  CHECK((*series)->series.size() == 3);
  CHECK(!(*series)->truncated);

  // Only the head series has data in the last day.
  req.limit = 0;
  req.min_time_ms = kLater - 86'400'000LL;
  api.SeriesLabels(RequestContext{}, req, [&](absl::StatusOr<SeriesLabelsResult> r) { series = std::move(r); });
  REQUIRE(series->ok());
  REQUIRE((*series)->series.size() == 1);
  CHECK((*series)->series[0].Get("job") == "d");

  std::optional<absl::StatusOr<LabelsResult>> got;
  LabelsRequest all;
  all.min_time_ms = 0;
  all.max_time_ms = kLater;
  api.LabelNames(RequestContext{}, all, [&](absl::StatusOr<LabelsResult> r) { got = std::move(r); });
  REQUIRE(got.has_value());
  REQUIRE(got->ok());
  CHECK((*got)->values == std::vector<std::string>{"__name__", "job", "zone"});
  CHECK(!(*got)->truncated);

  all.label_name = "job";
  all.limit = 3;
  api.LabelValues(RequestContext{}, all, [&](absl::StatusOr<LabelsResult> r) { got = std::move(r); });
  REQUIRE(got->ok());
  CHECK((*got)->values == std::vector<std::string>{"a", "b", "c"});
  CHECK((*got)->truncated);  // "d" is left out

  all.tenant = TenantId{7, 0};
  all.limit = 0;
  all.label_name = "__name__";
  api.LabelValues(RequestContext{}, all, [&](absl::StatusOr<LabelsResult> r) { got = std::move(r); });
  REQUIRE(got->ok());
  CHECK((*got)->values == std::vector<std::string>{"up"});

  api.LabelNames(RequestContext::WithTimeout(std::chrono::milliseconds(-1)), all,
                 [&](absl::StatusOr<LabelsResult> r) { got = std::move(r); });
  CHECK(got->status().code() == absl::StatusCode::kDeadlineExceeded);
  REQUIRE((*db)->Close().ok());
}

}  // namespace
}  // namespace strata::storage
