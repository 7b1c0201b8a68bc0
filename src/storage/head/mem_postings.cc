#include "storage/head/mem_postings.h"

#include <algorithm>
#include <iterator>

#include "absl/hash/hash.h"
#include "common/base/status.h"

namespace strata::storage {

size_t StringViewHash::operator()(std::string_view s) const { return absl::Hash<absl::string_view>{}(ToAbsl(s)); }

void MemPostings::AddLabel(uint64_t id, std::string_view name, std::string_view value) {
  auto name_it = index_.find(name);
  if (name_it == index_.end()) name_it = index_.emplace(std::string(name), ValueMap()).first;
  auto value_it = name_it->second.find(value);
  if (value_it == name_it->second.end()) value_it = name_it->second.emplace(std::string(value), Postings()).first;
  value_it->second.push_back(id);
}

void MemPostings::Remove(const absl::flat_hash_set<uint64_t>& ids) {
  if (ids.empty()) return;
  auto gone = [&](uint64_t id) { return ids.contains(id); };
  for (auto name_it = index_.begin(); name_it != index_.end();) {
    ValueMap& values = name_it->second;
    for (auto value_it = values.begin(); value_it != values.end();) {
      Postings& list = value_it->second;
      list.erase(std::remove_if(list.begin(), list.end(), gone), list.end());
      if (list.empty()) {
        values.erase(value_it++);
      } else {
        ++value_it;
      }
    }
    if (values.empty()) {
      index_.erase(name_it++);
    } else {
      ++name_it;
    }
  }
  all_.erase(std::remove_if(all_.begin(), all_.end(), gone), all_.end());
}

const MemPostings::Postings* MemPostings::Get(std::string_view name, std::string_view value) const {
  auto name_it = index_.find(name);
  if (name_it == index_.end()) return nullptr;
  auto value_it = name_it->second.find(value);
  return value_it == name_it->second.end() ? nullptr : &value_it->second;
}

std::vector<std::string> MemPostings::LabelValues(std::string_view name) const {
  std::vector<std::string> out;
  auto name_it = index_.find(name);
  if (name_it == index_.end()) return out;
  for (const auto& [value, ids] : name_it->second) out.push_back(value);
  std::sort(out.begin(), out.end());
  return out;
}

namespace {

MemPostings::Postings MergeSorted(std::vector<const MemPostings::Postings*> lists) {
  MemPostings::Postings out;
  if (lists.size() == 1) return *lists[0];
  size_t total = 0;
  for (const auto* l : lists) total += l->size();
  out.reserve(total);
  for (const auto* l : lists) out.insert(out.end(), l->begin(), l->end());
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

}  // namespace

template <typename Pred>
MemPostings::Postings MemPostings::UnionWhere(std::string_view name, Pred select) const {
  auto name_it = index_.find(name);
  if (name_it == index_.end()) return {};
  std::vector<const Postings*> lists;
  for (const auto& [value, ids] : name_it->second) {
    if (select(std::string_view(value))) lists.push_back(&ids);
  }
  if (lists.empty()) return {};
  return MergeSorted(std::move(lists));
}

MemPostings::Postings MemPostings::MatchingPostings(const Matcher& m, bool negate) const {
  // Fast paths that avoid scanning every value of the label: an equality
  // (or its negation) and a regex that is a plain alternation of literals.
  bool is_regex = m.type() == MatchType::kRegexMatch || m.type() == MatchType::kRegexNoMatch;
  bool positive = m.type() == MatchType::kEqual || m.type() == MatchType::kRegexMatch;
  if (positive != negate) {
    // We want the values for which the matcher's underlying pattern holds.
    if (!is_regex) {
      const Postings* p = Get(m.name(), m.value());
      return p ? *p : Postings();
    }
    if (!m.literal_alternatives().empty()) {
      std::vector<const Postings*> lists;
      for (const std::string& lit : m.literal_alternatives()) {
        if (const Postings* p = Get(m.name(), lit)) lists.push_back(p);
      }
      if (lists.empty()) return {};
      return MergeSorted(std::move(lists));
    }
  }
  return UnionWhere(m.name(), [&](std::string_view v) { return m.Matches(v) != negate; });
}

MemPostings::Postings MemPostings::PostingsForMatchers(std::span<const Matcher> matchers) const {
  Postings result;
  bool have = false;
  // Matchers that cannot match an absent label narrow the set first.
  for (const Matcher& m : matchers) {
    if (m.MatchesEmpty()) continue;
    Postings p = MatchingPostings(m, /*negate=*/false);
    result = have ? IntersectPostings(result, p) : std::move(p);
    have = true;
    if (result.empty()) return result;
  }
  // The others select series lacking the label too, so they can only remove
  // the series whose value they reject.
  for (const Matcher& m : matchers) {
    if (!m.MatchesEmpty()) continue;
    if (!have) {
      result = all_;
      have = true;
    }
    Postings rejected = MatchingPostings(m, /*negate=*/true);
    if (!rejected.empty()) result = SubtractPostings(result, rejected);
    if (result.empty()) return result;
  }
  if (!have) result = all_;
  return result;
}

MemPostings::Postings IntersectPostings(const MemPostings::Postings& a, const MemPostings::Postings& b) {
  MemPostings::Postings out;
  std::set_intersection(a.begin(), a.end(), b.begin(), b.end(), std::back_inserter(out));
  return out;
}

MemPostings::Postings SubtractPostings(const MemPostings::Postings& a, const MemPostings::Postings& b) {
  MemPostings::Postings out;
  std::set_difference(a.begin(), a.end(), b.begin(), b.end(), std::back_inserter(out));
  return out;
}

}  // namespace strata::storage
