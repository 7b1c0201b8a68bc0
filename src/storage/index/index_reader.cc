#include "storage/index/index_reader.h"

#include <algorithm>
#include <set>
#include <utility>

#include "common/base/status.h"
#include "storage/index/time_partition.h"

namespace strata::storage {
namespace {

// Unions over more values than this are read eagerly into one sorted
// vector: a heap over thousands of open RocksDB iterators costs more than
// reading the ids once.
constexpr size_t kMaxLazyUnion = 16;
// Labels are fetched this many series at a time.
constexpr size_t kLabelsBatch = 4096;

bool IsRegex(const Matcher& m) { return m.type() == MatchType::kRegexMatch || m.type() == MatchType::kRegexNoMatch; }

// `=~".*"`: selects every series, with or without the label.
bool MatchesEverything(const Matcher& m) { return m.type() == MatchType::kRegexMatch && m.value() == ".*"; }

// Matchers that name their values outright: `a="x"` and `a=~"x|y"`
// (neither matches ""). Their postings are read without listing values.
bool IsDirect(const Matcher& m) {
  if (m.MatchesEmpty()) return false;
  if (m.type() == MatchType::kEqual) return true;
  return m.type() == MatchType::kRegexMatch && !m.literal_alternatives().empty();
}

// The literal prefix every value matching `pattern` starts with ("" when
// unknown): `foo.*` gives "foo", `fo+` gives "fo", `fo*` gives "f".
std::string LiteralPrefix(std::string_view pattern) {
  static constexpr std::string_view kMeta = "\\.+*?()[]{}^$|";
  if (pattern.find('|') != std::string_view::npos) return "";
  const size_t end = std::min(pattern.find_first_of(kMeta), pattern.size());
  std::string prefix(pattern.substr(0, end));
  if (end < pattern.size() && !prefix.empty() && (pattern[end] == '*' || pattern[end] == '?' || pattern[end] == '{')) {
    prefix.pop_back();  // the quantifier applies to the last literal
  }
  return prefix;
}

}  // namespace

IndexReader::IndexReader(const RocksStore& store, IndexReaderOptions options)
    : store_(store), options_(std::move(options)) {}

std::vector<uint32_t> IndexReader::ScopesFor(int64_t mint_ms, int64_t maxt_ms) const {
  if (mint_ms > maxt_ms) return {};
  const int64_t first = DayOf(mint_ms);
  const int64_t last = DayOf(maxt_ms);
  if (options_.max_days_per_day_scope <= 0 || last - first + 1 > options_.max_days_per_day_scope) {
    return {kGlobalScope};
  }
  std::vector<uint32_t> scopes;
  for (int64_t d = first; d <= last; ++d) {
    const uint32_t p = PartitionOfDay(d);
    if (scopes.empty() || scopes.back() != p) scopes.push_back(p);  // clamped days repeat
  }
  return scopes;
}

bool IndexReader::Deleted(uint64_t id) const {
  return store_.IsDeleted(id) || (options_.is_deleted && options_.is_deleted(id));
}

absl::StatusOr<PostingsIteratorPtr> IndexReader::ValuePostings(uint32_t scope, TenantId tenant, const Matcher& m,
                                                               bool accepted) const {
  const bool positive = m.type() == MatchType::kEqual || m.type() == MatchType::kRegexMatch;
  // True: the values wanted are those where the literal / regex holds.
  const bool want_hold = positive == accepted;
  const std::string& name = m.name();

  // Values where the pattern holds, or the label's every value when
  // `every_value`; `skip` is one literal value to leave out.
  std::string prefix;
  bool every_value = false;
  if (!IsRegex(m)) {
    if (want_hold) {
      if (m.value().empty()) return NewEmptyPostings();  // stored values are never empty
      return store_.NewPostingsIterator(scope, tenant, name, m.value());
    }
    every_value = true;  // every value but m.value()
  } else if (want_hold) {
    if (!m.literal_alternatives().empty()) {
      std::vector<PostingsIteratorPtr> lists;
      for (const std::string& lit : m.literal_alternatives()) {
        if (!lit.empty()) lists.push_back(store_.NewPostingsIterator(scope, tenant, name, lit));
      }
      return NewUnion(std::move(lists));
    }
    if (m.value() == ".*" || m.value() == ".+") {
      every_value = true;
    } else {
      prefix = LiteralPrefix(m.value());
    }
  } else if (m.value() == ".*" || m.value() == ".+") {
    return NewEmptyPostings();  // only "" fails them, and "" has no postings
  }

  std::vector<std::string> values;
  STRATA_RETURN_IF_ERROR(store_.ForEachLabelValue(scope, tenant, name, prefix, [&](std::string_view v) {
    bool take;
    if (every_value) {
      take = IsRegex(m) || v != m.value();
    } else {
      take = m.Matches(v) == accepted;
    }
    if (take) values.emplace_back(v);
    return true;
  }));
  if (values.size() <= kMaxLazyUnion) {
    std::vector<PostingsIteratorPtr> lists;
    lists.reserve(values.size());
    for (const std::string& v : values) lists.push_back(store_.NewPostingsIterator(scope, tenant, name, v));
    return NewUnion(std::move(lists));
  }
  // A series has one value per name, so the lists are disjoint.
  std::vector<uint64_t> ids;
  for (const std::string& v : values) {
    STRATA_RETURN_IF_ERROR(store_.ForEachPosting(scope, tenant, name, v, [&](uint64_t id) {
      ids.push_back(id);
      return true;
    }));
  }
  std::sort(ids.begin(), ids.end());
  ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
  return NewVectorPostings(std::move(ids));
}

absl::StatusOr<PostingsIteratorPtr> IndexReader::ScopePostings(uint32_t scope, TenantId tenant,
                                                               std::span<const Matcher> matchers) const {
  std::vector<PostingsIteratorPtr> its;
  std::vector<PostingsIteratorPtr> rejected;
  // Direct matchers first: the intersection seeks the others to their ids.
  std::vector<const Matcher*> order;
  for (const Matcher& m : matchers) {
    if (IsDirect(m)) order.push_back(&m);
  }
  for (const Matcher& m : matchers) {
    if (!IsDirect(m)) order.push_back(&m);
  }
  for (const Matcher* m : order) {
    if (MatchesEverything(*m)) continue;
    if (!m->MatchesEmpty()) {
      STRATA_ASSIGN_OR_RETURN(PostingsIteratorPtr it, ValuePostings(scope, tenant, *m, /*accepted=*/true));
      its.push_back(std::move(it));
    } else {
      // Selects series without the label too: it can only remove the
      // series whose value it rejects.
      STRATA_ASSIGN_OR_RETURN(PostingsIteratorPtr it, ValuePostings(scope, tenant, *m, /*accepted=*/false));
      rejected.push_back(std::move(it));
    }
  }
  if (its.empty()) its.push_back(store_.NewPostingsIterator(scope, tenant, "", ""));  // all series
  PostingsIteratorPtr result = NewIntersection(std::move(its));
  if (!rejected.empty()) result = NewDifference(std::move(result), NewUnion(std::move(rejected)));
  return result;
}

absl::StatusOr<std::vector<uint64_t>> IndexReader::SelectSeries(TenantId tenant, std::span<const Matcher> matchers,
                                                                int64_t mint_ms, int64_t maxt_ms,
                                                                size_t limit) const {
  std::vector<uint64_t> out;
  const std::vector<uint32_t> scopes = ScopesFor(mint_ms, maxt_ms);
  if (scopes.empty()) return out;

  std::vector<Matcher> direct;
  std::vector<const Matcher*> rest;
  for (const Matcher& m : matchers) {
    if (IsDirect(m)) {
      direct.push_back(m);
    } else if (!MatchesEverything(m)) {
      rest.push_back(&m);
    }
  }

  // Narrow by the direct matchers; when few series are left, check the
  // others on their labels rather than reading many values' postings.
  if (!direct.empty() && !rest.empty() && options_.max_label_filter_candidates > 0) {
    std::vector<PostingsIteratorPtr> per_scope;
    for (uint32_t scope : scopes) {
      STRATA_ASSIGN_OR_RETURN(PostingsIteratorPtr it, ScopePostings(scope, tenant, direct));
      per_scope.push_back(std::move(it));
    }
    PostingsIteratorPtr candidates_it = NewUnion(std::move(per_scope));
    std::vector<uint64_t> candidates;
    STRATA_RETURN_IF_ERROR(CollectPostings(*candidates_it, options_.max_label_filter_candidates + 1, &candidates));
    if (candidates.size() <= options_.max_label_filter_candidates) {
      candidates.erase(std::remove_if(candidates.begin(), candidates.end(), [&](uint64_t id) { return Deleted(id); }),
                       candidates.end());
      for (size_t start = 0; start < candidates.size(); start += kLabelsBatch) {
        const size_t n = std::min(kLabelsBatch, candidates.size() - start);
        STRATA_ASSIGN_OR_RETURN(std::vector<SeriesRecord> records,
                                store_.GetSeriesBatch(std::span<const uint64_t>(candidates).subspan(start, n)));
        for (const SeriesRecord& r : records) {
          const bool selected = std::all_of(rest.begin(), rest.end(), [&](const Matcher* m) {
            return m->Matches(r.labels.Get(m->name()));
          });
          if (!selected) continue;
          out.push_back(r.id);
          if (limit > 0 && out.size() >= limit) return out;
        }
      }
      return out;
    }
  }

  std::vector<PostingsIteratorPtr> per_scope;
  for (uint32_t scope : scopes) {
    STRATA_ASSIGN_OR_RETURN(PostingsIteratorPtr it, ScopePostings(scope, tenant, matchers));
    per_scope.push_back(std::move(it));
  }
  PostingsIteratorPtr it = NewUnion(std::move(per_scope));
  while (it->Next()) {
    if (Deleted(it->At())) continue;
    out.push_back(it->At());
    if (limit > 0 && out.size() >= limit) break;
  }
  STRATA_RETURN_IF_ERROR(it->status());
  return out;
}

absl::StatusOr<uint64_t> IndexReader::CountSeries(TenantId tenant, std::span<const Matcher> matchers,
                                                  int64_t mint_ms, int64_t maxt_ms) const {
  STRATA_ASSIGN_OR_RETURN(std::vector<uint64_t> ids, SelectSeries(tenant, matchers, mint_ms, maxt_ms, 0));
  return ids.size();
}

namespace {

std::vector<std::string> Limited(const std::set<std::string, std::less<>>& set, size_t limit) {
  std::vector<std::string> out;
  for (const std::string& s : set) {
    if (limit > 0 && out.size() >= limit) break;
    out.push_back(s);
  }
  return out;
}

}  // namespace

absl::StatusOr<bool> IndexReader::ValueHasLiveSeries(uint32_t scope, TenantId tenant, std::string_view name,
                                                     std::string_view value) const {
  // Postings of deleted series stay until compaction rewrites them; with no
  // deletion on record every listed value is live and nothing is read.
  if (store_.num_deleted() == 0 && !options_.is_deleted) return true;
  std::unique_ptr<PostingsIterator> it = store_.NewPostingsIterator(scope, tenant, name, value);
  while (it->Next()) {
    if (!Deleted(it->At())) return true;
  }
  STRATA_RETURN_IF_ERROR(it->status());
  return false;
}

absl::StatusOr<bool> IndexReader::NameHasLiveSeries(uint32_t scope, TenantId tenant, std::string_view name) const {
  if (store_.num_deleted() == 0 && !options_.is_deleted) return true;
  bool live = false;
  absl::Status inner;
  STRATA_RETURN_IF_ERROR(store_.ForEachLabelValue(scope, tenant, name, "", [&](std::string_view v) {
    absl::StatusOr<bool> has = ValueHasLiveSeries(scope, tenant, name, v);
    if (!has.ok()) {
      inner = has.status();
      return false;
    }
    live = *has;
    return !live;
  }));
  STRATA_RETURN_IF_ERROR(inner);
  return live;
}

absl::StatusOr<std::vector<std::string>> IndexReader::LabelNames(TenantId tenant, std::span<const Matcher> matchers,
                                                                 int64_t mint_ms, int64_t maxt_ms,
                                                                 size_t limit) const {
  std::set<std::string, std::less<>> names;
  if (matchers.empty()) {
    for (uint32_t scope : ScopesFor(mint_ms, maxt_ms)) {
      std::vector<std::string> scope_names;
      STRATA_RETURN_IF_ERROR(store_.ForEachLabelName(scope, tenant, [&](std::string_view n) {
        scope_names.emplace_back(n);
        return true;
      }));
      for (std::string& n : scope_names) {
        if (names.contains(n)) continue;
        STRATA_ASSIGN_OR_RETURN(bool live, NameHasLiveSeries(scope, tenant, n));
        if (live) names.insert(std::move(n));
      }
    }
    return Limited(names, limit);
  }
  STRATA_ASSIGN_OR_RETURN(std::vector<uint64_t> ids, SelectSeries(tenant, matchers, mint_ms, maxt_ms, 0));
  for (size_t start = 0; start < ids.size(); start += kLabelsBatch) {
    const size_t n = std::min(kLabelsBatch, ids.size() - start);
    STRATA_ASSIGN_OR_RETURN(std::vector<SeriesRecord> records,
                            store_.GetSeriesBatch(std::span<const uint64_t>(ids).subspan(start, n)));
    for (const SeriesRecord& r : records) {
      for (const Label& l : r.labels) names.insert(l.name);
    }
  }
  return Limited(names, limit);
}

absl::StatusOr<std::vector<std::string>> IndexReader::LabelValues(TenantId tenant, std::string_view name,
                                                                  std::span<const Matcher> matchers,
                                                                  int64_t mint_ms, int64_t maxt_ms,
                                                                  size_t limit) const {
  std::set<std::string, std::less<>> values;
  const std::vector<uint32_t> scopes = ScopesFor(mint_ms, maxt_ms);
  if (matchers.empty()) {
    for (uint32_t scope : scopes) {
      std::vector<std::string> scope_values;
      STRATA_RETURN_IF_ERROR(store_.ForEachLabelValue(scope, tenant, name, "", [&](std::string_view v) {
        if (!values.contains(v)) scope_values.emplace_back(v);
        return true;
      }));
      for (std::string& v : scope_values) {
        STRATA_ASSIGN_OR_RETURN(bool live, ValueHasLiveSeries(scope, tenant, name, v));
        if (live) values.insert(std::move(v));
      }
    }
    return Limited(values, limit);
  }
  STRATA_ASSIGN_OR_RETURN(std::vector<uint64_t> ids, SelectSeries(tenant, matchers, mint_ms, maxt_ms, 0));
  if (ids.size() <= kLabelsBatch) {
    STRATA_ASSIGN_OR_RETURN(std::vector<SeriesRecord> records, store_.GetSeriesBatch(ids));
    for (const SeriesRecord& r : records) {
      if (r.labels.Has(name)) values.emplace(r.labels.Get(name));
    }
    return Limited(values, limit);
  }
  // Many series: test each value's postings against the selection instead
  // (a few seeks per value, whatever the selection's size).
  for (uint32_t scope : scopes) {
    std::vector<std::string> candidates;
    STRATA_RETURN_IF_ERROR(store_.ForEachLabelValue(scope, tenant, name, "", [&](std::string_view v) {
      if (values.find(v) == values.end()) candidates.emplace_back(v);
      return true;
    }));
    for (const std::string& v : candidates) {
      std::vector<PostingsIteratorPtr> pair;
      pair.push_back(store_.NewPostingsIterator(scope, tenant, name, v));
      pair.push_back(NewSpanPostings(ids));
      PostingsIteratorPtr both = NewIntersection(std::move(pair));
      if (both->Next()) values.insert(v);
      STRATA_RETURN_IF_ERROR(both->status());
    }
  }
  return Limited(values, limit);
}

}  // namespace strata::storage
