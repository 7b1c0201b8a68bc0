// File: storage/head/head_batch.h
//
// A write batch on its way through the storage engine's append path,
// decoded once: ParseWriteBatch validates an encoded batch and lays out its
// series and samples (FillHeadBatch does the same for a SeriesBatch from
// the insert side in the same process); Head::Resolve then finds or
// creates each series (and decides which series' definitions the WAL
// record must carry); the engine encodes the WAL record from it
// (wal_record.h); Head::Apply appends the samples.
// Nothing is decoded twice and no series is hashed or looked up twice.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "common/model/labels.h"
#include "common/model/sample.h"
#include "common/model/series_batch.h"
#include "common/model/tenant.h"

namespace strata::storage {

struct MemSeries;

// Not thread-safe: one batch per thread at a time (the engine reuses a
// thread_local one, so steady-state appends do not allocate). The packed
// labels and the exemplar label views point into the encoded batch or the
// SeriesBatch, which must outlive their use. A series' labels are read
// from their packed form only when the series is new to the head: most are
// not.
struct HeadBatch {
  struct Series {
    uint32_t label_count = 0;
    uint32_t sample_begin = 0, sample_end = 0;  // into `samples`
    uint64_t hash = 0;                          // LocalSeriesHash(tenant, packed_labels)
    // `label_count` labels, sorted and valid, in the packed form
    // (write_batch.h): SeriesView::packed_labels or
    // SeriesBatch::packed_labels.
    std::string_view packed_labels;
    // Set by Head::Resolve; stays valid until Head::Apply (see there).
    MemSeries* series = nullptr;
    // Set by Head::Resolve: the WAL record must define the series (id,
    // labels), because neither the persistent index nor a durable WAL
    // record knows it yet.
    bool define = false;
  };

  // An exemplar of a 0x58 batch (write_batch.h). Exemplars bypass the head
  // and the WAL: the engine writes them straight to RocksDB's exemplars
  // column family, keyed by the series hash (rocks_store.h PutExemplars).
  struct Exemplar {
    uint64_t series_hash = 0;
    uint32_t label_begin = 0, label_end = 0;  // into `exemplar_labels`
    int64_t timestamp_ms = 0;
    double value = 0;
  };

  TenantId tenant;
  // The samples the series' ranges index: this vector (parsed batches,
  // replay), or, when FillHeadBatch set `shared_samples`, the SeriesBatch's
  // own, which are then not copied. Read them through samples_of.
  std::vector<Sample> samples;
  std::span<const Sample> shared_samples;
  std::vector<Series> series;  // the series with samples
  // Set by Head::Resolve, used again by Head::Apply: indexes into `series`
  // grouped by head stripe, so that each stripe is locked once per batch.
  std::vector<uint32_t> by_stripe;
  std::vector<LabelView> exemplar_labels;
  std::vector<Exemplar> exemplars;
  // Filled by Head::Resolve: series new to the node (AppendStats).
  uint64_t series_created = 0;

  // Adds a series with a copy of `series_samples`; the caller fills in the
  // rest of it.
  Series& AddSeries(std::span<const Sample> series_samples) {
    Series& s = series.emplace_back();
    s.sample_begin = static_cast<uint32_t>(samples.size());
    samples.insert(samples.end(), series_samples.begin(), series_samples.end());
    s.sample_end = static_cast<uint32_t>(samples.size());
    return s;
  }
  // Adds a series whose samples are shared_samples[begin, end).
  // REQUIRES: shared_samples set, and no series added by AddSeries.
  Series& AddSharedSeries(uint32_t begin, uint32_t end) {
    Series& s = series.emplace_back();
    s.sample_begin = begin;
    s.sample_end = end;
    return s;
  }
  // Adds an exemplar whose labels are exemplar_labels[label_begin, end).
  void AddExemplar(uint64_t series_hash, size_t label_begin, int64_t timestamp_ms, double value) {
    exemplars.push_back(Exemplar{series_hash, static_cast<uint32_t>(label_begin),
                                 static_cast<uint32_t>(exemplar_labels.size()), timestamp_ms, value});
  }
  std::span<const Sample> samples_of(const Series& s) const {
    const std::span<const Sample> all = shared_samples.data() != nullptr ? shared_samples : samples;
    return all.subspan(s.sample_begin, s.sample_end - s.sample_begin);
  }
  // Samples of all the series.
  size_t sample_count() const {
    size_t n = 0;
    for (const Series& s : series) n += s.sample_end - s.sample_begin;
    return n;
  }
  void Clear() {
    samples.clear();
    shared_samples = {};
    series.clear();
    by_stripe.clear();
    exemplar_labels.clear();
    exemplars.clear();
    series_created = 0;
  }
};

// Decodes and validates an encoded write batch (common/model/write_batch.h)
// into `*out` (cleared first): every series has sorted, unique, non-empty
// label names, non-empty values and at least one sample or exemplar
// (only series with samples enter `series`). InvalidArgument
// naming the problem otherwise (ValidateWriteBatch's messages).
absl::Status ParseWriteBatch(std::string_view batch, HeadBatch* out);

// Lays out the series `subset` of `batch` (indexes into batch.series()) in
// `*out` (cleared first), as ParseWriteBatch does for an encoded batch, but
// without checks: SeriesBatch::AddSeries requires validated labels. The
// views in `*out`, and its samples, point into `batch`.
void FillHeadBatch(const SeriesBatch& batch, std::span<const uint32_t> subset, HeadBatch* out);

}  // namespace strata::storage
