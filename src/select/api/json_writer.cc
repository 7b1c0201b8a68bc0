#include "select/api/json_writer.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstring>

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

char* WritePromFloat(double v, char* p) {
  if (std::isnan(v)) return WriteLiteral("NaN", p);
  if (std::isinf(v)) return WriteLiteral(v > 0 ? "+Inf" : "-Inf", p);
  const double abs = std::fabs(v);
  // Integers (counters, byte gauges): below 2^53 every integer is a double
  // and no shorter digit string rounds to it, so Go's shortest 'f' form is
  // the integer itself. -0 keeps its sign on the general path ("-0").
  if (abs < 1e15 && v == std::trunc(v) && !(v == 0 && std::signbit(v))) {
    return std::to_chars(p, p + kMaxPromFloatChars, static_cast<int64_t>(v)).ptr;
  }
  const bool exponent = abs != 0 && (abs < 1e-6 || abs >= 1e21);
  // Go's precision -1 means the shortest digits that round-trip. C++
  // scientific form has them and already writes Go's exponent ("1e-07").
  char buf[kMaxPromFloatChars];
  auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), v, std::chars_format::scientific);
  (void)ec;
  if (exponent) return WriteLiteral(std::string_view(buf, static_cast<size_t>(end - buf)), p);
  // Go's 'f' pads the shortest digits with zeros (123456789012345680000),
  // where C++ fixed form would print the exact binary value; so rebuild the
  // fixed form from the scientific digits.
  const char* q = buf;
  if (*q == '-') *p++ = *q++;
  char digits[24];
  int nd = 0;
  for (; q < end && *q != 'e'; ++q) {
    if (*q != '.') digits[nd++] = *q;
  }
  int exp10 = 0;
  std::from_chars(q + 1 + (q[1] == '+' ? 1 : 0), end, exp10);
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
  p = std::to_chars(p, p + kMaxPromTimestampChars, t / 1000).ptr;
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

void AppendPoint(const Sample& s, std::string* out) {
  char buf[kMaxPromTimestampChars + kMaxPromFloatChars + 8];
  char* p = buf;
  *p++ = '[';
  p = WritePromTimestamp(s.timestamp_ms, p);
  p = WriteLiteral(",\"", p);
  p = WritePromFloat(s.value, p);
  p = WriteLiteral("\"]", p);
  out->append(buf, p);
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
    for (size_t k = 0; k < s.samples.size(); ++k) {
      if (k > 0) out->push_back(',');
      AppendPoint(s.samples[k], out);
    }
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
