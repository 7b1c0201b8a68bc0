#include "common/prompb/remote_write_encoder.h"

#include <bit>

#include <snappy.h>

#include "common/encoding/varint.h"

namespace strata {

namespace {

size_t LabelSize(const LabelView& l) {
  return 1 + VarintSize(l.name.size()) + l.name.size() + 1 + VarintSize(l.value.size()) + l.value.size();
}

size_t SampleSize(const Sample& s) { return 1 + 8 + 1 + VarintSize(static_cast<uint64_t>(s.timestamp_ms)); }

}  // namespace

void AppendWriteRequestSeries(std::span<const LabelView> labels, std::span<const Sample> samples,
                              std::string* request) {
  size_t series_size = 0;
  for (const LabelView& l : labels) series_size += 1 + VarintSize(LabelSize(l)) + LabelSize(l);
  for (const Sample& s : samples) series_size += 1 + VarintSize(SampleSize(s)) + SampleSize(s);
  request->push_back(0x0a);  // WriteRequest.timeseries = 1, length-delimited
  PutVarint(request, series_size);
  for (const LabelView& l : labels) {
    request->push_back(0x0a);  // TimeSeries.labels = 1
    PutVarint(request, LabelSize(l));
    request->push_back(0x0a);  // Label.name = 1
    PutLengthPrefixed(request, l.name);
    request->push_back(0x12);  // Label.value = 2
    PutLengthPrefixed(request, l.value);
  }
  for (const Sample& s : samples) {
    request->push_back(0x12);  // TimeSeries.samples = 2
    PutVarint(request, SampleSize(s));
    request->push_back(0x09);  // Sample.value = 1, fixed64
    PutFixed64(request, std::bit_cast<uint64_t>(s.value));
    request->push_back(0x10);  // Sample.timestamp = 2, varint
    PutVarint(request, static_cast<uint64_t>(s.timestamp_ms));
  }
}

void SnappyCompress(std::string_view data, std::string* out) {
  out->clear();
  snappy::Compress(data.data(), data.size(), out);
}


void RemoteWriteEncoder::AddSeries(std::span<const LabelView> labels, std::span<const Sample> samples) {
  AppendWriteRequestSeries(labels, samples, &proto_);
  ++series_count_;
}

void RemoteWriteEncoder::AddSeries(const Labels& labels, std::span<const Sample> samples) {
  std::vector<LabelView> views;
  views.reserve(labels.size());
  for (const Label& l : labels) views.push_back(LabelView{l.name, l.value});
  AddSeries(views, samples);
}

std::string RemoteWriteEncoder::FinishSnappy() {
  std::string out;
  SnappyCompress(proto_, &out);
  proto_.clear();
  series_count_ = 0;
  return out;
}

}  // namespace strata
