#include "storage/head/head.h"

#include <algorithm>
#include <limits>

#include "absl/container/flat_hash_set.h"

#include "common/model/series_hash.h"
#include "storage/metrics/storage_metrics.h"

namespace strata::storage {

Head::Head(const HeadOptions& options, StorageMetrics& metrics, std::unique_ptr<ChunkStore> chunks,
           const SeriesSource* source)
    : options_(options), metrics_(metrics), chunks_(std::move(chunks)), source_(source) {}

Head::~Head() = default;

int64_t Head::WindowEnd(int64_t t) const {
  const int64_t range = options_.chunk_range_ms;
  // Floor division, so negative timestamps fall into the right window too.
  const int64_t window = t / range - (t % range < 0 ? 1 : 0);
  if (window >= std::numeric_limits<int64_t>::max() / range - 1) return std::numeric_limits<int64_t>::max();
  return (window + 1) * range;
}

Head::TenantIndex& Head::GetOrCreateTenant(TenantId tenant) {
  {
    absl::ReaderMutexLock l(&tenants_mu_);
    auto it = tenants_.find(tenant);
    if (it != tenants_.end()) return *it->second;
  }
  absl::MutexLock l(&tenants_mu_);
  auto& slot = tenants_[tenant];
  if (!slot) slot = std::make_unique<TenantIndex>();
  return *slot;
}

const Head::TenantIndex* Head::FindTenant(TenantId tenant) const {
  absl::ReaderMutexLock l(&tenants_mu_);
  auto it = tenants_.find(tenant);
  return it == tenants_.end() ? nullptr : it->second.get();
}

MemSeries* Head::FindInHead(Stripe& stripe, TenantId tenant, uint64_t hash, std::string_view packed_labels) const {
  // The hash only narrows the search: identity is tenant + labels.
  for (MemSeries* s = stripe.by_hash.Find(hash); s != nullptr; s = s->next_same_hash) {
    if (s->tenant == tenant && s->packed_labels() == packed_labels) return s;
  }
  return nullptr;
}

absl::StatusOr<MemSeries*> Head::GetOrCreateSeries(Stripe& stripe, TenantId tenant, uint64_t hash,
                                                   std::string_view packed_labels,
                                                   std::span<const LabelView> label_views, const KnownSeries* known,
                                                   AppendStats* stats) {
  if (MemSeries* s = FindInHead(stripe, tenant, hash, packed_labels); s != nullptr) return s;
  // Not in the head: a series seen before keeps its id (and its chunks in
  // the store), so ask the persistent index before assigning a new one.
  std::optional<SeriesSource::Found> found;
  if (known != nullptr && known->persisted) {
    found = SeriesSource::Found{known->id, known->last_t};  // replay read it from the index by id
  } else if (source_ != nullptr) {
    absl::StatusOr<std::optional<SeriesSource::Found>> looked_up =
        source_->Find(tenant, label_views);
    if (!looked_up.ok()) return looked_up.status();
    found = *looked_up;
  }
  TenantIndex& index = GetOrCreateTenant(tenant);
  std::shared_ptr<MemSeries> series;
  {
    // The ref is taken under the tenant's index lock so that each postings
    // list receives refs in increasing order (MemPostings::Add).
    absl::MutexLock l(&index.mu);
    // Replay recreates a WAL-defined series under the id its records use.
    const uint64_t id = found   ? found->id
                        : known ? known->id
                                : next_series_id_.fetch_add(1, std::memory_order_relaxed);
    const uint64_t ref = next_ref_.fetch_add(1, std::memory_order_relaxed);
    series = MemSeries::Create(id, ref, tenant, hash, packed_labels);
    index.postings.Add(ref, label_views);
    index.by_ref.emplace(ref, series);
  }
  stripe.owned.push_back(series);
  series->next_same_hash = stripe.by_hash.Find(hash);
  stripe.by_hash.Set(hash, series.get());
  num_series_.fetch_add(1, std::memory_order_relaxed);
  metrics_.series.Increment();
  if (found) {
    // As if the head had never let it go: samples at or before its newest
    // persisted one are duplicates, out of order or too old.
    series->persisted = true;
    if (found->last_t != std::numeric_limits<int64_t>::min()) {
      series->last_t = found->last_t;
      series->has_samples = true;
    }
    ReserveSeriesIds(found->id + 1);
    return series.get();
  }
  if (known != nullptr) ReserveSeriesIds(known->id + 1);
  ++stats->series_created;
  if (options_.track_new_series) {
    absl::MutexLock l(&new_series_mu_);
    new_series_.push_back(series.get());
  }
  return series.get();
}

void Head::ReserveSeriesIds(uint64_t next_id) {
  uint64_t next = next_series_id_.load(std::memory_order_relaxed);
  while (next < next_id && !next_series_id_.compare_exchange_weak(next, next_id, std::memory_order_relaxed)) {
  }
}

absl::StatusOr<uint64_t> Head::SealAll() {
  uint64_t sealed = 0;
  absl::Status status;
  for (Stripe& stripe : stripes_) {
    absl::MutexLock l(&stripe.mu);
    for (const std::shared_ptr<MemSeries>& owned : stripe.owned) {
      MemSeries* s = owned.get();
      if (s->open_chunk.num_samples() > 0) {
        absl::Status st = SealOpenChunk(s);
        if (!st.ok() && status.ok()) status = st;
        ++sealed;
      }
      if (!s->ooo.empty()) {
        absl::Status st = SealOooBuffer(s);
        if (!st.ok() && status.ok()) status = st;
        ++sealed;
      }
    }
  }
  if (sealed) metrics_.chunks_sealed.Increment(static_cast<double>(sealed));
  if (!status.ok()) return status;
  return sealed;
}

std::vector<const MemSeries*> Head::TakeNewSeries() {
  absl::MutexLock l(&new_series_mu_);
  std::vector<const MemSeries*> out;
  out.swap(new_series_);
  return out;
}

void Head::PutBackNewSeries(std::vector<const MemSeries*> series) {
  absl::MutexLock l(&new_series_mu_);
  series.insert(series.end(), new_series_.begin(), new_series_.end());
  new_series_.swap(series);
}

void Head::MarkPersisted(std::span<const MemSeries* const> series) {
  for (const MemSeries* s : series) {
    absl::MutexLock l(&StripeFor(s->hash).mu);
    const_cast<MemSeries*>(s)->persisted = true;  // the head owns it; callers see it const
  }
}

std::vector<DayPosting> Head::TakeDayPostings() {
  absl::MutexLock l(&new_series_mu_);
  std::vector<DayPosting> out;
  out.swap(day_postings_);
  return out;
}

void Head::PutBackDayPostings(std::vector<DayPosting> postings) {
  absl::MutexLock l(&new_series_mu_);
  postings.insert(postings.end(), std::make_move_iterator(day_postings_.begin()),
                  std::make_move_iterator(day_postings_.end()));
  day_postings_.swap(postings);
}

void Head::Unlink(Stripe& stripe, MemSeries* s) {
  MemSeries* const first = stripe.by_hash.Find(s->hash);
  if (first == s) {
    if (s->next_same_hash == nullptr) {
      stripe.by_hash.Erase(s->hash);
    } else {
      stripe.by_hash.Set(s->hash, s->next_same_hash);
    }
  } else {
    MemSeries* prev = first;
    while (prev->next_same_hash != s) prev = prev->next_same_hash;
    prev->next_same_hash = s->next_same_hash;
  }
  // Out of by_ref under the stripe lock, so that when the series comes
  // back (under this lock) no reader ever sees two refs of it.
  TenantIndex& index = GetOrCreateTenant(s->tenant);
  absl::MutexLock il(&index.mu);
  index.by_ref.erase(s->ref);
}

uint64_t Head::DropSeries(std::span<const std::shared_ptr<const MemSeries>> series) {
  // Grouped by stripe: one pass over each stripe's series, whatever the
  // number dropped (delete_series may match a large part of the head).
  std::vector<absl::flat_hash_set<const MemSeries*>> by_stripe(kStripes);
  for (const std::shared_ptr<const MemSeries>& s : series) by_stripe[s->hash % kStripes].insert(s.get());
  absl::flat_hash_map<TenantId, absl::flat_hash_set<uint64_t>> dropped;
  absl::flat_hash_set<const MemSeries*> gone;
  for (size_t i = 0; i < kStripes; ++i) {
    if (by_stripe[i].empty()) continue;
    Stripe& stripe = stripes_[i];
    absl::MutexLock l(&stripe.mu);
    // Series evicted or dropped meanwhile are no longer in `owned`.
    std::erase_if(stripe.owned, [&](const std::shared_ptr<MemSeries>& o) {
      if (!by_stripe[i].contains(o.get())) return false;
      Unlink(stripe, o.get());
      dropped[o->tenant].insert(o->ref);
      gone.insert(o.get());
      return true;
    });
  }
  {
    // A dropped series must not be persisted by the next flush.
    absl::MutexLock l(&new_series_mu_);
    std::erase_if(new_series_, [&](const MemSeries* s) { return gone.contains(s); });
  }
  for (const auto& [tenant, refs] : dropped) {
    TenantIndex& index = GetOrCreateTenant(tenant);
    absl::MutexLock l(&index.mu);
    index.postings.Remove(refs);
  }
  if (!gone.empty()) {
    num_series_.fetch_sub(gone.size(), std::memory_order_relaxed);
    metrics_.series.Decrement(static_cast<double>(gone.size()));
  }
  return gone.size();
}

uint64_t Head::EvictIdle() {
  // Evicted refs per tenant; their postings are pruned at the end, in one
  // pass per tenant. Until then SelectSeries skips refs missing from by_ref.
  absl::flat_hash_map<TenantId, absl::flat_hash_set<uint64_t>> evicted;
  uint64_t removed = 0;
  for (Stripe& stripe : stripes_) {
    absl::MutexLock l(&stripe.mu);
    auto keep = stripe.owned.begin();
    for (auto it = stripe.owned.begin(); it != stripe.owned.end(); ++it) {
      MemSeries* s = it->get();
      const bool idle = s->persisted && !s->active && s->open_chunk.num_samples() == 0 && s->ooo.empty();
      s->active = false;
      if (!idle) {
        if (keep != it) *keep = std::move(*it);
        ++keep;
        continue;
      }
      Unlink(stripe, s);
      evicted[s->tenant].insert(s->ref);
      ++removed;
    }
    stripe.owned.erase(keep, stripe.owned.end());
  }
  for (const auto& [tenant, refs] : evicted) {
    TenantIndex& index = GetOrCreateTenant(tenant);
    absl::MutexLock l(&index.mu);
    index.postings.Remove(refs);
  }
  if (removed > 0) {
    num_series_.fetch_sub(removed, std::memory_order_relaxed);
    metrics_.series.Decrement(static_cast<double>(removed));
  }
  return removed;
}

std::vector<std::string> Head::LabelValues(TenantId tenant, std::string_view name) const {
  const TenantIndex* index = FindTenant(tenant);
  if (index == nullptr) return {};
  absl::ReaderMutexLock l(&index->mu);
  return index->postings.LabelValues(name);
}

}  // namespace strata::storage
