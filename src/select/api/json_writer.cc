#include "select/api/json_writer.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstring>

#include <fmt/format.h>

#include "common/base/parallel_for.h"
#include "common/encoding/json_string.h"

namespace strata::select {
namespace {

// The formatters below write into a caller's stack buffer and the result
// is appended once: a range query's JSON is mostly points, and appending
// them a character at a time cost as much as converting the floats.

// Longest WritePromFloat output: "-" and 21 integer digits, "-0.00000" and
// 17 digits, or "-1.2345678901234567e-308".
constexpr size_t kMaxPromFloatChars = 32;
// Longest WritePromTimestamp output: "-", 17 digits of seconds, ".999".
constexpr size_t kMaxPromTimestampChars = 24;

char* WriteLiteral(std::string_view s, char* p) {
  std::memcpy(p, s.data(), s.size());
  return p + s.size();
}

// "00".."99": two digits per table load.
constexpr char kDigitPairs[201] =
    "00010203040506070809101112131415161718192021222324252627282930313233343536373839"
    "40414243444546474849505152535455565758596061626364656667686970717273747576777879"
    "8081828384858687888990919293949596979899";

// Exactly 8 digits, leading zeros included. The four pairs do not depend on
// each other, unlike to_chars' divide-by-100 chain.
char* WriteEightDigits(uint32_t v, char* p) {
  const uint32_t high = v / 10000, low = v % 10000;
  std::memcpy(p, kDigitPairs + 2 * (high / 100), 2);
  std::memcpy(p + 2, kDigitPairs + 2 * (high % 100), 2);
  std::memcpy(p + 4, kDigitPairs + 2 * (low / 100), 2);
  std::memcpy(p + 6, kDigitPairs + 2 * (low % 100), 2);
  return p + 8;
}

// The decimal digits of v < 10^17 (a double's shortest significand) without
// leading zeros. Fractional gauges mostly have 15 to 17 significant digits.
char* WriteDecimalDigits(uint64_t v, char* p) {
  constexpr uint64_t k1e8 = 100000000;
  if (v < k1e8) return std::to_chars(p, p + 8, static_cast<uint32_t>(v)).ptr;
  const uint64_t high = v / k1e8;
  const uint32_t low = static_cast<uint32_t>(v % k1e8);
  if (high < k1e8) {
    p = std::to_chars(p, p + 8, static_cast<uint32_t>(high)).ptr;
  } else {
    p = std::to_chars(p, p + 4, static_cast<uint32_t>(high / k1e8)).ptr;
    p = WriteEightDigits(static_cast<uint32_t>(high % k1e8), p);
  }
  return WriteEightDigits(low, p);
}

char* WritePromFloat(double v, char* p) {
  if (std::isnan(v)) return WriteLiteral("NaN", p);
  if (std::isinf(v)) return WriteLiteral(v > 0 ? "+Inf" : "-Inf", p);
  const double abs = std::fabs(v);
  // Integers (counters, byte gauges): below 2^53 every integer is a double
  // and no shorter digit string rounds to it, so Go's shortest 'f' form is
  // the integer itself. -0 keeps its sign on the general path ("-0").
  if (abs < 1e15 && v == std::trunc(v) && !(v == 0 && std::signbit(v))) {
    if (v < 0) *p++ = '-';
    return WriteDecimalDigits(static_cast<uint64_t>(abs), p);
  }
  // Go's precision -1 means the shortest digits that round-trip: exactly
  // what Dragonbox computes, as an integer significand and a power of ten.
  // (fmt exports it from its compiled library; libstdc++'s to_chars gets
  // the same digits through Ryu and a string we would have to re-parse.)
  if (std::signbit(v)) *p++ = '-';
  if (abs == 0) return WriteLiteral("0", p);
  const auto decimal = fmt::detail::dragonbox::to_decimal(abs);
  char digits[24] = {};  // (WriteDecimalDigits writes at least one; GCC cannot tell)
  const int nd = static_cast<int>(WriteDecimalDigits(decimal.significand, digits) - digits);
  const int exp10 = decimal.exponent + nd - 1;  // of the first digit
  if (abs < 1e-6 || abs >= 1e21) {
    // Go's 'e' form: "1e-07", "1.5e+21"; at least two exponent digits.
    *p++ = digits[0];
    if (nd > 1) {
      *p++ = '.';
      p = WriteLiteral(std::string_view(digits + 1, static_cast<size_t>(nd - 1)), p);
    }
    *p++ = 'e';
    *p++ = exp10 < 0 ? '-' : '+';
    const int e = exp10 < 0 ? -exp10 : exp10;
    if (e >= 100) *p++ = static_cast<char>('0' + e / 100);
    *p++ = static_cast<char>('0' + e / 10 % 10);
    *p++ = static_cast<char>('0' + e % 10);
    return p;
  }
  // Go's 'f' form pads the shortest digits with zeros (123456789012345680000)
  // where an exact fixed form would print the binary value's digits.
  const int dp = exp10 + 1;  // digits before the decimal point
  if (dp > 0) {
    for (int i = 0; i < dp; ++i) *p++ = i < nd ? digits[i] : '0';
  } else {
    *p++ = '0';
  }
  if (nd > dp) {
    *p++ = '.';
    for (int i = dp < 0 ? dp : 0; i < 0; ++i) *p++ = '0';
    for (int i = std::max(dp, 0); i < nd; ++i) *p++ = digits[i];
  }
  return p;
}

char* WritePromTimestamp(int64_t ms, char* p) {
  uint64_t t = static_cast<uint64_t>(ms);
  if (ms < 0) {
    *p++ = '-';
    t = 0 - t;
  }
  p = WriteDecimalDigits(t / 1000, p);  // < 2^63 / 1000 < 10^17
  const unsigned fraction = static_cast<unsigned>(t % 1000);
  if (fraction != 0) {
    *p++ = '.';
    *p++ = static_cast<char>('0' + fraction / 100);
    *p++ = static_cast<char>('0' + fraction / 10 % 10);
    *p++ = static_cast<char>('0' + fraction % 10);
  }
  return p;
}

}  // namespace

void AppendPromFloat(double v, std::string* out) {
  char buf[kMaxPromFloatChars];
  out->append(buf, WritePromFloat(v, buf));
}

void AppendPromTimestamp(int64_t ms, std::string* out) {
  char buf[kMaxPromTimestampChars];
  out->append(buf, WritePromTimestamp(ms, buf));
}

void AppendLabelsJson(const Labels& labels, std::string* out) {
  out->push_back('{');
  bool first = true;
  for (const Label& l : labels) {  // Labels are sorted by name
    if (!first) out->push_back(',');
    first = false;
    AppendJsonString(l.name, out);
    out->push_back(':');
    AppendJsonString(l.value, out);
  }
  out->push_back('}');
}

namespace {

void AppendMetric(const Labels& labels, std::string* out) {
  out->append("{\"metric\":");
  AppendLabelsJson(labels, out);
}

// Longest `[t,"v"]`.
constexpr size_t kMaxPointChars = kMaxPromTimestampChars + kMaxPromFloatChars + 5;

char* WritePoint(const Sample& s, char* p) {
  *p++ = '[';
  p = WritePromTimestamp(s.timestamp_ms, p);
  p = WriteLiteral(",\"", p);
  p = WritePromFloat(s.value, p);
  return WriteLiteral("\"]", p);
}

void AppendPoint(const Sample& s, std::string* out) {
  char buf[kMaxPointChars];
  out->append(buf, WritePoint(s, buf));
}

// `[t,"v"],[t,"v"],...`. Points are written straight into `out`, a block at
// a time: appending each one cost as much as formatting it. Blocks keep the
// zero-fill of resize() small and in cache.
void AppendPoints(std::span<const Sample> samples, std::string* out) {
  constexpr size_t kBlock = 256;
  for (size_t begin = 0; begin < samples.size(); begin += kBlock) {
    const size_t n = std::min(kBlock, samples.size() - begin);
    const size_t size = out->size();
    out->resize(size + n * (kMaxPointChars + 1));
    char* p = out->data() + size;
    for (size_t k = begin; k < begin + n; ++k) {
      if (k > 0) *p++ = ',';
      p = WritePoint(samples[k], p);
    }
    out->resize(static_cast<size_t>(p - out->data()));
  }
}

}  // namespace

namespace {

// `,"<name>":["a","b"]`, or nothing for an empty list.
void AppendStringArray(std::string_view name, const std::vector<std::string>& items, std::string* out) {
  if (items.empty()) return;
  out->append(",\"");
  out->append(name);
  out->append("\":[");
  for (size_t i = 0; i < items.size(); ++i) {
    if (i > 0) out->push_back(',');
    AppendJsonString(items[i], out);
  }
  out->push_back(']');
}

// `{"metric":{...},"value":[t,"v"]}` (vector) or `...,"values":[[t,"v"],...]}`.
void AppendSeries(const promql::SeriesResult& s, bool vector, std::string* out) {
  AppendMetric(s.labels, out);
  if (vector) {
    out->append(",\"value\":");
    AppendPoint(s.samples.empty() ? Sample{} : s.samples.front(), out);
  } else {
    out->append(",\"values\":[");
    AppendPoints(s.samples, out);
    out->push_back(']');
  }
  out->push_back('}');
}

// Formatting floats is a large share of a long range query's time; above
// this many points the series are formatted on several threads.
constexpr size_t kParallelJsonMinPoints = 4096;

void AppendSeriesList(const promql::QueryResult& result, std::string* out) {
  const bool vector = result.type == promql::ValueType::kVector;
  const std::vector<promql::SeriesResult>& series = result.series;
  size_t points = 0;
  for (const promql::SeriesResult& s : series) points += s.samples.size();
  out->push_back('[');
  if (points >= kParallelJsonMinPoints && series.size() > 1) {
    std::vector<std::string> parts(series.size());
    ParallelFor(series.size(), 1, [&](size_t begin, size_t end) {
      for (size_t i = begin; i < end; ++i) AppendSeries(series[i], vector, &parts[i]);
    });
    size_t bytes = 0;
    for (const std::string& part : parts) bytes += part.size() + 1;
    out->reserve(out->size() + bytes + 64);
    for (size_t i = 0; i < parts.size(); ++i) {
      if (i > 0) out->push_back(',');
      out->append(parts[i]);
    }
  } else {
    for (size_t i = 0; i < series.size(); ++i) {
      if (i > 0) out->push_back(',');
      AppendSeries(series[i], vector, out);
    }
  }
  out->push_back(']');
}

}  // namespace

void WriteQueryResponse(const promql::QueryResult& result, std::string* out) {
  WriteQueryResponse(result, std::string_view(), out);
}

void WriteQueryResponse(const promql::QueryResult& result, std::string_view stats_json, std::string* out) {
  out->append("{\"status\":\"success\",");
  if (result.partial) out->append("\"isPartial\":true,");
  out->append("\"data\":{\"resultType\":\"");
  out->append(promql::ValueTypeName(result.type));
  out->append("\",\"result\":");
  switch (result.type) {
    case promql::ValueType::kScalar:
      AppendPoint(result.scalar, out);
      break;
    case promql::ValueType::kString:
      out->push_back('[');
      AppendPromTimestamp(result.scalar.timestamp_ms, out);
      out->push_back(',');
      AppendJsonString(result.string_value, out);
      out->push_back(']');
      break;
    case promql::ValueType::kVector:
    case promql::ValueType::kMatrix:
      AppendSeriesList(result, out);
      break;
  }
  if (!stats_json.empty()) {
    out->append(",\"stats\":");
    out->append(stats_json);
  }
  out->push_back('}');
  // Prometheus 3 answers annotations in "warnings" and "infos", each only
  // when not empty.
  AppendStringArray("warnings", result.warnings, out);
  AppendStringArray("infos", result.infos, out);
  out->push_back('}');
}

void WriteErrorResponse(std::string_view error_type, std::string_view message, std::string* out) {
  out->append("{\"status\":\"error\",\"errorType\":");
  AppendJsonString(error_type, out);
  out->append(",\"error\":");
  AppendJsonString(message, out);
  out->push_back('}');
}

}  // namespace strata::select
