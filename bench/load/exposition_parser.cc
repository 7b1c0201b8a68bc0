#include "bench/load/exposition_parser.h"

#include <cmath>
#include <cstdlib>

#include <fmt/format.h>

#include "common/base/status.h"

namespace strata::bench {
namespace {

bool IsNameStart(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':'; }
bool IsNameChar(char c) { return IsNameStart(c) || (c >= '0' && c <= '9'); }

// Cursor over one line; every error names the column.
class LineReader {
 public:
  explicit LineReader(std::string_view line) : line_(line) {}

  void SkipSpaces() {
    while (pos_ < line_.size() && (line_[pos_] == ' ' || line_[pos_] == '\t')) ++pos_;
  }
  bool AtEnd() const { return pos_ >= line_.size(); }
  char Peek() const { return AtEnd() ? '\0' : line_[pos_]; }
  bool Consume(char c) {
    if (Peek() != c) return false;
    ++pos_;
    return true;
  }

  absl::StatusOr<std::string> Name(bool allow_colon) {
    size_t start = pos_;
    if (AtEnd() || !IsNameStart(line_[pos_]) || (!allow_colon && line_[pos_] == ':')) return Error("expected a name");
    while (pos_ < line_.size() && IsNameChar(line_[pos_]) && (allow_colon || line_[pos_] != ':')) ++pos_;
    return std::string(line_.substr(start, pos_ - start));
  }

  absl::StatusOr<std::string> QuotedValue() {
    if (!Consume('"')) return Error("expected '\"'");
    std::string out;
    while (!AtEnd()) {
      char c = line_[pos_++];
      if (c == '"') return out;
      if (c != '\\') {
        out.push_back(c);
        continue;
      }
      if (AtEnd()) break;
      char e = line_[pos_++];
      switch (e) {
        case '\\': out.push_back('\\'); break;
        case '"': out.push_back('"'); break;
        case 'n': out.push_back('\n'); break;
        default: return Error(fmt::format("invalid escape '\\{}'", e));
      }
    }
    return Error("unterminated label value");
  }

  std::string_view Token() {
    size_t start = pos_;
    while (pos_ < line_.size() && line_[pos_] != ' ' && line_[pos_] != '\t') ++pos_;
    return line_.substr(start, pos_ - start);
  }

  absl::Status Error(std::string_view what) const {
    return absl::InvalidArgumentError(fmt::format("cannot parse sample line at column {}: {}", pos_ + 1, what));
  }

 private:
  std::string_view line_;
  size_t pos_ = 0;
};

absl::StatusOr<double> ParseValue(std::string_view token) {
  // Go's strconv spellings that Prometheus writes.
  if (token == "NaN") return std::nan("");
  if (token == "+Inf" || token == "Inf") return HUGE_VAL;
  if (token == "-Inf") return -HUGE_VAL;
  std::string s(token);
  char* end = nullptr;
  double v = std::strtod(s.c_str(), &end);
  if (s.empty() || end != s.c_str() + s.size()) {
    return absl::InvalidArgumentError(fmt::format("cannot parse sample value {:?}", token));
  }
  return v;
}

MetricType ParseType(std::string_view t) {
  if (t == "counter") return MetricType::kCounter;
  if (t == "gauge") return MetricType::kGauge;
  if (t == "summary") return MetricType::kSummary;
  if (t == "histogram") return MetricType::kHistogram;
  return MetricType::kUntyped;
}

}  // namespace

absl::StatusOr<ExpositionSample> ParseSampleLine(std::string_view line) {
  LineReader r(line);
  ExpositionSample s;
  r.SkipSpaces();
  STRATA_ASSIGN_OR_RETURN(s.name, r.Name(/*allow_colon=*/true));
  r.SkipSpaces();
  if (r.Consume('{')) {
    while (true) {
      r.SkipSpaces();
      if (r.Consume('}')) break;  // also accepts a trailing comma
      Label l;
      STRATA_ASSIGN_OR_RETURN(l.name, r.Name(/*allow_colon=*/false));
      r.SkipSpaces();
      if (!r.Consume('=')) return r.Error("expected '='");
      r.SkipSpaces();
      STRATA_ASSIGN_OR_RETURN(l.value, r.QuotedValue());
      s.labels.push_back(std::move(l));
      r.SkipSpaces();
      if (r.Consume(',')) continue;
      if (r.Consume('}')) break;
      return r.Error("expected ',' or '}'");
    }
  }
  r.SkipSpaces();
  std::string_view value = r.Token();
  if (value.empty()) return r.Error("missing value");
  s.value_text = std::string(value);
  STRATA_ASSIGN_OR_RETURN(s.value, ParseValue(value));
  r.SkipSpaces();
  if (!r.AtEnd()) {
    std::string ts(r.Token());
    char* end = nullptr;
    long long t = std::strtoll(ts.c_str(), &end, 10);
    if (end != ts.c_str() + ts.size()) return r.Error(fmt::format("invalid timestamp {:?}", ts));
    s.timestamp_ms = t;
    r.SkipSpaces();
    if (!r.AtEnd()) return r.Error("trailing characters");
  }
  return s;
}

absl::StatusOr<Exposition> ParseExposition(std::string_view text) {
  Exposition out;
  size_t line_no = 0;
  while (!text.empty()) {
    size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text = nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);
    ++line_no;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    size_t first = line.find_first_not_of(" \t");
    if (first == std::string_view::npos) continue;
    line = line.substr(first);
    if (line[0] == '#') {
      // "# TYPE <name> <type>"
      if (line.starts_with("# TYPE ")) {
        std::string_view rest = line.substr(7);
        size_t sp = rest.find(' ');
        if (sp != std::string_view::npos) {
          out.types.emplace(std::string(rest.substr(0, sp)), ParseType(rest.substr(sp + 1)));
        }
      }
      continue;
    }
    absl::StatusOr<ExpositionSample> s = ParseSampleLine(line);
    if (!s.ok()) return Annotate(s.status(), fmt::format("line {}", line_no));
    out.samples.push_back(*std::move(s));
  }
  return out;
}

MetricType Exposition::TypeOf(std::string_view sample_name) const {
  if (auto it = types.find(sample_name); it != types.end()) return it->second;
  for (std::string_view suffix : {"_sum", "_count", "_bucket"}) {
    if (!sample_name.ends_with(suffix)) continue;
    auto it = types.find(sample_name.substr(0, sample_name.size() - suffix.size()));
    if (it != types.end() && (it->second == MetricType::kSummary || it->second == MetricType::kHistogram)) {
      return it->second;
    }
  }
  return MetricType::kUntyped;
}

}  // namespace strata::bench
