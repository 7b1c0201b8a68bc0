#include "common/model/series_batch.h"

#include <numeric>
#include <tuple>

#include "common/base/check.h"
#include "common/model/write_batch.h"

namespace strata {

template <typename LabelRange>
std::pair<uint32_t, uint32_t> SeriesBatch::Pack(const LabelRange& labels) {
  const size_t offset = label_bytes_.size();
  const size_t size = PackedLabelsSize(labels);
  // Offsets are 32-bit: callers keep a batch far smaller
  // (SeriesCollector's kMaxSeriesBatchBytes).
  STRATA_CHECK(offset + size <= UINT32_MAX && "the labels of one insert request packed to more than 4 GiB");
  StringAppender out(&label_bytes_, size);
  AppendPackedLabels(labels, &out);
  out.Finish();
  return {static_cast<uint32_t>(offset), static_cast<uint32_t>(size)};
}

void SeriesBatch::AddSeries(std::span<const LabelView> sorted_labels, std::span<const Sample> samples,
                            std::span<const ExemplarView> exemplars, std::span<const LabelView> exemplar_labels) {
  STRATA_CHECK(samples_.size() + samples.size() <= UINT32_MAX && exemplars_.size() + exemplars.size() <= UINT32_MAX &&
               "one insert request holds more than 2^32 samples or exemplars");
  Series s;
  std::tie(s.labels_offset, s.labels_size) = Pack(sorted_labels);
  s.label_count = static_cast<uint32_t>(sorted_labels.size());
  s.sample_begin = static_cast<uint32_t>(samples_.size());
  s.sample_count = static_cast<uint32_t>(samples.size());
  samples_.insert(samples_.end(), samples.begin(), samples.end());
  s.exemplar_begin = static_cast<uint32_t>(exemplars_.size());
  s.exemplar_count = static_cast<uint32_t>(exemplars.size());
  for (const ExemplarView& e : exemplars) {
    Exemplar x;
    std::span<const LabelView> labels = e.labels_in(exemplar_labels);
    std::tie(x.labels_offset, x.labels_size) = Pack(labels);
    x.label_count = static_cast<uint32_t>(labels.size());
    x.timestamp_ms = e.timestamp_ms;
    x.value = e.value;
    exemplars_.push_back(x);
  }
  series_.push_back(s);
}

std::string SeriesBatch::Encode(std::span<const uint32_t> subset) const {
  WriteBatchBuilder builder(tenant_, /*with_exemplars=*/!exemplars_.empty());
  size_t max_bytes = 0;
  for (uint32_t i : subset) {
    const Series& s = series_[i];
    max_bytes += WriteBatchBuilder::MaxSeriesBytes(s.labels_size, s.sample_count);
  }
  builder.Reserve(max_bytes);
  std::vector<WriteBatchBuilder::PackedExemplar> exemplars;
  for (uint32_t i : subset) {
    const Series& s = series_[i];
    exemplars.clear();
    for (const Exemplar& e : this->exemplars(s)) {
      exemplars.push_back({packed_labels(e), e.label_count, e.timestamp_ms, e.value});
    }
    builder.AddPackedSeries(packed_labels(s), s.label_count, samples(s), exemplars);
  }
  return builder.Finish();
}

std::string SeriesBatch::EncodeAll() const {
  std::vector<uint32_t> all(series_.size());
  std::iota(all.begin(), all.end(), 0u);
  return Encode(all);
}

}  // namespace strata
