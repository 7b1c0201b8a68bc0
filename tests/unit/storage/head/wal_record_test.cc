#include "storage/head/wal_record.h"

#include <bit>
#include <limits>
#include <memory>
#include <random>

#include "storage/head/series.h"
#include "unit/storage/storage_test_util.h"

namespace strata::storage {
namespace {

// A resolved batch over hand-made series, as Head::Resolve leaves it.
struct Fixture {
  std::vector<std::shared_ptr<MemSeries>> series;
  HeadBatch batch;
  std::vector<std::vector<Sample>> want;  // per batch series
  std::vector<Labels> labels;             // per batch series

  void Add(uint64_t id, Labels l, std::vector<Sample> samples, bool define) {
    series.push_back(MemSeries::Create(id, id, batch.tenant, 0, PackLabels(l)));
    HeadBatch::Series& s = batch.AddSeries(samples);
    s.series = series.back().get();
    s.define = define;
    s.label_count = static_cast<uint32_t>(l.size());
    s.packed_labels = s.series->packed_labels();
    labels.push_back(std::move(l));
    want.push_back(std::move(samples));
  }
};

double RandomValue(std::mt19937_64& rng) {
  switch (rng() % 9) {
    case 0: return StaleNaN();
    case 1: return std::bit_cast<double>(rng());  // NaN payloads and anything else
    case 2: return -0.0;
    case 3: return std::numeric_limits<double>::infinity();
    case 4: return -std::numeric_limits<double>::infinity();
    case 5: return static_cast<double>(rng() % 2);
    case 6: return static_cast<double>(static_cast<int64_t>(rng() >> 10) - (int64_t{1} << 53));  // +-2^53 range
    case 7: return 9007199254740992.0 * ((rng() & 1) ? 1 : -1);                                // exactly 2^53
    default: return static_cast<double>(rng() % 100000) / 7;
  }
}

TEST_CASE("wal samples records round-trip ids, definitions, timestamps and value bits", "[storage][wal][unit]") {
  for (uint64_t seed = 1; seed <= 200; ++seed) {
    std::mt19937_64 rng(seed);
    Fixture f;
    f.batch.tenant = TenantId{static_cast<uint32_t>(seed), 7};
    const int n_series = 1 + static_cast<int>(rng() % 20);
    for (int i = 0; i < n_series; ++i) {
      // Ids jump around (including down and to the maximum).
      uint64_t id = (rng() % 4 == 0) ? rng() : 1 + rng() % 1000;
      std::vector<Sample> samples;
      const int n = 1 + static_cast<int>(rng() % 30);
      int64_t t = (rng() % 3 == 0) ? static_cast<int64_t>(rng()) : 1'700'000'000'000 + static_cast<int64_t>(rng() % 1000);
      bool ints = rng() % 2 == 0;
      for (int k = 0; k < n; ++k) {
        // Regular, jittered, backwards and extreme steps.
        switch (rng() % 5) {
          case 0: t = static_cast<int64_t>(rng()); break;
          case 1: t -= static_cast<int64_t>(rng() % 100000); break;
          default: t += 15000 + static_cast<int64_t>(rng() % 3); break;
        }
        double v = ints ? static_cast<double>(static_cast<int64_t>(rng() % 2000000) - 1000000) : RandomValue(rng);
        samples.push_back({t, v});
      }
      f.Add(id, Labels::FromUnsorted({{"__name__", "m" + std::to_string(rng() % 5)}, {"i", std::to_string(i)}}),
            samples, rng() % 2 == 0);
    }
    std::string record;
    EncodeWalRecord(f.batch, &record);
    WalRecord got;
    REQUIRE(DecodeWalRecord(record, &got).ok());
    CHECK(got.tenant == f.batch.tenant);
    REQUIRE(got.entries.size() == f.batch.series.size());
    size_t d = 0;
    for (size_t i = 0; i < f.batch.series.size(); ++i) {
      INFO("seed " << seed << " series " << i);
      CHECK(got.entries[i].id == f.batch.series[i].series->id);
      auto samples = got.samples_of(got.entries[i]);
      REQUIRE(samples.size() == f.want[i].size());
      for (size_t k = 0; k < samples.size(); ++k) CHECK(SameBits(samples[k], f.want[i][k]));
      if (f.batch.series[i].define) {
        REQUIRE(d < got.definitions.size());
        CHECK(got.definitions[d].id == f.batch.series[i].series->id);
        CHECK(Labels::FromViews(got.labels_of(got.definitions[d])) == f.labels[i]);
        ++d;
      }
    }
    CHECK(d == got.definitions.size());
    // Every truncation is DataLoss, never a crash or a silent success
    // (except cuts at a series boundary, which decode as fewer series).
    for (size_t cut = 0; cut < record.size(); ++cut) {
      absl::Status st = DecodeWalRecord(std::string_view(record).substr(0, cut), &got);
      if (st.ok()) {
        CHECK(got.entries.size() < f.batch.series.size());
      } else {
        CHECK(st.code() == absl::StatusCode::kDataLoss);
      }
    }
  }
}

TEST_CASE("a steady-state scrape costs a few bytes a sample in the wal record", "[storage][wal][unit]") {
  Fixture f;
  for (uint64_t i = 0; i < 500; ++i) {
    double v = i % 3 == 0 ? 12345.678 + static_cast<double>(i) : (i % 3 == 1 ? 1.5e9 + static_cast<double>(i) : 1.0);
    f.Add(1000 + i, Labels::FromUnsorted({{"__name__", "node_metric"}, {"n", std::to_string(i)}}),
          {{1'700'000'000'000, v}}, /*define=*/false);
  }
  std::string record;
  EncodeWalRecord(f.batch, &record);
  // id delta 1 + header 1 + timestamp 1 (shared) + value 1..8.
  CHECK(static_cast<double>(record.size()) / 500 < 8.0);
}

}  // namespace
}  // namespace strata::storage
