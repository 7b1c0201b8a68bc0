// Rebuilding the head from WAL records at startup.
#include <fmt/format.h>

#include <algorithm>

#include "common/model/series_hash.h"
#include "common/model/write_batch.h"
#include "storage/head/head.h"
#include "storage/head/wal_replay.h"

namespace strata::storage {

absl::StatusOr<MemSeries*> Head::ResolveKnown(TenantId tenant, std::span<const LabelView> labels,
                                              const KnownSeries& known, uint64_t* created) {
  const std::string packed = PackLabels(labels);
  const uint64_t hash = LocalSeriesHash(tenant, packed);
  Stripe& stripe = StripeFor(hash);
  absl::MutexLock l(&stripe.mu);
  AppendStats stats;
  absl::StatusOr<MemSeries*> series = GetOrCreateSeries(stripe, tenant, hash, packed, labels, &known, &stats);
  *created += stats.series_created;
  // Its definition is in a replayed record: segments are kept until the
  // series is persisted, so records appended from now on may name it by id.
  if (series.ok()) (*series)->wal_defined = true;
  return series;
}

WalReplayer::WalReplayer(Head* head, IdLookup lookup) : head_(head), lookup_(std::move(lookup)) {}

absl::Status WalReplayer::Replay(std::string_view record, AppendStats* stats) {
  if (!record.empty() && record[0] == kWalSamplesRecordType) return ReplaySamplesRecord(record, stats);
  if (!record.empty() && record[0] == kWriteBatchMagic) {
    // A whole write batch (the log format before samples records). They
    // were validated before they were logged, so a failure here means a
    // CRC-valid but foreign or corrupt payload: skip it whole rather than
    // apply half a batch.
    absl::Status parsed = ParseWriteBatch(record, &batch_);
    if (!parsed.ok()) {
      return absl::DataLossError(fmt::format("cannot replay WAL record: {}", std::string(parsed.message())));
    }
    absl::Status resolved = head_->Resolve(&batch_);
    for (const HeadBatch::Series& s : batch_.series) {
      if (s.series != nullptr) by_id_.emplace(s.series->id, s.series);
    }
    absl::Status applied = head_->Apply(batch_, stats);
    return resolved.ok() ? applied : resolved;
  }
  return absl::DataLossError(fmt::format("cannot replay WAL record: unknown record type 0x{:02x} ({} bytes)",
                                         record.empty() ? 0 : static_cast<unsigned char>(record[0]), record.size()));
}

void WalReplayer::AddToBatch(MemSeries* series, std::span<const Sample> samples) {
  HeadBatch::Series& s = batch_.AddSeries(samples);
  s.series = series;
  s.hash = series->hash;  // Head::Apply groups the batch by it
}

absl::Status WalReplayer::ReplaySamplesRecord(std::string_view record, AppendStats* stats) {
  absl::Status decoded = DecodeWalRecord(record, &record_);
  if (!decoded.ok()) {
    return absl::DataLossError(fmt::format("cannot replay WAL record: {}", std::string(decoded.message())));
  }
  batch_.Clear();
  batch_.tenant = record_.tenant;
  absl::Status status;
  auto keep_first = [&status](const absl::Status& st) {
    if (!st.ok() && status.ok()) status = st;
  };
  for (const WalRecord::Definition& def : record_.definitions) {
    max_id_ = std::max(max_id_, def.id);
    if (by_id_.contains(def.id)) continue;
    Head::KnownSeries known;
    known.id = def.id;
    absl::StatusOr<MemSeries*> series =
        head_->ResolveKnown(record_.tenant, record_.labels_of(def), known, &batch_.series_created);
    if (!series.ok()) {
      keep_first(series.status());
      continue;
    }
    by_id_.emplace(def.id, *series);
    // Samples logged before this definition (a racing append's record):
    // they are older in log order than this record's, so they go first.
    auto waiting = pending_.find(def.id);
    if (waiting != pending_.end()) {
      AddToBatch(*series, waiting->second);
      pending_.erase(waiting);
    }
  }
  for (const WalRecord::Entry& e : record_.entries) {
    std::span<const Sample> samples = record_.samples_of(e);
    max_id_ = std::max(max_id_, e.id);
    auto it = by_id_.find(e.id);
    if (it != by_id_.end()) {
      AddToBatch(it->second, samples);
      continue;
    }
    auto waiting = pending_.find(e.id);
    if (waiting != pending_.end()) {  // keep log order behind the waiting ones
      waiting->second.insert(waiting->second.end(), samples.begin(), samples.end());
      continue;
    }
    if (lookup_) {
      absl::StatusOr<std::optional<StoredSeries>> stored = lookup_(e.id);
      if (!stored.ok()) {
        keep_first(stored.status());
        continue;
      }
      if (stored->has_value() && (*stored)->deleted) {
        deleted_samples_ += samples.size();
        continue;
      }
      if (stored->has_value()) {
        const StoredSeries& found = **stored;
        views_.clear();
        for (const Label& l : found.labels) views_.push_back({l.name, l.value});
        Head::KnownSeries known;
        known.id = e.id;
        known.persisted = true;
        known.last_t = found.last_t;
        absl::StatusOr<MemSeries*> series = head_->ResolveKnown(found.tenant, views_, known, &batch_.series_created);
        if (!series.ok()) {
          keep_first(series.status());
          continue;
        }
        by_id_.emplace(e.id, *series);
        AddToBatch(*series, samples);
        continue;
      }
    }
    // Defined by a later record, or by none that survived.
    pending_[e.id].assign(samples.begin(), samples.end());
  }
  keep_first(head_->Apply(batch_, stats));
  return status;
}

WalReplayer::Leftover WalReplayer::Finish() {
  Leftover lost;
  for (const auto& [id, samples] : pending_) {
    ++lost.series;
    lost.samples += samples.size();
  }
  pending_.clear();
  if (max_id_ > 0) head_->ReserveSeriesIds(max_id_ + 1);
  return lost;
}

}  // namespace strata::storage
