#include "select/promql/memory_querier.h"

#include <algorithm>

namespace strata::promql {

void MemoryQuerier::Add(const Labels& labels, std::vector<Sample> samples) {
  Add(labels, std::move(samples), {});
}

void MemoryQuerier::Add(const Labels& labels, std::vector<Sample> samples, std::vector<int64_t> start_timestamps) {
  auto it = std::lower_bound(series_.begin(), series_.end(), labels,
                             [](const SeriesSamples& s, const Labels& l) { return s.labels < l; });
  if (it == series_.end() || it->labels != labels) it = series_.insert(it, SeriesSamples{labels, {}, {}});
  start_timestamps.resize(start_timestamps.empty() ? 0 : samples.size());
  if (start_timestamps.empty() && it->start_timestamps.empty()) {
    // New samples go first so that a stable sort + unique keeps them.
    samples.insert(samples.end(), it->samples.begin(), it->samples.end());
    std::stable_sort(samples.begin(), samples.end(),
                     [](const Sample& a, const Sample& b) { return a.timestamp_ms < b.timestamp_ms; });
    samples.erase(std::unique(samples.begin(), samples.end(),
                              [](const Sample& a, const Sample& b) { return a.timestamp_ms == b.timestamp_ms; }),
                  samples.end());
    it->samples = std::move(samples);
    return;
  }
  // Some start timestamps: merge samples and start timestamps together.
  struct WithStart {
    Sample sample;
    int64_t start;
  };
  std::vector<WithStart> merged;
  merged.reserve(samples.size() + it->samples.size());
  for (size_t i = 0; i < samples.size(); ++i) {
    merged.push_back({samples[i], start_timestamps.empty() ? 0 : start_timestamps[i]});
  }
  for (size_t i = 0; i < it->samples.size(); ++i) {
    merged.push_back({it->samples[i], it->start_timestamps.empty() ? 0 : it->start_timestamps[i]});
  }
  std::stable_sort(merged.begin(), merged.end(), [](const WithStart& a, const WithStart& b) {
    return a.sample.timestamp_ms < b.sample.timestamp_ms;
  });
  merged.erase(std::unique(merged.begin(), merged.end(),
                           [](const WithStart& a, const WithStart& b) {
                             return a.sample.timestamp_ms == b.sample.timestamp_ms;
                           }),
               merged.end());
  it->samples.clear();
  it->start_timestamps.clear();
  for (const WithStart& w : merged) {
    it->samples.push_back(w.sample);
    it->start_timestamps.push_back(w.start);
  }
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
    SeriesSamples& o = out.series.emplace_back(SeriesSamples{s.labels, std::vector<Sample>(lo, hi), {}});
    if (!s.start_timestamps.empty()) {
      o.start_timestamps.assign(s.start_timestamps.begin() + (lo - s.samples.begin()),
                                s.start_timestamps.begin() + (hi - s.samples.begin()));
    }
  }
  return out;
}

}  // namespace strata::promql
