#include "storage/head/head.h"

#include <limits>

#include "common/model/series_hash.h"
#include "storage/metrics/storage_metrics.h"

namespace strata::storage {

Head::Head(const HeadOptions& options, StorageMetrics& metrics, std::unique_ptr<ChunkStore> chunks)
    : options_(options), metrics_(metrics), chunks_(std::move(chunks)) {}

Head::~Head() = default;

int64_t Head::Window(int64_t t) const {
  // Floor division, so negative timestamps fall into the right window too.
  int64_t q = t / options_.chunk_range_ms;
  return (t % options_.chunk_range_ms < 0) ? q - 1 : q;
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

namespace {

bool SameLabels(const Labels& labels, const std::vector<LabelView>& view) {
  if (labels.size() != view.size()) return false;
  for (size_t i = 0; i < view.size(); ++i) {
    const Label& l = labels.items()[i];
    if (l.name != view[i].name || l.value != view[i].value) return false;
  }
  return true;
}

}  // namespace

MemSeries* Head::GetOrCreateSeries(Stripe& stripe, TenantId tenant, uint64_t hash, const SeriesView& view,
                                   AppendStats* stats) {
  // The hash only narrows the search: identity is tenant + labels.
  MemSeries** slot = &stripe.by_hash[hash];
  for (MemSeries* s = *slot; s != nullptr; s = s->next_same_hash) {
    if (s->tenant == tenant && SameLabels(s->labels, view.labels)) return s;
  }
  TenantIndex& index = GetOrCreateTenant(tenant);
  Labels labels = Labels::FromViews(view.labels);
  MemSeries* series;
  {
    // The id is taken under the tenant's index lock so that each postings
    // list receives ids in increasing order (MemPostings::Add).
    absl::MutexLock l(&index.mu);
    uint64_t id = next_series_id_.fetch_add(1, std::memory_order_relaxed);
    stripe.owned.push_back(std::make_unique<MemSeries>(id, tenant, hash, std::move(labels)));
    series = stripe.owned.back().get();
    index.postings.Add(id, series->labels);
    index.by_id.emplace(id, series);
  }
  series->next_same_hash = *slot;
  *slot = series;
  num_series_.fetch_add(1, std::memory_order_relaxed);
  ++stats->series_created;
  if (options_.track_new_series) {
    absl::MutexLock l(&new_series_mu_);
    new_series_.push_back(series);
  }
  return series;
}

void Head::AddPersistedSeries(uint64_t id, TenantId tenant, Labels labels, int64_t last_t) {
  const uint64_t hash = SeriesHash(tenant, labels);
  Stripe& stripe = StripeFor(hash);
  TenantIndex& index = GetOrCreateTenant(tenant);
  absl::MutexLock sl(&stripe.mu);
  MemSeries** slot = &stripe.by_hash[hash];
  MemSeries* series;
  {
    absl::MutexLock l(&index.mu);
    stripe.owned.push_back(std::make_unique<MemSeries>(id, tenant, hash, std::move(labels)));
    series = stripe.owned.back().get();
    index.postings.Add(id, series->labels);
    index.by_id.emplace(id, series);
  }
  series->next_same_hash = *slot;
  *slot = series;
  if (last_t != std::numeric_limits<int64_t>::min()) {
    series->last_t = last_t;
    series->has_samples = true;
  }
  num_series_.fetch_add(1, std::memory_order_relaxed);
  ReserveSeriesIds(id + 1);
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
    for (const std::unique_ptr<MemSeries>& owned : stripe.owned) {
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

std::vector<std::string> Head::LabelValues(TenantId tenant, std::string_view name) const {
  const TenantIndex* index = FindTenant(tenant);
  if (index == nullptr) return {};
  absl::ReaderMutexLock l(&index->mu);
  return index->postings.LabelValues(name);
}

}  // namespace strata::storage
