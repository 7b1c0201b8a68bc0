#include "select/fanout/fanout_delete.h"

#include <mutex>
#include <thread>

#include <catch2/catch.hpp>

namespace strata::select {
namespace {

using namespace std::chrono_literals;

// A storage node that answers every delete from another thread with a fixed
// count or error (or never, when `hang`), and records the calls.
class DeleteNode : public StorageApi {
 public:
  DeleteNode(std::string name, absl::StatusOr<uint64_t> answer, bool hang = false)
      : name_(std::move(name)), answer_(std::move(answer)), hang_(hang) {}
  ~DeleteNode() override {
    for (std::thread& t : threads_) t.join();
  }

  void Write(const RequestContext&, std::shared_ptr<const std::string>, WriteCallback done) override {
    done(absl::UnimplementedError("write"));
  }
  void Search(const RequestContext&, SearchRequest, SearchCallback done) override {
    done(absl::UnimplementedError("search"));
  }
  void DeleteSeries(const RequestContext& ctx, TenantId tenant, std::vector<Matcher> matchers,
                    DeleteCallback done) override {
    std::lock_guard<std::mutex> l(mu_);
    calls.push_back({tenant, std::move(matchers)});
    deadline = ctx.deadline;
    if (hang_) {
      pending = std::move(done);
      return;
    }
    threads_.emplace_back([this, done = std::move(done)]() mutable { done(answer_); });
  }
  std::string Name() const override { return name_; }

  std::vector<std::pair<TenantId, std::vector<Matcher>>> calls;
  std::chrono::steady_clock::time_point deadline;
  DeleteCallback pending;

 private:
  std::mutex mu_;
  std::string name_;
  absl::StatusOr<uint64_t> answer_;
  bool hang_;
  std::vector<std::thread> threads_;
};

std::vector<std::vector<Matcher>> Selectors() {
  return {{*Matcher::Create(MatchType::kEqual, "__name__", "up")},
          {*Matcher::Create(MatchType::kEqual, "__name__", "down"),
           *Matcher::Create(MatchType::kRegexMatch, "job", "a|b")}};
}

TEST_CASE("fanout delete sends every selector to every node and sums their counts", "[select][fanout]") {
  DeleteNode a("a:8401", uint64_t{3});
  DeleteNode b("b:8401", uint64_t{5});
  DeleteNode c("c:8401", uint64_t{0});
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  auto deleted = DeleteSeriesOnAllNodes({&a, &b, &c}, TenantId{7, 3}, Selectors(), deadline);
  REQUIRE(deleted.ok());
  CHECK(*deleted == 2 * (3 + 5 + 0));
  for (DeleteNode* n : {&a, &b, &c}) {
    REQUIRE(n->calls.size() == 2);
    CHECK(n->calls[0].first == TenantId{7, 3});
    REQUIRE(n->calls[0].second.size() == 1);
    CHECK(n->calls[0].second[0].ToString() == "__name__=\"up\"");
    REQUIRE(n->calls[1].second.size() == 2);
    CHECK(n->calls[1].second[1].ToString() == "job=~\"a|b\"");
    CHECK(n->deadline == deadline);
  }
}

TEST_CASE("fanout delete fails when any node fails and names it", "[select][fanout]") {
  DeleteNode a("a:8401", uint64_t{3});
  DeleteNode down("down:8401", absl::UnavailableError("connection refused"));
  auto r = DeleteSeriesOnAllNodes({&a, &down}, TenantId{}, Selectors(), std::chrono::steady_clock::now() + 10s);
  REQUIRE(absl::IsUnavailable(r.status()));
  const std::string msg(r.status().message());
  CHECK(msg.find("delete_series failed on 1 of 2 storage nodes") != std::string::npos);
  CHECK(msg.find("deleted on some nodes only") != std::string::npos);
  CHECK(msg.find("storage node down:8401: connection refused") != std::string::npos);
  CHECK(msg.find("a:8401") == std::string::npos);
  // The healthy node still got the delete: nothing is rolled back.
  CHECK(a.calls.size() == 2);

  DeleteNode old("old:8401", absl::UnimplementedError("storage node old:8401 does not support delete_series"));
  r = DeleteSeriesOnAllNodes({&a, &down, &old}, TenantId{}, Selectors(), std::chrono::steady_clock::now() + 10s);
  // Not only transient failures: retrying will not help by itself.
  REQUIRE(absl::IsInternal(r.status()));
  CHECK(std::string(r.status().message()).find("failed on 2 of 3 storage nodes") != std::string::npos);
  CHECK(std::string(r.status().message()).find("does not support delete_series") != std::string::npos);
}

TEST_CASE("fanout delete stops waiting at the deadline and tolerates late answers", "[select][fanout]") {
  DeleteNode a("a", uint64_t{1});
  DeleteNode hanging("hanging", uint64_t{1}, /*hang=*/true);
  const auto started = std::chrono::steady_clock::now();
  auto r = DeleteSeriesOnAllNodes({&a, &hanging}, TenantId{}, {Selectors()[0]}, started + 50ms);
  CHECK(std::chrono::steady_clock::now() - started < 5s);
  REQUIRE(absl::IsDeadlineExceeded(r.status()));
  CHECK(std::string(r.status().message()).find("storage node hanging: no answer before the deadline") !=
        std::string::npos);
  REQUIRE(hanging.pending);
  hanging.pending(uint64_t{1});  // after the call returned: must be harmless
}

TEST_CASE("fanout delete without storage nodes is unavailable", "[select][fanout]") {
  auto r = DeleteSeriesOnAllNodes({}, TenantId{}, Selectors(), std::chrono::steady_clock::now() + 1s);
  CHECK(absl::IsUnavailable(r.status()));
}

}  // namespace
}  // namespace strata::select
