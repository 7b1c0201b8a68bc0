#include "storage/index/rocks_store.h"

#include <fmt/format.h>
#include <rocksdb/cache.h>
#include <rocksdb/db.h>
#include <rocksdb/filter_policy.h>
#include <rocksdb/options.h>
#include <rocksdb/table.h>
#include <rocksdb/write_batch.h>

#include <algorithm>
#include <atomic>
#include <cstring>
#include <filesystem>
#include <limits>

#include "absl/synchronization/mutex.h"
#include "common/base/check.h"
#include "common/base/status.h"
#include "common/encoding/varint.h"
#include "storage/index/rocks_status.h"

namespace strata::storage {
namespace {

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

void PutBE32(std::string* out, uint32_t v) {
  char b[4];
  for (int i = 0; i < 4; ++i) b[i] = static_cast<char>(v >> (24 - 8 * i));
  out->append(b, 4);
}
void PutBE64(std::string* out, uint64_t v) {
  char b[8];
  for (int i = 0; i < 8; ++i) b[i] = static_cast<char>(v >> (56 - 8 * i));
  out->append(b, 8);
}
uint64_t LoadBE64(const char* p) {
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v = (v << 8) | static_cast<unsigned char>(p[i]);
  return v;
}
uint32_t LoadBE32(const char* p) {
  uint32_t v = 0;
  for (int i = 0; i < 4; ++i) v = (v << 8) | static_cast<unsigned char>(p[i]);
  return v;
}
// Flipping the sign bit makes the unsigned big-endian order of the bytes the
// numeric order of signed timestamps (negative ones first).
uint64_t FlipTime(int64_t t) { return static_cast<uint64_t>(t) ^ (1ull << 63); }
int64_t UnflipTime(uint64_t v) { return static_cast<int64_t>(v ^ (1ull << 63)); }

void PutTenant(std::string* out, TenantId t) {
  PutBE32(out, t.account_id);
  PutBE32(out, t.project_id);
}
TenantId LoadTenant(const char* p) { return TenantId{LoadBE32(p), LoadBE32(p + 4)}; }

std::string SeriesKey(TenantId tenant, const Labels& labels) {
  std::string k;
  PutTenant(&k, tenant);
  labels.AppendCanonical(&k);
  return k;
}

std::string PostingPrefix(TenantId tenant, std::string_view name, std::string_view value) {
  std::string k;
  k.reserve(8 + name.size() + value.size() + 2 + 8);
  PutTenant(&k, tenant);
  k.append(name);
  k.push_back('\0');
  k.append(value);
  k.push_back('\0');
  return k;
}

std::string NameValuesPrefix(TenantId tenant, std::string_view name) {
  std::string k;
  PutTenant(&k, tenant);
  k.append(name);
  k.push_back('\0');
  return k;
}

std::string ChunkKey(uint64_t series_id, int64_t min_time, uint32_t seq) {
  std::string k;
  k.reserve(20);
  PutBE64(&k, series_id);
  PutBE64(&k, FlipTime(min_time));
  PutBE32(&k, seq);
  return k;
}

std::string EncodeBE64(uint64_t v) {
  std::string s;
  PutBE64(&s, v);
  return s;
}

// series_labels value: tenant (8 bytes) then length-prefixed name, value
// pairs (length-prefixed rather than NUL-separated so any byte round-trips).
std::string EncodeSeriesLabelsValue(TenantId tenant, const Labels& labels) {
  std::string v;
  PutTenant(&v, tenant);
  for (const Label& l : labels) {
    PutLengthPrefixed(&v, l.name);
    PutLengthPrefixed(&v, l.value);
  }
  return v;
}

absl::StatusOr<SeriesRecord> DecodeSeriesLabels(uint64_t id, std::string_view value) {
  if (value.size() < 8) {
    return absl::DataLossError(fmt::format("cannot decode labels of series {}: value of {} bytes", id, value.size()));
  }
  SeriesRecord r;
  r.id = id;
  r.tenant = LoadTenant(value.data());
  ByteReader reader(value.substr(8));
  std::vector<Label> labels;
  while (!reader.empty()) {
    std::string_view name, val;
    if (!reader.GetLengthPrefixed(&name) || !reader.GetLengthPrefixed(&val)) {
      return absl::DataLossError(fmt::format("cannot decode labels of series {}: truncated label", id));
    }
    labels.push_back(Label{std::string(name), std::string(val)});
  }
  r.labels = Labels::FromSorted(std::move(labels));
  return r;
}

rocksdb::Slice ToSlice(std::string_view s) { return rocksdb::Slice(s.data(), s.size()); }
std::string_view ToView(const rocksdb::Slice& s) { return std::string_view(s.data(), s.size()); }

bool StartsWith(const rocksdb::Slice& s, std::string_view prefix) {
  return s.size() >= prefix.size() && std::memcmp(s.data(), prefix.data(), prefix.size()) == 0;
}

}  // namespace

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
  for (const Label& l : labels) {
    std::string key = PostingPrefix(tenant, l.name, l.value);
    key.append(id_bytes);
    st = rep_->wb.Put(cf[kPostings], key, rocksdb::Slice());
    st.PermitUncheckedError();
  }
  ++rep_->series;
}

void RocksStore::Batch::PutChunk(uint64_t series_id, const ChunkData& chunk) {
  const uint32_t seq = rep_->store->chunk_seq.fetch_add(1, std::memory_order_relaxed);
  std::string value;
  value.reserve(chunk.data.size() + 12);
  const int64_t span = chunk.max_time_ms - chunk.min_time_ms;
  PutVarint(&value, static_cast<uint64_t>(span));
  value.push_back(static_cast<char>(chunk.encoding));
  value.append(chunk.data);
  rocksdb::Status st = rep_->wb.Put(rep_->store->cf[kChunks15s], ChunkKey(series_id, chunk.min_time_ms, seq), value);
  st.PermitUncheckedError();
  rep_->max_span = std::max(rep_->max_span, span);
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

  std::shared_ptr<rocksdb::Cache> cache = rocksdb::NewLRUCache(options.block_cache_bytes);
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

  const char* names[kNumCfs] = {kCfSeries, kCfSeriesLabels, kCfPostings, kCfChunks15s, kCfMeta};
  std::vector<rocksdb::ColumnFamilyDescriptor> descriptors;
  descriptors.emplace_back(rocksdb::kDefaultColumnFamilyName, make_cf_options(false));
  for (size_t i = 0; i < kNumCfs; ++i) descriptors.emplace_back(names[i], make_cf_options(i == kSeries));
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

  auto impl = std::make_unique<Impl>();
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

absl::StatusOr<uint64_t> RocksStore::LookupSeriesId(TenantId tenant, const Labels& labels) const {
  std::string value;
  rocksdb::Status st = impl_->db->Get(rocksdb::ReadOptions(), impl_->cf[kSeries], SeriesKey(tenant, labels), &value);
  STRATA_RETURN_IF_ERROR(FromRocks(st, fmt::format("cannot look up series {} of tenant {}", labels.ToString(), tenant.ToString())));
  if (value.size() != 8) {
    return absl::DataLossError(fmt::format("cannot look up series {}: id of {} bytes", labels.ToString(), value.size()));
  }
  return LoadBE64(value.data());
}

absl::StatusOr<SeriesRecord> RocksStore::GetSeries(uint64_t id) const {
  std::string value;
  rocksdb::Status st = impl_->db->Get(rocksdb::ReadOptions(), impl_->cf[kSeriesLabels], EncodeBE64(id), &value);
  STRATA_RETURN_IF_ERROR(FromRocks(st, fmt::format("cannot read labels of series {}", id)));
  return DecodeSeriesLabels(id, value);
}

absl::Status RocksStore::ForEachPosting(TenantId tenant, std::string_view name, std::string_view value,
                                        absl::FunctionRef<bool(uint64_t)> fn) const {
  const std::string prefix = PostingPrefix(tenant, name, value);
  auto it = impl_->NewIterator(kPostings);
  for (it->Seek(ToSlice(prefix)); it->Valid(); it->Next()) {
    const rocksdb::Slice key = it->key();
    if (!StartsWith(key, prefix)) break;
    // A longer key under the same prefix belongs to a value that itself
    // contains NUL + more bytes; it is not ours.
    if (key.size() != prefix.size() + 8) continue;
    if (!fn(LoadBE64(key.data() + prefix.size()))) return absl::OkStatus();
  }
  return impl_->IterStatus(*it, "read postings");
}

absl::StatusOr<std::vector<uint64_t>> RocksStore::Postings(TenantId tenant, std::string_view name,
                                                            std::string_view value) const {
  std::vector<uint64_t> ids;
  STRATA_RETURN_IF_ERROR(ForEachPosting(tenant, name, value, [&](uint64_t id) {
    ids.push_back(id);
    return true;
  }));
  return ids;
}

absl::StatusOr<std::vector<std::string>> RocksStore::LabelValues(TenantId tenant, std::string_view name) const {
  const std::string prefix = NameValuesPrefix(tenant, name);
  std::vector<std::string> values;
  auto it = impl_->NewIterator(kPostings);
  it->Seek(ToSlice(prefix));
  std::string next;
  while (it->Valid()) {
    const rocksdb::Slice key = it->key();
    if (!StartsWith(key, prefix) || key.size() < prefix.size() + 9) break;
    // key = prefix | value | 0x00 | id(8)
    std::string_view value = ToView(key).substr(prefix.size(), key.size() - prefix.size() - 9);
    values.emplace_back(value);
    // Every key of this value sorts before `prefix | value | 0x01`.
    next.assign(prefix).append(value).push_back('\x01');
    it->Seek(ToSlice(next));
  }
  STRATA_RETURN_IF_ERROR(impl_->IterStatus(*it, "read label values"));
  return values;
}

absl::Status RocksStore::ForEachSeries(TenantId tenant, absl::FunctionRef<bool(const SeriesRecord&)> fn) const {
  std::string prefix;
  PutTenant(&prefix, tenant);
  auto it = impl_->NewIterator(kSeries);
  for (it->Seek(ToSlice(prefix)); it->Valid(); it->Next()) {
    const rocksdb::Slice key = it->key();
    if (!StartsWith(key, prefix)) break;
    const rocksdb::Slice value = it->value();
    if (value.size() != 8) {
      return absl::DataLossError(fmt::format("cannot list series of tenant {} in \"{}\": id of {} bytes",
                                             tenant.ToString(), impl_->options.path, value.size()));
    }
    // The series key holds the canonical labels: `name\0value\0...`.
    SeriesRecord r;
    r.id = LoadBE64(value.data());
    r.tenant = tenant;
    std::vector<Label> labels;
    std::string_view rest = ToView(key).substr(8);
    while (!rest.empty()) {
      const size_t a = rest.find('\0');
      const size_t b = a == std::string_view::npos ? a : rest.find('\0', a + 1);
      if (b == std::string_view::npos) {
        return absl::DataLossError(fmt::format("cannot list series of tenant {} in \"{}\": malformed series key",
                                               tenant.ToString(), impl_->options.path));
      }
      labels.push_back(Label{std::string(rest.substr(0, a)), std::string(rest.substr(a + 1, b - a - 1))});
      rest.remove_prefix(b + 1);
    }
    r.labels = Labels::FromSorted(std::move(labels));
    if (!fn(r)) return absl::OkStatus();
  }
  return impl_->IterStatus(*it, "list series");
}

absl::Status RocksStore::ForEachSeriesById(absl::FunctionRef<bool(const SeriesRecord&)> fn) const {
  auto it = impl_->NewIterator(kSeriesLabels);
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    if (it->key().size() != 8) {
      return absl::DataLossError(fmt::format("cannot list series in \"{}\": key of {} bytes", impl_->options.path,
                                             it->key().size()));
    }
    STRATA_ASSIGN_OR_RETURN(SeriesRecord r, DecodeSeriesLabels(LoadBE64(it->key().data()), ToView(it->value())));
    if (!fn(r)) return absl::OkStatus();
  }
  return impl_->IterStatus(*it, "list series");
}

absl::Status RocksStore::ReadChunks(uint64_t series_id, int64_t mint, int64_t maxt,
                                    std::vector<ChunkData>* out) const {
  if (mint > maxt) return absl::OkStatus();
  const int64_t span = impl_->max_chunk_span.load(std::memory_order_relaxed);
  // A chunk overlapping [mint, maxt] starts at or after mint - span.
  const int64_t from = mint < std::numeric_limits<int64_t>::min() + span ? std::numeric_limits<int64_t>::min()
                                                                          : mint - span;
  std::string start;
  PutBE64(&start, series_id);
  PutBE64(&start, FlipTime(from));
  // Keys of chunks starting after maxt are past the upper bound; with
  // maxt = +inf the series-id check below ends the scan.
  std::string upper;
  PutBE64(&upper, series_id);
  PutBE64(&upper, FlipTime(maxt == std::numeric_limits<int64_t>::max() ? maxt : maxt + 1));
  const rocksdb::Slice upper_slice = ToSlice(upper);
  auto it = impl_->NewIterator(kChunks15s, maxt == std::numeric_limits<int64_t>::max() ? nullptr : &upper_slice);
  for (it->Seek(ToSlice(start)); it->Valid(); it->Next()) {
    const rocksdb::Slice key = it->key();
    if (key.size() != 20 || LoadBE64(key.data()) != series_id) break;
    ChunkData c;
    c.min_time_ms = UnflipTime(LoadBE64(key.data() + 8));
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
    out->push_back(std::move(c));
  }
  return impl_->IterStatus(*it, "read chunks");
}

absl::StatusOr<int64_t> RocksStore::MaxTime(uint64_t series_id) const {
  std::string last;
  PutBE64(&last, series_id);
  last.append(12, '\xff');
  auto it = impl_->NewIterator(kChunks15s);
  it->SeekForPrev(ToSlice(last));
  if (!it->Valid()) {
    STRATA_RETURN_IF_ERROR(impl_->IterStatus(*it, "read chunks"));
    return std::numeric_limits<int64_t>::min();
  }
  const rocksdb::Slice key = it->key();
  if (key.size() != 20 || LoadBE64(key.data()) != series_id) return std::numeric_limits<int64_t>::min();
  // The newest sample is in a chunk overlapping [last chunk's min_time, +inf).
  const int64_t last_min = UnflipTime(LoadBE64(key.data() + 8));
  std::vector<ChunkData> chunks;
  STRATA_RETURN_IF_ERROR(ReadChunks(series_id, last_min, std::numeric_limits<int64_t>::max(), &chunks));
  int64_t max = std::numeric_limits<int64_t>::min();
  for (const ChunkData& c : chunks) max = std::max(max, c.max_time_ms);
  return max;
}

uint64_t RocksStore::next_series_id() const { return impl_->next_series_id.load(); }
uint64_t RocksStore::wal_checkpoint() const { return impl_->wal_checkpoint.load(); }

uint64_t RocksStore::num_chunks_estimate() const {
  uint64_t n = 0;
  if (!impl_->db->GetIntProperty(impl_->cf[kChunks15s], "rocksdb.estimate-num-keys", &n)) return 0;
  return n;
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
