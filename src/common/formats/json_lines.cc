#include "common/formats/json_lines.h"

#include <limits>
#include <utility>

#include <fmt/format.h>
#include <simdjson.h>

#include "common/formats/parse_util.h"

namespace strata::formats {
namespace {

namespace od = simdjson::ondemand;

std::string_view ErrorText(simdjson::error_code e) { return simdjson::error_message(e); }

// A value element: number, null, or a special string.
simdjson::error_code ReadValue(od::value v, double* out, std::string* problem) {
  od::json_type type;
  if (auto e = v.type().get(type)) return e;
  switch (type) {
    case od::json_type::number:
      return v.get_double().get(*out);
    case od::json_type::null:
      *out = std::numeric_limits<double>::quiet_NaN();
      return simdjson::SUCCESS;
    case od::json_type::string: {
      // VictoriaMetrics' spellings of the special values, nothing else.
      std::string_view s;
      if (auto e = v.get_string().get(s)) return e;
      bool negative = !s.empty() && s[0] == '-';
      std::string_view word = negative ? s.substr(1) : s;
      if (word == "infinity" || word == "Infinity" || word == "Inf" || word == "inf") {
        *out = negative ? -std::numeric_limits<double>::infinity() : std::numeric_limits<double>::infinity();
        return simdjson::SUCCESS;
      }
      if (word == "null" || word == "Null" || word == "nan" || word == "NaN") {
        *out = std::numeric_limits<double>::quiet_NaN();
        return simdjson::SUCCESS;
      }
      *problem = fmt::format("unsupported string value \"{}\"", s);
      return simdjson::INCORRECT_TYPE;
    }
    default:
      *problem = "values must be numbers, null or \"NaN\"/\"Inf\" strings";
      return simdjson::INCORRECT_TYPE;
  }
}

}  // namespace

struct JsonLinesParser::Impl {
  od::parser parser;
  std::string padded;  // the current line plus simdjson's padding
  ParsedSeries series;

  // Parses one non-empty line into `series`; returns the problem or "".
  std::string ParseLine(std::string_view line) {
    padded.assign(line);
    padded.reserve(line.size() + simdjson::SIMDJSON_PADDING);
    od::document doc;
    if (auto e = parser.iterate(padded.data(), line.size(), padded.capacity()).get(doc)) {
      return fmt::format("cannot parse JSON: {}", ErrorText(e));
    }
    series.labels.clear();
    series.samples.clear();

    od::object metric;
    if (auto e = doc.find_field_unordered("metric").get_object().get(metric)) {
      return e == simdjson::NO_SUCH_FIELD ? std::string("missing `metric` object")
                                          : fmt::format("cannot read `metric`: {}", ErrorText(e));
    }
    for (auto field : metric) {
      std::string_view name, value;
      if (auto e = field.unescaped_key().get(name)) return fmt::format("cannot read a `metric` key: {}", ErrorText(e));
      if (auto e = field.value().get_string().get(value)) {
        return fmt::format("value of label \"{}\" must be a string: {}", name, ErrorText(e));
      }
      series.labels.push_back({name, value});
    }
    if (series.labels.empty()) return "`metric` has no labels";

    od::array values;
    if (auto e = doc.find_field_unordered("values").get_array().get(values)) {
      return fmt::format("missing `values` array: {}", ErrorText(e));
    }
    size_t i = 0;
    for (auto element : values) {
      od::value v;
      if (auto e = element.get(v)) return fmt::format("cannot read value at position {}: {}", i, ErrorText(e));
      double d = 0;
      std::string problem;
      if (auto e = ReadValue(v, &d, &problem)) {
        return fmt::format("cannot read value at position {}: {}", i, problem.empty() ? ErrorText(e) : problem);
      }
      series.samples.push_back({0, d});
      ++i;
    }
    if (series.samples.empty()) return "empty `values` array";

    od::array timestamps;
    if (auto e = doc.find_field_unordered("timestamps").get_array().get(timestamps)) {
      return fmt::format("missing `timestamps` array: {}", ErrorText(e));
    }
    size_t n = 0;
    for (auto element : timestamps) {
      int64_t ts = 0;
      if (auto e = element.get_int64().get(ts)) {
        return fmt::format("timestamp at position {} must be an integer (milliseconds): {}", n, ErrorText(e));
      }
      if (n < series.samples.size()) series.samples[n].timestamp_ms = ts;
      ++n;
    }
    if (n != series.samples.size()) {
      return fmt::format("`timestamps` has {} elements but `values` has {}", n, series.samples.size());
    }
    return {};
  }
};

JsonLinesParser::JsonLinesParser() : impl_(std::make_unique<Impl>()) {}
JsonLinesParser::~JsonLinesParser() = default;

void JsonLinesParser::Parse(std::string_view body, ImportSink& sink) {
  LineReader lines(body);
  std::string_view line;
  while (lines.Next(&line)) {
    if (TrimSpace(line).empty()) continue;
    std::string problem = impl_->ParseLine(line);
    if (!problem.empty()) {
      sink.OnError({lines.line_number(), std::move(problem)});
      continue;
    }
    impl_->series.line = lines.line_number();
    sink.OnSeries(impl_->series);
  }
}

}  // namespace strata::formats
