// File: storage/head/mem_postings.h
//
// The in-memory inverted index of one tenant: (label name, label value) ->
// sorted series ids ("postings"; the head stores MemSeries refs here), the set of values per name, and the list
// of all series. PostingsForMatchers evaluates a selector's matchers with
// Prometheus semantics (tsdb/querier.go PostingsForMatchers).
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "common/model/labels.h"
#include "common/model/matcher.h"

namespace strata::storage {

// Transparent hashing so maps keyed by std::string can be probed with a
// std::string_view (Debian's abseil keys StringHash on absl::string_view).
struct StringViewHash {
  using is_transparent = void;
  size_t operator()(std::string_view s) const;
};
struct StringViewEq {
  using is_transparent = void;
  bool operator()(std::string_view a, std::string_view b) const { return a == b; }
};

// Thread-compatible: the Head guards each tenant's MemPostings with a mutex.
class MemPostings {
 public:
  using Postings = std::vector<uint64_t>;

  // Indexes a new series. REQUIRES: `id` is greater than every id added
  // before, which keeps each postings list sorted by plain push_back.
  // `labels`: Labels or a span of LabelView.
  template <typename LabelRange>
  void Add(uint64_t id, const LabelRange& labels) {
    for (const auto& l : labels) AddLabel(id, l.name, l.value);
    all_.push_back(id);
  }

  // Removes `ids` from every list (evicted series), dropping lists, values
  // and names left empty. One pass over the whole index: batch removals.
  void Remove(const absl::flat_hash_set<uint64_t>& ids);

  // Postings of name=value, or nullptr.
  const Postings* Get(std::string_view name, std::string_view value) const;
  const Postings& All() const { return all_; }

  // Sorted ids of the series that every matcher selects. A matcher that
  // matches the empty string also selects series without the label
  // (`{a=""}`, `{a!="x"}`, `{a=~".*"}`); with no matchers, every series.
  Postings PostingsForMatchers(std::span<const Matcher> matchers) const;

  // Sorted values of label `name`.
  std::vector<std::string> LabelValues(std::string_view name) const;

 private:
  // Appends `id` to the postings of name=value.
  void AddLabel(uint64_t id, std::string_view name, std::string_view value);

  using ValueMap = absl::flat_hash_map<std::string, Postings, StringViewHash, StringViewEq>;

  // Union of the postings of the values of `name` for which `select(value)`.
  template <typename Pred>
  Postings UnionWhere(std::string_view name, Pred select) const;
  // Postings of the values `m` accepts (or rejects when `negate`).
  Postings MatchingPostings(const Matcher& m, bool negate) const;

  absl::flat_hash_map<std::string, ValueMap, StringViewHash, StringViewEq> index_;
  Postings all_;
};

// Set operations on sorted id lists.
MemPostings::Postings IntersectPostings(const MemPostings::Postings& a, const MemPostings::Postings& b);
MemPostings::Postings SubtractPostings(const MemPostings::Postings& a, const MemPostings::Postings& b);

}  // namespace strata::storage
