// File: select/promql/extended_window.h
//
// The boundaries of an `anchored` or `smoothed` range window over sorted
// points, after Prometheus's extendFloats and extendedRate: the window also
// holds the last sample at or before its start and, smoothed, the first
// sample after its end. The evaluator uses them to return such a window as
// a value, rate/increase/delta to compute over it. Internal to
// select/promql; header-only, stateless.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

#include "select/promql/value.h"

namespace strata::promql {

// The value at `t` between two samples (Prometheus interpolate). For a
// counter that resets between them the second sample is taken to have
// counted up from zero.
inline double InterpolateAt(const FPoint& a, const FPoint& b, int64_t t, bool is_counter) {
  const double y1 = is_counter && b.f < a.f ? 0 : a.f;
  return y1 + (b.f - y1) * static_cast<double>(t - a.t) / static_cast<double>(b.t - a.t);
}

struct ExtendedBounds {
  size_t first = 0;  // the sample at or before mint, else the first one
  size_t last = 0;   // the last sample that counts
  double left = 0;   // the value at mint
  double right = 0;  // the value at maxt
};

// Bounds of the window (mint, maxt] over `pts`: boundary values are the
// boundary samples' (anchored) or interpolated at mint and maxt (smoothed).
// nullopt when no sample lies after mint.
inline std::optional<ExtendedBounds> FindExtendedBounds(const std::vector<FPoint>& pts, int64_t mint, int64_t maxt,
                                                        bool smoothed, bool is_counter) {
  if (pts.empty()) return std::nullopt;
  ExtendedBounds b;
  b.last = pts.size() - 1;
  const size_t above = FirstIndexWhere(b.last, [&](size_t i) { return pts[i].t > mint; });
  b.first = above > 0 ? above - 1 : 0;
  if (smoothed) b.last = FirstIndexWhere(b.last, [&](size_t i) { return pts[i].t >= maxt; });
  if (pts[b.last].t <= mint) return std::nullopt;
  b.left = smoothed && pts[b.first].t < mint ? InterpolateAt(pts[b.first], pts[b.first + 1], mint, is_counter)
                                             : pts[b.first].f;
  b.right = smoothed && b.last > 0 && pts[b.last].t > maxt
                ? InterpolateAt(pts[b.last - 1], pts[b.last], maxt, is_counter)
                : pts[b.last].f;
  return b;
}

}  // namespace strata::promql
