// File: select/promql/functions_internal.h
//
// Registration of the function implementation files into the table that
// FindFunctionImpl (functions.cc) searches. Internal to select/promql.
#pragma once

#include <string_view>
#include <vector>

#include "select/promql/functions.h"

namespace strata::promql {

struct FunctionImplEntry {
  std::string_view name;
  FunctionImpl impl;
};

// Each implementation file appends its functions.
void RegisterRangeFunctions(std::vector<FunctionImplEntry>& out);      // functions_range.cc
void RegisterInstantFunctions(std::vector<FunctionImplEntry>& out);    // functions_instant.cc
void RegisterLabelFunctions(std::vector<FunctionImplEntry>& out);      // functions_labels.cc
void RegisterHistogramFunctions(std::vector<FunctionImplEntry>& out);  // functions_histogram.cc

}  // namespace strata::promql
