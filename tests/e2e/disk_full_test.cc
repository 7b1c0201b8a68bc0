// Disk full on one storage node of 3 (R=2): the node turns read-only
// (-storage.minFreeDiskSpaceBytes), the insert node sends its replicas to
// the other nodes so every write is still acknowledged, reads answer
// completely, and once space is freed the node takes writes again. At the
// end every acknowledged sample is in query results exactly once.
//
// Two modes, printed: "tmpfs" (root: the node's data directory is a 64 MiB
// tmpfs that a ballast file fills) and "flag" (no mount possible: the node is
// restarted with -storage.minFreeDiskSpaceBytes above its free space, then
// without it; STRATA_E2E_NO_MOUNT=1 forces this mode).
#include <sys/mount.h>
#include <sys/statvfs.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <thread>

#include <catch2/catch.hpp>
#include <fmt/format.h>
#include <signal.h>

#include "e2e/cluster.h"
#include "e2e/test_data.h"

namespace strata::testing {
namespace {

constexpr int kReadOnlyNode = 1;
constexpr uint64_t kMinFree = 16'000'000;

uint64_t FreeBytes(const std::string& path) {
  struct statvfs st;
  REQUIRE(::statvfs(path.c_str(), &st) == 0);
  return static_cast<uint64_t>(st.f_bavail) * st.f_frsize;
}

// The value of the /metrics line that is exactly `series` (-1 when none).
double Scrape(uint16_t port, const std::string& series) {
  auto r = HttpClient::Get("127.0.0.1", port, "/metrics");
  REQUIRE(r.ok());
  size_t at = r->body.find("\n" + series + " ");
  if (at == std::string::npos) return -1;
  at += series.size() + 2;
  return std::stod(r->body.substr(at, r->body.find('\n', at) - at));
}

// Waits until the node on `port` is connected to every storage node again
// (a restarted node is reconnected with backoff; until then it gets no writes).
void WaitAllConnected(uint16_t port) {
  bool connected = WaitFor(100, std::chrono::milliseconds(100), [&] {
    auto r = HttpClient::Get("127.0.0.1", port, "/metrics");
    if (!r.ok()) return false;
    int lines = 0;
    for (size_t at = r->body.find("\nstrata_rpc_connected{"); at != std::string::npos;
         at = r->body.find("\nstrata_rpc_connected{", at + 1)) {
      size_t end = r->body.find('\n', at + 1);
      if (r->body.substr(end - 2, 2) != " 1") return false;
      ++lines;
    }
    return lines > 0;
  });
  REQUIRE(connected);
}

// Unmounts (lazily: the node may still hold files) when the test ends.
struct Mount {
  std::string path;
  ~Mount() {
    if (!path.empty()) ::umount2(path.c_str(), MNT_DETACH);
  }
};

// `series` restricted to samples [from, to) of each.
std::vector<GeneratedSeries> Slice(const std::vector<GeneratedSeries>& series, size_t from, size_t to) {
  std::vector<GeneratedSeries> out;
  for (const auto& s : series) {
    GeneratedSeries part{s.labels, {}};
    for (size_t k = from; k < to && k < s.samples.size(); ++k) part.samples.push_back(s.samples[k]);
    out.push_back(std::move(part));
  }
  return out;
}

TEST_CASE("a storage node with a full disk turns read-only, writes go to the others, reads stay complete, and it "
          "takes writes when space returns",
          "[e2e][disk][.slow]") {
  ClusterOptions options;
  options.storage_nodes = 3;
  options.replication_factor = 2;
  StrataCluster cluster(options);
  const std::string data = cluster.storage_data_dir(kReadOnlyNode);
  std::filesystem::create_directories(data);
  Mount mount;
  // STRATA_E2E_NO_MOUNT=1 runs the fallback even as root.
  const bool tmpfs =
      std::getenv("STRATA_E2E_NO_MOUNT") == nullptr && ::mount("tmpfs", data.c_str(), "tmpfs", 0, "size=64m") == 0;
  if (tmpfs) {
    mount.path = data;
    cluster.SetStorageArgs(kReadOnlyNode, {fmt::format("-storage.minFreeDiskSpaceBytes={}", kMinFree)});
  }
  std::printf("disk full test mode: %s\n",
              tmpfs ? "tmpfs (64 MiB tmpfs filled by a ballast file)"
                    : "flag (cannot mount a tmpfs: -storage.minFreeDiskSpaceBytes above the free space)");
  cluster.Start();
  const uint16_t node_http = cluster.storage_http_port(kReadOnlyNode);
  const std::string appended = "strata_storage_samples_appended_total";

  // 60 series x 45 samples, written in three phases of 15 samples each.
  const auto all = GenerateSeries(60, 45, /*seed=*/61);
  WriteAll(cluster, EncodeRequests(Slice(all, 0, 15), 10));
  CHECK(Scrape(node_http, "strata_storage_read_only") == 0);
  CHECK(Scrape(node_http, appended) > 0);

  // Fill the disk.
  const std::string ballast = data + "/ballast";
  if (tmpfs) {
    const uint64_t fill = FreeBytes(data) - kMinFree / 2;
    std::ofstream out(ballast, std::ios::binary);
    std::string block(1 << 20, 'b');
    for (uint64_t written = 0; written < fill; written += block.size()) {
      out.write(block.data(), static_cast<std::streamsize>(std::min<uint64_t>(block.size(), fill - written)));
    }
    out.close();
    REQUIRE(FreeBytes(data) < kMinFree);
    std::this_thread::sleep_for(std::chrono::milliseconds(1100));  // past the guard's 1 s check interval
  } else {
    cluster.KillStorage(kReadOnlyNode);
    cluster.SetStorageArgs(kReadOnlyNode, {fmt::format("-storage.minFreeDiskSpaceBytes={}", FreeBytes(data) + (1ull << 40))});
    cluster.StartStorage(kReadOnlyNode);
    WaitAllConnected(cluster.insert_port());
  }

  // Writes keep being acknowledged, via the two other nodes.
  const double appended_before = Scrape(node_http, appended);
  WriteAll(cluster, EncodeRequests(Slice(all, 15, 30), 10));
  INFO(cluster.Logs());
  CHECK(Scrape(node_http, "strata_storage_read_only") == 1);
  CHECK(Scrape(node_http, appended) == appended_before);  // it took none of them
  // Reads answer completely while the node is read-only (it still serves its data).
  CHECK(EventuallyComplete(cluster, Slice(all, 0, 30)) == "");

  // Free the space: the node takes writes again.
  if (tmpfs) {
    std::filesystem::remove(ballast);
    std::this_thread::sleep_for(std::chrono::milliseconds(1100));
  } else {
    cluster.KillStorage(kReadOnlyNode);
    cluster.SetStorageArgs(kReadOnlyNode, {});
    cluster.StartStorage(kReadOnlyNode);
    WaitAllConnected(cluster.insert_port());
    WaitAllConnected(cluster.select_port());
  }
  const double appended_after_free = Scrape(node_http, appended);
  WriteAll(cluster, EncodeRequests(Slice(all, 30, 45), 10));
  CHECK(Scrape(node_http, "strata_storage_read_only") == 0);
  CHECK(Scrape(node_http, appended) > appended_after_free);

  // Every acknowledged sample is there exactly once (CompareWithSelect also
  // reports extra or partial answers).
  CHECK(EventuallyComplete(cluster, all) == "");
  const std::string log = cluster.Logs();
  if (tmpfs) {
    CHECK_THAT(log, Catch::Contains("storage node is now read-only"));
    CHECK_THAT(log, Catch::Contains("storage node takes writes again"));
  }
}

}  // namespace
}  // namespace strata::testing
