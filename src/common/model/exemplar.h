// File: common/model/exemplar.h
//
// An exemplar as it travels from the remote_write decoder through the write
// batch to a storage node: a sample of a series plus its own small label set
// (usually a trace id). Index-based, so that the labels of all exemplars of
// one series can live in one reused vector of views (no allocation per
// exemplar on the ingest path).
#pragma once

#include <cstdint>
#include <span>

#include "common/model/labels.h"

namespace strata {

// The exemplar's labels are `labels[label_begin, label_end)` of a vector
// owned by whoever holds the exemplars (WriteRequestSeries, SeriesView).
struct ExemplarView {
  uint32_t label_begin = 0, label_end = 0;
  double value = 0;
  int64_t timestamp_ms = 0;

  std::span<const LabelView> labels_in(std::span<const LabelView> all) const {
    return all.subspan(label_begin, label_end - label_begin);
  }
};

}  // namespace strata
