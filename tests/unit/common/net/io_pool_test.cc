#include "common/net/io_pool.h"

#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <catch2/catch.hpp>
#include <chrono>
#include <set>
#include <thread>

#include "absl/synchronization/notification.h"

namespace strata {
namespace {

TEST_CASE("io pool runs posted handlers on its own threads and stops cleanly", "[common][net][unit]") {
  IoPool io(2);
  std::atomic<int> ran{0};
  std::atomic<int> on_caller_thread{0};
  const auto caller = std::this_thread::get_id();
  absl::Notification all_done;
  for (int i = 0; i < 100; ++i) {
    // No Catch assertions here: Catch is not thread-safe.
    boost::asio::post(io.context(), [&] {
      if (std::this_thread::get_id() == caller) ++on_caller_thread;
      if (++ran == 100) all_done.Notify();
    });
  }
  REQUIRE(all_done.WaitForNotificationWithTimeout(absl::Seconds(10)));
  CHECK(ran == 100);
  CHECK(on_caller_thread == 0);
  io.Stop();
  io.Stop();  // idempotent
}

TEST_CASE("io pool keeps running while idle", "[common][net][unit]") {
  IoPool io(1);
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  absl::Notification done;
  boost::asio::post(io.context(), [&] { done.Notify(); });
  CHECK(done.WaitForNotificationWithTimeout(absl::Seconds(10)));
}

TEST_CASE("work pool runs move-only tasks in parallel and drains on destruction", "[common][net][unit]") {
  std::atomic<int> sum{0};
  std::set<std::thread::id> ids;
  std::mutex mu;
  {
    WorkPool work(3);
    for (int i = 1; i <= 50; ++i) {
      auto payload = std::make_unique<int>(i);
      work.Submit([&, p = std::move(payload)] {
        sum += *p;
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
        std::lock_guard<std::mutex> l(mu);
        ids.insert(std::this_thread::get_id());
      });
    }
  }
  CHECK(sum == 50 * 51 / 2);
  CHECK(ids.size() > 1);
  CHECK(ids.count(std::this_thread::get_id()) == 0);
}

}  // namespace
}  // namespace strata
