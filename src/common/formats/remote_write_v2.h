// File: common/formats/remote_write_v2.h
//
// Decodes a Prometheus remote_write 2.0 request (`io.prometheus.write.v2.
// Request`, ECOSYSTEM.md §3.2) after snappy: every string lives once in the
// request's symbol table and series, exemplars and metadata refer to it by
// index. The reader resolves those refs into views, so that the insert
// handler feeds 2.0 series to the same path as 1.0's (labels, samples,
// exemplars with their own labels, metric metadata).
//
// Usage, on one thread:
//
//   RemoteWriteV2Reader reader;                  // e.g. thread_local, reused
//   STRATA_RETURN_IF_ERROR(reader.Parse(uncompressed_body));
//   RemoteWriteV2Series series;                  // reused across series
//   for (size_t i = 0; i < reader.series_count(); ++i) {
//     reader.Series(i, &series);  ...
//   }
//
// Parse checks the whole request before any series is handed out: a body
// that is not protobuf, a labels_refs list of odd length or a ref past the
// end of the symbol table makes it InvalidArgument ("cannot parse remote_write
// 2.0 request: ..."), so a malformed request is rejected whole and nothing of
// it is stored. It never crashes on hostile input.
//
// The generated protobuf classes are used (unlike 1.0's hand-walked decoder)
// because 2.0's strings are interned: the allocations are per distinct
// symbol, not per label, and the message is reused from request to request.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "common/model/exemplar.h"
#include "common/model/labels.h"
#include "common/model/sample.h"

namespace io::prometheus::write::v2 {
class Request;
}  // namespace io::prometheus::write::v2

namespace strata::formats {

// The 2.0 protobuf message name, as it appears in `proto=` of Content-Type.
inline constexpr std::string_view kRemoteWriteV2Message = "io.prometheus.write.v2.Request";

// One TimeSeries with its refs resolved. Views point into the reader's
// symbol table and stay valid until the reader's next Parse. Labels are in
// wire order, neither validated nor sorted. Native histograms are only
// counted. The vectors keep their capacity when the struct is reused.
struct RemoteWriteV2Series {
  std::vector<LabelView> labels;
  std::vector<Sample> samples;
  std::vector<ExemplarView> exemplars;
  std::vector<LabelView> exemplar_labels;
  size_t histogram_count = 0;
  // Metadata.type as its wire number (0 unspecified ... 7 stateset, the same
  // numbers as 1.0's MetricMetadata.type); help and unit "" when absent.
  uint32_t metadata_type = 0;
  std::string_view help;
  std::string_view unit;

  bool has_metadata() const { return metadata_type != 0 || !help.empty() || !unit.empty(); }
};

// Thread-compatible: one reader per thread.
class RemoteWriteV2Reader {
 public:
  RemoteWriteV2Reader();
  ~RemoteWriteV2Reader();
  RemoteWriteV2Reader(const RemoteWriteV2Reader&) = delete;
  RemoteWriteV2Reader& operator=(const RemoteWriteV2Reader&) = delete;

  // Parses and checks an uncompressed request (see the file comment). On
  // error the reader holds no series.
  absl::Status Parse(std::string_view request);

  size_t series_count() const;
  // Fills `*out` with series `i`. REQUIRES: the last Parse succeeded and
  // i < series_count().
  void Series(size_t i, RemoteWriteV2Series* out) const;

 private:
  std::unique_ptr<io::prometheus::write::v2::Request> request_;
  bool valid_ = false;
};

// The metric family a series' metadata describes: `metric_name` without the
// suffixes the text exposition adds for `type` (histogram: _bucket, _sum,
// _count; gauge histogram: _bucket, _gsum, _gcount; summary: _sum, _count),
// so that the family matches what a `# TYPE` line (and 1.0's
// MetricMetadata.metric_family_name) names. Other types keep the name whole
// (a counter keeps `_total`, as in Prometheus's text format).
std::string_view MetricFamilyName(std::string_view metric_name, uint32_t type);

}  // namespace strata::formats
