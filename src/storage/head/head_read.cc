// Read path: SelectSeries, ReadChunks and the head-only Select.
#include <algorithm>
#include <limits>

#include "common/base/status.h"
#include "common/chunkenc/xor_chunk.h"
#include "storage/head/head.h"
#include "storage/metrics/storage_metrics.h"

namespace strata::storage {

std::vector<std::shared_ptr<const MemSeries>> Head::SelectSeries(TenantId tenant,
                                                                 std::span<const Matcher> matchers) const {
  std::vector<std::shared_ptr<const MemSeries>> selected;
  const TenantIndex* index = FindTenant(tenant);
  if (index == nullptr) return selected;
  absl::ReaderMutexLock l(&index->mu);
  MemPostings::Postings refs = index->postings.PostingsForMatchers(matchers);
  selected.reserve(refs.size());
  for (uint64_t ref : refs) {
    // Refs of evicted series stay in the postings until EvictIdle prunes them.
    auto it = index->by_ref.find(ref);
    if (it != index->by_ref.end()) selected.push_back(it->second);
  }
  return selected;
}

int64_t Head::LastSampleTime(const MemSeries& s) const {
  absl::MutexLock l(&StripeFor(s.hash).mu);
  return s.has_samples ? s.last_t : std::numeric_limits<int64_t>::min();
}

absl::Status Head::ReadChunks(const MemSeries& s, int64_t mint, int64_t maxt, std::vector<ChunkData>* out) const {
  const size_t first = out->size();
  std::vector<Sample> ooo;
  {
    // Holding the stripe lock keeps sealing (store Add + open reset)
    // atomic with respect to this read: no chunk is seen twice or missed.
    absl::MutexLock l(&StripeFor(s.hash).mu);
    STRATA_RETURN_IF_ERROR(chunks_->Read(s.id, mint, maxt, out));
    const XorAppender& open = s.open_chunk;
    if (open.num_samples() > 0 && open.min_time() <= maxt && open.max_time() >= mint) {
      ChunkData c;
      c.min_time_ms = open.min_time();
      c.max_time_ms = open.max_time();
      c.encoding = ChunkEncoding::kXor;
      c.data.assign(open.bytes());
      out->push_back(std::move(c));
    }
    // Copied under the lock, encoded after it: appends wait less.
    if (!s.ooo.empty() && s.ooo.front().timestamp_ms <= maxt && s.ooo.back().timestamp_ms >= mint) ooo = s.ooo;
  }
  // Persisted chunks need no lock (they never change) and may cost disk
  // reads: appends to the stripe do not wait for them.
  STRATA_RETURN_IF_ERROR(chunks_->ReadPersisted(s.id, mint, maxt, out));
  if (!ooo.empty()) {
    XorAppender app;
    for (const Sample& sample : ooo) app.Append(sample.timestamp_ms, sample.value);
    ChunkData c;
    c.min_time_ms = app.min_time();
    c.max_time_ms = app.max_time();
    c.encoding = ChunkEncoding::kXor;
    c.data = app.Finish();
    out->push_back(std::move(c));
  }
  // Out-of-order and persisted chunks can start before the ones read first.
  auto by_start = [](const ChunkData& a, const ChunkData& b) { return a.min_time_ms < b.min_time_ms; };
  if (!std::is_sorted(out->begin() + first, out->end(), by_start)) {
    std::stable_sort(out->begin() + first, out->end(), by_start);
  }
  return absl::OkStatus();
}

absl::StatusOr<SearchResult> Head::Select(const SearchRequest& request) const {
  metrics_.searches.Increment();
  SearchResult result;
  // Labels are immutable, so sorting needs no series lock.
  std::vector<std::pair<Labels, std::shared_ptr<const MemSeries>>> selected;
  for (std::shared_ptr<const MemSeries>& s : SelectSeries(request.tenant, request.matchers)) {
    Labels labels = s->labels();
    selected.emplace_back(std::move(labels), std::move(s));
  }
  std::sort(selected.begin(), selected.end(),
            [](const auto& a, const auto& b) { return a.first < b.first; });
  std::vector<ChunkData> chunks;
  for (auto& [labels, s] : selected) {
    chunks.clear();
    STRATA_RETURN_IF_ERROR(ReadChunks(*s, request.min_time_ms, request.max_time_ms, &chunks));
    if (chunks.empty()) continue;
    if (request.max_series != 0 && result.series.size() >= request.max_series) {
      result.truncated = true;
      break;
    }
    SeriesChunks sc;
    sc.labels = std::move(labels);
    sc.chunks = std::move(chunks);
    chunks = std::vector<ChunkData>();
    result.series.push_back(std::move(sc));
  }
  return result;
}

}  // namespace strata::storage
