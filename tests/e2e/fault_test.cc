// The fault-injection suite (docs/reliability.md): 1 insert, 3 storage
// nodes with replicationFactor=2, 1 select, on loopback. A writer sends
// remote_write continuously and records every acknowledged sample; a checker
// queries all the time and counts ok / partial / failed answers; meanwhile
// the faults below happen one after another. At the end every acknowledged
// sample must be in the query result exactly once, and while storage nodes
// fail (never more than R-1 at a time) no query may fail or be partial.
#include <signal.h>
#include <sys/mount.h>
#include <sys/statvfs.h>
#include <sys/wait.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <mutex>
#include <regex>
#include <string>
#include <thread>
#include <vector>

#include <catch2/catch.hpp>
#include <fmt/format.h>

#include "common/base/clock.h"
#include "common/model/labels.h"
#include "common/prompb/remote_write_encoder.h"
#include "e2e/cluster.h"
#include "e2e/prom_json.h"
#include "testing/http_client.h"

namespace strata::testing {
namespace {

using namespace std::chrono_literals;

constexpr int kSeries = 20;
// Synthetic scrape interval: one sample per series per request, this far
// apart; the writer sends about one request per interval, so timestamps
// follow the wall clock.
constexpr int64_t kIntervalMs = 100;

// Sends one remote_write request per interval (all kSeries series, one
// sample each, value = request number), retrying a refused request until it
// is acknowledged, as Prometheus does. Records what was acknowledged.
class Writer {
 public:
  Writer(StrataCluster& cluster, int64_t t0_ms) : cluster_(cluster), t0_ms_(t0_ms) {
    thread_ = std::thread([this] { Run(); });
  }
  ~Writer() { Stop(); }

  // Finishes the request in flight (until acknowledged) and stops.
  void Stop() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
  }

  int64_t acknowledged_requests() const { return acked_; }
  int64_t sent_requests() const { return sent_; }
  int64_t refused_attempts() const { return refused_; }
  std::string last_error() const {
    std::lock_guard lock(mu_);
    return last_error_;
  }
  int64_t Timestamp(int64_t k) const { return t0_ms_ + k * kIntervalMs; }

 private:
  void Run() {
    for (int64_t k = 0; !stop_; ++k) {
      auto next = std::chrono::steady_clock::now() + std::chrono::milliseconds(kIntervalMs);
      RemoteWriteEncoder encoder;
      for (int s = 0; s < kSeries; ++s) {
        Labels labels = Labels::FromUnsorted({{"__name__", "fault_series"}, {"series", std::to_string(s)}});
        Sample sample{Timestamp(k), static_cast<double>(k)};
        encoder.AddSeries(labels, std::span<const Sample>(&sample, 1));
      }
      std::string body = encoder.FinishSnappy();
      ++sent_;
      // Retries until acknowledged; gives up only after a minute, which
      // fails the test (the sample then counts as written, not acknowledged).
      auto give_up = std::chrono::steady_clock::now() + 60s;
      while (std::chrono::steady_clock::now() < give_up) {
        auto r = cluster_.RemoteWrite(body);
        if (r.ok() && r->status == 204) {
          ++acked_;
          break;
        }
        ++refused_;
        {
          std::lock_guard lock(mu_);
          last_error_ = r.ok() ? fmt::format("{} {}", r->status, r->body) : std::string(r.status().message());
        }
        std::this_thread::sleep_for(100ms);
      }
      if (acked_ != k + 1) return;  // not acknowledged: stop, the final check reports it
      std::this_thread::sleep_until(next);
    }
  }

  StrataCluster& cluster_;
  const int64_t t0_ms_;
  std::atomic<bool> stop_{false};
  std::atomic<int64_t> acked_{0}, sent_{0}, refused_{0};
  mutable std::mutex mu_;
  std::string last_error_;
  std::thread thread_;
};

struct CheckCounts {
  int64_t ok = 0, partial = 0, failed = 0;
};

// Queries the select node every 100 ms and counts the answers per phase.
class Checker {
 public:
  explicit Checker(StrataCluster& cluster) : cluster_(cluster) {
    thread_ = std::thread([this] { Run(); });
  }
  ~Checker() { Stop(); }
  void Stop() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
  }
  // Answers from now on count under `phase`.
  void SetPhase(std::string phase) {
    std::lock_guard lock(mu_);
    phase_ = std::move(phase);
    counts_[phase_];
  }
  // While paused no query is sent (the select node itself is restarting).
  void Pause(bool paused) { paused_ = paused; }
  std::map<std::string, CheckCounts> counts() const {
    std::lock_guard lock(mu_);
    return counts_;
  }
  std::vector<std::string> problems() const {
    std::lock_guard lock(mu_);
    return problems_;
  }

 private:
  void Run() {
    while (!stop_) {
      std::this_thread::sleep_for(100ms);
      if (paused_) continue;
      auto r = cluster_.Select("/api/v1/query?query=" + UrlEncode("count(fault_series)"));
      bool ok = r.ok() && r->status == 200;
      bool partial = false;
      if (ok) {
        auto parsed = ParseQueryResponse(r->body);
        ok = parsed.ok() && parsed->status == "success";
        partial = ok && parsed->is_partial;
      }
      std::lock_guard lock(mu_);
      CheckCounts& c = counts_[phase_];
      if (!ok || partial) {
        if (problems_.size() < 10) {
          problems_.push_back(fmt::format("[{}] {}", phase_,
                                          r.ok() ? fmt::format("{} {}", r->status, r->body.substr(0, 300))
                                                 : std::string(r.status().message())));
        }
      }
      (!ok ? c.failed : partial ? c.partial : c.ok)++;
    }
  }

  StrataCluster& cluster_;
  std::atomic<bool> stop_{false}, paused_{false};
  mutable std::mutex mu_;
  std::string phase_ = "warm-up";
  std::map<std::string, CheckCounts> counts_;
  std::vector<std::string> problems_;
  std::thread thread_;
};

// True when `port`'s /metrics shows storage node `rpc_port` connected and
// healthy. Both: right after a quick restart the health record may not have
// noticed the outage yet, while the connection state already has.
bool ShowsHealthy(uint16_t port, uint16_t rpc_port) {
  auto r = HttpClient::Get("127.0.0.1", port, "/metrics");
  return r.ok() && r->status == 200 &&
         r->body.find(fmt::format("strata_storage_node_healthy{{node=\"127.0.0.1:{}\"}} 1", rpc_port)) !=
             std::string::npos &&
         r->body.find(fmt::format("strata_rpc_connected{{peer=\"127.0.0.1:{}\"}} 1", rpc_port)) != std::string::npos;
}

// Waits until both the insert and the select node see storage node i as
// connected and healthy again: what an operator's rolling restart waits for
// before it takes down the next node.
void WaitHealthyEverywhere(StrataCluster& cluster, int i) {
  bool healthy = WaitFor(300, 100ms, [&] {
    return ShowsHealthy(cluster.insert_port(), cluster.storage_insert_rpc_port(i)) &&
           ShowsHealthy(cluster.select_port(), cluster.storage_select_rpc_port(i));
  });
  INFO(cluster.Logs());
  REQUIRE(healthy);
}

// strata_storage_samples_appended_total of storage node i (-1 unreadable).
double SamplesAppended(const StrataCluster& cluster, int i) {
  auto r = HttpClient::Get("127.0.0.1", cluster.storage_http_port(i), "/metrics");
  if (!r.ok() || r->status != 200) return -1;
  static const std::regex kAppended(R"(\nstrata_storage_samples_appended_total(\{\})? ([0-9.e+]+))");
  std::smatch m;
  return std::regex_search(r->body, m, kAppended) ? std::stod(m[2]) : -1;
}

bool ExitedCleanly(int wait_status) { return WIFEXITED(wait_status) && WEXITSTATUS(wait_status) == 0; }

// Samples storage node i replayed from its WAL at its last start (from its
// log line "storage engine open ...: N samples of ...").
int64_t LastReplayedSamples(const StrataCluster& cluster, int i) {
  std::string log = cluster.storage_process(i).LogTail(1 << 20);
  static const std::regex kOpen(R"(storage engine open in "[^"]*": (\d+) samples)");
  int64_t last = -1;
  for (auto it = std::sregex_iterator(log.begin(), log.end(), kOpen); it != std::sregex_iterator(); ++it) {
    last = std::stoll((*it)[1]);
  }
  return last;
}

uint64_t FreeBytes(const std::string& path) {
  struct statvfs st {};
  if (::statvfs(path.c_str(), &st) != 0) return 0;
  return static_cast<uint64_t>(st.f_bavail) * st.f_frsize;
}

// A size-capped tmpfs on storage node i's data directory, unmounted
// (lazily: the node may still hold files) when the test ends. Mounting
// needs root; without it the disk-full step lowers the node's free-space
// bound instead (see DiskFullStep).
struct SmallDisk {
  std::string path;
  bool mounted = false;
  void MountOn(const std::string& dir) {
    std::filesystem::create_directories(dir);
    if (std::getenv("STRATA_E2E_NO_MOUNT") == nullptr && ::mount("tmpfs", dir.c_str(), "tmpfs", 0, "size=64m") == 0) {
      path = dir;
      mounted = true;
    }
  }
  ~SmallDisk() {
    if (mounted) ::umount2(path.c_str(), MNT_DETACH);
  }
};

// Storage node i's disk fills up: it must turn read-only (append nothing)
// while the writer keeps being acknowledged through the other nodes and
// reads stay complete, then take writes again once space returns.
void DiskFullStep(StrataCluster& c, int i, const SmallDisk& disk) {
  constexpr uint64_t kMinFree = 10'000'000;  // -storage.minFreeDiskSpaceBytes' default
  const std::string ballast = c.storage_data_dir(i) + "/ballast";
  if (disk.mounted) {
    const uint64_t free = FreeBytes(c.storage_data_dir(i));
    REQUIRE(free > kMinFree);
    std::ofstream out(ballast, std::ios::binary);
    std::string mib(1 << 20, 'x');
    for (uint64_t left = free - kMinFree / 2; left > 0; left -= std::min<uint64_t>(left, mib.size())) {
      out.write(mib.data(), static_cast<std::streamsize>(std::min<uint64_t>(left, mib.size())));
    }
    out.close();
    REQUIRE(FreeBytes(c.storage_data_dir(i)) < kMinFree);
  } else {
    REQUIRE(ExitedCleanly(c.StopStorage(i)));
    c.SetStorageArgs(i, {fmt::format("-storage.minFreeDiskSpaceBytes={}", FreeBytes(c.storage_data_dir(i)) + (1ull << 40))});
    c.StartStorage(i);
    WaitHealthyEverywhere(c, i);
  }
  // The node notices within a second of its next write; after that it
  // appends nothing while the writer goes on.
  std::this_thread::sleep_for(2s);
  const double before = SamplesAppended(c, i);
  std::this_thread::sleep_for(3s);
  CHECK(SamplesAppended(c, i) == before);
  if (disk.mounted) {
    std::filesystem::remove(ballast);
  } else {
    REQUIRE(ExitedCleanly(c.StopStorage(i)));
    c.SetStorageArgs(i, {});
    c.StartStorage(i);
  }
  WaitHealthyEverywhere(c, i);
  const double resumed = SamplesAppended(c, i);
  CHECK(WaitFor(50, 200ms, [&] { return SamplesAppended(c, i) > resumed; }));
}

// One fault: what it does to the cluster, and whether the checker must
// see only complete answers meanwhile.
struct FaultStep {
  std::string name;
  std::function<void(StrataCluster&, Checker&)> run;
  bool queries_must_succeed = true;
};

TEST_CASE("under continuous ingest and queries, kill -9, SIGSTOP, rolling restarts and a full disk lose no "
          "acknowledged sample",
          "[e2e][fault][.slow]") {
  ClusterOptions options;
  options.storage_nodes = 3;
  options.replication_factor = 2;
  SmallDisk small_disk;  // outlives the cluster's processes
  StrataCluster cluster(options);
  small_disk.MountOn(cluster.storage_data_dir(2));
  std::printf("fault suite: storage-2's disk is %s\n",
              small_disk.mounted ? "a 64 MiB tmpfs (filled with a ballast file)"
                                 : "its own directory (cannot mount: -storage.minFreeDiskSpaceBytes raised instead)");
  cluster.Start();
  for (int i = 0; i < 3; ++i) WaitHealthyEverywhere(cluster, i);

  const int64_t t0 = (NowUnixMillis() / 1000 - 60) * 1000;
  const auto writer_start = std::chrono::steady_clock::now();
  Writer writer(cluster, t0);
  Checker checker(cluster);
  std::this_thread::sleep_for(3s);

  std::vector<int64_t> graceful_replays;
  std::vector<FaultStep> steps = {
      {"kill -9 storage-0, restart it",
       [](StrataCluster& c, Checker&) {
         c.KillStorage(0);
         std::this_thread::sleep_for(4s);
         c.StartStorage(0);
         WaitHealthyEverywhere(c, 0);
       }},
      {"SIGSTOP storage-1 for 8 s (longer than every deadline), SIGCONT",
       [](StrataCluster& c, Checker&) {
         c.SignalStorage(1, SIGSTOP);
         std::this_thread::sleep_for(8s);
         c.SignalStorage(1, SIGCONT);
         WaitHealthyEverywhere(c, 1);
       }},
      {"rolling restart of every storage node (SIGTERM, start, wait healthy)",
       [&graceful_replays](StrataCluster& c, Checker&) {
         for (int i = 0; i < 3; ++i) {
           INFO("storage-" << i << c.Logs());
           REQUIRE(ExitedCleanly(c.StopStorage(i)));
           c.StartStorage(i);
           graceful_replays.push_back(LastReplayedSamples(c, i));
           WaitHealthyEverywhere(c, i);
         }
       }},
      {"restart of the insert node (SIGTERM, start)",
       [](StrataCluster& c, Checker&) {
         INFO(c.Logs());
         REQUIRE(ExitedCleanly(c.StopInsert()));
         c.StartInsert();
         for (int i = 0; i < 3; ++i) WaitHealthyEverywhere(c, i);
       }},
      // The select node is down in this step: the checker pauses.
      {"restart of the select node (SIGTERM, start)",
       [](StrataCluster& c, Checker& checker) {
         checker.Pause(true);
         INFO(c.Logs());
         REQUIRE(ExitedCleanly(c.StopSelect()));
         c.StartSelect();
         for (int i = 0; i < 3; ++i) WaitHealthyEverywhere(c, i);
         checker.Pause(false);
       }},
      {"storage-2's disk fills up, then space returns",
       [&small_disk](StrataCluster& c, Checker&) { DiskFullStep(c, 2, small_disk); }},
      // More faults go here: a FaultStep may take at most R-1 storage nodes
      // out at a time and must leave every node healthy again before it
      // returns.
  };

  for (const FaultStep& step : steps) {
    checker.SetPhase(step.name);
    std::printf("fault suite: %s\n", step.name.c_str());
    std::fflush(stdout);
    step.run(cluster, checker);
    // Let the writer and checker run against the healed cluster a little.
    checker.SetPhase(step.name + " / after");
    std::this_thread::sleep_for(2s);
  }
  // Every node that came back takes new data again: its share of the
  // writer's series grows.
  std::vector<double> appended_before, appended_after;
  for (int i = 0; i < 3; ++i) appended_before.push_back(SamplesAppended(cluster, i));
  std::this_thread::sleep_for(1500ms);
  for (int i = 0; i < 3; ++i) appended_after.push_back(SamplesAppended(cluster, i));
  checker.SetPhase("final");
  writer.Stop();
  checker.Stop();
  const int64_t run_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - writer_start).count();

  // Every acknowledged sample, exactly once: the raw samples of a range
  // selector covering the whole run.
  const int64_t acked = writer.acknowledged_requests();
  const int64_t end_ms = writer.Timestamp(acked) + 1;
  const int64_t range_s = (end_ms - t0) / 1000 + 10;
  std::map<std::string, std::vector<std::pair<int64_t, std::string>>> got;
  std::string query_error;
  bool complete = WaitFor(50, 200ms, [&] {
    auto r = cluster.Select(fmt::format("/api/v1/query?query={}&time={:.3f}",
                                        UrlEncode(fmt::format("fault_series[{}s]", range_s)), end_ms / 1000.0));
    if (!r.ok() || r->status != 200) {
      query_error = r.ok() ? r->body.substr(0, 300) : std::string(r.status().message());
      return false;
    }
    auto parsed = ParseQueryResponse(r->body);
    if (!parsed.ok() || parsed->is_partial) {
      query_error = "unparsable or partial: " + r->body.substr(0, 300);
      return false;
    }
    got.clear();
    for (const QuerySeries& s : parsed->series) got[s.labels.at("series")] = s.points;
    return true;
  });
  INFO(query_error << cluster.Logs());
  REQUIRE(complete);

  int64_t lost = 0, duplicated = 0, wrong = 0, extra = 0;
  std::string first_problem;
  for (int s = 0; s < kSeries; ++s) {
    const auto& points = got[std::to_string(s)];
    std::map<int64_t, std::vector<std::string>> by_time;
    for (const auto& [t, v] : points) by_time[t].push_back(v);
    for (int64_t k = 0; k < acked; ++k) {
      auto it = by_time.find(writer.Timestamp(k));
      if (it == by_time.end()) {
        ++lost;
        if (first_problem.empty()) first_problem = fmt::format("series {} lost sample {}", s, k);
        continue;
      }
      if (it->second.size() > 1) ++duplicated;
      if (it->second[0] != std::to_string(k)) ++wrong;
      by_time.erase(it);
    }
    // Sent but never acknowledged samples may exist only from the one
    // request the writer gave up on.
    extra += static_cast<int64_t>(by_time.size());
  }

  int64_t queries = 0, partial = 0, failed = 0;
  for (const auto& [phase, c] : checker.counts()) {
    queries += c.ok + c.partial + c.failed;
    partial += c.partial;
    failed += c.failed;
  }
  std::string report = fmt::format(
      "fault suite figures: samples written {}, acknowledged {}, lost {}, duplicated {}, wrong value {}, "
      "unacknowledged present {}; write attempts refused {}; queries run {}, partial {}, failed {}; samples "
      "replayed after graceful restarts: {}; run {:.1f} s\n",
      writer.sent_requests() * kSeries, acked * kSeries, lost, duplicated, wrong, extra, writer.refused_attempts(),
      queries, partial, failed, fmt::join(graceful_replays, ", "), static_cast<double>(run_ms) / 1000);
  for (const auto& [phase, c] : checker.counts()) {
    report += fmt::format("  phase \"{}\": queries ok {}, partial {}, failed {}\n", phase, c.ok, c.partial, c.failed);
  }
  for (const std::string& p : checker.problems()) report += "  query problem: " + p + "\n";
  std::printf("%s", report.c_str());
  std::fflush(stdout);

  INFO(report << first_problem << "\nlast write error: " << writer.last_error() << "\n" << cluster.Logs());
  CHECK(writer.sent_requests() == acked);  // the writer never gave up
  // Ingest went on through the faults: at least half the requests the
  // writer would have sent without them were acknowledged.
  CHECK(acked * kIntervalMs * 2 >= run_ms);
  CHECK(lost == 0);
  CHECK(duplicated == 0);
  CHECK(wrong == 0);
  CHECK(extra == 0);
  CHECK(partial == 0);
  CHECK(failed == 0);
  for (int i = 0; i < 3; ++i) {
    INFO("storage-" << i << " samples appended " << appended_before[i] << " -> " << appended_after[i]);
    CHECK(appended_before[i] >= 0);
    CHECK(appended_after[i] > appended_before[i]);
  }
  // A graceful stop flushes: the restart replays (next to) nothing.
  for (int64_t replayed : graceful_replays) CHECK(replayed >= 0);
  for (int64_t replayed : graceful_replays) CHECK(replayed < 1000);
}

TEST_CASE("with -search.denyPartialResponse the select node answers 503 in Prometheus's error shape "
          "only when data may be missing",
          "[e2e][fault][.slow]") {
  ClusterOptions options;
  options.select_args = {"-search.denyPartialResponse"};
  StrataCluster cluster(options);
  cluster.Start();
  RemoteWriteEncoder encoder;
  const int64_t t = (NowUnixMillis() / 1000 - 30) * 1000;
  for (int s = 0; s < 10; ++s) {
    Labels labels = Labels::FromUnsorted({{"__name__", "deny_partial"}, {"series", std::to_string(s)}});
    Sample sample{t, 1};
    encoder.AddSeries(labels, std::span<const Sample>(&sample, 1));
  }
  auto written = cluster.RemoteWrite(encoder.FinishSnappy());
  REQUIRE(written.ok());
  REQUIRE(written->status == 204);
  const std::string query =
      fmt::format("/api/v1/query?query={}&time={}", UrlEncode("count(deny_partial)"), t / 1000);

  // One of three nodes down with R=2: nothing is missing, so a full answer.
  cluster.KillStorage(0);
  auto r = cluster.Select(query);
  REQUIRE(r.ok());
  INFO(r->body);
  CHECK(r->status == 200);
  auto parsed = ParseQueryResponse(r->body);
  REQUIRE(parsed.ok());
  CHECK_FALSE(parsed->is_partial);
  REQUIRE(parsed->series.size() == 1);
  CHECK(parsed->series[0].points[0].second == "10");

  // Two down: data may be missing, and the flag turns that into an error.
  cluster.KillStorage(1);
  r = cluster.Select(query);
  REQUIRE(r.ok());
  INFO(r->body);
  CHECK(r->status == 503);
  parsed = ParseQueryResponse(r->body);
  REQUIRE(parsed.ok());
  CHECK(parsed->status == "error");
  CHECK(parsed->error_type == "unavailable");
  CHECK(parsed->error.find("denyPartialResponse") != std::string::npos);
}

}  // namespace
}  // namespace strata::testing
