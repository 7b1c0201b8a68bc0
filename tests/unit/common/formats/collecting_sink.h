// File: tests/unit/common/formats/collecting_sink.h
//
// An ImportSink that copies everything a parser reports, with the labels
// rendered as sorted `{a="b", ...}` strings, for the parser tests.
#pragma once

#include <string>
#include <vector>

#include "common/formats/import_sink.h"
#include "common/model/labels.h"

namespace strata::formats::testing {

struct Row {
  std::string labels;  // Labels::ToString() of the sorted labels
  std::vector<Sample> samples;
  size_t line = 0;
};

// Thread-compatible.
class CollectingSink : public ImportSink {
 public:
  void OnSeries(ParsedSeries& series) override {
    std::vector<Label> owned;
    for (const LabelView& l : series.labels) owned.push_back({std::string(l.name), std::string(l.value)});
    rows.push_back({Labels::FromUnsorted(std::move(owned)).ToString(), series.samples, series.line});
  }
  void OnError(ParseError error) override { errors.push_back(std::move(error)); }
  void OnMetadata(const MetadataLine& m) override {
    metadata.push_back({m.kind, std::string(m.family), m.type, std::string(m.text)});
  }
  void OnSkippedValue(size_t line, std::string_view reason) override {
    skipped.push_back(std::to_string(line) + ":" + std::string(reason));
  }

  struct Meta {
    MetadataLine::Kind kind;
    std::string family;
    MetricType type;
    std::string text;
  };
  std::vector<Row> rows;
  std::vector<ParseError> errors;
  std::vector<Meta> metadata;
  std::vector<std::string> skipped;
};

}  // namespace strata::formats::testing
