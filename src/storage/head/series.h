// File: storage/head/series.h
//
// One series in the head: its identity (tenant, labels, node-assigned dense
// id), its open chunk and its out-of-order buffer. Sealed chunks live in the
// ChunkStore.
#pragma once

#include <cstdint>
#include <limits>
#include <vector>

#include "common/chunkenc/xor_chunk.h"
#include "common/model/labels.h"
#include "common/model/tenant.h"

namespace strata::storage {

// Identity fields are immutable after construction and may be read without
// a lock. The mutable fields are guarded by the Head stripe that owns the
// series (the stripe of `hash`); the Head documents this, since the
// annotation cannot name another object's mutex.
struct MemSeries {
  MemSeries(uint64_t id_in, TenantId tenant_in, uint64_t hash_in, Labels labels_in)
      : id(id_in), tenant(tenant_in), hash(hash_in), labels(std::move(labels_in)) {}

  const uint64_t id;
  const TenantId tenant;
  const uint64_t hash;  // SeriesHash(tenant, labels)
  const Labels labels;

  // Guarded by the owning stripe's mutex.
  MemSeries* next_same_hash = nullptr;  // chain of series whose hash collides
  XorAppender open_chunk;
  // Timestamp of the newest in-order sample: the series' max time, since
  // out-of-order samples are older by definition.
  int64_t last_t = std::numeric_limits<int64_t>::min();
  bool has_samples = false;
  // Accepted out-of-order samples not yet sealed into a chunk: sorted by
  // timestamp, unique, all < last_t. Usually empty (no heap memory).
  std::vector<Sample> ooo;
};

}  // namespace strata::storage
