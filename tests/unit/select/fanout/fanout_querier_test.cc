#include "select/fanout/fanout_querier.h"

#include <thread>

#include <catch2/catch.hpp>

#include "common/base/status.h"
#include "common/chunkenc/chunk_codec.h"
#include "common/chunkenc/xor_chunk.h"

namespace strata::select {
namespace {

Labels L(std::vector<Label> l) { return Labels::FromUnsorted(std::move(l)); }

ChunkData Chunk(const std::vector<Sample>& samples) {
  XorAppender app;
  for (const Sample& s : samples) app.Append(s.timestamp_ms, s.value);
  ChunkData c;
  c.min_time_ms = app.min_time();
  c.max_time_ms = app.max_time();
  c.encoding = ChunkEncoding::kXor;
  c.data = app.Finish();
  return c;
}

// A storage node that answers every search from another thread with a fixed
// result or error, and records the requests.
class FakeNode : public StorageApi {
 public:
  FakeNode(std::string name, absl::StatusOr<SearchResult> answer) : name_(std::move(name)), answer_(std::move(answer)) {}
  ~FakeNode() override {
    for (std::thread& t : threads_) t.join();
  }

  void Write(const RequestContext&, std::shared_ptr<const std::string>, WriteCallback done) override {
    done(absl::UnimplementedError("write"));
  }
  void Search(const RequestContext&, SearchRequest request, SearchCallback done) override {
    requests.push_back(request);
    threads_.emplace_back([this, done = std::move(done)]() mutable { done(answer_); });
  }
  std::string Name() const override { return name_; }

  std::vector<SearchRequest> requests;

 private:
  std::string name_;
  absl::StatusOr<SearchResult> answer_;
  std::vector<std::thread> threads_;
};

SearchResult OneSeries(const Labels& labels, std::vector<ChunkData> chunks) {
  SearchResult r;
  r.series.push_back(SeriesChunks{labels, std::move(chunks)});
  return r;
}

std::vector<Matcher> NameMatcher(std::string name) {
  return {*Matcher::Create(MatchType::kEqual, "__name__", std::move(name))};
}

FanoutOptions Options(int replication_factor) {
  FanoutOptions o;
  o.tenant = TenantId{7, 3};
  o.replication_factor = replication_factor;
  o.deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  return o;
}

TEST_CASE("fanout merges replicas of a series and keeps each timestamp once", "[select][fanout]") {
  const Labels up = L({{"__name__", "up"}, {"job", "a"}});
  FakeNode a("a", OneSeries(up, {Chunk({{1000, 1}, {2000, 2}, {3000, 3}})}));
  FakeNode b("b", OneSeries(up, {Chunk({{2000, 2}, {3000, 3}, {4000, 4}})}));
  FanoutQuerier q({&a, &b}, Options(2));
  auto matchers = NameMatcher("up");
  auto set = q.Select(promql::SelectHints{0, 10000}, matchers);
  REQUIRE(set.ok());
  REQUIRE(set->series.size() == 1);
  std::vector<int64_t> times;
  for (const Sample& s : set->series[0].samples) times.push_back(s.timestamp_ms);
  CHECK(times == std::vector<int64_t>{1000, 2000, 3000, 4000});
  CHECK_FALSE(set->partial);
  CHECK(set->warnings.empty());
  // Every node got the tenant, matchers and range.
  REQUIRE(a.requests.size() == 1);
  CHECK(a.requests[0].tenant == TenantId{7, 3});
  CHECK(a.requests[0].min_time_ms == 0);
  CHECK(a.requests[0].max_time_ms == 10000);
  CHECK(a.requests[0].matchers.at(0).value() == "up");
}

TEST_CASE("fanout keeps the first node's sample when replicas disagree", "[select][fanout]") {
  const Labels m = L({{"__name__", "m"}});
  FakeNode a("a", OneSeries(m, {Chunk({{1000, 10}})}));
  FakeNode b("b", OneSeries(m, {Chunk({{1000, 99}})}));
  auto matchers = NameMatcher("m");
  for (int i = 0; i < 5; ++i) {
    FanoutQuerier q({&a, &b}, Options(1));
    auto set = q.Select(promql::SelectHints{0, 10000}, matchers);
    REQUIRE(set.ok());
    REQUIRE(set->series.at(0).samples.size() == 1);
    CHECK(set->series[0].samples[0].value == 10);
  }
}

TEST_CASE("fanout keeps only samples inside the requested range", "[select][fanout]") {
  const Labels m = L({{"__name__", "m"}});
  FakeNode a("a", OneSeries(m, {Chunk({{1000, 1}, {2000, 2}}), Chunk({{3000, 3}, {4000, 4}}), Chunk({{9000, 9}})}));
  FanoutQuerier q({&a}, Options(1));
  auto matchers = NameMatcher("m");
  auto set = q.Select(promql::SelectHints{2000, 3000}, matchers);
  REQUIRE(set.ok());
  const auto& s = set->series.at(0).samples;
  REQUIRE(s.size() == 2);
  CHECK(s[0].timestamp_ms == 2000);
  CHECK(s[1].timestamp_ms == 3000);
}

TEST_CASE("fanout keeps series with different labels apart", "[select][fanout]") {
  FakeNode a("a", OneSeries(L({{"__name__", "m"}, {"i", "1"}}), {Chunk({{1000, 1}})}));
  FakeNode b("b", OneSeries(L({{"__name__", "m"}, {"i", "2"}}), {Chunk({{1000, 2}})}));
  FanoutQuerier q({&a, &b}, Options(1));
  auto matchers = NameMatcher("m");
  auto set = q.Select(promql::SelectHints{0, 10000}, matchers);
  REQUIRE(set.ok());
  CHECK(set->series.size() == 2);
}

TEST_CASE("fanout answers completely while fewer than R nodes fail", "[select][fanout]") {
  const Labels m = L({{"__name__", "m"}});
  FakeNode a("a", OneSeries(m, {Chunk({{1000, 1}})}));
  FakeNode b("b", OneSeries(m, {Chunk({{1000, 1}})}));
  FakeNode dead("dead:8400", absl::UnavailableError("connection refused"));
  FanoutQuerier q({&a, &dead, &b}, Options(2));
  auto matchers = NameMatcher("m");
  auto set = q.Select(promql::SelectHints{0, 10000}, matchers);
  REQUIRE(set.ok());
  CHECK_FALSE(set->partial);
  CHECK(set->series.size() == 1);
}

TEST_CASE("fanout marks the answer partial when R or more nodes fail", "[select][fanout]") {
  const Labels m = L({{"__name__", "m"}});
  FakeNode a("a", OneSeries(m, {Chunk({{1000, 1}})}));
  FakeNode dead1("dead1:8400", absl::UnavailableError("connection refused"));
  FakeNode dead2("dead2:8400", absl::DeadlineExceededError("timeout"));
  FanoutQuerier q({&a, &dead1, &dead2}, Options(2));
  auto matchers = NameMatcher("m");
  auto set = q.Select(promql::SelectHints{0, 10000}, matchers);
  REQUIRE(set.ok());
  CHECK(set->partial);
  REQUIRE(set->warnings.size() == 2);
  CHECK(set->warnings[0] == "cannot fetch data from storage node dead1:8400: connection refused");
  CHECK(set->warnings[1] == "cannot fetch data from storage node dead2:8400: timeout");
  CHECK(set->series.size() == 1);
}

TEST_CASE("with -search.denyPartialResponse a partial answer becomes Unavailable naming the failed nodes",
          "[select][fanout]") {
  const Labels m = L({{"__name__", "m"}});
  FakeNode a("a", OneSeries(m, {Chunk({{1000, 1}})}));
  FakeNode dead1("dead1:8400", absl::UnavailableError("connection refused"));
  FakeNode dead2("dead2:8400", absl::DeadlineExceededError("timeout"));
  FanoutOptions options = Options(2);
  options.deny_partial = true;
  auto matchers = NameMatcher("m");
  {
    FanoutQuerier q({&a, &dead1, &dead2}, options);
    auto set = q.Select(promql::SelectHints{0, 10000}, matchers);
    REQUIRE_FALSE(set.ok());
    CHECK(absl::IsUnavailable(set.status()));
    CHECK(std::string(set.status().message()).find("dead2:8400") != std::string::npos);
    CHECK(std::string(set.status().message()).find("denyPartialResponse") != std::string::npos);
  }
  // R-1 failed nodes lose nothing: still a complete answer.
  FakeNode b("b", OneSeries(m, {Chunk({{1000, 1}})}));
  FanoutQuerier q({&a, &b, &dead1}, options);
  auto set = q.Select(promql::SelectHints{0, 10000}, matchers);
  REQUIRE(set.ok());
  CHECK_FALSE(set->partial);
  CHECK(set->series.size() == 1);
}

TEST_CASE("fanout with -dedup.minScrapeInterval keeps one sample per interval across replicas", "[select][fanout]") {
  const Labels up = L({{"__name__", "up"}, {"job", "a"}});
  // An HA pair: replica A scrapes at 11 s, 26 s; replica B at 15 s, 30 s.
  FakeNode a("a", OneSeries(up, {Chunk({{11'000, 1}, {26'000, 3}})}));
  FakeNode b("b", OneSeries(up, {Chunk({{15'000, 2}, {30'000, 4}})}));
  FanoutOptions options = Options(1);
  options.dedup_interval_ms = 15'000;
  FanoutQuerier q({&a, &b}, options);
  auto matchers = NameMatcher("up");
  auto set = q.Select(promql::SelectHints{0, 100'000}, matchers);
  REQUIRE(set.ok());
  REQUIRE(set->series.size() == 1);
  REQUIRE(set->series[0].samples.size() == 2);
  CHECK(set->series[0].samples[0].timestamp_ms == 15'000);
  CHECK(set->series[0].samples[1].timestamp_ms == 30'000);
}

TEST_CASE("fanout with replication factor 1 is partial after one failure", "[select][fanout]") {
  FakeNode a("a", OneSeries(L({{"__name__", "m"}}), {Chunk({{1000, 1}})}));
  FakeNode dead("dead", absl::UnavailableError("down"));
  FanoutQuerier q({&a, &dead}, Options(1));
  auto matchers = NameMatcher("m");
  auto set = q.Select(promql::SelectHints{0, 10000}, matchers);
  REQUIRE(set.ok());
  CHECK(set->partial);
}

TEST_CASE("fanout fails with Unavailable when every node fails", "[select][fanout]") {
  FakeNode dead1("dead1", absl::UnavailableError("down"));
  FakeNode dead2("dead2", absl::UnavailableError("down"));
  FanoutQuerier q({&dead1, &dead2}, Options(2));
  auto matchers = NameMatcher("m");
  auto set = q.Select(promql::SelectHints{0, 10000}, matchers);
  CHECK(set.status().code() == absl::StatusCode::kUnavailable);
}

TEST_CASE("fanout passes a node's InvalidArgument through as the query's error", "[select][fanout]") {
  FakeNode a("a", SearchResult{});
  FakeNode bad("bad", absl::InvalidArgumentError("too many matchers"));
  FanoutQuerier q({&a, &bad}, Options(2));
  auto matchers = NameMatcher("m");
  auto set = q.Select(promql::SelectHints{0, 10000}, matchers);
  CHECK(set.status().code() == absl::StatusCode::kInvalidArgument);
  CHECK(set.status().message() == "storage node bad: too many matchers");
}

TEST_CASE("fanout reports a corrupt chunk as DataLoss", "[select][fanout]") {
  ChunkData broken = Chunk({{1000, 1}, {2000, 2}, {3000, 3}});
  broken.data.resize(4);
  FakeNode a("a", OneSeries(L({{"__name__", "m"}}), {broken}));
  FanoutQuerier q({&a}, Options(1));
  auto matchers = NameMatcher("m");
  auto set = q.Select(promql::SelectHints{0, 10000}, matchers);
  CHECK(set.status().code() == absl::StatusCode::kDataLoss);
}

TEST_CASE("merge of search results sorts interleaved replica samples by time", "[select][fanout]") {
  const Labels m = L({{"__name__", "m"}});
  std::vector<SearchResult> results;
  results.push_back(OneSeries(m, {Chunk({{1000, 1}, {3000, 3}})}));
  results.push_back(OneSeries(m, {Chunk({{2000, 2}, {3000, 3}, {5000, 5}})}));
  auto merged = MergeSearchResults(results, 0, 4000);
  REQUIRE(merged.ok());
  REQUIRE(merged->size() == 1);
  std::vector<double> values;
  for (const Sample& s : (*merged)[0].samples) values.push_back(s.value);
  CHECK(values == std::vector<double>{1, 2, 3});
}

TEST_CASE("fanout keeps stale markers bit-exact for the engine", "[select][fanout]") {
  FakeNode a("a", OneSeries(L({{"__name__", "m"}}), {Chunk({{1000, 1}, {2000, StaleNaN()}})}));
  FanoutQuerier q({&a}, Options(1));
  auto matchers = NameMatcher("m");
  auto set = q.Select(promql::SelectHints{0, 10000}, matchers);
  REQUIRE(set.ok());
  CHECK(IsStaleNaN(set->series.at(0).samples.at(1).value));
}

// Never answers by itself; the test fires the callback later.
class HangingNode : public StorageApi {
 public:
  void Write(const RequestContext&, std::shared_ptr<const std::string>, WriteCallback done) override {
    done(absl::UnimplementedError("write"));
  }
  void Search(const RequestContext&, SearchRequest, SearchCallback done) override { pending = std::move(done); }
  std::string Name() const override { return "hanging"; }
  SearchCallback pending;
};

TEST_CASE("fanout stops waiting at the deadline and tolerates late answers", "[select][fanout]") {
  FakeNode a("a", OneSeries(L({{"__name__", "m"}}), {Chunk({{1000, 1}})}));
  HangingNode hanging;
  FanoutOptions options = Options(1);
  options.deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(50);
  auto matchers = NameMatcher("m");
  {
    FanoutQuerier q({&a, &hanging}, options);
    auto set = q.Select(promql::SelectHints{0, 10000}, matchers);
    REQUIRE(set.ok());
    CHECK(set->partial);
    REQUIRE(set->warnings.size() == 1);
    CHECK(set->warnings[0] == "cannot fetch data from storage node hanging: no answer before the query deadline");
    CHECK(set->series.size() == 1);
  }
  // The querier is gone; the late callback must not touch freed memory.
  REQUIRE(hanging.pending);
  hanging.pending(SearchResult{});
}

// Answers nothing until it holds `batch` requests, then answers them all:
// only a querier that sends every selector before waiting gets an answer.
class BatchingNode : public StorageApi {
 public:
  BatchingNode(size_t batch, SearchResult answer) : batch_(batch), answer_(std::move(answer)) {}
  ~BatchingNode() override {
    for (std::thread& t : threads_) t.join();
  }
  void Write(const RequestContext&, std::shared_ptr<const std::string>, WriteCallback done) override {
    done(absl::UnimplementedError("write"));
  }
  void Search(const RequestContext&, SearchRequest, SearchCallback done) override {
    waiting_.push_back(std::move(done));
    if (waiting_.size() < batch_) return;
    threads_.emplace_back([this, callbacks = std::move(waiting_)]() mutable {
      for (SearchCallback& cb : callbacks) cb(answer_);
    });
  }
  std::string Name() const override { return "batching"; }

 private:
  size_t batch_;
  SearchResult answer_;
  std::vector<SearchCallback> waiting_;
  std::vector<std::thread> threads_;
};

TEST_CASE("every selector of a query is sent before the querier waits for answers", "[select][fanout]") {
  BatchingNode node(2, OneSeries(L({{"__name__", "m"}}), {Chunk({{1000, 1}})}));
  FanoutOptions options = Options(1);
  options.deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  FanoutQuerier q({&node}, options);
  auto a = NameMatcher("m");
  auto b = NameMatcher("m");
  const promql::SelectRequest requests[] = {{promql::SelectHints{0, 10000}, a}, {promql::SelectHints{0, 5000}, b}};
  const auto started = std::chrono::steady_clock::now();
  auto sets = q.SelectMany(requests);
  REQUIRE(sets.ok());
  CHECK(std::chrono::steady_clock::now() - started < std::chrono::seconds(4));
  REQUIRE(sets->size() == 2);
  CHECK((*sets)[0].series.size() == 1);
  CHECK((*sets)[1].series.size() == 1);
  CHECK_FALSE((*sets)[0].partial);
}

// Counts the SearchMany calls it gets and the requests in them.
class CountingNode : public FakeNode {
 public:
  using FakeNode::FakeNode;
  void SearchMany(const RequestContext& ctx, std::vector<SearchRequest> requests, SearchManyCallback done) override {
    ++search_many_calls;
    for (const SearchRequest& r : requests) ranges.emplace_back(r.min_time_ms, r.max_time_ms);
    StorageApi::SearchMany(ctx, std::move(requests), std::move(done));
  }
  int search_many_calls = 0;
  std::vector<std::pair<int64_t, int64_t>> ranges;
};

TEST_CASE("every selector of a query reaches each node in one request", "[select][fanout]") {
  const SearchResult answer = OneSeries(L({{"__name__", "m"}}), {Chunk({{1000, 1}, {6000, 2}})});
  CountingNode a("a", answer);
  CountingNode b("b", answer);
  FanoutQuerier q({&a, &b}, Options(2));
  auto m1 = NameMatcher("m");
  auto m2 = NameMatcher("m");
  const promql::SelectRequest requests[] = {{promql::SelectHints{0, 10000}, m1}, {promql::SelectHints{0, 5000}, m2}};
  auto sets = q.SelectMany(requests);
  REQUIRE(sets.ok());
  for (const CountingNode* node : {&a, &b}) {
    CHECK(node->search_many_calls == 1);
    CHECK(node->ranges == std::vector<std::pair<int64_t, int64_t>>{{0, 10000}, {0, 5000}});
  }
  // Each answer is clipped to its own request's range.
  REQUIRE(sets->size() == 2);
  REQUIRE((*sets)[0].series.size() == 1);
  CHECK((*sets)[0].series[0].samples.size() == 2);
  REQUIRE((*sets)[1].series.size() == 1);
  CHECK((*sets)[1].series[0].samples.size() == 1);
}

TEST_CASE("a query selecting more series than -search.maxSeries fails instead of answering partly",
          "[select][fanout]") {
  SearchResult truncated = OneSeries(L({{"__name__", "m"}}), {Chunk({{1000, 1}})});
  truncated.truncated = true;
  FakeNode a("a", truncated);
  FanoutOptions options = Options(1);
  options.max_series = 1;
  FanoutQuerier q({&a}, options);
  auto matchers = NameMatcher("m");
  auto set = q.Select(promql::SelectHints{0, 10000}, matchers);
  REQUIRE(set.status().code() == absl::StatusCode::kResourceExhausted);
  CHECK(set.status().message() ==
        "the query selects more than 1 series; narrow its selectors or raise -search.maxSeries");
  REQUIRE(a.requests.size() == 1);
  CHECK(a.requests[0].max_series == 2);  // one more than allowed, to detect the excess
}

TEST_CASE("the series limit counts every selector of the query", "[select][fanout]") {
  FakeNode a("a", OneSeries(L({{"__name__", "m"}}), {Chunk({{1000, 1}})}));
  FanoutOptions options = Options(1);
  options.max_series = 1;
  FanoutQuerier q({&a}, options);
  auto matchers = NameMatcher("m");
  REQUIRE(q.Select(promql::SelectHints{0, 10000}, matchers).ok());
  auto second = q.Select(promql::SelectHints{0, 10000}, matchers);
  CHECK(second.status().code() == absl::StatusCode::kResourceExhausted);
  CHECK(a.requests.back().max_series == 1);
}

}  // namespace
}  // namespace strata::select

namespace strata::select {
namespace {

TEST_CASE("fan-out merge decodes every chunk encoding storage may choose", "[select][fanout]") {
  // A counter (kIntDelta), a two-decimal gauge (kDecimal) and a Gorilla
  // chunk of the same series from two replicas: one merged, de-duplicated series.
  std::vector<Sample> counter, gauge;
  for (int i = 0; i < 100; ++i) counter.push_back({i * 15'000, 1000.0 + i * 7});
  for (int i = 100; i < 200; ++i) gauge.push_back({i * 15'000, 0.25 * (i % 13) + 3.75});
  EncodedChunk c1{ChunkEncoding::kIntDelta, EncodeIntDeltaChunk(counter)};
  EncodedChunk c2{ChunkEncoding::kDecimal, EncodeDecimalChunk(gauge)};
  Labels labels = L({{"__name__", "m"}});
  std::vector<SearchResult> results;
  results.push_back(OneSeries(labels, {ChunkData{counter.front().timestamp_ms, counter.back().timestamp_ms,
                                                 c1.encoding, c1.data},
                                       ChunkData{gauge.front().timestamp_ms, gauge.back().timestamp_ms, c2.encoding,
                                                 c2.data}}));
  results.push_back(OneSeries(labels, {Chunk(gauge)}));  // the replica, Gorilla-encoded
  auto merged = MergeSearchResults(results, 0, 200 * 15'000);
  REQUIRE(merged.ok());
  REQUIRE(merged->size() == 1);
  const auto& samples = (*merged)[0].samples;
  REQUIRE(samples.size() == 200);
  for (int i = 0; i < 200; ++i) {
    const Sample& want = i < 100 ? counter[i] : gauge[i - 100];
    CHECK(SameBits(samples[i], want));
  }
}

TEST_CASE("fan-out merge reports a chunk in an unknown encoding as data loss", "[select][fanout]") {
  std::vector<SearchResult> results;
  results.push_back(OneSeries(L({{"__name__", "m"}}), {ChunkData{0, 10, static_cast<ChunkEncoding>(9), "xx"}}));
  auto merged = MergeSearchResults(results, 0, 10);
  CHECK(merged.status().code() == absl::StatusCode::kDataLoss);
}

}  // namespace
}  // namespace strata::select
