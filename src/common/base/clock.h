// File: common/base/clock.h
//
// Wall-clock time in Prometheus units (milliseconds since the Unix epoch).
#pragma once

#include <chrono>
#include <cstdint>

namespace strata {

inline int64_t NowUnixMillis() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace strata
