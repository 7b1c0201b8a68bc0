// File: bench/load/exposition_parser.h
//
// A small parser for the Prometheus text exposition format (0.0.4), enough
// to read a real node_exporter scrape: `# TYPE` lines, sample lines
// `name{label="value",...} value [timestamp_ms]` with escaped label values
// (\\, \", \n), and NaN/+Inf/-Inf values. `# HELP` and other comments are
// skipped. The load generator uses it to seed its synthetic series; it is not
// on any server path.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "common/model/labels.h"

namespace strata::bench {

enum class MetricType { kUntyped, kCounter, kGauge, kSummary, kHistogram };

struct ExpositionSample {
  std::string name;
  // Without __name__, in the order written.
  std::vector<Label> labels;
  // The value exactly as written: its precision guides the generator.
  std::string value_text;
  double value = 0;
  std::optional<int64_t> timestamp_ms;
};

// One parsed scrape. Thread-compatible.
struct Exposition {
  std::vector<ExpositionSample> samples;
  // Declared `# TYPE` by family name.
  std::map<std::string, MetricType, std::less<>> types;

  // The declared type of the family `sample_name` belongs to: `x_sum`,
  // `x_count` and `x_bucket` resolve to a summary or histogram family `x`.
  // kUntyped when nothing was declared.
  MetricType TypeOf(std::string_view sample_name) const;
};

// Parses one sample line. InvalidArgument names the problem and the column.
absl::StatusOr<ExpositionSample> ParseSampleLine(std::string_view line);

// Parses a whole scrape; errors carry the 1-based line number.
absl::StatusOr<Exposition> ParseExposition(std::string_view text);

}  // namespace strata::bench
