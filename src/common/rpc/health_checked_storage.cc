#include "common/rpc/health_checked_storage.h"

#include <algorithm>
#include <atomic>
#include <vector>

#include <fmt/format.h>
#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include "common/base/logging.h"
#include "common/base/status.h"

namespace strata {

namespace {

using Clock = std::chrono::steady_clock;

// A probe's own deadline is enforced by the probe (RpcClient's call timer);
// this grace only catches a probe implementation that never answers.
constexpr auto kProbeGrace = std::chrono::milliseconds(200);

const absl::Status& StatusOf(const absl::Status& s) { return s; }
template <typename T>
const absl::Status& StatusOf(const absl::StatusOr<T>& s) {
  return s.status();
}

// The caller's callback, called exactly once: by the answer, or by the
// abort when the node turns unhealthy first.
template <typename Callback>
class OnceCallback {
 public:
  explicit OnceCallback(Callback done) : done_(std::move(done)) {}

  template <typename R>
  void Call(R&& result) {
    // Only the first caller gets past the exchange; it frees the
    // callback's state right after the call.
    if (called_.exchange(true, std::memory_order_acq_rel)) return;
    Callback done = std::move(done_);
    done(std::forward<R>(result));
  }

 private:
  std::atomic<bool> called_{false};
  Callback done_;
};

}  // namespace

struct HealthCheckedStorage::Metrics {
  Metrics(prometheus::Registry& registry, const std::string& node)
      : healthy(prometheus::BuildGauge()
                    .Name("strata_storage_node_healthy")
                    .Help("1 while the storage node answers its health probes and calls, else 0.")
                    .Register(registry)
                    .Add({{"node", node}})),
        unhealthy(prometheus::BuildCounter()
                      .Name("strata_storage_node_unhealthy_total")
                      .Help("Times the storage node was marked unhealthy.")
                      .Register(registry)
                      .Add({{"node", node}})),
        ok(CallsFamily(registry).Add({{"node", node}, {"result", "ok"}})),
        error(CallsFamily(registry).Add({{"node", node}, {"result", "error"}})),
        rejected(CallsFamily(registry).Add({{"node", node}, {"result", "rejected"}})),
        duration(prometheus::BuildHistogram()
                     .Name("strata_storage_node_call_duration_seconds")
                     .Help("Latency of calls to the storage node, failed ones included.")
                     .Register(registry)
                     .Add({{"node", node}},
                          prometheus::Histogram::BucketBoundaries{0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30})),
        inflight(prometheus::BuildGauge()
                     .Name("strata_storage_node_inflight_calls")
                     .Help("Calls to the storage node awaiting an answer.")
                     .Register(registry)
                     .Add({{"node", node}})) {}

  static prometheus::Family<prometheus::Counter>& CallsFamily(prometheus::Registry& registry) {
    return prometheus::BuildCounter()
        .Name("strata_storage_node_calls_total")
        .Help("Calls to the storage node by result: ok, error, or rejected (failed at once: node unhealthy or "
              "too many calls in flight).")
        .Register(registry);
  }

  prometheus::Gauge& healthy;
  prometheus::Counter& unhealthy;
  prometheus::Counter& ok;
  prometheus::Counter& error;
  prometheus::Counter& rejected;
  prometheus::Histogram& duration;
  prometheus::Gauge& inflight;
};

HealthCheckedStorage::HealthCheckedStorage(std::unique_ptr<StorageApi> inner, Probe probe, NodeHealthOptions options)
    : name_(inner->Name()),
      options_(options),
      inner_(std::move(inner)),
      probe_(std::move(probe)),
      probe_backoff_(options.probe_interval) {
  if (options_.metrics != nullptr) {
    metrics_ = std::make_unique<Metrics>(*options_.metrics, name_);
    metrics_->healthy.Set(1);
  }
  prober_ = std::thread([this] { ProbeLoop(); });
}

HealthCheckedStorage::~HealthCheckedStorage() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  wake_.notify_all();
  prober_.join();
  // The wrapped node answers its pending calls (and probe) as it closes;
  // their callbacks use this object, which must still be whole.
  inner_.reset();
}

bool HealthCheckedStorage::IsHealthy() const {
  {
    std::lock_guard lock(mu_);
    if (!healthy_) return false;
  }
  return inner_->IsHealthy();
}

std::string HealthCheckedStorage::last_failure() const {
  std::lock_guard lock(mu_);
  return last_failure_;
}

size_t HealthCheckedStorage::inflight_calls() const {
  std::lock_guard lock(mu_);
  return inflight_.size();
}

absl::Status HealthCheckedStorage::Admit(uint64_t* id, absl::AnyInvocable<void(const absl::Status&)> abort) {
  std::lock_guard lock(mu_);
  if (!healthy_) {
    return absl::UnavailableError(fmt::format(
        "storage node {} is unhealthy ({}); not waiting for it, it is probed in the background", name_,
        last_failure_));
  }
  if (options_.max_inflight_calls > 0 && inflight_.size() >= static_cast<size_t>(options_.max_inflight_calls)) {
    return absl::UnavailableError(fmt::format("storage node {} is too slow: {} calls to it are in flight already",
                                              name_, inflight_.size()));
  }
  *id = next_call_id_++;
  inflight_.emplace(*id, std::move(abort));
  if (metrics_) metrics_->inflight.Set(static_cast<double>(inflight_.size()));
  return absl::OkStatus();
}

template <typename Callback, typename Invoke>
void HealthCheckedStorage::Run(const RequestContext& ctx, Callback done, Invoke invoke) {
  auto once = std::make_shared<OnceCallback<Callback>>(std::move(done));
  uint64_t id = 0;
  absl::Status admitted = Admit(&id, [once](const absl::Status& status) { once->Call(status); });
  if (!admitted.ok()) {
    if (metrics_) metrics_->rejected.Increment();
    once->Call(admitted);
    return;
  }
  RequestContext capped = ctx;
  const Clock::time_point start = Clock::now();
  if (options_.call_timeout.count() > 0) capped.deadline = std::min(capped.deadline, start + options_.call_timeout);
  invoke(capped, [this, once, id, start](auto result) {
    OnCallDone(id, StatusOf(result), start);
    once->Call(std::move(result));
  });
}

void HealthCheckedStorage::OnCallDone(uint64_t id, const absl::Status& status, Clock::time_point start) {
  if (metrics_) {
    (status.ok() ? metrics_->ok : metrics_->error).Increment();
    metrics_->duration.Observe(std::chrono::duration<double>(Clock::now() - start).count());
  }
  bool mark = false;
  {
    std::lock_guard lock(mu_);
    inflight_.erase(id);
    if (metrics_) metrics_->inflight.Set(static_cast<double>(inflight_.size()));
    if (status.ok()) {
      consecutive_failures_ = 0;
    } else if (healthy_ && !stopping_ && (absl::IsUnavailable(status) || absl::IsDeadlineExceeded(status))) {
      ++consecutive_failures_;
      mark = options_.max_consecutive_failures > 0 && consecutive_failures_ >= options_.max_consecutive_failures;
    }
  }
  if (mark) {
    MarkUnhealthy(fmt::format("{} calls in a row failed, the last with: {}", options_.max_consecutive_failures,
                              ToStd(status.message())));
  }
}

void HealthCheckedStorage::MarkUnhealthy(std::string reason) {
  std::vector<absl::AnyInvocable<void(const absl::Status&)>> aborts;
  bool transition = false;
  {
    std::lock_guard lock(mu_);
    last_failure_ = reason;
    consecutive_failures_ = 0;
    if (healthy_) {
      healthy_ = false;
      transition = true;
      probe_backoff_ = options_.probe_interval;
      // Under the lock: whoever sees the node unhealthy also sees it counted.
      if (metrics_) {
        metrics_->healthy.Set(0);
        metrics_->unhealthy.Increment();
      }
    }
    aborts.reserve(inflight_.size());
    for (auto& [id, abort] : inflight_) aborts.push_back(std::move(abort));
    inflight_.clear();
    if (metrics_) metrics_->inflight.Set(0);
  }
  if (transition) {
    STRATA_LOG(Warn,
               "storage node {} is unhealthy: {}; {} calls in flight answered Unavailable, probing it with backoff",
               name_, reason, aborts.size());
  }
  const absl::Status status =
      absl::UnavailableError(fmt::format("storage node {} turned unhealthy: {}", name_, reason));
  for (auto& abort : aborts) abort(status);
}

void HealthCheckedStorage::MarkHealthy() {
  {
    std::lock_guard lock(mu_);
    if (healthy_) return;
    healthy_ = true;
    consecutive_failures_ = 0;
    // Under the lock, as in MarkUnhealthy: set outside it, a late Set(1)
    // could overwrite the 0 of a transition that came after it.
    if (metrics_) metrics_->healthy.Set(1);
  }
  STRATA_LOG(Info, "storage node {} is healthy again", name_);
}

void HealthCheckedStorage::ProbeLoop() {
  std::unique_lock lock(mu_);
  Clock::time_point next_probe = Clock::now() + options_.probe_interval;
  Clock::time_point probe_deadline{};
  while (!stopping_) {
    wake_.wait_until(lock, probe_pending_ ? probe_deadline + kProbeGrace : next_probe, [this] { return stopping_; });
    if (stopping_) break;
    const Clock::time_point now = Clock::now();
    if (probe_pending_) {
      if (now < probe_deadline + kProbeGrace) continue;
      // The probe never answered: forget it (its late answer is ignored).
      probe_pending_ = false;
      ++probe_generation_;
      probe_backoff_ = std::min(probe_backoff_ * 2, options_.max_probe_backoff);
      lock.unlock();
      MarkUnhealthy(fmt::format("no answer to the health probe within {} ms", options_.probe_timeout.count()));
      lock.lock();
      continue;
    }
    if (now < next_probe) continue;
    probe_pending_ = true;
    const uint64_t generation = ++probe_generation_;
    probe_deadline = now + options_.probe_timeout;
    next_probe = now + (healthy_ ? options_.probe_interval : probe_backoff_);
    lock.unlock();
    probe_(probe_deadline, [this, generation](absl::Status status) {
      {
        std::lock_guard probe_lock(mu_);
        // A probe failed by the closing client at shutdown says nothing.
        if (stopping_ || generation != probe_generation_) return;
        probe_pending_ = false;
        if (!status.ok()) probe_backoff_ = std::min(probe_backoff_ * 2, options_.max_probe_backoff);
      }
      wake_.notify_all();
      if (status.ok()) {
        MarkHealthy();
      } else {
        MarkUnhealthy(fmt::format("health probe failed: {}", ToStd(status.message())));
      }
    });
    lock.lock();
  }
}

void HealthCheckedStorage::Write(const RequestContext& ctx, std::shared_ptr<const std::string> batch,
                                 WriteCallback done) {
  Run(ctx, std::move(done),
      [&](const RequestContext& c, auto cb) { inner_->Write(c, std::move(batch), std::move(cb)); });
}

void HealthCheckedStorage::Search(const RequestContext& ctx, SearchRequest request, SearchCallback done) {
  Run(ctx, std::move(done),
      [&](const RequestContext& c, auto cb) { inner_->Search(c, std::move(request), std::move(cb)); });
}

void HealthCheckedStorage::SearchMany(const RequestContext& ctx, std::vector<SearchRequest> requests,
                                      SearchManyCallback done) {
  Run(ctx, std::move(done),
      [&](const RequestContext& c, auto cb) { inner_->SearchMany(c, std::move(requests), std::move(cb)); });
}

void HealthCheckedStorage::DeleteSeries(const RequestContext& ctx, TenantId tenant, std::vector<Matcher> matchers,
                                        DeleteCallback done) {
  Run(ctx, std::move(done),
      [&](const RequestContext& c, auto cb) { inner_->DeleteSeries(c, tenant, std::move(matchers), std::move(cb)); });
}

void HealthCheckedStorage::LabelNames(const RequestContext& ctx, LabelsRequest request, LabelsCallback done) {
  Run(ctx, std::move(done),
      [&](const RequestContext& c, auto cb) { inner_->LabelNames(c, std::move(request), std::move(cb)); });
}

void HealthCheckedStorage::LabelValues(const RequestContext& ctx, LabelsRequest request, LabelsCallback done) {
  Run(ctx, std::move(done),
      [&](const RequestContext& c, auto cb) { inner_->LabelValues(c, std::move(request), std::move(cb)); });
}

void HealthCheckedStorage::SeriesLabels(const RequestContext& ctx, LabelsRequest request,
                                        SeriesLabelsCallback done) {
  Run(ctx, std::move(done),
      [&](const RequestContext& c, auto cb) { inner_->SeriesLabels(c, std::move(request), std::move(cb)); });
}

void HealthCheckedStorage::TsdbStatus(const RequestContext& ctx, TsdbStatusRequest request,
                                      TsdbStatusCallback done) {
  Run(ctx, std::move(done),
      [&](const RequestContext& c, auto cb) { inner_->TsdbStatus(c, std::move(request), std::move(cb)); });
}

void HealthCheckedStorage::WriteMetadata(const RequestContext& ctx, TenantId tenant,
                                         std::vector<MetricMetadata> metadata, WriteCallback done) {
  Run(ctx, std::move(done), [&](const RequestContext& c, auto cb) {
    inner_->WriteMetadata(c, tenant, std::move(metadata), std::move(cb));
  });
}

void HealthCheckedStorage::Metadata(const RequestContext& ctx, MetadataRequest request, MetadataCallback done) {
  Run(ctx, std::move(done),
      [&](const RequestContext& c, auto cb) { inner_->Metadata(c, std::move(request), std::move(cb)); });
}

void HealthCheckedStorage::QueryExemplars(const RequestContext& ctx, ExemplarsRequest request,
                                          ExemplarsCallback done) {
  Run(ctx, std::move(done),
      [&](const RequestContext& c, auto cb) { inner_->QueryExemplars(c, std::move(request), std::move(cb)); });
}

}  // namespace strata
