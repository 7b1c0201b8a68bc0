// `strata insert`: a stateless insert node. remote_write in, each series
// replicated to -replicationFactor storage nodes over RPC.
//
// Shutdown order: stop the HTTP server (answers in-flight writes), destroy
// the insert service (waits for pending replica writes), close the clients.
#include <prometheus/registry.h>

#include "cmd/strata/insert_flags.h"
#include "cmd/strata/role_runtime.h"
#include "cmd/strata/roles.h"
#include "cmd/strata/storage_nodes.h"
#include "common/base/logging.h"
#include "common/base/status.h"
#include "common/config/flags.h"
#include "common/net/io_pool.h"
#include "common/rpc/rpc_protocol.h"
#include "common/rpc/storage_client.h"
#include "insert/server/insert_service.h"

namespace strata {

std::vector<std::unique_ptr<StorageApi>> ConnectStorageNodes(IoPool& io, const std::vector<std::string>& addresses,
                                                             const std::string& node_name,
                                                             prometheus::Registry* registry,
                                                             const NodeHealthOptions& health,
                                                             const RpcClientTlsFlags& tls) {
  std::vector<std::unique_ptr<StorageApi>> nodes;
  for (const std::string& address : addresses) {
    RpcClientOptions options;
    options.address = address;
    options.node_name = node_name;
    options.metrics = registry;
    options.tls = tls.enabled;
    options.tls_ca_file = tls.ca_file;
    options.tls_insecure_skip_verify = tls.insecure_skip_verify;
    NodeHealthOptions node_health = health;
    node_health.metrics = registry;
    node_health.max_probe_backoff = 2 * health.probe_interval;
    // A restarted node should be back within a couple of probes, not the
    // RPC client's default 5 s backoff ceiling.
    options.max_backoff = std::min(options.max_backoff, node_health.max_probe_backoff);
    auto client = std::make_unique<RpcStorageClient>(io, options);
    RpcClient* rpc = &client->rpc_client();
    HealthCheckedStorage::Probe probe = [rpc](std::chrono::steady_clock::time_point deadline,
                                              absl::AnyInvocable<void(absl::Status)> done) {
      rpc->Call(kRpcMethodPing, std::string(), deadline,
                [done = std::move(done)](absl::StatusOr<std::string> reply) mutable { done(reply.status()); });
    };
    nodes.push_back(std::make_unique<HealthCheckedStorage>(std::move(client), std::move(probe), node_health));
  }
  return nodes;
}

void RegisterStorageNodeHealthFlags(FlagSet& flags, NodeHealthOptions* options) {
  flags.Duration("storageNode.probeInterval", &options->probe_interval,
                 "How often each storage node is probed (an RPC ping); an unhealthy node is probed with backoff "
                 "up to twice this");
  flags.Duration("storageNode.probeTimeout", &options->probe_timeout,
                 "A storage node that does not answer a probe within this time is marked unhealthy: requests stop "
                 "waiting for it (a hung or SIGSTOPped node keeps its TCP connections open)");
  flags.Duration("storageNode.callTimeout", &options->call_timeout,
                 "Longest a single call to one storage node may take (0: the request's own deadline)");
  flags.Int("storageNode.maxInflightCalls", &options->max_inflight_calls,
              "Calls in flight to one storage node beyond which new calls fail at once (0: no limit), so a slow "
              "node cannot pile up requests");
}

void RegisterInsertFlags(FlagSet& flags, insert::InsertServiceOptions* options) {
  flags.Bytes("insert.maxInflightBytes", &options->max_inflight_bytes,
              "Cap on request bytes in flight to storage nodes; beyond it requests get 429");
  flags.Bytes("maxInsertRequestSize", &options->max_request_bytes,
              "Largest accepted request body of every ingest path, as sent and after decompression (gzip, snappy)");
  // Per-series ingest limits (insert/ingest/ingest_limits.h)
  insert::IngestLimitsOptions& limits = options->limits;
  flags.Int("maxLabelsPerTimeseries", &limits.max_labels_per_series,
            "Series with more labels (__name__ included) are rejected, counted and reported in the reply (0 = no limit)");
  flags.Int("maxLabelNameLen", &limits.max_label_name_len,
            "Series with a longer label name (bytes) are rejected, counted and reported (0 = no limit)");
  flags.Int("maxLabelValueLen", &limits.max_label_value_len,
            "Series with a longer label value or metric name (bytes) are rejected, counted and reported (0 = no limit)");
  flags.Int("storage.maxHourlySeries", &limits.max_hourly_series,
            "Most distinct series per tenant per hour; new series beyond it are rejected, counted and reported "
            "(0 = no limit). Enforced per insert node");
  flags.Int("storage.maxDailySeries", &limits.max_daily_series,
            "Most distinct series per tenant per UTC day; new series beyond it are rejected, counted and reported "
            "(0 = no limit). Enforced per insert node");
}

std::vector<StorageApi*> RawPointers(const std::vector<std::unique_ptr<StorageApi>>& nodes) {
  std::vector<StorageApi*> out;
  for (const auto& n : nodes) out.push_back(n.get());
  return out;
}

namespace {

// A write to one node must end well before the sender's own timeout
// (Prometheus: 30 s), so that its replica can still go to another node.
NodeHealthOptions InsertHealthDefaults() {
  NodeHealthOptions o;
  o.call_timeout = std::chrono::seconds(10);
  return o;
}

struct InsertRoleFlags {
  ProcessOptions process;
  std::string http_listen = ":8480";
  std::vector<std::string> storage_nodes;
  int64_t replication_factor = 1;
  insert::InsertServiceOptions insert;
  RpcClientTlsFlags rpc_tls;
  NodeHealthOptions health = InsertHealthDefaults();
};

}  // namespace

int RunInsert(std::span<char* const> args) {
  InsertRoleFlags f;
  FlagSet flags("usage: strata insert -storageNode=host:8400,... [-flag=value ...]\n\nA stateless insert node: "
                "Prometheus remote_write in, replicated to storage nodes.");
  flags.String("httpListenAddr", &f.http_listen, "Address of the HTTP port (remote_write, /metrics)");
  flags.List("storageNode", &f.storage_nodes, "Comma-separated host:port of the storage nodes' insert RPC ports");
  flags.Int("replicationFactor", &f.replication_factor, "Copies of every series, on distinct storage nodes");
  RegisterInsertFlags(flags, &f.insert);
  flags.Duration("insert.writeTimeout", &f.insert.write_timeout, "Deadline of one write towards the storage nodes");
  RegisterRpcClientTlsFlags(flags, &f.rpc_tls);
  RegisterStorageNodeHealthFlags(flags, &f.health);
  if (int rc = ParseRoleFlags(flags, &f.process, args); rc >= 0) return rc;
  if (f.storage_nodes.empty()) {
    STRATA_LOG(Error, "-storageNode is required: the insert RPC addresses of the storage nodes");
    return 2;
  }
  if (f.replication_factor < 1 || static_cast<size_t>(f.replication_factor) > f.storage_nodes.size()) {
    STRATA_LOG(Error, "-replicationFactor={} must be between 1 and the number of storage nodes ({})",
               f.replication_factor, f.storage_nodes.size());
    return 2;
  }
  f.insert.replication_factor = static_cast<size_t>(f.replication_factor);

  RoleRuntime runtime(f.process);
  auto nodes = ConnectStorageNodes(runtime.io(), f.storage_nodes, "insert", runtime.registry().get(), f.health,
                                   f.rpc_tls);
  auto service = std::make_unique<insert::InsertService>(f.insert, RawPointers(nodes), runtime.registry().get());
  service->RegisterRoutes(runtime.mux());
  if (!runtime.StartHttp(f.http_listen, f.insert.max_request_bytes)) return 1;
  STRATA_LOG(Info, "insert node ready: http :{}, {} storage nodes, replicationFactor={}", runtime.http_port(),
             nodes.size(), f.replication_factor);

  WaitForTerminationSignal();
  runtime.StopHttp();
  service.reset();  // waits for pending replica writes
  nodes.clear();
  STRATA_LOG(Info, "insert node stopped");
  return 0;
}

}  // namespace strata
