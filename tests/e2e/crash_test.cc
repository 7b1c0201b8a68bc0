// kill -9 of storage nodes in the middle of their own work: during a flush
// (sealing chunks, writing RocksDB, truncating the WAL) and during a
// compaction (force_merge). Whenever the kill lands, every acknowledged
// sample must come back after the restart.
#include <chrono>
#include <thread>

#include <catch2/catch.hpp>

#include "e2e/cluster.h"
#include "e2e/test_data.h"
#include "testing/http_client.h"

namespace strata::testing {
namespace {

// Starts GET `path` on storage node `i` in the background, kills the node
// `delay` later (the request may or may not have finished), restarts it.
void KillDuring(StrataCluster& cluster, int i, const char* path, std::chrono::milliseconds delay) {
  const uint16_t port = cluster.storage_http_port(i);
  std::thread call([port, path] { (void)HttpClient::Get("127.0.0.1", port, path); });
  std::this_thread::sleep_for(delay);
  cluster.KillStorage(i);
  call.join();
  cluster.StartStorage(i);
}

TEST_CASE("kill -9 during a flush or a compaction loses no acknowledged sample", "[e2e][.slow]") {
  StrataCluster cluster;
  cluster.Start();
  // Enough data that a flush and a merge take a noticeable time.
  auto first = GenerateSeries(300, 240, 11);
  WriteAll(cluster, EncodeRequests(first, 50));
  // Different delays per node: the kills land at different points of the
  // flush (before, within and after the RocksDB write).
  KillDuring(cluster, 0, "/internal/force_flush", std::chrono::milliseconds(0));
  KillDuring(cluster, 1, "/internal/force_flush", std::chrono::milliseconds(30));
  KillDuring(cluster, 2, "/internal/force_flush", std::chrono::milliseconds(120));
  std::string diff = EventuallyComplete(cluster, first);
  INFO("after kills during flushes: " << diff << cluster.Logs());
  REQUIRE(diff.empty());

  // Later samples of the same series, then kills during force_merge (which
  // flushes and then compacts every column family).
  auto later = first;
  for (auto& s : later) {
    for (auto& sample : s.samples) sample.timestamp_ms += 240 * 15'000;
    if (IsStaleNaN(s.samples.back().value)) s.samples.back().value = 1;
  }
  WriteAll(cluster, EncodeRequests(later, 50));
  KillDuring(cluster, 0, "/internal/force_merge", std::chrono::milliseconds(200));
  KillDuring(cluster, 1, "/internal/force_merge", std::chrono::milliseconds(60));
  KillDuring(cluster, 2, "/internal/force_merge", std::chrono::milliseconds(10));
  auto all = first;
  for (size_t i = 0; i < all.size(); ++i) {
    all[i].samples.insert(all[i].samples.end(), later[i].samples.begin(), later[i].samples.end());
  }
  diff = EventuallyComplete(cluster, all);
  INFO("after kills during merges: " << diff << cluster.Logs());
  CHECK(diff.empty());
}

}  // namespace
}  // namespace strata::testing
