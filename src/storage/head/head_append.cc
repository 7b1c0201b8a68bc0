// Append path: validation, series lookup, sample rules and chunk sealing.
#include <fmt/format.h>

#include <algorithm>

#include "common/chunkenc/xor_chunk.h"
#include "common/model/series_hash.h"
#include "storage/head/head.h"
#include "storage/metrics/storage_metrics.h"

namespace strata::storage {

absl::Status ValidateWriteBatch(std::string_view batch) {
  auto reader = WriteBatchReader::Open(batch);
  if (!reader.ok()) return absl::InvalidArgumentError(std::string(reader.status().message()));
  thread_local SeriesView view;
  size_t n = 0;
  while (reader->Next(&view)) {
    if (view.labels.empty()) return absl::InvalidArgumentError(fmt::format("series {} of write batch has no labels", n));
    for (size_t i = 0; i < view.labels.size(); ++i) {
      const LabelView& l = view.labels[i];
      if (l.name.empty() || l.value.empty()) {
        return absl::InvalidArgumentError(
            fmt::format("series {} of write batch has an empty label name or value: {}", n,
                        FormatLabelViews(view.labels)));
      }
      if (i > 0 && !(view.labels[i - 1].name < l.name)) {
        return absl::InvalidArgumentError(fmt::format(
            "series {} of write batch has unsorted or duplicate label names: {}", n, FormatLabelViews(view.labels)));
      }
    }
    if (view.samples.empty()) return absl::InvalidArgumentError(fmt::format("series {} of write batch has no samples", n));
    ++n;
  }
  if (!reader->status().ok()) return absl::InvalidArgumentError(std::string(reader->status().message()));
  return absl::OkStatus();
}

absl::Status Head::SealOpenChunk(MemSeries* s) {
  ChunkData chunk;
  chunk.min_time_ms = s->open_chunk.min_time();
  chunk.max_time_ms = s->open_chunk.max_time();
  chunk.encoding = ChunkEncoding::kXor;
  chunk.data = s->open_chunk.Finish();
  return chunks_->Add(s->id, std::move(chunk));
}

absl::Status Head::SealOooBuffer(MemSeries* s) {
  XorAppender app;
  for (const Sample& sample : s->ooo) app.Append(sample.timestamp_ms, sample.value);
  ChunkData chunk;
  chunk.min_time_ms = app.min_time();
  chunk.max_time_ms = app.max_time();
  chunk.encoding = ChunkEncoding::kXor;
  chunk.data = app.Finish();
  // Give the memory back: most series see out-of-order samples rarely.
  std::vector<Sample>().swap(s->ooo);
  return chunks_->AddOutOfOrder(s->id, std::move(chunk));
}

namespace {

// True when the samples older than `last_t` by at most `window` include `t`.
// REQUIRES: t < last_t.
bool InsideWindow(int64_t t, int64_t last_t, int64_t window) {
  if (window <= 0) return false;
  // Unsigned difference: exact for any t < last_t, no overflow.
  return static_cast<uint64_t>(last_t) - static_cast<uint64_t>(t) <= static_cast<uint64_t>(window);
}

}  // namespace

absl::Status Head::AppendSamples(MemSeries* s, const std::vector<Sample>& samples, AppendStats* stats) {
  absl::Status status;
  // Timestamps of the open chunk, decoded at the first out-of-order sample
  // that could collide with it and reused until the chunk changes.
  thread_local std::vector<Sample> open_samples;
  bool open_decoded = false;
  for (const Sample& sample : samples) {
    const int64_t t = sample.timestamp_ms;
    if (s->has_samples && t <= s->last_t) {
      if (t == s->last_t) {
        ++stats->duplicates;
        continue;
      }
      if (!InsideWindow(t, s->last_t, options_.out_of_order_window_ms)) {
        ++stats->too_old;
        continue;
      }
      auto pos = std::lower_bound(s->ooo.begin(), s->ooo.end(), t,
                                  [](const Sample& a, int64_t ts) { return a.timestamp_ms < ts; });
      if (pos != s->ooo.end() && pos->timestamp_ms == t) {
        ++stats->duplicates;
        continue;
      }
      if (s->open_chunk.num_samples() > 0 && t >= s->open_chunk.min_time()) {
        if (!open_decoded) {
          open_samples.clear();
          // The head wrote these bytes: decoding cannot fail.
          DecodeXorChunk(s->open_chunk.bytes(), &open_samples).IgnoreError();
          open_decoded = true;
        }
        if (std::binary_search(open_samples.begin(), open_samples.end(), Sample{t, 0},
                               [](const Sample& a, const Sample& b) { return a.timestamp_ms < b.timestamp_ms; })) {
          ++stats->duplicates;
          continue;
        }
      }
      s->ooo.insert(pos, sample);
      ++stats->out_of_order;
      ++stats->samples_appended;
      if (s->ooo.size() >= options_.max_ooo_buffer_samples) {
        absl::Status st = SealOooBuffer(s);
        if (!st.ok() && status.ok()) status = st;
        ++stats->chunks_sealed;
      }
      continue;
    }
    size_t n = s->open_chunk.num_samples();
    if (n > 0 && (n >= options_.max_samples_per_chunk || Window(t) != Window(s->open_chunk.min_time()))) {
      absl::Status st = SealOpenChunk(s);
      if (!st.ok() && status.ok()) status = st;
      ++stats->chunks_sealed;
    }
    s->open_chunk.Append(t, sample.value);
    s->last_t = t;
    s->has_samples = true;
    open_decoded = false;
    ++stats->samples_appended;
  }
  return status;
}

absl::Status Head::Append(std::string_view batch, AppendStats* stats_out) {
  auto reader = WriteBatchReader::Open(batch);
  if (!reader.ok()) return absl::InvalidArgumentError(std::string(reader.status().message()));
  const TenantId tenant = reader->tenant();
  // Reused across batches on this thread: no allocation per series or sample
  // once it has grown to the largest series seen.
  thread_local SeriesView view;
  AppendStats stats;
  absl::Status status;
  while (reader->Next(&view)) {
    const uint64_t hash = SeriesHash(tenant, view.labels);
    Stripe& stripe = StripeFor(hash);
    absl::MutexLock l(&stripe.mu);
    MemSeries* s = GetOrCreateSeries(stripe, tenant, hash, view, &stats);
    absl::Status st = AppendSamples(s, view.samples, &stats);
    if (!st.ok() && status.ok()) status = st;
  }
  if (!reader->status().ok() && status.ok()) status = absl::InvalidArgumentError(std::string(reader->status().message()));

  if (stats.samples_appended) metrics_.samples_appended.Increment(static_cast<double>(stats.samples_appended));
  if (stats.duplicates) metrics_.duplicates.Increment(static_cast<double>(stats.duplicates));
  if (stats.out_of_order) metrics_.out_of_order.Increment(static_cast<double>(stats.out_of_order));
  if (stats.too_old) metrics_.too_old.Increment(static_cast<double>(stats.too_old));
  if (stats.series_created) metrics_.series.Increment(static_cast<double>(stats.series_created));
  if (stats.chunks_sealed) metrics_.chunks_sealed.Increment(static_cast<double>(stats.chunks_sealed));
  if (stats_out != nullptr) *stats_out = stats;
  return status;
}

}  // namespace strata::storage
