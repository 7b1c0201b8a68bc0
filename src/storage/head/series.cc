#include "storage/head/series.h"

#include <cstring>
#include <new>

#include "common/base/check.h"

namespace strata::storage {

std::shared_ptr<MemSeries> MemSeries::Create(uint64_t id, uint64_t ref, TenantId tenant, uint64_t hash,
                                             std::string_view packed_labels) {
  STRATA_CHECK(packed_labels.size() <= std::numeric_limits<uint32_t>::max());
  void* block = ::operator new(sizeof(MemSeries) + packed_labels.size());
  MemSeries* s = new (block) MemSeries(id, ref, tenant, hash, static_cast<uint32_t>(packed_labels.size()));
  if (!packed_labels.empty()) std::memcpy(static_cast<char*>(block) + sizeof(MemSeries), packed_labels.data(), packed_labels.size());
  // The control block is a separate allocation, which keeps it (and its
  // counts, touched only when a pointer is copied) off the append path.
  return std::shared_ptr<MemSeries>(s, &MemSeries::Destroy);
}

void MemSeries::Destroy(MemSeries* s) {
  s->~MemSeries();
  ::operator delete(s);
}

}  // namespace strata::storage
