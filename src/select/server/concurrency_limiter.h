// File: select/server/concurrency_limiter.h
//
// Caps how many queries a select node evaluates at once
// (-search.maxConcurrentRequests), as VictoriaMetrics' vmselect does: a
// query beyond the cap waits up to -search.maxQueueDuration for a slot and
// is then refused with 503, so a burst of heavy dashboards queues instead of
// exhausting memory, and a client learns quickly that the node is saturated.
//
// Thread-safe.
#pragma once

#include <chrono>
#include <cstdint>

#include "absl/synchronization/mutex.h"

namespace strata::select {

class ConcurrencyLimiter {
 public:
  // `limit` <= 0 means no limit.
  ConcurrencyLimiter(int64_t limit, std::chrono::milliseconds max_wait) : limit_(limit), max_wait_(max_wait) {}

  // Takes a slot, waiting at most max_wait; false when none freed up.
  bool Acquire();
  void Release();

  int64_t in_flight() const;
  int64_t limit() const { return limit_; }
  std::chrono::milliseconds max_wait() const { return max_wait_; }

 private:
  const int64_t limit_;
  const std::chrono::milliseconds max_wait_;
  mutable absl::Mutex mu_;
  int64_t in_flight_ ABSL_GUARDED_BY(mu_) = 0;
};

// Holds a slot for its lifetime when `acquired()`.
class ConcurrencySlot {
 public:
  explicit ConcurrencySlot(ConcurrencyLimiter& limiter) : limiter_(limiter), acquired_(limiter.Acquire()) {}
  ~ConcurrencySlot() {
    if (acquired_) limiter_.Release();
  }
  ConcurrencySlot(const ConcurrencySlot&) = delete;
  ConcurrencySlot& operator=(const ConcurrencySlot&) = delete;

  bool acquired() const { return acquired_; }

 private:
  ConcurrencyLimiter& limiter_;
  const bool acquired_;
};

}  // namespace strata::select
