// File: select/fanout/call_all.h
//
// The wait every fan-out shares: start N asynchronous StorageApi calls (a
// call per node, or per node and selector), then block until all have
// answered or the deadline passed. A call still unanswered then counts as
// DeadlineExceeded; its answer, if it comes later, lands in state the
// callbacks share and is dropped. Callers decide what failures mean.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"

namespace strata::select {

// Callbacks may need a moment past the deadline to report it.
inline constexpr auto kFanoutDeadlineGrace = std::chrono::milliseconds(500);

// Calls `start(slot, done)` for slot 0..calls-1; `start` begins one call and
// hands `done` (invocable with absl::StatusOr<Result>, on any thread, once)
// to it. Returns the answers by slot; slots without an answer by
// `deadline` + kFanoutDeadlineGrace hold DeadlineExceeded(`missing`).
template <typename Result, typename Start>
std::vector<absl::StatusOr<Result>> CallAllAndWait(size_t calls, std::chrono::steady_clock::time_point deadline,
                                                   std::string_view missing, Start&& start) {
  struct State {
    absl::Mutex mu;
    size_t pending ABSL_GUARDED_BY(mu) = 0;
    std::vector<std::optional<absl::StatusOr<Result>>> results ABSL_GUARDED_BY(mu);
  };
  auto state = std::make_shared<State>();
  {
    absl::MutexLock lock(&state->mu);
    state->pending = calls;
    state->results.resize(calls);
  }
  for (size_t slot = 0; slot < calls; ++slot) {
    start(slot, [state, slot](absl::StatusOr<Result> r) {
      absl::MutexLock lock(&state->mu);
      state->results[slot] = std::move(r);
      --state->pending;
    });
  }
  std::vector<absl::StatusOr<Result>> results;
  results.reserve(calls);
  absl::MutexLock lock(&state->mu);
  auto done = [&state]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(state->mu) { return state->pending == 0; };
  state->mu.AwaitWithTimeout(absl::Condition(&done),
                             absl::FromChrono(deadline + kFanoutDeadlineGrace - std::chrono::steady_clock::now()));
  for (auto& r : state->results) {
    results.push_back(r.has_value() ? std::move(*r)
                                    : absl::StatusOr<Result>(absl::DeadlineExceededError(std::string(missing))));
  }
  return results;
}

}  // namespace strata::select
