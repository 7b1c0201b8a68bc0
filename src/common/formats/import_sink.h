// File: common/formats/import_sink.h
//
// What the text import parsers of this folder (JSON lines, Prometheus text,
// CSV, Influx line protocol) hand out: each parser walks a whole request body
// and calls an ImportSink once per parsed series and once per bad line. The
// parsers know nothing of HTTP, tenants or storage, so the insert handlers,
// the fuzzers and stratactl can all drive them.
//
// Zero-copy: label views point into the body or into the parser's own
// scratch buffer, and the series' vectors are reused from call to call; both
// are valid only during the callback. No allocation per sample.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "common/model/labels.h"
#include "common/model/sample.h"

namespace strata::formats {

// One series of a body. Labels are as written (unsorted, not validated; the
// metric name is the `__name__` label); the sink may reorder them in place.
struct ParsedSeries {
  std::vector<LabelView> labels;
  std::vector<Sample> samples;
  // 1-based line of the body the series came from, for error messages.
  size_t line = 0;
};

// A line the parser could not use. The rest of the body is still parsed.
struct ParseError {
  size_t line = 0;      // 1-based
  std::string message;  // names the problem, e.g. `cannot parse value "x"`
};

// Metric types as numbered in remote_write's MetricMetadata (ECOSYSTEM.md §3.1).
enum class MetricType { kUnknown = 0, kCounter = 1, kGauge = 2, kHistogram = 3, kGaugeHistogram = 4,
                        kSummary = 5, kInfo = 6, kStateSet = 7 };

// One `# TYPE`, `# HELP` or `# UNIT` line of the Prometheus text format.
struct MetadataLine {
  enum class Kind { kType, kHelp, kUnit };
  Kind kind = Kind::kType;
  std::string_view family;  // the metric family name
  MetricType type = MetricType::kUnknown;  // kType only
  std::string_view text;    // kHelp (unescaped) and kUnit
};

// Receives what a parser finds, in body order. Implementations decide what to
// keep; the parser never stops early.
class ImportSink {
 public:
  virtual ~ImportSink() = default;
  virtual void OnSeries(ParsedSeries& series) = 0;
  virtual void OnError(ParseError error) = 0;
  virtual void OnMetadata(const MetadataLine& /*metadata*/) {}
  // A value the format allows but Strata cannot store (an Influx string
  // field): skipped, and reported here so that it can be counted.
  virtual void OnSkippedValue(size_t /*line*/, std::string_view /*reason*/) {}
};

}  // namespace strata::formats
