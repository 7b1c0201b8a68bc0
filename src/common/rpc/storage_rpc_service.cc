#include "common/rpc/storage_rpc_service.h"

#include <memory>

#include "common/rpc/rpc_protocol.h"
#include "common/rpc/storage_wire.h"

namespace strata {

void StorageRpcService::RegisterOn(RpcServer& server) {
  server.RegisterMethod(kRpcMethodStorageWrite,
                        [this](std::string&& body, RpcReply reply) { HandleWrite(std::move(body), std::move(reply)); });
  server.RegisterMethod(kRpcMethodStorageSearch, [this](std::string&& body, RpcReply reply) {
    HandleSearch(std::move(body), std::move(reply));
  });
  server.RegisterMethod(kRpcMethodStorageSearchMany, [this](std::string&& body, RpcReply reply) {
    HandleSearchMany(std::move(body), std::move(reply));
  });
  server.RegisterMethod(kRpcMethodStorageDeleteSeries, [this](std::string&& body, RpcReply reply) {
    HandleDeleteSeries(std::move(body), std::move(reply));
  });
  for (uint32_t method : {kRpcMethodStorageLabelNames, kRpcMethodStorageLabelValues, kRpcMethodStorageSeriesLabels}) {
    server.RegisterMethod(method, [this, method](std::string&& body, RpcReply reply) {
      HandleLabels(method, std::move(body), std::move(reply));
    });
  }
}

void StorageRpcService::HandleWrite(std::string&& body, RpcReply reply) {
  RequestContext ctx{reply.deadline()};
  auto batch = std::make_shared<const std::string>(std::move(body));
  // AnyInvocable callbacks are move-only, and so is RpcReply.
  storage_.Write(ctx, std::move(batch), [reply = std::move(reply)](absl::Status status) mutable {
    if (status.ok()) {
      reply(std::string());
    } else {
      reply(std::move(status));
    }
  });
}

void StorageRpcService::HandleSearch(std::string&& body, RpcReply reply) {
  auto request = DecodeSearchRequest(body);
  if (!request.ok()) {
    reply(request.status());
    return;
  }
  RequestContext ctx{reply.deadline()};
  storage_.Search(ctx, std::move(*request), [reply = std::move(reply)](absl::StatusOr<SearchResult> result) mutable {
    if (!result.ok()) {
      reply(result.status());
      return;
    }
    reply(EncodeSearchResult(*result));
  });
}

void StorageRpcService::HandleSearchMany(std::string&& body, RpcReply reply) {
  auto requests = DecodeSearchManyRequest(body);
  if (!requests.ok()) {
    reply(requests.status());
    return;
  }
  RequestContext ctx{reply.deadline()};
  storage_.SearchMany(ctx, std::move(*requests),
                      [reply = std::move(reply)](absl::StatusOr<std::vector<SearchResult>> results) mutable {
                        if (!results.ok()) {
                          reply(results.status());
                          return;
                        }
                        reply(EncodeSearchManyResult(*results));
                      });
}

void StorageRpcService::HandleDeleteSeries(std::string&& body, RpcReply reply) {
  auto request = DecodeDeleteSeriesRequest(body);
  if (!request.ok()) {
    reply(request.status());
    return;
  }
  RequestContext ctx{reply.deadline()};
  storage_.DeleteSeries(ctx, request->tenant, std::move(request->matchers),
                        [reply = std::move(reply)](absl::StatusOr<uint64_t> deleted) mutable {
                          if (!deleted.ok()) {
                            reply(deleted.status());
                            return;
                          }
                          reply(EncodeDeleteSeriesResponse(*deleted));
                        });
}

void StorageRpcService::HandleLabels(uint32_t method, std::string&& body, RpcReply reply) {
  auto request = DecodeLabelsRequest(body);
  if (!request.ok()) {
    reply(request.status());
    return;
  }
  RequestContext ctx{reply.deadline()};
  if (method == kRpcMethodStorageSeriesLabels) {
    storage_.SeriesLabels(ctx, std::move(*request),
                          [reply = std::move(reply)](absl::StatusOr<SeriesLabelsResult> result) mutable {
                            if (!result.ok()) {
                              reply(result.status());
                              return;
                            }
                            reply(EncodeSeriesLabelsResult(*result));
                          });
    return;
  }
  auto done = [reply = std::move(reply)](absl::StatusOr<LabelsResult> result) mutable {
    if (!result.ok()) {
      reply(result.status());
      return;
    }
    reply(EncodeLabelsResult(*result));
  };
  if (method == kRpcMethodStorageLabelNames) {
    storage_.LabelNames(ctx, std::move(*request), std::move(done));
  } else {
    storage_.LabelValues(ctx, std::move(*request), std::move(done));
  }
}

}  // namespace strata
