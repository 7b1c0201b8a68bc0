// `strata insert`: a stateless insert node. remote_write in, each series
// replicated to -replicationFactor storage nodes over RPC.
//
// Shutdown order: stop the HTTP server (answers in-flight writes), destroy
// the insert service (waits for pending replica writes), close the clients.
#include <prometheus/registry.h>

#include "cmd/strata/roles.h"
#include "cmd/strata/storage_nodes.h"
#include "common/base/logging.h"
#include "common/base/status.h"
#include "common/config/flags.h"
#include "common/metrics/metrics_routes.h"
#include "common/net/http_server.h"
#include "common/net/io_pool.h"
#include "common/rpc/storage_client.h"
#include "insert/server/insert_service.h"

namespace strata {

std::vector<std::unique_ptr<StorageApi>> ConnectStorageNodes(IoPool& io, const std::vector<std::string>& addresses,
                                                             const std::string& node_name,
                                                             prometheus::Registry* registry) {
  std::vector<std::unique_ptr<StorageApi>> nodes;
  for (const std::string& address : addresses) {
    RpcClientOptions options;
    options.address = address;
    options.node_name = node_name;
    options.metrics = registry;
    nodes.push_back(std::make_unique<RpcStorageClient>(io, options));
  }
  return nodes;
}

std::vector<StorageApi*> RawPointers(const std::vector<std::unique_ptr<StorageApi>>& nodes) {
  std::vector<StorageApi*> out;
  for (const auto& n : nodes) out.push_back(n.get());
  return out;
}

namespace {

struct InsertRoleFlags {
  ProcessOptions process;
  std::string http_listen = ":8480";
  std::vector<std::string> storage_nodes;
  int64_t replication_factor = 1;
  int64_t max_inflight_bytes = int64_t{256} << 20;
  int64_t max_request_bytes = int64_t{32} << 20;
  std::chrono::milliseconds write_timeout{30'000};
};

}  // namespace

int RunInsert(std::span<char* const> args) {
  InsertRoleFlags f;
  FlagSet flags("usage: strata insert -storageNode=host:8400,... [-flag=value ...]\n\nA stateless insert node: "
                "Prometheus remote_write in, replicated to storage nodes.");
  RegisterProcessFlags(flags, &f.process);
  flags.String("httpListenAddr", &f.http_listen, "Address of the HTTP port (remote_write, /metrics)");
  flags.List("storageNode", &f.storage_nodes, "Comma-separated host:port of the storage nodes' insert RPC ports");
  flags.Int("replicationFactor", &f.replication_factor, "Copies of every series, on distinct storage nodes");
  flags.Bytes("insert.maxInflightBytes", &f.max_inflight_bytes,
              "Cap on request bytes in flight to storage nodes; beyond it requests get 429");
  flags.Bytes("maxInsertRequestSize", &f.max_request_bytes, "Largest accepted remote_write body, uncompressed");
  flags.Duration("insert.writeTimeout", &f.write_timeout, "Deadline of one write towards the storage nodes");
  if (int rc = ParseFlagsOrExit(flags, args); rc >= 0) return rc;
  if (absl::Status st = ApplyProcessOptions(f.process); !st.ok()) {
    STRATA_LOG(Error, "{}", ToStd(st.message()));
    return 2;
  }
  if (f.storage_nodes.empty()) {
    STRATA_LOG(Error, "-storageNode is required: the insert RPC addresses of the storage nodes");
    return 2;
  }
  if (f.replication_factor < 1 || static_cast<size_t>(f.replication_factor) > f.storage_nodes.size()) {
    STRATA_LOG(Error, "-replicationFactor={} must be between 1 and the number of storage nodes ({})",
               f.replication_factor, f.storage_nodes.size());
    return 2;
  }
  BlockTerminationSignals();

  auto registry = std::make_shared<prometheus::Registry>();
  IoPool io(static_cast<int>(f.process.io_threads));
  WorkPool work(static_cast<int>(f.process.work_threads));
  auto nodes = ConnectStorageNodes(io, f.storage_nodes, "insert", registry.get());
  insert::InsertServiceOptions options;
  options.replication_factor = static_cast<size_t>(f.replication_factor);
  options.max_inflight_bytes = f.max_inflight_bytes;
  options.max_request_bytes = static_cast<size_t>(f.max_request_bytes);
  options.write_timeout = f.write_timeout;
  auto service = std::make_unique<insert::InsertService>(options, RawPointers(nodes), registry.get());

  HttpMux mux;
  service->RegisterRoutes(mux);
  RegisterStandardRoutes(mux, registry, [] { return true; });
  HttpServerOptions http_options;
  http_options.listen_address = f.http_listen;
  http_options.metrics = registry.get();
  http_options.max_body_bytes = static_cast<size_t>(f.max_request_bytes);
  HttpServer http(io, work, http_options, mux);
  if (absl::Status st = http.Start(); !st.ok()) {
    STRATA_LOG(Error, "cannot start HTTP server on {}: {}", f.http_listen, ToStd(st.message()));
    return 1;
  }
  STRATA_LOG(Info, "insert node ready: http :{}, {} storage nodes, replicationFactor={}", http.port(),
             nodes.size(), f.replication_factor);

  WaitForTerminationSignal();
  http.Stop();
  service.reset();
  nodes.clear();
  io.Stop();
  STRATA_LOG(Info, "insert node stopped");
  return 0;
}

}  // namespace strata
