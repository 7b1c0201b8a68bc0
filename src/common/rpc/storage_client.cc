#include "common/rpc/storage_client.h"

#include "common/rpc/rpc_protocol.h"
#include "common/rpc/storage_wire.h"

namespace strata {

RpcStorageClient::RpcStorageClient(IoPool& io, RpcClientOptions options) : client_(io, std::move(options)) {}

RpcStorageClient::~RpcStorageClient() = default;

void RpcStorageClient::Write(const RequestContext& ctx, std::shared_ptr<const std::string> batch,
                             WriteCallback done) {
  client_.Call(kRpcMethodStorageWrite, std::move(batch), ctx.deadline,
               [done = std::move(done)](absl::StatusOr<std::string> reply) mutable { done(reply.status()); });
}

void RpcStorageClient::Search(const RequestContext& ctx, SearchRequest request, SearchCallback done) {
  client_.Call(kRpcMethodStorageSearch, EncodeSearchRequest(request), ctx.deadline,
               [done = std::move(done)](absl::StatusOr<std::string> reply) mutable {
                 if (!reply.ok()) {
                   done(reply.status());
                   return;
                 }
                 done(DecodeSearchResult(*reply));
               });
}

void RpcStorageClient::SearchMany(const RequestContext& ctx, std::vector<SearchRequest> requests,
                                  SearchManyCallback done) {
  if (!search_many_supported_.load(std::memory_order_relaxed)) {
    StorageApi::SearchMany(ctx, std::move(requests), std::move(done));
    return;
  }
  std::string body = EncodeSearchManyRequest(requests);
  const size_t expected = requests.size();
  client_.Call(kRpcMethodStorageSearchMany, std::move(body), ctx.deadline,
               [this, ctx, expected, requests = std::move(requests),
                done = std::move(done)](absl::StatusOr<std::string> reply) mutable {
                 if (!reply.ok() && reply.status().code() == absl::StatusCode::kUnimplemented) {
                   search_many_supported_.store(false, std::memory_order_relaxed);
                   StorageApi::SearchMany(ctx, std::move(requests), std::move(done));
                   return;
                 }
                 if (!reply.ok()) {
                   done(reply.status());
                   return;
                 }
                 done(DecodeSearchManyResult(*reply, expected));
               });
}

void RpcStorageClient::DeleteSeries(const RequestContext& ctx, TenantId tenant, std::vector<Matcher> matchers,
                                    DeleteCallback done) {
  client_.Call(kRpcMethodStorageDeleteSeries, EncodeDeleteSeriesRequest(tenant, matchers), ctx.deadline,
               [done = std::move(done)](absl::StatusOr<std::string> reply) mutable {
                 if (!reply.ok()) {
                   done(reply.status());
                   return;
                 }
                 done(DecodeDeleteSeriesResponse(*reply));
               });
}

namespace {

// Calls `method` with the encoded request and decodes the reply with `decode`.
template <typename Result, typename Callback>
void CallAndDecode(RpcClient& client, uint32_t method, const RequestContext& ctx, const LabelsRequest& request,
                   absl::StatusOr<Result> (*decode)(std::string_view), Callback done) {
  client.Call(method, EncodeLabelsRequest(request), ctx.deadline,
              [decode, done = std::move(done)](absl::StatusOr<std::string> reply) mutable {
                if (!reply.ok()) {
                  done(reply.status());
                  return;
                }
                done(decode(*reply));
              });
}

}  // namespace

void RpcStorageClient::LabelNames(const RequestContext& ctx, LabelsRequest request, LabelsCallback done) {
  CallAndDecode<LabelsResult>(client_, kRpcMethodStorageLabelNames, ctx, request, &DecodeLabelsResult,
                              std::move(done));
}

void RpcStorageClient::LabelValues(const RequestContext& ctx, LabelsRequest request, LabelsCallback done) {
  CallAndDecode<LabelsResult>(client_, kRpcMethodStorageLabelValues, ctx, request, &DecodeLabelsResult,
                              std::move(done));
}

void RpcStorageClient::SeriesLabels(const RequestContext& ctx, LabelsRequest request, SeriesLabelsCallback done) {
  CallAndDecode<SeriesLabelsResult>(client_, kRpcMethodStorageSeriesLabels, ctx, request,
                                    &DecodeSeriesLabelsResult, std::move(done));
}

std::string RpcStorageClient::Name() const { return client_.address(); }

bool RpcStorageClient::IsHealthy() const { return client_.IsConnected(); }

}  // namespace strata
