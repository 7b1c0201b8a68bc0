#include "common/model/series_hash.h"

#include <iterator>
#include <string>

#include "common/encoding/varint.h"

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

uint64_t SeriesHashOfPacked(TenantId tenant, std::string_view packed_labels) {
  struct Pairs {
    std::string_view packed;
    struct Iterator {
      ByteReader r;
      LabelView label;
      bool done = false;
      void Read() { done = !r.GetLengthPrefixed(&label.name) || !r.GetLengthPrefixed(&label.value); }
      const LabelView& operator*() const { return label; }
      Iterator& operator++() {
        Read();
        return *this;
      }
      bool operator!=(std::default_sentinel_t) const { return !done; }
    };
    Iterator begin() const {
      Iterator it{ByteReader(packed), {}, false};
      it.Read();
      return it;
    }
    std::default_sentinel_t end() const { return {}; }
  };
  return HashLabels(tenant, Pairs{packed_labels});
}

uint64_t LocalSeriesHash(TenantId tenant, std::string_view packed_labels) {
  const uint64_t seed = (uint64_t{tenant.account_id} << 32) | tenant.project_id;
  return XXH3_64bits_withSeed(packed_labels.data(), packed_labels.size(), seed);
}

uint64_t Hash64(std::string_view bytes) { return XXH3_64bits(bytes.data(), bytes.size()); }

}  // namespace strata
