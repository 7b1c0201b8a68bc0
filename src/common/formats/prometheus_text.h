// File: common/formats/prometheus_text.h
//
// The Prometheus text exposition format (and the sample lines of OpenMetrics)
// as VictoriaMetrics' /api/v1/import/prometheus reads it:
//
//   # HELP http_requests_total The total number of HTTP requests.
//   # TYPE http_requests_total counter
//   http_requests_total{method="post",code="200"} 1027 1395066363000
//   up 1
//
// One series with one sample per line. A timestamp is optional; absent, the
// sample gets `default_timestamp_ms`. Like VictoriaMetrics, a timestamp in
// [-2^31, 2^31) is taken as OpenMetrics seconds (fractions allowed) and
// multiplied by 1000; larger ones are milliseconds. Label values unescape
// \\, \" and \n. Whatever follows a '#' after the value is dropped
// (OpenMetrics exemplars). `# TYPE`, `# HELP` and `# UNIT` lines go to
// ImportSink::OnMetadata; other comments and `# EOF` are skipped.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "common/formats/import_sink.h"

namespace strata::formats {

struct PrometheusTextOptions {
  // Timestamp of samples written without one (Unix ms).
  int64_t default_timestamp_ms = 0;
};

// Thread-compatible: one parser per thread; it reuses its buffers.
class PrometheusTextParser {
 public:
  void Parse(std::string_view body, const PrometheusTextOptions& options, ImportSink& sink);

 private:
  // Parses one sample line into series_; returns the problem or "".
  std::string ParseSample(std::string_view line, const PrometheusTextOptions& options);
  // Handles a line starting with '#'; returns the problem or "".
  std::string ParseComment(std::string_view line, ImportSink& sink);

  ParsedSeries series_;
  std::string scratch_;  // unescaped label values and HELP texts of one line
};

// The MetricType named by a `# TYPE` line, or nullopt for an unknown word.
std::optional<MetricType> ParseMetricType(std::string_view word);

}  // namespace strata::formats
