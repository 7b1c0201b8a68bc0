#include "common/base/parallel_for.h"

#include <atomic>
#include <thread>
#include <vector>

#include <catch2/catch.hpp>

namespace strata {
namespace {

TEST_CASE("ParallelFor covers every index exactly once", "[base][unit]") {
  for (size_t n : {size_t{0}, size_t{1}, size_t{7}, size_t{64}, size_t{1000}, size_t{100003}}) {
    for (size_t grain : {size_t{1}, size_t{3}, size_t{256}}) {
      std::vector<std::atomic<int>> hits(n);
      ParallelFor(n, grain, [&](size_t begin, size_t end) {
        REQUIRE(begin < end);
        REQUIRE(end <= n);
        for (size_t i = begin; i < end; ++i) hits[i].fetch_add(1);
      });
      for (size_t i = 0; i < n; ++i) REQUIRE(hits[i].load() == 1);
    }
  }
}

TEST_CASE("ParallelFor finishes when called from many threads at once and from inside itself", "[base][unit]") {
  // Concurrent queries share the pool, and a parallel stage may run inside
  // another: the callers do the work themselves when the pool is busy.
  std::atomic<size_t> total{0};
  std::vector<std::thread> callers;
  for (int c = 0; c < 8; ++c) {
    callers.emplace_back([&] {
      for (int round = 0; round < 20; ++round) {
        ParallelFor(50, 1, [&](size_t begin, size_t end) {
          for (size_t i = begin; i < end; ++i) {
            ParallelFor(10, 1, [&](size_t b, size_t e) { total.fetch_add(e - b); });
          }
        });
      }
    });
  }
  for (std::thread& t : callers) t.join();
  REQUIRE(total.load() == size_t{8} * 20 * 50 * 10);
}

TEST_CASE("ParallelFor uses more than the calling thread when the machine has cores to spare", "[base][unit]") {
  if (ParallelForThreads() < 2) return;  // nothing to show on one core
  // Ranges that wait for each other can only all finish if two threads run
  // them at the same time.
  std::atomic<int> started{0};
  std::atomic<bool> overlapped{false};
  ParallelFor(2, 1, [&](size_t, size_t) {
    started.fetch_add(1);
    for (int spin = 0; spin < 2000 && started.load() < 2; ++spin) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    if (started.load() == 2) overlapped = true;
  });
  REQUIRE(overlapped.load());
}

}  // namespace
}  // namespace strata
