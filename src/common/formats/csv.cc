#include "common/formats/csv.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <utility>

#include <fmt/format.h>

#include "common/base/status.h"
#include "common/formats/go_time_layout.h"
#include "common/formats/parse_util.h"

namespace strata::formats {
namespace {

// VictoriaMetrics' cap on the column positions of a format.
constexpr int64_t kMaxColumns = 64 * 1024;

absl::StatusOr<int64_t> ParseTime(const CsvFormat::Column& c, std::string_view s) {
  using TF = CsvFormat::TimeFormat;
  if (c.time_format == TF::kRfc3339) {
    if (std::optional<int64_t> ms = ParseRfc3339Ms(s)) return *ms;
    return absl::InvalidArgumentError(fmt::format("cannot parse \"{}\" as an RFC 3339 time", s));
  }
  if (c.time_format == TF::kCustom) return ParseGoTime(c.layout, s);
  std::optional<int64_t> n = ParseInt64(s);
  if (!n.has_value()) {
    // Fractional Unix times are common in CSV exports.
    std::optional<double> f = ParseFloat(s);
    if (!f.has_value() || !std::isfinite(*f)) {
      return absl::InvalidArgumentError(fmt::format("cannot parse \"{}\" as a Unix timestamp", s));
    }
    double scale = c.time_format == TF::kUnixS ? 1e3 : c.time_format == TF::kUnixMs ? 1 : 1e-6;
    // The range is checked after scaling: converting a double outside int64
    // is undefined behaviour (`5e17` seconds; found by tests/fuzz/csv_fuzz.cc).
    double ms = *f * scale;
    if (ms > 9.2e18 || ms < -9.2e18) {
      return absl::InvalidArgumentError(fmt::format("Unix timestamp \"{}\" is too big", s));
    }
    return static_cast<int64_t>(ms);
  }
  switch (c.time_format) {
    case TF::kUnixS:
      if (*n > INT64_MAX / 1000 || *n < INT64_MIN / 1000) {
        return absl::InvalidArgumentError(fmt::format("Unix timestamp {} s is too big", *n));
      }
      return *n * 1000;
    case TF::kUnixNs: return *n / 1000000;
    default: return *n;
  }
}

}  // namespace

absl::StatusOr<CsvFormat> CsvFormat::Parse(std::string_view format) {
  CsvFormat out;
  bool has_metric = false, has_time = false;
  size_t entry_no = 0;
  while (!format.empty()) {
    ++entry_no;
    size_t comma = format.find(',');
    std::string_view entry = format.substr(0, comma);
    format = comma == std::string_view::npos ? std::string_view() : format.substr(comma + 1);
    size_t c1 = entry.find(':');
    size_t c2 = c1 == std::string_view::npos ? c1 : entry.find(':', c1 + 1);
    if (c2 == std::string_view::npos) {
      return absl::InvalidArgumentError(fmt::format(
          "format entry #{} \"{}\" must have the form <column_pos>:<column_type>:<context>", entry_no, entry));
    }
    std::optional<int64_t> pos = ParseInt64(entry.substr(0, c1));
    if (!pos.has_value() || *pos < 1 || *pos > kMaxColumns) {
      return absl::InvalidArgumentError(
          fmt::format("format entry #{} \"{}\": <column_pos> must be a number from 1 to {}", entry_no, entry, kMaxColumns));
    }
    std::string_view type = entry.substr(c1 + 1, c2 - c1 - 1);
    std::string_view context = entry.substr(c2 + 1);
    Column col;
    if (type == "metric" || type == "label") {
      if (context.empty()) {
        return absl::InvalidArgumentError(fmt::format("format entry #{} \"{}\": empty {} name", entry_no, entry, type));
      }
      col.kind = type == "metric" ? Kind::kMetric : Kind::kLabel;
      col.name = std::string(context);
      has_metric = has_metric || col.kind == Kind::kMetric;
    } else if (type == "time") {
      if (has_time) return absl::InvalidArgumentError(fmt::format("format entry #{} \"{}\": a second time column", entry_no, entry));
      has_time = true;
      col.kind = Kind::kTime;
      if (context == "unix_s") {
        col.time_format = TimeFormat::kUnixS;
      } else if (context == "unix_ms") {
        col.time_format = TimeFormat::kUnixMs;
      } else if (context == "unix_ns") {
        col.time_format = TimeFormat::kUnixNs;
      } else if (context == "rfc3339") {
        col.time_format = TimeFormat::kRfc3339;
      } else if (context.substr(0, 7) == "custom:" && context.size() > 7) {
        col.time_format = TimeFormat::kCustom;
        col.layout = std::string(context.substr(7));
      } else {
        return absl::InvalidArgumentError(fmt::format(
            "format entry #{} \"{}\": unknown time format \"{}\"; supported: unix_s, unix_ms, unix_ns, rfc3339, custom:<layout>",
            entry_no, entry, context));
      }
    } else {
      return absl::InvalidArgumentError(fmt::format(
          "format entry #{} \"{}\": unknown column type \"{}\"; supported: metric, label, time", entry_no, entry, type));
    }
    size_t index = static_cast<size_t>(*pos - 1);
    if (out.columns.size() <= index) out.columns.resize(index + 1);
    if (out.columns[index].kind != Kind::kIgnore) {
      return absl::InvalidArgumentError(fmt::format("format entry #{} \"{}\": column {} is named twice", entry_no, entry, *pos));
    }
    out.columns[index] = std::move(col);
  }
  if (!has_metric) return absl::InvalidArgumentError("format has no `metric` column");
  return out;
}

std::string CsvParser::SplitFields(std::string_view line) {
  fields_.clear();
  std::string_view s = line;
  for (;;) {
    if (!s.empty() && s[0] == '"') {
      size_t start = scratch_.size();
      size_t i = 1;
      for (;;) {
        size_t q = s.find('"', i);
        if (q == std::string_view::npos) return "missing closing quote";
        scratch_.append(s.substr(i, q - i));
        if (q + 1 < s.size() && s[q + 1] == '"') {  // "" is a quote
          scratch_.push_back('"');
          i = q + 2;
          continue;
        }
        s.remove_prefix(q + 1);
        break;
      }
      fields_.push_back(std::string_view(scratch_).substr(start));
      if (s.empty()) return {};
      if (s[0] != ',') return "missing comma after a quoted field";
      s.remove_prefix(1);
      continue;
    }
    size_t comma = s.find(',');
    fields_.push_back(s.substr(0, comma));
    if (comma == std::string_view::npos) return {};
    s.remove_prefix(comma + 1);
  }
}

void CsvParser::Parse(std::string_view body, const CsvFormat& format, const CsvOptions& options, ImportSink& sink) {
  LineReader lines(body);
  std::string_view line;
  while (lines.Next(&line)) {
    if (line.empty()) continue;
    size_t line_no = lines.line_number();
    scratch_.clear();
    scratch_.reserve(line.size());  // fields_ views must survive appends
    if (std::string problem = SplitFields(line); !problem.empty()) {
      sink.OnError({line_no, std::move(problem)});
      continue;
    }
    values_.clear();
    row_labels_.clear();
    int64_t ts = options.default_timestamp_ms;
    std::string problem;
    size_t used = std::min(fields_.size(), format.columns.size());
    for (size_t i = 0; i < used && problem.empty(); ++i) {
      const CsvFormat::Column& c = format.columns[i];
      std::string_view field = fields_[i];
      switch (c.kind) {
        case CsvFormat::Kind::kIgnore: break;
        case CsvFormat::Kind::kLabel: row_labels_.push_back({c.name, field}); break;
        case CsvFormat::Kind::kTime: {
          absl::StatusOr<int64_t> t = ParseTime(c, field);
          if (t.ok()) {
            ts = *t;
          } else {
            problem = fmt::format("column {}: {}", i + 1, ToStd(t.status().message()));
          }
          break;
        }
        case CsvFormat::Kind::kMetric: {
          if (field.empty()) break;  // no value in this row
          std::optional<double> v = ParseFloat(field);
          if (v.has_value()) {
            values_.push_back({c.name, *v});
          } else {
            problem = fmt::format("column {}: cannot parse value \"{}\" of metric \"{}\"", i + 1, field, c.name);
          }
          break;
        }
      }
    }
    if (problem.empty() && values_.empty()) {
      problem = fields_.size() < format.columns.size()
                    ? fmt::format("the row has {} columns, the format names {}", fields_.size(), format.columns.size())
                    : std::string("the row has no metric value");
    }
    if (!problem.empty()) {
      sink.OnError({line_no, std::move(problem)});
      continue;
    }
    for (const Value& v : values_) {
      series_.labels.clear();
      series_.labels.push_back({kMetricNameLabel, v.metric});
      series_.labels.insert(series_.labels.end(), row_labels_.begin(), row_labels_.end());
      series_.samples.clear();
      series_.samples.push_back({ts, v.value});
      series_.line = line_no;
      sink.OnSeries(series_);
    }
  }
}

}  // namespace strata::formats
