// Snapshots (storage/engine/snapshots.h) and their HTTP endpoints
// (storage/server/snapshot_routes.h): a snapshot taken while the engine runs
// opens as a data path holding every acknowledged sample; names cannot
// escape the snapshots directory; the endpoints answer like VictoriaMetrics.
#include "storage/engine/snapshots.h"

#include <algorithm>
#include <bit>
#include <filesystem>
#include <map>
#include <optional>
#include <regex>

#include <fmt/format.h>
#include <prometheus/registry.h>

#include "common/chunkenc/chunk_codec.h"
#include "common/net/http.h"
#include "storage/engine/db.h"
#include "storage/index/rocks_store.h"
#include "storage/server/snapshot_routes.h"
#include "unit/storage/storage_test_util.h"
#include "unit/storage/engine/db_test_util.h"

namespace strata::storage {
namespace {

namespace fs = std::filesystem;
using testing::M;
using testing::TempDir;

constexpr TenantId kTenant{7, 1};
using Written = std::map<std::string, std::vector<Sample>>;

void Write(Db& db, int first, int n, Written* w) {
  for (int b = first; b < first + n; ++b) {
    WriteBatchBuilder builder(kTenant);
    for (int s = 0; s < 6; ++s) {
      const std::string inst = "host-" + std::to_string(s);
      std::vector<LabelView> labels = {{"__name__", "node_cpu"}, {"instance", inst}};
      std::vector<Sample> samples;
      for (int i = 0; i < 5; ++i) samples.push_back({int64_t{b * 5 + i} * 15000, b * 1.25 + i + s * 1e6});
      builder.AddSeries(labels, samples);
      auto& dst = (*w)[Labels::FromViews(labels).ToString()];
      dst.insert(dst.end(), samples.begin(), samples.end());
    }
    REQUIRE(db.Append(builder.Finish()).ok());
  }
}

Written ReadAll(const Db& db) {
  return testing::SearchAllSamples(db, kTenant, {M(MatchType::kEqual, "__name__", "node_cpu")});
}

void CheckSame(const Written& got, const Written& want) {
  REQUIRE(got.size() == want.size());
  for (const auto& [labels, samples] : want) {
    INFO(labels);
    REQUIRE(got.count(labels) == 1);
    const auto& have = got.at(labels);
    REQUIRE(have.size() == samples.size());
    for (size_t i = 0; i < samples.size(); ++i) {
      CHECK(have[i].timestamp_ms == samples[i].timestamp_ms);
      CHECK(std::bit_cast<uint64_t>(have[i].value) == std::bit_cast<uint64_t>(samples[i].value));
    }
  }
}

DbOptions Options(const std::string& path) {
  DbOptions o;
  o.data_path = path;
  o.retention_ms = testing::kKeepForeverMs;
  o.flush_interval = std::chrono::milliseconds(0);
  o.max_samples_per_chunk = 12;
  o.block_cache_bytes = 8 << 20;
  o.write_buffer_bytes = 8 << 20;
  return o;
}

std::unique_ptr<Db> MustOpen(const DbOptions& o) {
  auto db = Db::Open(o, nullptr);
  REQUIRE(db.ok());
  return std::move(db).value();
}

// Restores a snapshot the way docs/operations.md says: copy its directory
// somewhere and use that as the data path.
Written RestoreAndRead(const std::string& snapshot_dir, const std::string& restore_to) {
  fs::copy(snapshot_dir, restore_to, fs::copy_options::recursive);
  auto db = MustOpen(Options(restore_to));
  Written got = ReadAll(*db);
  REQUIRE(db->Close().ok());
  return got;
}

TEST_CASE("a snapshot of a running engine restores every sample acknowledged before it", "[storage][snapshot][unit]") {
  TempDir dir;
  const std::string data = dir.path() + "/data";
  auto db = MustOpen(Options(data));
  Written before;
  Write(*db, 0, 8, &before);
  REQUIRE(db->Flush().ok());
  Write(*db, 8, 4, &before);  // in the WAL and the head only

  const bool real_flush = GENERATE(true, false);
  INFO("flush before the checkpoint: " << real_flush);
  // Without the flush the samples after the last flush reach the snapshot
  // only through its WAL part: that path is exercised too.
  SnapshotManager snapshots(data, db->store(), data + "/wal",
                            [&]() { return real_flush ? db->Flush() : absl::OkStatus(); });
  auto name = snapshots.Create();
  REQUIRE(name.ok());
  CHECK(SnapshotManager::IsValidName(*name));
  CHECK(std::regex_match(*name, std::regex("[0-9]{14}-[0-9A-F]{16}")));
  const std::string snap = snapshots.PathOf(*name);
  CHECK(fs::is_directory(snap + "/db"));
  CHECK(fs::is_directory(snap + "/wal"));
  if (!real_flush) CHECK(!fs::is_empty(snap + "/wal"));

  Written after = before;
  Write(*db, 12, 3, &after);  // not in the snapshot
  REQUIRE(db->Flush().ok());
  REQUIRE(db->ForceMerge().ok());  // compaction rewrites the store's files: the snapshot's links keep the old ones
  CheckSame(ReadAll(*db), after);
  REQUIRE(db->Close().ok());
  db.reset();

  // The original data path is gone; the snapshot alone holds the data.
  const std::string saved = dir.path() + "/saved";
  fs::copy(snap, saved, fs::copy_options::recursive);
  fs::remove_all(data);
  CheckSame(RestoreAndRead(saved, dir.path() + "/restored"), before);
}

TEST_CASE("snapshots are listed oldest first, deleted one by one or all at once", "[storage][snapshot][unit]") {
  TempDir dir;
  const std::string data = dir.path() + "/data";
  auto db = MustOpen(Options(data));
  Written w;
  Write(*db, 0, 2, &w);
  SnapshotManager snapshots(data, db->store(), data + "/wal", [&]() { return db->Flush(); });
  CHECK(snapshots.List()->empty());
  auto a = snapshots.Create();
  auto b = snapshots.Create();
  REQUIRE(a.ok());
  REQUIRE(b.ok());
  CHECK(*a != *b);
  CHECK(*snapshots.List() == std::vector<std::string>{std::min(*a, *b), std::max(*a, *b)});

  CHECK(snapshots.Delete("20200101000000-0ABC").code() == absl::StatusCode::kNotFound);
  REQUIRE(snapshots.Delete(*a).ok());
  CHECK(*snapshots.List() == std::vector<std::string>{*b});
  CHECK(!fs::exists(snapshots.PathOf(*a)));

  // A half-written snapshot left by a crash is not listed, and delete_all
  // removes it too.
  fs::create_directories(snapshots.PathOf("20200101000000-0123456789ABCDEF") + ".tmp/db");
  CHECK(*snapshots.List() == std::vector<std::string>{*b});
  REQUIRE(snapshots.DeleteAll().ok());
  CHECK(snapshots.List()->empty());
  CHECK(fs::is_empty(data + "/snapshots"));
  CheckSame(ReadAll(*db), w);  // the engine's own data is untouched
}

TEST_CASE("snapshot names that could reach outside the snapshots directory are refused", "[storage][snapshot][unit]") {
  TempDir dir;
  const std::string data = dir.path() + "/data";
  auto db = MustOpen(Options(data));
  SnapshotManager snapshots(data, db->store(), data + "/wal", [&]() { return db->Flush(); });
  REQUIRE(snapshots.Create().ok());
  fs::create_directories(data + "/victim");
  for (const char* bad : {"../db", "..", "../../data", "../victim", "", ".", "/etc", "20200101000000-../../db",
                          "20200101000000-", "2020010100000-AB", "20200101000000-AB/../..", "db"}) {
    INFO(bad);
    CHECK(snapshots.Delete(bad).code() == absl::StatusCode::kInvalidArgument);
  }
  CHECK(fs::is_directory(data + "/db"));
  CHECK(fs::is_directory(data + "/victim"));
  CHECK(snapshots.List()->size() == 1);
}

HttpResponse Serve(const HttpMux& mux, const std::string& path, const std::string& query = "") {
  const HttpHandler* handler = mux.Find(path);
  REQUIRE(handler != nullptr);
  HttpRequest request;
  request.method = "GET";
  request.path = path;
  request.query = query;
  std::optional<HttpResponse> response;
  (*handler)(std::move(request), [&](HttpResponse r) { response = std::move(r); });
  REQUIRE(response.has_value());
  return *response;
}

TEST_CASE("snapshot endpoints answer with VictoriaMetrics' status codes and JSON", "[storage][snapshot][http][unit]") {
  TempDir dir;
  const std::string data = dir.path() + "/data";
  auto db = MustOpen(Options(data));
  Written w;
  Write(*db, 0, 3, &w);
  HttpMux mux;
  RegisterSnapshotRoutes(mux, std::make_shared<SnapshotManager>(data, db->store(), data + "/wal",
                                                               [&]() { return db->Flush(); }));

  HttpResponse r = Serve(mux, "/snapshot/list");
  CHECK(r.status == 200);
  CHECK(r.content_type == "application/json");
  CHECK(r.body == R"({"status":"ok","snapshots":[]})");

  r = Serve(mux, "/snapshot/create");
  CHECK(r.status == 200);
  CHECK(r.content_type == "application/json");
  std::smatch m;
  REQUIRE(std::regex_match(r.body, m, std::regex(R"re(\{"status":"ok","snapshot":"([0-9]{14}-[0-9A-F]{16})"\})re")));
  const std::string first = m[1];
  CHECK(fs::is_directory(data + "/snapshots/" + first + "/db"));

  r = Serve(mux, "/api/v1/admin/tsdb/snapshot");
  CHECK(r.status == 200);
  REQUIRE(std::regex_match(r.body, m, std::regex(R"re(\{"status":"success","data":\{"name":"([0-9]{14}-[0-9A-F]{16})"\}\})re")));
  const std::string second = m[1];

  r = Serve(mux, "/snapshot/list");
  CHECK(r.status == 200);
  CHECK(r.body == fmt::format("{{\"status\":\"ok\",\"snapshots\":[\n\"{}\",\n\"{}\"\n]}}", std::min(first, second),
                              std::max(first, second)));

  r = Serve(mux, "/snapshot/delete", "snapshot=..%2Fdb");
  CHECK(r.status == 500);
  CHECK(r.content_type == "application/json");
  CHECK(r.body.starts_with(R"({"status":"error","msg":"invalid snapshot name \"../db\")"));
  CHECK(fs::is_directory(data + "/db"));
  r = Serve(mux, "/snapshot/delete", "snapshot=20200101000000-0ABC");
  CHECK(r.status == 500);
  CHECK(r.body == R"({"status":"error","msg":"cannot find snapshot \"20200101000000-0ABC\""})");
  r = Serve(mux, "/snapshot/delete");
  CHECK(r.status == 500);

  r = Serve(mux, "/snapshot/delete", "snapshot=" + first);
  CHECK(r.status == 200);
  CHECK(r.body == R"({"status":"ok"})");
  CHECK(Serve(mux, "/snapshot/list").body == fmt::format("{{\"status\":\"ok\",\"snapshots\":[\n\"{}\"\n]}}", second));

  r = Serve(mux, "/snapshot/delete_all");
  CHECK(r.status == 200);
  CHECK(r.body == R"({"status":"ok"})");
  CHECK(Serve(mux, "/snapshot/list").body == R"({"status":"ok","snapshots":[]})");
  CheckSame(ReadAll(*db), w);
}

TEST_CASE("a snapshot of an engine without a persistent store is refused with an error", "[storage][snapshot][unit]") {
  TempDir dir;
  SnapshotManager snapshots(dir.path(), nullptr, dir.path() + "/wal", [] { return absl::OkStatus(); });
  CHECK(snapshots.Create().status().code() == absl::StatusCode::kFailedPrecondition);
  CHECK(!fs::exists(dir.path() + "/snapshots"));
}

}  // namespace
}  // namespace strata::storage
