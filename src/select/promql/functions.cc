#include "select/promql/functions.h"

#include <algorithm>
#include <vector>

#include "select/promql/functions_internal.h"

namespace strata::promql {
namespace {

const std::vector<FunctionImplEntry>& Registry() {
  static const std::vector<FunctionImplEntry> registry = [] {
    std::vector<FunctionImplEntry> r;
    RegisterRangeFunctions(r);
    RegisterInstantFunctions(r);
    RegisterLabelFunctions(r);
    RegisterHistogramFunctions(r);
    std::sort(r.begin(), r.end(), [](const FunctionImplEntry& a, const FunctionImplEntry& b) { return a.name < b.name; });
    return r;
  }();
  return registry;
}

}  // namespace

FunctionImpl FindFunctionImpl(std::string_view name) {
  const std::vector<FunctionImplEntry>& r = Registry();
  auto it = std::lower_bound(r.begin(), r.end(), name,
                             [](const FunctionImplEntry& e, std::string_view n) { return e.name < n; });
  return it != r.end() && it->name == name ? it->impl : nullptr;
}

Labels ResultLabels(const Labels& labels, const FunctionCallContext& ctx, bool* drop_name) {
  if (ctx.reuse_result_labels) {
    *drop_name = ctx.delayed_name_removal;
    return Labels();
  }
  if (ctx.delayed_name_removal) {
    *drop_name = true;
    return labels;
  }
  *drop_name = false;
  return DropMetricName(labels);
}

}  // namespace strata::promql
