#include "conformance/promql_test_script.h"

#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <limits>
#include <map>

#include <fmt/format.h>
#include <re2/re2.h>


#include "common/base/status.h"
#include "common/model/sample.h"
#include "select/promql/lexer.h"

namespace strata::promql::conformance {
namespace {

// The command patterns of the upstream runner (promqltest/test.go), so that
// what counts as a well-formed command is decided the same way.
const RE2& LoadPattern() {
  static const RE2 re(R"(^load(?:_(with_nhcb))?\s+(.+?)$)");
  return re;
}
const RE2& EvalInstantPattern() {
  static const RE2 re(R"(^eval(?:_(fail|warn|ordered|info))?\s+instant\s+(?:at\s+(.+?))?\s+(.+)$)");
  return re;
}
const RE2& EvalRangePattern() {
  static const RE2 re(R"(^eval(?:_(fail|warn|info))?\s+range\s+from\s+(.+)\s+to\s+(.+)\s+step\s+(.+?)\s+(.+)$)");
  return re;
}
const RE2& ExpectPattern() {
  static const RE2 re(R"(^expect\s+(ordered|fail|warn|no_warn|info|no_info)(?:\s+(regex|msg):(.+))?$)");
  return re;
}
const RE2& ExpectRangePattern() {
  static const RE2 re(R"(^expect range vector\s+from\s+(.+)\s+to\s+(.+)\s+step\s+(.+)$)");
  return re;
}

constexpr std::string_view kRangeVectorPrefix = "expect range vector";
constexpr std::string_view kExpectStringPrefix = "expect string";

bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f'; }
bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsAlpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; }
char Lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

std::string_view Trim(std::string_view s) {
  while (!s.empty() && IsSpace(s.front())) s.remove_prefix(1);
  while (!s.empty() && IsSpace(s.back())) s.remove_suffix(1);
  return s;
}

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (Lower(a[i]) != Lower(b[i])) return false;
  }
  return true;
}

absl::Status Error(std::string message) { return absl::InvalidArgumentError(std::move(message)); }

// Go strconv.ParseInt(s, 0, 64).
std::optional<int64_t> ParseGoInt(std::string_view s) {
  bool negative = false;
  if (!s.empty() && (s[0] == '+' || s[0] == '-')) {
    negative = s[0] == '-';
    s.remove_prefix(1);
  }
  if (s.empty()) return std::nullopt;
  int base = 10;
  bool prefixed = false;
  if (s.size() >= 2 && s[0] == '0') {
    char p = Lower(s[1]);
    if (p == 'x') base = 16, prefixed = true, s.remove_prefix(2);
    else if (p == 'o') base = 8, prefixed = true, s.remove_prefix(2);
    else if (p == 'b') base = 2, prefixed = true, s.remove_prefix(2);
    else base = 8, s.remove_prefix(1);  // leading 0: octal; the 0 is a digit
  }
  if (s.empty() && prefixed) return std::nullopt;
  // Underscores only between digits (or right after a base prefix).
  uint64_t v = 0;
  char prev = prefixed ? '_' : '0';
  bool any_digit = !prefixed && base == 8;  // "0" alone, or "0..." octal
  for (char c : s) {
    if (c == '_') {
      if (prev == '_' && !(prefixed && !any_digit)) return std::nullopt;
      prev = '_';
      continue;
    }
    int d;
    if (IsDigit(c)) d = c - '0';
    else if (Lower(c) >= 'a' && Lower(c) <= 'f') d = Lower(c) - 'a' + 10;
    else return std::nullopt;
    if (d >= base) return std::nullopt;
    if (v > (std::numeric_limits<uint64_t>::max() - static_cast<uint64_t>(d)) / static_cast<uint64_t>(base)) {
      return std::nullopt;
    }
    v = v * static_cast<uint64_t>(base) + static_cast<uint64_t>(d);
    prev = c;
    any_digit = true;
  }
  if (prev == '_' || !any_digit) return std::nullopt;
  if (!negative && v > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) return std::nullopt;
  if (negative && v > static_cast<uint64_t>(std::numeric_limits<int64_t>::max()) + 1) return std::nullopt;
  return negative ? static_cast<int64_t>(0 - v) : static_cast<int64_t>(v);
}

// Go strconv.ParseFloat(s, 64): validates Go's grammar, then lets strtod
// compute the (correctly rounded) value.
std::optional<double> ParseGoFloat(std::string_view s) {
  std::string_view body = s;
  bool negative = false;
  if (!body.empty() && (body[0] == '+' || body[0] == '-')) {
    negative = body[0] == '-';
    body.remove_prefix(1);
  }
  if (EqualsIgnoreCase(body, "inf") || EqualsIgnoreCase(body, "infinity")) {
    return negative ? -std::numeric_limits<double>::infinity() : std::numeric_limits<double>::infinity();
  }
  if (EqualsIgnoreCase(body, "nan")) return std::numeric_limits<double>::quiet_NaN();
  bool hex = body.size() >= 2 && body[0] == '0' && Lower(body[1]) == 'x';
  std::string clean;
  size_t i = hex ? 2 : 0;
  bool digits = false, exp_seen = false;
  for (; i < body.size(); ++i) {
    char c = body[i];
    if (c == '_') {
      if (!hex) return std::nullopt;  // underscores need a base prefix
      continue;
    }
    bool is_digit = IsDigit(c) || (hex && Lower(c) >= 'a' && Lower(c) <= 'f');
    if (is_digit) digits = true;
    else if (c == '.') continue;
    else if (Lower(c) == (hex ? 'p' : 'e')) {
      exp_seen = true;
      break;
    } else return std::nullopt;
  }
  if (!digits) return std::nullopt;
  if (hex && !exp_seen) return std::nullopt;  // Go requires the p exponent
  if (exp_seen) {
    size_t j = i + 1;
    if (j < body.size() && (body[j] == '+' || body[j] == '-')) ++j;
    if (j >= body.size()) return std::nullopt;
    for (; j < body.size(); ++j) {
      if (!IsDigit(body[j]) && body[j] != '_') return std::nullopt;
    }
  }
  for (char c : s) {
    if (c != '_') clean.push_back(c);
  }
  // Go accepts at most one '.'; strtod enforces it by stopping early.
  errno = 0;
  char* end = nullptr;
  double v = std::strtod(clean.c_str(), &end);
  if (end != clean.c_str() + clean.size()) return std::nullopt;
  if (errno == ERANGE && std::isinf(v)) return std::nullopt;
  return v;
}

// Unquotes a Go string literal ("...", '...' or `...`) starting at s[*pos];
// advances *pos past the closing quote.
absl::StatusOr<std::string> UnquoteAt(std::string_view s, size_t* pos) {
  char quote = s[*pos];
  size_t i = *pos + 1;
  std::string out;
  if (quote == '`') {
    size_t end = s.find('`', i);
    if (end == std::string_view::npos) return Error("unterminated raw string");
    *pos = end + 1;
    return std::string(s.substr(i, end - i));
  }
  auto append_utf8 = [&out](uint32_t cp) {
    if (cp < 0x80) {
      out.push_back(static_cast<char>(cp));
    } else if (cp < 0x800) {
      out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
      out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    } else if (cp < 0x10000) {
      out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
      out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
      out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    } else {
      out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
      out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
      out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
      out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    }
  };
  auto hex_value = [&s](size_t at, int n) -> std::optional<uint32_t> {
    if (at + static_cast<size_t>(n) > s.size()) return std::nullopt;
    uint32_t v = 0;
    for (int k = 0; k < n; ++k) {
      char c = Lower(s[at + static_cast<size_t>(k)]);
      int d;
      if (IsDigit(c)) d = c - '0';
      else if (c >= 'a' && c <= 'f') d = c - 'a' + 10;
      else return std::nullopt;
      v = v * 16 + static_cast<uint32_t>(d);
    }
    return v;
  };
  while (i < s.size()) {
    char c = s[i];
    if (c == quote) {
      *pos = i + 1;
      return out;
    }
    if (c == '\n') return Error("newline in string");
    if (c != '\\') {
      out.push_back(c);
      ++i;
      continue;
    }
    if (i + 1 >= s.size()) break;
    char e = s[i + 1];
    i += 2;
    switch (e) {
      case 'a': out.push_back('\a'); break;
      case 'b': out.push_back('\b'); break;
      case 'f': out.push_back('\f'); break;
      case 'n': out.push_back('\n'); break;
      case 'r': out.push_back('\r'); break;
      case 't': out.push_back('\t'); break;
      case 'v': out.push_back('\v'); break;
      case '\\': out.push_back('\\'); break;
      case '\'': case '"': out.push_back(e); break;
      case 'x': {
        auto v = hex_value(i, 2);
        if (!v) return Error("invalid \\x escape");
        out.push_back(static_cast<char>(*v));
        i += 2;
        break;
      }
      case 'u': case 'U': {
        int n = e == 'u' ? 4 : 8;
        auto v = hex_value(i, n);
        if (!v || *v > 0x10FFFF) return Error("invalid unicode escape");
        append_utf8(*v);
        i += static_cast<size_t>(n);
        break;
      }
      default:
        if (e >= '0' && e <= '7' && i + 1 < s.size()) {
          uint32_t v = static_cast<uint32_t>(e - '0');
          for (int k = 0; k < 2; ++k) {
            char d = s[i + static_cast<size_t>(k)];
            if (d < '0' || d > '7') return Error("invalid octal escape");
            v = v * 8 + static_cast<uint32_t>(d - '0');
          }
          if (v > 255) return Error("invalid octal escape");
          out.push_back(static_cast<char>(v));
          i += 2;
          break;
        }
        return Error(fmt::format("unknown escape sequence \\{}", e));
    }
  }
  return Error("unterminated string");
}

absl::StatusOr<uint64_t> ParseCount(std::string_view s) {
  if (s.empty()) return Error("missing repetition count after 'x'");
  uint64_t v = 0;
  for (char c : s) {
    if (!IsDigit(c)) return Error(fmt::format("invalid repetition count {:?}", std::string(s)));
    v = v * 10 + static_cast<uint64_t>(c - '0');
    if (v > 10'000'000) return Error("repetition count too large");
  }
  return v;
}

// Scans the literal of one number of a value sequence at s[pos] as the
// PromQL lexer does in series descriptions: decimal digits, fraction,
// exponent (no hex: `0x10` is `0` times 10), or the words Inf/NaN.
size_t ScanSeriesNumber(std::string_view s, size_t pos) {
  size_t i = pos;
  if (i < s.size() && IsAlpha(s[i])) {
    while (i < s.size() && (IsAlpha(s[i]) || IsDigit(s[i]))) ++i;
    return i;
  }
  while (i < s.size() && IsDigit(s[i])) ++i;
  if (i < s.size() && s[i] == '.') {
    ++i;
    while (i < s.size() && IsDigit(s[i])) ++i;
  }
  if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
    ++i;
    if (i < s.size() && (s[i] == '+' || s[i] == '-')) ++i;
    while (i < s.size() && IsDigit(s[i])) ++i;
  }
  return i;
}

absl::StatusOr<double> SeriesNumber(std::string_view literal) {
  if (literal.empty()) return Error("expected a number");
  if (IsAlpha(literal[0]) && !EqualsIgnoreCase(literal, "inf") && !EqualsIgnoreCase(literal, "nan")) {
    return Error(fmt::format("unexpected identifier {:?} in series values", std::string(literal)));
  }
  return ParseGoNumber(literal);
}

// Appends the values of one whitespace-free item (or one `{{...}}` group).
absl::Status ExpandItem(std::string_view item, std::vector<SequenceValue>& out, bool* histogram) {
  if (item == "_") {
    out.push_back({SequenceValue::Kind::kOmitted, 0});
    return absl::OkStatus();
  }
  if (item.size() > 1 && item[0] == '_' && item[1] == 'x') {
    STRATA_ASSIGN_OR_RETURN(uint64_t n, ParseCount(item.substr(2)));
    out.insert(out.end(), n, {SequenceValue::Kind::kOmitted, 0});
    return absl::OkStatus();
  }
  if (item == "stale") {
    out.push_back({SequenceValue::Kind::kFloat, StaleNaN()});
    return absl::OkStatus();
  }
  if (item.substr(0, 2) == "{{") {
    *histogram = true;
    size_t close = item.rfind("}}");
    if (close == std::string_view::npos) return Error("unterminated native histogram literal");
    std::string_view rest = item.substr(close + 2);
    uint64_t n = 0;
    if (!rest.empty()) {
      if (rest[0] != 'x') return Error(fmt::format("unexpected {:?} after histogram", std::string(rest)));
      STRATA_ASSIGN_OR_RETURN(n, ParseCount(rest.substr(1)));
    }
    out.insert(out.end(), n + 1, {SequenceValue::Kind::kHistogram, 0});
    return absl::OkStatus();
  }
  size_t pos = 0;
  bool negative = false;
  if (pos < item.size() && (item[pos] == '+' || item[pos] == '-')) {
    negative = item[pos] == '-';
    ++pos;
  }
  size_t end = ScanSeriesNumber(item, pos);
  STRATA_ASSIGN_OR_RETURN(double value, SeriesNumber(item.substr(pos, end - pos)));
  if (negative) value = -value;
  std::string_view rest = item.substr(end);
  if (rest.empty()) {
    out.push_back({SequenceValue::Kind::kFloat, value});
    return absl::OkStatus();
  }
  if (rest[0] == 'x') {
    STRATA_ASSIGN_OR_RETURN(uint64_t n, ParseCount(rest.substr(1)));
    out.insert(out.end(), n + 1, {SequenceValue::Kind::kFloat, value});
    return absl::OkStatus();
  }
  if (rest[0] != '+' && rest[0] != '-') {
    return Error(fmt::format("unexpected {:?} in series value {:?}", std::string(rest), std::string(item)));
  }
  size_t dend = ScanSeriesNumber(rest, 1);
  STRATA_ASSIGN_OR_RETURN(double delta, SeriesNumber(rest.substr(1, dend - 1)));
  if (rest[0] == '-') delta = -delta;
  rest = rest.substr(dend);
  if (rest.empty() || rest[0] != 'x') {
    return Error(fmt::format("expected 'x<count>' in series value {:?}", std::string(item)));
  }
  STRATA_ASSIGN_OR_RETURN(uint64_t n, ParseCount(rest.substr(1)));
  // Accumulated like the upstream grammar does (v += delta), which matters
  // for deltas that are not exact in binary (0+0.1x10).
  for (uint64_t k = 0; k <= n; ++k) {
    out.push_back({SequenceValue::Kind::kFloat, value});
    value += delta;
  }
  return absl::OkStatus();
}

bool IsMetricNameChar(char c, bool first) { return IsAlpha(c) || c == ':' || (!first && IsDigit(c)); }

std::string LineError(int line, std::string_view message) { return fmt::format("line {}: {}", line, message); }

}  // namespace

absl::StatusOr<double> ParseGoNumber(std::string_view s) {
  if (auto i = ParseGoInt(s)) return static_cast<double>(*i);
  if (auto f = ParseGoFloat(s)) return *f;
  return Error(fmt::format("error parsing number: {:?}", std::string(s)));
}

absl::StatusOr<int64_t> ParseDurationMs(std::string_view s) {
  // The scripts use PromQL's duration syntax (model.ParseDuration).
  return promql::ParseDuration(s);
}

absl::StatusOr<std::vector<SequenceValue>> ParseValueSequence(std::string_view text) {
  std::vector<SequenceValue> out;
  bool histogram = false;
  size_t i = 0;
  while (i < text.size()) {
    if (IsSpace(text[i])) {
      ++i;
      continue;
    }
    size_t start = i;
    // An item ends at whitespace outside `{{...}}` (which holds spaces).
    int depth = 0;
    while (i < text.size() && (depth > 0 || !IsSpace(text[i]))) {
      if (text.compare(i, 2, "{{") == 0) {
        ++depth;
        i += 2;
      } else if (depth > 0 && text.compare(i, 2, "}}") == 0) {
        --depth;
        i += 2;
      } else {
        ++i;
      }
    }
    if (depth > 0) return Error("unterminated native histogram literal");
    STRATA_RETURN_IF_ERROR(ExpandItem(text.substr(start, i - start), out, &histogram));
  }
  return out;
}

namespace {

// A signed duration at the start of `s` (`-30s`, `+1m`, `0`, `1ms`); `*len`
// is how many characters it took.
absl::StatusOr<int64_t> SignedDurationPrefix(std::string_view s, size_t* len) {
  size_t i = 0;
  int64_t sign = 1;
  if (i < s.size() && (s[i] == '+' || s[i] == '-')) {
    if (s[i] == '-') sign = -1;
    ++i;
  }
  const size_t begin = i;
  while (i < s.size() && (IsDigit(s[i]) || std::string_view("ywdhms").find(s[i]) != std::string_view::npos)) ++i;
  if (i == begin) return Error(fmt::format("expected a duration in {:?}", std::string(s)));
  STRATA_ASSIGN_OR_RETURN(int64_t d, ParseDurationMs(s.substr(begin, i - begin)));
  *len = i;
  return sign * d;
}

}  // namespace

absl::StatusOr<std::vector<std::optional<int64_t>>> ParseStartOffsetSequence(std::string_view text) {
  std::vector<std::optional<int64_t>> out;
  size_t next = 0;
  while (next < text.size()) {
    if (IsSpace(text[next])) {
      ++next;
      continue;
    }
    const size_t begin = next;
    while (next < text.size() && !IsSpace(text[next])) ++next;
    const std::string_view item = text.substr(begin, next - begin);
    if (item == "_") {
      out.push_back(std::nullopt);
      continue;
    }
    if (item.size() > 1 && item[0] == '_' && item[1] == 'x') {
      STRATA_ASSIGN_OR_RETURN(uint64_t n, ParseCount(item.substr(2)));
      out.insert(out.end(), n, std::nullopt);
      continue;
    }
    size_t len = 0;
    STRATA_ASSIGN_OR_RETURN(int64_t base, SignedDurationPrefix(item, &len));
    std::string_view rest = item.substr(len);
    int64_t step = 0;
    if (!rest.empty() && (rest[0] == '+' || rest[0] == '-')) {
      STRATA_ASSIGN_OR_RETURN(step, SignedDurationPrefix(rest, &len));
      rest = rest.substr(len);
      if (rest.empty() || rest[0] != 'x') {
        return Error(fmt::format("expected xN after the step in start timestamp {:?}", std::string(item)));
      }
    }
    uint64_t n = 0;
    if (!rest.empty()) {
      if (rest[0] != 'x') {
        return Error(fmt::format("unexpected {:?} in start timestamp {:?}", std::string(rest), std::string(item)));
      }
      STRATA_ASSIGN_OR_RETURN(n, ParseCount(rest.substr(1)));
    }
    for (uint64_t k = 0; k <= n; ++k) out.push_back(base + static_cast<int64_t>(k) * step);
  }
  return out;
}

absl::StatusOr<SeriesDescription> ParseSeriesDescription(std::string_view line) {
  line = Trim(line);
  std::vector<Label> labels;
  std::string name;
  size_t i = 0;
  while (i < line.size() && IsMetricNameChar(line[i], i == 0)) ++i;
  name = std::string(line.substr(0, i));
  if (i < line.size() && line[i] == '{') {
    ++i;
    while (true) {
      while (i < line.size() && IsSpace(line[i])) ++i;
      if (i >= line.size()) return Error("unexpected end of series description inside braces");
      if (line[i] == '}') {
        ++i;
        break;
      }
      std::string label_name;
      bool quoted_name = false;
      if (line[i] == '"' || line[i] == '\'' || line[i] == '`') {
        STRATA_ASSIGN_OR_RETURN(label_name, UnquoteAt(line, &i));
        quoted_name = true;
      } else {
        size_t s = i;
        while (i < line.size() && (IsAlpha(line[i]) || IsDigit(line[i]))) ++i;
        if (i == s) return Error(fmt::format("unexpected character {:?} in label set", line[i]));
        label_name = std::string(line.substr(s, i - s));
      }
      while (i < line.size() && IsSpace(line[i])) ++i;
      if (quoted_name && i < line.size() && (line[i] == ',' || line[i] == '}')) {
        // `{"metric.name", ...}`: a quoted metric name.
        if (!name.empty()) return Error("metric name given twice");
        name = label_name;
      } else {
        if (i >= line.size() || line[i] != '=') return Error(fmt::format("expected '=' after label {:?}", label_name));
        ++i;
        while (i < line.size() && IsSpace(line[i])) ++i;
        if (i >= line.size() || (line[i] != '"' && line[i] != '\'' && line[i] != '`')) {
          return Error(fmt::format("expected a quoted value for label {:?}", label_name));
        }
        STRATA_ASSIGN_OR_RETURN(std::string value, UnquoteAt(line, &i));
        if (label_name == kMetricNameLabel) {
          if (!name.empty()) return Error("metric name given twice");
          name = value;
        } else {
          for (const Label& l : labels) {
            if (l.name == label_name) return Error(fmt::format("duplicate label {:?}", label_name));
          }
          if (!value.empty()) labels.push_back({label_name, value});
        }
      }
      while (i < line.size() && IsSpace(line[i])) ++i;
      if (i < line.size() && line[i] == ',') ++i;
    }
  } else if (name.empty()) {
    return Error(fmt::format("invalid series description {:?}", std::string(line)));
  }
  SeriesDescription out;
  if (line.substr(i).starts_with("@st") && (i + 3 == line.size() || IsSpace(line[i + 3]))) {
    out.is_start_timestamps = true;
    i += 3;
  }
  if (i < line.size() && !IsSpace(line[i])) {
    return Error(fmt::format("unexpected {:?} after series labels", std::string(line.substr(i))));
  }
  if (!name.empty()) labels.push_back({std::string(kMetricNameLabel), name});
  out.labels = Labels::FromUnsorted(std::move(labels));
  std::string_view values = line.substr(i);
  if (out.is_start_timestamps) {
    STRATA_ASSIGN_OR_RETURN(out.start_offsets, ParseStartOffsetSequence(values));
    return out;
  }
  out.has_histogram = values.find("{{") != std::string_view::npos;
  STRATA_ASSIGN_OR_RETURN(out.values, ParseValueSequence(values));
  return out;
}

bool ExpectLine::Matches(std::string_view actual) const {
  switch (match) {
    case Match::kAny: return true;
    case Match::kMessage: return actual == text;
    case Match::kRegex: {
      RE2 re(text);
      return re.ok() && RE2::PartialMatch(re2::StringPiece(actual.data(), actual.size()), re);
    }
  }
  return false;
}

std::string ExpectLine::Describe() const {
  switch (match) {
    case Match::kAny: return "(any)";
    case Match::kMessage: return fmt::format("message {:?}", text);
    case Match::kRegex: return fmt::format("pattern {:?}", text);
  }
  return "";
}

bool EvalCommand::IsOrdered() const { return legacy_ordered || !Expects(ExpectKind::kOrdered).empty(); }
bool EvalCommand::IsFail() const { return legacy_fail || !Expects(ExpectKind::kFail).empty(); }

std::vector<const ExpectLine*> EvalCommand::Expects(ExpectKind kind) const {
  std::vector<const ExpectLine*> out;
  for (const ExpectLine& e : expects) {
    if (e.kind == kind) out.push_back(&e);
  }
  return out;
}

namespace {

std::vector<std::string_view> ScriptLines(std::string_view text) {
  std::vector<std::string_view> lines;
  size_t start = 0;
  while (true) {
    size_t nl = text.find('\n', start);
    std::string_view l = Trim(text.substr(start, nl == std::string_view::npos ? std::string_view::npos : nl - start));
    if (!l.empty() && l[0] == '#') l = {};
    lines.push_back(l);
    if (nl == std::string_view::npos) break;
    start = nl + 1;
  }
  return lines;
}

std::string FirstWordLower(std::string_view l) {
  std::string w;
  for (char c : l) {
    if (c == ' ' || c == '\t') break;
    w.push_back(Lower(c));
  }
  return w;
}

re2::StringPiece Piece(std::string_view s) { return re2::StringPiece(s.data(), s.size()); }

absl::StatusOr<LoadCommand> ParseLoad(const std::vector<std::string_view>& lines, size_t& i) {
  std::string nhcb, step;
  if (!RE2::FullMatch(Piece(lines[i]), LoadPattern(), &nhcb, &step)) {
    return Error(LineError(static_cast<int>(i + 1), "invalid load command. (load[_with_nhcb] <step:duration>)"));
  }
  LoadCommand cmd;
  cmd.line = static_cast<int>(i + 1);
  cmd.with_nhcb = nhcb == "with_nhcb";
  auto interval = ParseDurationMs(step);
  if (!interval.ok()) {
    return Error(LineError(cmd.line, fmt::format("invalid step definition {:?}: {}", step, ToStd(interval.status().message()))));
  }
  cmd.interval_ms = *interval;
  std::map<Labels, size_t> index;
  // The `@st` line waiting for the sample line of its series, which follows it.
  std::optional<SeriesDescription> pending_start;
  while (i + 1 < lines.size()) {
    ++i;
    std::string_view def = lines[i];
    if (def.empty()) {
      --i;
      break;
    }
    auto series = ParseSeriesDescription(def);
    if (!series.ok()) return Error(LineError(static_cast<int>(i + 1), ToStd(series.status().message())));
    if (pending_start && pending_start->labels != series->labels) {
      return Error(LineError(static_cast<int>(i + 1), "a start timestamp (@st) line must precede its series' line"));
    }
    if (series->is_start_timestamps) {
      pending_start = *std::move(series);
      continue;
    }
    if (pending_start) {
      series->start_offsets = std::move(pending_start->start_offsets);
      pending_start.reset();
    }
    auto [it, inserted] = index.emplace(series->labels, cmd.series.size());
    if (inserted) cmd.series.push_back(*std::move(series));
    else cmd.series[it->second] = *std::move(series);
  }
  if (pending_start) {
    return Error(LineError(static_cast<int>(i + 1), "a start timestamp (@st) line without its series"));
  }
  return cmd;
}

absl::StatusOr<EvalCommand> ParseEval(const std::vector<std::string_view>& lines, size_t& i) {
  EvalCommand cmd;
  cmd.line = static_cast<int>(i + 1);
  const int line_no = cmd.line;
  std::string mod, at, from, to, step, expr;
  auto duration = [line_no](std::string_view what, const std::string& s) -> absl::StatusOr<int64_t> {
    auto d = ParseDurationMs(s);
    if (!d.ok()) {
      return Error(LineError(line_no, fmt::format("invalid {} definition {:?}: {}", what, s, ToStd(d.status().message()))));
    }
    return *d;
  };
  if (RE2::FullMatch(Piece(lines[i]), EvalInstantPattern(), &mod, &at, &expr)) {
    cmd.is_range = false;
    int64_t t = 0;
    if (!at.empty()) {
      STRATA_ASSIGN_OR_RETURN(t, duration("timestamp", at));
    }
    cmd.start_ms = cmd.end_ms = cmd.eval_ms = t;
  } else if (RE2::FullMatch(Piece(lines[i]), EvalRangePattern(), &mod, &from, &to, &step, &expr)) {
    cmd.is_range = true;
    STRATA_ASSIGN_OR_RETURN(cmd.start_ms, duration("start timestamp", from));
    STRATA_ASSIGN_OR_RETURN(cmd.end_ms, duration("end timestamp", to));
    STRATA_ASSIGN_OR_RETURN(cmd.step_ms, duration("step", step));
    if (cmd.end_ms < cmd.start_ms) {
      return Error(LineError(line_no, "invalid test definition, end timestamp is before start timestamp"));
    }
  } else {
    return Error(LineError(line_no,
                           "invalid evaluation command. Must be either 'eval[_fail|_warn|_ordered] instant [at "
                           "<offset:duration>] <query>' or 'eval[_fail|_warn] range from <from> to <to> step <step> "
                           "<query>'"));
  }
  cmd.expr = expr;
  cmd.legacy_ordered = mod == "ordered";
  cmd.legacy_fail = mod == "fail";
  cmd.legacy_warn = mod == "warn";
  cmd.legacy_info = mod == "info";

  std::map<Labels, size_t> index;
  for (int j = 1; i + 1 < lines.size(); ++j) {
    ++i;
    std::string_view def = lines[i];
    const int def_line = static_cast<int>(i + 1);
    if (def.empty()) {
      --i;
      break;
    }
    if (def.find("{{") != std::string_view::npos) cmd.has_histogram_literal = true;
    if (cmd.legacy_fail && def.starts_with("expected_fail_message")) {
      cmd.expected_fail_message = std::string(Trim(def.substr(std::string_view("expected_fail_message").size())));
      break;
    }
    if (cmd.legacy_fail && def.starts_with("expected_fail_regexp")) {
      std::string pattern(Trim(def.substr(std::string_view("expected_fail_regexp").size())));
      if (!RE2(pattern).ok()) return Error(LineError(def_line, fmt::format("invalid regexp {:?}", pattern)));
      cmd.expected_fail_regexp = pattern;
      break;
    }
    if (def.starts_with(kRangeVectorPrefix)) {
      std::string f, t, s;
      if (!RE2::FullMatch(Piece(def), ExpectRangePattern(), &f, &t, &s)) {
        return Error(LineError(def_line, fmt::format("invalid range vector definition {:?}", std::string(def))));
      }
      STRATA_ASSIGN_OR_RETURN(cmd.start_ms, duration("start timestamp", f));
      STRATA_ASSIGN_OR_RETURN(cmd.end_ms, duration("end timestamp", t));
      STRATA_ASSIGN_OR_RETURN(cmd.step_ms, duration("step", s));
      if (cmd.end_ms < cmd.start_ms) return Error(LineError(def_line, "end timestamp is before start timestamp"));
      cmd.eval_ms = cmd.end_ms;
      cmd.expect_range_vector = true;
      cmd.exclude_from_range_query = true;
      continue;
    }
    if (def.starts_with(kExpectStringPrefix)) {
      std::string_view rest = def.substr(kExpectStringPrefix.size());
      if (rest.empty() || rest[0] != ' ' || rest.size() < 2) {
        return Error(LineError(def_line, "expected string literal not valid - a quoted string literal is required"));
      }
      rest.remove_prefix(1);
      size_t p = 0;
      if (rest[0] != '"' && rest[0] != '`' && rest[0] != '\'') {
        return Error(LineError(def_line, "expected string literal not valid - check that the string is correctly quoted"));
      }
      auto s = UnquoteAt(rest, &p);
      if (!s.ok() || p != rest.size()) {
        return Error(LineError(def_line, "expected string literal not valid - check that the string is correctly quoted"));
      }
      cmd.expected_string = *s;
      cmd.exclude_from_range_query = true;
      continue;
    }
    if (def.substr(0, def.find(' ')) == "expect") {
      std::string kind, match, text;
      if (!RE2::FullMatch(Piece(def), ExpectPattern(), &kind, &match, &text)) {
        return Error(LineError(def_line,
                               "invalid expect statement, must match `expect <type> <match_type>: <string>` format"));
      }
      ExpectLine e;
      if (kind == "ordered") e.kind = ExpectKind::kOrdered;
      else if (kind == "fail") e.kind = ExpectKind::kFail;
      else if (kind == "warn") e.kind = ExpectKind::kWarn;
      else if (kind == "no_warn") e.kind = ExpectKind::kNoWarn;
      else if (kind == "info") e.kind = ExpectKind::kInfo;
      else e.kind = ExpectKind::kNoInfo;
      if (match == "msg") {
        e.match = ExpectLine::Match::kMessage;
        e.text = std::string(Trim(text));
      } else if (match == "regex") {
        e.match = ExpectLine::Match::kRegex;
        e.text = std::string(Trim(text));
        if (!RE2(e.text).ok()) return Error(LineError(def_line, fmt::format("invalid regex {} for {}", e.text, kind)));
      }
      cmd.expects.push_back(std::move(e));
      --j;
      auto count = [&cmd](ExpectKind k) { return cmd.Expects(k).size(); };
      if (count(ExpectKind::kInfo) > 0 && count(ExpectKind::kNoInfo) > 0) {
        return Error(LineError(def_line, "invalid expect lines, info and no_info cannot be used together"));
      }
      if (count(ExpectKind::kWarn) > 0 && count(ExpectKind::kNoWarn) > 0) {
        return Error(LineError(def_line, "invalid expect lines, warn and no_warn cannot be used together"));
      }
      if (count(ExpectKind::kFail) > 1) {
        return Error(LineError(def_line, "invalid expect lines, multiple expect fail lines are not allowed"));
      }
      continue;
    }
    if (auto f = ParseGoNumber(def); f.ok()) {
      cmd.expect_scalar = true;
      cmd.expected_scalar = {SequenceValue::Kind::kFloat, *f};
      cmd.expected.clear();
      break;
    }
    auto series = ParseSeriesDescription(def);
    if (!series.ok()) return Error(LineError(def_line, ToStd(series.status().message())));
    if (series->values.size() > 1 && !cmd.is_range && !cmd.expect_range_vector) {
      return Error(LineError(def_line,
                             "expecting multiple values in instant evaluation not allowed. consider using 'expect "
                             "range vector' directive to enable a range vector result for an instant query"));
    }
    cmd.expect_scalar = false;
    ExpectedSeries e{series->labels, std::move(series->values), j, def_line};
    auto [it, inserted] = index.emplace(e.labels, cmd.expected.size());
    if (inserted) cmd.expected.push_back(std::move(e));
    else cmd.expected[it->second] = std::move(e);
  }
  return cmd;
}

}  // namespace

absl::StatusOr<Script> ParseScript(std::string_view text) {
  std::vector<std::string_view> lines = ScriptLines(text);
  Script script;
  for (size_t i = 0; i < lines.size(); ++i) {
    std::string_view l = lines[i];
    if (l.empty()) continue;
    std::string word = FirstWordLower(l);
    if (word == "clear") {
      script.commands.emplace_back(ClearCommand{static_cast<int>(i + 1)});
    } else if (word.starts_with("load")) {
      STRATA_ASSIGN_OR_RETURN(LoadCommand load, ParseLoad(lines, i));
      script.commands.emplace_back(std::move(load));
    } else if (word.starts_with("eval")) {
      STRATA_ASSIGN_OR_RETURN(EvalCommand eval, ParseEval(lines, i));
      script.commands.emplace_back(std::move(eval));
    } else {
      return Error(LineError(static_cast<int>(i + 1), fmt::format("invalid command {:?}", std::string(l))));
    }
  }
  return script;
}

std::vector<std::pair<int, std::string>> ScanEvalLines(std::string_view text) {
  std::vector<std::pair<int, std::string>> out;
  std::vector<std::string_view> lines = ScriptLines(text);
  for (size_t i = 0; i < lines.size(); ++i) {
    if (!lines[i].empty() && FirstWordLower(lines[i]).starts_with("eval")) {
      out.emplace_back(static_cast<int>(i + 1), std::string(lines[i]));
    }
  }
  return out;
}

}  // namespace strata::promql::conformance
