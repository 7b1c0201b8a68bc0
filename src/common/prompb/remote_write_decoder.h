// File: common/prompb/remote_write_decoder.h
//
// Decodes a Prometheus remote_write 1.0 request body (snappy block format
// around a protobuf `prometheus.WriteRequest`, ECOSYSTEM.md §3.1) without the
// generated protobuf classes, which allocate per label: the body is
// decompressed into a buffer that is reused from request to request, and the
// wire format is walked by hand, handing out label names and values as views
// into that buffer (DESIGN.md "Hot paths").
//
// Usage, on one thread:
//
//   RemoteWriteDecoder decoder;                 // e.g. thread_local, reused
//   STRATA_ASSIGN_OR_RETURN(auto reader, decoder.Decompress(body));
//   WriteRequestSeries series;                  // reused across series
//   while (reader.Next(&series)) { ... series.labels / series.samples ... }
//   STRATA_RETURN_IF_ERROR(reader.status());    // malformed protobuf
//
// Every malformed input (bad snappy, truncated or corrupt protobuf) yields an
// InvalidArgument status whose message starts with "cannot decompress snappy
// body" or "cannot parse remote_write request"; the decoder never crashes and
// never reads past its input.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "common/model/exemplar.h"
#include "common/model/labels.h"
#include "common/model/sample.h"

namespace strata {

// The largest decompressed WriteRequest accepted by default. Prometheus sends
// at most a few MB (2000 samples per request by default); the cap keeps a
// hostile 20-byte body from making us allocate gigabytes.
inline constexpr size_t kDefaultMaxRemoteWriteBytes = size_t{64} << 20;

// Decompresses a snappy *block* (not framed) into `*out`, replacing its
// contents and reusing its capacity. Returns InvalidArgument ("cannot
// decompress snappy body: ...") when the data is not valid snappy or would
// decompress to more than `max_uncompressed_bytes`.
absl::Status SnappyUncompress(std::string_view compressed, size_t max_uncompressed_bytes, std::string* out);

// One TimeSeries of a WriteRequest. `labels` and `exemplar_labels` are views
// into the request buffer, in wire order (not validated, not sorted). Native
// histograms are not decoded; they are only counted so that the caller can
// report that they were not stored. The vectors keep their capacity when the
// struct is reused, so exemplars cost no allocation in steady state either.
struct WriteRequestSeries {
  std::vector<LabelView> labels;
  std::vector<Sample> samples;
  std::vector<ExemplarView> exemplars;
  std::vector<LabelView> exemplar_labels;
  size_t histogram_count = 0;

  std::span<const LabelView> labels_of(const ExemplarView& e) const {
    return e.labels_in(exemplar_labels);
  }
};

// One MetricMetadata of a WriteRequest (field 3): views into the request
// buffer. `type` is the wire's MetricType number (0 UNKNOWN, 1 COUNTER,
// 2 GAUGE, 3 HISTOGRAM, 4 GAUGEHISTOGRAM, 5 SUMMARY, 6 INFO, 7 STATESET).
struct MetricMetadataView {
  uint32_t type = 0;
  std::string_view metric_family_name;
  std::string_view help;
  std::string_view unit;
};

// Iterates the TimeSeries of an uncompressed WriteRequest, in order.
// Unknown fields are skipped by wire type, as libprotobuf does (a known field
// number with an unexpected wire type counts as unknown); `metadata` (field 3)
// entries met on the way are decoded into metadata(). Groups (wire types 3
// and 4) are rejected.
// Thread-compatible.
class WriteRequestReader {
 public:
  // REQUIRES: `request` outlives the reader and every view it hands out.
  explicit WriteRequestReader(std::string_view request) : rest_(request) {}

  // Fills `*series` with the next TimeSeries and returns true. Returns false
  // at the end of the request, or with `status()` not OK when the request is
  // malformed (after which Next keeps returning false).
  bool Next(WriteRequestSeries* series);

  const absl::Status& status() const { return status_; }
  // The MetricMetadata entries met so far (all of them once Next returned
  // false with an OK status). Prometheus sends metadata in requests of
  // their own, so the vector stays empty (unallocated) on the sample path.
  const std::vector<MetricMetadataView>& metadata() const { return metadata_; }
  size_t metadata_count() const { return metadata_.size(); }

 private:
  bool Fail(std::string_view what);

  std::string_view rest_;
  size_t consumed_ = 0;  // bytes of the request before rest_, for messages
  absl::Status status_;
  std::vector<MetricMetadataView> metadata_;
};

// Owns the reusable decompression buffer. Thread-compatible: use one per
// thread (for example thread_local in the HTTP handler).
class RemoteWriteDecoder {
 public:
  explicit RemoteWriteDecoder(size_t max_uncompressed_bytes = kDefaultMaxRemoteWriteBytes)
      : max_uncompressed_bytes_(max_uncompressed_bytes) {}

  // Decompresses `snappy_body` into the decoder's buffer and returns a reader
  // over it. The reader and its views stay valid until the next Decompress or
  // the decoder's destruction. Errors: see SnappyUncompress.
  absl::StatusOr<WriteRequestReader> Decompress(std::string_view snappy_body);

  void set_max_uncompressed_bytes(size_t n) { max_uncompressed_bytes_ = n; }

  // The last decompressed request.
  std::string_view buffer() const { return std::string_view(buffer_.data(), length_); }

 private:
  size_t max_uncompressed_bytes_;
  std::string buffer_;  // only grows; the request is its first length_ bytes
  size_t length_ = 0;
};

}  // namespace strata
