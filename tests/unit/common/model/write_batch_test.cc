#include "common/model/write_batch.h"

#include <bit>
#include <cmath>
#include <limits>

#include <catch2/catch.hpp>

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

}  // namespace
}  // namespace strata
