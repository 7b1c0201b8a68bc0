// File: common/model/write_batch.h
//
// The unit of ingestion between insert and storage nodes: one tenant's series
// with their samples, in a compact binary form that is built straight from
// remote_write views and sent (zstd-compressed) over RPC. The storage node
// parses it once and logs its samples by series id (storage/head/
// wal_record.h); there are no per-sample objects on the way. Byte layout:
// docs/format/write_batch.md.
//
//   batch  := magic u8 (0x57) | account u32le | project u32le | series*
//   series := label_count uvarint | (name lenprefixed, value lenprefixed)*
//             | sample_count uvarint | first_ts zigzag-varint | value u64le
//             | (ts_delta zigzag-varint | value u64le)*
//
// Values are raw IEEE-754 bits, so NaN payloads and stale markers survive.
#pragma once

#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "common/model/labels.h"
#include "common/model/sample.h"
#include "common/model/tenant.h"

namespace strata {

inline constexpr char kWriteBatchMagic = 0x57;

// Builds a batch. Thread-compatible.
class WriteBatchBuilder {
 public:
  explicit WriteBatchBuilder(TenantId tenant);

  // REQUIRES: `sorted_labels` validated and sorted; `samples` non-empty.
  void AddSeries(std::span<const LabelView> sorted_labels, std::span<const Sample> samples);
  // Appends an already encoded series (from WriteBatchReader::raw_series()).
  void AddRawSeries(std::string_view raw_series, size_t sample_count);

  size_t series_count() const { return series_count_; }
  size_t sample_count() const { return sample_count_; }
  size_t bytes() const { return buf_.size(); }
  bool empty() const { return series_count_ == 0; }

  // Returns the encoded batch and leaves the builder empty for `tenant`.
  std::string Finish();

 private:
  TenantId tenant_;
  std::string buf_;
  size_t series_count_ = 0;
  size_t sample_count_ = 0;
};

// One series of a batch as views into the batch bytes (labels) and a reused
// sample vector. Valid until the next call to WriteBatchReader::Next.
struct SeriesView {
  std::vector<LabelView> labels;
  std::vector<Sample> samples;
};

// Iterates a batch. Every malformed input yields DataLoss, never a crash.
// Thread-compatible.
class WriteBatchReader {
 public:
  // REQUIRES: `batch` outlives the reader and every view it hands out.
  static absl::StatusOr<WriteBatchReader> Open(std::string_view batch);

  TenantId tenant() const { return tenant_; }

  // Fills `*series` with the next series. Returns false at the end, or with
  // `status()` not OK when the batch is malformed.
  bool Next(SeriesView* series);
  const absl::Status& status() const { return status_; }
  // The encoded bytes of the series that the last Next returned.
  std::string_view raw_series() const { return raw_series_; }

 private:
  WriteBatchReader() = default;

  TenantId tenant_;
  std::string_view rest_;
  std::string_view raw_series_;
  absl::Status status_;
};

}  // namespace strata
