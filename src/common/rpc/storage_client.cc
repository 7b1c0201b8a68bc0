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

std::string RpcStorageClient::Name() const { return client_.address(); }

bool RpcStorageClient::IsHealthy() const { return client_.IsConnected(); }

}  // namespace strata
