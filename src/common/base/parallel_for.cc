#include "common/base/parallel_for.h"

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

namespace strata {
namespace {

// Threads that run posted tasks for the life of the process. Never
// destroyed: pool threads may still be finishing a task while static
// destructors run at exit.
class WorkerPool {
 public:
  explicit WorkerPool(size_t threads) {
    for (size_t i = 0; i < threads; ++i) std::thread([this] { Run(); }).detach();
  }

  void Post(std::function<void()> task) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      tasks_.push_back(std::move(task));
    }
    ready_.notify_one();
  }

 private:
  void Run() {
    for (;;) {
      std::function<void()> task;
      {
        std::unique_lock<std::mutex> lock(mu_);
        ready_.wait(lock, [this] { return !tasks_.empty(); });
        task = std::move(tasks_.front());
        tasks_.pop_front();
      }
      task();
    }
  }

  std::mutex mu_;
  std::condition_variable ready_;
  std::deque<std::function<void()>> tasks_;  // guarded by mu_
};

// One ParallelFor call. Shared with the pool tasks, which may start after
// the call has returned: they then find no range left and never touch fn.
struct Job {
  Job(absl::FunctionRef<void(size_t, size_t)> f, size_t count, size_t range_len)
      : fn(f), n(count), grain(range_len), ranges((count + range_len - 1) / range_len) {}

  absl::FunctionRef<void(size_t, size_t)> fn;
  const size_t n;
  const size_t grain;
  const size_t ranges;
  std::atomic<size_t> next{0};
  std::atomic<size_t> done{0};
  std::mutex mu;
  std::condition_variable all_done;
};

void RunRanges(Job& job) {
  size_t ran = 0;
  for (;;) {
    const size_t r = job.next.fetch_add(1, std::memory_order_relaxed);
    if (r >= job.ranges) break;
    const size_t begin = r * job.grain;
    job.fn(begin, std::min(job.n, begin + job.grain));
    ++ran;
  }
  if (ran == 0) return;
  if (job.done.fetch_add(ran, std::memory_order_acq_rel) + ran == job.ranges) {
    // Taking the lock orders this notify after the waiter's predicate check.
    { std::lock_guard<std::mutex> lock(job.mu); }
    job.all_done.notify_all();
  }
}

WorkerPool& Pool() {
  static auto* pool = new WorkerPool(ParallelForThreads() - 1);
  return *pool;
}

}  // namespace

size_t ParallelForThreads() {
  static const size_t threads = std::max(1u, std::thread::hardware_concurrency());
  return threads;
}

void ParallelFor(size_t n, size_t min_grain, absl::FunctionRef<void(size_t begin, size_t end)> fn) {
  const size_t threads = ParallelForThreads();
  min_grain = std::max<size_t>(min_grain, 1);
  if (n <= min_grain || threads == 1) {
    if (n > 0) fn(0, n);
    return;
  }
  // A few ranges per thread, so that one slow range (a long series) does
  // not leave the other threads idle at the end.
  const size_t grain = std::max(min_grain, (n + threads * 4 - 1) / (threads * 4));
  auto job = std::make_shared<Job>(fn, n, grain);
  const size_t helpers = std::min(threads - 1, job->ranges - 1);
  for (size_t i = 0; i < helpers; ++i) Pool().Post([job] { RunRanges(*job); });
  RunRanges(*job);
  std::unique_lock<std::mutex> lock(job->mu);
  job->all_done.wait(lock, [&] { return job->done.load(std::memory_order_acquire) == job->ranges; });
}

}  // namespace strata
