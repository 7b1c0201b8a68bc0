// File: common/model/metric_type.h
//
// The names of remote_write's MetricType numbers, as Prometheus's
// /api/v1/metadata prints them (model/textparse MetricType strings).
#pragma once

#include <cstdint>
#include <string_view>

namespace strata {

// 0 UNKNOWN .. 7 STATESET; numbers outside the enum read "unknown".
inline std::string_view MetricTypeName(uint32_t type) {
  switch (type) {
    case 1: return "counter";
    case 2: return "gauge";
    case 3: return "histogram";
    case 4: return "gaugehistogram";
    case 5: return "summary";
    case 6: return "info";
    case 7: return "stateset";
    default: return "unknown";
  }
}

}  // namespace strata
