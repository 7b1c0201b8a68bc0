// File: storage/index/rocks_internal.h
//
// Shared by the .cc files of the RocksStore (rocks_store.cc: open, batches,
// writes, maintenance; rocks_series_read.cc: series and postings reads;
// rocks_chunk_read.cc: chunk reads; rocks_keys.cc: key encoders). Includes
// RocksDB headers: never include it outside storage/index/*.cc.
#pragma once

#include <rocksdb/db.h>
#include <rocksdb/write_batch.h>

#include <atomic>
#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <fmt/format.h>

#include "absl/base/thread_annotations.h"
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

constexpr std::string_view kMetaNextSeriesId = "next_series_id";
constexpr std::string_view kMetaWalCheckpoint = "wal_checkpoint";
constexpr std::string_view kMetaChunkSeq = "chunk_seq";
constexpr std::string_view kMetaMaxChunkSpan = "max_chunk_span_ms";

enum Cf : size_t { kSeries = 0, kSeriesLabels, kPostings, kChunks15s, kMeta, kNumCfs };

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
std::string PostingPrefix(TenantId tenant, std::string_view name, std::string_view value);
std::string NameValuesPrefix(TenantId tenant, std::string_view name);
std::string ChunkKey(uint64_t series_id, int64_t min_time, uint32_t seq);
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

struct RocksStore::Impl {
  RocksStoreOptions options;
  std::unique_ptr<rocksdb::DB> db;
  std::vector<rocksdb::ColumnFamilyHandle*> handles;  // all opened, owned
  rocksdb::ColumnFamilyHandle* cf[kNumCfs] = {};

  absl::Mutex write_mu;
  mutable std::atomic<uint32_t> chunk_seq{0};  // next chunk key suffix
  std::atomic<int64_t> max_chunk_span{0};
  std::atomic<uint64_t> next_series_id{0};
  std::atomic<uint64_t> wal_checkpoint{0};
  // Meta values already persisted, to skip rewriting unchanged ones.
  uint32_t persisted_chunk_seq ABSL_GUARDED_BY(write_mu) = 0;
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

  std::unique_ptr<rocksdb::Iterator> NewIterator(Cf which, const rocksdb::Slice* upper = nullptr) const {
    rocksdb::ReadOptions ro;
    ro.iterate_upper_bound = upper;
    return std::unique_ptr<rocksdb::Iterator>(db->NewIterator(ro, cf[which]));
  }

  absl::Status IterStatus(const rocksdb::Iterator& it, std::string_view what) const {
    return FromRocks(it.status(), fmt::format("cannot {} in \"{}\"", what, options.path));
  }
};

struct RocksStore::Batch::Rep {
  const RocksStore::Impl* store = nullptr;
  rocksdb::WriteBatch wb;
  size_t series = 0;
  size_t chunks = 0;
  int64_t max_span = 0;
  uint64_t next_series_id = 0;
  bool has_checkpoint = false;
  uint64_t checkpoint = 0;
};

}  // namespace strata::storage
