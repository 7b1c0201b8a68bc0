// Read path: Select.
#include <algorithm>

#include "common/chunkenc/xor_chunk.h"
#include "storage/head/head.h"
#include "storage/metrics/storage_metrics.h"

namespace strata::storage {

absl::StatusOr<SearchResult> Head::Select(const SearchRequest& request) const {
  metrics_.searches.Increment();
  SearchResult result;
  const TenantIndex* index = FindTenant(request.tenant);
  if (index == nullptr) return result;

  std::vector<MemSeries*> selected;
  {
    absl::ReaderMutexLock l(&index->mu);
    MemPostings::Postings ids = index->postings.PostingsForMatchers(request.matchers);
    selected.reserve(ids.size());
    for (uint64_t id : ids) selected.push_back(index->by_id.at(id));
  }
  // Labels are immutable, so sorting needs no series lock.
  std::sort(selected.begin(), selected.end(),
            [](const MemSeries* a, const MemSeries* b) { return a->labels < b->labels; });

  const int64_t mint = request.min_time_ms;
  const int64_t maxt = request.max_time_ms;
  std::vector<ChunkData> chunks;
  std::vector<Sample> ooo;
  for (MemSeries* s : selected) {
    chunks.clear();
    ooo.clear();
    {
      // Holding the stripe lock keeps sealing (store Add + open reset)
      // atomic with respect to this read: no chunk is seen twice or missed.
      absl::MutexLock l(&StripeFor(s->hash).mu);
      absl::Status st = chunks_->Read(s->id, mint, maxt, &chunks);
      if (!st.ok()) return st;
      const XorAppender& open = s->open_chunk;
      if (open.num_samples() > 0 && open.min_time() <= maxt && open.max_time() >= mint) {
        ChunkData c;
        c.min_time_ms = open.min_time();
        c.max_time_ms = open.max_time();
        c.encoding = ChunkEncoding::kXor;
        c.data.assign(open.bytes());
        chunks.push_back(std::move(c));
      }
      // Copied under the lock, encoded after it: appends wait less.
      if (!s->ooo.empty() && s->ooo.front().timestamp_ms <= maxt && s->ooo.back().timestamp_ms >= mint) {
        ooo = s->ooo;
      }
    }
    // Persisted chunks need no lock (they never change) and may cost disk
    // reads: appends to the stripe do not wait for them.
    absl::Status persisted = chunks_->ReadPersisted(s->id, mint, maxt, &chunks);
    if (!persisted.ok()) return persisted;
    if (!ooo.empty()) {
      XorAppender app;
      for (const Sample& sample : ooo) app.Append(sample.timestamp_ms, sample.value);
      ChunkData c;
      c.min_time_ms = app.min_time();
      c.max_time_ms = app.max_time();
      c.encoding = ChunkEncoding::kXor;
      c.data = app.Finish();
      chunks.push_back(std::move(c));
    }
    // Out-of-order chunks can start after the open chunk does.
    auto by_start = [](const ChunkData& a, const ChunkData& b) { return a.min_time_ms < b.min_time_ms; };
    if (!std::is_sorted(chunks.begin(), chunks.end(), by_start)) {
      std::stable_sort(chunks.begin(), chunks.end(), by_start);
    }
    if (chunks.empty()) continue;
    if (request.max_series != 0 && result.series.size() >= request.max_series) {
      result.truncated = true;
      break;
    }
    SeriesChunks sc;
    sc.labels = s->labels;
    sc.chunks = std::move(chunks);
    chunks = std::vector<ChunkData>();
    result.series.push_back(std::move(sc));
  }
  return result;
}

}  // namespace strata::storage
