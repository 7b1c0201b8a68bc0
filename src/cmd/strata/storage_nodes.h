// File: cmd/strata/storage_nodes.h
//
// The network clients of the storage nodes named by -storageNode, shared by
// `strata insert` and `strata select`.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "common/rpc/health_checked_storage.h"
#include "common/rpc/storage_api.h"

namespace prometheus {
class Registry;
}

namespace strata {

class IoPool;
class FlagSet;

// One RpcStorageClient per address, each wrapped in a HealthCheckedStorage
// (probed with kRpcMethodPing) configured by `health`. Each must outlive its
// users; `io` must outlive the clients.
std::vector<std::unique_ptr<StorageApi>> ConnectStorageNodes(IoPool& io, const std::vector<std::string>& addresses,
                                                             const std::string& node_name,
                                                             prometheus::Registry* registry,
                                                             const NodeHealthOptions& health);

// The -storageNode.* health flags (probe interval and timeout, per-call
// timeout, in-flight cap), shared by `strata insert` and `strata select`.
void RegisterStorageNodeHealthFlags(FlagSet& flags, NodeHealthOptions* options);

std::vector<StorageApi*> RawPointers(const std::vector<std::unique_ptr<StorageApi>>& nodes);

}  // namespace strata
