// File: select/promql/ast.h
//
// The abstract syntax tree of a PromQL expression, in the vocabulary of
// Prometheus promql/parser/ast.go. An Expr is a tagged variant of node
// structs; children are owned through ExprPtr. The parser builds it, the
// engine walks it. Nodes for the parts of the grammar the engine does not
// evaluate yet (functions, aggregations, subqueries, vector matching) are
// added here as the engine grows.
//
// Positions are byte offsets into the query text, for error messages.
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

// The type of value an expression produces (Prometheus parser.ValueType).
enum class ValueType : uint8_t { kScalar, kVector, kMatrix, kString };

// "scalar", "vector", "matrix", "string" as in the API's resultType.
const char* ValueTypeName(ValueType type);

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

// The `@` modifier of a selector.
enum class AtModifier : uint8_t {
  kNone,
  kTimestamp,  // `@ <number>`: at_ms holds the time
  kStart,      // `@ start()`: the start of the range query
  kEnd,        // `@ end()`: the end of the range query
};

// `name{matchers} offset <d> @ <t>`. `matchers` always includes the
// `__name__` equality matcher when the name was written outside braces.
struct VectorSelector {
  std::string name;  // "" when no metric name was written outside braces
  std::vector<Matcher> matchers;
  int64_t offset_ms = 0;  // positive looks back in time
  AtModifier at = AtModifier::kNone;
  int64_t at_ms = 0;
};

// `selector[range]`: every raw sample in (t - range, t] (Prometheus 3).
struct MatrixSelector {
  VectorSelector selector;
  int64_t range_ms = 0;
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

struct BinaryExpr {
  BinaryOp op = BinaryOp::kAdd;
  ExprPtr lhs;
  ExprPtr rhs;
  bool return_bool = false;  // the `bool` modifier of comparisons
};

struct Expr {
  std::variant<NumberLiteral, StringLiteral, VectorSelector, MatrixSelector, ParenExpr, UnaryExpr, BinaryExpr> node;
  PositionRange pos;

  // The static type of the expression's value.
  ValueType Type() const;

  template <typename T>
  const T* As() const { return std::get_if<T>(&node); }
};

}  // namespace strata::promql
