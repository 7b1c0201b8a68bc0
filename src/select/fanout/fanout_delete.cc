#include "select/fanout/fanout_delete.h"

#include <memory>
#include <optional>
#include <string>

#include <fmt/format.h>

#include "absl/synchronization/mutex.h"
#include "common/base/status.h"

namespace strata::select {
namespace {

// Shared by the caller and every pending callback, so late answers are safe.
struct DeleteState {
  absl::Mutex mu;
  size_t pending ABSL_GUARDED_BY(mu) = 0;
  // [node * selectors + selector]
  std::vector<std::optional<absl::StatusOr<uint64_t>>> results ABSL_GUARDED_BY(mu);
};

constexpr auto kDeadlineGrace = std::chrono::milliseconds(500);

}  // namespace

absl::StatusOr<uint64_t> DeleteSeriesOnAllNodes(const std::vector<StorageApi*>& nodes, const TenantId& tenant,
                                                const std::vector<std::vector<Matcher>>& selectors,
                                                std::chrono::steady_clock::time_point deadline) {
  if (nodes.empty()) return absl::UnavailableError("cannot delete series: no storage nodes configured");
  if (selectors.empty()) return uint64_t{0};
  const size_t calls = nodes.size() * selectors.size();
  auto state = std::make_shared<DeleteState>();
  {
    absl::MutexLock lock(&state->mu);
    state->pending = calls;
    state->results.resize(calls);
  }
  const RequestContext ctx{deadline};
  for (size_t n = 0; n < nodes.size(); ++n) {
    for (size_t s = 0; s < selectors.size(); ++s) {
      const size_t slot = n * selectors.size() + s;
      nodes[n]->DeleteSeries(ctx, tenant, selectors[s], [state, slot](absl::StatusOr<uint64_t> r) {
        absl::MutexLock lock(&state->mu);
        state->results[slot] = std::move(r);
        --state->pending;
      });
    }
  }

  std::vector<absl::StatusOr<uint64_t>> results;
  {
    absl::MutexLock lock(&state->mu);
    const absl::Duration wait = absl::FromChrono(deadline + kDeadlineGrace - std::chrono::steady_clock::now());
    auto done = [&state]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(state->mu) { return state->pending == 0; };
    state->mu.AwaitWithTimeout(absl::Condition(&done), wait);
    results.reserve(calls);
    for (auto& r : state->results) {
      results.push_back(r.has_value() ? std::move(*r)
                                      : absl::StatusOr<uint64_t>(absl::DeadlineExceededError(
                                            "no answer before the deadline (the delete may still complete there)")));
    }
  }

  uint64_t deleted = 0;
  std::vector<std::string> failures;
  bool all_deadline = true;
  bool all_transient = true;
  for (size_t n = 0; n < nodes.size(); ++n) {
    // One line per node: its first failed selector says enough.
    for (size_t s = 0; s < selectors.size(); ++s) {
      const absl::StatusOr<uint64_t>& r = results[n * selectors.size() + s];
      if (r.ok()) {
        deleted += *r;
        continue;
      }
      const absl::StatusCode code = r.status().code();
      all_deadline &= code == absl::StatusCode::kDeadlineExceeded;
      all_transient &= code == absl::StatusCode::kDeadlineExceeded || code == absl::StatusCode::kUnavailable;
      failures.push_back(fmt::format("storage node {}: {}", nodes[n]->Name(), ToStd(r.status().message())));
      break;
    }
  }
  if (failures.empty()) return deleted;
  std::string message =
      fmt::format("delete_series failed on {} of {} storage nodes; the series may be deleted on some nodes only "
                  "and still be returned by queries: repeat the request once the nodes are healthy (deleting again "
                  "is safe); ",
                  failures.size(), nodes.size());
  for (size_t i = 0; i < failures.size(); ++i) {
    if (i > 0) message += "; ";
    message += failures[i];
  }
  if (all_deadline) return absl::DeadlineExceededError(message);
  if (all_transient) return absl::UnavailableError(message);
  return absl::InternalError(message);
}

}  // namespace strata::select
