#include "storage/index/rocks_store.h"

#include <fmt/format.h>
#include <rocksdb/cache.h>
#include <rocksdb/db.h>
#include <rocksdb/filter_policy.h>
#include <rocksdb/options.h>
#include <rocksdb/table.h>
#include <rocksdb/write_batch.h>
#include <xxhash.h>

#include <algorithm>
#include <filesystem>

#include "common/base/check.h"
#include "common/base/status.h"
#include "common/chunkenc/chunk_codec.h"
#include "common/encoding/varint.h"
#include "storage/index/rocks_internal.h"
#include "storage/index/time_partition.h"

namespace strata::storage {

namespace {

// One key per label plus the scope's "all series" entry (name "", value "").
void PutPostings(rocksdb::WriteBatch* wb, rocksdb::ColumnFamilyHandle* cf, uint32_t scope,
                 const std::string& id_bytes, TenantId tenant, const Labels& labels) {
  std::string key = PostingPrefix(scope, tenant, "", "");
  key.append(id_bytes);
  rocksdb::Status st = wb->Put(cf, key, rocksdb::Slice());
  st.PermitUncheckedError();  // WriteBatch::Put fails only above 4 GiB
  for (const Label& l : labels) {
    key = PostingPrefix(scope, tenant, l.name, l.value);
    key.append(id_bytes);
    st = wb->Put(cf, key, rocksdb::Slice());
    st.PermitUncheckedError();
  }
}

}  // namespace

RocksStore::Batch::Batch() : rep_(std::make_unique<Rep>()) {}
RocksStore::Batch::~Batch() = default;
RocksStore::Batch::Batch(Batch&&) noexcept = default;
RocksStore::Batch& RocksStore::Batch::operator=(Batch&&) noexcept = default;

void RocksStore::Batch::PutSeries(uint64_t id, TenantId tenant, const Labels& labels) {
  auto* const* cf = rep_->store->cf;
  const std::string id_bytes = EncodeBE64(id);
  rocksdb::Status st = rep_->wb.Put(cf[kSeries], SeriesKey(tenant, labels), id_bytes);
  st.PermitUncheckedError();  // WriteBatch::Put fails only above 4 GiB
  st = rep_->wb.Put(cf[kSeriesLabels], id_bytes, EncodeSeriesLabelsValue(tenant, labels));
  st.PermitUncheckedError();
  PutPostings(&rep_->wb, cf[kPostings], kGlobalScope, id_bytes, tenant, labels);
  ++rep_->series;
}

void RocksStore::Batch::PutDayPostings(uint32_t partition, uint64_t id, TenantId tenant, const Labels& labels) {
  PutPostings(&rep_->wb, rep_->store->cf[kPostings], partition, EncodeBE64(id), tenant, labels);
}

void RocksStore::Batch::PutChunk(uint64_t series_id, const ChunkData& chunk) {
  PutChunk(series_id, chunk.min_time_ms, chunk.max_time_ms, chunk.encoding, chunk.data);
}

void RocksStore::Batch::PutChunk(uint64_t series_id, int64_t min_time_ms, int64_t max_time_ms,
                                 ChunkEncoding encoding, std::string_view data, bool share_timestamps) {
  const uint32_t seq = rep_->store->chunk_seq.fetch_add(1, std::memory_order_relaxed);
  std::string value;
  value.reserve(data.size() + 12);
  const int64_t span = max_time_ms - min_time_ms;
  PutVarint(&value, static_cast<uint64_t>(span));
  value.push_back(static_cast<char>(encoding));
  std::string_view timestamps, values;
  if (share_timestamps && encoding == ChunkEncoding::kSplit && SplitChunkTimestamps(data, &timestamps, &values) &&
      timestamps.size() > kTimestampsRefSize) {
    const uint64_t hash = XXH3_64bits(timestamps.data(), timestamps.size());
    if (rep_->timestamps_written.emplace(min_time_ms, hash).second) {
      const auto key = TimestampsKey(min_time_ms, hash);
      rocksdb::Status st = rep_->wb.Put(rep_->store->cf[kTimestamps], rocksdb::Slice(key.data(), key.size()),
                                        ToSlice(timestamps));
      st.PermitUncheckedError();
    }
    value.push_back('\0');
    PutBE64(&value, hash);
    value.append(values);
  } else {
    value.append(data);
  }
  rocksdb::Status st = rep_->wb.Put(rep_->store->cf[kChunks15s], ChunkKey(series_id, min_time_ms, seq), value);
  st.PermitUncheckedError();
  rep_->max_span = std::max(rep_->max_span, span);
  rep_->NoteChunk(series_id, min_time_ms, max_time_ms);
  ++rep_->chunks;
}

void RocksStore::Batch::SetNextSeriesId(uint64_t next_id) {
  rep_->next_series_id = std::max(rep_->next_series_id, next_id);
}

void RocksStore::Batch::SetWalCheckpoint(uint64_t first_needed_segment) {
  rep_->has_checkpoint = true;
  rep_->checkpoint = first_needed_segment;
}

size_t RocksStore::Batch::num_series() const { return rep_->series; }
size_t RocksStore::Batch::num_chunks() const { return rep_->chunks; }
size_t RocksStore::Batch::approximate_bytes() const { return rep_->wb.GetDataSize(); }
bool RocksStore::Batch::empty() const {
  return rep_->series == 0 && rep_->chunks == 0 && rep_->next_series_id == 0 && !rep_->has_checkpoint;
}

RocksStore::RocksStore(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
RocksStore::~RocksStore() = default;

absl::StatusOr<std::unique_ptr<RocksStore>> RocksStore::Open(const RocksStoreOptions& options) {
  if (options.path.empty()) return absl::InvalidArgumentError("cannot open index database: path is empty");
  std::error_code ec;
  std::filesystem::create_directories(options.path, ec);
  if (ec) {
    return absl::UnavailableError(fmt::format("cannot create index directory \"{}\": {}", options.path, ec.message()));
  }

  auto impl = std::make_unique<Impl>();
  impl->block_cache = rocksdb::NewLRUCache(options.block_cache_bytes);
  const std::shared_ptr<rocksdb::Cache>& cache = impl->block_cache;
  auto make_cf_options = [&](bool bloom) {
    rocksdb::BlockBasedTableOptions table;
    table.block_cache = cache;
    table.cache_index_and_filter_blocks = true;  // counted in the cache budget
    table.pin_l0_filter_and_index_blocks_in_cache = true;
    table.format_version = 5;
    if (bloom) table.filter_policy.reset(rocksdb::NewBloomFilterPolicy(10));
    rocksdb::ColumnFamilyOptions cfo;
    cfo.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table));
    // Cheap compression while data is young and rewritten often; zstd where
    // it settles (with dynamic level sizes, ~90% of the data is there).
    cfo.compression = rocksdb::kLZ4Compression;
    cfo.bottommost_compression = rocksdb::kZSTD;
    cfo.level_compaction_dynamic_level_bytes = true;
    cfo.write_buffer_size = std::max<uint64_t>(options.write_buffer_bytes / 4, 1ull << 20);
    return cfo;
  };

  rocksdb::DBOptions dbo;
  dbo.create_if_missing = true;
  dbo.create_missing_column_families = true;
  dbo.db_write_buffer_size = options.write_buffer_bytes;
  dbo.max_background_jobs = 2;
  dbo.keep_log_file_num = 3;
  dbo.max_log_file_size = 8ull << 20;

  const char* names[kNumCfs] = {kCfSeries,        kCfSeriesLabels,  kCfPostings,  kCfChunks15s,      kCfMeta,
                                kCfSeriesMaxTime, kCfDeletedSeries, kCfExemplars, kCfMetricMetadata, kCfTimestamps};
  std::vector<rocksdb::ColumnFamilyDescriptor> descriptors;
  descriptors.emplace_back(rocksdb::kDefaultColumnFamilyName, make_cf_options(false));
  for (size_t i = 0; i < kNumCfs; ++i) {
    // Bloom filters where point lookups often miss: new series' labels,
    // MaxTime of series that never had chunks, and the levels above the one
    // holding a timestamp section.
    rocksdb::ColumnFamilyOptions cfo = make_cf_options(i == kSeries || i == kSeriesMaxTime || i == kTimestamps);
    cfo.compaction_filter_factory = NewDeletedSeriesFilterFactory(static_cast<Cf>(i), impl->deleted);
    if (i == kSeriesMaxTime) cfo.merge_operator = NewMaxTimeMergeOperator();
    descriptors.emplace_back(names[i], cfo);
  }
  // Column families added by a later version (chunks_1h, ...) must be opened
  // too, or RocksDB refuses to open the database.
  std::vector<std::string> existing;
  if (rocksdb::DB::ListColumnFamilies(dbo, options.path, &existing).ok()) {
    for (const std::string& name : existing) {
      bool known = false;
      for (const auto& d : descriptors) known = known || d.name == name;
      if (!known) descriptors.emplace_back(name, make_cf_options(false));
    }
  }

  impl->options = options;
  rocksdb::DB* raw = nullptr;
  rocksdb::Status st = rocksdb::DB::Open(dbo, options.path, descriptors, &impl->handles, &raw);
  STRATA_RETURN_IF_ERROR(FromRocks(st, fmt::format("cannot open index database \"{}\"", options.path)));
  impl->db.reset(raw);
  for (size_t i = 0; i < kNumCfs; ++i) impl->cf[i] = impl->handles[i + 1];

  STRATA_ASSIGN_OR_RETURN(uint64_t next_id, impl->GetMeta(kMetaNextSeriesId));
  STRATA_ASSIGN_OR_RETURN(uint64_t checkpoint, impl->GetMeta(kMetaWalCheckpoint));
  STRATA_ASSIGN_OR_RETURN(uint64_t seq, impl->GetMeta(kMetaChunkSeq));
  STRATA_ASSIGN_OR_RETURN(uint64_t span, impl->GetMeta(kMetaMaxChunkSpan));
  impl->next_series_id.store(next_id);
  impl->wal_checkpoint.store(checkpoint);
  impl->chunk_seq.store(static_cast<uint32_t>(seq));
  impl->max_chunk_span.store(static_cast<int64_t>(span));
  {
    absl::MutexLock l(&impl->write_mu);
    impl->persisted_chunk_seq = static_cast<uint32_t>(seq);
    impl->persisted_max_span = static_cast<int64_t>(span);
  }
  STRATA_RETURN_IF_ERROR(impl->LoadChunkPartitions());
  STRATA_RETURN_IF_ERROR(impl->LoadDeletedSeries());
  return std::unique_ptr<RocksStore>(new RocksStore(std::move(impl)));
}

RocksStore::Batch RocksStore::NewBatch() const {
  Batch b;
  b.rep_->store = impl_.get();
  return b;
}

absl::Status RocksStore::Write(Batch batch, bool sync) {
  Impl& s = *impl_;
  Batch::Rep& rep = *batch.rep_;
  STRATA_CHECK(rep.store == impl_.get()) << "batch of another store";
  absl::MutexLock l(&s.write_mu);
  rocksdb::WriteBatch& wb = rep.wb;
  auto put_meta = [&](std::string_view key, uint64_t v) {
    rocksdb::Status st = wb.Put(s.cf[kMeta], ToSlice(key), EncodeBE64(v));
    st.PermitUncheckedError();
  };
  // The chunk key counter and the longest span go into the same batch as the
  // chunks, so after a crash no key suffix is reused and no chunk is missed
  // by ReadChunks' seek.
  const uint32_t seq = s.chunk_seq.load(std::memory_order_relaxed);
  if (rep.chunks > 0 && seq != s.persisted_chunk_seq) put_meta(kMetaChunkSeq, seq);
  const int64_t span = std::max(s.persisted_max_span, rep.max_span);
  if (span != s.persisted_max_span) put_meta(kMetaMaxChunkSpan, static_cast<uint64_t>(span));
  const uint64_t next_id = std::max(s.next_series_id.load(), rep.next_series_id);
  if (next_id != s.next_series_id.load()) put_meta(kMetaNextSeriesId, next_id);
  if (rep.has_checkpoint) put_meta(kMetaWalCheckpoint, rep.checkpoint);
  rep.FlushMaxTime();
  if (!rep.partitions.empty()) {
    // Before the write: a reader must never miss a visible chunk's partition.
    absl::MutexLock pl(&s.partitions_mu);
    s.chunk_partitions.insert(rep.partitions.begin(), rep.partitions.end());
  }

  rocksdb::WriteOptions wo;
  wo.sync = sync;
  STRATA_RETURN_IF_ERROR(FromRocks(s.db->Write(wo, &wb), fmt::format("cannot write to index database \"{}\"", s.options.path)));
  if (rep.chunks > 0) s.persisted_chunk_seq = seq;
  s.persisted_max_span = span;
  s.max_chunk_span.store(span);
  s.next_series_id.store(next_id);
  if (rep.has_checkpoint) s.wal_checkpoint.store(rep.checkpoint);
  return absl::OkStatus();
}

uint64_t RocksStore::next_series_id() const { return impl_->next_series_id.load(); }
uint64_t RocksStore::wal_checkpoint() const { return impl_->wal_checkpoint.load(); }

uint64_t RocksStore::num_chunks_estimate() const {
  uint64_t n = 0;
  if (!impl_->db->GetIntProperty(impl_->cf[kChunks15s], "rocksdb.estimate-num-keys", &n)) return 0;
  return n;
}

uint64_t RocksStore::num_timestamp_sections_estimate() const {
  uint64_t n = 0;
  if (!impl_->db->GetIntProperty(impl_->cf[kTimestamps], "rocksdb.estimate-num-keys", &n)) return 0;
  return n;
}

RocksStore::MemoryUsage RocksStore::memory_usage() const {
  MemoryUsage m;
  rocksdb::DB& db = *impl_->db;
  if (!db.GetAggregatedIntProperty(rocksdb::DB::Properties::kSizeAllMemTables, &m.memtables)) m.memtables = 0;
  if (!db.GetAggregatedIntProperty(rocksdb::DB::Properties::kEstimateTableReadersMem, &m.table_readers)) {
    m.table_readers = 0;
  }
  m.block_cache = impl_->block_cache->GetUsage();
  return m;
}

absl::Status RocksStore::FlushMemTables() {
  rocksdb::FlushOptions o;
  o.wait = true;
  std::vector<rocksdb::ColumnFamilyHandle*> handles(impl_->cf, impl_->cf + kNumCfs);
  return FromRocks(impl_->db->Flush(o, handles),
                   fmt::format("cannot flush memtables of index database \"{}\"", impl_->options.path));
}

absl::Status RocksStore::CompactAll() {
  rocksdb::CompactRangeOptions o;
  o.bottommost_level_compaction = rocksdb::BottommostLevelCompaction::kForceOptimized;
  for (size_t i = 0; i < kNumCfs; ++i) {
    STRATA_RETURN_IF_ERROR(FromRocks(impl_->db->CompactRange(o, impl_->cf[i], nullptr, nullptr),
                                     fmt::format("cannot compact index database \"{}\"", impl_->options.path)));
  }
  return absl::OkStatus();
}

const std::string& RocksStore::path() const { return impl_->options.path; }

}  // namespace strata::storage
