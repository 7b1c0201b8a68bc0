#include "common/model/write_batch.h"

#include <bit>
#include <cmath>
#include <limits>

#include <catch2/catch.hpp>

#include "common/encoding/varint.h"

namespace strata {
namespace {

TEST_CASE("write batch round-trips labels and bit-exact values", "[common][write_batch]") {
  WriteBatchBuilder b(TenantId{7, 3});
  std::vector<LabelView> l1 = {{"__name__", "a"}, {"job", "x"}};
  std::vector<Sample> s1 = {{1000, 1.5},
                            {-5, std::numeric_limits<double>::infinity()},
                            {2000, StaleNaN()},
                            {2000, std::bit_cast<double>(0x7ff8000000000abcULL)}};
  b.AddSeries(l1, s1);
  std::vector<LabelView> l2 = {{"__name__", "b"}};
  std::vector<Sample> s2 = {{std::numeric_limits<int64_t>::max() / 4, -0.0}};
  b.AddSeries(l2, s2);
  CHECK(b.series_count() == 2);
  CHECK(b.sample_count() == 5);
  std::string bytes = b.Finish();

  auto reader = WriteBatchReader::Open(bytes);
  REQUIRE(reader.ok());
  CHECK(reader->tenant() == TenantId{7, 3});
  SeriesView v;
  REQUIRE(reader->Next(&v));
  REQUIRE(v.labels.size() == 2);
  CHECK(v.labels[1].value == "x");
  REQUIRE(v.samples.size() == 4);
  for (size_t i = 0; i < s1.size(); ++i) CHECK(SameBits(v.samples[i], s1[i]));
  REQUIRE(reader->Next(&v));
  CHECK(SameBits(v.samples[0], s2[0]));
  CHECK_FALSE(reader->Next(&v));
  CHECK(reader->status().ok());
}

TEST_CASE("write batch reader reports truncation as data loss", "[common][write_batch]") {
  WriteBatchBuilder b(TenantId{});
  std::vector<LabelView> l = {{"__name__", "a"}};
  std::vector<Sample> s = {{1, 1}, {2, 2}};
  b.AddSeries(l, s);
  std::string bytes = b.Finish();
  for (size_t cut = 10; cut < bytes.size(); ++cut) {
    auto reader = WriteBatchReader::Open(std::string_view(bytes).substr(0, cut));
    REQUIRE(reader.ok());
    SeriesView v;
    while (reader->Next(&v)) {
    }
    INFO("cut at " << cut);
    CHECK(reader->status().code() == absl::StatusCode::kDataLoss);
  }
  CHECK_FALSE(WriteBatchReader::Open("xx").ok());
}


TEST_CASE("write batch reader exposes the packed labels and rejects over-long length varints",
          "[common][write_batch]") {
  std::string long_value(200, 'v');  // a two-byte length varint
  std::vector<LabelView> labels = {{"__name__", "a"}, {"job", long_value}};
  std::vector<Sample> samples = {{1, 1}};
  WriteBatchBuilder b(TenantId{});
  b.AddSeries(labels, samples);
  std::string bytes = b.Finish();

  std::string packed;
  for (const LabelView& l : labels) {
    PutLengthPrefixed(&packed, l.name);
    PutLengthPrefixed(&packed, l.value);
  }
  auto reader = WriteBatchReader::Open(bytes);
  REQUIRE(reader.ok());
  SeriesView v;
  REQUIRE(reader->Next(&v));
  CHECK(v.packed_labels == packed);

  // The same label written with a padded length varint (0x81 0x00 is 1):
  // equal labels, other bytes. Storage compares series by these bytes, so
  // the reader must refuse the form instead of creating a second series.
  std::string padded = bytes.substr(0, 9);  // magic, tenant
  padded += '\x01';                         // one label
  padded += "\x88\x00__name__";              // name length 8, padded to two bytes
  padded += "\x01a";
  padded += bytes.substr(bytes.size() - 10);  // sample count, timestamp, value
  auto bad = WriteBatchReader::Open(padded);
  REQUIRE(bad.ok());
  CHECK_FALSE(bad->Next(&v));
  CHECK(bad->status().code() == absl::StatusCode::kDataLoss);
}

// Found by tests/fuzz/write_batch_fuzz.cc: timestamps at both ends of int64
// made the delta (builder) and the running sum (reader) overflow int64, which
// is undefined behaviour. Deltas now wrap modulo 2^64, so they round-trip.
TEST_CASE("write batch round-trips timestamps at both ends of int64", "[common][write_batch]") {
  constexpr int64_t kMin = std::numeric_limits<int64_t>::min();
  constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
  WriteBatchBuilder b(TenantId{});
  std::vector<LabelView> l = {{"__name__", "a"}};
  std::vector<Sample> s = {{kMin, 1}, {kMax, 2}, {kMin, 3}, {0, 4}, {-1, 5}};
  b.AddSeries(l, s);
  std::string bytes = b.Finish();
  auto reader = WriteBatchReader::Open(bytes);
  REQUIRE(reader.ok());
  SeriesView v;
  REQUIRE(reader->Next(&v));
  REQUIRE(v.samples.size() == s.size());
  for (size_t i = 0; i < s.size(); ++i) CHECK(SameBits(v.samples[i], s[i]));
  CHECK(reader->status().ok());
}

TEST_CASE("write batch reader wraps a corrupt delta that overflows int64", "[common][write_batch]") {
  // The fuzzer's input: the third delta of the first series takes the
  // running timestamp past INT64_MAX; the second series is truncated.
  const std::string batch(
      "\x57\x01\x00\x00\x00\x02\x00\x00\x00\x02\x08\x5f\x5f\x6e\x61\x6d"
      "\x65\x5f\x01\x00\x00\x00\x03\x6a\x6f\x62\x01\x78\x02\x80\xa0\xab"
      "\xfe\xf9\x62\x00\x00\x00\x00\x00\x00\xf0\x3f\xb0\xea\xfc\xff\xff"
      "\xff\xff\xff\xff\x03\x00\x01\x08\x5f\x5f\x6e\x61\x6d\x65\x5f\x5f"
      "\x01\x7a\x01\x0a\x00\x00\x00\x00\x00\x00\x04\xc0",
      76);
  auto reader = WriteBatchReader::Open(batch);
  REQUIRE(reader.ok());
  SeriesView v;
  REQUIRE(reader->Next(&v));
  REQUIRE(v.samples.size() == 3);
  CHECK(v.samples[1].timestamp_ms == 810676);
  CHECK(v.samples[2].timestamp_ms == -9223372036853991092);
  CHECK_FALSE(reader->Next(&v));
  CHECK(reader->status().code() == absl::StatusCode::kDataLoss);
}

}  // namespace
}  // namespace strata

namespace strata {
namespace {

TEST_CASE("packed labels unpack to the same label set, any bytes included", "[common][model][unit]") {
  const Labels labels = Labels::FromUnsorted({{"__name__", "node_cpu_seconds_total"},
                                              {"cpu", "0"},
                                              {"instance", std::string(200, 'x')},  // two-byte length varint
                                              {"weird", std::string("a\0\xff\n", 4)}});
  const std::string packed = PackLabels(labels);
  CHECK(UnpackLabels(packed) == labels);
  CHECK(UnpackLabels(PackLabels(Labels())).empty());
  // ForEachPackedLabel walks in order and stops when told.
  std::vector<std::string> names;
  ForEachPackedLabel(packed, [&names](std::string_view name, std::string_view) {
    names.emplace_back(name);
    return name != "cpu";
  });
  CHECK(names == std::vector<std::string>{"__name__", "cpu"});
}

}  // namespace
}  // namespace strata
