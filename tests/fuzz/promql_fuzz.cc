// Fuzzes the PromQL parser. The first byte switches the optional syntax of
// ParseOptions on or off; the rest is the query. Invariants: an error is
// InvalidArgument with Prometheus's "<line>:<col>: parse error" form (or the
// nesting limit); a query that parses prints (FormatExpr) to a query that
// parses again, and printing that gives the same text (the printed form is
// a fixed point, as Prometheus's printer tests require).
#include <cstdint>
#include <string>

#include "fuzz/fuzz_check.h"
#include "select/promql/ast_printer.h"
#include "select/promql/parser.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace strata;
  using namespace strata::promql;
  if (size == 0) return 0;
  ParseOptions options;
  options.experimental_functions = data[0] & 1;
  options.duration_expressions = data[0] & 2;
  options.binop_fill_modifiers = data[0] & 4;
  options.extended_range_selectors = data[0] & 8;
  std::string_view query = fuzz::AsView(data + 1, size - 1);
  absl::StatusOr<ExprPtr> expr = ParseExpr(query, options);
  if (!expr.ok()) {
    FUZZ_CHECK(absl::IsInvalidArgument(expr.status()), expr.status().ToString());
    FUZZ_CHECK(!expr.status().message().empty(), "an error without a message");
    return 0;
  }
  FUZZ_CHECK(*expr != nullptr, "a parse without a tree");
  std::string printed = FormatExpr(**expr);
  absl::StatusOr<ExprPtr> again = ParseExpr(printed, options);
  FUZZ_CHECK(again.ok(), "the printed form of `" + std::string(query) + "` does not parse: `" + printed + "`: " +
                             again.status().ToString());
  std::string reprinted = FormatExpr(**again);
  FUZZ_CHECK(reprinted == printed, "printing is not a fixed point: `" + printed + "` then `" + reprinted + "`");
  return 0;
}
