#include "select/promql/value.h"

#include <algorithm>

namespace strata::promql {

bool IsMetricDescriptorLabel(std::string_view name) {
  return name == kMetricNameLabel || name == "__type__" || name == "__unit__";
}

Labels DropMetricName(const Labels& labels) {
  if (std::none_of(labels.begin(), labels.end(), [](const Label& l) { return IsMetricDescriptorLabel(l.name); })) {
    return labels;
  }
  std::vector<Label> out;
  out.reserve(labels.size());
  for (const Label& l : labels) {
    if (!IsMetricDescriptorLabel(l.name)) out.push_back(l);
  }
  return Labels::FromSorted(std::move(out));
}

}  // namespace strata::promql
