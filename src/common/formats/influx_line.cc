#include "common/formats/influx_line.h"

#include <cmath>
#include <utility>

#include <fmt/format.h>

#include "common/formats/parse_util.h"

namespace strata::formats {
namespace {

// Index of the first `c` in `s` at or after `from` that no backslash escapes,
// or npos. `quotes`: skip over "..." spans (the field section).
size_t FindUnescaped(std::string_view s, char c, size_t from = 0, bool quotes = false) {
  bool in_quote = false;
  for (size_t i = from; i < s.size(); ++i) {
    char x = s[i];
    if (x == '\\') {
      ++i;
      continue;
    }
    if (quotes && x == '"') {
      in_quote = !in_quote;
      continue;
    }
    if (x == c && !in_quote) return i;
  }
  return std::string_view::npos;
}

std::optional<int64_t> ToMillis(int64_t ts, InfluxPrecision p) {
  auto mul = [&](int64_t k) -> std::optional<int64_t> {
    if (ts > INT64_MAX / k || ts < INT64_MIN / k) return std::nullopt;
    return ts * k;
  };
  switch (p) {
    case InfluxPrecision::kNanoseconds: return ts / 1000000;
    case InfluxPrecision::kMicroseconds: return ts / 1000;
    case InfluxPrecision::kMilliseconds: return ts;
    case InfluxPrecision::kSeconds: return mul(1000);
    case InfluxPrecision::kMinutes: return mul(60000);
    case InfluxPrecision::kHours: return mul(3600000);
  }
  return ts;
}

}  // namespace

std::optional<InfluxPrecision> ParseInfluxPrecision(std::string_view s) {
  if (s.empty() || s == "ns" || s == "n") return InfluxPrecision::kNanoseconds;
  if (s == "u" || s == "us" || s == "\xC2\xB5") return InfluxPrecision::kMicroseconds;
  if (s == "ms") return InfluxPrecision::kMilliseconds;
  if (s == "s") return InfluxPrecision::kSeconds;
  if (s == "m") return InfluxPrecision::kMinutes;
  if (s == "h") return InfluxPrecision::kHours;
  return std::nullopt;
}

std::string_view InfluxLineParser::Unescape(std::string_view raw) {
  if (raw.find('\\') == std::string_view::npos) return raw;
  size_t start = scratch_.size();
  for (size_t i = 0; i < raw.size(); ++i) {
    if (raw[i] == '\\' && i + 1 < raw.size()) {
      char n = raw[i + 1];
      if (n == ',' || n == ' ' || n == '=' || n == '\\' || n == '"') {
        scratch_.push_back(n);
        ++i;
        continue;
      }
    }
    scratch_.push_back(raw[i]);
  }
  return std::string_view(scratch_).substr(start);
}

std::string InfluxLineParser::ParseLine(std::string_view line, const InfluxOptions& options, int64_t* ts) {
  tags_.clear();
  fields_.clear();
  scratch_.clear();
  scratch_.reserve(line.size());  // unescaped text is never longer: views stay valid
  size_t space = FindUnescaped(line, ' ');
  if (space == std::string_view::npos) return "missing fields after the measurement";
  std::string_view head = line.substr(0, space);
  std::string_view rest = line.substr(space + 1);
  while (!rest.empty() && rest[0] == ' ') rest.remove_prefix(1);

  size_t comma = FindUnescaped(head, ',');
  measurement_ = Unescape(head.substr(0, comma));
  while (comma != std::string_view::npos) {
    size_t next = FindUnescaped(head, ',', comma + 1);
    std::string_view tag = head.substr(comma + 1, next == std::string_view::npos ? std::string_view::npos : next - comma - 1);
    size_t eq = FindUnescaped(tag, '=');
    if (eq == std::string_view::npos) return fmt::format("missing `=` in tag \"{}\"", tag);
    std::string_view key = Unescape(tag.substr(0, eq));
    std::string_view value = Unescape(tag.substr(eq + 1));
    if (!key.empty() && !value.empty()) tags_.push_back({key, value});
    comma = next;
  }

  size_t fields_end = FindUnescaped(rest, ' ', 0, true);
  std::string_view fields = rest.substr(0, fields_end);
  if (fields.empty()) return "missing fields";
  size_t pos = 0;
  while (pos <= fields.size()) {
    size_t end = FindUnescaped(fields, ',', pos, true);
    std::string_view field = fields.substr(pos, end == std::string_view::npos ? std::string_view::npos : end - pos);
    size_t eq = FindUnescaped(field, '=');
    if (eq == std::string_view::npos) return fmt::format("missing `=` in field \"{}\"", field);
    Field f;
    f.key = Unescape(field.substr(0, eq));
    if (f.key.empty()) return "empty field name";
    std::string_view v = field.substr(eq + 1);
    if (v.empty()) return fmt::format("empty value of field \"{}\"", f.key);
    if (v[0] == '"') {
      if (v.size() < 2 || v.back() != '"') return fmt::format("missing closing quote in field \"{}\"", f.key);
      std::optional<double> d = ParseFloat(TrimSpace(v.substr(1, v.size() - 2)));
      f.skip = !d.has_value();
      f.value = d.value_or(0);
    } else if (v.back() == 'i') {
      std::optional<int64_t> i = ParseInt64(v.substr(0, v.size() - 1));
      if (!i.has_value()) return fmt::format("cannot parse integer \"{}\" of field \"{}\"", v, f.key);
      f.value = static_cast<double>(*i);
    } else if (v.back() == 'u') {
      std::optional<uint64_t> u = ParseUint64(v.substr(0, v.size() - 1));
      if (!u.has_value()) return fmt::format("cannot parse unsigned integer \"{}\" of field \"{}\"", v, f.key);
      f.value = static_cast<double>(*u);
    } else if (v == "t" || v == "T" || v == "true" || v == "True" || v == "TRUE") {
      f.value = 1;
    } else if (v == "f" || v == "F" || v == "false" || v == "False" || v == "FALSE") {
      f.value = 0;
    } else {
      std::optional<double> d = ParseFloat(v);
      if (!d.has_value()) return fmt::format("cannot parse value \"{}\" of field \"{}\"", v, f.key);
      f.value = *d;
    }
    fields_.push_back(f);
    if (end == std::string_view::npos) break;
    pos = end + 1;
  }

  *ts = options.default_timestamp_ms;
  std::string_view ts_text = fields_end == std::string_view::npos ? std::string_view() : TrimSpace(rest.substr(fields_end));
  if (!ts_text.empty()) {
    std::optional<int64_t> raw = ParseInt64(ts_text);
    std::optional<int64_t> ms = raw.has_value() ? ToMillis(*raw, options.precision) : std::nullopt;
    if (!ms.has_value()) return fmt::format("cannot parse timestamp \"{}\"", ts_text);
    *ts = *ms;
  }
  return {};
}

void InfluxLineParser::Parse(std::string_view body, const InfluxOptions& options, ImportSink& sink) {
  LineReader lines(body);
  std::string_view line;
  while (lines.Next(&line)) {
    while (!line.empty() && (line[0] == ' ' || line[0] == '\t')) line.remove_prefix(1);
    if (line.empty() || line[0] == '#') continue;
    int64_t ts = 0;
    if (std::string problem = ParseLine(line, options, &ts); !problem.empty()) {
      sink.OnError({lines.line_number(), std::move(problem)});
      continue;
    }
    bool has_db = false;
    for (const LabelView& t : tags_) has_db = has_db || t.name == "db";
    for (const Field& f : fields_) {
      if (f.skip) {
        sink.OnSkippedValue(lines.line_number(), "non_numeric_field");
        continue;
      }
      name_.clear();
      name_.append(measurement_);
      if (!measurement_.empty()) name_.append(options.separator);
      name_.append(f.key);
      series_.labels.clear();
      series_.labels.push_back({kMetricNameLabel, name_});
      series_.labels.insert(series_.labels.end(), tags_.begin(), tags_.end());
      if (!options.db.empty() && !has_db) series_.labels.push_back({"db", options.db});
      series_.samples.clear();
      series_.samples.push_back({ts, f.value});
      series_.line = lines.line_number();
      sink.OnSeries(series_);
    }
  }
}

}  // namespace strata::formats
