#include "common/model/write_batch.h"

#include <bit>

#include "common/encoding/varint.h"

namespace strata {

Labels UnpackLabels(std::string_view packed) {
  std::vector<Label> labels;
  ForEachPackedLabel(packed, [&labels](std::string_view name, std::string_view value) {
    labels.push_back(Label{std::string(name), std::string(value)});
    return true;
  });
  return Labels::FromSorted(std::move(labels));
}

WriteBatchBuilder::WriteBatchBuilder(TenantId tenant, bool with_exemplars)
    : tenant_(tenant), with_exemplars_(with_exemplars) {
  buf_.push_back(with_exemplars_ ? kWriteBatchExemplarsMagic : kWriteBatchMagic);
  PutFixed32(&buf_, tenant_.account_id);
  PutFixed32(&buf_, tenant_.project_id);
}

namespace {

// The samples part of a series: the count, then (timestamp delta, value
// bits) pairs.
void PutSamples(std::span<const Sample> samples, StringAppender* out) {
  out->Varint(samples.size());
  int64_t prev = 0;
  for (const Sample& s : samples) {
    out->Varint(ZigZagEncode(WrappingSub(s.timestamp_ms, prev)));
    out->Fixed64(std::bit_cast<uint64_t>(s.value));
    prev = s.timestamp_ms;
  }
}

}  // namespace

void WriteBatchBuilder::AddSeries(std::span<const LabelView> sorted_labels, std::span<const Sample> samples,
                                  std::span<const ExemplarView> exemplars,
                                  std::span<const LabelView> exemplar_labels) {
  // Packed first, then written as AddPackedSeries writes it: one encoder.
  // Ingest encodes from SeriesBatch's packed labels; this form is for
  // tests and tools, where the extra copy does not matter.
  const std::string packed = PackLabels(sorted_labels);
  std::vector<std::string> exemplar_packed;
  exemplar_packed.reserve(exemplars.size());  // the views below point into it
  std::vector<PackedExemplar> packed_exemplars;
  for (const ExemplarView& e : exemplars) {
    const std::span<const LabelView> labels = e.labels_in(exemplar_labels);
    exemplar_packed.push_back(PackLabels(labels));
    packed_exemplars.push_back({exemplar_packed.back(), labels.size(), e.timestamp_ms, e.value});
  }
  AddPackedSeries(packed, sorted_labels.size(), samples, packed_exemplars);
}

void WriteBatchBuilder::AddPackedSeries(std::string_view packed_labels, size_t label_count,
                                        std::span<const Sample> samples, std::span<const PackedExemplar> exemplars) {
  {
    // The labels and samples are most of every batch: written with one
    // size check.
    StringAppender out(&buf_, MaxSeriesBytes(packed_labels.size(), samples.size()));
    out.Varint(label_count);
    out.Bytes(packed_labels);
    PutSamples(samples, &out);
    out.Finish();
  }
  if (with_exemplars_) {
    PutVarint(&buf_, exemplars.size());
    for (const PackedExemplar& e : exemplars) {
      PutVarint(&buf_, e.label_count);
      buf_.append(e.packed_labels);
      PutVarint(&buf_, ZigZagEncode(e.timestamp_ms));
      PutFixed64(&buf_, std::bit_cast<uint64_t>(e.value));
    }
  }
  ++series_count_;
  sample_count_ += samples.size();
}

std::string WriteBatchBuilder::Finish() {
  std::string out = std::move(buf_);
  buf_.clear();
  buf_.push_back(with_exemplars_ ? kWriteBatchExemplarsMagic : kWriteBatchMagic);
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
  if (!r.GetBytes(1, &magic) || (magic[0] != kWriteBatchMagic && magic[0] != kWriteBatchExemplarsMagic) ||
      !r.GetFixed32(&account) ||
      !r.GetFixed32(&project)) {
    return absl::DataLossError("cannot read write batch: bad header");
  }
  WriteBatchReader reader;
  reader.tenant_ = TenantId{account, project};
  reader.with_exemplars_ = magic[0] == kWriteBatchExemplarsMagic;
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
  const char* labels_begin = r.position();
  size_t canonical_size = 0;
  for (auto& l : series->labels) {
    if (!r.GetLengthPrefixed(&l.name) || !r.GetLengthPrefixed(&l.value)) return fail("label");
    canonical_size += PackedLabelSize(l.name, l.value);
  }
  series->packed_labels = std::string_view(labels_begin, static_cast<size_t>(r.position() - labels_begin));
  if (series->packed_labels.size() != canonical_size) return fail("label (over-long length varint)");
  if (!r.GetVarint(&sample_count) || sample_count > r.remaining() / 9) return fail("sample count");
  series->samples.resize(sample_count);
  int64_t ts = 0;
  for (auto& s : series->samples) {
    int64_t delta;
    uint64_t bits;
    if (!r.GetSignedVarint(&delta) || !r.GetFixed64(&bits)) return fail("sample");
    ts = WrappingAdd(ts, delta);
    s.timestamp_ms = ts;
    s.value = std::bit_cast<double>(bits);
  }
  series->exemplars.clear();
  series->exemplar_labels.clear();
  if (with_exemplars_) {
    uint64_t exemplar_count = 0;
    // Each exemplar needs at least 1 + 1 + 8 bytes.
    if (!r.GetVarint(&exemplar_count) || exemplar_count > r.remaining() / 10) return fail("exemplar count");
    series->exemplars.resize(exemplar_count);
    for (ExemplarView& e : series->exemplars) {
      uint64_t n = 0, bits = 0;
      if (!r.GetVarint(&n) || n > r.remaining() / 2) return fail("exemplar label count");
      e.label_begin = static_cast<uint32_t>(series->exemplar_labels.size());
      for (; n > 0; --n) {
        LabelView& l = series->exemplar_labels.emplace_back();
        if (!r.GetLengthPrefixed(&l.name) || !r.GetLengthPrefixed(&l.value)) return fail("exemplar label");
      }
      e.label_end = static_cast<uint32_t>(series->exemplar_labels.size());
      if (!r.GetSignedVarint(&e.timestamp_ms) || !r.GetFixed64(&bits)) return fail("exemplar");
      e.value = std::bit_cast<double>(bits);
    }
  }
  rest_.remove_prefix(static_cast<size_t>(r.position() - rest_.data()));
  return true;
}

}  // namespace strata
