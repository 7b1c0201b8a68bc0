#include "common/prompb/remote_write_decoder.h"
#include "common/prompb/remote_write_encoder.h"

#include <bit>
#include <cstring>
#include <random>
#include <string>
#include <tuple>
#include <vector>

#include <catch2/catch.hpp>

#include "common/encoding/varint.h"
#include <google/protobuf/stubs/logging.h>

#include "prompb/remote.pb.h"

namespace strata {
namespace {

// A decoded series in owned, comparable form (values by bits, so NaN
// payloads and stale markers are compared exactly).
struct OwnedSeries {
  std::vector<std::pair<std::string, std::string>> labels;
  std::vector<std::pair<int64_t, uint64_t>> samples;
  // (labels, timestamp, value bits) per exemplar.
  std::vector<std::tuple<std::vector<std::pair<std::string, std::string>>, int64_t, uint64_t>> exemplars;
  size_t histograms = 0;
  friend bool operator==(const OwnedSeries&, const OwnedSeries&) = default;
};

// (type, metric family name, help, unit).
using OwnedMetadata = std::tuple<uint32_t, std::string, std::string, std::string>;

struct Decoded {
  std::vector<OwnedSeries> series;
  std::vector<OwnedMetadata> metadata;
};

absl::StatusOr<Decoded> DecodeOurs(std::string_view request) {
  WriteRequestReader reader(request);
  WriteRequestSeries s;
  Decoded out;
  while (reader.Next(&s)) {
    OwnedSeries o;
    for (const LabelView& l : s.labels) o.labels.emplace_back(l.name, l.value);
    for (const Sample& x : s.samples) o.samples.emplace_back(x.timestamp_ms, std::bit_cast<uint64_t>(x.value));
    for (const ExemplarView& e : s.exemplars) {
      std::vector<std::pair<std::string, std::string>> labels;
      for (const LabelView& l : s.labels_of(e)) labels.emplace_back(l.name, l.value);
      o.exemplars.emplace_back(std::move(labels), e.timestamp_ms, std::bit_cast<uint64_t>(e.value));
    }
    o.histograms = s.histogram_count;
    out.series.push_back(std::move(o));
  }
  if (!reader.status().ok()) return reader.status();
  for (const MetricMetadataView& m : reader.metadata()) {
    out.metadata.emplace_back(m.type, m.metric_family_name, m.help, m.unit);
  }
  return out;
}

Decoded FromProto(const prometheus::WriteRequest& req) {
  Decoded out;
  for (const auto& ts : req.timeseries()) {
    OwnedSeries o;
    for (const auto& l : ts.labels()) o.labels.emplace_back(l.name(), l.value());
    for (const auto& x : ts.samples()) o.samples.emplace_back(x.timestamp(), std::bit_cast<uint64_t>(x.value()));
    for (const auto& e : ts.exemplars()) {
      std::vector<std::pair<std::string, std::string>> labels;
      for (const auto& l : e.labels()) labels.emplace_back(l.name(), l.value());
      o.exemplars.emplace_back(std::move(labels), e.timestamp(), std::bit_cast<uint64_t>(e.value()));
    }
    o.histograms = static_cast<size_t>(ts.histograms_size());
    out.series.push_back(std::move(o));
  }
  for (const auto& m : req.metadata()) {
    out.metadata.emplace_back(static_cast<uint32_t>(m.type()), m.metric_family_name(), m.help(), m.unit());
  }
  return out;
}

// Decodes a request of one series both ways; requires the same result.
OwnedSeries DecodeOneSeriesAsLibprotobufDoes(const std::string& request) {
  prometheus::WriteRequest ref;
  REQUIRE(ref.ParseFromString(request));
  auto ours = DecodeOurs(request);
  REQUIRE(ours.ok());
  REQUIRE(ours->series.size() == 1);
  CHECK(ours->series == FromProto(ref).series);
  return ours->series[0];
}

std::string RandomAscii(std::mt19937_64& rng, size_t max_len) {
  std::string s(rng() % (max_len + 1), 'x');
  for (char& c : s) c = static_cast<char>(' ' + rng() % 95);
  return s;
}

double RandomValue(std::mt19937_64& rng) {
  switch (rng() % 6) {
    case 0: return StaleNaN();
    case 1: return std::bit_cast<double>(rng());  // any bit pattern, NaNs included
    case 2: return 0.0;
    case 3: return -static_cast<double>(rng() % 1000);
    default: return static_cast<double>(rng() % 100000) / 7.0;
  }
}

prometheus::WriteRequest RandomRequest(std::mt19937_64& rng) {
  prometheus::WriteRequest req;
  size_t series = rng() % 20;
  for (size_t i = 0; i < series; ++i) {
    auto* ts = req.add_timeseries();
    size_t labels = rng() % 8;
    for (size_t j = 0; j < labels; ++j) {
      auto* l = ts->add_labels();
      l->set_name(j == 0 ? "__name__" : RandomAscii(rng, 20));
      // Some values of 128 bytes or more: two-byte lengths.
      l->set_value(RandomAscii(rng, rng() % 8 == 0 ? 300 : 40));
    }
    size_t samples = rng() % 10;
    int64_t ts_ms = static_cast<int64_t>(rng() % 2'000'000'000'000) - 1'000'000'000'000;
    for (size_t j = 0; j < samples; ++j) {
      auto* s = ts->add_samples();
      s->set_value(RandomValue(rng));
      s->set_timestamp(ts_ms);
      ts_ms += static_cast<int64_t>(rng() % 30000);
    }
    for (size_t k = rng() % 4 == 0 ? 1 + rng() % 3 : 0; k > 0; --k) {
      auto* e = ts->add_exemplars();
      for (size_t j = rng() % 3; j > 0; --j) {
        auto* l = e->add_labels();
        l->set_name(j == 1 ? "trace_id" : RandomAscii(rng, 10));
        l->set_value(RandomAscii(rng, 16));
      }
      e->set_value(RandomValue(rng));
      e->set_timestamp(ts_ms - static_cast<int64_t>(k));
    }
    if (rng() % 4 == 0) {
      auto* h = ts->add_histograms();
      h->set_count_int(rng() % 100);
      h->set_sum(2.5);
      h->set_schema(3);
      h->add_positive_deltas(-4);
      h->add_positive_spans()->set_length(1);
      h->set_timestamp(ts_ms);
    }
  }
  size_t metadata = rng() % 3;
  for (size_t i = 0; i < metadata; ++i) {
    auto* m = req.add_metadata();
    m->set_type(static_cast<prometheus::MetricMetadata::MetricType>(rng() % 8));
    m->set_metric_family_name(RandomAscii(rng, 20));
    m->set_help(RandomAscii(rng, 60));
    if (rng() % 2 == 0) m->set_unit(RandomAscii(rng, 8));
  }
  return req;
}

TEST_CASE("decoder reads random libprotobuf-serialized WriteRequests exactly as libprotobuf does",
          "[prompb][decoder]") {
  std::mt19937_64 rng(1234);
  for (int iter = 0; iter < 500; ++iter) {
    prometheus::WriteRequest req = RandomRequest(rng);
    std::string bytes = req.SerializeAsString();
    auto ours = DecodeOurs(bytes);
    REQUIRE(ours.ok());
    Decoded want = FromProto(req);
    REQUIRE(ours->series == want.series);
    REQUIRE(ours->metadata == want.metadata);
  }
}

TEST_CASE("decoder accepts a request of any cut point exactly when libprotobuf does", "[prompb][decoder]") {
  std::mt19937_64 rng(99);
  for (int iter = 0; iter < 20; ++iter) {
    std::string bytes = RandomRequest(rng).SerializeAsString();
    for (size_t cut = 0; cut < bytes.size(); ++cut) {
      std::string prefix = bytes.substr(0, cut);  // its own allocation, so ASan sees over-reads
      prometheus::WriteRequest ref;
      bool ref_ok = ref.ParseFromString(prefix);
      auto ours = DecodeOurs(prefix);
      INFO("cut " << cut << " of " << bytes.size());
      REQUIRE(ours.ok() == ref_ok);
      if (ours.ok()) {
        REQUIRE(ours->series == FromProto(ref).series);
      } else {
        REQUIRE(ours.status().code() == absl::StatusCode::kInvalidArgument);
        REQUIRE(std::string(ours.status().message()).rfind("cannot parse remote_write request: ", 0) == 0);
      }
    }
  }
}

TEST_CASE("decoder fails cleanly on random garbage and corrupted requests", "[prompb][decoder]") {
  // libprotobuf logs every invalid UTF-8 string it meets; garbage has many.
  google::protobuf::LogSilencer silence;
  std::mt19937_64 rng(7);
  size_t failures = 0;
  for (int iter = 0; iter < 3000; ++iter) {
    std::string bytes;
    if (iter % 2 == 0) {
      bytes.resize(rng() % 200);
      for (char& c : bytes) c = static_cast<char>(rng());
    } else {
      bytes = RandomRequest(rng).SerializeAsString();
      if (bytes.empty()) continue;
      for (int flips = 0; flips < 3; ++flips) bytes[rng() % bytes.size()] = static_cast<char>(rng());
    }
    auto ours = DecodeOurs(bytes);
    if (!ours.ok()) {
      ++failures;
      REQUIRE(ours.status().code() == absl::StatusCode::kInvalidArgument);
      continue;
    }
    // Whatever we accept, libprotobuf accepts too (with the same content),
    // unless it also checks UTF-8 in proto3 strings, which we leave to the
    // label validation step.
    prometheus::WriteRequest ref;
    if (ref.ParseFromString(bytes)) REQUIRE(ours->series == FromProto(ref).series);
  }
  CHECK(failures > 1000);
}

TEST_CASE("decoder skips unknown fields of every wire type and known fields with unexpected wire types",
          "[prompb][decoder]") {
  // Sample{value: fixed64 1.0, timestamp: varint 5, unknown 9: fixed32, 10: varint, 11: bytes}
  std::string sample;
  sample.push_back(0x09);
  PutFixed64(&sample, std::bit_cast<uint64_t>(1.0));
  sample.push_back(0x10);
  PutVarint(&sample, 5);
  PutVarint(&sample, (9 << 3) | 5);
  PutFixed32(&sample, 77);
  PutVarint(&sample, (10 << 3) | 0);
  PutVarint(&sample, 300);
  PutVarint(&sample, (11 << 3) | 2);
  PutLengthPrefixed(&sample, "junk");
  // timestamp with the wrong wire type (length-delimited): unknown, skipped.
  PutVarint(&sample, (2 << 3) | 2);
  PutLengthPrefixed(&sample, "zz");

  std::string label;
  label.push_back(0x0a);
  PutLengthPrefixed(&label, "__name__");
  label.push_back(0x12);
  PutLengthPrefixed(&label, "up");
  PutVarint(&label, (7 << 3) | 1);
  PutFixed64(&label, 1);

  std::string series;
  series.push_back(0x0a);
  PutLengthPrefixed(&series, label);
  series.push_back(0x12);
  PutLengthPrefixed(&series, sample);
  PutVarint(&series, (20 << 3) | 0);
  PutVarint(&series, ~uint64_t{0});
  // labels with the wrong wire type (varint): unknown.
  PutVarint(&series, (1 << 3) | 0);
  PutVarint(&series, 1);

  std::string request;
  PutVarint(&request, (2 << 3) | 2);  // reserved field 2
  PutLengthPrefixed(&request, "cortex");
  request.push_back(0x0a);
  PutLengthPrefixed(&request, series);
  PutVarint(&request, (15 << 3) | 5);
  PutFixed32(&request, 1);

  const OwnedSeries ours = DecodeOneSeriesAsLibprotobufDoes(request);
  CHECK(ours.labels[0] == std::pair<std::string, std::string>("__name__", "up"));
  CHECK(ours.samples[0] == std::pair<int64_t, uint64_t>(5, std::bit_cast<uint64_t>(1.0)));
}

TEST_CASE("decoder reads labels in every field order and length form as libprotobuf does", "[prompb][decoder]") {
  // The decoder has a shortcut for the usual Label (name, then value, each
  // with a one-byte length); every other legal form must decode the same
  // as libprotobuf decodes it.
  auto field = [](int number, std::string_view text) {
    std::string out;
    PutVarint(&out, (static_cast<uint64_t>(number) << 3) | 2);
    PutLengthPrefixed(&out, text);
    return out;
  };
  const std::string long_text(130, 'x');  // a two-byte length
  const std::vector<std::string> labels = {
      field(1, "__name__") + field(2, "up"),             // the usual form
      field(2, "up") + field(1, "__name__"),             // value first
      field(1, "job") + field(1, "instance") + field(2, "a"),  // repeated name: the last wins
      field(1, long_text) + field(2, "v"),               // long name
      field(1, "n") + field(2, long_text),               // long value
      field(1, "only_name"),                             // no value
      field(2, "only_value"),                            // no name
      field(1, "n") + field(2, "v") + field(3, "unknown"),  // an unknown field after them
      "",                                                // empty label
  };
  std::string series;
  for (const std::string& label : labels) series += field(1, label);
  const std::string request = field(1, series);
  const OwnedSeries ours = DecodeOneSeriesAsLibprotobufDoes(request);
  CHECK(ours.labels[1] == std::pair<std::string, std::string>("__name__", "up"));
  CHECK(ours.labels[2] == std::pair<std::string, std::string>("instance", "a"));
}

TEST_CASE("decoder rejects groups, field number zero and overlong varints", "[prompb][decoder]") {
  for (std::string bad : {std::string("\x0b\x0c", 2), std::string("\x00\x01", 2),
                          std::string("\x08\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01", 12),
                          std::string("\x0a\x05\x0a\x03\x0a", 5)}) {
    auto ours = DecodeOurs(bad);
    REQUIRE_FALSE(ours.ok());
    CHECK(ours.status().code() == absl::StatusCode::kInvalidArgument);
  }
}

TEST_CASE("encoder output parses with libprotobuf to the same series", "[prompb][encoder]") {
  std::vector<LabelView> labels = {{"__name__", "node_cpu_seconds_total"}, {"cpu", "0"}, {"mode", "idle"}};
  std::vector<Sample> samples = {{-5, StaleNaN()}, {1700000000000, 12.5}, {1700000015000, 13.0}};
  std::string request;
  AppendWriteRequestSeries(labels, samples, &request);
  AppendWriteRequestSeries(std::span<const LabelView>(labels).first(1), {}, &request);
  prometheus::WriteRequest ref;
  REQUIRE(ref.ParseFromString(request));
  REQUIRE(ref.timeseries_size() == 2);
  CHECK(ref.timeseries(0).labels(2).value() == "idle");
  CHECK(ref.timeseries(0).samples(0).timestamp() == -5);
  CHECK(std::bit_cast<uint64_t>(ref.timeseries(0).samples(0).value()) == kStaleNaNBits);
  CHECK(ref.timeseries(0).samples(2).value() == 13.0);
  CHECK(ref.timeseries(1).samples_size() == 0);
  auto ours = DecodeOurs(request);
  REQUIRE(ours.ok());
  CHECK(ours->series == FromProto(ref).series);
}

TEST_CASE("decoder decompresses snappy bodies into a reused buffer", "[prompb][snappy]") {
  std::mt19937_64 rng(5);
  RemoteWriteDecoder decoder;
  for (int i = 0; i < 20; ++i) {
    prometheus::WriteRequest req = RandomRequest(rng);
    std::string body;
    SnappyCompress(req.SerializeAsString(), &body);
    auto reader = decoder.Decompress(body);
    REQUIRE(reader.ok());
    CHECK(decoder.buffer() == req.SerializeAsString());
    WriteRequestSeries s;
    size_t n = 0;
    while (reader->Next(&s)) ++n;
    REQUIRE(reader->status().ok());
    CHECK(n == static_cast<size_t>(req.timeseries_size()));
  }
}

TEST_CASE("decoder rejects bodies that are not snappy, corrupt, or too large", "[prompb][snappy]") {
  RemoteWriteDecoder decoder(1000);
  std::string body;
  SnappyCompress(std::string(5000, 'a'), &body);
  auto too_big = decoder.Decompress(body);
  REQUIRE_FALSE(too_big.ok());
  CHECK(too_big.status().code() == absl::StatusCode::kInvalidArgument);
  CHECK(std::string(too_big.status().message()).find("exceeds the limit of 1000 bytes") != std::string::npos);

  std::mt19937_64 rng(11);
  SnappyCompress(RandomRequest(rng).SerializeAsString(), &body);
  for (size_t cut = 0; cut + 1 < body.size(); ++cut) {
    std::string prefix = body.substr(0, cut);
    auto r = RemoteWriteDecoder().Decompress(prefix);
    REQUIRE_FALSE(r.ok());
    REQUIRE(std::string(r.status().message()).rfind("cannot decompress snappy body: ", 0) == 0);
  }
  // A length header claiming 2^32 bytes, far over the default cap.
  auto huge = RemoteWriteDecoder().Decompress(std::string("\x80\x80\x80\x80\x10", 5));
  CHECK_FALSE(huge.ok());
  // An uncompressed protobuf sent without snappy is rejected as snappy.
  auto raw = RemoteWriteDecoder().Decompress(std::string("\x0a\x05\x0a\x03\x0a\x01\x61", 7));
  CHECK_FALSE(raw.ok());
}

}  // namespace
}  // namespace strata
