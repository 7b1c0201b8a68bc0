#include "common/model/write_batch.h"

#include <bit>

#include "common/encoding/varint.h"

namespace strata {

WriteBatchBuilder::WriteBatchBuilder(TenantId tenant) : tenant_(tenant) {
  buf_.push_back(kWriteBatchMagic);
  PutFixed32(&buf_, tenant_.account_id);
  PutFixed32(&buf_, tenant_.project_id);
}

void WriteBatchBuilder::AddSeries(std::span<const LabelView> sorted_labels, std::span<const Sample> samples) {
  PutVarint(&buf_, sorted_labels.size());
  for (const LabelView& l : sorted_labels) {
    PutLengthPrefixed(&buf_, l.name);
    PutLengthPrefixed(&buf_, l.value);
  }
  PutVarint(&buf_, samples.size());
  int64_t prev = 0;
  for (const Sample& s : samples) {
    PutVarint(&buf_, ZigZagEncode(s.timestamp_ms - prev));
    PutFixed64(&buf_, std::bit_cast<uint64_t>(s.value));
    prev = s.timestamp_ms;
  }
  ++series_count_;
  sample_count_ += samples.size();
}

void WriteBatchBuilder::AddRawSeries(std::string_view raw_series, size_t sample_count) {
  buf_.append(raw_series);
  ++series_count_;
  sample_count_ += sample_count;
}

std::string WriteBatchBuilder::Finish() {
  std::string out = std::move(buf_);
  buf_.clear();
  buf_.push_back(kWriteBatchMagic);
  PutFixed32(&buf_, tenant_.account_id);
  PutFixed32(&buf_, tenant_.project_id);
  series_count_ = 0;
  sample_count_ = 0;
  return out;
}

absl::StatusOr<WriteBatchReader> WriteBatchReader::Open(std::string_view batch) {
  ByteReader r(batch);
  std::string_view magic;
  uint32_t account = 0, project = 0;
  if (!r.GetBytes(1, &magic) || magic[0] != kWriteBatchMagic || !r.GetFixed32(&account) ||
      !r.GetFixed32(&project)) {
    return absl::DataLossError("cannot read write batch: bad header");
  }
  WriteBatchReader reader;
  reader.tenant_ = TenantId{account, project};
  reader.rest_ = batch.substr(9);
  return reader;
}

bool WriteBatchReader::Next(SeriesView* series) {
  if (!status_.ok() || rest_.empty()) return false;
  ByteReader r(rest_);
  uint64_t label_count = 0, sample_count = 0;
  auto fail = [&](const char* what) {
    status_ = absl::DataLossError(std::string("cannot read write batch: truncated or corrupt ") + what);
    return false;
  };
  // Each label needs at least 2 bytes and each sample 9, which bounds the
  // counts by the remaining size before anything is allocated.
  if (!r.GetVarint(&label_count) || label_count > r.remaining() / 2) return fail("label count");
  series->labels.resize(label_count);
  for (auto& l : series->labels) {
    if (!r.GetLengthPrefixed(&l.name) || !r.GetLengthPrefixed(&l.value)) return fail("label");
  }
  if (!r.GetVarint(&sample_count) || sample_count > r.remaining() / 9) return fail("sample count");
  series->samples.resize(sample_count);
  int64_t ts = 0;
  for (auto& s : series->samples) {
    int64_t delta;
    uint64_t bits;
    if (!r.GetSignedVarint(&delta) || !r.GetFixed64(&bits)) return fail("sample");
    ts += delta;
    s.timestamp_ms = ts;
    s.value = std::bit_cast<double>(bits);
  }
  size_t consumed = static_cast<size_t>(r.position() - rest_.data());
  raw_series_ = rest_.substr(0, consumed);
  rest_.remove_prefix(consumed);
  return true;
}

}  // namespace strata
