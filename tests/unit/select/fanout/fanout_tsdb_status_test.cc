#include "select/fanout/fanout_tsdb_status.h"

#include <catch2/catch.hpp>

namespace strata::select {
namespace {

// Answers every TsdbStatus call with a fixed result or error.
class StatusNode : public StorageApi {
 public:
  StatusNode(std::string name, absl::StatusOr<TsdbStatusResult> answer)
      : name_(std::move(name)), answer_(std::move(answer)) {}
  void Write(const RequestContext&, std::shared_ptr<const std::string>, WriteCallback done) override {
    done(absl::UnimplementedError("write"));
  }
  void Search(const RequestContext&, SearchRequest, SearchCallback done) override {
    done(absl::UnimplementedError("search"));
  }
  void TsdbStatus(const RequestContext&, TsdbStatusRequest request, TsdbStatusCallback done) override {
    last = request;
    done(answer_);
  }
  std::string Name() const override { return name_; }
  TsdbStatusRequest last;

 private:
  std::string name_;
  absl::StatusOr<TsdbStatusResult> answer_;
};

// Three series up{job=a}, up{job=b}, go_info{job=a} on nodes A, B, C with
// replication factor 2: A holds all three, B the two ups, C go_info.
TsdbStatusResult NodeA() {
  TsdbStatusResult r;
  r.total_series = 3;
  r.total_label_value_pairs = 6;
  r.distinct_label_pairs = 4;
  r.head_chunks = 3;
  r.head_min_time_ms = 1000;
  r.head_max_time_ms = 5000;
  r.series_count_by_metric_name = {{"up", 2}, {"go_info", 1}};
  r.label_value_count_by_label_name = {{"__name__", 2}, {"job", 2}};
  r.series_count_by_label_value_pair = {{"__name__=up", 2}, {"job=a", 2}, {"__name__=go_info", 1}, {"job=b", 1}};
  return r;
}
TsdbStatusResult NodeB() {
  TsdbStatusResult r;
  r.total_series = 2;
  r.total_label_value_pairs = 4;
  r.distinct_label_pairs = 3;
  r.head_chunks = 2;
  r.head_min_time_ms = 500;
  r.head_max_time_ms = 4000;
  r.series_count_by_metric_name = {{"up", 2}};
  r.label_value_count_by_label_name = {{"job", 2}, {"__name__", 1}};
  r.series_count_by_label_value_pair = {{"__name__=up", 2}, {"job=a", 1}, {"job=b", 1}};
  return r;
}
TsdbStatusResult NodeC() {
  TsdbStatusResult r;
  r.total_series = 1;
  r.total_label_value_pairs = 2;
  r.distinct_label_pairs = 2;
  r.series_count_by_metric_name = {{"go_info", 1}};
  r.label_value_count_by_label_name = {{"__name__", 1}, {"job", 1}};
  r.series_count_by_label_value_pair = {{"__name__=go_info", 1}, {"job=a", 1}};
  return r;
}

TEST_CASE("tsdb status merge sums the nodes and divides by the replication factor", "[select][fanout]") {
  TsdbStatusResult m = MergeTsdbStatus({NodeA(), NodeB(), NodeC()}, 2, 3);
  // Series figures are exact: every series was counted twice.
  CHECK(m.total_series == 3);
  CHECK(m.total_label_value_pairs == 6);
  CHECK(m.series_count_by_metric_name == std::vector<TsdbStatEntry>{{"up", 2}, {"go_info", 1}});
  CHECK(m.series_count_by_label_value_pair ==
        std::vector<TsdbStatEntry>{{"__name__=up", 2}, {"job=a", 2}, {"__name__=go_info", 1}});
  // Distinct values are not additive: job has 2 values, counted (2+2+1)/2 -> 3.
  CHECK(m.label_value_count_by_label_name == std::vector<TsdbStatEntry>{{"job", 3}, {"__name__", 2}});
  CHECK(m.distinct_label_pairs == 5);  // ceil(9 / 2); the truth is 4
  // Head figures: chunks summed, the time bounds' extremes.
  CHECK(m.head_chunks == 5);
  CHECK(m.head_min_time_ms == 500);
  CHECK(m.head_max_time_ms == 5000);
  // Without replication nothing is divided.
  CHECK(MergeTsdbStatus({NodeA()}, 1, 10).series_count_by_metric_name ==
        std::vector<TsdbStatEntry>{{"up", 2}, {"go_info", 1}});
}

TEST_CASE("tsdb status fan-out asks every node and marks missing replicas partial", "[select][fanout]") {
  StatusNode a("a", NodeA()), b("b", NodeB()), c("c", NodeC());
  StatusNode down("d", absl::UnavailableError("connection refused"));
  TsdbStatusRequest req;
  req.top_n = 5;
  req.focus_label = "job";
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  auto all = TsdbStatusOnAllNodes({&a, &b, &c}, req, 2, deadline);
  REQUIRE(all.ok());
  CHECK(!all->partial);
  CHECK(all->status.total_series == 3);
  CHECK(a.last.focus_label == "job");
  CHECK(c.last.top_n == 5);

  auto one_down = TsdbStatusOnAllNodes({&a, &b, &down}, req, 2, deadline);
  REQUIRE(one_down.ok());
  CHECK(!one_down->partial);
  auto single = TsdbStatusOnAllNodes({&a, &down}, req, 1, deadline);
  REQUIRE(single.ok());
  CHECK(single->partial);
  REQUIRE(single->warnings.size() == 1);
  CHECK(single->warnings[0].find("connection refused") != std::string::npos);
  CHECK(absl::IsUnavailable(TsdbStatusOnAllNodes({&down}, req, 1, deadline).status()));
  CHECK(absl::IsUnavailable(TsdbStatusOnAllNodes({}, req, 1, deadline).status()));
}

}  // namespace
}  // namespace strata::select
