#include "select/promql/memory_querier.h"

#include <algorithm>

namespace strata::promql {

void MemoryQuerier::Add(const Labels& labels, std::vector<Sample> samples) {
  auto it = std::lower_bound(series_.begin(), series_.end(), labels,
                             [](const SeriesSamples& s, const Labels& l) { return s.labels < l; });
  if (it == series_.end() || it->labels != labels) it = series_.insert(it, SeriesSamples{labels, {}});
  // New samples go first so that a stable sort + unique keeps them.
  samples.insert(samples.end(), it->samples.begin(), it->samples.end());
  std::stable_sort(samples.begin(), samples.end(),
                   [](const Sample& a, const Sample& b) { return a.timestamp_ms < b.timestamp_ms; });
  samples.erase(std::unique(samples.begin(), samples.end(),
                            [](const Sample& a, const Sample& b) { return a.timestamp_ms == b.timestamp_ms; }),
                samples.end());
  it->samples = std::move(samples);
}

absl::StatusOr<SeriesSet> MemoryQuerier::Select(const SelectHints& hints, std::span<const Matcher> matchers) {
  SeriesSet out;
  for (const SeriesSamples& s : series_) {
    bool match = true;
    for (const Matcher& m : matchers) {
      if (!m.Matches(s.labels.Get(m.name()))) {
        match = false;
        break;
      }
    }
    if (!match) continue;
    auto lo = std::lower_bound(s.samples.begin(), s.samples.end(), hints.min_time_ms,
                               [](const Sample& a, int64_t t) { return a.timestamp_ms < t; });
    auto hi = std::upper_bound(s.samples.begin(), s.samples.end(), hints.max_time_ms,
                               [](int64_t t, const Sample& a) { return t < a.timestamp_ms; });
    if (lo >= hi) continue;
    out.series.push_back(SeriesSamples{s.labels, std::vector<Sample>(lo, hi)});
  }
  return out;
}

}  // namespace strata::promql
