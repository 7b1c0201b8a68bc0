// File: tests/fuzz/import_check.h
//
// The ImportSink of the import-format fuzzers: it checks what every parser of
// common/formats promises (each series has labels and samples, line numbers
// are 1-based, in body order and inside the body, every bad line has a
// message), runs each series through the label validation the insert handlers
// apply, and keeps owned copies for round-trip checks.
#pragma once

#include <algorithm>
#include <cmath>
#include <string>
#include <string_view>
#include <vector>

#include "common/formats/import_sink.h"
#include "common/model/labels.h"
#include "fuzz/fuzz_check.h"

namespace strata::fuzz {

struct OwnedSeries {
  std::vector<Label> labels;
  std::vector<Sample> samples;
  size_t line = 0;
};

// Values equal by bits, or both NaN (text formats cannot carry NaN payloads).
inline bool SameValues(std::span<const Sample> a, std::span<const Sample> b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (a[i].timestamp_ms != b[i].timestamp_ms) return false;
    if (std::isnan(a[i].value) && std::isnan(b[i].value)) continue;
    if (!SameBits(a[i], b[i])) return false;
  }
  return true;
}

// Aborts unless a series read back from `written` (a round trip) has the
// labels and values of the original.
inline void CheckSameSeries(const OwnedSeries& back, const OwnedSeries& original, const std::string& written) {
  FUZZ_CHECK(back.labels == original.labels, "labels changed in a round trip: " + written);
  FUZZ_CHECK(SameValues(back.samples, original.samples), "samples changed in a round trip: " + written);
}

// Thread-compatible.
class CheckingSink : public formats::ImportSink {
 public:
  explicit CheckingSink(std::string_view body)
      : lines_(static_cast<size_t>(std::count(body.begin(), body.end(), '\n')) + 1) {}

  void OnSeries(formats::ParsedSeries& series) override {
    CheckLine(series.line);
    FUZZ_CHECK(!series.labels.empty(), "a series without labels");
    FUZZ_CHECK(!series.samples.empty(), "a series without samples");
    series_.push_back({Own(series.labels), series.samples, series.line});
    // What the insert handlers do next; it may reorder the views in place.
    std::vector<LabelView> labels = series.labels;
    if (ValidateAndSortLabels(&labels).ok()) FUZZ_CHECK(SortedUnique(labels), "validated labels are not sorted");
  }
  void OnError(formats::ParseError error) override {
    CheckLine(error.line);
    FUZZ_CHECK(!error.message.empty(), "a parse error without a message");
    ++errors_;
  }
  void OnMetadata(const formats::MetadataLine& m) override {
    FUZZ_CHECK(!m.family.empty() || m.kind != formats::MetadataLine::Kind::kType, "TYPE without a family");
    (void)Own(std::vector<LabelView>{{m.family, m.text}});  // every byte of both views is readable
  }
  void OnSkippedValue(size_t line, std::string_view reason) override {
    CheckLine(line);
    FUZZ_CHECK(!reason.empty(), "a skipped value without a reason");
  }

  const std::vector<OwnedSeries>& series() const { return series_; }
  size_t errors() const { return errors_; }

 private:
  void CheckLine(size_t line) {
    FUZZ_CHECK(line >= 1 && line <= lines_, "line " + std::to_string(line) + " is outside the body");
    FUZZ_CHECK(line >= last_line_, "lines reported out of order");
    last_line_ = line;
  }

  size_t lines_;
  size_t last_line_ = 0;
  size_t errors_ = 0;
  std::vector<OwnedSeries> series_;
};

}  // namespace strata::fuzz
