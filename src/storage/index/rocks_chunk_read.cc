// RocksStore reads of sealed chunks and of series_max_time.
#include <fmt/format.h>
#include <rocksdb/snapshot.h>
#include <xxhash.h>

#include <algorithm>
#include <limits>

#include "common/base/status.h"
#include "common/chunkenc/chunk_codec.h"
#include "common/encoding/varint.h"
#include "storage/index/rocks_internal.h"
#include "storage/index/time_partition.h"

namespace strata::storage {

absl::Status RocksStore::ReadChunks(uint64_t series_id, int64_t mint, int64_t maxt,
                                    std::vector<ChunkData>* out) const {
  if (mint > maxt || IsDeleted(series_id)) return absl::OkStatus();
  const int64_t span = impl_->max_chunk_span.load(std::memory_order_relaxed);
  // A chunk overlapping [mint, maxt] starts at or after mint - span.
  const int64_t from = mint < std::numeric_limits<int64_t>::min() + span ? std::numeric_limits<int64_t>::min()
                                                                          : mint - span;
  // Chunks are keyed by the day of their min_time: one seek per existing
  // partition of [from, maxt]; days without chunks cost nothing.
  std::vector<uint32_t> partitions;
  {
    absl::ReaderMutexLock l(&impl_->partitions_mu);
    const auto& all = impl_->chunk_partitions;
    for (auto p = all.lower_bound(PartitionOf(from)); p != all.end() && *p <= PartitionOf(maxt); ++p) {
      partitions.push_back(*p);
    }
  }
  if (partitions.empty()) return absl::OkStatus();
  // One view for the chunks and the timestamp sections they refer to: a
  // retention drop between the two reads must not look like lost data.
  rocksdb::ManagedSnapshot snapshot(impl_->db.get());
  std::unique_ptr<rocksdb::Iterator> it = impl_->NewIterator(kChunks15s, nullptr, snapshot.snapshot());
  std::string start;
  std::vector<size_t> apart;  // indexes into `out` of chunks with their timestamps stored apart
  for (const uint32_t partition : partitions) {
    start.clear();
    PutBE32(&start, partition);
    PutBE64(&start, series_id);
    PutBE64(&start, FlipTime(from));
    for (it->Seek(ToSlice(start)); it->Valid(); it->Next()) {
      const rocksdb::Slice key = it->key();
      // Past this series in this partition, or past maxt: next partition.
      if (key.size() != kChunkKeySize || LoadBE32(key.data()) != partition || LoadBE64(key.data() + 4) != series_id) {
        break;
      }
      ChunkData c;
      c.min_time_ms = UnflipTime(LoadBE64(key.data() + 12));
      if (c.min_time_ms > maxt) break;
      ByteReader r(ToView(it->value()));
      uint64_t chunk_span = 0;
      std::string_view enc;
      if (!r.GetVarint(&chunk_span) || !r.GetBytes(1, &enc)) {
        return absl::DataLossError(fmt::format("cannot read chunk of series {} at {} in \"{}\": truncated header",
                                               series_id, c.min_time_ms, impl_->options.path));
      }
      c.max_time_ms = c.min_time_ms + static_cast<int64_t>(chunk_span);
      if (c.max_time_ms < mint) continue;
      c.encoding = static_cast<ChunkEncoding>(enc[0]);
      c.data.assign(r.position(), r.remaining());
      if (c.encoding == ChunkEncoding::kSplit && !c.data.empty() && c.data[0] == '\0') {
        apart.push_back(out->size());
      }
      out->push_back(std::move(c));
    }
    STRATA_RETURN_IF_ERROR(impl_->IterStatus(*it, "read chunks"));
  }
  return impl_->JoinStoredTimestamps(series_id, apart, snapshot.snapshot(), out);
}

namespace {

// Timestamp sections are cached in the block cache beside RocksDB's blocks
// (one memory budget): a query over a host's series reads the same
// sections for every one of them, and the cache answers in a fraction of a
// RocksDB lookup. The cache key is 'T' then the column family's 20-byte
// key; RocksDB's own block keys are 16 bytes, so the two never meet.
struct SectionKey {
  std::array<char, 1 + kTimestampsKeySize> bytes;
  rocksdb::Slice cache_key() const { return rocksdb::Slice(bytes.data(), bytes.size()); }
  rocksdb::Slice store_key() const { return rocksdb::Slice(bytes.data() + 1, kTimestampsKeySize); }
};

SectionKey SectionKeyOf(int64_t min_time, uint64_t hash) {
  SectionKey k;
  k.bytes[0] = 'T';
  const auto key = TimestampsKey(min_time, hash);
  std::copy(key.begin(), key.end(), k.bytes.begin() + 1);
  return k;
}

void DeleteCachedSection(const rocksdb::Slice& /*key*/, void* value) { delete static_cast<std::string*>(value); }

}  // namespace

absl::Status RocksStore::Impl::JoinStoredTimestamps(uint64_t series_id, std::span<const size_t> apart,
                                                   const rocksdb::Snapshot* snapshot,
                                                   std::vector<ChunkData>* chunks) const {
  if (apart.empty()) return absl::OkStatus();
  auto error = [&](const ChunkData& c, std::string_view what) {
    return absl::DataLossError(fmt::format("cannot read chunk of series {} at {} in \"{}\": {}", series_id,
                                           c.min_time_ms, options.path, what));
  };
  auto join = [](ChunkData& c, std::string_view section) {
    c.data = JoinChunkTimestamps(section, std::string_view(c.data).substr(kTimestampsRefSize));
  };
  struct Missed {  // a chunk whose section is not in the cache
    ChunkData* chunk;
    uint64_t hash;
    SectionKey key;
  };
  std::vector<Missed> missed;
  for (const size_t i : apart) {
    ChunkData& c = (*chunks)[i];
    if (c.data.size() < kTimestampsRefSize) return error(c, "truncated timestamps reference");
    const uint64_t hash = LoadBE64(c.data.data() + 1);
    const SectionKey key = SectionKeyOf(c.min_time_ms, hash);
    if (rocksdb::Cache::Handle* h = block_cache->Lookup(key.cache_key()); h != nullptr) {
      join(c, *static_cast<const std::string*>(block_cache->Value(h)));
      block_cache->Release(h);
      continue;
    }
    missed.push_back(Missed{&c, hash, key});
  }
  if (missed.empty()) return absl::OkStatus();
  std::vector<rocksdb::Slice> slices(missed.size());
  for (size_t j = 0; j < missed.size(); ++j) slices[j] = missed[j].key.store_key();
  std::vector<rocksdb::PinnableSlice> sections(missed.size());
  std::vector<rocksdb::Status> statuses(missed.size());
  // One batched lookup. The keys are in order (partition, then min_time)
  // unless two chunks of the series start at the same time.
  rocksdb::ReadOptions ro;
  ro.snapshot = snapshot;
  const bool sorted = std::is_sorted(slices.begin(), slices.end(),
                                     [](const rocksdb::Slice& a, const rocksdb::Slice& b) { return a.compare(b) < 0; });
  db->MultiGet(ro, cf[kTimestamps], missed.size(), slices.data(), sections.data(), statuses.data(), sorted);
  for (size_t j = 0; j < missed.size(); ++j) {
    ChunkData& c = *missed[j].chunk;
    const uint64_t hash = missed[j].hash;
    if (statuses[j].IsNotFound()) return error(c, fmt::format("its timestamps ({:016x}) are missing", hash));
    STRATA_RETURN_IF_ERROR(FromRocks(statuses[j], fmt::format("cannot read timestamps of series {} at {} in \"{}\"",
                                                              series_id, c.min_time_ms, options.path)));
    // The key holds only a hash: a section that does not hash to it (a
    // collision overwrote it, or corruption) must not lend its timestamps.
    if (XXH3_64bits(sections[j].data(), sections[j].size()) != hash) {
      return error(c, fmt::format("its timestamps ({:016x}) do not match their hash", hash));
    }
    auto* cached = new std::string(ToView(sections[j]));
    // ~64 bytes of the cache's own per-entry bookkeeping.
    const size_t charge = cached->size() + missed[j].key.bytes.size() + 64;
    join(c, *cached);
    // On failure (a full cache with strict capacity) Insert deletes `cached`.
    block_cache->Insert(missed[j].key.cache_key(), cached, charge, &DeleteCachedSection).PermitUncheckedError();
  }
  return absl::OkStatus();
}

absl::StatusOr<int64_t> RocksStore::MaxTime(uint64_t series_id) const {
  if (IsDeleted(series_id)) return std::numeric_limits<int64_t>::min();
  std::string value;
  rocksdb::Status st =
      impl_->db->Get(rocksdb::ReadOptions(), impl_->cf[kSeriesMaxTime], ToSlice(EncodeBE64(series_id)), &value);
  if (st.IsNotFound()) return std::numeric_limits<int64_t>::min();
  STRATA_RETURN_IF_ERROR(
      FromRocks(st, fmt::format("cannot read max time of series {} in \"{}\"", series_id, impl_->options.path)));
  if (value.size() != 8) {
    return absl::DataLossError(fmt::format("cannot read max time of series {} in \"{}\": value of {} bytes",
                                           series_id, impl_->options.path, value.size()));
  }
  return UnflipTime(LoadBE64(value.data()));
}

}  // namespace strata::storage
