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
  server.RegisterMethod(kRpcMethodStorageTsdbStatus, [this](std::string&& body, RpcReply reply) {
    HandleTsdbStatus(std::move(body), std::move(reply));
  });
  server.RegisterMethod(kRpcMethodStorageWriteMetadata, [this](std::string&& body, RpcReply reply) {
    HandleWriteMetadata(std::move(body), std::move(reply));
  });
  server.RegisterMethod(kRpcMethodStorageMetadata, [this](std::string&& body, RpcReply reply) {
    HandleMetadata(std::move(body), std::move(reply));
  });
  server.RegisterMethod(kRpcMethodStorageQueryExemplars, [this](std::string&& body, RpcReply reply) {
    HandleQueryExemplars(std::move(body), std::move(reply));
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

void StorageRpcService::HandleTsdbStatus(std::string&& body, RpcReply reply) {
  auto request = DecodeTsdbStatusRequest(body);
  if (!request.ok()) {
    reply(request.status());
    return;
  }
  RequestContext ctx{reply.deadline()};
  storage_.TsdbStatus(ctx, std::move(*request),
                      [reply = std::move(reply)](absl::StatusOr<TsdbStatusResult> result) mutable {
                        if (!result.ok()) {
                          reply(result.status());
                          return;
                        }
                        reply(EncodeTsdbStatusResult(*result));
                      });
}

namespace {

// A callback that answers `reply` with encode(result), or the error.
template <typename Result>
auto ReplyWith(RpcReply reply, std::string (*encode)(const Result&)) {
  return [reply = std::move(reply), encode](absl::StatusOr<Result> result) mutable {
    if (!result.ok()) {
      reply(result.status());
      return;
    }
    reply(encode(*result));
  };
}

}  // namespace

void StorageRpcService::HandleWriteMetadata(std::string&& body, RpcReply reply) {
  auto request = DecodeWriteMetadataRequest(body);
  if (!request.ok()) {
    reply(request.status());
    return;
  }
  RequestContext ctx{reply.deadline()};
  storage_.WriteMetadata(ctx, request->tenant, std::move(request->metadata),
                         [reply = std::move(reply)](absl::Status status) mutable {
                           if (status.ok()) {
                             reply(std::string());
                           } else {
                             reply(std::move(status));
                           }
                         });
}

void StorageRpcService::HandleMetadata(std::string&& body, RpcReply reply) {
  auto request = DecodeMetadataRequest(body);
  if (!request.ok()) {
    reply(request.status());
    return;
  }
  RequestContext ctx{reply.deadline()};
  storage_.Metadata(ctx, std::move(*request), ReplyWith<MetadataResult>(std::move(reply), &EncodeMetadataResult));
}

void StorageRpcService::HandleQueryExemplars(std::string&& body, RpcReply reply) {
  auto request = DecodeExemplarsRequest(body);
  if (!request.ok()) {
    reply(request.status());
    return;
  }
  RequestContext ctx{reply.deadline()};
  storage_.QueryExemplars(ctx, std::move(*request),
                          ReplyWith<ExemplarsResult>(std::move(reply), &EncodeExemplarsResult));
}

}  // namespace strata
