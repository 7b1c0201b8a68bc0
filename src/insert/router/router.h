// File: insert/router/router.h
//
// Sends the series of an insert request to the storage nodes that own them
// (VictoriaMetrics app/vminsert/netstorage plays this role): each series is
// placed by its SeriesHash on the HashRing (common/cluster/ring.h) and written
// to `replication_factor` distinct nodes. Per request the Router sends ONE
// batch per destination node (the node's part of the request's
// SeriesBatch, common/model/series_batch.h), all of them in parallel
// through StorageApi::WriteSeries, and reports success only after every
// replica of every series is acknowledged.
//
// Failover: a node that is !IsHealthy() when the request starts is skipped
// (its copies go to the next nodes in each series' ring order). In `strata
// insert` every node is a HealthCheckedStorage, so a hung node turns
// unhealthy within -storageNode.probeTimeout and its writes in flight fail
// with Unavailable at once, which re-routes them as below. A node whose
// write fails (any error but InvalidArgument, e.g. FailedPrecondition from a
// node that is read-only because its disk is nearly full) is marked bad for
// the rest of the request, and the series of the failed batch are re-sent, each to the
// next usable node in its ring order that does not already hold it. Re-sends
// may duplicate samples; storage skips equal (series, timestamp) pairs, so
// that is harmless and much simpler than exact bookkeeping.
//
// Outcomes (the DoneCallback gets exactly one):
//   OK                 every replica of every series acknowledged
//   Unavailable        fewer than replication_factor nodes could take a series
//                      (HTTP 503: the sender retries the whole request)
//   DeadlineExceeded   the request deadline passed before a re-send (503)
//   InvalidArgument    a storage node rejected a batch as malformed (400)
//   ResourceExhausted  the in-flight byte cap would be exceeded; returned at
//                      once, before anything is sent (HTTP 429)
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <vector>

#include "absl/functional/any_invocable.h"
#include "absl/status/status.h"
#include "common/cluster/ring.h"
#include "common/model/labels.h"
#include "common/model/sample.h"
#include "common/model/tenant.h"
#include "common/model/series_batch.h"
#include "common/rpc/storage_api.h"

namespace prometheus {
class Registry;
class Counter;
class Gauge;
}  // namespace prometheus

namespace strata::insert {

struct RouterOptions {
  // Copies of each series, on distinct storage nodes. REQUIRES: 1 <= R <= nodes.
  size_t replication_factor = 1;
  // Deadline of one request, re-sends included.
  std::chrono::milliseconds write_timeout{std::chrono::seconds(30)};
  // Cap on the bytes in flight across all requests, counted as
  // SeriesBatch::bytes() times (replication factor + 1): the request's
  // batch and an encoding of it per replica. A
  // request that would exceed it fails at once with ResourceExhausted (no
  // waiting: the sender's retry with backoff is the back-pressure).
  int64_t max_inflight_bytes = int64_t{256} << 20;
  // Virtual nodes per storage node on the ring.
  size_t virtual_nodes = HashRing::kDefaultVirtualNodes;
};

// Thread-safe: Write may be called concurrently from any thread.
class Router {
 public:
  using DoneCallback = absl::AnyInvocable<void(absl::Status)>;

  // `nodes` must outlive the Router; node i is named nodes[i]->Name() on the
  // ring (names must be unique). `registry` may be null (no metrics); when
  // set, the Router exports strata_insert_node_writes_total{node,result} and
  // strata_insert_inflight_bytes.
  // REQUIRES: !nodes.empty(), 1 <= options.replication_factor <= nodes.size().
  Router(std::vector<StorageApi*> nodes, RouterOptions options, prometheus::Registry* registry = nullptr);
  ~Router();

  Router(const Router&) = delete;
  Router& operator=(const Router&) = delete;

  // Routes and sends `batch`; returns without blocking. `done` is called
  // exactly once, possibly inline (ResourceExhausted, empty batch, or a
  // StorageApi that completes inline) or later on a storage callback thread.
  // The Router must outlive every pending Write.
  void Write(SeriesBatch batch, DoneCallback done);

  // Sends metric metadata to EVERY healthy storage node (StorageApi::
  // WriteMetadata): it is per metric family, small and rare (Prometheus
  // re-sends each family once a minute), so full replication costs little
  // and any node can answer /api/v1/metadata alone; placing it by
  // hash(tenant, name) would buy nothing but a routing step. OK once at
  // least replication_factor nodes stored it (the durability of a series),
  // else Unavailable naming the last failure. `done` as in Write.
  void WriteMetadata(TenantId tenant, std::vector<MetricMetadata> metadata, DoneCallback done);

  // Blocks until every Write has called its DoneCallback (shutdown: stop
  // accepting requests first, then drain, then destroy).
  void Drain();

  // Bytes of batches currently in flight (for metrics and tests).
  int64_t inflight_bytes() const { return inflight_bytes_.load(std::memory_order_relaxed); }
  const HashRing& ring() const { return ring_; }
  const RouterOptions& options() const { return options_; }

 private:
  struct Request;
  struct NodeMetrics {
    prometheus::Counter* ok = nullptr;
    prometheus::Counter* error = nullptr;
  };

  // Sends the series `series` of `request` to `node`; the completion
  // re-routes on error.
  void Send(const std::shared_ptr<Request>& request, uint32_t node, std::vector<uint32_t> series);
  void OnSent(const std::shared_ptr<Request>& request, uint32_t node, const std::vector<uint32_t>& series,
              const absl::Status& status);
  void Finish(Request& request);

  std::vector<StorageApi*> nodes_;
  RouterOptions options_;
  HashRing ring_;
  std::atomic<int64_t> inflight_bytes_{0};
  // std::mutex rather than absl::Mutex: Debian's abseil is not built with
  // ThreadSanitizer, which then cannot see absl::Mutex's ordering.
  std::mutex drain_mu_;
  std::condition_variable drained_;
  size_t pending_requests_ = 0;  // guarded by drain_mu_
  std::vector<NodeMetrics> node_metrics_;
  prometheus::Gauge* inflight_gauge_ = nullptr;
};

}  // namespace strata::insert
