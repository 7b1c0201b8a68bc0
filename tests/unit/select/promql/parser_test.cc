#include "select/promql/parser.h"

#include <catch2/catch.hpp>

#include "common/base/status.h"

namespace strata::promql {
namespace {

const VectorSelector& Selector(const ExprPtr& e) {
  const auto* vs = e->As<VectorSelector>();
  REQUIRE(vs != nullptr);
  return *vs;
}

std::string Matchers(const VectorSelector& vs) {
  std::string out;
  for (const Matcher& m : vs.matchers) {
    if (!out.empty()) out += ",";
    out += m.ToString();
  }
  return out;
}

std::string ErrorOf(std::string_view query) {
  auto r = ParseExpr(query);
  REQUIRE_FALSE(r.ok());
  CHECK(r.status().code() == absl::StatusCode::kInvalidArgument);
  return std::string(ToStd(r.status().message()));
}

TEST_CASE("parser accepts a bare metric name as a selector with a name matcher", "[select][promql][parser]") {
  auto e = ParseExpr("up");
  REQUIRE(e.ok());
  const VectorSelector& vs = Selector(*e);
  CHECK(vs.name == "up");
  CHECK(Matchers(vs) == "__name__=\"up\"");
  CHECK((*e)->Type() == ValueType::kVector);
}

TEST_CASE("parser accepts all four matcher types and a trailing comma", "[select][promql][parser]") {
  auto e = ParseExpr(R"(http_requests_total{a="b",c!="d",e=~"f.*",g!~"h",})");
  REQUIRE(e.ok());
  CHECK(Matchers(Selector(*e)) == R"(__name__="http_requests_total",a="b",c!="d",e=~"f.*",g!~"h")");
}

TEST_CASE("parser accepts selectors given only by __name__ matchers", "[select][promql][parser]") {
  auto e = ParseExpr(R"({__name__="m"})");
  REQUIRE(e.ok());
  CHECK(Selector(*e).name.empty());
  CHECK(Matchers(Selector(*e)) == R"(__name__="m")");
  e = ParseExpr(R"({__name__=~"a|b", job="x"})");
  REQUIRE(e.ok());
  CHECK(Matchers(Selector(*e)) == R"(__name__=~"a|b",job="x")");
}

TEST_CASE("parser accepts quoted label names and a quoted metric name", "[select][promql][parser]") {
  auto e = ParseExpr(R"({"my.metric", "label.with.dots"="v"})");
  REQUIRE(e.ok());
  CHECK(Selector(*e).name == "my.metric");
  CHECK(Matchers(Selector(*e)) == R"(__name__="my.metric",label.with.dots="v")");
}

TEST_CASE("parser reads offset, @ and range modifiers", "[select][promql][parser]") {
  auto e = ParseExpr("foo offset 5m @ 1000");
  REQUIRE(e.ok());
  CHECK(Selector(*e).offset_ms == 300000);
  CHECK(Selector(*e).at == AtModifier::kTimestamp);
  CHECK(Selector(*e).at_ms == 1000000);
  e = ParseExpr("foo[1h30m] offset -1m @ end()");
  REQUIRE(e.ok());
  const auto* ms = (*e)->As<MatrixSelector>();
  REQUIRE(ms != nullptr);
  CHECK(ms->range_ms == 5400000);
  CHECK(ms->selector.offset_ms == -60000);
  CHECK(ms->selector.at == AtModifier::kEnd);
  CHECK((*e)->Type() == ValueType::kMatrix);
}

TEST_CASE("parser gives arithmetic Prometheus precedence and associativity", "[select][promql][parser]") {
  // 1 + 2 * 3: the multiplication is the right operand.
  auto e = ParseExpr("1 + 2 * 3");
  REQUIRE(e.ok());
  const auto* add = (*e)->As<BinaryExpr>();
  REQUIRE(add != nullptr);
  CHECK(add->op == BinaryOp::kAdd);
  CHECK(add->rhs->As<BinaryExpr>()->op == BinaryOp::kMul);
  // 2 ^ 3 ^ 2 is 2 ^ (3 ^ 2).
  e = ParseExpr("2 ^ 3 ^ 2");
  REQUIRE(e.ok());
  const auto* pow = (*e)->As<BinaryExpr>();
  CHECK(pow->lhs->As<NumberLiteral>()->value == 2);
  CHECK(pow->rhs->As<BinaryExpr>()->op == BinaryOp::kPow);
  // -2 ^ 2 is -(2 ^ 2).
  e = ParseExpr("-2 ^ 2");
  REQUIRE(e.ok());
  const auto* neg = (*e)->As<UnaryExpr>();
  REQUIRE(neg != nullptr);
  CHECK(neg->expr->As<BinaryExpr>()->op == BinaryOp::kPow);
  // 8 - 2 - 1 is (8 - 2) - 1.
  e = ParseExpr("8 - 2 - 1");
  REQUIRE(e.ok());
  CHECK((*e)->As<BinaryExpr>()->lhs->As<BinaryExpr>() != nullptr);
  CHECK((*e)->Type() == ValueType::kScalar);
}

TEST_CASE("parser reports errors with Prometheus line:column positions", "[select][promql][parser]") {
  CHECK(ErrorOf("foo{") == "1:5: parse error: unexpected end of input inside braces");
  CHECK(ErrorOf("") == "1:1: parse error: no expression found in input");
  CHECK(ErrorOf("1 +") == "1:4: parse error: unexpected end of input");
  CHECK(ErrorOf("foo bar") == "1:5: parse error: unexpected identifier \"bar\"");
  CHECK(ErrorOf(R"(foo{a="b" c="d"})") ==
        "1:11: parse error: unexpected identifier \"c\" in label matching, expected \",\" or \"}\"");
  CHECK(ErrorOf("foo{a}") ==
        "1:6: parse error: unexpected \"}\" in label matching, expected label matching operator");
  CHECK(ErrorOf("foo{a=}") == "1:7: parse error: unexpected \"}\" in label matching, expected string");
  CHECK(ErrorOf("foo\n  + {") == "2:6: parse error: unexpected end of input inside braces");
  CHECK(ErrorOf("rate(foo[5m])") == "1:1: parse error: unknown function with name \"rate\"");
}

TEST_CASE("parser rejects selectors that match every series", "[select][promql][parser]") {
  CHECK(ErrorOf("{}") == "1:1: parse error: vector selector must contain at least one non-empty matcher");
  CHECK(ErrorOf(R"({a=~".*"})") == "1:1: parse error: vector selector must contain at least one non-empty matcher");
  CHECK(ErrorOf(R"({a!="x"})") == "1:1: parse error: vector selector must contain at least one non-empty matcher");
  CHECK(ParseExpr(R"({a=~".+"})").ok());
  CHECK(ParseExpr(R"({a=~".*", b="x"})").ok());
}

TEST_CASE("parser rejects a metric name given twice", "[select][promql][parser]") {
  CHECK(ErrorOf(R"(foo{__name__="bar"})") == "1:1: parse error: metric name must not be set twice: \"foo\" or \"bar\"");
}

TEST_CASE("parser checks operand types like Prometheus", "[select][promql][parser]") {
  CHECK(ErrorOf("1 > 2") == "1:1: parse error: comparisons between scalars must use BOOL modifier");
  CHECK(ParseExpr("1 > bool 2").ok());
  CHECK(ErrorOf("1 + bool 2") == "1:3: parse error: bool modifier can only be used on comparison operators");
  CHECK(ErrorOf("1 and foo") == "1:1: parse error: set operator \"and\" not allowed in binary scalar expression");
  CHECK(ErrorOf("foo[5m] + 1") == "1:1: parse error: binary expression must contain only scalar and instant vector types");
  CHECK(ErrorOf("(1)[5m]") == "1:1: parse error: ranges only allowed for vector selectors");
  CHECK(ErrorOf(R"({a="b"} offset)") == "1:15: parse error: unexpected end of input in offset, expected duration");
  CHECK(ErrorOf(R"(foo{a=~"("})") .find("invalid regular expression") != std::string::npos);
}

}  // namespace
}  // namespace strata::promql
