// File: common/rpc/health_checked_storage.h
//
// HealthCheckedStorage: a StorageApi decorator that tracks the health of one
// storage node for insert and select nodes (VictoriaMetrics marks a
// vmstorage "broken" and re-routes around it in the same way). It exists
// because a connection being up proves nothing: a SIGSTOPped or wedged node
// keeps its TCP connections open and simply never answers, so without it
// every request would wait its whole deadline for that node.
//
// How a node's health is decided:
//   - a probe (for an RPC node: the kRpcMethodPing call) every
//     probe_interval, with deadline probe_timeout; a failed or late probe
//     marks the node unhealthy at once;
//   - max_consecutive_failures calls in a row failing with Unavailable or
//     DeadlineExceeded mark it unhealthy too (a node that answers pings but
//     not real work);
//   - the wrapped StorageApi's own IsHealthy() (for RPC: the connection is
//     up) must hold as well.
// While unhealthy, the node is probed with backoff (probe_interval doubling
// up to max_probe_backoff); the first successful probe makes it healthy.
//
// What unhealthy means for callers: IsHealthy() is false (the insert Router
// skips the node and sends its replicas to the next nodes on the ring), new
// calls fail at once with Unavailable, and the calls in flight when the node
// turned unhealthy are answered Unavailable at once instead of waiting for
// their deadlines (their late replies are dropped). Also bounded per node:
// the calls in flight (beyond max_inflight_calls a call fails at once with
// Unavailable, so a slow node cannot pile up the caller's memory) and the
// time of one call (call_timeout caps the caller's deadline).
//
// Metrics (when options.metrics is set), label node = Name():
//   strata_storage_node_healthy{node}                 1 healthy, 0 not
//   strata_storage_node_unhealthy_total{node}         healthy -> unhealthy transitions
//   strata_storage_node_calls_total{node,result}      ok, error, rejected (failed fast)
//   strata_storage_node_call_duration_seconds{node}   histogram of call latency
//   strata_storage_node_inflight_calls{node}
//
// Thread-safe. Callbacks run on the wrapped StorageApi's threads, or on the
// caller's thread when a call fails fast, or on the thread that marked the
// node unhealthy. The destructor stops probing and destroys the wrapped
// StorageApi (which must answer its pending calls when destroyed, as
// RpcStorageClient does) before anything else.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "absl/container/flat_hash_map.h"
#include "absl/functional/any_invocable.h"
#include "common/rpc/storage_api.h"

namespace prometheus {
class Registry;
class Counter;
class Gauge;
class Histogram;
}  // namespace prometheus

namespace strata {

struct NodeHealthOptions {
  // A healthy node is probed this often.
  std::chrono::milliseconds probe_interval{1000};
  // A probe without an answer by then marks the node unhealthy.
  std::chrono::milliseconds probe_timeout{2000};
  // Longest pause between the probes of an unhealthy node.
  std::chrono::milliseconds max_probe_backoff{2000};
  // Caps the deadline of every call to the node; 0 keeps the caller's.
  std::chrono::milliseconds call_timeout{0};
  // Calls in flight to the node beyond which new calls fail at once; 0: no cap.
  int64_t max_inflight_calls = 1024;
  // Calls in a row failing with Unavailable or DeadlineExceeded that mark
  // the node unhealthy; 0 disables (only probes decide).
  int max_consecutive_failures = 3;
  // Exports the metrics listed above; must outlive the object.
  prometheus::Registry* metrics = nullptr;
};

class HealthCheckedStorage : public StorageApi {
 public:
  // Sends one probe with `deadline`; `done` gets OK when the node answered.
  using Probe = std::function<void(std::chrono::steady_clock::time_point deadline,
                                   absl::AnyInvocable<void(absl::Status)> done)>;

  // Starts probing at once (the node counts as healthy until a probe or
  // calls say otherwise). `probe` must stay callable while `inner` lives.
  HealthCheckedStorage(std::unique_ptr<StorageApi> inner, Probe probe, NodeHealthOptions options);
  ~HealthCheckedStorage() override;

  HealthCheckedStorage(const HealthCheckedStorage&) = delete;
  HealthCheckedStorage& operator=(const HealthCheckedStorage&) = delete;

  void Write(const RequestContext& ctx, std::shared_ptr<const std::string> batch, WriteCallback done) override;
  void Search(const RequestContext& ctx, SearchRequest request, SearchCallback done) override;
  void SearchMany(const RequestContext& ctx, std::vector<SearchRequest> requests, SearchManyCallback done) override;
  void DeleteSeries(const RequestContext& ctx, TenantId tenant, std::vector<Matcher> matchers,
                    DeleteCallback done) override;
  void LabelNames(const RequestContext& ctx, LabelsRequest request, LabelsCallback done) override;
  void LabelValues(const RequestContext& ctx, LabelsRequest request, LabelsCallback done) override;
  void SeriesLabels(const RequestContext& ctx, LabelsRequest request, SeriesLabelsCallback done) override;
  void TsdbStatus(const RequestContext& ctx, TsdbStatusRequest request, TsdbStatusCallback done) override;
  void WriteMetadata(const RequestContext& ctx, TenantId tenant, std::vector<MetricMetadata> metadata,
                     WriteCallback done) override;
  void Metadata(const RequestContext& ctx, MetadataRequest request, MetadataCallback done) override;
  void QueryExemplars(const RequestContext& ctx, ExemplarsRequest request, ExemplarsCallback done) override;
  std::string Name() const override { return name_; }
  // Healthy by the rules above, and the wrapped node says so too.
  bool IsHealthy() const override;

  // Why the node was last marked unhealthy ("" when it never was).
  std::string last_failure() const;
  size_t inflight_calls() const;

 private:
  struct Metrics;

  // Runs `invoke(ctx, callback)` on the wrapped node unless the call must
  // fail fast; tracks it while in flight. `Callback` takes absl::Status or
  // absl::StatusOr<T>.
  template <typename Callback, typename Invoke>
  void Run(const RequestContext& ctx, Callback done, Invoke invoke);
  // Unavailable when a new call must fail at once, else OK. Reserves an
  // in-flight slot under `id` when OK.
  absl::Status Admit(uint64_t* id, absl::AnyInvocable<void(const absl::Status&)> abort);
  void OnCallDone(uint64_t id, const absl::Status& status, std::chrono::steady_clock::time_point start);
  void MarkUnhealthy(std::string reason);
  void MarkHealthy();
  void ProbeLoop();

  const std::string name_;
  NodeHealthOptions options_;
  std::unique_ptr<StorageApi> inner_;
  Probe probe_;
  std::unique_ptr<Metrics> metrics_;

  // std::mutex rather than absl::Mutex: see drain_mu_ in insert/router/router.h.
  mutable std::mutex mu_;
  std::condition_variable wake_;
  bool healthy_ = true;
  bool stopping_ = false;
  bool probe_pending_ = false;
  uint64_t probe_generation_ = 0;  // tells a late probe answer from the current one
  int consecutive_failures_ = 0;
  std::chrono::milliseconds probe_backoff_;
  std::string last_failure_;
  uint64_t next_call_id_ = 1;
  // The calls in flight, by id: each entry answers its call Unavailable.
  absl::flat_hash_map<uint64_t, absl::AnyInvocable<void(const absl::Status&)>> inflight_;
  std::thread prober_;
};

}  // namespace strata
