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
#include "common/model/write_batch.h"  // UnpackLabels
#include "common/model/tenant.h"

namespace strata::storage {

// Identity fields are immutable after construction and may be read without
// a lock. The mutable fields are guarded by the Head stripe that owns the
// series (the stripe of `hash`); the Head documents this, since the
// annotation cannot name another object's mutex.
//
// The layout is a performance decision. Every append looks its series up in
// a head far larger than the CPU caches, so each cache line it touches is a
// miss, and each pointer it follows is one more miss it must wait for before
// it can even ask for the next. So the packed labels live in the series' own
// allocation, right after the fields Resolve reads: finding a series and
// comparing its labels is one contiguous run of memory whose extent is known
// before the first byte arrives (the incoming labels have the size of the
// stored ones when they match). What Apply changes (the open chunk) comes
// first, so that it loads its own lines and not Resolve's; what only
// sealing, flushing and queries read sits in between.
struct MemSeries : std::enable_shared_from_this<MemSeries> {
  // The only way to make one: the labels are allocated with the series.
  static std::shared_ptr<MemSeries> Create(uint64_t id, uint64_t ref, TenantId tenant, uint64_t hash,
                                           std::string_view packed_labels);

  MemSeries(const MemSeries&) = delete;
  MemSeries& operator=(const MemSeries&) = delete;

  // The labels as one contiguous (uvarint length, bytes) name/value
  // sequence (write_batch.h PackLabels), as every append compares them.
  std::string_view packed_labels() const {
    return std::string_view(reinterpret_cast<const char*>(this + 1), packed_labels_size);
  }
  // The labels, unpacked: a copy, since the head keeps only the packed form.
  Labels labels() const { return UnpackLabels(packed_labels()); }

  // ---- Changed by Apply. Guarded by the owning stripe's mutex.
  XorAppender open_chunk;
  // Timestamp of the newest in-order sample: the series' max time, since
  // out-of-order samples are older by definition.
  int64_t last_t = std::numeric_limits<int64_t>::min();
  // Where the open chunk's window ends (Head::WindowEnd of its first
  // sample); meaningful while it has samples.
  int64_t open_chunk_window_end = std::numeric_limits<int64_t>::max();
  bool has_samples = false;

  // ---- Read when sealing, flushing and querying.
  // Head-local number, increasing in the order series enter the head, so
  // that the in-memory postings stay sorted by plain appends even when a
  // series with an old id comes back.
  const uint64_t ref;
  // The newest day whose per-day postings were queued for this series.
  // Guarded by the owning stripe's mutex, as is everything below that is
  // not const.
  int64_t indexed_through_day = std::numeric_limits<int64_t>::min();
  // Accepted out-of-order samples not yet sealed into a chunk: sorted by
  // timestamp, unique, all < last_t. Usually empty (no heap memory).
  std::vector<Sample> ooo;

  // ---- Read by Resolve (the id also by the WAL record it feeds), followed
  // in memory by the packed labels.
  const uint64_t hash;  // LocalSeriesHash(tenant, packed labels): picks the stripe
  const TenantId tenant;
  const uint64_t id;
  MemSeries* next_same_hash = nullptr;  // chain of series whose hash collides
  const uint32_t packed_labels_size;
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
  // (The packed labels follow.)

 private:
  MemSeries(uint64_t id_in, uint64_t ref_in, TenantId tenant_in, uint64_t hash_in, uint32_t labels_size)
      : ref(ref_in), hash(hash_in), tenant(tenant_in), id(id_in), packed_labels_size(labels_size) {}
  ~MemSeries() = default;
  static void Destroy(MemSeries* s);
};

namespace series_internal {

// Starts loading the cache lines of [begin, end), for reading (kWrite
// false) or writing.
template <bool kWrite = false>
inline void PrefetchRange(const void* begin, const void* end) {
  const uintptr_t first = reinterpret_cast<uintptr_t>(begin) & ~uintptr_t{63};
  const uintptr_t last = reinterpret_cast<uintptr_t>(end) - 1;
  for (uintptr_t p = first; p <= last; p += 64) __builtin_prefetch(reinterpret_cast<const void*>(p), kWrite ? 1 : 0);
}

}  // namespace series_internal

// Starts loading what Resolve reads of `s` (identity, flags and labels)
// when the labels it looks for are `label_size` bytes long.
inline void PrefetchSeriesIdentity(const MemSeries& s, size_t label_size) {
  const char* labels = reinterpret_cast<const char*>(&s + 1);
  series_internal::PrefetchRange(&s.hash, labels + label_size);
}

// Starts loading what an append changes: the open chunk state and the flags.
inline void PrefetchSeriesAppendState(const MemSeries& s) {
  series_internal::PrefetchRange</*kWrite=*/true>(&s.open_chunk, &s.has_samples + 1);
  __builtin_prefetch(&s.active, 1);
}

// Starts loading the end of the open chunk, where an append writes.
// REQUIRES: the owning stripe's mutex held.
inline void PrefetchOpenChunkEnd(const MemSeries& s) {
  std::string_view chunk = s.open_chunk.bytes();  // never empty: at least the count header
  __builtin_prefetch(chunk.data() + chunk.size() - 1, /*rw=*/1);
}

}  // namespace strata::storage
