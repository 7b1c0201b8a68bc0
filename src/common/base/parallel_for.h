// File: common/base/parallel_for.h
//
// Data parallelism inside one request: a query that decodes 24 hours of
// 200 series, or evaluates rate() over them, can use every core instead of
// one. ParallelFor splits [0, n) into ranges and runs them on a process-wide
// pool of (cores - 1) threads AND on the calling thread.
//
// The caller claims ranges itself, and waits only for ranges already being
// run by other threads. So ParallelFor never waits on a queue: when every
// pool thread is busy with other requests the caller simply does all the
// work alone, as a sequential loop would, and nested or concurrent calls
// cannot deadlock.
#pragma once

#include <cstddef>

#include "absl/functional/function_ref.h"

namespace strata {

// Calls `fn(begin, end)` for consecutive ranges that together cover
// [0, n) exactly once, each range at least `min_grain` long (except a
// shorter last one). Ranges may run concurrently on different threads;
// returns when all have returned. With n <= min_grain, or on a one-core
// machine, it is a plain call of fn(0, n) on the calling thread.
// `fn` must not throw.
void ParallelFor(size_t n, size_t min_grain, absl::FunctionRef<void(size_t begin, size_t end)> fn);

// Threads that ParallelFor may use, the caller included (the core count).
size_t ParallelForThreads();

}  // namespace strata
