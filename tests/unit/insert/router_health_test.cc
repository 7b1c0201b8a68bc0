// The Router over health-checked storage nodes (common/rpc/
// health_checked_storage.h), as `strata insert` runs it: a hung node must
// not stall writes, and it must get new data again once it answers.
#include <atomic>
#include <chrono>
#include <future>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <catch2/catch.hpp>

#include "common/rpc/health_checked_storage.h"
#include "insert/router/router.h"
#include "unit/insert/fake_storage.h"

namespace strata::insert {
namespace {

using namespace std::chrono_literals;
using testing::FakeStorage;

SeriesBatch Batch(int series, int64_t t) {
  SeriesBatch batch(TenantId{});
  for (int i = 0; i < series; ++i) {
    std::string value = std::to_string(i);
    std::vector<LabelView> labels = {{"__name__", "m"}, {"i", value}};
    Sample sample{t, 1.0};
    batch.AddSeries(labels, std::span<const Sample>(&sample, 1));
  }
  return batch;
}

absl::Status WriteAndWait(Router& router, SeriesBatch batch, std::chrono::milliseconds timeout) {
  auto promise = std::make_shared<std::promise<absl::Status>>();
  auto future = promise->get_future();
  router.Write(std::move(batch), [promise](absl::Status s) { promise->set_value(std::move(s)); });
  if (future.wait_for(timeout) != std::future_status::ready) return absl::DeadlineExceededError("test: no answer");
  return future.get();
}

TEST_CASE("a hung storage node neither stalls the insert router nor loses replicas, and gets data again when back",
          "[insert][router][health]") {
  std::vector<FakeStorage*> fakes;
  std::vector<std::unique_ptr<HealthCheckedStorage>> nodes;
  std::atomic<bool> node1_answers{true};
  NodeHealthOptions options;
  options.probe_interval = 20ms;
  options.probe_timeout = 100ms;
  for (int i = 0; i < 3; ++i) {
    auto fake = std::make_unique<FakeStorage>("storage-" + std::to_string(i) + ":8400");
    fakes.push_back(fake.get());
    HealthCheckedStorage::Probe probe = [i, &node1_answers](std::chrono::steady_clock::time_point,
                                                            absl::AnyInvocable<void(absl::Status)> done) {
      // A frozen process answers nothing: the probe times out.
      if (i != 1 || node1_answers) done(absl::OkStatus());
    };
    nodes.push_back(std::make_unique<HealthCheckedStorage>(std::move(fake), probe, options));
  }
  std::vector<StorageApi*> apis;
  for (auto& n : nodes) apis.push_back(n.get());
  RouterOptions router_options;
  router_options.replication_factor = 2;  // write_timeout stays 30 s
  Router router(apis, router_options);

  REQUIRE(WriteAndWait(router, Batch(50, 1000), 5s).ok());
  REQUIRE(fakes[1]->write_calls() == 1);

  // Node 1 freezes: its writes are never answered, its probes neither.
  fakes[1]->set_hold(true);
  node1_answers = false;
  auto start = std::chrono::steady_clock::now();
  REQUIRE(WriteAndWait(router, Batch(50, 2000), 5s).ok());
  // Far below the 30 s write timeout: the probe gave up on node 1 and its
  // replicas went to the other two nodes.
  CHECK(std::chrono::steady_clock::now() - start < 3s);
  CHECK_FALSE(nodes[1]->IsHealthy());

  // While it is unhealthy, writes skip it without waiting.
  const int calls = fakes[1]->write_calls();
  start = std::chrono::steady_clock::now();
  REQUIRE(WriteAndWait(router, Batch(50, 3000), 5s).ok());
  CHECK(std::chrono::steady_clock::now() - start < 500ms);
  CHECK(fakes[1]->write_calls() == calls);

  // Node 1 comes back (SIGCONT): once a probe succeeds it gets new data.
  fakes[1]->set_hold(false);
  fakes[1]->ReleaseHeld();
  node1_answers = true;
  for (int i = 0; i < 200 && !nodes[1]->IsHealthy(); ++i) std::this_thread::sleep_for(10ms);
  REQUIRE(nodes[1]->IsHealthy());
  REQUIRE(WriteAndWait(router, Batch(50, 4000), 5s).ok());
  CHECK(fakes[1]->write_calls() == calls + 1);
  router.Drain();
}

}  // namespace
}  // namespace strata::insert
