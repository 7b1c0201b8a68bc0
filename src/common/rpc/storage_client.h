// File: common/rpc/storage_client.h
//
// RpcStorageClient: the StorageApi of one remote storage node, over one
// RpcClient connection (common/rpc/rpc_client.h). Used by insert nodes (to
// the storage node's insert port) and select nodes (to its select port).
#pragma once

#include <atomic>
#include <memory>
#include <string>

#include "common/net/io_pool.h"
#include "common/rpc/rpc_client.h"
#include "common/rpc/storage_api.h"

namespace strata {

// Thread-safe. Callbacks run on an IoPool thread (see StorageApi).
// Lifetime: the IoPool must outlive the client.
class RpcStorageClient : public StorageApi {
 public:
  // Connects to options.address in the background.
  RpcStorageClient(IoPool& io, RpcClientOptions options);
  ~RpcStorageClient() override;

  // Sends the batch bytes as method kRpcMethodStorageWrite (compressed when
  // large). Errors as in StorageApi::Write; Unavailable while the node is
  // unreachable.
  void Write(const RequestContext& ctx, std::shared_ptr<const std::string> batch, WriteCallback done) override;
  // Sends a SearchRequest (method kRpcMethodStorageSearch) and decodes the
  // SearchResponse on the network thread.
  void Search(const RequestContext& ctx, SearchRequest request, SearchCallback done) override;
  // Sends every request in one SearchManyRequest (method
  // kRpcMethodStorageSearchMany). A node that predates the method answers
  // Unimplemented; the client then remembers that and sends separate
  // Searches (StorageApi's default), to that node from then on.
  void SearchMany(const RequestContext& ctx, std::vector<SearchRequest> requests, SearchManyCallback done) override;
  // Sends a DeleteSeriesRequest (method kRpcMethodStorageDeleteSeries). A
  // node that predates the method answers Unimplemented.
  void DeleteSeries(const RequestContext& ctx, TenantId tenant, std::vector<Matcher> matchers,
                    DeleteCallback done) override;
  // Send a LabelsRequest (methods kRpcMethodStorageLabelNames,
  // kRpcMethodStorageLabelValues, kRpcMethodStorageSeriesLabels). A node
  // that predates the methods answers Unimplemented.
  void LabelNames(const RequestContext& ctx, LabelsRequest request, LabelsCallback done) override;
  void LabelValues(const RequestContext& ctx, LabelsRequest request, LabelsCallback done) override;
  void SeriesLabels(const RequestContext& ctx, LabelsRequest request, SeriesLabelsCallback done) override;
  // The node's address, e.g. "127.0.0.1:8400".
  std::string Name() const override;
  // True while the RPC connection is up.
  bool IsHealthy() const override;

  RpcClient& rpc_client() { return client_; }

 private:
  // False once the node answered SearchMany with Unimplemented. Declared
  // before client_ so that it outlives the callbacks client_ runs on close.
  std::atomic<bool> search_many_supported_{true};
  RpcClient client_;
};

}  // namespace strata
