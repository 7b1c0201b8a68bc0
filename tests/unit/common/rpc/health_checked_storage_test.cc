#include "common/rpc/health_checked_storage.h"

#include <atomic>
#include <catch2/catch.hpp>
#include <chrono>
#include <functional>
#include <future>
#include <mutex>
#include <thread>
#include <vector>

#include "prometheus/registry.h"
#include "prometheus/text_serializer.h"

namespace strata {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

// A storage node that either answers writes at once or holds them (a hung
// node); held calls are answered Unavailable when it is destroyed, as an
// RpcStorageClient does when closed.
class HangingNode : public StorageApi {
 public:
  ~HangingNode() override { Release(absl::UnavailableError("closed")); }

  void Write(const RequestContext& ctx, std::shared_ptr<const std::string>, WriteCallback done) override {
    std::unique_lock lock(mu_);
    ++writes_;
    last_deadline_ = ctx.deadline;
    if (hang_) {
      held_.push_back(std::move(done));
      return;
    }
    absl::Status status = fail_;
    lock.unlock();
    done(status);
  }
  void Search(const RequestContext&, SearchRequest, SearchCallback done) override {
    done(absl::UnimplementedError("search"));
  }
  std::string Name() const override { return "node-a:8400"; }

  void set_hang(bool h) {
    std::lock_guard lock(mu_);
    hang_ = h;
  }
  void set_fail(absl::Status s) {
    std::lock_guard lock(mu_);
    fail_ = std::move(s);
  }
  void Release(const absl::Status& status) {
    std::vector<WriteCallback> held;
    {
      std::lock_guard lock(mu_);
      held.swap(held_);
    }
    for (auto& d : held) d(status);
  }
  int writes() const {
    std::lock_guard lock(mu_);
    return writes_;
  }
  Clock::time_point last_deadline() const {
    std::lock_guard lock(mu_);
    return last_deadline_;
  }

 private:
  mutable std::mutex mu_;
  bool hang_ = false;
  absl::Status fail_;
  int writes_ = 0;
  Clock::time_point last_deadline_{};
  std::vector<WriteCallback> held_;
};

// The probe the test controls: answer OK, fail, or never answer.
struct TestProbe {
  enum Mode { kOk, kFail, kHang };
  std::atomic<int> mode{kOk};
  std::atomic<int> probes{0};
  std::mutex mu;
  std::vector<absl::AnyInvocable<void(absl::Status)>> held;

  HealthCheckedStorage::Probe Fn() {
    return [this](Clock::time_point, absl::AnyInvocable<void(absl::Status)> done) {
      ++probes;
      switch (mode.load()) {
        case kOk:
          done(absl::OkStatus());
          break;
        case kFail:
          done(absl::UnavailableError("connection refused"));
          break;
        default: {
          std::lock_guard lock(mu);
          held.push_back(std::move(done));
        }
      }
    };
  }
};

NodeHealthOptions FastOptions(prometheus::Registry* registry = nullptr) {
  NodeHealthOptions o;
  o.probe_interval = 20ms;
  o.probe_timeout = 50ms;
  o.max_probe_backoff = 80ms;
  o.metrics = registry;
  return o;
}

bool Eventually(const std::function<bool()>& cond, std::chrono::milliseconds timeout = 5s) {
  auto deadline = Clock::now() + timeout;
  while (Clock::now() < deadline) {
    if (cond()) return true;
    std::this_thread::sleep_for(5ms);
  }
  return cond();
}

// Writes and waits for the outcome (at most `timeout`).
absl::Status WriteSync(StorageApi& node, std::chrono::milliseconds timeout = 5s) {
  auto promise = std::make_shared<std::promise<absl::Status>>();
  auto future = promise->get_future();
  node.Write(RequestContext::WithTimeout(30s), std::make_shared<const std::string>("batch"),
             [promise](absl::Status s) { promise->set_value(s); });
  if (future.wait_for(timeout) != std::future_status::ready) return absl::DeadlineExceededError("test: no answer");
  return future.get();
}

TEST_CASE("a hung storage node is marked unhealthy by its probe and its calls in flight fail at once",
          "[common][rpc][health][unit]") {
  auto inner = std::make_unique<HangingNode>();
  HangingNode& fake = *inner;
  TestProbe probe;
  HealthCheckedStorage node(std::move(inner), probe.Fn(), FastOptions());
  REQUIRE(node.IsHealthy());

  fake.set_hang(true);
  probe.mode = TestProbe::kHang;
  auto promise = std::make_shared<std::promise<absl::Status>>();
  auto pending = promise->get_future();
  node.Write(RequestContext::WithTimeout(30s), std::make_shared<const std::string>("b"),
             [promise](absl::Status s) { promise->set_value(s); });
  // The write would wait 30 s for the node; the failed probe ends it far sooner.
  REQUIRE(pending.wait_for(3s) == std::future_status::ready);
  absl::Status status = pending.get();
  CHECK(absl::IsUnavailable(status));
  CHECK(std::string(status.message()).find("node-a:8400") != std::string::npos);
  CHECK_FALSE(node.IsHealthy());
  CHECK(node.last_failure().find("health probe") != std::string::npos);

  // While unhealthy, calls fail at once and never reach the node.
  const int writes = fake.writes();
  auto start = Clock::now();
  CHECK(absl::IsUnavailable(WriteSync(node)));
  CHECK(Clock::now() - start < 1s);
  CHECK(fake.writes() == writes);
}

TEST_CASE("an unhealthy storage node is probed with backoff and takes calls again once a probe succeeds",
          "[common][rpc][health][unit]") {
  auto inner = std::make_unique<HangingNode>();
  HangingNode& fake = *inner;
  TestProbe probe;
  probe.mode = TestProbe::kFail;
  HealthCheckedStorage node(std::move(inner), probe.Fn(), FastOptions());
  REQUIRE(Eventually([&] { return !node.IsHealthy(); }));
  // Backoff: over 400 ms, with 20 ms doubling to 80 ms, about 6 probes, not 20.
  int before = probe.probes;
  std::this_thread::sleep_for(400ms);
  CHECK(probe.probes - before <= 10);
  CHECK(probe.probes - before >= 2);

  probe.mode = TestProbe::kOk;
  REQUIRE(Eventually([&] { return node.IsHealthy(); }));
  CHECK(WriteSync(node).ok());
  CHECK(fake.writes() == 1);
}

TEST_CASE("calls failing in a row mark a storage node unhealthy even while it answers probes",
          "[common][rpc][health][unit]") {
  auto inner = std::make_unique<HangingNode>();
  HangingNode& fake = *inner;
  TestProbe probe;
  NodeHealthOptions options = FastOptions();
  options.probe_interval = 1h;  // only calls decide here
  options.max_consecutive_failures = 3;
  HealthCheckedStorage node(std::move(inner), probe.Fn(), options);

  fake.set_fail(absl::InvalidArgumentError("bad batch"));
  for (int i = 0; i < 5; ++i) CHECK(absl::IsInvalidArgument(WriteSync(node)));
  CHECK(node.IsHealthy());  // the caller's errors say nothing about the node

  fake.set_fail(absl::DeadlineExceededError("timed out"));
  CHECK(absl::IsDeadlineExceeded(WriteSync(node)));
  CHECK(absl::IsDeadlineExceeded(WriteSync(node)));
  CHECK(node.IsHealthy());
  CHECK(absl::IsDeadlineExceeded(WriteSync(node)));
  CHECK_FALSE(node.IsHealthy());
  CHECK(node.last_failure().find("3 calls in a row") != std::string::npos);
}

TEST_CASE("a slow storage node cannot hold more calls than the in-flight cap", "[common][rpc][health][unit]") {
  auto inner = std::make_unique<HangingNode>();
  HangingNode& fake = *inner;
  TestProbe probe;
  NodeHealthOptions options = FastOptions();
  options.probe_interval = 1h;
  options.max_inflight_calls = 2;
  HealthCheckedStorage node(std::move(inner), probe.Fn(), options);
  fake.set_hang(true);
  std::atomic<int> answered{0};
  for (int i = 0; i < 2; ++i) {
    node.Write(RequestContext::WithTimeout(30s), std::make_shared<const std::string>("b"),
               [&answered](absl::Status) { ++answered; });
  }
  CHECK(node.inflight_calls() == 2);
  absl::Status third = WriteSync(node, 1s);
  CHECK(absl::IsUnavailable(third));
  CHECK(std::string(third.message()).find("in flight") != std::string::npos);
  CHECK(fake.writes() == 2);
  fake.Release(absl::OkStatus());
  CHECK(answered == 2);
  CHECK(node.inflight_calls() == 0);
}

TEST_CASE("the per-call timeout caps the deadline a storage node is given", "[common][rpc][health][unit]") {
  auto inner = std::make_unique<HangingNode>();
  HangingNode& fake = *inner;
  TestProbe probe;
  NodeHealthOptions options = FastOptions();
  options.call_timeout = 500ms;
  HealthCheckedStorage node(std::move(inner), probe.Fn(), options);
  auto before = Clock::now();
  REQUIRE(WriteSync(node).ok());
  CHECK(fake.last_deadline() <= before + 600ms);
  CHECK(fake.last_deadline() >= before + 400ms);
}

TEST_CASE("storage node health shows in /metrics", "[common][rpc][health][unit]") {
  prometheus::Registry registry;
  TestProbe probe;
  {
    auto inner = std::make_unique<HangingNode>();
    HealthCheckedStorage node(std::move(inner), probe.Fn(), FastOptions(&registry));
    REQUIRE(WriteSync(node).ok());
    probe.mode = TestProbe::kFail;
    REQUIRE(Eventually([&] { return !node.IsHealthy(); }));
    CHECK(absl::IsUnavailable(WriteSync(node)));
    std::string text = prometheus::TextSerializer().Serialize(registry.Collect());
    CHECK(text.find("strata_storage_node_healthy{node=\"node-a:8400\"} 0") != std::string::npos);
    CHECK(text.find("strata_storage_node_unhealthy_total{node=\"node-a:8400\"} 1") != std::string::npos);
    CHECK(text.find("strata_storage_node_calls_total{node=\"node-a:8400\",result=\"ok\"} 1") != std::string::npos);
    CHECK(text.find("strata_storage_node_calls_total{node=\"node-a:8400\",result=\"rejected\"} 1") !=
          std::string::npos);
    CHECK(text.find("strata_storage_node_call_duration_seconds_count{node=\"node-a:8400\"} 1") != std::string::npos);
  }
}

}  // namespace
}  // namespace strata
