// File: common/net/io_pool.h
//
// The two thread pools of every Strata process (STYLE.md §5.2):
//   - IoPool: K network threads running one boost::asio::io_context. Only
//     non-blocking network code runs here.
//   - WorkPool: threads for CPU-heavy or blocking work (request decoding,
//     query evaluation, WAL appends). Handlers hop here from the network.
// Asio is forward-declared so that this header stays light.
#pragma once

#include <memory>
#include <thread>
#include <vector>

#include "absl/functional/any_invocable.h"

namespace boost::asio {
class io_context;
class thread_pool;
}  // namespace boost::asio

namespace strata {

// Owns an io_context and the threads that run it. Thread-safe.
class IoPool {
 public:
  explicit IoPool(int threads);
  ~IoPool();  // Stop() + join
  IoPool(const IoPool&) = delete;
  IoPool& operator=(const IoPool&) = delete;

  boost::asio::io_context& context() { return *context_; }
  // Stops the io_context and joins the threads. Idempotent.
  void Stop();

 private:
  std::unique_ptr<boost::asio::io_context> context_;
  std::vector<std::thread> threads_;
};

// A fixed pool of worker threads. Thread-safe.
class WorkPool {
 public:
  explicit WorkPool(int threads);
  ~WorkPool();  // waits for queued work, then joins
  WorkPool(const WorkPool&) = delete;
  WorkPool& operator=(const WorkPool&) = delete;

  void Submit(absl::AnyInvocable<void()> task);
  boost::asio::thread_pool& pool() { return *pool_; }

 private:
  std::unique_ptr<boost::asio::thread_pool> pool_;
};

}  // namespace strata
