// File: common/model/series_hash.h
//
// The placement hash of a series: XXH3-64 over the tenant and the canonical
// label bytes (DESIGN.md "Identity of a series"). Used for ring placement and
// caches only, never as the stored identity: 64-bit hashes collide at scale.
#pragma once

#include <cstdint>
#include <span>

#include "common/model/labels.h"
#include "common/model/tenant.h"

namespace strata {

uint64_t SeriesHash(TenantId tenant, std::span<const LabelView> sorted_labels);
uint64_t SeriesHash(TenantId tenant, const Labels& labels);

// XXH3-64 of arbitrary bytes (ring positions, caches).
uint64_t Hash64(std::string_view bytes);

}  // namespace strata
