// File: common/formats/otlp_names.h
//
// OpenTelemetry metric and attribute names -> Prometheus names, as
// Prometheus's OTLP receiver does by default (translation strategy
// "UnderscoreEscapingWithSuffixes", github.com/prometheus/otlptranslator):
//
//   metric  http.server.request.duration, unit "s", histogram
//           -> http_server_request_duration_seconds
//           Characters outside [a-zA-Z0-9:] split the name into words joined
//           by one `_`; the unit becomes a suffix (UCUM "s" -> "seconds",
//           "By/s" -> "bytes_per_second", "{requests}" and "1" -> nothing)
//           unless the name already has that word; monotonic sums end in
//           `_total`, gauges with unit "1" in `_ratio`; a leading digit
//           gets a `_` prefix.
//   label   http.method -> http_method; 123 -> key_123; _x -> key_x;
//           __x stays. Every character outside [a-zA-Z0-9_] becomes `_`.
//
// Pure functions of their arguments; thread-safe.
#pragma once

#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace strata {

// The OTLP metric kinds that name building distinguishes.
enum class OtlpMetricKind {
  kGauge,
  kMonotonicSum,     // a counter: `_total`
  kNonMonotonicSum,  // stored as a gauge, no `_total`
  kHistogram,
  kExponentialHistogram,
  kSummary,
};

// The Prometheus metric family name (before `_bucket`/`_sum`/`_count`).
// InvalidArgument when nothing usable is left (empty, or only underscores).
absl::StatusOr<std::string> OtlpMetricName(std::string_view name, std::string_view unit, OtlpMetricKind kind);

// The Prometheus label name for an attribute key. InvalidArgument for an
// empty key or one that becomes only underscores.
absl::StatusOr<std::string> OtlpLabelName(std::string_view key);

}  // namespace strata
