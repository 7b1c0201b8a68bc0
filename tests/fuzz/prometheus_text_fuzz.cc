// Fuzzes the Prometheus text exposition parser (/api/v1/import/prometheus).
// Invariants: those of CheckingSink, and a round trip: a series whose metric
// and label names are plain Prometheus names, written back as an exposition
// line (values and label values escaped as the format wants), parses to the
// same labels and sample without errors. The timestamp goes through
// default_timestamp_ms because a written-back small millisecond timestamp
// would be read as OpenMetrics seconds.
#include <cmath>
#include <cstdint>
#include <string>

#include <fmt/format.h>

#include "common/formats/prometheus_text.h"
#include "fuzz/import_check.h"

namespace strata::fuzz {
namespace {

bool IsPlainName(std::string_view s, bool colons) {
  if (s.empty()) return false;
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || (colons && c == ':') ||
              (i > 0 && c >= '0' && c <= '9');
    if (!ok) return false;
  }
  return true;
}

// The exposition line of `s` without its timestamp, or "" when the names
// need the quoted UTF-8 syntax (not written here).
std::string ToLine(const OwnedSeries& s) {
  if (s.samples.size() != 1 || s.labels.empty() || s.labels[0].name != kMetricNameLabel ||
      !IsPlainName(s.labels[0].value, true)) {
    return "";
  }
  std::string out = s.labels[0].value;
  out.push_back('{');
  for (size_t i = 1; i < s.labels.size(); ++i) {
    if (!IsPlainName(s.labels[i].name, false)) return "";
    if (i > 1) out.push_back(',');
    out.append(s.labels[i].name).append("=\"");
    for (char c : s.labels[i].value) {
      if (c == '\\') out.append("\\\\");
      else if (c == '"') out.append("\\\"");
      else if (c == '\n') out.append("\\n");
      else out.push_back(c);
    }
    out.push_back('"');
  }
  out.append("} ");
  double v = s.samples[0].value;
  if (std::isnan(v)) out.append("NaN");
  else if (std::isinf(v)) out.append(v > 0 ? "+Inf" : "-Inf");
  else out.append(fmt::format("{}", v));
  out.push_back('\n');
  return out;
}

}  // namespace
}  // namespace strata::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace strata;
  using namespace strata::fuzz;
  std::string_view body = AsView(data, size);
  formats::PrometheusTextParser parser;
  formats::PrometheusTextOptions options;
  options.default_timestamp_ms = 1700000000000;
  CheckingSink sink(body);
  parser.Parse(body, options, sink);

  for (const OwnedSeries& s : sink.series()) {
    std::string line = ToLine(s);
    if (line.empty()) continue;
    formats::PrometheusTextOptions at;
    at.default_timestamp_ms = s.samples[0].timestamp_ms;
    CheckingSink again(line);
    parser.Parse(line, at, again);
    FUZZ_CHECK(again.errors() == 0 && again.series().size() == 1, "a written-back line does not parse: " + line);
    CheckSameSeries(again.series()[0], s, line);
  }
  return 0;
}
