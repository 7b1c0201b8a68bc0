// File: common/prompb/remote_write_encoder.h
//
// Builds Prometheus remote_write 1.0 request bodies (prometheus.WriteRequest,
// snappy block-compressed) by hand, without the generated protobuf classes.
// Used by the load generator, the benchmarks, the end-to-end tests and
// stratactl's importers; the hot ingest path only decodes.
#pragma once

#include <span>
#include <string>
#include <string_view>

#include "common/model/labels.h"
#include "common/model/sample.h"

namespace strata {

// Appends one `TimeSeries` (as WriteRequest field 1) with the given labels and
// samples to `*request`. Concatenating such entries yields a valid
// WriteRequest. Used by load drivers, benchmarks and tests; not a hot path.
void AppendWriteRequestSeries(std::span<const LabelView> labels, std::span<const Sample> samples,
                              std::string* request);

// Snappy block compression of `data` into `*out` (replacing its contents).
void SnappyCompress(std::string_view data, std::string* out);

// Accumulates the series of one WriteRequest. Thread-compatible.
class RemoteWriteEncoder {
 public:
  // Appends a TimeSeries with `labels` (written in the given order) and
  // `samples`.
  void AddSeries(std::span<const LabelView> labels, std::span<const Sample> samples);
  void AddSeries(const Labels& labels, std::span<const Sample> samples);

  size_t series_count() const { return series_count_; }
  // The uncompressed protobuf bytes so far.
  const std::string& proto() const { return proto_; }
  // Returns the snappy-compressed request body and resets the encoder.
  std::string FinishSnappy();

 private:
  std::string proto_;
  size_t series_count_ = 0;
};

}  // namespace strata
