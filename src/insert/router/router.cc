#include "insert/router/router.h"

#include <algorithm>

#include <fmt/format.h>
#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/registry.h>

#include "common/base/check.h"
#include "common/base/status.h"
#include "common/model/series_hash.h"

namespace strata::insert {

// The state of one Write, shared by the callbacks of its batches.
struct Router::Request {
  explicit Request(SeriesBatch b) : batch(std::move(b)) {}

  SeriesBatch batch;
  // SeriesHash of each series of `batch`; all 0 when the ring has one node
  // (nothing to choose).
  std::vector<uint64_t> hashes;
  RequestContext ctx;
  int64_t reserved_bytes = 0;
  size_t replication = 1;
  DoneCallback done;

  // Guards the fields below (std::mutex: see drain_mu_ in router.h).
  std::mutex mu;
  // holders[s * replication + k]: the node holding (or being sent) copy k of
  // series s.
  std::vector<uint32_t> holders;
  // Per node: unusable for this request (unhealthy at the start, or failed).
  std::vector<uint8_t> bad;
  size_t pending = 0;  // batches sent, not yet answered
  absl::Status status;   // the first fatal error
};

Router::Router(std::vector<StorageApi*> nodes, RouterOptions options, prometheus::Registry* registry)
    : nodes_(std::move(nodes)),
      options_(options),
      ring_(
          [&] {
            std::vector<std::string> names;
            for (StorageApi* n : nodes_) names.push_back(n->Name());
            return names;
          }(),
          options.virtual_nodes) {
  STRATA_CHECK(!nodes_.empty() && "the insert router needs at least one storage node");
  STRATA_CHECK(options_.replication_factor >= 1 && options_.replication_factor <= nodes_.size() &&
               "the replication factor must be between 1 and the number of storage nodes");
  node_metrics_.resize(nodes_.size());
  if (registry != nullptr) {
    auto& writes = prometheus::BuildCounter()
                       .Name("strata_insert_node_writes_total")
                       .Help("Write batches sent to each storage node, by result")
                       .Register(*registry);
    for (size_t i = 0; i < nodes_.size(); ++i) {
      node_metrics_[i].ok = &writes.Add({{"node", nodes_[i]->Name()}, {"result", "ok"}});
      node_metrics_[i].error = &writes.Add({{"node", nodes_[i]->Name()}, {"result", "error"}});
    }
    inflight_gauge_ = &prometheus::BuildGauge()
                           .Name("strata_insert_inflight_bytes")
                           .Help("Bytes of insert requests in flight to storage nodes: each request's batch size "
                                 "times (replication factor + 1)")
                           .Register(*registry)
                           .Add({});
  }
}

Router::~Router() = default;

void Router::Write(SeriesBatch batch, DoneCallback done) {
  if (batch.empty()) {
    done(absl::OkStatus());
    return;
  }
  const size_t r = options_.replication_factor;
  // The request's own batch plus one encoding per replica (a remote node's
  // part is encoded when it is sent) is what it pins.
  int64_t cost = static_cast<int64_t>(batch.bytes() * (r + 1));
  int64_t before = inflight_bytes_.fetch_add(cost, std::memory_order_relaxed);
  // A request larger than the cap on its own is admitted when nothing else
  // is in flight; otherwise it could never succeed and would be retried
  // forever.
  if (before > 0 && before + cost > options_.max_inflight_bytes) {
    inflight_bytes_.fetch_sub(cost, std::memory_order_relaxed);
    done(absl::ResourceExhaustedError(fmt::format(
        "cannot accept the write now: {} bytes of writes to storage nodes are in flight and this request needs {} "
        "more, over the limit of {} bytes; retry later",
        before, cost, options_.max_inflight_bytes)));
    return;
  }
  if (inflight_gauge_ != nullptr) inflight_gauge_->Increment(static_cast<double>(cost));

  {
    std::lock_guard lock(drain_mu_);
    ++pending_requests_;
  }
  auto req = std::make_shared<Request>(std::move(batch));
  req->ctx = RequestContext::WithTimeout(options_.write_timeout);
  req->reserved_bytes = cost;
  req->replication = r;
  req->done = std::move(done);

  const std::span<const SeriesBatch::Series> all = req->batch.series();
  req->hashes.resize(all.size());
  if (ring_.node_count() > 1) {
    for (size_t s = 0; s < all.size(); ++s) {
      req->hashes[s] = SeriesHashOfPacked(req->batch.tenant(), req->batch.packed_labels(all[s]));
    }
  }
  std::vector<std::vector<uint32_t>> groups(nodes_.size());
  {
    std::lock_guard lock(req->mu);
    req->bad.resize(nodes_.size());
    for (size_t n = 0; n < nodes_.size(); ++n) req->bad[n] = !nodes_[n]->IsHealthy();
    req->holders.resize(all.size() * r);
    NodeList route;
    for (uint32_t s = 0; s < all.size(); ++s) {
      ring_.Route(req->hashes[s], r, [&](size_t n) { return !req->bad[n]; }, &route);
      if (route.size() < r) {
        size_t usable = static_cast<size_t>(std::count(req->bad.begin(), req->bad.end(), 0));
        req->status = absl::UnavailableError(fmt::format(
            "cannot write to storage: only {} of {} storage nodes are healthy, and replication factor {} needs "
            "{} distinct nodes per series",
            usable, nodes_.size(), r, r));
        break;
      }
      for (size_t k = 0; k < r; ++k) {
        req->holders[s * r + k] = route[k];
        groups[route[k]].push_back(s);
      }
    }
    if (req->status.ok()) {
      for (const auto& g : groups) req->pending += g.empty() ? 0 : 1;
    }
  }
  if (!req->status.ok()) {
    Finish(*req);
    return;
  }
  for (uint32_t n = 0; n < groups.size(); ++n) {
    if (!groups[n].empty()) Send(req, n, std::move(groups[n]));
  }
}

void Router::Send(const std::shared_ptr<Request>& request, uint32_t node, std::vector<uint32_t> series) {
  // Shared by the call, which reads it, and the callback, which may run
  // inline or later.
  auto subset = std::make_shared<const std::vector<uint32_t>>(std::move(series));
  nodes_[node]->WriteSeries(request->ctx, request->batch, *subset,
                            [this, request, node, subset](absl::Status status) {
                              OnSent(request, node, *subset, status);
                            });
}

void Router::OnSent(const std::shared_ptr<Request>& request, uint32_t node, const std::vector<uint32_t>& series,
                    const absl::Status& status) {
  if (NodeMetrics& m = node_metrics_[node]; m.ok != nullptr) (status.ok() ? m.ok : m.error)->Increment();
  std::vector<std::vector<uint32_t>> resend;
  bool finished = false;
  {
    Request& req = *request;
    std::lock_guard lock(req.mu);
    --req.pending;
    if (!status.ok() && req.status.ok()) {
      const size_t r = req.replication;
      if (status.code() == absl::StatusCode::kInvalidArgument) {
        req.status = Annotate(status, fmt::format("storage node {} rejected the write", nodes_[node]->Name()));
      } else if (std::chrono::steady_clock::now() >= req.ctx.deadline) {
        req.status = absl::DeadlineExceededError(fmt::format(
            "cannot write to storage: the deadline passed; the last failure, from storage node {}: {}",
            nodes_[node]->Name(), ToStd(status.message())));
      } else {
        req.bad[node] = 1;
        resend.resize(nodes_.size());
        NodeList route;
        for (uint32_t s : series) {
          uint32_t* holders = &req.holders[s * r];
          ring_.Route(
              req.hashes[s], 1,
              [&](size_t n) { return !req.bad[n] && std::find(holders, holders + r, n) == holders + r; }, &route);
          if (route.empty()) {
            req.status = absl::UnavailableError(fmt::format(
                "cannot write to storage: storage node {} failed ({}) and no other usable node is left to hold "
                "replica(s) of every series (replication factor {})",
                nodes_[node]->Name(), ToStd(status.message()), r));
            resend.clear();
            break;
          }
          *std::find(holders, holders + r, node) = route[0];
          resend[route[0]].push_back(s);
        }
        for (const auto& g : resend) req.pending += g.empty() ? 0 : 1;
      }
    }
    finished = req.pending == 0;
  }
  if (finished) {
    Finish(*request);
    return;
  }
  for (uint32_t n = 0; n < resend.size(); ++n) {
    if (!resend[n].empty()) Send(request, n, std::move(resend[n]));
  }
}

void Router::Finish(Request& request) {
  absl::Status status;
  {
    std::lock_guard lock(request.mu);
    status = request.status;
  }
  inflight_bytes_.fetch_sub(request.reserved_bytes, std::memory_order_relaxed);
  if (inflight_gauge_ != nullptr) inflight_gauge_->Decrement(static_cast<double>(request.reserved_bytes));
  DoneCallback done = std::move(request.done);
  done(std::move(status));
  // After the callback, so that Drain also waits for the callbacks.
  std::lock_guard lock(drain_mu_);
  if (--pending_requests_ == 0) drained_.notify_all();
}

void Router::WriteMetadata(TenantId tenant, std::vector<MetricMetadata> metadata, DoneCallback done) {
  struct State {
    std::mutex mu;
    size_t pending = 0;
    size_t stored = 0;
    absl::Status last_error;
    DoneCallback done;
  };
  auto state = std::make_shared<State>();
  state->done = std::move(done);
  std::vector<StorageApi*> targets;
  for (StorageApi* node : nodes_) {
    if (node->IsHealthy()) targets.push_back(node);
  }
  const size_t needed = options_.replication_factor;
  if (targets.size() < needed) {
    state->done(absl::UnavailableError(fmt::format(
        "cannot write metric metadata: only {} of {} storage nodes are healthy, and replication factor {} needs {}",
        targets.size(), nodes_.size(), needed, needed)));
    return;
  }
  state->pending = targets.size();
  RequestContext ctx = RequestContext::WithTimeout(options_.write_timeout);
  for (StorageApi* node : targets) {
    node->WriteMetadata(ctx, tenant, metadata, [state, needed, name = node->Name()](absl::Status status) {
      DoneCallback done;
      absl::Status result;
      {
        std::lock_guard lock(state->mu);
        if (status.ok()) {
          ++state->stored;
        } else {
          state->last_error = Annotate(status, fmt::format("storage node {}", name));
        }
        if (--state->pending > 0) return;
        done = std::move(state->done);
        if (state->stored < needed) {
          result = absl::UnavailableError(fmt::format(
              "cannot write metric metadata: {} storage nodes stored it, replication factor {} needs {}; last error: {}",
              state->stored, needed, needed, ToStd(state->last_error.message())));
        }
      }
      done(std::move(result));
    });
  }
}

void Router::Drain() {
  std::unique_lock lock(drain_mu_);
  drained_.wait(lock, [this] { return pending_requests_ == 0; });
}

}  // namespace strata::insert
