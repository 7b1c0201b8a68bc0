#include "common/prompb/remote_write_decoder.h"

#include <bit>

#include <fmt/format.h>
#include <snappy.h>

#include "common/base/status.h"
#include "common/encoding/varint.h"

namespace strata {
namespace {

// Protobuf wire types.
constexpr uint32_t kVarint = 0;
constexpr uint32_t kFixed64 = 1;
constexpr uint32_t kLengthDelimited = 2;
constexpr uint32_t kFixed32 = 5;

// A bounded cursor over protobuf bytes. Every read checks the bound first, so
// a malformed message can only make a read fail, never run past `end`.
struct Cursor {
  const char* p;
  const char* end;

  bool empty() const { return p == end; }

  bool ReadVarint(uint64_t* v) {
    // Most tags, lengths and small timestamps deltas are one byte.
    if (p < end && static_cast<unsigned char>(*p) < 0x80) {
      *v = static_cast<unsigned char>(*p++);
      return true;
    }
    uint64_t result = 0;
    // At most 10 bytes, as libprotobuf: a longer varint is malformed.
    for (int shift = 0; shift <= 63 && p < end; shift += 7) {
      uint64_t byte = static_cast<unsigned char>(*p++);
      result |= (byte & 0x7f) << shift;
      if (byte < 0x80) {
        *v = result;
        return true;
      }
    }
    return false;
  }

  bool ReadTag(uint32_t* field, uint32_t* wire_type) {
    uint64_t tag;
    if (!ReadVarint(&tag) || tag > 0xffffffffu || (tag >> 3) == 0) return false;
    *field = static_cast<uint32_t>(tag >> 3);
    *wire_type = static_cast<uint32_t>(tag & 7);
    return true;
  }

  bool ReadLengthDelimited(Cursor* sub) {
    uint64_t n;
    if (!ReadVarint(&n) || n > static_cast<uint64_t>(end - p)) return false;
    *sub = Cursor{p, p + n};
    p += n;
    return true;
  }

  bool ReadFixed64(uint64_t* v) {
    if (end - p < 8) return false;
    *v = LoadFixed64(p);
    p += 8;
    return true;
  }

  // Skips a field of an unknown number (or a known number with an unexpected
  // wire type, which libprotobuf also treats as unknown). Groups are a
  // proto2 relic that no remote_write sender emits; they are rejected.
  bool Skip(uint32_t wire_type) {
    uint64_t v;
    Cursor sub;
    switch (wire_type) {
      case kVarint: return ReadVarint(&v);
      case kFixed64: return ReadFixed64(&v);
      case kLengthDelimited: return ReadLengthDelimited(&sub);
      case kFixed32:
        if (end - p < 4) return false;
        p += 4;
        return true;
      default: return false;
    }
  }
};

// The tag bytes of Label.name (field 1) and Label.value (field 2), both
// length-delimited.
constexpr char kLabelNameTag = (1 << 3) | kLengthDelimited;
constexpr char kLabelValueTag = (2 << 3) | kLengthDelimited;

bool ParseLabel(Cursor c, LabelView* label) {
  // The form every encoder writes, checked byte by byte: the name, then
  // the value, each shorter than 128 bytes and so with a one-byte length,
  // and nothing else. Anything different takes the general walk below.
  const char* p = c.p;
  const size_t n = static_cast<size_t>(c.end - c.p);
  if (n >= 4 && p[0] == kLabelNameTag && static_cast<unsigned char>(p[1]) < 0x80) {
    const size_t name_size = static_cast<unsigned char>(p[1]);
    if (name_size + 4 <= n && p[name_size + 2] == kLabelValueTag &&
        static_cast<unsigned char>(p[name_size + 3]) < 0x80) {
      const size_t value_size = static_cast<unsigned char>(p[name_size + 3]);
      if (name_size + value_size + 4 == n) {
        label->name = std::string_view(p + 2, name_size);
        label->value = std::string_view(p + name_size + 4, value_size);
        return true;
      }
    }
  }
  *label = LabelView{};
  uint32_t field, wt;
  while (!c.empty()) {
    if (!c.ReadTag(&field, &wt)) return false;
    if ((field == 1 || field == 2) && wt == kLengthDelimited) {
      Cursor s;
      if (!c.ReadLengthDelimited(&s)) return false;
      std::string_view text(s.p, static_cast<size_t>(s.end - s.p));
      (field == 1 ? label->name : label->value) = text;
    } else if (!c.Skip(wt)) {
      return false;
    }
  }
  return true;
}

// The tag bytes of Sample.value (field 1, fixed64) and Sample.timestamp
// (field 2, varint).
constexpr char kSampleValueTag = (1 << 3) | kFixed64;
constexpr char kSampleTimestampTag = (2 << 3) | kVarint;

bool ParseSample(Cursor c, Sample* sample) {
  // The form every encoder writes: the value, then a non-zero timestamp,
  // and nothing else. Anything different takes the general walk below.
  if (c.end - c.p >= 11 && c.p[0] == kSampleValueTag && c.p[9] == kSampleTimestampTag) {
    Cursor timestamp{c.p + 10, c.end};
    uint64_t t;
    if (timestamp.ReadVarint(&t) && timestamp.empty()) {
      sample->value = std::bit_cast<double>(LoadFixed64(c.p + 1));
      sample->timestamp_ms = static_cast<int64_t>(t);
      return true;
    }
  }
  *sample = Sample{};
  uint32_t field, wt;
  uint64_t v;
  while (!c.empty()) {
    if (!c.ReadTag(&field, &wt)) return false;
    if (field == 1 && wt == kFixed64) {
      if (!c.ReadFixed64(&v)) return false;
      sample->value = std::bit_cast<double>(v);
    } else if (field == 2 && wt == kVarint) {
      if (!c.ReadVarint(&v)) return false;
      sample->timestamp_ms = static_cast<int64_t>(v);
    } else if (!c.Skip(wt)) {
      return false;
    }
  }
  return true;
}

// Exemplar { repeated Label labels = 1; double value = 2; int64 timestamp = 3; }
bool ParseExemplar(Cursor c, WriteRequestSeries* series) {
  ExemplarView e;
  e.label_begin = static_cast<uint32_t>(series->exemplar_labels.size());
  uint32_t field, wt;
  uint64_t v;
  while (!c.empty()) {
    if (!c.ReadTag(&field, &wt)) return false;
    Cursor sub;
    if (field == 1 && wt == kLengthDelimited) {
      if (!c.ReadLengthDelimited(&sub) || !ParseLabel(sub, &series->exemplar_labels.emplace_back())) return false;
    } else if (field == 2 && wt == kFixed64) {
      if (!c.ReadFixed64(&v)) return false;
      e.value = std::bit_cast<double>(v);
    } else if (field == 3 && wt == kVarint) {
      if (!c.ReadVarint(&v)) return false;
      e.timestamp_ms = static_cast<int64_t>(v);
    } else if (!c.Skip(wt)) {
      return false;
    }
  }
  e.label_end = static_cast<uint32_t>(series->exemplar_labels.size());
  series->exemplars.push_back(e);
  return true;
}

// MetricMetadata { MetricType type = 1; string metric_family_name = 2;
// string help = 4; string unit = 5; }
bool ParseMetadata(Cursor c, MetricMetadataView* m) {
  *m = MetricMetadataView{};
  uint32_t field, wt;
  uint64_t v;
  while (!c.empty()) {
    if (!c.ReadTag(&field, &wt)) return false;
    if (field == 1 && wt == kVarint) {
      if (!c.ReadVarint(&v)) return false;
      m->type = static_cast<uint32_t>(v);
    } else if ((field == 2 || field == 4 || field == 5) && wt == kLengthDelimited) {
      Cursor s;
      if (!c.ReadLengthDelimited(&s)) return false;
      std::string_view text(s.p, static_cast<size_t>(s.end - s.p));
      (field == 2 ? m->metric_family_name : field == 4 ? m->help : m->unit) = text;
    } else if (!c.Skip(wt)) {
      return false;
    }
  }
  return true;
}

absl::Status ParseError(std::string_view what, size_t offset) {
  return absl::InvalidArgumentError(
      fmt::format("cannot parse remote_write request: truncated or malformed {} in the element at byte offset {}", what, offset));
}

}  // namespace

bool WriteRequestReader::Fail(std::string_view what) {
  status_ = ParseError(what, consumed_);
  rest_ = {};
  return false;
}

bool WriteRequestReader::Next(WriteRequestSeries* series) {
  if (!status_.ok()) return false;
  Cursor top{rest_.data(), rest_.data() + rest_.size()};
  uint32_t field, wt;
  while (!top.empty()) {
    const char* element_start = top.p;
    auto advance = [&] {
      consumed_ += static_cast<size_t>(top.p - element_start);
      rest_ = std::string_view(top.p, static_cast<size_t>(top.end - top.p));
    };
    if (!top.ReadTag(&field, &wt)) return Fail("WriteRequest field tag");
    if (field == 1 && wt == kLengthDelimited) {
      Cursor ts;
      if (!top.ReadLengthDelimited(&ts)) return Fail("TimeSeries length");
      series->labels.clear();
      series->samples.clear();
      series->exemplars.clear();
      series->exemplar_labels.clear();
      series->histogram_count = 0;
      while (!ts.empty()) {
        Cursor sub;
        if (!ts.ReadTag(&field, &wt)) return Fail("TimeSeries field tag");
        if (field == 1 && wt == kLengthDelimited) {
          if (!ts.ReadLengthDelimited(&sub) || !ParseLabel(sub, &series->labels.emplace_back())) {
            return Fail("Label");
          }
        } else if (field == 2 && wt == kLengthDelimited) {
          if (!ts.ReadLengthDelimited(&sub) || !ParseSample(sub, &series->samples.emplace_back())) {
            return Fail("Sample");
          }
        } else if (field == 3 && wt == kLengthDelimited) {
          if (!ts.ReadLengthDelimited(&sub) || !ParseExemplar(sub, series)) return Fail("Exemplar");
        } else if (field == 4 && wt == kLengthDelimited) {
          if (!ts.ReadLengthDelimited(&sub)) return Fail("Histogram");
          ++series->histogram_count;
        } else if (!ts.Skip(wt)) {
          return Fail("TimeSeries field");
        }
      }
      advance();
      return true;
    }
    if (field == 3 && wt == kLengthDelimited) {
      Cursor md;
      if (!top.ReadLengthDelimited(&md) || !ParseMetadata(md, &metadata_.emplace_back())) {
        return Fail("MetricMetadata");
      }
    } else if (!top.Skip(wt)) {
      return Fail("WriteRequest field");
    }
    advance();
  }
  rest_ = {};
  return false;
}

namespace {

absl::Status SnappyUncompressInto(std::string_view compressed, size_t max_uncompressed_bytes, std::string* buffer,
                                  size_t* length) {
  size_t n = 0;
  if (!snappy::GetUncompressedLength(compressed.data(), compressed.size(), &n)) {
    return absl::InvalidArgumentError("cannot decompress snappy body: invalid snappy block length header");
  }
  if (n > max_uncompressed_bytes) {
    return absl::InvalidArgumentError(fmt::format(
        "cannot decompress snappy body: the decompressed size {} bytes exceeds the limit of {} bytes", n,
        max_uncompressed_bytes));
  }
  // Growing only (never shrinking) the buffer avoids zero-filling it again
  // for every request of a similar size.
  if (buffer->size() < n) buffer->resize(n);
  if (!snappy::RawUncompress(compressed.data(), compressed.size(), buffer->data())) {
    return absl::InvalidArgumentError("cannot decompress snappy body: corrupt snappy block data");
  }
  *length = n;
  return absl::OkStatus();
}

}  // namespace

absl::Status SnappyUncompress(std::string_view compressed, size_t max_uncompressed_bytes, std::string* out) {
  size_t n = 0;
  STRATA_RETURN_IF_ERROR(SnappyUncompressInto(compressed, max_uncompressed_bytes, out, &n));
  out->resize(n);
  return absl::OkStatus();
}

absl::StatusOr<WriteRequestReader> RemoteWriteDecoder::Decompress(std::string_view snappy_body) {
  length_ = 0;
  STRATA_RETURN_IF_ERROR(SnappyUncompressInto(snappy_body, max_uncompressed_bytes_, &buffer_, &length_));
  return WriteRequestReader(buffer());
}

}  // namespace strata
