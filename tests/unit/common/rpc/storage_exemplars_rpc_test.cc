// The metadata and exemplar methods of the storage RPC (WriteMetadata,
// Metadata, QueryExemplars): their wire codec and a round trip through
// RpcServer / RpcStorageClient.
#include <bit>
#include <catch2/catch.hpp>
#include <chrono>
#include <future>
#include <mutex>

#include "common/model/sample.h"
#include "common/rpc/rpc_protocol.h"
#include "common/rpc/rpc_server.h"
#include "common/rpc/storage_client.h"
#include "common/rpc/storage_rpc_service.h"
#include "common/rpc/storage_wire.h"
#include "fmt/format.h"

namespace strata {
namespace {

using namespace std::chrono_literals;

ExemplarsRequest MakeExemplarsRequest() {
  ExemplarsRequest r;
  r.tenant = TenantId{5, 6};
  r.selectors.push_back({*Matcher::Create(MatchType::kEqual, "__name__", "req"),
                         *Matcher::Create(MatchType::kRegexMatch, "path", "/a|/b")});
  r.selectors.push_back({*Matcher::Create(MatchType::kNotEqual, "job", "")});
  r.min_time_ms = 1'700'000'000'000;
  r.max_time_ms = 1'700'000'600'000;
  return r;
}

ExemplarsResult MakeExemplarsResult() {
  ExemplarsResult r;
  SeriesExemplars s;
  s.series = Labels::FromUnsorted({{"__name__", "req"}, {"path", "/a"}});
  s.exemplars.push_back(Exemplar{Labels::FromUnsorted({{"trace_id", "abc"}}), 0.25, 1'700'000'000'001});
  s.exemplars.push_back(Exemplar{Labels::FromUnsorted({{"trace_id", "def"}, {"span", "1"}}), StaleNaN(), 5});
  r.series.push_back(std::move(s));
  return r;
}

void CheckSameExemplars(const ExemplarsResult& got, const ExemplarsResult& want) {
  REQUIRE(got.series.size() == want.series.size());
  for (size_t i = 0; i < got.series.size(); ++i) {
    CHECK(got.series[i].series == want.series[i].series);
    REQUIRE(got.series[i].exemplars.size() == want.series[i].exemplars.size());
    for (size_t j = 0; j < got.series[i].exemplars.size(); ++j) {
      const Exemplar& a = got.series[i].exemplars[j];
      const Exemplar& b = want.series[i].exemplars[j];
      CHECK(a.labels == b.labels);
      CHECK(a.timestamp_ms == b.timestamp_ms);
      CHECK(std::bit_cast<uint64_t>(a.value) == std::bit_cast<uint64_t>(b.value));
    }
  }
}

TEST_CASE("storage wire format round trips metadata and exemplar requests and results",
          "[common][rpc][storage][unit]") {
  std::vector<MetricMetadata> md = {{"http_requests_total", 1, "Requests.", ""}, {"lat", 3, "", "seconds"}};
  auto w = DecodeWriteMetadataRequest(EncodeWriteMetadataRequest(TenantId{1, 2}, md));
  REQUIRE(w.ok());
  CHECK(w->tenant == TenantId{1, 2});
  CHECK(w->metadata == md);
  CHECK(absl::IsInvalidArgument(DecodeWriteMetadataRequest("\xff\xff not protobuf").status()));

  auto mr = DecodeMetadataRequest(EncodeMetadataRequest(MetadataRequest{TenantId{3, 0}, "lat", 7}));
  REQUIRE(mr.ok());
  CHECK(mr->tenant == TenantId{3, 0});
  CHECK(mr->metric == "lat");
  CHECK(mr->limit == 7);
  auto res = DecodeMetadataResult(EncodeMetadataResult(MetadataResult{md}));
  REQUIRE(res.ok());
  CHECK(res->metadata == md);

  const ExemplarsRequest want = MakeExemplarsRequest();
  auto er = DecodeExemplarsRequest(EncodeExemplarsRequest(want));
  REQUIRE(er.ok());
  CHECK(er->tenant == want.tenant);
  CHECK(er->min_time_ms == want.min_time_ms);
  CHECK(er->max_time_ms == want.max_time_ms);
  REQUIRE(er->selectors.size() == 2);
  CHECK(er->selectors[0].size() == 2);
  CHECK(er->selectors[0][1].ToString() == want.selectors[0][1].ToString());
  CHECK(er->selectors[1][0].ToString() == want.selectors[1][0].ToString());
  auto ex = DecodeExemplarsResult(EncodeExemplarsResult(MakeExemplarsResult()));
  REQUIRE(ex.ok());
  CheckSameExemplars(*ex, MakeExemplarsResult());
  CHECK(absl::IsDataLoss(DecodeExemplarsResult("\xff\xff\xff").status()));
}

// Stores metadata and answers exemplar queries from the request's tenant.
class MetaFake : public StorageApi {
 public:
  void Write(const RequestContext&, std::shared_ptr<const std::string>, WriteCallback done) override {
    done(absl::UnimplementedError("write"));
  }
  void Search(const RequestContext&, SearchRequest, SearchCallback done) override {
    done(absl::UnimplementedError("search"));
  }
  void WriteMetadata(const RequestContext&, TenantId tenant, std::vector<MetricMetadata> metadata,
                     WriteCallback done) override {
    std::lock_guard<std::mutex> l(mu);
    stored_tenant = tenant;
    stored = std::move(metadata);
    done(absl::OkStatus());
  }
  void Metadata(const RequestContext&, MetadataRequest request, MetadataCallback done) override {
    std::lock_guard<std::mutex> l(mu);
    if (request.tenant != stored_tenant) return done(MetadataResult{});
    MetadataResult r;
    for (const MetricMetadata& m : stored) {
      if (request.metric.empty() || m.metric_family_name == request.metric) r.metadata.push_back(m);
    }
    done(std::move(r));
  }
  void QueryExemplars(const RequestContext&, ExemplarsRequest request, ExemplarsCallback done) override {
    if (request.selectors.empty()) return done(absl::InvalidArgumentError("no selectors"));
    done(MakeExemplarsResult());
  }
  std::string Name() const override { return "fake"; }

  std::mutex mu;
  TenantId stored_tenant;
  std::vector<MetricMetadata> stored;
};

TEST_CASE("rpc storage metadata and exemplar calls carry the request and the answer",
          "[common][rpc][storage][unit]") {
  IoPool io{2};
  WorkPool work{2};
  MetaFake storage;
  StorageRpcService service{storage};
  RpcServerOptions so;
  so.listen_address = "127.0.0.1:0";
  auto server = std::make_unique<RpcServer>(io, work, so);
  service.RegisterOn(*server);
  REQUIRE(server->Start().ok());
  RpcClientOptions co;
  co.address = fmt::format("127.0.0.1:{}", server->port());
  auto client = std::make_unique<RpcStorageClient>(io, co);

  std::vector<MetricMetadata> md = {{"a_total", 1, "A.", ""}, {"b", 2, "B.", "bytes"}};
  std::promise<absl::Status> written;
  client->WriteMetadata(RequestContext::WithTimeout(10s), TenantId{1, 1}, md,
                        [&](absl::Status st) { written.set_value(st); });
  REQUIRE(written.get_future().get().ok());

  std::promise<absl::StatusOr<MetadataResult>> read;
  client->Metadata(RequestContext::WithTimeout(10s), MetadataRequest{TenantId{1, 1}, "b", 0},
                   [&](absl::StatusOr<MetadataResult> r) { read.set_value(std::move(r)); });
  auto got = read.get_future().get();
  REQUIRE(got.ok());
  REQUIRE(got->metadata.size() == 1);
  CHECK(got->metadata[0] == md[1]);

  std::promise<absl::StatusOr<ExemplarsResult>> ex;
  client->QueryExemplars(RequestContext::WithTimeout(10s), MakeExemplarsRequest(),
                         [&](absl::StatusOr<ExemplarsResult> r) { ex.set_value(std::move(r)); });
  auto exemplars = ex.get_future().get();
  REQUIRE(exemplars.ok());
  CheckSameExemplars(*exemplars, MakeExemplarsResult());

  // A node error comes back with its code.
  std::promise<absl::StatusOr<ExemplarsResult>> bad;
  client->QueryExemplars(RequestContext::WithTimeout(10s), ExemplarsRequest{},
                         [&](absl::StatusOr<ExemplarsResult> r) { bad.set_value(std::move(r)); });
  CHECK(absl::IsInvalidArgument(bad.get_future().get().status()));
  client.reset();
  server.reset();
}

}  // namespace
}  // namespace strata
