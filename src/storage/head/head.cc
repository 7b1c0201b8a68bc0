#include "storage/head/head.h"

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
  return series;
}

std::vector<std::string> Head::LabelValues(TenantId tenant, std::string_view name) const {
  const TenantIndex* index = FindTenant(tenant);
  if (index == nullptr) return {};
  absl::ReaderMutexLock l(&index->mu);
  return index->postings.LabelValues(name);
}

}  // namespace strata::storage
