// File: storage/head/wal_record.h
//
// The payload of a storage WAL record (docs/format/wal.md "Samples
// record"): the samples of one write batch with each series named by its
// node-assigned id, plus the definitions (id, labels) of the series that
// neither RocksDB nor an earlier durable record knows yet. Like
// Prometheus's series + samples records, but one record per append, so a
// batch stays one atomic unit of the log. A steady-state scrape costs well
// under 20 bytes a sample instead of the write batch's ~96.
//
//   record := type u8 (0x02) | account u32le | project u32le
//             | def_count uvarint | def* | series*   (series until the end)
//   def    := id uvarint | label_count uvarint | (name, value length-prefixed)*
//   series := id zigzag-varint delta | (sample_count << 1 | int_values) uvarint
//             | timestamps | values
//
// Records whose first byte is the write batch magic (0x57) are whole write
// batches, as the WAL held before; replay still accepts them.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "common/model/labels.h"
#include "common/model/sample.h"
#include "common/model/tenant.h"
#include "storage/head/head_batch.h"

namespace strata::storage {

inline constexpr char kWalSamplesRecordType = 0x02;

// Encodes the resolved `batch` (Head::Resolve) as one record into `*out`,
// replacing its content.
void EncodeWalRecord(const HeadBatch& batch, std::string* out);

// One decoded samples record. Not thread-safe; reusable (Decode clears it).
// Label views point into the record bytes.
struct WalRecord {
  struct Definition {
    uint64_t id = 0;
    uint32_t label_begin = 0, label_end = 0;
  };
  struct Entry {
    uint64_t id = 0;
    uint32_t sample_begin = 0, sample_end = 0;
  };

  TenantId tenant;
  std::vector<Definition> definitions;
  std::vector<Entry> entries;
  std::vector<LabelView> labels;
  std::vector<Sample> samples;

  std::span<const LabelView> labels_of(const Definition& d) const {
    return std::span<const LabelView>(labels).subspan(d.label_begin, d.label_end - d.label_begin);
  }
  std::span<const Sample> samples_of(const Entry& e) const {
    return std::span<const Sample>(samples).subspan(e.sample_begin, e.sample_end - e.sample_begin);
  }
};

// Decodes a samples record (first byte kWalSamplesRecordType). DataLoss
// when it is truncated or malformed, or a definition's labels are not a
// valid label set; `*out` is then unspecified.
absl::Status DecodeWalRecord(std::string_view record, WalRecord* out);

}  // namespace strata::storage
