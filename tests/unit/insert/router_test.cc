#include "insert/router/router.h"

#include <bit>
#include <condition_variable>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include <catch2/catch.hpp>
#include <fmt/format.h>

#include "common/model/series_hash.h"
#include "unit/insert/fake_storage.h"

namespace strata::insert {
namespace {

using testing::FakeCluster;

// Collects the outcome of one Write and counts callback invocations.
class Outcome {
 public:
  Router::DoneCallback Callback() {
    return [this](absl::Status s) {
      std::lock_guard lock(mu_);
      ++calls_;
      status_ = std::move(s);
      cv_.notify_all();
    };
  }
  absl::Status Wait() {
    std::unique_lock lock(mu_);
    cv_.wait_for(lock, std::chrono::seconds(10), [&] { return calls_ > 0; });
    return status_;
  }
  int calls() {
    std::lock_guard lock(mu_);
    return calls_;
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  int calls_ = 0;
  absl::Status status_ = absl::UnknownError("not called");
};

struct TestSeries {
  std::vector<Label> labels;
  std::vector<Sample> samples;
  std::string canonical() const {
    std::string out;
    Labels::FromSorted(labels).AppendCanonical(&out);
    return out;
  }
};

std::vector<TestSeries> MakeSeries(size_t n) {
  std::vector<TestSeries> out;
  for (size_t i = 0; i < n; ++i) {
    TestSeries s;
    s.labels = {{"__name__", "node_cpu_seconds_total"}, {"cpu", std::to_string(i % 16)},
                {"instance", fmt::format("host-{}:9100", i / 16)}};
    s.samples = {{1700000000000 + static_cast<int64_t>(i), static_cast<double>(i) * 0.5},
                 {1700000015000 + static_cast<int64_t>(i), i % 7 == 0 ? StaleNaN() : static_cast<double>(i)}};
    out.push_back(std::move(s));
  }
  return out;
}

SeriesBatch MakeBatch(const std::vector<TestSeries>& series, TenantId tenant = {}) {
  SeriesBatch batch(tenant);
  std::vector<LabelView> views;
  for (const TestSeries& s : series) {
    views.clear();
    for (const Label& l : s.labels) views.push_back({l.name, l.value});
    batch.AddSeries(views, s.samples);
  }
  return batch;
}

bool BitEqual(const std::vector<Sample>& a, const std::vector<Sample>& b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (!SameBits(a[i], b[i])) return false;
  }
  return true;
}

// Node indexes holding `s`, checking the samples are bit-exact on each.
std::set<size_t> Holders(FakeCluster& cluster, const TestSeries& s) {
  std::set<size_t> out;
  for (size_t n = 0; n < cluster.nodes.size(); ++n) {
    auto contents = cluster[n].Contents();
    auto it = contents.series.find(s.canonical());
    if (it == contents.series.end()) continue;
    out.insert(n);
    // A re-send may store a series twice on one node; every copy is exact.
    REQUIRE(it->second.size() >= s.samples.size());
    std::vector<Sample> got(it->second.begin(), it->second.begin() + static_cast<long>(s.samples.size()));
    REQUIRE(BitEqual(got, s.samples));
  }
  return out;
}

RouterOptions Options(size_t r) {
  RouterOptions o;
  o.replication_factor = r;
  return o;
}

TEST_CASE("router stores every series on R distinct nodes with one batch per node", "[insert][router]") {
  FakeCluster cluster(4);
  Router router(cluster.apis(), Options(2));
  auto series = MakeSeries(300);
  Outcome outcome;
  router.Write(MakeBatch(series, TenantId{7, 3}), outcome.Callback());
  REQUIRE(outcome.Wait().ok());
  CHECK(outcome.calls() == 1);
  for (size_t n = 0; n < 4; ++n) {
    CHECK(cluster[n].write_calls() == 1);
    for (TenantId t : cluster[n].Contents().tenants) CHECK(t == TenantId{7, 3});
  }
  for (const TestSeries& s : series) {
    auto holders = Holders(cluster, s);
    REQUIRE(holders.size() == 2);
    // The replicas are the series' first two nodes in ring order.
    std::vector<LabelView> views;
    for (const Label& l : s.labels) views.push_back({l.name, l.value});
    NodeList want;
    router.ring().Route(SeriesHash(TenantId{7, 3}, views), 2, [](size_t) { return true; }, &want);
    CHECK(holders == std::set<size_t>(want.begin(), want.end()));
  }
  CHECK(router.inflight_bytes() == 0);
}

TEST_CASE("router gives a node that holds every series one batch with all of them, bit-exact",
          "[insert][router]") {
  // One node (as in `strata all`), and two nodes with replication 2: each
  // node holds every series, and receives the request's own encoding.
  for (size_t nodes : {1, 2}) {
    INFO(nodes << " node(s)");
    FakeCluster cluster(nodes);
    Router router(cluster.apis(), Options(nodes));
    auto series = MakeSeries(300);
    Outcome outcome;
    router.Write(MakeBatch(series, TenantId{7, 3}), outcome.Callback());
    REQUIRE(outcome.Wait().ok());
    for (size_t n = 0; n < nodes; ++n) {
      CHECK(cluster[n].write_calls() == 1);
      auto contents = cluster[n].Contents();
      CHECK(contents.series.size() == series.size());
      REQUIRE(contents.tenants.size() == 1);
      CHECK(contents.tenants[0] == TenantId{7, 3});
    }
    for (const TestSeries& s : series) CHECK(Holders(cluster, s).size() == nodes);
  }
}

TEST_CASE("router sends the replicas of an unhealthy node to the next healthy node", "[insert][router]") {
  FakeCluster cluster(5);
  cluster[1].set_healthy(false);
  Router router(cluster.apis(), Options(3));
  auto series = MakeSeries(300);
  Outcome outcome;
  router.Write(MakeBatch(series), outcome.Callback());
  REQUIRE(outcome.Wait().ok());
  CHECK(cluster[1].write_calls() == 0);
  for (const TestSeries& s : series) {
    std::vector<LabelView> views;
    for (const Label& l : s.labels) views.push_back({l.name, l.value});
    NodeList want;
    router.ring().Route(SeriesHash(TenantId{}, views), 3, [](size_t n) { return n != 1; }, &want);
    CHECK(Holders(cluster, s) == std::set<size_t>(want.begin(), want.end()));
  }
}

TEST_CASE("router fails with Unavailable when fewer than R nodes are healthy", "[insert][router]") {
  FakeCluster cluster(3);
  cluster[0].set_healthy(false);
  cluster[2].set_healthy(false);
  Router router(cluster.apis(), Options(2));
  Outcome outcome;
  router.Write(MakeBatch(MakeSeries(10)), outcome.Callback());
  absl::Status s = outcome.Wait();
  CHECK(s.code() == absl::StatusCode::kUnavailable);
  CHECK(outcome.calls() == 1);
  CHECK(cluster[1].write_calls() == 0);  // nothing half-written
  CHECK(router.inflight_bytes() == 0);
}

TEST_CASE("router re-sends the series of a node that fails mid-request", "[insert][router]") {
  bool async = GENERATE(false, true);
  FakeCluster cluster(5);
  for (auto& n : cluster.nodes) n->set_async(async);
  cluster[2].FailWrites(absl::UnavailableError("connection reset"));
  Router router(cluster.apis(), Options(2));
  auto series = MakeSeries(400);
  Outcome outcome;
  router.Write(MakeBatch(series), outcome.Callback());
  REQUIRE(outcome.Wait().ok());
  router.Drain();
  CHECK(outcome.calls() == 1);
  CHECK(cluster[2].write_calls() == 1);
  for (const TestSeries& s : series) {
    auto holders = Holders(cluster, s);
    CHECK(holders.size() == 2);
    CHECK(holders.count(2) == 0);
  }
}

TEST_CASE("router keeps re-routing while nodes fail one after another", "[insert][router]") {
  FakeCluster cluster(5);
  cluster[0].FailWrites(absl::DeadlineExceededError("slow"));
  cluster[3].FailWrites(absl::UnavailableError("down"));
  cluster[4].FailWrites(absl::ResourceExhaustedError("overloaded"));
  Router router(cluster.apis(), Options(2));
  auto series = MakeSeries(200);
  Outcome outcome;
  router.Write(MakeBatch(series), outcome.Callback());
  REQUIRE(outcome.Wait().ok());
  for (const TestSeries& s : series) CHECK(Holders(cluster, s) == std::set<size_t>{1, 2});
}

TEST_CASE("router fails with Unavailable when failures leave fewer than R nodes", "[insert][router]") {
  bool async = GENERATE(false, true);
  FakeCluster cluster(3);
  for (auto& n : cluster.nodes) n->set_async(async);
  cluster[0].FailWrites(absl::UnavailableError("down"));
  cluster[1].FailWrites(absl::UnavailableError("down"));
  Router router(cluster.apis(), Options(2));
  Outcome outcome;
  router.Write(MakeBatch(MakeSeries(50)), outcome.Callback());
  absl::Status s = outcome.Wait();
  router.Drain();
  CHECK(s.code() == absl::StatusCode::kUnavailable);
  CHECK(outcome.calls() == 1);
  CHECK(router.inflight_bytes() == 0);
}

TEST_CASE("router reports InvalidArgument from storage without re-sending", "[insert][router]") {
  FakeCluster cluster(3);
  for (auto& n : cluster.nodes) n->FailWrites(absl::InvalidArgumentError("bad batch"));
  Router router(cluster.apis(), Options(1));
  Outcome outcome;
  router.Write(MakeBatch(MakeSeries(50)), outcome.Callback());
  absl::Status s = outcome.Wait();
  CHECK(s.code() == absl::StatusCode::kInvalidArgument);
  int calls = 0;
  for (auto& n : cluster.nodes) calls += n->write_calls();
  CHECK(calls <= 3);  // at most the first batch per node, no re-sends
}

TEST_CASE("router rejects a request over the in-flight byte cap with ResourceExhausted", "[insert][router]") {
  FakeCluster cluster(2);
  for (auto& n : cluster.nodes) n->set_hold(true);
  RouterOptions options = Options(1);
  options.max_inflight_bytes = 1000;  // smaller than one request
  Router router(cluster.apis(), options);
  Outcome first, second;
  // Admitted although larger than the cap: nothing else is in flight.
  router.Write(MakeBatch(MakeSeries(100)), first.Callback());
  CHECK(first.calls() == 0);
  CHECK(router.inflight_bytes() > 1000);
  router.Write(MakeBatch(MakeSeries(100)), second.Callback());
  CHECK(second.calls() == 1);
  CHECK(second.Wait().code() == absl::StatusCode::kResourceExhausted);
  for (auto& n : cluster.nodes) n->ReleaseHeld();
  CHECK(first.Wait().ok());
  CHECK(first.calls() == 1);
  CHECK(router.inflight_bytes() == 0);
}

TEST_CASE("router completes an empty request at once", "[insert][router]") {
  FakeCluster cluster(2);
  Router router(cluster.apis(), Options(2));
  Outcome outcome;
  router.Write(SeriesBatch(TenantId{}), outcome.Callback());
  CHECK(outcome.calls() == 1);
  CHECK(outcome.Wait().ok());
  CHECK(cluster[0].write_calls() == 0);
}

TEST_CASE("router handles concurrent writes from many threads", "[insert][router]") {
  FakeCluster cluster(4);
  for (auto& n : cluster.nodes) n->set_async(true);
  cluster[1].FailWrites(absl::UnavailableError("flaky"), 5);
  Router router(cluster.apis(), Options(2));
  std::vector<Outcome> outcomes(8);
  std::vector<std::thread> threads;
  auto series = MakeSeries(100);
  for (auto& o : outcomes) {
    threads.emplace_back([&] { router.Write(MakeBatch(series), o.Callback()); });
  }
  for (auto& t : threads) t.join();
  for (auto& o : outcomes) CHECK(o.Wait().ok());
  router.Drain();
  for (auto& o : outcomes) CHECK(o.calls() == 1);
  for (const TestSeries& s : series) CHECK(Holders(cluster, s).size() >= 2);
  CHECK(router.inflight_bytes() == 0);
}

}  // namespace
}  // namespace strata::insert
