#include "common/model/series_hash.h"

#include <cstring>

#include <catch2/catch.hpp>

#include "common/encoding/varint.h"

namespace strata {
namespace {

TEST_CASE("series hash is XXH3 over tenant and canonical label bytes", "[common][series_hash]") {
  Labels labels = Labels::FromUnsorted({{"__name__", "up"}, {"job", "node"}, {"instance", "a:9100"}});
  TenantId tenant{12, 3};
  std::string bytes(8, '\0');
  std::memcpy(bytes.data(), &tenant.account_id, 4);
  std::memcpy(bytes.data() + 4, &tenant.project_id, 4);
  labels.AppendCanonical(&bytes);
  CHECK(SeriesHash(tenant, labels) == Hash64(bytes));

  std::vector<LabelView> views;
  for (const Label& l : labels) views.push_back({l.name, l.value});
  CHECK(SeriesHash(tenant, views) == SeriesHash(tenant, labels));
}

TEST_CASE("series hash of packed labels equals the series hash", "[common][series_hash]") {
  // The router hashes encoded series; it must place them where the
  // placement hash of their labels says.
  Labels labels = Labels::FromUnsorted(
      {{"__name__", "node_cpu_seconds_total"}, {"cpu", "0"}, {"mode", "idle"}, {"long", std::string(300, 'x')}});
  std::string packed;
  for (const Label& l : labels) {
    PutLengthPrefixed(&packed, l.name);
    PutLengthPrefixed(&packed, l.value);
  }
  for (TenantId tenant : {TenantId{}, TenantId{12, 3}}) {
    CHECK(SeriesHashOfPacked(tenant, packed) == SeriesHash(tenant, labels));
    CHECK(LocalSeriesHash(tenant, packed) != LocalSeriesHash(TenantId{tenant.account_id + 1, 0}, packed));
  }
  CHECK(SeriesHashOfPacked(TenantId{}, "") == SeriesHash(TenantId{}, Labels()));
}

TEST_CASE("series hash separates tenants and label boundaries", "[common][series_hash]") {
  Labels a = Labels::FromUnsorted({{"__name__", "ab"}, {"c", "d"}});
  Labels b = Labels::FromUnsorted({{"__name__", "a"}, {"bc", "d"}});
  CHECK(SeriesHash(TenantId{}, a) != SeriesHash(TenantId{}, b));
  CHECK(SeriesHash(TenantId{1, 0}, a) != SeriesHash(TenantId{0, 1}, a));
}

}  // namespace
}  // namespace strata
