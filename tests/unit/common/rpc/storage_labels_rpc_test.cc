// The labels methods of the storage RPC (LabelNames, LabelValues,
// SeriesLabels): their wire codec and a round trip through RpcServer /
// RpcStorageClient.
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

LabelsRequest MakeRequest() {
  LabelsRequest req;
  req.tenant = TenantId{42, 7};
  req.matchers.push_back(*Matcher::Create(MatchType::kEqual, "__name__", "up"));
  req.matchers.push_back(*Matcher::Create(MatchType::kRegexMatch, "job", "node|api"));
  req.matchers.push_back(*Matcher::Create(MatchType::kNotEqual, "env", ""));
  req.matchers.push_back(*Matcher::Create(MatchType::kRegexNoMatch, "instance", "b.*"));
  req.min_time_ms = -9'223'372'036'854'775LL;
  req.max_time_ms = 1'700'000'000'000;
  req.limit = 40000;
  req.label_name = "instance";
  return req;
}

void CheckSameRequest(const LabelsRequest& got, const LabelsRequest& want) {
  CHECK(got.tenant == want.tenant);
  CHECK(got.min_time_ms == want.min_time_ms);
  CHECK(got.max_time_ms == want.max_time_ms);
  CHECK(got.limit == want.limit);
  CHECK(got.label_name == want.label_name);
  REQUIRE(got.matchers.size() == want.matchers.size());
  for (size_t i = 0; i < got.matchers.size(); ++i) CHECK(got.matchers[i].ToString() == want.matchers[i].ToString());
}

TEST_CASE("storage wire format round trips labels requests and results", "[common][rpc][storage][unit]") {
  const LabelsRequest want = MakeRequest();
  auto req = DecodeLabelsRequest(EncodeLabelsRequest(want));
  REQUIRE(req.ok());
  CheckSameRequest(*req, want);
  // A request without matchers means every series of the tenant.
  auto empty = DecodeLabelsRequest(EncodeLabelsRequest(LabelsRequest{}));
  REQUIRE(empty.ok());
  CHECK(empty->matchers.empty());
  CHECK(absl::IsInvalidArgument(DecodeLabelsRequest("\xff\xff not protobuf").status()));

  LabelsResult names;
  names.values = {"__name__", "instance", "job", "\xe2\x9c\x93 utf8"};
  names.truncated = true;
  auto n = DecodeLabelsResult(EncodeLabelsResult(names));
  REQUIRE(n.ok());
  CHECK(n->values == names.values);
  CHECK(n->truncated);
  CHECK(absl::IsDataLoss(DecodeLabelsResult("\xff\xff\xff").status()));

  SeriesLabelsResult series;
  series.series.push_back(Labels::FromUnsorted({{"__name__", "up"}, {"job", "node"}, {"instance", "a:9100"}}));
  series.series.push_back(Labels::FromUnsorted({{"__name__", "up"}, {"job", "api"}}));
  auto s = DecodeSeriesLabelsResult(EncodeSeriesLabelsResult(series));
  REQUIRE(s.ok());
  REQUIRE(s->series.size() == 2);
  CHECK(s->series[0] == series.series[0]);
  CHECK(s->series[1] == series.series[1]);
  CHECK(!s->truncated);
  CHECK(absl::IsDataLoss(DecodeSeriesLabelsResult("\xff\xff\xff").status()));
}

// Answers from another thread, like a real node; names/values/series derive
// from the request so the test sees it arrive intact.
class LabelsFake : public StorageApi {
 public:
  void Write(const RequestContext&, std::shared_ptr<const std::string>, WriteCallback done) override {
    done(absl::UnimplementedError("write"));
  }
  void Search(const RequestContext&, SearchRequest, SearchCallback done) override {
    done(absl::UnimplementedError("search"));
  }
  void LabelNames(const RequestContext& ctx, LabelsRequest request, LabelsCallback done) override {
    Record(ctx, request);
    LabelsResult r;
    r.values = {"__name__", "job"};
    r.truncated = request.limit == 2;
    Answer(std::move(r), std::move(done));
  }
  void LabelValues(const RequestContext& ctx, LabelsRequest request, LabelsCallback done) override {
    Record(ctx, request);
    if (request.label_name == "bad") {
      Answer(absl::StatusOr<LabelsResult>(absl::InvalidArgumentError("bad label")), std::move(done));
      return;
    }
    LabelsResult r;
    r.values = {request.label_name + "-1", request.label_name + "-2"};
    Answer(std::move(r), std::move(done));
  }
  void SeriesLabels(const RequestContext& ctx, LabelsRequest request, SeriesLabelsCallback done) override {
    Record(ctx, request);
    SeriesLabelsResult r;
    r.series.push_back(Labels::FromUnsorted({{"__name__", "up"}, {"job", "api"}}));
    r.series.push_back(Labels::FromUnsorted({{"__name__", "up"}, {"job", "node"}}));
    if (request.tenant.account_id == 13) {
      Answer(absl::StatusOr<SeriesLabelsResult>(absl::UnavailableError("shutting down")), std::move(done));
      return;
    }
    Answer(std::move(r), std::move(done));
  }
  std::string Name() const override { return "fake"; }

  std::mutex mu;
  LabelsRequest last;
  std::chrono::steady_clock::time_point last_deadline;

 private:
  void Record(const RequestContext& ctx, const LabelsRequest& request) {
    std::lock_guard<std::mutex> l(mu);
    last = request;
    last_deadline = ctx.deadline;
  }
  template <typename R, typename Callback>
  void Answer(R result, Callback done) {
    std::thread([result = std::move(result), done = std::move(done)]() mutable { done(std::move(result)); })
        .detach();
  }
};

// Inherits the Unimplemented defaults, like a node that predates the methods.
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

  template <typename Result, typename Method>
  absl::StatusOr<Result> Call(Method method, LabelsRequest request) {
    std::promise<absl::StatusOr<Result>> p;
    (client.get()->*method)(RequestContext::WithTimeout(10s), std::move(request),
                            [&p](absl::StatusOr<Result> r) { p.set_value(std::move(r)); });
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

TEST_CASE("rpc storage label names, values and series labels carry the request and the answer",
          "[common][rpc][storage][unit]") {
  Fixture<LabelsFake> f;
  const LabelsRequest want = MakeRequest();
  const auto before = std::chrono::steady_clock::now();

  auto names = f.Call<LabelsResult>(&RpcStorageClient::LabelNames, want);
  REQUIRE(names.ok());
  CHECK(names->values == std::vector<std::string>{"__name__", "job"});
  CHECK(!names->truncated);
  {
    std::lock_guard<std::mutex> l(f.storage.mu);
    CheckSameRequest(f.storage.last, want);
    // The caller's deadline reaches the node (within the RPC's ms rounding).
    CHECK(f.storage.last_deadline > before + 8s);
  }
  LabelsRequest limited = want;
  limited.limit = 2;
  names = f.Call<LabelsResult>(&RpcStorageClient::LabelNames, limited);
  REQUIRE(names.ok());
  CHECK(names->truncated);

  auto values = f.Call<LabelsResult>(&RpcStorageClient::LabelValues, want);
  REQUIRE(values.ok());
  CHECK(values->values == std::vector<std::string>{"instance-1", "instance-2"});

  auto series = f.Call<SeriesLabelsResult>(&RpcStorageClient::SeriesLabels, want);
  REQUIRE(series.ok());
  REQUIRE(series->series.size() == 2);
  CHECK(series->series[1].ToString() == "up{job=\"node\"}");
}

TEST_CASE("rpc storage labels errors keep their code", "[common][rpc][storage][unit]") {
  Fixture<LabelsFake> f;
  LabelsRequest bad = MakeRequest();
  bad.label_name = "bad";
  auto values = f.Call<LabelsResult>(&RpcStorageClient::LabelValues, bad);
  CHECK(absl::IsInvalidArgument(values.status()));
  LabelsRequest down = MakeRequest();
  down.tenant = TenantId{13, 0};
  auto series = f.Call<SeriesLabelsResult>(&RpcStorageClient::SeriesLabels, down);
  CHECK(absl::IsUnavailable(series.status()));
  CHECK(std::string(series.status().message()).find("shutting down") != std::string::npos);
}

TEST_CASE("rpc storage labels methods against a StorageApi without them answer Unimplemented",
          "[common][rpc][storage][unit]") {
  Fixture<OldNode> f;
  CHECK(absl::IsUnimplemented(f.Call<LabelsResult>(&RpcStorageClient::LabelNames, MakeRequest()).status()));
  CHECK(absl::IsUnimplemented(f.Call<LabelsResult>(&RpcStorageClient::LabelValues, MakeRequest()).status()));
  CHECK(absl::IsUnimplemented(
      f.Call<SeriesLabelsResult>(&RpcStorageClient::SeriesLabels, MakeRequest()).status()));
  CHECK(std::string(RpcMethodName(kRpcMethodStorageSeriesLabels)) == "series_labels");
}

}  // namespace
}  // namespace strata
