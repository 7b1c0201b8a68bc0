// File: storage/head/series.h
//
// One series in the head: its identity (tenant, labels, node-assigned dense
// id), its open chunk and its out-of-order buffer. Sealed chunks live in the
// ChunkStore. The head holds the series that received samples recently; an
// idle one is evicted after its data is persisted and comes back (same id)
// when samples arrive again.
#pragma once

#include <cstdint>
#include <limits>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/chunkenc/xor_chunk.h"
#include "common/model/labels.h"
#include "common/model/write_batch.h"  // PackLabels
#include "common/model/tenant.h"

namespace strata::storage {

// Identity fields are immutable after construction and may be read without
// a lock. The mutable fields are guarded by the Head stripe that owns the
// series (the stripe of `hash`); the Head documents this, since the
// annotation cannot name another object's mutex.
struct MemSeries : std::enable_shared_from_this<MemSeries> {
  MemSeries(uint64_t id_in, uint64_t ref_in, TenantId tenant_in, uint64_t hash_in, std::string packed_labels_in)
      : id(id_in), ref(ref_in), tenant(tenant_in), hash(hash_in), packed_labels(std::move(packed_labels_in)) {}

  // The labels, unpacked: a copy, since the head keeps only the packed form
  // (a Labels per series would be a few hundred bytes more of each one).
  Labels labels() const { return UnpackLabels(packed_labels); }

  const uint64_t id;
  // Head-local number, increasing in the order series enter the head, so
  // that the in-memory postings stay sorted by plain appends even when a
  // series with an old id comes back.
  const uint64_t ref;
  const TenantId tenant;
  const uint64_t hash;  // LocalSeriesHash(tenant, packed_labels): picks the stripe
  // The labels as one contiguous (uvarint length, bytes) name/value
  // sequence (write_batch.h PackLabels): every append compares the incoming
  // labels with it, and one block costs a cache miss or two where
  // separately allocated strings would cost one per label.
  const std::string packed_labels;

  // Guarded by the owning stripe's mutex.
  MemSeries* next_same_hash = nullptr;  // chain of series whose hash collides
  XorAppender open_chunk;
  // Timestamp of the newest in-order sample: the series' max time, since
  // out-of-order samples are older by definition.
  int64_t last_t = std::numeric_limits<int64_t>::min();
  bool has_samples = false;
  // Set by every append, cleared by each eviction pass: a series still
  // clear at the next pass received nothing for a whole flush interval.
  bool active = true;
  // Its identity is in the persistent index (false until the first flush
  // after it was created), so evicting it loses nothing.
  bool persisted = false;
  // Its definition (id, labels) is in a WAL record that was durable before
  // any later record was written (set by Head::Apply, after the WAL append
  // returned), so later records may name it by id alone. Irrelevant once
  // `persisted`: replay then finds the id in the persistent index.
  bool wal_defined = false;
  // The newest day whose per-day postings were queued for this series.
  int64_t indexed_through_day = std::numeric_limits<int64_t>::min();
  // Accepted out-of-order samples not yet sealed into a chunk: sorted by
  // timestamp, unique, all < last_t. Usually empty (no heap memory).
  std::vector<Sample> ooo;
};

// Starts loading a series' own fields (identity and open chunk state).
inline void PrefetchSeries(const MemSeries& s) {
  const char* p = reinterpret_cast<const char*>(&s);
  for (size_t off = 0; off < sizeof(MemSeries); off += 64) __builtin_prefetch(p + off);
}

// Starts loading what an append reads behind the series' pointers: the
// packed labels it compares and the end of the open chunk it writes to.
// REQUIRES: the owning stripe's mutex held.
inline void PrefetchSeriesData(const MemSeries& s) {
  const char* labels = s.packed_labels.data();
  for (size_t off = 0; off < s.packed_labels.size(); off += 64) __builtin_prefetch(labels + off);
  std::string_view chunk = s.open_chunk.bytes();
  if (!chunk.empty()) __builtin_prefetch(chunk.data() + chunk.size() - 1, /*rw=*/1);
}

}  // namespace strata::storage
