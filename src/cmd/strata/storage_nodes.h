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

class FlagSet;
class IoPool;

// TLS towards the storage nodes' RPC ports (-rpc.tls, -rpc.tlsCAFile,
// -rpc.tlsInsecureSkipVerify), for `strata insert` and `strata select`.
struct RpcClientTlsFlags {
  bool enabled = false;
  std::string ca_file;
  bool insecure_skip_verify = false;
};
void RegisterRpcClientTlsFlags(FlagSet& flags, RpcClientTlsFlags* tls);

// The storage node's side (-rpc.tls, -rpc.tlsCertFile, -rpc.tlsKeyFile).
struct RpcServerTlsFlags {
  bool enabled = false;
  std::string cert_file;
  std::string key_file;
};
void RegisterRpcServerTlsFlags(FlagSet& flags, RpcServerTlsFlags* tls);

// One RpcStorageClient per address (over TLS when `tls.enabled`), each
// wrapped in a HealthCheckedStorage (probed with kRpcMethodPing) configured
// by `health`. Each must outlive its users; `io` must outlive the clients.
std::vector<std::unique_ptr<StorageApi>> ConnectStorageNodes(IoPool& io, const std::vector<std::string>& addresses,
                                                             const std::string& node_name,
                                                             prometheus::Registry* registry,
                                                             const NodeHealthOptions& health,
                                                             const RpcClientTlsFlags& tls);

// The -storageNode.* health flags (probe interval and timeout, per-call
// timeout, in-flight cap), shared by `strata insert` and `strata select`.
void RegisterStorageNodeHealthFlags(FlagSet& flags, NodeHealthOptions* options);

std::vector<StorageApi*> RawPointers(const std::vector<std::unique_ptr<StorageApi>>& nodes);

}  // namespace strata
