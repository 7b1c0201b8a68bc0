#include "common/net/io_pool.h"

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/thread_pool.hpp>
#include <exception>
#include <optional>

#include "common/base/check.h"
#include "common/base/logging.h"

namespace strata {

namespace asio = boost::asio;

namespace {

// Runs the io_context until it is stopped. A handler that throws would kill
// the thread; log and keep serving instead, because one bad request must not
// take the process's network down.
void RunIoThread(asio::io_context* context) {
  for (;;) {
    try {
      context->run();
      return;
    } catch (const std::exception& e) {
      STRATA_LOG(Error, "uncaught exception on a network thread: {}", e.what());
    } catch (...) {
      STRATA_LOG(Error, "uncaught non-standard exception on a network thread");
    }
  }
}

}  // namespace

struct IoPoolWorkGuard {
  explicit IoPoolWorkGuard(asio::io_context& c) : guard(asio::make_work_guard(c)) {}
  asio::executor_work_guard<asio::io_context::executor_type> guard;
};

IoPool::IoPool(int threads) : context_(std::make_unique<asio::io_context>(threads > 0 ? threads : 1)) {
  STRATA_CHECK(threads > 0);
  // The guard keeps run() from returning while the pool is idle; it is
  // released only by Stop(), which stops the context outright.
  auto guard = std::make_shared<IoPoolWorkGuard>(*context_);
  threads_.reserve(static_cast<size_t>(threads));
  for (int i = 0; i < threads; ++i) {
    threads_.emplace_back([ctx = context_.get(), guard] { RunIoThread(ctx); });
  }
}

IoPool::~IoPool() { Stop(); }

void IoPool::Stop() {
  context_->stop();
  for (std::thread& t : threads_) {
    if (!t.joinable()) continue;
    // Stop() from a network thread cannot join itself; that thread exits on
    // its own once run() returns.
    if (t.get_id() == std::this_thread::get_id()) {
      t.detach();
    } else {
      t.join();
    }
  }
  threads_.clear();
}

WorkPool::WorkPool(int threads)
    : pool_(std::make_unique<asio::thread_pool>(static_cast<std::size_t>(threads > 0 ? threads : 1))) {
  STRATA_CHECK(threads > 0);
}

WorkPool::~WorkPool() { pool_->join(); }

void WorkPool::Submit(absl::AnyInvocable<void()> task) {
  // asio handlers must be copy-constructible in 1.74; AnyInvocable is
  // move-only, so the task rides in a shared_ptr.
  auto shared = std::make_shared<absl::AnyInvocable<void()>>(std::move(task));
  asio::post(*pool_, [shared] {
    try {
      (*shared)();
    } catch (const std::exception& e) {
      STRATA_LOG(Error, "uncaught exception in a WorkPool task: {}", e.what());
    }
  });
}

}  // namespace strata
