// File: common/formats/otlp_metrics.h
//
// OTLP metrics (an ExportMetricsServiceRequest in protobuf) -> Prometheus
// series, the way Prometheus's OTLP receiver converts them (storage/remote/
// otlptranslator/prometheusremotewrite, default settings):
//
//   gauge                      one series per point, name from OtlpMetricName
//   sum, cumulative monotonic  a counter: name ends in `_total`
//   sum, cumulative other      a gauge
//   histogram, cumulative      classic: `_bucket{le}` (cumulative counts,
//                              le="+Inf" = count), `_count`, `_sum` (when set)
//   summary                    `{quantile}` series, `_count`, `_sum`
//   delta sums / histograms    rejected (Prometheus without its delta feature
//                              flags does the same)
//   exponential histograms     rejected: Strata has no native histograms yet
//
// Labels: the point's attributes (names by OtlpLabelName; keys that collide
// after sanitising are joined with ';' in key order), `job` =
// [service.namespace "/"] service.name, `instance` = service.instance.id.
// Other resource attributes go to one `target_info` series per resource
// (value 1, every 150 s from the resource's earliest to its latest point),
// as Prometheus does. Scope name/version are not labels (Prometheus's
// default). Points flagged NO_RECORDED_VALUE become stale markers.
// Timestamps: time_unix_nano in ms; 0 means "now" (the caller's clock).
//
// Pure: no I/O, no globals; the handler and the fuzzers share it.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "common/model/labels.h"
#include "common/model/sample.h"

namespace strata {

// Why OTLP data points were not converted.
enum class OtlpRejectReason {
  kDeltaTemporality,      // delta (or unspecified) sums and histograms
  kExponentialHistogram,  // native histograms are not supported
  kInvalidMetricName,     // the name normalizes to nothing
  kInvalidLabels,         // e.g. invalid UTF-8, an unusable attribute key
  kUnsupportedType,       // a metric with no data field set
};
inline constexpr size_t kOtlpRejectReasonCount = 5;

// The reason's label value, e.g. "delta_temporality".
std::string_view OtlpRejectReasonName(OtlpRejectReason reason);

// One converted series: labels sorted by name and validated
// (ValidateAndSortLabels), samples sorted by timestamp, one per timestamp.
struct OtlpSeries {
  std::vector<Label> labels;
  std::vector<Sample> samples;
};

struct OtlpConversion {
  std::vector<OtlpSeries> series;
  // OTLP data points converted and rejected (a histogram point is one point
  // however many series it becomes); target_info is not counted.
  int64_t points_accepted = 0;
  int64_t points_rejected = 0;
  std::array<int64_t, kOtlpRejectReasonCount> rejected_by_reason{};
  // The first problem, for the reply; empty when there was none.
  std::string first_problem;
};

struct OtlpConvertOptions {
  // Timestamp given to points whose time_unix_nano is 0.
  int64_t now_ms = 0;
};

// Parses and converts an ExportMetricsServiceRequest. InvalidArgument when
// the bytes are not a valid message (nothing is converted then); problems
// with single metrics or points are reported in the result instead.
absl::StatusOr<OtlpConversion> ConvertOtlpMetrics(std::string_view protobuf, const OtlpConvertOptions& options);

// The protobuf ExportMetricsServiceResponse: empty when nothing was
// rejected and there was no problem, else partial_success with the count
// of rejected points and the problem.
std::string EncodeOtlpMetricsResponse(int64_t rejected_points, std::string_view error_message);

}  // namespace strata
