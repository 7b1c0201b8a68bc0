// Fuzzes the JSON lines import parser (/api/v1/import). Invariants: those of
// CheckingSink, and a round trip: every series parsed, written back as a
// JSON line (as /api/v1/export would write it), parses to the same labels
// and samples without errors.
#include <cmath>
#include <cstdint>
#include <string>

#include <fmt/format.h>

#include "common/encoding/json_string.h"
#include "common/formats/json_lines.h"
#include "fuzz/import_check.h"

namespace strata::fuzz {
namespace {

void AppendValue(double v, std::string* out) {
  if (std::isnan(v)) {
    out->append("\"NaN\"");
  } else if (std::isinf(v)) {
    out->append(v > 0 ? "\"Inf\"" : "\"-Inf\"");
  } else {
    out->append(fmt::format("{}", v));
  }
}

std::string ToJsonLine(const OwnedSeries& s) {
  std::string out = "{\"metric\":{";
  for (size_t i = 0; i < s.labels.size(); ++i) {
    if (i > 0) out.push_back(',');
    AppendJsonString(s.labels[i].name, &out);
    out.push_back(':');
    AppendJsonString(s.labels[i].value, &out);
  }
  out.append("},\"values\":[");
  for (size_t i = 0; i < s.samples.size(); ++i) {
    if (i > 0) out.push_back(',');
    AppendValue(s.samples[i].value, &out);
  }
  out.append("],\"timestamps\":[");
  for (size_t i = 0; i < s.samples.size(); ++i) {
    if (i > 0) out.push_back(',');
    out.append(std::to_string(s.samples[i].timestamp_ms));
  }
  out.append("]}\n");
  return out;
}

}  // namespace
}  // namespace strata::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace strata;
  using namespace strata::fuzz;
  std::string_view body = AsView(data, size);
  formats::JsonLinesParser parser;
  CheckingSink sink(body);
  parser.Parse(body, sink);

  std::string again;
  for (const OwnedSeries& s : sink.series()) again.append(ToJsonLine(s));
  CheckingSink second(again);
  parser.Parse(again, second);
  FUZZ_CHECK(second.errors() == 0, "a written-back line does not parse: " + again);
  FUZZ_CHECK(second.series().size() == sink.series().size(), "the round trip changed the series count");
  for (size_t i = 0; i < sink.series().size(); ++i) CheckSameSeries(second.series()[i], sink.series()[i], again);
  return 0;
}
