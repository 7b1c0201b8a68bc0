// File: select/promql/ast.h
//
// The abstract syntax tree of a PromQL expression, in the vocabulary of
// Prometheus promql/parser/ast.go. An Expr is a tagged variant of node
// structs; children are owned through ExprPtr. The parser builds it (and
// checks types, as Prometheus's checkAST does), the engine walks it, and
// ast_printer.h prints it back in Prometheus's canonical form.
//
// Positions are byte offsets into the query text, for error messages and the
// `(line:col)` suffix of annotations.
//
// The tree is immutable after parsing and may be read from many threads.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "common/model/matcher.h"

namespace strata::promql {

struct Expr;
using ExprPtr = std::unique_ptr<Expr>;
struct FunctionSignature;

// The type of value an expression produces (Prometheus parser.ValueType).
enum class ValueType : uint8_t { kScalar, kVector, kMatrix, kString };

// "scalar", "vector", "matrix", "string" as in the API's resultType.
const char* ValueTypeName(ValueType type);
// "scalar", "instant vector", "range vector", "string" as in error messages
// (Prometheus parser.DocumentedType).
const char* DocumentedType(ValueType type);

struct PositionRange {
  int start = 0;  // byte offset of the first character
  int end = 0;    // byte offset one past the last character
};

struct NumberLiteral {
  double value = 0;
};

struct StringLiteral {
  std::string value;
};

// The `@` modifier of a selector or subquery.
enum class AtModifier : uint8_t {
  kNone,
  kTimestamp,  // `@ <number>`: at_ms holds the time
  kStart,      // `@ start()`: the start of the range query
  kEnd,        // `@ end()`: the end of the range query
};

// A duration expression (Prometheus's promql-duration-expr feature) in a
// range `x[5m * 2]`, a subquery range or step, or an offset
// `offset (1h + 5m)`: arithmetic over number and duration literals,
// `step()`, `range()`, `min_of(a, b)` and `max_of(a, b)`. Its value depends
// on the query's step and range, so the engine evaluates it once per query
// (ResolveDurationExprs in parser.h) into the node's plain `*_ms` field.
// Values are in seconds, as in Prometheus.
enum class DurationOp : uint8_t {
  kLiteral,  // `value`
  kAdd, kSub, kMul, kDiv, kMod, kPow,  // lhs <op> rhs
  kNeg,      // -rhs
  kPos,      // +rhs, or a parenthesised literal `(5m)` (then `wrapped`)
  kStep,     // step(): the query's step (0 for instant queries)
  kRange,    // range(): end - start of the query (0 for instant queries)
  kMinOf, kMaxOf,  // min_of(lhs, rhs), max_of(lhs, rhs)
};

struct DurationExpr {
  DurationOp op = DurationOp::kLiteral;
  double value = 0;          // kLiteral: seconds
  bool is_duration = false;  // kLiteral written as a duration (`5m`): printed as one
  bool wrapped = false;      // written in parentheses
  std::shared_ptr<const DurationExpr> lhs;
  std::shared_ptr<const DurationExpr> rhs;
  PositionRange pos;
};
using DurationExprPtr = std::shared_ptr<const DurationExpr>;

// `name{matchers} offset <d> @ <t>`. `matchers` always includes the
// `__name__` equality matcher when the name was written outside braces.
struct VectorSelector {
  std::string name;  // "" when no metric name was written outside braces
  std::vector<Matcher> matchers;
  int64_t offset_ms = 0;  // positive looks back in time; negative forward
  AtModifier at = AtModifier::kNone;
  int64_t at_ms = 0;
  // `offset <duration expression>`; offset_ms holds its value once resolved.
  DurationExprPtr offset_expr;
  // Prometheus's extended range selectors (promql-extended-range-selectors,
  // ParseOptions::extended_range_selectors). `x[5m] anchored`: the window
  // also sees the last sample at or before its start (within the lookback
  // delta), and rate/increase/delta take no extrapolation. `x[5m] smoothed`:
  // rate/increase/delta interpolate the value at both window boundaries from
  // the samples around them; `x smoothed` interpolates an instant vector's
  // value at the evaluation time. Only the parser sets them, on a selector
  // (for a range selector: its inner selector).
  bool anchored = false;
  bool smoothed = false;
};

// `selector[range]`: every raw sample in (t - range, t] (Prometheus 3).
// Offset and `@` live on the inner selector, as in Prometheus.
struct MatrixSelector {
  VectorSelector selector;
  int64_t range_ms = 0;
  DurationExprPtr range_expr;  // `[<duration expression>]`; range_ms once resolved
};

// `expr[range:step] offset <d> @ <t>`: `expr` evaluated at every multiple
// of step (aligned to absolute time) in (t - offset - range, t - offset].
struct SubqueryExpr {
  ExprPtr expr;
  int64_t range_ms = 0;
  int64_t step_ms = 0;  // 0 when omitted: the engine's default subquery step
  int64_t offset_ms = 0;
  AtModifier at = AtModifier::kNone;
  int64_t at_ms = 0;
  // Duration expressions of the range, step and offset; the `*_ms` fields
  // hold their values once resolved.
  DurationExprPtr range_expr;
  DurationExprPtr step_expr;
  DurationExprPtr offset_expr;
};

struct ParenExpr {
  ExprPtr expr;
};

enum class UnaryOp : uint8_t { kPlus, kMinus };

struct UnaryExpr {
  UnaryOp op = UnaryOp::kMinus;
  ExprPtr expr;
};

// Binary operators in precedence classes, lowest first (Prometheus
// lexer.go / generated_parser.y): or < and, unless < comparisons < + - <
// * / % atan2 < ^ (right-associative).
enum class BinaryOp : uint8_t {
  kOr, kAnd, kUnless,
  kEql, kNeq, kLss, kLte, kGtr, kGte,
  kAdd, kSub,
  kMul, kDiv, kMod, kAtan2,
  kPow,
};

const char* BinaryOpName(BinaryOp op);
bool IsComparisonOp(BinaryOp op);
bool IsSetOp(BinaryOp op);

// Prometheus parser.VectorMatchCardinality.
enum class MatchCardinality : uint8_t { kOneToOne, kManyToOne, kOneToMany, kManyToMany };

// `on(...)` / `ignoring(...)` and `group_left(...)` / `group_right(...)`.
// Only present on binary expressions between two instant vectors. Set
// operators always have kManyToMany.
struct VectorMatching {
  MatchCardinality card = MatchCardinality::kOneToOne;
  // The labels of on() (when `on` is true) or of ignoring() (when false).
  std::vector<std::string> matching_labels;
  bool on = false;
  // Labels of group_left(...)/group_right(...) copied from the "one" side.
  std::vector<std::string> include;
  // Prometheus's promql-binop-fill-modifiers: `fill(v)` sets both,
  // `fill_left(v)` / `fill_right(v)` one. A sample without a match on the
  // other side is paired with a sample of this value carrying the match
  // group's labels. fill_lhs stands in for the left operand, fill_rhs for
  // the right one (for group_right too).
  std::optional<double> fill_lhs;
  std::optional<double> fill_rhs;
};

struct BinaryExpr {
  BinaryOp op = BinaryOp::kAdd;
  ExprPtr lhs;
  ExprPtr rhs;
  // Set when both sides are instant vectors (even without on/ignoring).
  std::optional<VectorMatching> matching;
  bool return_bool = false;  // the `bool` modifier of comparisons
};

enum class AggregateOp : uint8_t {
  kSum, kAvg, kCount, kMin, kMax, kGroup, kStddev, kStdvar,
  kTopk, kBottomk, kCountValues, kQuantile, kLimitk, kLimitRatio,
};

// "sum", "count_values", ...
const char* AggregateOpName(AggregateOp op);
// topk, bottomk, count_values, quantile, limitk and limit_ratio take a
// parameter before the vector.
bool AggregateTakesParam(AggregateOp op);

// `op [by|without (labels)] ([param,] expr) [by|without (labels)]`.
struct AggregateExpr {
  AggregateOp op = AggregateOp::kSum;
  ExprPtr expr;
  ExprPtr param;  // null unless AggregateTakesParam(op)
  std::vector<std::string> grouping;  // label names of by(...) / without(...)
  bool without = false;
  // `sum(x)` groups everything (no clause); `sum by () (x)` is the same.
  // Kept apart only so the printer reproduces the query.
  bool has_grouping_clause = false;
};

// A function call. `func` points into the static signature table
// (function_signatures.h) and is never null after parsing.
struct Call {
  const FunctionSignature* func = nullptr;
  std::vector<ExprPtr> args;
};

struct Expr {
  std::variant<NumberLiteral, StringLiteral, VectorSelector, MatrixSelector, SubqueryExpr, ParenExpr,
               UnaryExpr, BinaryExpr, AggregateExpr, Call>
      node;
  PositionRange pos;

  // The static type of the expression's value.
  ValueType Type() const;

  template <typename T>
  const T* As() const { return std::get_if<T>(&node); }
  template <typename T>
  T* As() { return std::get_if<T>(&node); }
};

}  // namespace strata::promql
