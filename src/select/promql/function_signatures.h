// File: select/promql/function_signatures.h
//
// The static table of PromQL functions: name, argument types, how many
// trailing arguments are optional or repeatable, and the result type, after
// Prometheus promql/parser/functions.go. The parser uses it to type-check
// calls; the evaluator maps each entry to its implementation (functions.h).
//
// The table is immutable and shared by every thread.
#pragma once

#include <span>
#include <string_view>
#include <vector>

#include "select/promql/ast.h"

namespace strata::promql {

struct FunctionSignature {
  std::string_view name;
  std::vector<ValueType> arg_types;
  // 0: exactly arg_types.size() arguments. n > 0: the last n argument types
  // may be left out. -1: the last argument type repeats any number of times
  // (at least arg_types.size() - 1 arguments).
  int variadic = 0;
  ValueType return_type = ValueType::kVector;
  // Gated behind --enable-feature=promql-experimental-functions in
  // Prometheus; Strata accepts them only when EngineOptions enables them.
  bool experimental = false;
};

// Null when `name` is not a PromQL function.
const FunctionSignature* FindFunction(std::string_view name);

// Every function, in the table's order.
std::span<const FunctionSignature> AllFunctions();

}  // namespace strata::promql
