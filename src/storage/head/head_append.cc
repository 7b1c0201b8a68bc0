// Append path: parsing and validation, series resolution, sample rules and
// chunk sealing.
#include <fmt/format.h>

#include <algorithm>
#include <array>

#include "common/base/check.h"
#include "common/base/status.h"
#include "common/chunkenc/xor_chunk.h"
#include "common/model/series_hash.h"
#include "storage/head/head.h"
#include "storage/index/time_partition.h"
#include "storage/metrics/storage_metrics.h"

namespace strata::storage {

absl::Status ParseWriteBatch(std::string_view batch, HeadBatch* out) {
  out->Clear();
  auto reader = WriteBatchReader::Open(batch);
  if (!reader.ok()) return absl::InvalidArgumentError(std::string(reader.status().message()));
  out->tenant = reader->tenant();
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
    if (view.samples.empty() && view.exemplars.empty()) {
      return absl::InvalidArgumentError(fmt::format("series {} of write batch has no samples", n));
    }
    // Hashed here, outside every lock. Exemplars are keyed by the placement
    // hash (rocks_store.h), the head by the cheaper local one.
    const uint64_t exemplar_key = view.exemplars.empty() ? 0 : SeriesHash(out->tenant, view.labels);
    for (const ExemplarView& e : view.exemplars) {
      const size_t label_begin = out->exemplar_labels.size();
      std::span<const LabelView> labels = e.labels_in(view.exemplar_labels);
      out->exemplar_labels.insert(out->exemplar_labels.end(), labels.begin(), labels.end());
      out->AddExemplar(exemplar_key, label_begin, e.timestamp_ms, e.value);
    }
    ++n;
    if (view.samples.empty()) continue;
    HeadBatch::Series& s = out->AddSeries(view.samples);
    s.label_count = static_cast<uint32_t>(view.labels.size());
    s.hash = LocalSeriesHash(out->tenant, view.packed_labels);
    s.packed_labels = view.packed_labels;
  }
  if (!reader->status().ok()) return absl::InvalidArgumentError(std::string(reader->status().message()));
  return absl::OkStatus();
}

void FillHeadBatch(const SeriesBatch& batch, std::span<const uint32_t> subset, HeadBatch* out) {
  out->Clear();
  out->tenant = batch.tenant();
  // The samples stay where they are: copying them was 1.6% of ingest CPU.
  out->shared_samples = batch.all_samples();
  const std::span<const SeriesBatch::Series> all = batch.series();
  for (uint32_t i : subset) {
    const SeriesBatch::Series& in = all[i];
    if (in.exemplar_count > 0) {
      // Keyed by the placement hash, as ParseWriteBatch keys them.
      const uint64_t key = SeriesHashOfPacked(out->tenant, batch.packed_labels(in));
      for (const SeriesBatch::Exemplar& e : batch.exemplars(in)) {
        const size_t label_begin = out->exemplar_labels.size();
        AppendPackedLabelViews(batch.packed_labels(e), &out->exemplar_labels);
        out->AddExemplar(key, label_begin, e.timestamp_ms, e.value);
      }
    }
    if (in.sample_count == 0) continue;  // exemplars only
    HeadBatch::Series& s = out->AddSharedSeries(in.sample_begin, in.sample_begin + in.sample_count);
    s.label_count = in.label_count;
    s.packed_labels = batch.packed_labels(in);
    s.hash = LocalSeriesHash(out->tenant, s.packed_labels);
  }
}

absl::Status ValidateWriteBatch(std::string_view batch) {
  thread_local HeadBatch parsed;
  return ParseWriteBatch(batch, &parsed);
}

void Head::QueueDayPostings(MemSeries* s, int64_t min_time, int64_t max_time, bool out_of_order) {
  if (!options_.track_new_series) return;
  int64_t first = DayOf(min_time);
  const int64_t last = DayOf(max_time);
  // In-order chunks move forward in time: a day already queued for the
  // series needs nothing more. Out-of-order chunks may reach back to any
  // day; their postings are queued again (writing them twice is harmless).
  if (!out_of_order) first = std::max(first, s->indexed_through_day + 1);  // INT64_MIN + 1: no overflow
  if (first > last) return;
  std::shared_ptr<const MemSeries> self = s->shared_from_this();
  {
    absl::MutexLock l(&new_series_mu_);
    for (int64_t day = first; day <= last; ++day) day_postings_.push_back(DayPosting{self, day});
  }
  if (!out_of_order) s->indexed_through_day = std::max(s->indexed_through_day, last);
}

absl::Status Head::SealOpenChunk(MemSeries* s) {
  QueueDayPostings(s, s->open_chunk.min_time(), s->open_chunk.max_time(), /*out_of_order=*/false);
  ChunkData chunk;
  chunk.min_time_ms = s->open_chunk.min_time();
  chunk.max_time_ms = s->open_chunk.max_time();
  chunk.encoding = ChunkEncoding::kXor;
  chunk.data = s->open_chunk.Finish();
  return chunks_->Add(s->id, std::move(chunk));
}

absl::Status Head::SealOooBuffer(MemSeries* s) {
  QueueDayPostings(s, s->ooo.front().timestamp_ms, s->ooo.back().timestamp_ms, /*out_of_order=*/true);
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

absl::Status Head::AppendSamples(MemSeries* s, std::span<const Sample> samples, AppendStats* stats) {
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
      s->active = true;
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
    // t > last_t >= the chunk's first timestamp: past the window's end is
    // the only way out of its window.
    if (n > 0 && (n >= options_.max_samples_per_chunk || t >= s->open_chunk_window_end)) {
      absl::Status st = SealOpenChunk(s);
      if (!st.ok() && status.ok()) status = st;
      ++stats->chunks_sealed;
      n = 0;
    }
    // One division per chunk, not two per sample.
    if (n == 0) s->open_chunk_window_end = WindowEnd(t);
    s->open_chunk.Append(t, sample.value);
    s->active = true;
    s->last_t = t;
    s->has_samples = true;
    open_decoded = false;
    ++stats->samples_appended;
  }
  return status;
}

namespace {

// REQUIRES: s->series set, its stripe's mutex held.
void MarkResolved(HeadBatch::Series* s) {
  // Before the samples arrive: an eviction pass running meanwhile must
  // keep the series (see Apply).
  s->series->active = true;
  // A definition still in flight in another append's record does not
  // count: that record may fail or land after ours, so ours carries the
  // definition too (duplicates are harmless).
  s->define = !s->series->persisted && !s->series->wal_defined;
}

}  // namespace

void Head::OrderByStripe(const HeadBatch& batch, std::vector<uint32_t>* order) const {
  // A counting sort: stable, so each stripe's series keep batch order.
  std::array<uint32_t, kStripes + 1> begin{};
  for (const HeadBatch::Series& s : batch.series) ++begin[s.hash % kStripes + 1];
  for (size_t i = 1; i <= kStripes; ++i) begin[i] += begin[i - 1];
  order->resize(batch.series.size());
  std::array<uint32_t, kStripes> next;
  std::copy(begin.begin(), begin.end() - 1, next.begin());
  for (size_t i = 0; i < batch.series.size(); ++i) {
    (*order)[next[batch.series[i].hash % kStripes]++] = static_cast<uint32_t>(i);
  }
}

template <typename Fn>
void Head::ForEachStripeGroup(const HeadBatch& batch, std::span<const uint32_t> order, Fn&& fn) const {
  size_t i = 0;
  while (i < order.size()) {
    const size_t stripe = batch.series[order[i]].hash % kStripes;
    size_t j = i + 1;
    while (j < order.size() && batch.series[order[j]].hash % kStripes == stripe) ++j;
    fn(stripes_[stripe], order.subspan(i, j - i));
    i = j;
  }
}

absl::Status Head::Resolve(HeadBatch* batch) {
  AppendStats stats;
  absl::Status status;
  OrderByStripe(*batch, &batch->by_stripe);
  // One lock per stripe and pass instead of one per series. The lookups go
  // in passes over the whole batch, each starting the memory loads the next
  // one needs: a batch's series are spread over the whole head, so each
  // lookup is a chain of cache misses (the hash slot, then the series with
  // its labels: series.h), and started a whole pass ahead those misses
  // overlap one another and the work in between instead of being waited
  // for one after the other. A pass keeps nothing but prefetches, so what
  // other appends change between passes does not matter.
  // Series new to the head are created afterwards, in batch order: ids are
  // assigned in creation order, and chunks are keyed by id, so creating
  // them in stripe (hash) order would scatter the series a client sends
  // together (one target's, similar to each other) over the key space,
  // and RocksDB's block compression finds less to share (measured: 20%
  // more bytes on disk).
  ForEachStripeGroup(*batch, batch->by_stripe, [&](Stripe& stripe, std::span<const uint32_t> group) {
    absl::MutexLock l(&stripe.mu);
    for (uint32_t i : group) stripe.by_hash.Prefetch(batch->series[i].hash);
  });
  ForEachStripeGroup(*batch, batch->by_stripe, [&](Stripe& stripe, std::span<const uint32_t> group) {
    absl::MutexLock l(&stripe.mu);
    for (uint32_t i : group) {
      const HeadBatch::Series& s = batch->series[i];
      if (const MemSeries* first = stripe.by_hash.Find(s.hash); first != nullptr) {
        PrefetchSeriesIdentity(*first, s.packed_labels.size());
      }
    }
  });
  thread_local std::vector<uint32_t> missing;
  missing.clear();
  ForEachStripeGroup(*batch, batch->by_stripe, [&](Stripe& stripe, std::span<const uint32_t> group) {
    absl::MutexLock l(&stripe.mu);
    for (uint32_t i : group) {
      HeadBatch::Series& s = batch->series[i];
      s.series = FindInHead(stripe, batch->tenant, s.hash, s.packed_labels);
      if (s.series == nullptr) {
        missing.push_back(i);
      } else {
        MarkResolved(&s);
      }
    }
  });
  std::sort(missing.begin(), missing.end());
  thread_local std::vector<LabelView> labels;
  for (uint32_t i : missing) {
    HeadBatch::Series& s = batch->series[i];
    labels.clear();
    AppendPackedLabelViews(s.packed_labels, &labels);
    Stripe& stripe = StripeFor(s.hash);
    absl::MutexLock l(&stripe.mu);
    absl::StatusOr<MemSeries*> found =
        GetOrCreateSeries(stripe, batch->tenant, s.hash, s.packed_labels, labels, /*known=*/nullptr, &stats);
    if (!found.ok()) {
      if (status.ok()) status = found.status();
      s.series = nullptr;
      s.define = false;
      continue;
    }
    s.series = *found;
    MarkResolved(&s);
  }
  batch->series_created = stats.series_created;
  return status;
}

absl::Status Head::Apply(const HeadBatch& batch, AppendStats* stats_out) {
  AppendStats stats;
  stats.series_created = batch.series_created;
  absl::Status status;
  // Same grouping as Resolve, which left it in batch.by_stripe; a batch
  // that did not go through Resolve (WAL replay) is grouped here.
  thread_local std::vector<uint32_t> own_order;
  std::span<const uint32_t> order(batch.by_stripe);
  if (order.size() != batch.series.size()) {
    OrderByStripe(batch, &own_order);
    order = own_order;
  }
  // In passes, each starting the memory loads of the next (see Resolve).
  // The series' addresses need no lock: Resolve (or replay) found them.
  for (const HeadBatch::Series& s : batch.series) {
    if (s.series != nullptr) PrefetchSeriesAppendState(*s.series);
  }
  ForEachStripeGroup(batch, order, [&](Stripe& stripe, std::span<const uint32_t> group) {
    absl::MutexLock l(&stripe.mu);
    for (uint32_t i : group) {
      if (const MemSeries* s = batch.series[i].series; s != nullptr) PrefetchOpenChunkEnd(*s);
    }
  });
  ForEachStripeGroup(batch, order, [&](Stripe& stripe, std::span<const uint32_t> group) {
    absl::MutexLock l(&stripe.mu);
    for (uint32_t i : group) {
      const HeadBatch::Series& s = batch.series[i];
      MemSeries* series = s.series;
      if (series == nullptr) continue;  // Resolve failed for it
      // The lock taken is the series' own only if the batch carries its hash.
      STRATA_CHECK(&StripeFor(series->hash) == &stripe);
      if (s.define) series->wal_defined = true;
      absl::Status st = AppendSamples(series, batch.samples_of(s), &stats);
      if (!st.ok() && status.ok()) status = st;
    }
  });
  if (stats.samples_appended) metrics_.samples_appended.Increment(static_cast<double>(stats.samples_appended));
  if (stats.duplicates) metrics_.duplicates.Increment(static_cast<double>(stats.duplicates));
  if (stats.out_of_order) metrics_.out_of_order.Increment(static_cast<double>(stats.out_of_order));
  if (stats.too_old) metrics_.too_old.Increment(static_cast<double>(stats.too_old));
  if (stats.chunks_sealed) metrics_.chunks_sealed.Increment(static_cast<double>(stats.chunks_sealed));
  if (stats_out != nullptr) *stats_out = stats;
  return status;
}

absl::Status Head::Append(std::string_view batch, AppendStats* stats) {
  // Reused across batches on this thread: no allocation per series or
  // sample once it has grown to the largest batch seen.
  thread_local HeadBatch parsed;
  if (stats != nullptr) *stats = AppendStats();
  STRATA_RETURN_IF_ERROR(ParseWriteBatch(batch, &parsed));
  absl::Status resolved = Resolve(&parsed);
  absl::Status applied = Apply(parsed, stats);
  return resolved.ok() ? applied : resolved;
}

}  // namespace strata::storage
