#include "select/fanout/fanout_labels.h"

#include <catch2/catch.hpp>

#include "unit/select/labels_test_node.h"

namespace strata::select {
namespace {

using namespace std::chrono_literals;
using testing::LabelsTestNode;

Matcher Eq(std::string name, std::string value) { return *Matcher::Create(MatchType::kEqual, name, value); }

MetadataQuery AllTime(int replication_factor = 1) {
  MetadataQuery q;
  q.min_time_ms = 0;
  q.max_time_ms = 1'000'000;
  q.replication_factor = replication_factor;
  q.deadline = std::chrono::steady_clock::now() + 10s;
  return q;
}

// Three nodes, replication factor 2: every series on two of them.
struct ReplicatedCluster {
  ReplicatedCluster() {
    a.Add({{"__name__", "up"}, {"job", "api"}});
    b.Add({{"__name__", "up"}, {"job", "api"}});
    b.Add({{"__name__", "up"}, {"job", "node"}, {"instance", "n1"}});
    c.Add({{"__name__", "up"}, {"job", "node"}, {"instance", "n1"}});
    c.Add({{"__name__", "go_goroutines"}, {"job", "db"}}, 500'000);
    a.Add({{"__name__", "go_goroutines"}, {"job", "db"}}, 500'000);
  }
  std::vector<StorageApi*> nodes() { return {&a, &b, &c}; }
  LabelsTestNode a{"a:8401"}, b{"b:8401"}, c{"c:8401"};
};

TEST_CASE("fanout series merges replicas into one sorted, distinct list", "[select][fanout]") {
  ReplicatedCluster cl;
  MetadataQuery q = AllTime(2);
  q.tenant = TenantId{};
  q.selectors = {{Eq("__name__", "up")}, {Eq("job", "db")}};
  auto got = SeriesOnAllNodes(cl.nodes(), q);
  REQUIRE(got.ok());
  REQUIRE(got->items.size() == 3);
  CHECK(got->items[0].ToString() == "go_goroutines{job=\"db\"}");
  // Prometheus's order: label by label, names before values.
  CHECK(got->items[1].ToString() == "up{instance=\"n1\", job=\"node\"}");
  CHECK(got->items[2].ToString() == "up{job=\"api\"}");
  CHECK(!got->partial);
  CHECK(!got->truncated);
  CHECK(got->warnings.empty());
  // Every selector went to every node, with the time range.
  for (LabelsTestNode* n : {&cl.a, &cl.b, &cl.c}) {
    auto reqs = n->requests();
    REQUIRE(reqs.size() == 2);
    CHECK(reqs[0].matchers[0].ToString() == "__name__=\"up\"");
    CHECK(reqs[1].matchers[0].ToString() == "job=\"db\"");
    CHECK(reqs[0].max_time_ms == 1'000'000);
  }
}

TEST_CASE("fanout label names and values merge nodes; no selector means every series", "[select][fanout]") {
  ReplicatedCluster cl;
  auto names = LabelNamesOnAllNodes(cl.nodes(), AllTime(2));
  REQUIRE(names.ok());
  CHECK(names->items == std::vector<std::string>{"__name__", "instance", "job"});
  auto values = LabelValuesOnAllNodes(cl.nodes(), "__name__", AllTime(2));
  REQUIRE(values.ok());
  CHECK(values->items == std::vector<std::string>{"go_goroutines", "up"});
  CHECK(cl.a.requests().back().label_name == "__name__");
  CHECK(cl.a.requests().back().matchers.empty());

  // The time range reaches the nodes: go_goroutines is at 500s only.
  MetadataQuery early = AllTime(2);
  early.max_time_ms = 10'000;
  values = LabelValuesOnAllNodes(cl.nodes(), "job", early);
  REQUIRE(values.ok());
  CHECK(values->items == std::vector<std::string>{"api", "node"});
}

TEST_CASE("fanout labels limit keeps the first items in order and says truncated", "[select][fanout]") {
  ReplicatedCluster cl;
  MetadataQuery q = AllTime(2);
  q.limit = 2;
  auto values = LabelValuesOnAllNodes(cl.nodes(), "job", q);
  REQUIRE(values.ok());
  CHECK(values->items == std::vector<std::string>{"api", "db"});
  CHECK(values->truncated);
  CHECK(cl.b.requests().back().limit == 2);
  q.limit = 3;
  values = LabelValuesOnAllNodes(cl.nodes(), "job", q);
  REQUIRE(values.ok());
  CHECK(values->items.size() == 3);
  CHECK(!values->truncated);
  // Each node alone holds at most 2 jobs, yet the union has 3 > 2.
  q.limit = 2;
  auto series = SeriesOnAllNodes(cl.nodes(), q);
  REQUIRE(series.ok());
  CHECK(series->items.size() == 2);
  CHECK(series->truncated);
}

TEST_CASE("fanout labels with R-1 nodes down is complete, with R down partial", "[select][fanout]") {
  ReplicatedCluster cl;
  cl.b.Fail(absl::UnavailableError("connection refused"));
  auto names = LabelValuesOnAllNodes(cl.nodes(), "job", AllTime(2));
  REQUIRE(names.ok());
  CHECK(names->items == std::vector<std::string>{"api", "db", "node"});
  CHECK(!names->partial);
  CHECK(names->warnings.empty());

  cl.c.Fail(absl::DeadlineExceededError("too slow"));
  auto partial = LabelValuesOnAllNodes(cl.nodes(), "job", AllTime(2));
  REQUIRE(partial.ok());
  CHECK(partial->items == std::vector<std::string>{"api", "db"});
  CHECK(partial->partial);
  REQUIRE(partial->warnings.size() == 2);
  CHECK(partial->warnings[0] == "cannot fetch label values from storage node b:8401: connection refused");
  CHECK(partial->warnings[1] == "cannot fetch label values from storage node c:8401: too slow");

  cl.a.Fail(absl::UnavailableError("gone"));
  auto none = SeriesOnAllNodes(cl.nodes(), AllTime(2));
  CHECK(absl::IsUnavailable(none.status()));
  CHECK(std::string(none.status().message()).find("any of 3 storage nodes") != std::string::npos);

  // Without replication one node down already loses data.
  LabelsTestNode x("x:8401"), y("y:8401");
  x.Add({{"__name__", "up"}});
  y.Fail(absl::UnavailableError("down"));
  auto one = LabelNamesOnAllNodes({&x, &y}, AllTime(1));
  REQUIRE(one.ok());
  CHECK(one->partial);
  CHECK(one->items == std::vector<std::string>{"__name__"});
}

TEST_CASE("fanout labels fail on a node's InvalidArgument and without nodes", "[select][fanout]") {
  ReplicatedCluster cl;
  cl.c.Fail(absl::InvalidArgumentError("bad matcher"));
  auto got = LabelNamesOnAllNodes(cl.nodes(), AllTime(2));
  CHECK(absl::IsInvalidArgument(got.status()));
  CHECK(std::string(got.status().message()) == "storage node c:8401: bad matcher");
  CHECK(absl::IsUnavailable(SeriesOnAllNodes({}, AllTime()).status()));
}

// Never answers: the fan-out must give up at the deadline.
class SilentNode : public testing::LabelsTestNode {
 public:
  using LabelsTestNode::LabelsTestNode;
  void LabelNames(const RequestContext&, LabelsRequest, LabelsCallback done) override { kept_ = std::move(done); }

 private:
  LabelsCallback kept_;
};

TEST_CASE("fanout labels stop waiting at the deadline and count the silent node as failed", "[select][fanout]") {
  LabelsTestNode a("a:8401");
  a.Add({{"__name__", "up"}});
  SilentNode s("s:8401");
  MetadataQuery q = AllTime(2);
  q.deadline = std::chrono::steady_clock::now() + 100ms;
  const auto start = std::chrono::steady_clock::now();
  auto got = LabelNamesOnAllNodes({&a, &s}, q);
  CHECK(std::chrono::steady_clock::now() - start < 5s);
  REQUIRE(got.ok());
  CHECK(got->items == std::vector<std::string>{"__name__"});
  CHECK(!got->partial);  // R = 2: one missing node loses nothing
}

}  // namespace
}  // namespace strata::select
