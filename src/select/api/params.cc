#include "select/api/params.h"

#include <cctype>
#include <charconv>
#include <cmath>
#include <limits>

#include <fmt/format.h>

#include "common/base/civil_date.h"
#include "common/base/status.h"
#include "select/promql/lexer.h"
#include "select/promql/parser.h"
#include "select/promql/go_format.h"

namespace strata::select {
namespace {

constexpr int64_t kNanosPerSecond = 1'000'000'000;

// Go's underscoreOK: `_` only between digits (a base prefix counts as a
// digit), never first or last.
bool GoUnderscoresOk(std::string_view s) {
  char saw = '^';
  if (!s.empty() && (s[0] == '+' || s[0] == '-')) s.remove_prefix(1);
  bool hex = false;
  size_t i = 0;
  if (s.size() >= 2 && s[0] == '0' && std::string_view("bBoOxX").find(s[1]) != std::string_view::npos) {
    i = 2;
    saw = '0';
    hex = s[1] == 'x' || s[1] == 'X';
  }
  for (; i < s.size(); ++i) {
    const char c = s[i];
    if ((c >= '0' && c <= '9') || (hex && std::isxdigit(static_cast<unsigned char>(c)))) {
      saw = '0';
    } else if (c == '_') {
      if (saw != '0') return false;
      saw = '_';
    } else {
      if (saw == '_') return false;
      saw = '!';
    }
  }
  return saw != '_';
}

// strconv.ParseFloat(s, 64): decimal, hex (0x...p..., the binary exponent
// is required), inf/infinity/nan in any case, an optional sign, `_` digit
// separators; the whole string must be consumed.
bool GoParseFloat(std::string_view s, double* out) {
  if (s.find('_') != std::string_view::npos) {
    if (!GoUnderscoresOk(s)) return false;
    std::string plain;
    for (char c : s) {
      if (c != '_') plain.push_back(c);
    }
    return GoParseFloat(plain, out);
  }
  if (s.empty()) return false;
  bool negative = false;
  if (s[0] == '+' || s[0] == '-') {
    negative = s[0] == '-';
    s.remove_prefix(1);
    if (s.empty() || s[0] == '+' || s[0] == '-') return false;
  }
  double v = 0;
  std::from_chars_result r;
  if (s.size() > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
    if (s.find_first_of("pP") == std::string_view::npos) return false;
    r = std::from_chars(s.data() + 2, s.data() + s.size(), v, std::chars_format::hex);
  } else {
    r = std::from_chars(s.data(), s.data() + s.size(), v, std::chars_format::general);
  }
  if (r.ec != std::errc() || r.ptr != s.data() + s.size()) return false;
  *out = negative ? -v : v;
  return true;
}

bool ParseFixedDigits(std::string_view s, size_t pos, size_t n, int* out) {
  if (pos + n > s.size()) return false;
  int v = 0;
  for (size_t i = pos; i < pos + n; ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
    v = v * 10 + (s[i] - '0');
  }
  *out = v;
  return true;
}

// time.Parse(time.RFC3339Nano, s): YYYY-MM-DDTHH:MM:SS[.fraction](Z|±HH:MM).
bool ParseRfc3339(std::string_view s, int64_t* ms) {
  int year, month, day, hour, minute, second;
  if (!ParseFixedDigits(s, 0, 4, &year) || s.size() < 20 || s[4] != '-' || !ParseFixedDigits(s, 5, 2, &month) ||
      s[7] != '-' || !ParseFixedDigits(s, 8, 2, &day) || s[10] != 'T' || !ParseFixedDigits(s, 11, 2, &hour) ||
      s[13] != ':' || !ParseFixedDigits(s, 14, 2, &minute) || s[16] != ':' || !ParseFixedDigits(s, 17, 2, &second)) {
    return false;
  }
  if (month < 1 || month > 12 || hour > 23 || minute > 59 || second > 59 || day < 1) return false;
  if (day > DaysInMonth(year, month)) return false;
  size_t pos = 19;
  int64_t nanos = 0;
  if (pos < s.size() && s[pos] == '.') {
    ++pos;
    int digits = 0;
    while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') {
      if (digits < 9) nanos = nanos * 10 + (s[pos] - '0');
      ++digits;
      ++pos;
    }
    if (digits == 0 || digits > 9) return false;
    for (int i = digits; i < 9; ++i) nanos *= 10;
  }
  int64_t offset_seconds = 0;
  if (pos < s.size() && s[pos] == 'Z') {
    ++pos;
  } else if (pos < s.size() && (s[pos] == '+' || s[pos] == '-')) {
    int oh, om;
    if (!ParseFixedDigits(s, pos + 1, 2, &oh) || pos + 3 >= s.size() || s[pos + 3] != ':' ||
        !ParseFixedDigits(s, pos + 4, 2, &om) || oh > 23 || om > 59) {
      return false;
    }
    offset_seconds = (oh * 3600 + om * 60) * (s[pos] == '-' ? -1 : 1);
    pos += 6;
  } else {
    return false;
  }
  if (pos != s.size()) return false;
  const int64_t seconds =
      DaysFromCivil(year, month, day) * 86400 + hour * 3600 +
      minute * 60 + second - offset_seconds;
  *ms = seconds * 1000 + nanos / 1'000'000;
  return true;
}

// Prometheus's MinTime/MaxTime and their RFC3339 spellings (client_golang
// sends them for open ranges).
constexpr int64_t kMinTimeMs = (std::numeric_limits<int64_t>::min() / 1000 + 62135596801) * 1000;
constexpr int64_t kMaxTimeMs = (std::numeric_limits<int64_t>::max() / 1000 - 62135596801) * 1000 + 999;
constexpr std::string_view kMinTimeFormatted = "-292273086-05-16T16:47:06Z";
constexpr std::string_view kMaxTimeFormatted = "292277025-08-18T07:12:54.999999999Z";

absl::Status InvalidParam(const absl::Status& cause, std::string_view name) {
  return absl::InvalidArgumentError(fmt::format("invalid parameter \"{}\": {}", name, ToStd(cause.message())));
}

absl::Status ParseCommonOptions(const FormParams& params, promql::QueryOptions* options) {
  if (std::string_view to = params.Get("timeout"); !to.empty()) {
    auto timeout = ParseDurationNs(to);
    if (!timeout.ok()) return InvalidParam(timeout.status(), "timeout");
    // A non-positive timeout would expire at once; Go's context does the same.
    options->timeout = std::chrono::milliseconds(std::max<int64_t>(*timeout / 1'000'000, 1));
  }
  if (std::string_view lb = params.Get("lookback_delta"); !lb.empty()) {
    auto lookback = ParseDurationNs(lb);
    if (!lookback.ok()) {
      return absl::InvalidArgumentError(
          fmt::format("error parsing lookback delta duration: {}", ToStd(lookback.status().message())));
    }
    options->lookback_delta_ms = *lookback / 1'000'000;
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::vector<Matcher>> ParseSeriesSelector(std::string_view s) {
  using promql::TokenType;
  promql::Lexer lexer(s);
  promql::Token t = lexer.Next();
  if (t.type == TokenType::kIdentifier || t.type == TokenType::kMetricIdentifier || t.IsKeyword()) t = lexer.Next();
  if (t.type == TokenType::kLeftBrace) {
    do {
      t = lexer.Next();
    } while (t.type != TokenType::kRightBrace && t.type != TokenType::kEof && t.type != TokenType::kError);
    if (t.type == TokenType::kRightBrace) t = lexer.Next();
  }
  if (t.type != TokenType::kEof && t.type != TokenType::kError) {
    return promql::ParseError(s, t.pos, fmt::format("unexpected {}", t.Describe()));
  }
  auto expr = promql::ParseExpr(s);
  if (!expr.ok()) {
    if (ToStd(expr.status().message()).ends_with("vector selector must contain at least one non-empty matcher")) {
      return absl::InvalidArgumentError("match[] must contain at least one non-empty matcher");
    }
    return expr.status();
  }
  const promql::VectorSelector* vs = (*expr)->As<promql::VectorSelector>();
  if (vs == nullptr) return absl::InvalidArgumentError(fmt::format("{} is not a series selector", promql::GoQuote(s)));
  return vs->matchers;
}

FormParams ParseFormValues(const HttpRequest& request) {
  auto strict = FormParams::Parse(request);
  if (strict.ok()) return *std::move(strict);
  const auto decodable = [](std::string_view s) {
    std::string out;
    while (!s.empty()) {
      const size_t amp = s.find('&');
      const std::string_view pair = s.substr(0, amp);
      s = amp == std::string_view::npos ? std::string_view() : s.substr(amp + 1);
      if (!FormParams::ParseQueryString(pair).ok()) continue;
      if (!out.empty()) out.push_back('&');
      out.append(pair);
    }
    return out;
  };
  HttpRequest clean = request;
  clean.query = decodable(request.query);
  clean.body = decodable(request.body);
  auto lenient = FormParams::Parse(clean);
  return lenient.ok() ? *std::move(lenient) : FormParams();
}

absl::StatusOr<int64_t> ParseTimeMs(std::string_view s) {
  double f = 0;
  if (GoParseFloat(s, &f) && std::isfinite(f) && std::fabs(f) < 9.2e15) {
    // Go: s, ns := math.Modf(t); ns = math.Round(ns*1000)/1000;
    // time.Unix(int64(s), int64(ns*1e9)), then milliseconds.
    double ipart = 0;
    double frac = std::modf(f, &ipart);
    frac = std::round(frac * 1000) / 1000;
    int64_t sec = static_cast<int64_t>(ipart);
    int64_t nsec = static_cast<int64_t>(frac * 1e9);
    if (nsec < 0 || nsec >= kNanosPerSecond) {
      int64_t n = nsec / kNanosPerSecond;
      sec += n;
      nsec -= n * kNanosPerSecond;
      if (nsec < 0) {
        nsec += kNanosPerSecond;
        --sec;
      }
    }
    return sec * 1000 + nsec / 1'000'000;
  }
  int64_t ms = 0;
  if (ParseRfc3339(s, &ms)) return ms;
  if (s == kMinTimeFormatted) return kMinTimeMs;
  if (s == kMaxTimeFormatted) return kMaxTimeMs;
  return absl::InvalidArgumentError(fmt::format("cannot parse {} to a valid timestamp", promql::GoQuote(s)));
}

absl::StatusOr<int64_t> ParseDurationNs(std::string_view s) {
  double f = 0;
  if (GoParseFloat(s, &f)) {
    const double ns = f * 1e9;
    // Go rejects d >= float64(MaxInt64) and d <= float64(MinInt64): both
    // bounds are 2^63 in magnitude as doubles, and converting 2^63 to int64
    // would be undefined behaviour (found reviewing the fuzzers' float-to-int finds).
    // NaN fails both comparisons in Go and becomes a garbage duration; it is
    // rejected here as an overflow.
    if (!(ns < 9.223372036854775807e18 && ns > -9.223372036854775808e18)) {
      return absl::InvalidArgumentError(fmt::format("cannot parse {} to a valid duration. It overflows int64", promql::GoQuote(s)));
    }
    return static_cast<int64_t>(ns);
  }
  auto ms = promql::ParseDuration(s);
  if (ms.ok() && *ms <= std::numeric_limits<int64_t>::max() / 1'000'000) return *ms * 1'000'000;
  return absl::InvalidArgumentError(fmt::format("cannot parse {} to a valid duration", promql::GoQuote(s)));
}

absl::StatusOr<InstantQueryParams> ParseInstantQueryParams(const FormParams& params, int64_t now_ms) {
  InstantQueryParams out;
  out.time_ms = now_ms;
  if (std::string_view t = params.Get("time"); !t.empty()) {
    auto ts = ParseTimeMs(t);
    if (!ts.ok()) {
      return InvalidParam(
          absl::InvalidArgumentError(fmt::format("Invalid time value for 'time': {}", ToStd(ts.status().message()))),
          "time");
    }
    out.time_ms = *ts;
  }
  STRATA_RETURN_IF_ERROR(ParseCommonOptions(params, &out.options));
  out.query = std::string(params.Get("query"));
  return out;
}

absl::StatusOr<RangeQueryParams> ParseRangeQueryParams(const FormParams& params, int64_t max_points_per_series) {
  RangeQueryParams out;
  auto start = ParseTimeMs(params.Get("start"));
  if (!start.ok()) return InvalidParam(start.status(), "start");
  auto end = ParseTimeMs(params.Get("end"));
  if (!end.ok()) return InvalidParam(end.status(), "end");
  if (*end < *start) {
    return InvalidParam(absl::InvalidArgumentError("end timestamp must not be before start time"), "end");
  }
  auto step = ParseDurationNs(params.Get("step"));
  if (!step.ok()) return InvalidParam(step.status(), "step");
  if (*step <= 0) {
    return InvalidParam(absl::InvalidArgumentError(
                            "zero or negative query resolution step widths are not accepted. Try a positive integer"),
                        "step");
  }
  // Go compares durations in nanoseconds: end.Sub(start)/step > 11000.
  const __int128 range_ns = static_cast<__int128>(*end - *start) * 1'000'000;
  if (range_ns / *step > max_points_per_series) {
    return absl::InvalidArgumentError(
        fmt::format("exceeded maximum resolution of {} points per timeseries. Try decreasing the query resolution "
                    "(?step=XX)",
                    promql::FormatWithThousands(max_points_per_series)));
  }
  STRATA_RETURN_IF_ERROR(ParseCommonOptions(params, &out.options));
  out.start_ms = *start;
  out.end_ms = *end;
  // The engine works in milliseconds, as Prometheus's does.
  out.step_ms = std::max<int64_t>(*step / 1'000'000, 1);
  out.query = std::string(params.Get("query"));
  return out;
}

}  // namespace strata::select
