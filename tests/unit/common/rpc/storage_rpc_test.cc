#include <atomic>
#include <catch2/catch.hpp>
#include <chrono>
#include <cmath>
#include <cstring>
#include <future>
#include <mutex>
#include <thread>

#include "common/rpc/rpc_client.h"
#include "common/rpc/rpc_protocol.h"
#include "common/rpc/rpc_server.h"
#include "common/rpc/storage_client.h"
#include "common/rpc/storage_rpc_service.h"
#include "common/rpc/storage_wire.h"
#include "fmt/format.h"
#include "strata/rpc.pb.h"

namespace strata {
namespace {

using namespace std::chrono_literals;

// Prometheus's stale marker: a NaN with a payload that must survive
// byte-exact (common/model/sample.h).
constexpr uint64_t kStaleNanBits = 0x7ff0000000000002ull;

std::string ChunkBytesWithNaN() {
  std::string data("\x00\x03xor", 5);
  uint64_t bits = kStaleNanBits;
  data.append(reinterpret_cast<const char*>(&bits), sizeof(bits));
  double quiet = std::nan("");
  data.append(reinterpret_cast<const char*>(&quiet), sizeof(quiet));
  return data;
}

// An in-memory StorageApi that answers from another thread, like a real
// node whose work finishes after a WAL append.
class FakeStorage : public StorageApi {
 public:
  void Write(const RequestContext& ctx, std::shared_ptr<const std::string> batch, WriteCallback done) override {
    std::thread([this, ctx, batch, done = std::move(done)]() mutable {
      {
        std::lock_guard<std::mutex> l(mu);
        batches.push_back(*batch);
        last_deadline = ctx.deadline;
      }
      done(*batch == "reject" ? absl::InvalidArgumentError("malformed batch") : absl::OkStatus());
    }).detach();
  }

  void Search(const RequestContext&, SearchRequest request, SearchCallback done) override {
    {
      std::lock_guard<std::mutex> l(mu);
      last_search = request;
    }
    SearchResult result;
    result.truncated = request.max_series == 1;
    SeriesChunks a;
    a.labels = Labels::FromUnsorted({{"__name__", "up"}, {"job", "node"}, {"instance", "a:9100"}});
    a.chunks.push_back(ChunkData{1000, 2000, ChunkEncoding::kXor, ChunkBytesWithNaN()});
    a.chunks.push_back(ChunkData{2001, 9000, ChunkEncoding::kXor, std::string(3000, '\x5a')});
    SeriesChunks b;
    b.labels = Labels::FromUnsorted({{"__name__", "up"}, {"job", "api"}});
    result.series.push_back(std::move(a));
    if (!result.truncated) result.series.push_back(std::move(b));
    std::thread([result = std::move(result), done = std::move(done)]() mutable { done(std::move(result)); }).detach();
  }

  // Deletes "series" named by the matchers' values: the count is the number
  // of matchers, so the test sees the answer travel back. Tenant 13 has no
  // persistent index.
  void DeleteSeries(const RequestContext& ctx, TenantId tenant, std::vector<Matcher> matchers,
                    DeleteCallback done) override {
    {
      std::lock_guard<std::mutex> l(mu);
      last_delete_tenant = tenant;
      last_delete_matchers = matchers;
      last_deadline = ctx.deadline;
    }
    std::thread([tenant, n = matchers.size(), done = std::move(done)]() mutable {
      if (tenant.account_id == 13) {
        done(absl::FailedPreconditionError("cannot delete series: the engine is not persistent"));
      } else {
        done(uint64_t{1000} + n);
      }
    }).detach();
  }

  void SearchMany(const RequestContext& ctx, std::vector<SearchRequest> requests, SearchManyCallback done) override {
    {
      std::lock_guard<std::mutex> l(mu);
      ++search_many_calls;
    }
    StorageApi::SearchMany(ctx, std::move(requests), std::move(done));
  }

  std::string Name() const override { return "fake"; }

  std::mutex mu;
  int search_many_calls = 0;
  TenantId last_delete_tenant;
  std::vector<Matcher> last_delete_matchers;
  std::vector<std::string> batches;
  std::chrono::steady_clock::time_point last_deadline;
  SearchRequest last_search;
};

struct StorageFixture {
  StorageFixture() {
    RpcServerOptions so;
    so.listen_address = "127.0.0.1:0";
    server = std::make_unique<RpcServer>(io, work, so);
    service.RegisterOn(*server);
    REQUIRE(server->Start().ok());
    RpcClientOptions co;
    co.address = fmt::format("127.0.0.1:{}", server->port());
    client = std::make_unique<RpcStorageClient>(io, co);
  }
  ~StorageFixture() {
    client.reset();
    server.reset();
    // Let the fake's detached threads finish before it is destroyed.
    std::this_thread::sleep_for(50ms);
  }

  absl::Status WriteSync(std::string batch, std::chrono::milliseconds timeout = 10s) {
    std::promise<absl::Status> p;
    client->Write(RequestContext::WithTimeout(timeout), std::make_shared<const std::string>(std::move(batch)),
                  [&p](absl::Status s) { p.set_value(std::move(s)); });
    auto f = p.get_future();
    REQUIRE(f.wait_for(20s) == std::future_status::ready);
    return f.get();
  }

  absl::StatusOr<SearchResult> SearchSync(SearchRequest request) {
    std::promise<absl::StatusOr<SearchResult>> p;
    client->Search(RequestContext::WithTimeout(10s), std::move(request),
                   [&p](absl::StatusOr<SearchResult> r) { p.set_value(std::move(r)); });
    auto f = p.get_future();
    REQUIRE(f.wait_for(20s) == std::future_status::ready);
    return f.get();
  }

  absl::StatusOr<std::vector<SearchResult>> SearchManySync(std::vector<SearchRequest> requests) {
    std::promise<absl::StatusOr<std::vector<SearchResult>>> p;
    client->SearchMany(RequestContext::WithTimeout(10s), std::move(requests),
                       [&p](absl::StatusOr<std::vector<SearchResult>> r) { p.set_value(std::move(r)); });
    auto f = p.get_future();
    REQUIRE(f.wait_for(20s) == std::future_status::ready);
    return f.get();
  }

  absl::StatusOr<uint64_t> DeleteSync(TenantId tenant, std::vector<Matcher> matchers) {
    std::promise<absl::StatusOr<uint64_t>> p;
    client->DeleteSeries(RequestContext::WithTimeout(10s), tenant, std::move(matchers),
                         [&p](absl::StatusOr<uint64_t> r) { p.set_value(std::move(r)); });
    auto f = p.get_future();
    REQUIRE(f.wait_for(20s) == std::future_status::ready);
    return f.get();
  }

  IoPool io{2};
  WorkPool work{2};
  FakeStorage storage;
  StorageRpcService service{storage};
  std::unique_ptr<RpcServer> server;
  std::unique_ptr<RpcStorageClient> client;
};

SearchRequest MakeSearch(uint64_t max_series) {
  SearchRequest req;
  req.tenant = TenantId{42, 7};
  req.matchers.push_back(*Matcher::Create(MatchType::kEqual, "__name__", "up"));
  req.matchers.push_back(*Matcher::Create(MatchType::kRegexMatch, "job", "node|api"));
  req.matchers.push_back(*Matcher::Create(MatchType::kNotEqual, "env", ""));
  req.matchers.push_back(*Matcher::Create(MatchType::kRegexNoMatch, "instance", "b.*"));
  req.min_time_ms = -5000;
  req.max_time_ms = 1700000000000;
  req.max_series = max_series;
  return req;
}

TEST_CASE("rpc storage write delivers the batch bytes intact", "[common][rpc][storage][unit]") {
  StorageFixture f;
  CHECK(f.client->Name() == fmt::format("127.0.0.1:{}", f.server->port()));
  std::string batch;
  for (int i = 0; i < 20000; ++i) {
    batch += fmt::format("series{}", i % 100);
    batch.push_back('\0');  // binary bytes must survive, NULs included
    batch += "sample";
  }
  auto sent_at = std::chrono::steady_clock::now();
  REQUIRE(f.WriteSync(batch).ok());
  REQUIRE(f.WriteSync(std::string("\x00\x01\x02", 3)).ok());
  CHECK(f.client->IsHealthy());
  std::lock_guard<std::mutex> l(f.storage.mu);
  REQUIRE(f.storage.batches.size() == 2);
  CHECK(f.storage.batches[0] == batch);
  CHECK(f.storage.batches[1] == std::string("\x00\x01\x02", 3));
  // The node works under the caller's deadline, not an unbounded one.
  CHECK(f.storage.last_deadline <= sent_at + 11s);
  CHECK(f.storage.last_deadline > sent_at + 5s);
}

TEST_CASE("rpc storage write errors reach the insert side with their code", "[common][rpc][storage][unit]") {
  StorageFixture f;
  absl::Status s = f.WriteSync("reject");
  CHECK(absl::IsInvalidArgument(s));
  CHECK(s.message() == "malformed batch");
}

TEST_CASE("rpc storage search round trips matchers, series and chunk bytes", "[common][rpc][storage][unit]") {
  StorageFixture f;
  auto result = f.SearchSync(MakeSearch(0));
  REQUIRE(result.ok());
  {
    std::lock_guard<std::mutex> l(f.storage.mu);
    const SearchRequest& got = f.storage.last_search;
    CHECK(got.tenant == TenantId{42, 7});
    CHECK(got.min_time_ms == -5000);
    CHECK(got.max_time_ms == 1700000000000);
    REQUIRE(got.matchers.size() == 4);
    CHECK(got.matchers[1].type() == MatchType::kRegexMatch);
    CHECK(got.matchers[1].Matches("api"));
    CHECK_FALSE(got.matchers[1].Matches("apis"));
    CHECK(got.matchers[3].ToString() == "instance!~\"b.*\"");
  }
  CHECK_FALSE(result->truncated);
  REQUIRE(result->series.size() == 2);
  const SeriesChunks& a = result->series[0];
  CHECK(a.labels.ToString() == "up{instance=\"a:9100\", job=\"node\"}");
  REQUIRE(a.chunks.size() == 2);
  CHECK(a.chunks[0].min_time_ms == 1000);
  CHECK(a.chunks[0].max_time_ms == 2000);
  CHECK(a.chunks[0].encoding == ChunkEncoding::kXor);
  REQUIRE(a.chunks[0].data == ChunkBytesWithNaN());
  uint64_t bits = 0;
  std::memcpy(&bits, a.chunks[0].data.data() + 5, sizeof(bits));
  CHECK(bits == kStaleNanBits);
  CHECK(a.chunks[1].data == std::string(3000, '\x5a'));
  CHECK(result->series[1].labels.Get("job") == "api");
  CHECK(result->series[1].chunks.empty());

  auto limited = f.SearchSync(MakeSearch(1));
  REQUIRE(limited.ok());
  CHECK(limited->truncated);
  CHECK(limited->series.size() == 1);
}

TEST_CASE("rpc storage search_many answers every request in one call, in request order",
          "[common][rpc][storage][unit]") {
  StorageFixture f;
  auto results = f.SearchManySync({MakeSearch(1), MakeSearch(0), MakeSearch(1)});
  REQUIRE(results.ok());
  REQUIRE(results->size() == 3);
  // The fake truncates to one series exactly when max_series is 1.
  CHECK((*results)[0].truncated);
  CHECK((*results)[0].series.size() == 1);
  CHECK_FALSE((*results)[1].truncated);
  REQUIRE((*results)[1].series.size() == 2);
  CHECK((*results)[1].series[0].chunks[0].data == ChunkBytesWithNaN());
  CHECK((*results)[2].truncated);
  std::lock_guard<std::mutex> l(f.storage.mu);
  CHECK(f.storage.search_many_calls == 1);
}

TEST_CASE("rpc storage search_many to a node without the method falls back to separate searches",
          "[common][rpc][storage][unit]") {
  // A node that predates the method: it serves Search only, and the server
  // answers the unknown method number itself.
  IoPool io{2};
  WorkPool work{2};
  FakeStorage storage;
  std::atomic<int> searches{0};
  RpcServerOptions so;
  so.listen_address = "127.0.0.1:0";
  RpcServer server(io, work, so);
  server.RegisterMethod(kRpcMethodStorageSearch, [&](std::string&& body, RpcReply reply) {
    ++searches;
    auto request = DecodeSearchRequest(body);
    REQUIRE(request.ok());
    storage.Search(RequestContext{reply.deadline()}, std::move(*request),
                   [reply = std::move(reply)](absl::StatusOr<SearchResult> r) mutable {
                     reply(EncodeSearchResult(*r));
                   });
  });
  REQUIRE(server.Start().ok());
  RpcClientOptions co;
  co.address = fmt::format("127.0.0.1:{}", server.port());
  RpcStorageClient client(io, co);
  for (int round = 0; round < 2; ++round) {
    std::promise<absl::StatusOr<std::vector<SearchResult>>> p;
    client.SearchMany(RequestContext::WithTimeout(10s), {MakeSearch(0), MakeSearch(1)},
                      [&p](absl::StatusOr<std::vector<SearchResult>> r) { p.set_value(std::move(r)); });
    auto results = p.get_future().get();
    REQUIRE(results.ok());
    REQUIRE(results->size() == 2);
    CHECK((*results)[0].series.size() == 2);
    CHECK((*results)[1].truncated);
  }
  CHECK(searches == 4);
  server.Stop();
  std::this_thread::sleep_for(50ms);
}

TEST_CASE("rpc storage search_many fails whole when one request is bad", "[common][rpc][storage][unit]") {
  StorageFixture f;
  rpc::SearchManyRequest pb;
  pb.add_requests();
  rpc::MatcherProto* m = pb.add_requests()->add_matchers();
  m->set_type(static_cast<uint32_t>(MatchType::kRegexMatch));
  m->set_name("job");
  m->set_value("(unclosed");
  RpcClientOptions co;
  co.address = fmt::format("127.0.0.1:{}", f.server->port());
  RpcClient raw(f.io, co);
  std::promise<absl::StatusOr<std::string>> p;
  raw.Call(kRpcMethodStorageSearchMany, pb.SerializeAsString(), std::chrono::steady_clock::now() + 10s,
           [&p](absl::StatusOr<std::string> r) { p.set_value(std::move(r)); });
  CHECK(absl::IsInvalidArgument(p.get_future().get().status()));
  CHECK(absl::IsDataLoss(DecodeSearchManyResult(EncodeSearchManyResult({SearchResult{}}), 2).status()));
}

TEST_CASE("rpc storage search refuses a matcher that does not compile", "[common][rpc][storage][unit]") {
  StorageFixture f;
  rpc::SearchRequest pb;
  rpc::MatcherProto* m = pb.add_matchers();
  m->set_type(static_cast<uint32_t>(MatchType::kRegexMatch));
  m->set_name("job");
  m->set_value("(unclosed");
  RpcClientOptions co;
  co.address = fmt::format("127.0.0.1:{}", f.server->port());
  RpcClient raw(f.io, co);
  std::promise<absl::StatusOr<std::string>> p;
  raw.Call(kRpcMethodStorageSearch, pb.SerializeAsString(), std::chrono::steady_clock::now() + 10s,
           [&p](absl::StatusOr<std::string> r) { p.set_value(std::move(r)); });
  auto r = p.get_future().get();
  CHECK(absl::IsInvalidArgument(r.status()));

  std::promise<absl::StatusOr<std::string>> p2;
  raw.Call(kRpcMethodStorageSearch, "\xff\xff not protobuf", std::chrono::steady_clock::now() + 10s,
           [&p2](absl::StatusOr<std::string> r) { p2.set_value(std::move(r)); });
  CHECK(absl::IsInvalidArgument(p2.get_future().get().status()));
}

TEST_CASE("rpc storage delete_series carries tenant and matchers and returns the count",
          "[common][rpc][storage][unit]") {
  StorageFixture f;
  auto sent_at = std::chrono::steady_clock::now();
  auto deleted = f.DeleteSync(TenantId{42, 7}, MakeSearch(0).matchers);
  REQUIRE(deleted.ok());
  CHECK(*deleted == 1004);
  std::lock_guard<std::mutex> l(f.storage.mu);
  CHECK(f.storage.last_delete_tenant == TenantId{42, 7});
  REQUIRE(f.storage.last_delete_matchers.size() == 4);
  CHECK(f.storage.last_delete_matchers[0].ToString() == "__name__=\"up\"");
  CHECK(f.storage.last_delete_matchers[1].Matches("api"));
  CHECK_FALSE(f.storage.last_delete_matchers[1].Matches("apis"));
  CHECK(f.storage.last_delete_matchers[3].ToString() == "instance!~\"b.*\"");
  // The node deletes under the caller's deadline.
  CHECK(f.storage.last_deadline <= sent_at + 11s);
  CHECK(f.storage.last_deadline > sent_at + 5s);
}

TEST_CASE("rpc storage delete_series errors keep their code, and an empty delete is refused",
          "[common][rpc][storage][unit]") {
  StorageFixture f;
  auto not_persistent = f.DeleteSync(TenantId{13, 0}, MakeSearch(0).matchers);
  CHECK(absl::IsFailedPrecondition(not_persistent.status()));
  CHECK(not_persistent.status().message() == "cannot delete series: the engine is not persistent");

  // A request without matchers would mean "everything": the server refuses
  // it before the storage sees it.
  auto empty = f.DeleteSync(TenantId{1, 0}, {});
  CHECK(absl::IsInvalidArgument(empty.status()));
  std::lock_guard<std::mutex> l(f.storage.mu);
  CHECK(f.storage.last_delete_tenant == TenantId{13, 0});
}

TEST_CASE("rpc storage delete_series against a StorageApi without delete answers Unimplemented",
          "[common][rpc][storage][unit]") {
  // A StorageApi that inherits the default DeleteSeries.
  class NoDelete : public StorageApi {
   public:
    void Write(const RequestContext&, std::shared_ptr<const std::string>, WriteCallback done) override {
      done(absl::OkStatus());
    }
    void Search(const RequestContext&, SearchRequest, SearchCallback done) override { done(SearchResult{}); }
    std::string Name() const override { return "no-delete"; }
  };
  IoPool io{1};
  WorkPool work{1};
  NoDelete storage;
  StorageRpcService service(storage);
  RpcServerOptions so;
  so.listen_address = "127.0.0.1:0";
  RpcServer server(io, work, so);
  service.RegisterOn(server);
  REQUIRE(server.Start().ok());
  RpcClientOptions co;
  co.address = fmt::format("127.0.0.1:{}", server.port());
  RpcStorageClient client(io, co);
  std::promise<absl::StatusOr<uint64_t>> p;
  client.DeleteSeries(RequestContext::WithTimeout(10s), TenantId{}, MakeSearch(0).matchers,
                      [&p](absl::StatusOr<uint64_t> r) { p.set_value(std::move(r)); });
  auto r = p.get_future().get();
  CHECK(absl::IsUnimplemented(r.status()));
  CHECK(r.status().message() == "storage node no-delete does not support delete_series");
}

TEST_CASE("rpc storage client reports Unavailable and unhealthy when the node is down",
          "[common][rpc][storage][unit]") {
  StorageFixture f;
  REQUIRE(f.WriteSync("one").ok());
  f.server->Stop();
  auto deadline = std::chrono::steady_clock::now() + 10s;
  while (f.client->IsHealthy() && std::chrono::steady_clock::now() < deadline) std::this_thread::sleep_for(5ms);
  CHECK_FALSE(f.client->IsHealthy());
  CHECK(absl::IsUnavailable(f.WriteSync("two")));
  CHECK(absl::IsUnavailable(f.SearchSync(MakeSearch(0)).status()));
  CHECK(absl::IsUnavailable(f.DeleteSync(TenantId{}, MakeSearch(0).matchers).status()));
}

TEST_CASE("storage wire format round trips search requests and results", "[common][rpc][storage][unit]") {
  auto req = DecodeSearchRequest(EncodeSearchRequest(MakeSearch(5)));
  REQUIRE(req.ok());
  CHECK(req->tenant == TenantId{42, 7});
  CHECK(req->max_series == 5);
  REQUIRE(req->matchers.size() == 4);
  CHECK(req->matchers[0].ToString() == "__name__=\"up\"");
  CHECK(absl::IsDataLoss(DecodeSearchResult("\xff\xff\xff").status()));
  rpc::SearchResponse bad;
  bad.add_series()->add_chunks()->set_encoding(99);
  CHECK(absl::IsInvalidArgument(DecodeSearchResult(bad.SerializeAsString()).status()));
}

TEST_CASE("storage wire format round trips delete_series requests and responses", "[common][rpc][storage][unit]") {
  auto req = DecodeDeleteSeriesRequest(EncodeDeleteSeriesRequest(TenantId{3, 4}, MakeSearch(0).matchers));
  REQUIRE(req.ok());
  CHECK(req->tenant == TenantId{3, 4});
  REQUIRE(req->matchers.size() == 4);
  CHECK(req->matchers[2].ToString() == "env!=\"\"");
  CHECK(absl::IsInvalidArgument(DecodeDeleteSeriesRequest(EncodeDeleteSeriesRequest(TenantId{}, {})).status()));
  CHECK(absl::IsInvalidArgument(DecodeDeleteSeriesRequest("\xff\xff not protobuf").status()));
  auto n = DecodeDeleteSeriesResponse(EncodeDeleteSeriesResponse(123456789012ull));
  REQUIRE(n.ok());
  CHECK(*n == 123456789012ull);
  CHECK(absl::IsDataLoss(DecodeDeleteSeriesResponse("\xff\xff\xff").status()));
}

}  // namespace
}  // namespace strata
