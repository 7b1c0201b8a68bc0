// File: common/rpc/storage_rpc_service.h
//
// Serves a StorageApi over an RpcServer: the storage node's side of
// RpcStorageClient. The storage node runs two RpcServers (insert port 8400,
// select port 8401), each with a StorageRpcService over the same
// in-process StorageApi.
#pragma once

#include "common/rpc/rpc_server.h"
#include "common/rpc/storage_api.h"

namespace strata {

// Registers the storage methods (kRpcMethodStorageWrite,
// kRpcMethodStorageSearch, kRpcMethodStorageDeleteSeries,
// kRpcMethodStorageLabelNames, kRpcMethodStorageLabelValues,
// kRpcMethodStorageSeriesLabels) on a server.
// Handlers decode the request on the WorkPool and call the StorageApi with
// the caller's deadline; a request that does not decode is answered
// InvalidArgument.
//
// Stateless after registration; thread-safe. The StorageApi must outlive the
// server's Stop().
class StorageRpcService {
 public:
  explicit StorageRpcService(StorageApi& storage) : storage_(storage) {}

  // REQUIRES: before server.Start().
  void RegisterOn(RpcServer& server);

 private:
  void HandleWrite(std::string&& body, RpcReply reply);
  void HandleSearch(std::string&& body, RpcReply reply);
  void HandleSearchMany(std::string&& body, RpcReply reply);
  void HandleDeleteSeries(std::string&& body, RpcReply reply);
  // kRpcMethodStorageLabelNames / LabelValues / SeriesLabels.
  void HandleLabels(uint32_t method, std::string&& body, RpcReply reply);

  StorageApi& storage_;
};

}  // namespace strata
