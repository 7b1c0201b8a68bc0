// File: insert/server/insert_service.h
//
// The composition root of the insert role (STYLE.md §5.1): it owns the
// Router (placement, replication, failover) and the ingest handlers, and
// registers their HTTP routes. No sockets here: cmd/ builds the HTTP server
// and the storage clients and passes them in, so the whole insert path can be
// tested with in-process fakes.
//
// Shutdown order: stop the HTTP server (no new requests), then destroy the
// InsertService, whose destructor waits for the pending writes to finish;
// then destroy the storage clients.
#pragma once

#include <chrono>
#include <cstdint>
#include <vector>

#include "common/cluster/ring.h"
#include "common/net/http.h"
#include "common/prompb/remote_write_decoder.h"
#include "common/rpc/storage_api.h"
#include "insert/ingest/import_handler.h"
#include "insert/ingest/ingest_limits.h"
#include "insert/ingest/otlp_handler.h"
#include "insert/ingest/remote_write_handler.h"
#include "insert/router/router.h"

namespace prometheus {
class Registry;
}  // namespace prometheus

namespace strata::insert {

struct InsertServiceOptions {
  // Copies of each series on distinct storage nodes (-replicationFactor).
  // REQUIRES: 1 <= replication_factor <= number of storage nodes.
  size_t replication_factor = 1;
  // Cap on bytes in flight to storage nodes; beyond it requests get 429.
  int64_t max_inflight_bytes = int64_t{256} << 20;
  // Deadline of one insert request towards the storage nodes, re-sends included.
  std::chrono::milliseconds write_timeout{std::chrono::seconds(30)};
  // Cap on the decompressed size of one remote_write request.
  size_t max_request_bytes = kDefaultMaxRemoteWriteBytes;
  // Virtual nodes per storage node on the hash ring.
  size_t virtual_nodes = HashRing::kDefaultVirtualNodes;
  // Per-series ingest limits of every ingest path (ingest_limits.h).
  IngestLimitsOptions limits;
};

// Thread-safe after construction (handlers run concurrently).
class InsertService {
 public:
  // `storage_nodes` and `registry` (may be null) must outlive the service.
  InsertService(InsertServiceOptions options, std::vector<StorageApi*> storage_nodes,
                prometheus::Registry* registry = nullptr);
  // Blocks until every pending write has answered.
  ~InsertService();

  InsertService(const InsertService&) = delete;
  InsertService& operator=(const InsertService&) = delete;

  // Registers the ingest routes (insert/ingest/ingest_paths.h): the prefix
  // "/insert/" (tenant in the path) and the tenant-0:0 exact paths. The
  // service must outlive `mux`'s use.
  void RegisterRoutes(HttpMux& mux);

  Router& router() { return router_; }
  RemoteWriteHandler& remote_write_handler() { return remote_write_; }
  ImportHandler& import_handler() { return import_; }
  OtlpHandler& otlp_handler() { return otlp_; }

 private:
  InsertServiceOptions options_;
  IngestLimiter limiter_;
  Router router_;
  RemoteWriteHandler remote_write_;
  ImportHandler import_;
  OtlpHandler otlp_;
};

}  // namespace strata::insert
