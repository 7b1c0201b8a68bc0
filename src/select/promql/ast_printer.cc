#include "select/promql/ast_printer.h"

namespace strata::promql {

// Placeholder until the printer lands.
std::string FormatExpr(const Expr&) { return {}; }

}  // namespace strata::promql
