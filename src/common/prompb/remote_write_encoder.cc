#include "common/prompb/remote_write_encoder.h"

#include <bit>

#include <snappy.h>

#include "common/encoding/varint.h"

namespace strata {
namespace {

// Protobuf wire types.
constexpr uint32_t kVarint = 0;
constexpr uint32_t kFixed64 = 1;
constexpr uint32_t kLengthDelimited = 2;

void PutTag(std::string* out, uint32_t field, uint32_t wire_type) { PutVarint(out, (field << 3) | wire_type); }

void PutStringField(std::string* out, uint32_t field, std::string_view s) {
  PutTag(out, field, kLengthDelimited);
  PutLengthPrefixed(out, s);
}

}  // namespace

void RemoteWriteEncoder::AddSeries(std::span<const LabelView> labels, std::span<const Sample> samples) {
  // TimeSeries { repeated Label labels = 1; repeated Sample samples = 2; }
  series_.clear();
  std::string msg;
  for (const LabelView& l : labels) {
    msg.clear();
    PutStringField(&msg, 1, l.name);
    PutStringField(&msg, 2, l.value);
    PutStringField(&series_, 1, msg);
  }
  for (const Sample& s : samples) {
    // Sample { double value = 1; int64 timestamp = 2; }
    msg.clear();
    PutTag(&msg, 1, kFixed64);
    PutFixed64(&msg, std::bit_cast<uint64_t>(s.value));
    PutTag(&msg, 2, kVarint);
    PutVarint(&msg, static_cast<uint64_t>(s.timestamp_ms));
    PutStringField(&series_, 2, msg);
  }
  // WriteRequest { repeated TimeSeries timeseries = 1; }
  PutStringField(&proto_, 1, series_);
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
  snappy::Compress(proto_.data(), proto_.size(), &out);
  proto_.clear();
  series_count_ = 0;
  return out;
}

}  // namespace strata
