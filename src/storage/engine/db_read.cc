// The read side of Db: Search, SelectedSeries, LabelNames, LabelValues,
// CountSeries and SeriesLabels, each the head's series merged with the persistent index's.
#include <algorithm>
#include <limits>

#include "absl/container/flat_hash_set.h"
#include "common/base/parallel_for.h"
#include "common/base/status.h"
#include "storage/engine/cardinality.h"
#include "storage/engine/db.h"
#include "storage/engine/rocks_chunk_store.h"
#include "storage/engine/store_corruption.h"
#include "storage/head/head.h"
#include "storage/index/index_reader.h"
#include "storage/index/rocks_store.h"
#include "storage/metrics/storage_metrics.h"

namespace strata::storage {
namespace {

// One selected series: held by the head, or known only to the store.
struct Candidate {
  std::shared_ptr<const MemSeries> head;  // null when evicted / not loaded
  uint64_t id = 0;
  Labels labels;
};

// Head series with in-memory chunks overlapping [mint, maxt], as
// Prometheus's head block answers the series and labels APIs (older data of
// theirs is also in the index, which the caller merges). The newest sample
// decides cheaply for a range up to now; only a range ending before it needs
// the chunks' bounds.
std::vector<std::shared_ptr<const MemSeries>> HeadSeriesInRange(const Head& head, const RocksStore* store,
                                                                TenantId tenant, std::span<const Matcher> matchers,
                                                                int64_t mint, int64_t maxt) {
  std::vector<std::shared_ptr<const MemSeries>> out = head.SelectSeries(tenant, matchers);
  std::vector<ChunkData> chunks;
  std::erase_if(out, [&](const std::shared_ptr<const MemSeries>& s) {
    if (store != nullptr && store->IsDeleted(s->id)) return true;
    const int64_t last = head.LastSampleTime(*s);
    if (last < mint || mint > maxt) return true;
    if (last <= maxt) return false;
    chunks.clear();
    // On a read error keep the series: listing one too many beats hiding it.
    return head.ReadChunks(*s, mint, maxt, &chunks).ok() && chunks.empty();
  });
  return out;
}

template <typename T>
void SortUniqueLimit(std::vector<T>* v, size_t limit) {
  std::sort(v->begin(), v->end());
  v->erase(std::unique(v->begin(), v->end()), v->end());
  if (limit > 0 && v->size() > limit) v->resize(limit);
}

}  // namespace

absl::StatusOr<std::vector<std::string>> Db::LabelNamesImpl(TenantId tenant, std::span<const Matcher> matchers,
                                                        int64_t mint, int64_t maxt, size_t limit) const {
  if (closed_.load(std::memory_order_acquire)) return absl::UnavailableError("cannot read storage engine: it is shut down");
  std::vector<std::string> names;
  if (index_ != nullptr) {
    STRATA_ASSIGN_OR_RETURN(names, index_->LabelNames(tenant, matchers, mint, maxt, 0));
  }
  for (const auto& s : HeadSeriesInRange(*head_, store_.get(), tenant, matchers, mint, maxt)) {
    ForEachPackedLabel(s->packed_labels(), [&names](std::string_view name, std::string_view) {
      names.emplace_back(name);
      return true;
    });
  }
  SortUniqueLimit(&names, limit);
  return names;
}

absl::StatusOr<std::vector<std::string>> Db::LabelValuesImpl(TenantId tenant, std::string_view name,
                                                         std::span<const Matcher> matchers, int64_t mint, int64_t maxt,
                                                         size_t limit) const {
  if (closed_.load(std::memory_order_acquire)) return absl::UnavailableError("cannot read storage engine: it is shut down");
  std::vector<std::string> values;
  if (index_ != nullptr) {
    STRATA_ASSIGN_OR_RETURN(values, index_->LabelValues(tenant, name, matchers, mint, maxt, 0));
  }
  for (const auto& s : HeadSeriesInRange(*head_, store_.get(), tenant, matchers, mint, maxt)) {
    ForEachPackedLabel(s->packed_labels(), [&](std::string_view n, std::string_view v) {
      if (n == name) values.emplace_back(v);
      return n < name;  // sorted by name
    });
  }
  SortUniqueLimit(&values, limit);
  return values;
}

absl::StatusOr<uint64_t> Db::CountSeriesImpl(TenantId tenant, std::span<const Matcher> matchers, int64_t mint,
                                         int64_t maxt) const {
  if (closed_.load(std::memory_order_acquire)) return absl::UnavailableError("cannot read storage engine: it is shut down");
  std::vector<uint64_t> ids;
  if (index_ != nullptr) {
    STRATA_ASSIGN_OR_RETURN(ids, index_->SelectSeries(tenant, matchers, mint, maxt, 0));
  }
  for (const auto& s : HeadSeriesInRange(*head_, store_.get(), tenant, matchers, mint, maxt)) ids.push_back(s->id);
  SortUniqueLimit(&ids, 0);
  return ids.size();
}

absl::StatusOr<std::vector<Labels>> Db::SeriesLabelsImpl(TenantId tenant, std::span<const Matcher> matchers,
                                                         int64_t mint, int64_t maxt, size_t limit) const {
  if (closed_.load(std::memory_order_acquire)) return absl::UnavailableError("cannot read storage engine: it is shut down");
  std::vector<Labels> out;
  absl::flat_hash_set<uint64_t> in_head;
  for (const auto& s : HeadSeriesInRange(*head_, store_.get(), tenant, matchers, mint, maxt)) {
    in_head.insert(s->id);
    out.push_back(s->labels());
  }
  if (index_ != nullptr) {
    STRATA_ASSIGN_OR_RETURN(std::vector<uint64_t> ids, index_->SelectSeries(tenant, matchers, mint, maxt, 0));
    std::erase_if(ids, [&](uint64_t id) { return in_head.contains(id); });
    // Ids whose labels are gone (deleted meanwhile) drop out.
    STRATA_ASSIGN_OR_RETURN(std::vector<SeriesRecord> stored, store_->GetSeriesBatch(ids));
    for (SeriesRecord& r : stored) out.push_back(std::move(r.labels));
  }
  SortUniqueLimit(&out, limit);
  return out;
}

absl::StatusOr<TsdbStatusResult> Db::TsdbStatusImpl(const TsdbStatusRequest& request) const {
  if (closed_.load(std::memory_order_acquire)) return absl::UnavailableError("cannot read storage engine: it is shut down");
  // Labels of persisted series are read this many at a time (one MultiGet).
  constexpr size_t kLabelsBatch = 4096;
  CardinalityCounter counter(request.focus_label);
  uint64_t head_chunks = 0;
  int64_t head_min = std::numeric_limits<int64_t>::max();
  int64_t head_max = std::numeric_limits<int64_t>::min();
  absl::flat_hash_set<uint64_t> in_head;
  std::vector<ChunkData> chunks;
  for (const auto& s : HeadSeriesInRange(*head_, store_.get(), request.tenant, request.matchers,
                                         request.min_time_ms, request.max_time_ms)) {
    chunks.clear();
    STRATA_RETURN_IF_ERROR(head_->ReadChunks(*s, request.min_time_ms, request.max_time_ms, &chunks));
    // A head series without in-memory data in the range counts only if the
    // index finds its persisted data there (a past `date`).
    if (chunks.empty()) continue;
    in_head.insert(s->id);
    counter.AddSeries(s->labels());
    for (const ChunkData& c : chunks) {
      ++head_chunks;
      head_min = std::min(head_min, c.min_time_ms);
      head_max = std::max(head_max, c.max_time_ms);
    }
  }
  if (index_ != nullptr) {
    STRATA_ASSIGN_OR_RETURN(std::vector<uint64_t> ids, index_->SelectSeries(request.tenant, request.matchers,
                                                                            request.min_time_ms, request.max_time_ms, 0));
    std::erase_if(ids, [&](uint64_t id) { return in_head.contains(id); });
    for (size_t i = 0; i < ids.size(); i += kLabelsBatch) {
      const std::span<const uint64_t> batch(ids.data() + i, std::min(kLabelsBatch, ids.size() - i));
      STRATA_ASSIGN_OR_RETURN(std::vector<SeriesRecord> stored, store_->GetSeriesBatch(batch));
      for (const SeriesRecord& r : stored) counter.AddSeries(r.labels);
    }
  }
  TsdbStatusResult result = counter.Finish(static_cast<size_t>(request.top_n));
  result.head_chunks = head_chunks;
  result.head_min_time_ms = head_min;
  result.head_max_time_ms = head_max;
  return result;
}

absl::StatusOr<TsdbStatusResult> Db::TsdbStatus(const TsdbStatusRequest& request) const {
  return NotedRead(TsdbStatusImpl(request));
}

absl::StatusOr<SearchResult> Db::SearchImpl(const SearchRequest& request) const {
  if (closed_.load(std::memory_order_acquire)) {
    return absl::UnavailableError("cannot search storage engine: it is shut down");
  }
  if (store_ == nullptr) return head_->Select(request);  // counts the search itself
  metrics_->searches.Increment();

  const int64_t mint = request.min_time_ms;
  const int64_t maxt = request.max_time_ms;
  std::vector<Candidate> candidates;
  absl::flat_hash_set<uint64_t> in_head;
  for (std::shared_ptr<const MemSeries>& s : head_->SelectSeries(request.tenant, request.matchers)) {
    if (store_->IsDeleted(s->id)) continue;
    in_head.insert(s->id);
    Labels labels = s->labels();
    candidates.push_back(Candidate{std::move(s), 0, std::move(labels)});
  }
  // Series with chunks in the time range that the head does not hold. A
  // series that enters the head meanwhile is read from the store only: its
  // samples newer than this query's start may be missed, nothing older.
  STRATA_ASSIGN_OR_RETURN(std::vector<uint64_t> ids,
                          index_->SelectSeries(request.tenant, request.matchers, mint, maxt, /*limit=*/0));
  std::erase_if(ids, [&](uint64_t id) { return in_head.contains(id); });
  // One MultiGet; ids whose labels are gone (deleted meanwhile) drop out.
  STRATA_ASSIGN_OR_RETURN(std::vector<SeriesRecord> stored, store_->GetSeriesBatch(ids));
  for (SeriesRecord& r : stored) candidates.push_back(Candidate{nullptr, r.id, std::move(r.labels)});
  std::sort(candidates.begin(), candidates.end(),
            [](const Candidate& a, const Candidate& b) { return a.labels < b.labels; });

  // The chunks of a window of candidates are read in parallel (RocksDB
  // seeks and value copies are most of a long-range search), then taken in
  // label order: the answer, the first error and where max_series cuts it
  // are the sequential loop's. The window bounds the reads wasted past
  // that cut.
  constexpr size_t kReadWindow = 256;
  SearchResult result;
  std::vector<std::vector<ChunkData>> chunks;
  std::vector<absl::Status> errors;
  for (size_t window = 0; window < candidates.size(); window += kReadWindow) {
    const size_t n = std::min(kReadWindow, candidates.size() - window);
    chunks.assign(n, {});
    errors.assign(n, absl::OkStatus());
    ParallelFor(n, 8, [&](size_t begin, size_t end) {
      for (size_t i = begin; i < end; ++i) {
        const Candidate& c = candidates[window + i];
        errors[i] = c.head != nullptr ? head_->ReadChunks(*c.head, mint, maxt, &chunks[i])
                                      : store_->ReadChunks(c.id, mint, maxt, &chunks[i]);
      }
    });
    for (size_t i = 0; i < n; ++i) {
      STRATA_RETURN_IF_ERROR(errors[i]);
      if (chunks[i].empty()) continue;
      if (request.max_series != 0 && result.series.size() >= request.max_series) {
        result.truncated = true;
        return result;
      }
      Candidate& c = candidates[window + i];
      SeriesChunks sc;
      sc.labels = std::move(c.labels);
      sc.chunks = std::move(chunks[i]);
      result.series.push_back(std::move(sc));
    }
  }
  return result;
}

// A failed read fails that request only; a corrupt block is also logged and
// counted (store_corruption.h) so an operator learns of it.
template <typename T>
T Db::NotedRead(T result) const {
  if (!result.ok() && store_ != nullptr) NoteStoreError(result.status(), StoreOp::kRead, store_->path(), *metrics_);
  return result;
}

absl::StatusOr<SearchResult> Db::Search(const SearchRequest& request) const { return NotedRead(SearchImpl(request)); }

absl::StatusOr<std::vector<std::string>> Db::LabelNames(TenantId tenant, std::span<const Matcher> matchers,
                                                        int64_t mint, int64_t maxt, size_t limit) const {
  return NotedRead(LabelNamesImpl(tenant, matchers, mint, maxt, limit));
}

absl::StatusOr<std::vector<std::string>> Db::LabelValues(TenantId tenant, std::string_view name,
                                                         std::span<const Matcher> matchers, int64_t mint, int64_t maxt,
                                                         size_t limit) const {
  return NotedRead(LabelValuesImpl(tenant, name, matchers, mint, maxt, limit));
}

absl::StatusOr<uint64_t> Db::CountSeries(TenantId tenant, std::span<const Matcher> matchers, int64_t mint,
                                         int64_t maxt) const {
  return NotedRead(CountSeriesImpl(tenant, matchers, mint, maxt));
}

absl::StatusOr<std::vector<Labels>> Db::SeriesLabels(TenantId tenant, std::span<const Matcher> matchers,
                                                     int64_t mint, int64_t maxt, size_t limit) const {
  return NotedRead(SeriesLabelsImpl(tenant, matchers, mint, maxt, limit));
}

}  // namespace strata::storage
