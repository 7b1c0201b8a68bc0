// End-to-end tests of the cluster spine with real processes on loopback:
// 3 storage nodes (replicationFactor 2), 1 insert node, 1 select node.
#include <algorithm>
#include <chrono>
#include <thread>

#include <catch2/catch.hpp>
#include <snappy.h>
#include <fmt/format.h>

#include "common/prompb/remote_write_encoder.h"
#include "e2e/cluster.h"
#include "e2e/prom_json.h"
#include "e2e/test_data.h"

namespace strata::testing {
namespace {

TEST_CASE("a generated batch round-trips through insert, storage and select bit-exact", "[e2e][.slow]") {
  StrataCluster cluster;
  cluster.Start();
  auto data = GenerateSeries(40, 80, 1);
  WriteAll(cluster, EncodeRequests(data, 7));
  std::string diff = CompareWithSelect(cluster, data);
  INFO(cluster.Logs());
  CHECK(diff.empty());
  CAPTURE(diff);
}

TEST_CASE("queries stay complete while one storage node is down and a restarted node serves its WAL",
          "[e2e][.slow]") {
  StrataCluster cluster;
  cluster.Start();
  auto data = GenerateSeries(30, 40, 2);
  WriteAll(cluster, EncodeRequests(data, 10));
  REQUIRE(CompareWithSelect(cluster, data).empty());

  cluster.KillStorage(0);
  std::string diff = CompareWithSelect(cluster, data);
  INFO("with storage-0 killed: " << diff << cluster.Logs());
  CHECK(diff.empty());

  // Restart node 0 from its WAL, then take node 1 away: the series that
  // lived on {0, 1} are now only on the restarted node.
  cluster.StartStorage(0);
  cluster.KillStorage(1);
  diff = EventuallyComplete(cluster, data);
  INFO("after restarting storage-0 and killing storage-1: " << diff << cluster.Logs());
  CHECK(diff.empty());
}

TEST_CASE("an acknowledged write survives kill -9 of every storage node", "[e2e][.slow]") {
  StrataCluster cluster;
  cluster.Start();
  auto data = GenerateSeries(25, 60, 3);
  auto requests = EncodeRequests(data, 25);
  REQUIRE(requests.size() == 1);
  auto r = cluster.RemoteWrite(requests[0]);
  REQUIRE(r.ok());
  REQUIRE(r->status == 204);
  // Right after the acknowledgement, before any flush could happen.
  for (int i = 0; i < 3; ++i) cluster.KillStorage(i);
  for (int i = 0; i < 3; ++i) cluster.StartStorage(i);
  std::string diff = EventuallyComplete(cluster, data);
  INFO(diff << cluster.Logs());
  CHECK(diff.empty());
}

TEST_CASE("data flushed to RocksDB and data only in the WAL both survive kill -9", "[e2e][.slow]") {
  StrataCluster cluster;
  cluster.Start();
  auto flushed = GenerateSeries(20, 60, 6);
  WriteAll(cluster, EncodeRequests(flushed, 10));
  for (int i = 0; i < 3; ++i) {
    auto r = HttpClient::Get("127.0.0.1", cluster.storage_http_port(i), "/internal/force_flush");
    REQUIRE(r.ok());
    INFO(r->body);
    REQUIRE(r->status == 200);
  }
  // More samples of the same series after the checkpoint: only in the WAL.
  auto later = flushed;
  for (auto& s : later) {
    for (auto& sample : s.samples) sample.timestamp_ms += 60 * 15'000;
    if (IsStaleNaN(s.samples.back().value)) s.samples.back().value = 1;
  }
  WriteAll(cluster, EncodeRequests(later, 10));
  for (int i = 0; i < 3; ++i) cluster.KillStorage(i);
  for (int i = 0; i < 3; ++i) cluster.StartStorage(i);
  auto all = flushed;
  for (size_t i = 0; i < all.size(); ++i) {
    // The first series ended with a stale marker before the later samples.
    all[i].samples.insert(all[i].samples.end(), later[i].samples.begin(), later[i].samples.end());
  }
  std::string diff = EventuallyComplete(cluster, all);
  INFO(diff << cluster.Logs());
  CHECK(diff.empty());
}

TEST_CASE("writes are refused with 503 when fewer than replicationFactor storage nodes are up", "[e2e][.slow]") {
  StrataCluster cluster;
  cluster.Start();
  auto data = GenerateSeries(5, 10, 4);
  auto requests = EncodeRequests(data, 5);
  cluster.KillStorage(0);
  cluster.KillStorage(1);
  auto r = cluster.RemoteWrite(requests[0]);
  REQUIRE(r.ok());
  CHECK(r->status == 503);
  // The sender retries; once a second node is back the write is accepted.
  cluster.StartStorage(1);
  int status = 0;
  for (int attempt = 0; attempt < 50 && status != 204; ++attempt) {
    auto again = cluster.RemoteWrite(requests[0]);
    REQUIRE(again.ok());
    status = again->status;
    if (status != 204) std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  INFO(cluster.Logs());
  CHECK(status == 204);
  CHECK(EventuallyComplete(cluster, data).empty());
}

TEST_CASE("garbage bodies get 400 with a message and the nodes keep serving", "[e2e][.slow]") {
  StrataCluster cluster;
  cluster.Start();

  struct Case {
    const char* name;
    std::string body;
    const char* expect_in_message;
  };
  RemoteWriteEncoder enc;
  std::vector<Case> cases;
  cases.push_back({"not snappy", "this is not snappy at all", "snappy"});
  {
    // Valid snappy around an invalid protobuf (a length running past the end).
    std::string proto = "\x0a\xff\xff\xff\xff\x0f garbage";
    std::string compressed;
    snappy::Compress(proto.data(), proto.size(), &compressed);
    cases.push_back({"bad protobuf", compressed, "cannot parse remote_write request"});
  }
  {
    std::vector<LabelView> labels = {{"job", "x"}};
    std::vector<Sample> samples = {{1000, 1}};
    enc.AddSeries(labels, samples);
    cases.push_back({"missing metric name", enc.FinishSnappy(), "__name__"});
  }
  {
    std::vector<LabelView> labels = {{"__name__", "m"}, {"a", "1"}, {"a", "2"}};
    std::vector<Sample> samples = {{1000, 1}};
    enc.AddSeries(labels, samples);
    cases.push_back({"duplicate label name", enc.FinishSnappy(), "duplicate"});
  }
  {
    std::vector<LabelView> labels = {{"__name__", "m"}, {"", "1"}};
    std::vector<Sample> samples = {{1000, 1}};
    enc.AddSeries(labels, samples);
    cases.push_back({"empty label name", enc.FinishSnappy(), "empty"});
  }
  {
    std::vector<LabelView> labels = {{"__name__", "m"}, {"a", "\xc3\x28"}};
    std::vector<Sample> samples = {{1000, 1}};
    enc.AddSeries(labels, samples);
    cases.push_back({"invalid UTF-8", enc.FinishSnappy(), "UTF-8"});
  }
  for (const auto& c : cases) {
    auto r = cluster.RemoteWrite(c.body);
    REQUIRE(r.ok());
    INFO(c.name << ": " << r->status << " " << r->body);
    CHECK(r->status == 400);
    CHECK(r->body.find(c.expect_in_message) != std::string::npos);
  }
  auto bad_tenant = cluster.RemoteWrite(cases[2].body, "/insert/notatenant/prometheus/api/v1/write");
  REQUIRE(bad_tenant.ok());
  CHECK(bad_tenant->status == 400);

  auto bad_query = cluster.Select("/api/v1/query?query=up%7B");
  REQUIRE(bad_query.ok());
  CHECK(bad_query->status == 400);
  auto parsed = ParseQueryResponse(bad_query->body);
  REQUIRE(parsed.ok());
  CHECK(parsed->status == "error");
  CHECK(parsed->error_type == "bad_data");
  auto no_query = cluster.Select("/api/v1/query");
  REQUIRE(no_query.ok());
  CHECK(no_query->status == 400);

  // Still serving: a valid write and read go through.
  auto data = GenerateSeries(3, 5, 5);
  WriteAll(cluster, EncodeRequests(data, 3));
  CHECK(CompareWithSelect(cluster, data).empty());
}

// GETs delete_series on the select node; `matches` are already URL-encoded.
absl::StatusOr<HttpClientResponse> DeleteSeries(StrataCluster& cluster, const std::string& matches) {
  return cluster.Select("/delete/0/prometheus/api/v1/admin/tsdb/delete_series?" + matches);
}

TEST_CASE("delete_series through the select node removes series from every replica and keeps the others",
          "[e2e][.slow]") {
  StrataCluster cluster;
  cluster.Start();
  auto data = GenerateSeries(20, 40, 8);
  WriteAll(cluster, EncodeRequests(data, 10));
  REQUIRE(CompareWithSelect(cluster, data).empty());

  auto without = [&data](std::vector<int> gone) {
    std::vector<GeneratedSeries> kept;
    for (int i = 0; i < static_cast<int>(data.size()); ++i) {
      if (std::find(gone.begin(), gone.end(), i) == gone.end()) kept.push_back(data[i]);
    }
    return kept;
  };

  // Two selectors (a union), one of them a regex matcher.
  auto r = DeleteSeries(cluster, "match[]=e2e_roundtrip_3&match[]=%7B__name__%3D~%22e2e_roundtrip_7%22%7D");
  REQUIRE(r.ok());
  INFO(r->body << cluster.Logs());
  REQUIRE(r->status == 204);
  std::string diff = CompareWithSelect(cluster, without({3, 7}));
  INFO("after deleting 3 and 7: " << diff);
  CHECK(diff.empty());

  // Prometheus's path for tenant 0 does the same.
  r = cluster.Select("/api/v1/admin/tsdb/delete_series?match[]=e2e_roundtrip_9");
  REQUIRE(r.ok());
  REQUIRE(r->status == 204);
  CHECK(CompareWithSelect(cluster, without({3, 7, 9})).empty());

  // With a storage node down the delete cannot finish: it fails loudly,
  // naming the node, and succeeds once the node is back.
  cluster.KillStorage(2);
  r = DeleteSeries(cluster, "match[]=e2e_roundtrip_11");
  REQUIRE(r.ok());
  CHECK(r->status == 503);
  CHECK(r->body.find("delete_series failed on 1 of 3 storage nodes") != std::string::npos);
  CHECK(r->body.find("storage node 127.0.0.1:") != std::string::npos);
  cluster.StartStorage(2);
  int status = 0;
  for (int attempt = 0; attempt < 50 && status != 204; ++attempt) {
    auto again = DeleteSeries(cluster, "match[]=e2e_roundtrip_11");
    REQUIRE(again.ok());
    status = again->status;
    if (status != 204) std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  INFO(cluster.Logs());
  REQUIRE(status == 204);
  // The restarted node replayed its WAL: the series deleted before must not
  // come back from it.
  diff = EventuallyComplete(cluster, without({3, 7, 9, 11}));
  INFO("after the retried delete: " << diff);
  CHECK(diff.empty());

  // Bad selectors are refused before any node is touched.
  r = DeleteSeries(cluster, "match[]=rate(e2e_roundtrip_1%5B5m%5D)");
  REQUIRE(r.ok());
  CHECK(r->status == 400);
  CHECK(r->body.find(R"("errorType":"bad_data")") != std::string::npos);
}

}  // namespace
}  // namespace strata::testing
