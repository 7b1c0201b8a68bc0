#include "common/model/series_hash.h"

#define XXH_INLINE_ALL
#include <xxhash.h>

namespace strata {
namespace {

// Streams tenant + `name\0value\0` pairs without building the canonical
// string; the result equals XXH3 over the concatenated bytes.
template <typename Range>
uint64_t HashLabels(TenantId tenant, const Range& labels) {
  XXH3_state_t state;
  XXH3_64bits_reset(&state);
  uint32_t t[2] = {tenant.account_id, tenant.project_id};
  XXH3_64bits_update(&state, t, sizeof(t));
  static constexpr char kZero = '\0';
  for (const auto& l : labels) {
    XXH3_64bits_update(&state, l.name.data(), l.name.size());
    XXH3_64bits_update(&state, &kZero, 1);
    XXH3_64bits_update(&state, l.value.data(), l.value.size());
    XXH3_64bits_update(&state, &kZero, 1);
  }
  return XXH3_64bits_digest(&state);
}

}  // namespace

uint64_t SeriesHash(TenantId tenant, std::span<const LabelView> sorted_labels) {
  return HashLabels(tenant, sorted_labels);
}

uint64_t SeriesHash(TenantId tenant, const Labels& labels) { return HashLabels(tenant, labels.items()); }

uint64_t Hash64(std::string_view bytes) { return XXH3_64bits(bytes.data(), bytes.size()); }

}  // namespace strata
