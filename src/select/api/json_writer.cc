#include "select/api/json_writer.h"

#include <algorithm>
#include <charconv>
#include <cmath>

#include "common/base/parallel_for.h"
#include "common/encoding/json_string.h"

namespace strata::select {
namespace {

void AppendInt(int64_t v, std::string* out) {
  char buf[24];
  auto [ptr, ec] = std::to_chars(buf, buf + sizeof(buf), v);
  (void)ec;
  out->append(buf, ptr);
}

}  // namespace

void AppendPromFloat(double v, std::string* out) {
  if (std::isnan(v)) {
    out->append("NaN");
    return;
  }
  if (std::isinf(v)) {
    out->append(v > 0 ? "+Inf" : "-Inf");
    return;
  }
  const double abs = std::fabs(v);
  const bool exponent = abs != 0 && (abs < 1e-6 || abs >= 1e21);
  // Go's precision -1 means the shortest digits that round-trip. C++
  // scientific form has them and already writes Go's exponent ("1e-07").
  char buf[64];
  auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), v, std::chars_format::scientific);
  (void)ec;
  if (exponent) {
    out->append(buf, end);
    return;
  }
  // Go's 'f' pads the shortest digits with zeros (123456789012345680000),
  // where C++ fixed form would print the exact binary value; so rebuild the
  // fixed form from the scientific digits.
  const char* p = buf;
  if (*p == '-') out->push_back(*p++);
  char digits[24];
  int nd = 0;
  for (; p < end && *p != 'e'; ++p) {
    if (*p != '.') digits[nd++] = *p;
  }
  int exp10 = 0;
  std::from_chars(p + 1 + (p[1] == '+' ? 1 : 0), end, exp10);
  const int dp = exp10 + 1;  // digits before the decimal point
  if (dp > 0) {
    for (int i = 0; i < dp; ++i) out->push_back(i < nd ? digits[i] : '0');
  } else {
    out->push_back('0');
  }
  if (nd > dp) {
    out->push_back('.');
    for (int i = dp < 0 ? dp : 0; i < 0; ++i) out->push_back('0');
    for (int i = std::max(dp, 0); i < nd; ++i) out->push_back(digits[i]);
  }
}

void AppendPromTimestamp(int64_t ms, std::string* out) {
  uint64_t t = static_cast<uint64_t>(ms);
  if (ms < 0) {
    out->push_back('-');
    t = 0 - t;
  }
  AppendInt(static_cast<int64_t>(t / 1000), out);
  const unsigned fraction = static_cast<unsigned>(t % 1000);
  if (fraction != 0) {
    out->push_back('.');
    out->push_back(static_cast<char>('0' + fraction / 100));
    out->push_back(static_cast<char>('0' + fraction / 10 % 10));
    out->push_back(static_cast<char>('0' + fraction % 10));
  }
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
  out->push_back('[');
  AppendPromTimestamp(s.timestamp_ms, out);
  out->append(",\"");
  AppendPromFloat(s.value, out);
  out->append("\"]");
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
