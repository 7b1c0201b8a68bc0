// `strata select`: a stateless select node. The Prometheus query API over
// every storage node, replicas merged and de-duplicated.
#include "cmd/strata/role_runtime.h"
#include "cmd/strata/roles.h"
#include "cmd/strata/select_flags.h"
#include "cmd/strata/storage_nodes.h"
#include "common/base/logging.h"
#include "common/base/status.h"
#include "common/config/flags.h"
#include "select/server/select_service.h"

namespace strata {

void RegisterSelectFlags(FlagSet& flags, select::SelectServiceOptions* options) {
  flags.Duration("search.lookbackDelta", &options->lookback,
                 "How far back a query looks for the latest sample of a series (Prometheus -query.lookback-delta)");
  flags.Duration("search.maxQueryDuration", &options->query_timeout,
                 "Longest a query may run; the `timeout` parameter can only lower it");
  flags.Int("search.maxPointsPerTimeseries", &options->max_points_per_series,
            "Most points per series a range query may return");
  flags.Int("search.maxSamplesPerQuery", &options->max_samples, "Most samples a query may load");
  flags.Int("search.maxSeries", &options->max_series,
             "Most series a query may load over all its selectors, and most series /api/v1/series may return "
             "(0: no limit); beyond it the request fails with 422");
  flags.Int("search.maxConcurrentRequests", &options->max_concurrent_queries,
            "Most queries evaluated at once (0: no limit); others wait for -search.maxQueueDuration");
  flags.Duration("search.maxQueueDuration", &options->max_queue_duration,
                 "How long a query waits for one of -search.maxConcurrentRequests before it gets 503");
  flags.Bool("search.enableExperimentalFunctions", &options->experimental_functions,
             "Accept the PromQL functions Prometheus gates behind promql-experimental-functions (limitk, "
             "sort_by_label, mad_over_time, ...)");
  flags.String("vmalert.proxyURL", &options->vmalert_proxy_url,
               "vmalert's base URL (http://host:8880): /api/v1/rules and /api/v1/alerts are proxied to it; "
               "empty answers empty lists");
  flags.Bool("search.delayedNameRemoval", &options->delayed_name_removal,
             "Keep __name__ on intermediate results until the end of the query (Prometheus 3's "
             "promql-delayed-name-removal)");
  // Partial answers and HA de-duplication.
  flags.Bool("search.denyPartialResponse", &options->deny_partial_response,
             "Answer 503 instead of a result marked isPartial when so many storage nodes failed (replicationFactor "
             "or more) that data may be missing");
  flags.Duration("dedup.minScrapeInterval", &options->dedup_min_scrape_interval,
                 "Keep one sample per series per interval of this length, the latest (for HA Prometheus pairs "
                 "writing the same series; set it to their scrape interval); 0 disables");
}

namespace {

struct SelectRoleFlags {
  ProcessOptions process;
  std::string http_listen = ":8481";
  std::vector<std::string> storage_nodes;
  int64_t replication_factor = 1;
  select::SelectServiceOptions service;
  RpcClientTlsFlags rpc_tls;
  NodeHealthOptions health;
};

}  // namespace

int RunSelect(std::span<char* const> args) {
  SelectRoleFlags f;
  FlagSet flags("usage: strata select -storageNode=host:8401,... [-flag=value ...]\n\nA stateless select node: the "
                "Prometheus query API over every storage node.");
  flags.String("httpListenAddr", &f.http_listen, "Address of the HTTP port (query API, /metrics)");
  flags.List("storageNode", &f.storage_nodes, "Comma-separated host:port of the storage nodes' select RPC ports");
  flags.Int("replicationFactor", &f.replication_factor,
            "Copies of every series the insert nodes write; up to replicationFactor-1 unreachable storage nodes "
            "still give complete answers");
  RegisterSelectFlags(flags, &f.service);
  RegisterRpcClientTlsFlags(flags, &f.rpc_tls);
  RegisterStorageNodeHealthFlags(flags, &f.health);
  if (int rc = ParseRoleFlags(flags, &f.process, args); rc >= 0) return rc;
  f.service.flags = flags.Values();
  if (f.storage_nodes.empty()) {
    STRATA_LOG(Error, "-storageNode is required: the select RPC addresses of the storage nodes");
    return 2;
  }
  if (f.replication_factor < 1) {
    STRATA_LOG(Error, "-replicationFactor must be at least 1");
    return 2;
  }
  f.service.replication_factor = static_cast<int>(f.replication_factor);

  RoleRuntime runtime(f.process);
  auto nodes = ConnectStorageNodes(runtime.io(), f.storage_nodes, "select", runtime.registry().get(), f.health,
                                   f.rpc_tls);
  auto service = std::make_unique<select::SelectService>(f.service, RawPointers(nodes), runtime.registry().get());
  service->RegisterRoutes(runtime.mux());
  if (!runtime.StartHttp(f.http_listen)) return 1;
  STRATA_LOG(Info, "select node ready: http :{}, {} storage nodes, replicationFactor={}", runtime.http_port(),
             nodes.size(), f.replication_factor);

  WaitForTerminationSignal();
  runtime.StopHttp();
  service.reset();
  nodes.clear();
  STRATA_LOG(Info, "select node stopped");
  return 0;
}

}  // namespace strata
