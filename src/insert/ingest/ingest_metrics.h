// File: insert/ingest/ingest_metrics.h
//
// The counters every ingest handler exports, labelled by protocol where the
// family has a protocol label:
//   strata_insert_requests_total{protocol,result}   by HTTP outcome
//   strata_insert_samples_total                     samples stored on every replica
//   strata_insert_series_rejected_total{reason}     series, lines or OTLP data
//                                                   points not stored
//   strata_insert_rejected_samples_total{reason}    samples of the series
//                                                   rejected for invalid labels
//                                                   or an ingest limit
//                                                   (ingest_limits.h)
// Families are shared between handlers through the registry (same name, same
// help: prometheus-cpp merges them).
#pragma once

#include <cstddef>
#include <string_view>

#include "absl/status/status.h"

namespace prometheus {
class Registry;
class Counter;
template <typename T>
class Family;
}  // namespace prometheus

namespace strata::insert {

// Thread-safe (prometheus-cpp counters are atomic). With a null registry
// every method does nothing.
class IngestMetrics {
 public:
  IngestMetrics(prometheus::Registry* registry, std::string_view protocol);

  // Counts a finished request by its HTTP status.
  void CountRequest(int http_status);
  // Counts a series rejected by ValidateAndSortLabels (reason from its
  // message), with its `samples`.
  void CountInvalidSeries(const absl::Status& status, size_t samples);
  // Counts `count` rejected lines, values or points under `reason` (e.g.
  // "parse_error", "delta_temporality").
  void CountRejected(std::string_view reason, size_t count = 1);
  void AddSamples(size_t samples);
  // Counts one series rejected under `reason` (an ingest limit's), with its
  // `samples`.
  void CountRejectedSeries(std::string_view reason, size_t samples);

 private:
  prometheus::Family<prometheus::Counter>* rejected_ = nullptr;
  prometheus::Family<prometheus::Counter>* rejected_samples_ = nullptr;
  prometheus::Counter* requests_ok_ = nullptr;
  prometheus::Counter* requests_bad_ = nullptr;
  prometheus::Counter* requests_overloaded_ = nullptr;
  prometheus::Counter* requests_unavailable_ = nullptr;
  prometheus::Counter* requests_error_ = nullptr;
  prometheus::Counter* samples_ = nullptr;
};

// HTTP status of a Router outcome (204 for OK).
int HttpStatusOf(const absl::Status& status);

}  // namespace strata::insert
