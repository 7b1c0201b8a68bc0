// File: common/formats/influx_line.h
//
// The InfluxDB line protocol, with VictoriaMetrics' mapping to series
// (/write, /influx/write, /influx/api/v2/write):
//
//   cpu,host=a,region=eu usage_user=1.5,usage_system=2i 1700000000000000000
//
// gives `cpu_usage_user{host="a",region="eu"}` and `cpu_usage_system{...}`:
// one series per field, named <measurement><separator><field> (just <field>
// when the measurement is empty), labelled with the tags plus `db=<db>` when
// a database is given and no tag is called `db`. Field values: floats,
// integers (`2i`, `2u`), booleans (t/true/f/false... as 1/0), and quoted
// strings, which are stored when they hold a number and otherwise skipped
// (ImportSink::OnSkippedValue, reason "non_numeric_field"). Tags with an
// empty key or value are dropped. Escapes: `\,` `\ ` `\=` in names and tag
// values, `\"` `\\` in string fields. The timestamp is optional (absent:
// default_timestamp_ms) and read in the request's precision. A line is
// rejected whole (ParseError) when any part of it is malformed.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/formats/import_sink.h"

namespace strata::formats {

enum class InfluxPrecision { kNanoseconds, kMicroseconds, kMilliseconds, kSeconds, kMinutes, kHours };

// The `precision` query argument: "" and "ns"/"n" (the default), "u"/"us"/"µ",
// "ms", "s", "m", "h". Nullopt for anything else.
std::optional<InfluxPrecision> ParseInfluxPrecision(std::string_view s);

struct InfluxOptions {
  InfluxPrecision precision = InfluxPrecision::kNanoseconds;
  int64_t default_timestamp_ms = 0;
  // Value of the `db` label ("": none); the `db` query argument.
  std::string_view db;
  // Between measurement and field (-influxMeasurementFieldSeparator).
  std::string_view separator = "_";
};

// Thread-compatible: one parser per thread; it reuses its buffers.
class InfluxLineParser {
 public:
  void Parse(std::string_view body, const InfluxOptions& options, ImportSink& sink);

 private:
  struct Field {
    std::string_view key;
    double value = 0;
    bool skip = false;  // a non-numeric string
  };
  // Parses one line into measurement_, tags_, fields_ and ts; returns the problem or "".
  std::string ParseLine(std::string_view line, const InfluxOptions& options, int64_t* ts);
  std::string_view Unescape(std::string_view raw);

  std::string_view measurement_;
  std::vector<LabelView> tags_;
  std::vector<Field> fields_;
  std::string scratch_;
  std::string name_;
  ParsedSeries series_;
};

}  // namespace strata::formats
