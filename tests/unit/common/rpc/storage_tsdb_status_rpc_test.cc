// The tsdb status method of the storage RPC: its wire codec and a round trip
// through RpcServer / RpcStorageClient.
#include <catch2/catch.hpp>
#include <chrono>
#include <future>
#include <mutex>
#include <thread>

#include "common/rpc/rpc_protocol.h"
#include "common/rpc/rpc_server.h"
#include "common/rpc/storage_client.h"
#include "common/rpc/storage_rpc_service.h"
#include "common/rpc/storage_wire.h"
#include "fmt/format.h"

namespace strata {
namespace {

using namespace std::chrono_literals;

TsdbStatusRequest MakeRequest() {
  TsdbStatusRequest req;
  req.tenant = TenantId{42, 7};
  req.matchers.push_back(*Matcher::Create(MatchType::kRegexMatch, "job", "node|api"));
  req.min_time_ms = 1'699'920'000'000;
  req.max_time_ms = 1'700'006'399'999;
  req.top_n = 25;
  req.focus_label = "instance";
  return req;
}

TsdbStatusResult MakeResult() {
  TsdbStatusResult r;
  r.total_series = 1234;
  r.total_label_value_pairs = 4321;
  r.distinct_label_pairs = 99;
  r.head_chunks = 17;
  r.head_min_time_ms = -5;
  r.head_max_time_ms = 1'700'000'000'000;
  r.series_count_by_metric_name = {{"up", 1000}, {"node_cpu", 234}};
  r.series_count_by_label_name = {{"__name__", 1234}};
  r.series_count_by_focus_label_value = {{"h:1", 3}};
  r.series_count_by_label_value_pair = {{"job=api", 700}, {"job=node", 534}};
  r.label_value_count_by_label_name = {{"instance", 80}};
  r.memory_in_bytes_by_label_name = {{"job", 4870}};
  return r;
}

void CheckSame(const TsdbStatusResult& got, const TsdbStatusResult& want) {
  CHECK(got.total_series == want.total_series);
  CHECK(got.total_label_value_pairs == want.total_label_value_pairs);
  CHECK(got.distinct_label_pairs == want.distinct_label_pairs);
  CHECK(got.head_chunks == want.head_chunks);
  CHECK(got.head_min_time_ms == want.head_min_time_ms);
  CHECK(got.head_max_time_ms == want.head_max_time_ms);
  CHECK(got.series_count_by_metric_name == want.series_count_by_metric_name);
  CHECK(got.series_count_by_label_name == want.series_count_by_label_name);
  CHECK(got.series_count_by_focus_label_value == want.series_count_by_focus_label_value);
  CHECK(got.series_count_by_label_value_pair == want.series_count_by_label_value_pair);
  CHECK(got.label_value_count_by_label_name == want.label_value_count_by_label_name);
  CHECK(got.memory_in_bytes_by_label_name == want.memory_in_bytes_by_label_name);
}

TEST_CASE("storage wire format round trips tsdb status requests and results", "[common][rpc][storage][unit]") {
  const TsdbStatusRequest want = MakeRequest();
  auto got = DecodeTsdbStatusRequest(EncodeTsdbStatusRequest(want));
  REQUIRE(got.ok());
  CHECK(got->tenant == want.tenant);
  CHECK(got->min_time_ms == want.min_time_ms);
  CHECK(got->max_time_ms == want.max_time_ms);
  CHECK(got->top_n == 25);
  CHECK(got->focus_label == "instance");
  REQUIRE(got->matchers.size() == 1);
  CHECK(got->matchers[0].ToString() == want.matchers[0].ToString());

  TsdbStatusRequest zero = want;
  zero.top_n = 0;
  CHECK(absl::IsInvalidArgument(DecodeTsdbStatusRequest(EncodeTsdbStatusRequest(zero)).status()));
  CHECK(absl::IsInvalidArgument(DecodeTsdbStatusRequest("\xff\xff").status()));

  auto result = DecodeTsdbStatusResult(EncodeTsdbStatusResult(MakeResult()));
  REQUIRE(result.ok());
  CheckSame(*result, MakeResult());
  CHECK(absl::IsDataLoss(DecodeTsdbStatusResult("\xff\xff").status()));
}

// Answers from another thread; records the request.
class StatusFake : public StorageApi {
 public:
  void Write(const RequestContext&, std::shared_ptr<const std::string>, WriteCallback done) override {
    done(absl::OkStatus());
  }
  void Search(const RequestContext&, SearchRequest, SearchCallback done) override { done(SearchResult{}); }
  void TsdbStatus(const RequestContext&, TsdbStatusRequest request, TsdbStatusCallback done) override {
    {
      std::lock_guard<std::mutex> l(mu);
      last = request;
    }
    absl::StatusOr<TsdbStatusResult> r = MakeResult();
    if (request.tenant.account_id == 13) r = absl::UnavailableError("shutting down");
    std::thread([r = std::move(r), done = std::move(done)]() mutable { done(std::move(r)); }).detach();
  }
  std::string Name() const override { return "fake"; }

  std::mutex mu;
  TsdbStatusRequest last;
};

class OldNode : public StorageApi {
 public:
  void Write(const RequestContext&, std::shared_ptr<const std::string>, WriteCallback done) override {
    done(absl::OkStatus());
  }
  void Search(const RequestContext&, SearchRequest, SearchCallback done) override { done(SearchResult{}); }
  std::string Name() const override { return "old"; }
};

template <typename Storage>
struct Fixture {
  Fixture() {
    RpcServerOptions so;
    so.listen_address = "127.0.0.1:0";
    server = std::make_unique<RpcServer>(io, work, so);
    service.RegisterOn(*server);
    REQUIRE(server->Start().ok());
    RpcClientOptions co;
    co.address = fmt::format("127.0.0.1:{}", server->port());
    client = std::make_unique<RpcStorageClient>(io, co);
  }
  ~Fixture() {
    client.reset();
    server.reset();
    std::this_thread::sleep_for(50ms);  // the fake's detached threads
  }
  absl::StatusOr<TsdbStatusResult> Call(TsdbStatusRequest request) {
    std::promise<absl::StatusOr<TsdbStatusResult>> p;
    client->TsdbStatus(RequestContext::WithTimeout(10s), std::move(request),
                       [&p](absl::StatusOr<TsdbStatusResult> r) { p.set_value(std::move(r)); });
    auto f = p.get_future();
    REQUIRE(f.wait_for(20s) == std::future_status::ready);
    return f.get();
  }

  IoPool io{2};
  WorkPool work{2};
  Storage storage;
  StorageRpcService service{storage};
  std::unique_ptr<RpcServer> server;
  std::unique_ptr<RpcStorageClient> client;
};

TEST_CASE("rpc storage tsdb status carries the request and the answer", "[common][rpc][storage][unit]") {
  Fixture<StatusFake> f;
  auto r = f.Call(MakeRequest());
  REQUIRE(r.ok());
  CheckSame(*r, MakeResult());
  {
    std::lock_guard<std::mutex> l(f.storage.mu);
    CHECK(f.storage.last.tenant == TenantId{42, 7});
    CHECK(f.storage.last.top_n == 25);
    CHECK(f.storage.last.focus_label == "instance");
  }
  TsdbStatusRequest down = MakeRequest();
  down.tenant = TenantId{13, 0};
  CHECK(absl::IsUnavailable(f.Call(down).status()));
  CHECK(std::string(RpcMethodName(kRpcMethodStorageTsdbStatus)) == "tsdb_status");
}

TEST_CASE("rpc storage tsdb status against a node without it answers Unimplemented", "[common][rpc][storage][unit]") {
  Fixture<OldNode> f;
  CHECK(absl::IsUnimplemented(f.Call(MakeRequest()).status()));
}

}  // namespace
}  // namespace strata
