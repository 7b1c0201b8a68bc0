#include "select/api/export_format.h"

#include <algorithm>
#include <cmath>
#include <ctime>

#include <fmt/format.h>

#include "select/api/json_writer.h"
#include "select/promql/go_format.h"

namespace strata::select {
namespace {

constexpr std::string_view kMetricName = "__name__";

// 2^63 as a double: the first value whose int64 conversion overflows.
constexpr double kTwoTo63 = 9223372036854775808.0;

// Go's time.Format(time.RFC3339) of a UTC time: seconds precision.
void AppendRfc3339(int64_t ms, std::string* out) {
  const int64_t secs = ms >= 0 ? ms / 1000 : -((-ms + 999) / 1000);
  const std::time_t t = static_cast<std::time_t>(secs);
  std::tm tm{};
  ::gmtime_r(&t, &tm);
  fmt::format_to(std::back_inserter(*out), "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z", tm.tm_year + 1900,
                 tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

// A CSV field, quoted when it holds a comma, a quote or a line break.
void AppendCsvField(std::string_view s, std::string* out) {
  if (s.find_first_of(",\"\r\n") == std::string_view::npos) {
    out->append(s);
    return;
  }
  out->push_back('"');
  for (char c : s) {
    if (c == '"') out->push_back('"');
    out->push_back(c);
  }
  out->push_back('"');
}

// expfmt's label value escaping: backslash, double quote and newline.
void AppendExpfmtLabelValue(std::string_view s, std::string* out) {
  for (char c : s) {
    if (c == '\\') {
      out->append("\\\\");
    } else if (c == '"') {
      out->append("\\\"");
    } else if (c == '\n') {
      out->append("\\n");
    } else {
      out->push_back(c);
    }
  }
}

}  // namespace

void AppendVmFloat(double v, std::string* out) {
  // quicktemplate's fast path: a float equal to its int conversion is
  // written as that int.
  if (v > -kTwoTo63 && v < kTwoTo63 && v == std::trunc(v)) {
    fmt::format_to(std::back_inserter(*out), "{}", static_cast<int64_t>(v));
    return;
  }
  out->append(promql::GoFormatG(v));
}

void AppendExpfmtFloat(double v, std::string* out) { out->append(promql::GoFormatG(v)); }

void AppendExportJsonLines(const promql::SeriesSamples& series, size_t max_rows_per_line, std::string* out) {
  const std::vector<Sample>& samples = series.samples;
  const size_t per_line = max_rows_per_line == 0 ? samples.size() : max_rows_per_line;
  for (size_t begin = 0; begin < samples.size(); begin += per_line) {
    const size_t end = std::min(samples.size(), begin + per_line);
    out->append("{\"metric\":");
    AppendLabelsJson(series.labels, out);
    out->append(",\"values\":[");
    for (size_t i = begin; i < end; ++i) {
      if (i > begin) out->push_back(',');
      AppendVmFloat(samples[i].value, out);
    }
    out->append("],\"timestamps\":[");
    for (size_t i = begin; i < end; ++i) {
      if (i > begin) out->push_back(',');
      fmt::format_to(std::back_inserter(*out), "{}", samples[i].timestamp_ms);
    }
    out->append("]}\n");
  }
}

absl::StatusOr<std::vector<CsvColumn>> ParseCsvFormat(std::string_view format) {
  if (format.empty()) return absl::InvalidArgumentError("missing `format` arg");
  std::vector<CsvColumn> columns;
  size_t pos = 0;
  while (pos <= format.size()) {
    const size_t comma = std::min(format.find(',', pos), format.size());
    const std::string_view item = format.substr(pos, comma - pos);
    pos = comma + 1;
    CsvColumn c;
    if (item == "__name__") {
      c.kind = CsvColumn::Kind::kName;
    } else if (item == "__value__") {
      c.kind = CsvColumn::Kind::kValue;
    } else if (item.starts_with("__timestamp__")) {
      c.kind = CsvColumn::Kind::kTimestamp;
      std::string_view tf = item.substr(std::string_view("__timestamp__").size());
      if (tf.empty()) {
        tf = "unix_ms";
      } else if (tf[0] == ':') {
        tf.remove_prefix(1);
      } else {
        return absl::InvalidArgumentError(fmt::format("unsupported column in `format`: {}", promql::GoQuote(item)));
      }
      if (tf != "unix_s" && tf != "unix_ms" && tf != "unix_ns" && tf != "rfc3339") {
        return absl::InvalidArgumentError(
            fmt::format("unsupported timestamp format {}; supported: unix_s, unix_ms, unix_ns, rfc3339",
                        promql::GoQuote(tf)));
      }
      c.time_format = std::string(tf);
    } else if (item.empty()) {
      return absl::InvalidArgumentError("empty column in `format`");
    } else {
      c.label = std::string(item);
    }
    columns.push_back(std::move(c));
  }
  return columns;
}

void AppendExportCsvRows(const promql::SeriesSamples& series, const std::vector<CsvColumn>& columns,
                         std::string* out) {
  for (const Sample& s : series.samples) {
    for (size_t i = 0; i < columns.size(); ++i) {
      if (i > 0) out->push_back(',');
      const CsvColumn& c = columns[i];
      switch (c.kind) {
        case CsvColumn::Kind::kName:
          AppendCsvField(series.labels.Get(kMetricName), out);
          break;
        case CsvColumn::Kind::kValue:
          AppendVmFloat(s.value, out);
          break;
        case CsvColumn::Kind::kTimestamp:
          if (c.time_format == "unix_s") {
            fmt::format_to(std::back_inserter(*out), "{}", s.timestamp_ms / 1000);
          } else if (c.time_format == "unix_ns") {
            fmt::format_to(std::back_inserter(*out), "{}", s.timestamp_ms * 1'000'000);
          } else if (c.time_format == "rfc3339") {
            AppendRfc3339(s.timestamp_ms, out);
          } else {
            fmt::format_to(std::back_inserter(*out), "{}", s.timestamp_ms);
          }
          break;
        case CsvColumn::Kind::kLabel:
          AppendCsvField(series.labels.Get(c.label), out);
          break;
      }
    }
    out->push_back('\n');
  }
}

std::string WriteFederateText(std::vector<FederatedSample> samples) {
  std::erase_if(samples, [](const FederatedSample& s) { return s.labels.Get(kMetricName).empty(); });
  std::sort(samples.begin(), samples.end(), [](const FederatedSample& a, const FederatedSample& b) {
    const std::string_view na = a.labels.Get(kMetricName);
    const std::string_view nb = b.labels.Get(kMetricName);
    if (na != nb) return na < nb;
    return a.labels < b.labels;
  });
  std::string out;
  std::string_view last_name;
  for (const FederatedSample& s : samples) {
    const std::string_view name = s.labels.Get(kMetricName);
    if (name != last_name) {
      fmt::format_to(std::back_inserter(out), "# TYPE {} untyped\n", name);
      last_name = name;
    }
    out.append(name);
    bool first = true;
    bool has_instance = false;
    auto open = [&] {
      out.push_back(first ? '{' : ',');
      first = false;
    };
    for (const Label& l : s.labels) {
      // An empty value means the label is unset; the name is written above.
      if (l.value.empty() || l.name == kMetricName) continue;
      if (l.name == "instance") has_instance = true;
      open();
      out.append(l.name);
      out.append("=\"");
      AppendExpfmtLabelValue(l.value, &out);
      out.push_back('"');
    }
    if (!has_instance) {
      open();
      out.append("instance=\"\"");
    }
    out.append("} ");
    AppendExpfmtFloat(s.sample.value, &out);
    fmt::format_to(std::back_inserter(out), " {}\n", s.sample.timestamp_ms);
  }
  return out;
}

}  // namespace strata::select
