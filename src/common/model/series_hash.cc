#include "common/model/series_hash.h"

#include <string>

#define XXH_INLINE_ALL
#include <xxhash.h>

namespace strata {
namespace {

// Hashes tenant + `name\0value\0` pairs in one shot over a thread-local
// buffer: the streaming XXH3 API costs several times more per label than
// copying the bytes (it buffers internally anyway). The value equals XXH3
// over the concatenated bytes.
template <typename Range>
uint64_t HashLabels(TenantId tenant, const Range& labels) {
  thread_local std::string buf;
  buf.clear();
  uint32_t t[2] = {tenant.account_id, tenant.project_id};
  buf.append(reinterpret_cast<const char*>(t), sizeof(t));
  for (const auto& l : labels) {
    buf.append(l.name.data(), l.name.size());
    buf.push_back('\0');
    buf.append(l.value.data(), l.value.size());
    buf.push_back('\0');
  }
  return XXH3_64bits(buf.data(), buf.size());
}

}  // namespace

uint64_t SeriesHash(TenantId tenant, std::span<const LabelView> sorted_labels) {
  return HashLabels(tenant, sorted_labels);
}

uint64_t SeriesHash(TenantId tenant, const Labels& labels) { return HashLabels(tenant, labels.items()); }

uint64_t Hash64(std::string_view bytes) { return XXH3_64bits(bytes.data(), bytes.size()); }

}  // namespace strata
