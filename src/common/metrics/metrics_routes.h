// File: common/metrics/metrics_routes.h
//
// The endpoints every Strata role serves on its HTTP port:
//   /metrics  self-metrics in the Prometheus text format (the role's
//             prometheus-cpp registry plus process_* metrics from /proc)
//   /health   200 "OK" while the process runs
//   /ready    200 when the role can serve traffic, 503 otherwise
#pragma once

#include <functional>
#include <memory>

#include "common/net/http.h"

namespace prometheus {
class Registry;
}

namespace strata {

// Registers /metrics, /health and /ready on `mux`. `registry` is shared with
// the components that export metrics; `ready` is called per /ready request;
// `before_scrape` (may be empty) per /metrics request, before the registry
// is read, to set gauges that are sampled rather than kept up to date.
void RegisterStandardRoutes(HttpMux& mux, std::shared_ptr<prometheus::Registry> registry,
                            std::function<bool()> ready, std::function<void()> before_scrape = {});

// process_cpu_seconds_total, process_resident_memory_bytes,
// process_open_fds, process_start_time_seconds in text format.
std::string ProcessMetricsText();

}  // namespace strata
