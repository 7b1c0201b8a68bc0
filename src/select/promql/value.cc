#include "select/promql/value.h"

namespace strata::promql {

Labels DropMetricName(const Labels& labels) {
  if (!labels.Has(kMetricNameLabel)) return labels;
  std::vector<Label> out;
  out.reserve(labels.size());
  for (const Label& l : labels) {
    if (l.name != kMetricNameLabel) out.push_back(l);
  }
  return Labels::FromSorted(std::move(out));
}

}  // namespace strata::promql
