#include "select/promql/functions_internal.h"

namespace strata::promql {

// Placeholder until the implementations land.
void RegisterLabelFunctions(std::vector<FunctionImplEntry>& /*out*/) {}

}  // namespace strata::promql
