// File: insert/ingest/ingest_metrics.h
//
// The self-metrics every ingest handler exports, per protocol:
// strata_insert_requests_total{protocol,result} and the protocol-independent
// strata_insert_samples_total (families are shared: the registry merges
// them by name).
#pragma once

#include <cstddef>
#include <string_view>

namespace prometheus {
class Registry;
class Counter;
}  // namespace prometheus

namespace strata::insert {

// Thread-safe (prometheus-cpp counters are atomic).
class IngestMetrics {
 public:
  // `registry` may be null: then every call is a no-op. `ok_status` is the
  // protocol's success code (204 remote_write, 200 OTLP).
  IngestMetrics(prometheus::Registry* registry, std::string_view protocol, int ok_status);

  // Counts a finished request by its HTTP status.
  void CountRequest(int http_status);
  // Counts samples acknowledged by the storage nodes.
  void CountSamples(size_t samples);

 private:
  int ok_status_;
  prometheus::Counter* ok_ = nullptr;
  prometheus::Counter* bad_ = nullptr;
  prometheus::Counter* overloaded_ = nullptr;
  prometheus::Counter* unavailable_ = nullptr;
  prometheus::Counter* error_ = nullptr;
  prometheus::Counter* samples_ = nullptr;
};

}  // namespace strata::insert
