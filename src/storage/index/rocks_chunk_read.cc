// RocksStore reads of sealed chunks.
#include <fmt/format.h>

#include <algorithm>
#include <limits>

#include "common/base/status.h"
#include "common/encoding/varint.h"
#include "storage/index/rocks_internal.h"

namespace strata::storage {

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

}  // namespace strata::storage
