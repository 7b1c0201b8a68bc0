#include "select/fanout/dedup.h"

#include <algorithm>

namespace strata::select {

int64_t DedupIntervalEnd(int64_t timestamp_ms, int64_t interval_ms) {
  // Floor-based, so negative timestamps (before 1970) round up as well.
  int64_t rem = timestamp_ms % interval_ms;
  if (rem < 0) rem += interval_ms;
  return rem == 0 ? timestamp_ms : timestamp_ms - rem + interval_ms;
}

namespace {

// Whether `a` should replace `b` as the kept value for one timestamp.
bool BetterValue(double a, double b) {
  if (IsStaleNaN(a)) return false;
  if (IsStaleNaN(b)) return true;
  return a > b;
}

}  // namespace

void DeduplicateSamples(std::vector<Sample>& samples, int64_t interval_ms) {
  if (samples.empty()) return;
  if (interval_ms <= 0) {
    samples.erase(std::unique(samples.begin(), samples.end(),
                              [](const Sample& a, const Sample& b) { return a.timestamp_ms == b.timestamp_ms; }),
                  samples.end());
    return;
  }
  size_t out = 0;
  size_t i = 0;
  while (i < samples.size()) {
    const int64_t end = DedupIntervalEnd(samples[i].timestamp_ms, interval_ms);
    // The last run of equal timestamps within the interval.
    size_t last = i;
    while (last + 1 < samples.size() && samples[last + 1].timestamp_ms <= end) ++last;
    size_t first = last;
    while (first > i && samples[first - 1].timestamp_ms == samples[last].timestamp_ms) --first;
    Sample kept = samples[first];
    for (size_t j = first + 1; j <= last; ++j) {
      if (BetterValue(samples[j].value, kept.value)) kept = samples[j];
    }
    samples[out++] = kept;
    i = last + 1;
  }
  samples.resize(out);
}

}  // namespace strata::select
