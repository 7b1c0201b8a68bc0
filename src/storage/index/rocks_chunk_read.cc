// RocksStore reads of sealed chunks and of series_max_time.
#include <fmt/format.h>

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
  std::unique_ptr<rocksdb::Iterator> it = impl_->NewIterator(kChunks15s);
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
  return impl_->JoinStoredTimestamps(series_id, apart, out);
}

absl::Status RocksStore::Impl::JoinStoredTimestamps(uint64_t series_id, std::span<const size_t> apart,
                                                   std::vector<ChunkData>* chunks) const {
  if (apart.empty()) return absl::OkStatus();
  auto error = [&](const ChunkData& c, std::string_view what) {
    return absl::DataLossError(fmt::format("cannot read chunk of series {} at {} in \"{}\": {}", series_id,
                                           c.min_time_ms, options.path, what));
  };
  std::vector<std::string> keys(apart.size());
  std::vector<rocksdb::Slice> slices(apart.size());
  for (size_t i = 0; i < apart.size(); ++i) {
    const ChunkData& c = (*chunks)[apart[i]];
    if (c.data.size() < kTimestampsRefSize) return error(c, "truncated timestamps reference");
    keys[i] = TimestampsKey(c.min_time_ms, LoadBE64(c.data.data() + 1));
    slices[i] = ToSlice(keys[i]);
  }
  std::vector<rocksdb::PinnableSlice> sections(apart.size());
  std::vector<rocksdb::Status> statuses(apart.size());
  // One batched lookup; the keys are in order (partition, then min_time).
  db->MultiGet(rocksdb::ReadOptions(), cf[kTimestamps], apart.size(), slices.data(), sections.data(), statuses.data(),
               /*sorted_input=*/std::is_sorted(keys.begin(), keys.end()));
  for (size_t i = 0; i < apart.size(); ++i) {
    ChunkData& c = (*chunks)[apart[i]];
    if (statuses[i].IsNotFound()) {
      return error(c, fmt::format("its timestamps ({:016x}) are missing", LoadBE64(c.data.data() + 1)));
    }
    STRATA_RETURN_IF_ERROR(FromRocks(statuses[i], fmt::format("cannot read timestamps of series {} at {} in \"{}\"",
                                                              series_id, c.min_time_ms, options.path)));
    c.data = JoinChunkTimestamps(ToView(sections[i]), std::string_view(c.data).substr(kTimestampsRefSize));
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
