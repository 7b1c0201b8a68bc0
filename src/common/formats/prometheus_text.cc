#include "common/formats/prometheus_text.h"

#include <cmath>
#include <optional>
#include <utility>

#include <fmt/format.h>

#include "common/formats/parse_util.h"

namespace strata::formats {
namespace {

bool IsSpace(char c) { return c == ' ' || c == '\t'; }

std::string_view SkipSpace(std::string_view s) {
  while (!s.empty() && IsSpace(s.front())) s.remove_prefix(1);
  return s;
}

// The first token of `s` (up to a space or tab) and what follows it.
std::pair<std::string_view, std::string_view> Token(std::string_view s) {
  size_t n = 0;
  while (n < s.size() && !IsSpace(s[n])) ++n;
  return {s.substr(0, n), s.substr(n)};
}

// Unescapes `raw` (\\, \" and \n; any other backslash stays) onto the end of
// `scratch`, which has room for it (no reallocation: earlier views stay valid).
std::string_view Unescape(std::string_view raw, std::string* scratch) {
  size_t start = scratch->size();
  for (size_t i = 0; i < raw.size(); ++i) {
    char c = raw[i];
    if (c == '\\' && i + 1 < raw.size()) {
      char n = raw[i + 1];
      if (n == '\\' || n == '"' || n == 'n') {
        scratch->push_back(n == 'n' ? '\n' : n);
        ++i;
        continue;
      }
    }
    scratch->push_back(c);
  }
  return std::string_view(*scratch).substr(start);
}

// The timestamp token of a sample line, in ms.
std::optional<int64_t> ParseTimestamp(std::string_view s) {
  constexpr int64_t kSecondsLimit = int64_t{1} << 31;
  if (std::optional<int64_t> i = ParseInt64(s)) {
    if (*i >= -kSecondsLimit && *i < kSecondsLimit) return *i * 1000;
    return *i;
  }
  std::optional<double> f = ParseFloat(s);
  if (!f.has_value() || !std::isfinite(*f) || *f >= 9.2e18 || *f <= -9.2e18) return std::nullopt;
  double ts = *f;
  if (ts >= -static_cast<double>(kSecondsLimit) && ts < static_cast<double>(kSecondsLimit)) ts *= 1000;
  return static_cast<int64_t>(ts);
}

}  // namespace

std::optional<MetricType> ParseMetricType(std::string_view word) {
  if (word == "counter") return MetricType::kCounter;
  if (word == "gauge") return MetricType::kGauge;
  if (word == "histogram") return MetricType::kHistogram;
  if (word == "gaugehistogram") return MetricType::kGaugeHistogram;
  if (word == "summary") return MetricType::kSummary;
  if (word == "info") return MetricType::kInfo;
  if (word == "stateset") return MetricType::kStateSet;
  if (word == "untyped" || word == "unknown") return MetricType::kUnknown;
  return std::nullopt;
}

void PrometheusTextParser::Parse(std::string_view body, const PrometheusTextOptions& options, ImportSink& sink) {
  LineReader lines(body);
  std::string_view line;
  while (lines.Next(&line)) {
    line = SkipSpace(line);
    if (line.empty()) continue;
    scratch_.clear();
    scratch_.reserve(line.size());
    std::string problem = line[0] == '#' ? ParseComment(line, sink) : ParseSample(line, options);
    if (!problem.empty()) {
      sink.OnError({lines.line_number(), std::move(problem)});
    } else if (line[0] != '#') {
      series_.line = lines.line_number();
      sink.OnSeries(series_);
    }
  }
}

std::string PrometheusTextParser::ParseComment(std::string_view line, ImportSink& sink) {
  auto [hash, rest] = Token(line);
  if (hash != "#") return {};  // "#comment": a plain comment
  auto [keyword, after_keyword] = Token(SkipSpace(rest));
  MetadataLine m;
  if (keyword == "TYPE") {
    m.kind = MetadataLine::Kind::kType;
  } else if (keyword == "HELP") {
    m.kind = MetadataLine::Kind::kHelp;
  } else if (keyword == "UNIT") {
    m.kind = MetadataLine::Kind::kUnit;
  } else {
    return {};  // any other comment, "# EOF" included
  }
  auto [family, text] = Token(SkipSpace(after_keyword));
  if (family.empty()) return fmt::format("missing metric name in `# {}` line", keyword);
  m.family = family;
  text = SkipSpace(text);
  if (m.kind == MetadataLine::Kind::kType) {
    std::optional<MetricType> type = ParseMetricType(TrimSpace(text));
    if (!type.has_value()) return fmt::format("unknown metric type \"{}\" in `# TYPE {}`", TrimSpace(text), family);
    m.type = *type;
  } else if (m.kind == MetadataLine::Kind::kHelp) {
    m.text = Unescape(text, &scratch_);
  } else {
    m.text = TrimSpace(text);
  }
  sink.OnMetadata(m);
  return {};
}

std::string PrometheusTextParser::ParseSample(std::string_view line, const PrometheusTextOptions& options) {
  series_.labels.clear();
  series_.samples.clear();
  std::string_view name;
  std::string_view s = line;
  size_t brace = s.find('{');
  size_t space = s.find_first_of(" \t");
  if (brace != std::string_view::npos && (space == std::string_view::npos || brace < space ||
                                          SkipSpace(s.substr(space)).front() == '{')) {
    name = TrimSpace(s.substr(0, brace));
    s.remove_prefix(brace + 1);
    series_.labels.push_back({kMetricNameLabel, name});
    for (;;) {
      s = SkipSpace(s);
      if (s.empty()) return "missing `}` after the labels";
      if (s[0] == '}') {
        s.remove_prefix(1);
        break;
      }
      size_t eq = s.find('=');
      if (eq == std::string_view::npos) return fmt::format("missing `=` after label name in \"{}\"", s);
      std::string_view label = TrimSpace(s.substr(0, eq));
      // Prometheus's parser rejects this too ("expected label name"); it is
      // no label Strata could store, and dropping it would be silent.
      if (label.empty()) return "empty label name before `=`";
      s = SkipSpace(s.substr(eq + 1));
      if (s.empty() || s[0] != '"') return fmt::format("expected a quoted value for label \"{}\"", label);
      // Find the closing quote, skipping escaped characters.
      size_t i = 1;
      bool escaped = false;
      while (i < s.size() && s[i] != '"') {
        if (s[i] == '\\') {
          escaped = true;
          ++i;
        }
        ++i;
      }
      if (i >= s.size()) return fmt::format("missing closing quote in the value of label \"{}\"", label);
      std::string_view raw = s.substr(1, i - 1);
      std::string_view value = escaped ? Unescape(raw, &scratch_) : raw;
      series_.labels.push_back({label, value});
      s = SkipSpace(s.substr(i + 1));
      if (!s.empty() && s[0] == ',') {
        s.remove_prefix(1);
      } else if (s.empty() || s[0] != '}') {
        return fmt::format("missing `,` or `}}` after label \"{}\"", label);
      }
    }
  } else {
    auto [token, rest] = Token(s);
    name = token;
    s = rest;
    series_.labels.push_back({kMetricNameLabel, name});
  }
  if (name.empty()) return "missing metric name";
  s = SkipSpace(s);
  if (size_t hash = s.find('#'); hash != std::string_view::npos) s = s.substr(0, hash);  // exemplar
  auto [value_token, after_value] = Token(s);
  if (value_token.empty()) return fmt::format("missing value for metric \"{}\"", name);
  std::optional<double> value = ParseFloat(value_token);
  if (!value.has_value()) return fmt::format("cannot parse value \"{}\" of metric \"{}\"", value_token, name);
  int64_t ts = options.default_timestamp_ms;
  std::string_view ts_token = TrimSpace(after_value);
  if (!ts_token.empty()) {
    std::optional<int64_t> parsed = ParseTimestamp(ts_token);
    if (!parsed.has_value()) return fmt::format("cannot parse timestamp \"{}\" of metric \"{}\"", ts_token, name);
    ts = *parsed;
  }
  series_.samples.push_back({ts, *value});
  return {};
}

}  // namespace strata::formats
