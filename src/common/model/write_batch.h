// File: common/model/write_batch.h
//
// The unit of ingestion between insert and storage nodes: one tenant's series
// with their samples, in a compact binary form that the insert node encodes
// from a request's SeriesBatch (series_batch.h) and sends (zstd-compressed)
// over RPC. The storage node parses it once and logs its samples by series
// id (storage/head/wal_record.h); there are no per-sample objects on the
// way. Byte layout: docs/format/write_batch.md.
//
//   batch  := magic u8 (0x57 | 0x58) | account u32le | project u32le | series*
//   series := label_count uvarint | (name lenprefixed, value lenprefixed)*
//             | sample_count uvarint | first_ts zigzag-varint | value u64le
//             | (ts_delta zigzag-varint | value u64le)*
//             | exemplars                       (magic 0x58 only)
//   exemplars := exemplar_count uvarint | (label_count uvarint
//             | (name, value lenprefixed)* | ts zigzag-varint | value u64le)*
//
// Values are raw IEEE-754 bits, so NaN payloads and stale markers survive.
//
// Why exemplars ride in the batch (magic 0x58) rather than in a separate
// StorageApi method: an exemplar belongs to a series and must land on that
// series' replicas; inside the batch it gets the Router's placement,
// failover and re-sends for free. Why a second magic rather than a flag
// field: batches without exemplars keep the 0x57 bytes exactly, so the
// sample path is unchanged on the wire, old WAL files (which hold 0x57
// batches) replay as before, and a storage node of an older version keeps
// accepting everything but exemplar-carrying batches. In a 0x58 batch a
// series may have no samples (Prometheus sends exemplars in series of their
// own) but then has at least one exemplar.
#pragma once

#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "common/encoding/varint.h"
#include "common/model/exemplar.h"
#include "common/model/labels.h"
#include "common/model/sample.h"
#include "common/model/tenant.h"

namespace strata {

inline constexpr char kWriteBatchMagic = 0x57;
// A batch whose series end with their exemplars.
inline constexpr char kWriteBatchExemplarsMagic = 0x58;

// The packed form of a label set, as a batch holds a series' labels after
// their count: `(name lenprefixed, value lenprefixed)*` with minimal
// varints (SeriesView::packed_labels). Equal label sets pack to equal
// bytes, which is how the storage head compares series. `LabelRange`:
// Labels or a span of LabelView.

// Bytes of one label in the packed form.
inline size_t PackedLabelSize(std::string_view name, std::string_view value) {
  return VarintSize(name.size()) + name.size() + VarintSize(value.size()) + value.size();
}

// Bytes of `labels` in the packed form.
template <typename LabelRange>
size_t PackedLabelsSize(const LabelRange& labels) {
  size_t n = 0;
  for (const auto& l : labels) n += PackedLabelSize(l.name, l.value);
  return n;
}

// Writes `labels` in the packed form. REQUIRES: `out` has room for
// PackedLabelsSize(labels) more bytes.
template <typename LabelRange>
void AppendPackedLabels(const LabelRange& labels, StringAppender* out) {
  for (const auto& l : labels) {
    out->LengthPrefixed(l.name);
    out->LengthPrefixed(l.value);
  }
}

// `labels` in the packed form.
template <typename LabelRange>
std::string PackLabels(const LabelRange& labels) {
  std::string packed;
  StringAppender out(&packed, PackedLabelsSize(labels));
  AppendPackedLabels(labels, &out);
  out.Finish();
  return packed;
}

// The labels of a packed form (PackLabels' inverse). REQUIRES: `packed`
// came from PackLabels or a validated batch.
Labels UnpackLabels(std::string_view packed);

// Calls fn(name, value) for each label of a packed form, in order, until fn
// returns false. REQUIRES: as UnpackLabels.
template <typename Fn>
void ForEachPackedLabel(std::string_view packed, Fn fn) {
  ByteReader r(packed);
  std::string_view name, value;
  while (r.GetLengthPrefixed(&name) && r.GetLengthPrefixed(&value)) {
    if (!fn(name, value)) return;
  }
}

// Appends the labels of a packed form to `*out` as views into `packed`.
// REQUIRES: as UnpackLabels.
inline void AppendPackedLabelViews(std::string_view packed, std::vector<LabelView>* out) {
  ForEachPackedLabel(packed, [out](std::string_view name, std::string_view value) {
    out->push_back(LabelView{name, value});
    return true;
  });
}

// Builds a batch. Thread-compatible.
class WriteBatchBuilder {
 public:
  // `with_exemplars`: write a 0x58 batch, every series with an exemplar
  // section (possibly empty).
  explicit WriteBatchBuilder(TenantId tenant, bool with_exemplars = false);

  // REQUIRES: `sorted_labels` validated and sorted; `samples` non-empty, or
  // `exemplars` non-empty in a batch with exemplars. Exemplars are dropped
  // from a batch without exemplars. The labels of exemplar e are
  // e.labels_in(exemplar_labels).
  void AddSeries(std::span<const LabelView> sorted_labels, std::span<const Sample> samples,
                 std::span<const ExemplarView> exemplars = {}, std::span<const LabelView> exemplar_labels = {});

  // An exemplar whose labels are packed (PackLabels), for AddPackedSeries.
  struct PackedExemplar {
    std::string_view packed_labels;
    size_t label_count = 0;
    int64_t timestamp_ms = 0;
    double value = 0;
  };
  // AddSeries with the labels already packed: `packed_labels` holds
  // `label_count` labels (PackLabels of validated, sorted labels), written
  // as they are.
  void AddPackedSeries(std::string_view packed_labels, size_t label_count, std::span<const Sample> samples,
                       std::span<const PackedExemplar> exemplars = {});

  // Bytes a series takes at most without its exemplars: label count,
  // labels, sample count and samples (a varint is at most 10 bytes).
  static size_t MaxSeriesBytes(size_t packed_labels_size, size_t sample_count) {
    return 10 + packed_labels_size + 10 + sample_count * (10 + 8);
  }
  // Makes room for `bytes` more, so that adding that much allocates once.
  void Reserve(size_t bytes) { buf_.reserve(buf_.size() + bytes); }

  bool with_exemplars() const { return with_exemplars_; }
  size_t series_count() const { return series_count_; }
  size_t sample_count() const { return sample_count_; }
  size_t bytes() const { return buf_.size(); }
  bool empty() const { return series_count_ == 0; }

  // Returns the encoded batch and leaves the builder empty for `tenant`.
  std::string Finish();

 private:
  TenantId tenant_;
  bool with_exemplars_;
  std::string buf_;
  size_t series_count_ = 0;
  size_t sample_count_ = 0;
};

// One series of a batch as views into the batch bytes (labels) and reused
// sample and exemplar vectors (exemplars empty in a 0x57 batch). Valid until
// the next call to WriteBatchReader::Next.
struct SeriesView {
  std::vector<LabelView> labels;
  // The labels as encoded in the batch, `(name, value lenprefixed)*` with
  // minimal-length varints (the reader rejects any other form): equal label
  // sets have equal bytes here, so one comparison compares them.
  std::string_view packed_labels;
  std::vector<Sample> samples;
  std::vector<ExemplarView> exemplars;
  std::vector<LabelView> exemplar_labels;
};

// Iterates a batch. Every malformed input yields DataLoss, never a crash.
// Thread-compatible.
class WriteBatchReader {
 public:
  // REQUIRES: `batch` outlives the reader and every view it hands out.
  static absl::StatusOr<WriteBatchReader> Open(std::string_view batch);

  TenantId tenant() const { return tenant_; }
  bool with_exemplars() const { return with_exemplars_; }

  // Fills `*series` with the next series. Returns false at the end, or with
  // `status()` not OK when the batch is malformed.
  bool Next(SeriesView* series);
  const absl::Status& status() const { return status_; }

 private:
  WriteBatchReader() = default;

  TenantId tenant_;
  bool with_exemplars_ = false;
  std::string_view rest_;
  absl::Status status_;
};

}  // namespace strata
