// File: select/api/export_format.h
//
// The byte formats of the raw-sample endpoints, as pure writers (no I/O):
//   - VictoriaMetrics' JSON lines of /api/v1/export (app/vmselect/prometheus
//     export.qtpl, ExportJSONLine): one object per line,
//       {"metric":{"__name__":"up","job":"a"},"values":[1,0.5],"timestamps":[1000,2000]}
//     values as quicktemplate writes float64s (AppendVmFloat), timestamps in
//     ms; a series longer than `max_rows_per_line` samples (> 0) is split
//     over several lines, as VM's exportHandler does;
//   - VictoriaMetrics' CSV of /api/v1/export/csv: one row per sample, the
//     columns named by the `format` argument;
//   - Prometheus's text exposition format 0.0.4 of /federate (web/federate.go
//     through common/expfmt): `# TYPE <name> untyped` before the samples of
//     each metric name, labels with empty values left out, `instance=""`
//     added when the series has no instance label (Prometheus's external
//     label default), value and ms timestamp.
//
// Stateless and thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "common/model/labels.h"
#include "common/model/sample.h"
#include "select/promql/querier.h"

namespace strata::select {

// quicktemplate's float64 (what VM's export writes): an integral value in
// int64 range as an integer ("3", "-0" as "0"), else Go's
// strconv.FormatFloat(v, 'g', -1, 64) ("0.5", "1.2345675e+06", "1e-07"),
// and "NaN", "+Inf", "-Inf" as bare words (VM writes them so; its importer
// reads them back).
void AppendVmFloat(double v, std::string* out);

// One or more JSON lines (each ending in '\n') for `series`; nothing for a
// series without samples. `max_rows_per_line` 0: one line per series.
void AppendExportJsonLines(const promql::SeriesSamples& series, size_t max_rows_per_line, std::string* out);

// One column of /api/v1/export/csv's `format`: `__name__`, `__value__`,
// `__timestamp__:<unix_s|unix_ms|unix_ns|rfc3339>`, or a label name.
struct CsvColumn {
  enum class Kind { kName, kValue, kTimestamp, kLabel };
  Kind kind = Kind::kLabel;
  std::string label;        // kLabel
  std::string time_format;  // kTimestamp
};

// Parses `format` (comma-separated columns); InvalidArgument with VM-like
// messages for an empty format or an unknown timestamp format.
absl::StatusOr<std::vector<CsvColumn>> ParseCsvFormat(std::string_view format);

// One CSV row per sample of `series` (RFC 4180 quoting where needed).
void AppendExportCsvRows(const promql::SeriesSamples& series, const std::vector<CsvColumn>& columns,
                         std::string* out);

// One series' newest sample for /federate.
struct FederatedSample {
  Labels labels;
  Sample sample;
};

// The exposition text of `samples` (any order): grouped by metric name in
// name order, series sorted by labels within a name; nameless series are
// left out, as Prometheus does.
std::string WriteFederateText(std::vector<FederatedSample> samples);

// The value spelling of the text format (expfmt's writeFloat): Go's
// FormatFloat(v, 'g', -1, 64), "+Inf", "-Inf", "NaN".
void AppendExpfmtFloat(double v, std::string* out);

}  // namespace strata::select
