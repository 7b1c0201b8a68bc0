// File: common/formats/json_lines.h
//
// VictoriaMetrics' JSON line import format (/api/v1/import; the output of
// /api/v1/export; ECOSYSTEM.md §4.6). One object per line:
//
//   {"metric":{"__name__":"up","job":"x"},"values":[1,2.5],"timestamps":[1549891472010,1549891487724]}
//
// Timestamps are integer milliseconds. A value is a JSON number, null (NaN),
// or one of the strings "NaN", "Inf", "-Inf", "Infinity" (as VictoriaMetrics
// accepts them). Empty lines are skipped. A line is rejected (ParseError,
// the next line is still parsed) when it is not JSON, `metric` is missing,
// empty or has a non-string value, `values` or `timestamps` is missing or
// empty, an element has the wrong type, or the two arrays differ in length.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "common/formats/import_sink.h"

namespace strata::formats {

// Thread-compatible: one parser per thread; it reuses its buffers.
class JsonLinesParser {
 public:
  JsonLinesParser();
  ~JsonLinesParser();
  JsonLinesParser(const JsonLinesParser&) = delete;
  JsonLinesParser& operator=(const JsonLinesParser&) = delete;

  // Calls `sink` for every line of `body`.
  void Parse(std::string_view body, ImportSink& sink);

 private:
  struct Impl;  // keeps simdjson out of this header
  std::unique_ptr<Impl> impl_;
};

}  // namespace strata::formats
