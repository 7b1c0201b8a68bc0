// File: storage/index/rocks_internal.h
//
// Shared by the .cc files of the RocksStore (rocks_store.cc: open, batches,
// writes, maintenance; rocks_series_read.cc: series and postings reads;
// rocks_chunk_read.cc: chunk reads; rocks_keys.cc: key encoders;
// rocks_partitions.cc: series_max_time, day partitions, retention drops;
// rocks_delete.cc: delete_series and its compaction filter). Includes
// RocksDB headers: never include it outside storage/index/*.cc.
#pragma once

#include <rocksdb/cache.h>
#include <rocksdb/compaction_filter.h>
#include <rocksdb/db.h>
#include <rocksdb/merge_operator.h>
#include <rocksdb/write_batch.h>

#include <array>
#include <atomic>
#include <cstdint>
#include <cstring>
#include <memory>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <fmt/format.h>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "common/base/status.h"
#include "storage/index/rocks_status.h"
#include "storage/index/rocks_store.h"

namespace strata::storage {

// Column family names; docs/format/index.md describes each key layout.
constexpr const char* kCfSeries = "series";
constexpr const char* kCfSeriesLabels = "series_labels";
constexpr const char* kCfPostings = "postings";
constexpr const char* kCfChunks15s = "chunks_15s";
constexpr const char* kCfMeta = "meta";
// delete_series and retention (docs/format/index.md).
constexpr const char* kCfSeriesMaxTime = "series_max_time";
constexpr const char* kCfDeletedSeries = "deleted_series";
// Exemplars and metric metadata (rocks_exemplars.cc).
constexpr const char* kCfExemplars = "exemplars";
constexpr const char* kCfMetricMetadata = "metric_metadata";
// Timestamp sections shared by the kSplit chunks of one scrape (rocks_store.cc).
constexpr const char* kCfTimestamps = "timestamps";

constexpr std::string_view kMetaNextSeriesId = "next_series_id";
constexpr std::string_view kMetaWalCheckpoint = "wal_checkpoint";
constexpr std::string_view kMetaChunkSeq = "chunk_seq";
constexpr std::string_view kMetaMaxChunkSpan = "max_chunk_span_ms";

enum Cf : size_t {
  kSeries = 0,
  kSeriesLabels,
  kPostings,
  kChunks15s,
  kMeta,
  kSeriesMaxTime,
  kDeletedSeries,
  kExemplars,
  kMetricMetadata,
  kTimestamps,
  kNumCfs
};

// Key and value encoders (docs/format/index.md has the diagrams).
void PutBE32(std::string* out, uint32_t v);
void PutBE64(std::string* out, uint64_t v);
uint64_t LoadBE64(const char* p);
uint32_t LoadBE32(const char* p);
// Flipping the sign bit makes the unsigned big-endian order of the bytes the
// numeric order of signed timestamps (negative ones first).
uint64_t FlipTime(int64_t t);
int64_t UnflipTime(uint64_t v);
void PutTenant(std::string* out, TenantId t);
TenantId LoadTenant(const char* p);
std::string SeriesKey(TenantId tenant, const Labels& labels);
// Postings keys: scope u32 BE · tenant · name · 00 · value · 00 · id u64 BE.
// The "all series" entry of a scope has name "" and value "".
std::string PostingScopePrefix(uint32_t scope, TenantId tenant);
std::string PostingPrefix(uint32_t scope, TenantId tenant, std::string_view name, std::string_view value);
std::string NameValuesPrefix(uint32_t scope, TenantId tenant, std::string_view name);
// chunks_15s key (24 bytes): partition u32 BE · id u64 BE · flipped
// min_time u64 BE · seq u32 BE, partition = PartitionOf(min_time).
constexpr size_t kChunkKeySize = 24;
std::string ChunkKey(uint64_t series_id, int64_t min_time, uint32_t seq);
// timestamps key (20 bytes): partition u32 BE · flipped min_time u64 BE ·
// XXH3-64 of the section u64 BE. The time in the key makes a collision need
// two different sections of the same first timestamp with the same hash.
constexpr size_t kTimestampsKeySize = 20;
// A fixed-size array: reads build one per chunk, and 20 bytes would be a
// heap allocation as a std::string.
std::array<char, kTimestampsKeySize> TimestampsKey(int64_t min_time, uint64_t hash);
// A kSplit chunk whose timestamp section is stored apart starts with a 0
// (the section size of a whole chunk is never 0), then the hash u64 BE.
constexpr size_t kTimestampsRefSize = 9;
std::string EncodeBE64(uint64_t v);
// series_labels value: tenant (8 bytes) then length-prefixed name, value
// pairs (length-prefixed rather than NUL-separated so any byte round-trips).
std::string EncodeSeriesLabelsValue(TenantId tenant, const Labels& labels);
absl::StatusOr<SeriesRecord> DecodeSeriesLabels(uint64_t id, std::string_view value);

inline rocksdb::Slice ToSlice(std::string_view s) { return rocksdb::Slice(s.data(), s.size()); }
inline std::string_view ToView(const rocksdb::Slice& s) { return std::string_view(s.data(), s.size()); }

inline bool StartsWith(const rocksdb::Slice& s, std::string_view prefix) {
  return s.size() >= prefix.size() && std::memcmp(s.data(), prefix.data(), prefix.size()) == 0;
}

// Ids removed by delete_series (rocks_delete.cc). Read on every query and by
// the compaction filters on RocksDB's background threads, written rarely: an
// immutable set swapped atomically (copy on write).
// Thread-safe; Add calls are serialized by the caller (the store's write_mu).
class DeletedIds {
 public:
  bool Contains(uint64_t id) const {
    if (count_.load(std::memory_order_acquire) == 0) return false;
    return set_.load(std::memory_order_acquire)->contains(id);
  }
  size_t size() const { return count_.load(std::memory_order_acquire); }
  void Add(const std::vector<uint64_t>& ids);

 private:
  std::atomic<size_t> count_{0};
  std::atomic<std::shared_ptr<const absl::flat_hash_set<uint64_t>>> set_{
      std::make_shared<const absl::flat_hash_set<uint64_t>>()};
};

// Options of the column families whose keys carry a series id: a compaction
// filter dropping deleted ids' keys (nullptr for the others), and the "max"
// merge operator of series_max_time. rocks_delete.cc, rocks_partitions.cc.
std::shared_ptr<rocksdb::CompactionFilterFactory> NewDeletedSeriesFilterFactory(
    Cf which, std::shared_ptr<const DeletedIds> deleted);
std::shared_ptr<rocksdb::MergeOperator> NewMaxTimeMergeOperator();

struct RocksStore::Impl {
  RocksStoreOptions options;
  std::unique_ptr<rocksdb::DB> db;
  std::shared_ptr<rocksdb::Cache> block_cache;  // shared by every column family
  std::vector<rocksdb::ColumnFamilyHandle*> handles;  // all opened, owned
  rocksdb::ColumnFamilyHandle* cf[kNumCfs] = {};

  absl::Mutex write_mu;
  mutable std::atomic<uint32_t> chunk_seq{0};  // next chunk key suffix
  std::atomic<int64_t> max_chunk_span{0};
  std::atomic<uint64_t> next_series_id{0};
  std::atomic<uint64_t> wal_checkpoint{0};
  // Day partitions holding chunks, learned at Open (one seek per
  // partition), grown by Write before the chunks become visible (a superset
  // only costs a seek), shrunk by DropPartitionsBefore.
  mutable absl::Mutex partitions_mu;
  std::set<uint32_t> chunk_partitions ABSL_GUARDED_BY(partitions_mu);
  std::shared_ptr<DeletedIds> deleted = std::make_shared<DeletedIds>();
  // Called by Open: the day partitions of chunks_15s, one seek per
  // partition (rocks_partitions.cc), and the deleted ids (rocks_delete.cc).
  absl::Status LoadChunkPartitions();
  absl::Status LoadDeletedSeries();
  // Meta values already persisted, to skip rewriting unchanged ones.
  uint32_t persisted_chunk_seq ABSL_GUARDED_BY(write_mu) = 0;
  // Exemplars stored per (tenant, series hash), learned lazily from the
  // column family: PutExemplars trims a series to its cap with one seek
  // instead of counting its keys on every write (rocks_exemplars.cc).
  absl::Mutex exemplar_mu;
  absl::flat_hash_map<std::string, uint32_t> exemplar_counts ABSL_GUARDED_BY(exemplar_mu);
  int64_t persisted_max_span ABSL_GUARDED_BY(write_mu) = 0;

  ~Impl() {
    if (db == nullptr) return;
    for (rocksdb::ColumnFamilyHandle* h : handles) {
      rocksdb::Status st = db->DestroyColumnFamilyHandle(h);
      st.PermitUncheckedError();
    }
    rocksdb::Status st = db->Close();
    st.PermitUncheckedError();
  }

  absl::StatusOr<uint64_t> GetMeta(std::string_view key) const {
    std::string value;
    rocksdb::Status st = db->Get(rocksdb::ReadOptions(), cf[kMeta], ToSlice(key), &value);
    if (st.IsNotFound()) return uint64_t{0};
    STRATA_RETURN_IF_ERROR(FromRocks(st, fmt::format("cannot read meta \"{}\" in \"{}\"", key, options.path)));
    if (value.size() != 8) {
      return absl::DataLossError(
          fmt::format("cannot read meta \"{}\" in \"{}\": value of {} bytes", key, options.path, value.size()));
    }
    return LoadBE64(value.data());
  }

  std::unique_ptr<rocksdb::Iterator> NewIterator(Cf which, const rocksdb::Slice* upper = nullptr,
                                                 const rocksdb::Snapshot* snapshot = nullptr) const {
    rocksdb::ReadOptions ro;
    ro.iterate_upper_bound = upper;
    ro.snapshot = snapshot;
    return std::unique_ptr<rocksdb::Iterator>(db->NewIterator(ro, cf[which]));
  }

  // Makes the chunks (*chunks)[apart[i]] of series `series_id`, kSplit
  // chunks read with their timestamp section stored apart, whole again
  // (rocks_chunk_read.cc), reading the sections at `snapshot`, the one the
  // chunks were read at. DataLoss when a section is missing or does not
  // have the hash the chunk names.
  absl::Status JoinStoredTimestamps(uint64_t series_id, std::span<const size_t> apart,
                                    const rocksdb::Snapshot* snapshot, std::vector<ChunkData>* chunks) const;
  absl::Status IterStatus(const rocksdb::Iterator& it, std::string_view what) const {
    return FromRocks(it.status(), fmt::format("cannot {} in \"{}\"", what, options.path));
  }
};

struct RocksStore::Batch::Rep {
  const RocksStore::Impl* store = nullptr;
  rocksdb::WriteBatch wb;
  // series_max_time gets one "max" merge operand per run of chunks of the
  // same series (a flush writes a series' chunks together), and Write adds
  // the day partitions of the batch's chunks to the store's set.
  uint64_t max_time_id = 0;
  int64_t max_time = 0;
  bool has_max_time = false;
  std::vector<uint32_t> partitions;
  void NoteChunk(uint64_t series_id, int64_t min_time_ms, int64_t max_time_ms);  // rocks_partitions.cc
  void FlushMaxTime();
  size_t series = 0;
  size_t chunks = 0;
  int64_t max_span = 0;
  uint64_t next_series_id = 0;
  bool has_checkpoint = false;
  uint64_t checkpoint = 0;
  // Timestamp sections written by this batch, (min_time, hash): every batch
  // holds the sections its chunks refer to, so any prefix of a flush's
  // batches that survives a crash is readable.
  absl::flat_hash_set<std::pair<int64_t, uint64_t>> timestamps_written;
};

}  // namespace strata::storage
