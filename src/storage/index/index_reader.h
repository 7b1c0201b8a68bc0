// File: storage/index/index_reader.h
//
// Selector evaluation on the persistent index (the `postings` column family
// of a RocksStore): series lookup by matchers, label names, label values and
// series counts, with Prometheus semantics (tsdb/querier.go
// PostingsForMatchers; the in-memory twin is head/mem_postings.cc):
//
// - a matcher that matches "" also selects series without the label
//   (`{a=""}`, `{a!="x"}`, `{a=~"x|"}`), so it only removes the series
//   whose value it rejects; with only such matchers the evaluation starts
//   from the scope's "all series" entry;
// - `=~` is a fully anchored RE2; an alternation of literals (`a|b|c`) goes
//   straight to those values' postings; `.*` is skipped, `.+` takes every
//   value of the label without running the regex; `foo.*`-style patterns
//   visit only the values in [foo, fop);
// - postings are intersected lazily (leapfrog with RocksDB seeks); when the
//   equality and literal matchers already narrow the selection to a few
//   thousand series, the other matchers are checked on those series' labels
//   (one MultiGet) instead of reading the postings of many values.
//
// Time range: a range spanning at most `max_days_per_day_scope` UTC days is
// answered from the per-day postings of those days (series that had chunks
// then), a longer one from the global scope (every series ever stored).
//
//   IndexReader reader(*store);
//   STRATA_ASSIGN_OR_RETURN(std::vector<uint64_t> ids,
//                           reader.SelectSeries(tenant, matchers, mint, maxt, 0));
#pragma once

#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "common/model/matcher.h"
#include "common/model/tenant.h"
#include "storage/index/postings_iterator.h"
#include "storage/index/rocks_store.h"

namespace strata::storage {

struct IndexReaderOptions {
  // Ranges spanning at most this many UTC days read per-day postings; longer
  // ones (or any range when 0) read the global scope.
  int64_t max_days_per_day_scope = 40;
  // When the `=` and literal `=~` matchers select at most this many series,
  // the remaining matchers are checked on their labels.
  size_t max_label_filter_candidates = 20'000;
  // Also drops ids for which this returns true (besides
  // RocksStore::IsDeleted, which always applies). Optional.
  std::function<bool(uint64_t)> is_deleted = nullptr;
};

// Thread-safe: every method is const and the store is thread-safe. The
// store must outlive the reader.
class IndexReader {
 public:
  explicit IndexReader(const RocksStore& store, IndexReaderOptions options = {});

  // Sorted, unique ids of the tenant's series that every matcher selects
  // and that have data in [mint_ms, maxt_ms] (per the scope rule above),
  // deleted ones excluded; at most `limit` (the smallest) when `limit` > 0.
  // No matchers selects every series.
  absl::StatusOr<std::vector<uint64_t>> SelectSeries(TenantId tenant, std::span<const Matcher> matchers,
                                                     int64_t mint_ms, int64_t maxt_ms, size_t limit = 0) const;

  // Sorted label names of the selected series (all series of the range
  // when `matchers` is empty); at most `limit` when `limit` > 0.
  absl::StatusOr<std::vector<std::string>> LabelNames(TenantId tenant, std::span<const Matcher> matchers,
                                                      int64_t mint_ms, int64_t maxt_ms, size_t limit = 0) const;

  // Sorted distinct values of label `name` among the selected series.
  absl::StatusOr<std::vector<std::string>> LabelValues(TenantId tenant, std::string_view name,
                                                       std::span<const Matcher> matchers, int64_t mint_ms,
                                                       int64_t maxt_ms, size_t limit = 0) const;

  // Number of series SelectSeries would return without a limit.
  absl::StatusOr<uint64_t> CountSeries(TenantId tenant, std::span<const Matcher> matchers, int64_t mint_ms,
                                       int64_t maxt_ms) const;

  // The postings scopes a query over [mint_ms, maxt_ms] reads: the days'
  // partitions in increasing order, or {kGlobalScope}. Empty when
  // mint_ms > maxt_ms.
  std::vector<uint32_t> ScopesFor(int64_t mint_ms, int64_t maxt_ms) const;

 private:
  // Lazy postings of the matchers in one scope (no deleted-id filtering).
  absl::StatusOr<PostingsIteratorPtr> ScopePostings(uint32_t scope, TenantId tenant,
                                                    std::span<const Matcher> matchers) const;
  // Union of the postings of the values `m` accepts (`accepted`) or rejects.
  absl::StatusOr<PostingsIteratorPtr> ValuePostings(uint32_t scope, TenantId tenant, const Matcher& m,
                                                    bool accepted) const;
  bool Deleted(uint64_t id) const;
  // Whether a value (a name) of the scope still has a series that was not
  // deleted: listings without matchers skip what only deleted series left.
  absl::StatusOr<bool> ValueHasLiveSeries(uint32_t scope, TenantId tenant, std::string_view name,
                                          std::string_view value) const;
  absl::StatusOr<bool> NameHasLiveSeries(uint32_t scope, TenantId tenant, std::string_view name) const;

  const RocksStore& store_;
  IndexReaderOptions options_;
};

}  // namespace strata::storage
