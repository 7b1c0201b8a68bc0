#include "select/server/concurrency_limiter.h"

#include <thread>

#include <catch2/catch.hpp>

namespace strata::select {
namespace {

using namespace std::chrono_literals;

TEST_CASE("a query beyond the concurrency limit is refused after the queue wait", "[select][limits]") {
  ConcurrencyLimiter limiter(1, 50ms);
  REQUIRE(limiter.Acquire());
  const auto started = std::chrono::steady_clock::now();
  CHECK_FALSE(limiter.Acquire());
  CHECK(std::chrono::steady_clock::now() - started >= 50ms);
  limiter.Release();
  CHECK(limiter.Acquire());
  limiter.Release();
  CHECK(limiter.in_flight() == 0);
}

TEST_CASE("a queued query runs as soon as a running one finishes", "[select][limits]") {
  ConcurrencyLimiter limiter(1, 10s);
  REQUIRE(limiter.Acquire());
  std::thread finisher([&] {
    std::this_thread::sleep_for(20ms);
    limiter.Release();
  });
  {
    ConcurrencySlot slot(limiter);
    CHECK(slot.acquired());
    CHECK(limiter.in_flight() == 1);
  }
  finisher.join();
  CHECK(limiter.in_flight() == 0);
}

TEST_CASE("a limit of zero admits every query", "[select][limits]") {
  ConcurrencyLimiter limiter(0, 0ms);
  for (int i = 0; i < 100; ++i) REQUIRE(limiter.Acquire());
  CHECK(limiter.in_flight() == 100);
}

}  // namespace
}  // namespace strata::select
