#include "storage/head/series_hash_index.h"

#include <cstdint>
#include <random>
#include <unordered_map>
#include <vector>

#include "unit/storage/storage_test_util.h"

namespace strata::storage {
namespace {

// The index never dereferences what it stores: distinct fake addresses do.
MemSeries* Fake(uint64_t n) { return reinterpret_cast<MemSeries*>(static_cast<uintptr_t>((n + 1) * 16)); }

TEST_CASE("series hash index agrees with a reference map under random inserts, updates and erases",
          "[storage][head][unit]") {
  for (uint64_t seed = 1; seed <= 40; ++seed) {
    std::mt19937_64 rng(seed);
    // Few distinct top bits in some seeds: long probe runs that wrap around
    // the table's end, which is where backward-shift deletion can go wrong.
    const int spread_bits = seed % 2 == 0 ? 64 : 8;
    std::vector<uint64_t> keys(300);
    for (uint64_t& k : keys) {
      k = rng();
      if (spread_bits < 64) k = (k >> (64 - spread_bits)) << (64 - spread_bits) | (rng() & 0xff);
    }
    SeriesHashIndex index;
    std::unordered_map<uint64_t, MemSeries*> want;
    for (int op = 0; op < 5000; ++op) {
      const uint64_t key = keys[rng() % keys.size()];
      if (rng() % 3 == 0) {
        index.Erase(key);
        want.erase(key);
      } else {
        MemSeries* value = Fake(rng() % 1000);
        index.Set(key, value);
        want[key] = value;
      }
      if (op % 97 == 0) {
        INFO("seed " << seed << " op " << op);
        REQUIRE(index.size() == want.size());
        for (uint64_t k : keys) {
          auto it = want.find(k);
          REQUIRE(index.Find(k) == (it == want.end() ? nullptr : it->second));
        }
      }
    }
  }
}

TEST_CASE("series hash index grows and keeps every entry", "[storage][head][unit]") {
  SeriesHashIndex index;
  for (uint64_t i = 0; i < 100'000; ++i) index.Set(i * 0x9E3779B97F4A7C15ull, Fake(i));
  REQUIRE(index.size() == 100'000);
  for (uint64_t i = 0; i < 100'000; ++i) REQUIRE(index.Find(i * 0x9E3779B97F4A7C15ull) == Fake(i));
  CHECK(index.Find(12345) == nullptr);
  for (uint64_t i = 0; i < 100'000; i += 2) index.Erase(i * 0x9E3779B97F4A7C15ull);
  CHECK(index.size() == 50'000);
  for (uint64_t i = 0; i < 100'000; ++i) {
    REQUIRE(index.Find(i * 0x9E3779B97F4A7C15ull) == (i % 2 == 0 ? nullptr : Fake(i)));
  }
}

}  // namespace
}  // namespace strata::storage
