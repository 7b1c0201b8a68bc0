#include "select/fanout/fanout_querier.h"

#include <algorithm>
#include <span>

#include <fmt/format.h>

#include "absl/container/flat_hash_map.h"
#include "absl/container/inlined_vector.h"
#include "common/base/parallel_for.h"
#include "common/base/status.h"
#include "common/chunkenc/chunk_codec.h"
#include "select/fanout/call_all.h"
#include "select/fanout/dedup.h"
#include "select/fanout/partial.h"

namespace strata::select {

FanoutQuerier::FanoutQuerier(std::vector<StorageApi*> nodes, FanoutOptions options)
    : nodes_(std::move(nodes)), options_(options) {}

namespace {

bool ByTime(const Sample& a, const Sample& b) { return a.timestamp_ms < b.timestamp_ms; }

// Decodes `chunk` onto the end of `samples`, keeping [min_time_ms,
// max_time_ms]: a chunk's samples are sorted, so clipping cuts its two ends.
absl::Status AppendClipped(const ChunkData& chunk, int64_t min_time_ms, int64_t max_time_ms,
                           std::vector<Sample>& samples) {
  const size_t base = samples.size();
  STRATA_RETURN_IF_ERROR(DecodeChunk(chunk.encoding, chunk.data, &samples));
  if (chunk.min_time_ms >= min_time_ms && chunk.max_time_ms <= max_time_ms) return absl::OkStatus();
  auto last = std::upper_bound(samples.begin() + static_cast<ptrdiff_t>(base), samples.end(), max_time_ms,
                               [](int64_t t, const Sample& a) { return t < a.timestamp_ms; });
  samples.erase(last, samples.end());
  auto first = std::lower_bound(samples.begin() + static_cast<ptrdiff_t>(base), samples.end(), min_time_ms,
                                [](const Sample& a, int64_t t) { return a.timestamp_ms < t; });
  samples.erase(samples.begin() + static_cast<ptrdiff_t>(base), first);
  return absl::OkStatus();
}

// Decodes the chunks of one series (from every node that answered, in node
// order) into `samples`, clipped to [min_time_ms, max_time_ms], sorted by
// time and de-duplicated (dedup.h).
absl::Status DecodeSeries(std::span<const std::vector<ChunkData>* const> replicas, int64_t min_time_ms,
                          int64_t max_time_ms, int64_t dedup_interval_ms, std::vector<Sample>& samples) {
  auto in_range = [&](const ChunkData& c) { return c.max_time_ms >= min_time_ms && c.min_time_ms <= max_time_ms; };
  size_t expected = 0;
  for (const std::vector<ChunkData>* chunks : replicas) {
    for (const ChunkData& chunk : *chunks) {
      if (in_range(chunk)) expected += ChunkNumSamples(chunk.encoding, chunk.data);
    }
  }
  samples.reserve(expected);
  for (const std::vector<ChunkData>* chunks : replicas) {
    for (const ChunkData& chunk : *chunks) {
      if (in_range(chunk)) STRATA_RETURN_IF_ERROR(AppendClipped(chunk, min_time_ms, max_time_ms, samples));
    }
  }
  // Stable: for equal timestamps the sample of the earlier node stays first
  // and is the one kept, so the answer does not depend on timing.
  if (!std::is_sorted(samples.begin(), samples.end(), ByTime)) {
    std::stable_sort(samples.begin(), samples.end(), ByTime);
  }
  DeduplicateSamples(samples, dedup_interval_ms);
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::vector<promql::SeriesSamples>> MergeSearchResults(std::vector<SearchResult>& results,
                                                                      int64_t min_time_ms, int64_t max_time_ms,
                                                                      int64_t dedup_interval_ms) {
  // First the replicas of each series are found (cheap, sequential), then
  // the series are decoded in parallel: decoding is most of a long-range
  // query's work.
  std::vector<promql::SeriesSamples> out;
  // Per series, the chunk lists of its replicas in node order (no more
  // than R of them: inline, no allocation).
  std::vector<absl::InlinedVector<const std::vector<ChunkData>*, 3>> replicas;
  absl::flat_hash_map<Labels, size_t> index;
  for (SearchResult& result : results) {
    for (SeriesChunks& series : result.series) {
      auto [it, inserted] = index.try_emplace(series.labels, out.size());
      if (inserted) {
        out.push_back(promql::SeriesSamples{std::move(series.labels), {}, {}});
        replicas.emplace_back();
      }
      replicas[it->second].push_back(&series.chunks);
    }
  }
  std::vector<absl::Status> errors(out.size());
  // A series of a day at 15 s is 5760 samples; a few per range keep the
  // hand-off cost small against the decoding.
  ParallelFor(out.size(), 4, [&](size_t begin, size_t end) {
    for (size_t i = begin; i < end; ++i) {
      errors[i] = DecodeSeries(replicas[i], min_time_ms, max_time_ms, dedup_interval_ms, out[i].samples);
    }
  });
  for (size_t i = 0; i < out.size(); ++i) {
    if (!errors[i].ok()) {
      return absl::DataLossError(fmt::format("cannot decode chunk of series {}: {}", out[i].labels.ToString(),
                                             ToStd(errors[i].message())));
    }
  }
  std::erase_if(out, [](const promql::SeriesSamples& s) { return s.samples.empty(); });
  return out;
}

absl::Status FanoutQuerier::SeriesLimitError() const {
  return absl::ResourceExhaustedError(
      fmt::format("the query selects more than {} series; narrow its selectors or raise -search.maxSeries",
                  options_.max_series));
}

absl::StatusOr<promql::SeriesSet> FanoutQuerier::Select(const promql::SelectHints& hints,
                                                        std::span<const Matcher> matchers) {
  const promql::SelectRequest request{hints, matchers};
  STRATA_ASSIGN_OR_RETURN(std::vector<promql::SeriesSet> sets, SelectMany({&request, 1}));
  return std::move(sets[0]);
}

absl::StatusOr<std::vector<promql::SeriesSet>> FanoutQuerier::SelectMany(
    std::span<const promql::SelectRequest> requests) {
  if (nodes_.empty()) return absl::UnavailableError("cannot select: no storage nodes configured");
  std::vector<promql::SeriesSet> out;
  if (requests.empty()) return out;
  // One more than the query may still load, so a node's answer shows
  // whether the limit is exceeded.
  const uint64_t max_series =
      options_.max_series == 0 ? 0 : options_.max_series - std::min(series_loaded_, options_.max_series) + 1;
  std::vector<SearchRequest> search;
  search.reserve(requests.size());
  for (const promql::SelectRequest& r : requests) {
    SearchRequest request;
    request.tenant = options_.tenant;
    request.matchers.assign(r.matchers.begin(), r.matchers.end());
    request.min_time_ms = r.hints.min_time_ms;
    request.max_time_ms = r.hints.max_time_ms;
    request.max_series = max_series;
    search.push_back(std::move(request));
  }
  const RequestContext ctx{options_.deadline};
  std::vector<absl::StatusOr<std::vector<SearchResult>>> answers = CallAllAndWait<std::vector<SearchResult>>(
      nodes_.size(), options_.deadline, "no answer before the query deadline", [&](size_t n, auto done) {
        nodes_[n]->SearchMany(ctx, n + 1 < nodes_.size() ? search : std::move(search), std::move(done));
      });
  out.reserve(requests.size());
  for (size_t i = 0; i < requests.size(); ++i) {
    std::vector<absl::StatusOr<SearchResult>> results;
    results.reserve(answers.size());
    for (absl::StatusOr<std::vector<SearchResult>>& node : answers) {
      results.push_back(node.ok() ? absl::StatusOr<SearchResult>(std::move((*node)[i]))
                                  : absl::StatusOr<SearchResult>(node.status()));
    }
    STRATA_ASSIGN_OR_RETURN(promql::SeriesSet set, Merge(std::move(results), requests[i].hints));
    out.push_back(std::move(set));
  }
  return out;
}

absl::StatusOr<promql::SeriesSet> FanoutQuerier::Merge(std::vector<absl::StatusOr<SearchResult>> results,
                                                       const promql::SelectHints& hints) {
  promql::SeriesSet set;
  std::vector<SearchResult> answered;
  absl::Status first_error;
  std::vector<std::string> failures;
  for (size_t i = 0; i < results.size(); ++i) {
    absl::StatusOr<SearchResult>& r = results[i];
    if (r.ok()) {
      if (r->truncated) return SeriesLimitError();
      answered.push_back(*std::move(r));
      continue;
    }
    const absl::StatusCode code = r.status().code();
    if (code == absl::StatusCode::kInvalidArgument || code == absl::StatusCode::kResourceExhausted) {
      return absl::Status(code, fmt::format("storage node {}: {}", nodes_[i]->Name(), ToStd(r.status().message())));
    }
    if (first_error.ok()) first_error = r.status();
    failures.push_back(
        fmt::format("cannot fetch data from storage node {}: {}", nodes_[i]->Name(), ToStd(r.status().message())));
  }
  if (answered.empty()) {
    return absl::UnavailableError(fmt::format("cannot fetch data from any of {} storage nodes; first error: {}",
                                              nodes_.size(), ToStd(first_error.message())));
  }
  STRATA_RETURN_IF_ERROR(ApplyNodeFailures("the query", options_.replication_factor, options_.deny_partial,
                                           std::move(failures), set.partial, set.warnings));
  STRATA_ASSIGN_OR_RETURN(set.series, MergeSearchResults(answered, hints.min_time_ms, hints.max_time_ms,
                                                         options_.dedup_interval_ms));
  series_loaded_ += set.series.size();
  if (options_.max_series != 0 && series_loaded_ > options_.max_series) return SeriesLimitError();
  return set;
}

}  // namespace strata::select
