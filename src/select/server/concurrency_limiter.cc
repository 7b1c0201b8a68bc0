#include "select/server/concurrency_limiter.h"

namespace strata::select {

bool ConcurrencyLimiter::Acquire() {
  absl::MutexLock lock(&mu_);
  if (limit_ <= 0) {
    ++in_flight_;
    return true;
  }
  auto has_slot = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return in_flight_ < limit_; };
  if (!mu_.AwaitWithTimeout(absl::Condition(&has_slot), absl::FromChrono(max_wait_))) return false;
  ++in_flight_;
  return true;
}

void ConcurrencyLimiter::Release() {
  absl::MutexLock lock(&mu_);
  --in_flight_;
}

int64_t ConcurrencyLimiter::in_flight() const {
  absl::MutexLock lock(&mu_);
  return in_flight_;
}

}  // namespace strata::select
