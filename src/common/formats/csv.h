// File: common/formats/csv.h
//
// VictoriaMetrics' CSV import (/api/v1/import/csv?format=...; ECOSYSTEM.md
// §4.6). The `format` argument says what each column holds:
//
//   format=2:metric:ask,3:metric:bid,1:label:ticker,4:label:market,5:time:unix_s
//
// Entries are <column>:<type>:<context>, columns numbered from 1, types
// `metric` (the column is a value of metric <context>), `label` (the column
// is the value of label <context>) and `time` (the timestamp, <context> one
// of unix_s, unix_ms, unix_ns, rfc3339, custom:<Go layout>). At least one
// metric column, at most one time column. Columns not in the format are
// ignored.
//
// Each row yields one series per non-empty metric column, all sharing the
// row's labels and timestamp (default_timestamp_ms without a time column).
// Fields may be double-quoted with "" as an escaped quote. A row is rejected
// (ParseError) for a bad timestamp, a bad number, a broken quote, or fewer
// columns than the format names with no metric found.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "common/formats/import_sink.h"

namespace strata::formats {

// A parsed `format` argument. Immutable; thread-safe.
struct CsvFormat {
  enum class Kind { kIgnore, kMetric, kLabel, kTime };
  enum class TimeFormat { kUnixS, kUnixMs, kUnixNs, kRfc3339, kCustom };
  struct Column {
    Kind kind = Kind::kIgnore;
    std::string name;  // metric or label name
    TimeFormat time_format = TimeFormat::kUnixMs;
    std::string layout;  // kCustom
  };
  // Indexed by column position - 1; up to the last column named.
  std::vector<Column> columns;

  // InvalidArgument naming the bad entry.
  static absl::StatusOr<CsvFormat> Parse(std::string_view format);
};

struct CsvOptions {
  int64_t default_timestamp_ms = 0;
};

// Thread-compatible: one parser per thread; it reuses its buffers.
class CsvParser {
 public:
  void Parse(std::string_view body, const CsvFormat& format, const CsvOptions& options, ImportSink& sink);

 private:
  struct Value {
    std::string_view metric;
    double value;
  };
  // Splits `line` into fields_ (unquoting into scratch_); returns the problem or "".
  std::string SplitFields(std::string_view line);

  std::vector<std::string_view> fields_;
  std::vector<Value> values_;
  std::vector<LabelView> row_labels_;
  std::string scratch_;
  ParsedSeries series_;
};

}  // namespace strata::formats
