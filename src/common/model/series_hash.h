// File: common/model/series_hash.h
//
// The placement hash of a series: XXH3-64 over the tenant and the canonical
// label bytes (DESIGN.md "Identity of a series"). Used for ring placement and
// caches only, never as the stored identity: 64-bit hashes collide at scale.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>

#include "common/model/labels.h"
#include "common/model/tenant.h"

namespace strata {

uint64_t SeriesHash(TenantId tenant, std::span<const LabelView> sorted_labels);
uint64_t SeriesHash(TenantId tenant, const Labels& labels);

// SeriesHash's value, from the labels as a write batch packs them
// (`(name, value lenprefixed)*`, SeriesView::packed_labels), so that a
// router holding only encoded series hashes them without decoding.
// REQUIRES: `packed_labels` well-formed (as the builder wrote it).
uint64_t SeriesHashOfPacked(TenantId tenant, std::string_view packed_labels);

// A cheaper hash for tables private to one process (the storage head's
// stripes): XXH3 over the packed labels themselves, seeded by the tenant,
// with no copy. Not the placement hash: never sent, stored or compared
// with SeriesHash.
uint64_t LocalSeriesHash(TenantId tenant, std::string_view packed_labels);

// XXH3-64 of arbitrary bytes (ring positions, caches).
uint64_t Hash64(std::string_view bytes);

}  // namespace strata
