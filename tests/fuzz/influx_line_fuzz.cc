// Fuzzes the Influx line protocol parser (/write, /influx/api/v2/write). The
// first byte picks the precision, whether a `db` is given and the
// measurement/field separator; the rest is the body. Invariants: those of
// CheckingSink; every series has a non-empty __name__ first and carries
// the db label when a db is given.
#include <cstdint>
#include <string>

#include "common/formats/influx_line.h"
#include "fuzz/import_check.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace strata;
  using namespace strata::fuzz;
  if (size == 0) return 0;
  formats::InfluxOptions options;
  options.precision = static_cast<formats::InfluxPrecision>(data[0] % 6);
  options.db = (data[0] & 0x8) ? "fuzzdb" : "";
  options.separator = (data[0] & 0x10) ? "." : "_";
  options.default_timestamp_ms = 1700000000000;
  std::string_view body = AsView(data + 1, size - 1);
  formats::InfluxLineParser parser;
  CheckingSink sink(body);
  parser.Parse(body, options, sink);
  for (const OwnedSeries& s : sink.series()) {
    FUZZ_CHECK(s.labels[0].name == kMetricNameLabel && !s.labels[0].value.empty(), "a series without a name");
    if (!options.db.empty()) {
      bool has_db = false;
      for (const Label& l : s.labels) has_db = has_db || l.name == "db";
      FUZZ_CHECK(has_db, "a series without the db label");
    }
  }
  return 0;
}
