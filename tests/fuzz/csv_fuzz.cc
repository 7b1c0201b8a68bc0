// Fuzzes the CSV import: the `format` argument parser and, when the format
// parses, the row parser. Input: the first line is the format argument
// (e.g. `2:metric:ask,1:label:ticker,3:time:rfc3339`), the rest the body.
// Invariants: those of CheckingSink; a rejected format has a message; every
// series carries at most the format's labels plus __name__.
#include <cstdint>
#include <string>

#include "common/formats/csv.h"
#include "fuzz/import_check.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace strata;
  using namespace strata::fuzz;
  std::string_view in = AsView(data, size);
  size_t nl = in.find('\n');
  if (nl == std::string_view::npos) return 0;
  absl::StatusOr<formats::CsvFormat> format = formats::CsvFormat::Parse(in.substr(0, nl));
  if (!format.ok()) {
    FUZZ_CHECK(!format.status().message().empty(), "a rejected format without a message");
    return 0;
  }
  size_t label_columns = 0;
  for (const auto& c : format->columns) label_columns += c.kind == formats::CsvFormat::Kind::kLabel;
  std::string_view body = in.substr(nl + 1);
  formats::CsvParser parser;
  CheckingSink sink(body);
  parser.Parse(body, *format, formats::CsvOptions{.default_timestamp_ms = 1700000000000}, sink);
  for (const OwnedSeries& s : sink.series()) {
    FUZZ_CHECK(s.labels.size() <= label_columns + 1, "a CSV series has more labels than the format names");
    FUZZ_CHECK(s.samples.size() == 1, "a CSV row yields one sample per metric");
  }
  return 0;
}
