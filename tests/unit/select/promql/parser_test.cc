#include "select/promql/parser.h"

#include <cmath>

#include <catch2/catch.hpp>

#include "common/base/status.h"
#include "select/promql/function_signatures.h"

namespace strata::promql {
namespace {

ExprPtr Parse(std::string_view query, bool experimental = false) {
  ParseOptions options;
  options.experimental_functions = experimental;
  auto e = ParseExpr(query, options);
  INFO(query);
  REQUIRE(e.ok());
  return *std::move(e);
}

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

std::string ErrorOf(std::string_view query, bool experimental = false) {
  ParseOptions options;
  options.experimental_functions = experimental;
  auto r = ParseExpr(query, options);
  INFO(query);
  REQUIRE_FALSE(r.ok());
  CHECK(r.status().code() == absl::StatusCode::kInvalidArgument);
  return std::string(ToStd(r.status().message()));
}

double Number(std::string_view query) {
  ExprPtr e = Parse(query);
  const auto* n = e->As<NumberLiteral>();
  REQUIRE(n != nullptr);
  return n->value;
}

TEST_CASE("parser accepts a bare metric name as a selector with a name matcher", "[promql][parser]") {
  ExprPtr e = Parse("up");
  const VectorSelector& vs = Selector(e);
  CHECK(vs.name == "up");
  CHECK(Matchers(vs) == "__name__=\"up\"");
  CHECK(e->Type() == ValueType::kVector);
}

TEST_CASE("parser accepts all four matcher types and a trailing comma", "[promql][parser]") {
  ExprPtr e = Parse(R"(http_requests_total{a="b",c!="d",e=~"f.*",g!~"h",})");
  CHECK(Matchers(Selector(e)) == R"(__name__="http_requests_total",a="b",c!="d",e=~"f.*",g!~"h")");
}

TEST_CASE("parser accepts selectors given only by matchers, including quoted UTF-8 names", "[promql][parser]") {
  ExprPtr e = Parse(R"({__name__="m"})");
  CHECK(Selector(e).name.empty());
  CHECK(Matchers(Selector(e)) == R"(__name__="m")");
  e = Parse(R"({"my.metric", "label.with.dots"="v"})");
  CHECK(Selector(e).name.empty());
  CHECK(Matchers(Selector(e)) == R"(__name__="my.metric",label.with.dots="v")");
  // Keywords are ordinary label names inside braces and metric names outside.
  e = Parse(R"(offset{by="x", on="y"})");
  CHECK(Matchers(Selector(e)) == R"(__name__="offset",by="x",on="y")");
  CHECK(Selector(Parse("offset")).name == "offset");
  CHECK(Selector(Parse("sum")).name == "sum");
  CHECK(Selector(Parse("job:rate5m:sum")).name == "job:rate5m:sum");
}

TEST_CASE("parser reads number literals in every Prometheus form", "[promql][parser]") {
  CHECK(Number("12.34e6") == 12.34e6);
  CHECK(Number("12.34e+6") == 12.34e6);
  CHECK(Number(".2") == 0.2);
  CHECK(Number("2.") == 2);
  CHECK(Number("+0.2") == 0.2);
  CHECK(Number("-0.2e-6") == -0.2e-6);
  CHECK(Number("0x1F") == 31);
  CHECK(Number("0755") == 493);
  CHECK(Number("09") == 9);
  CHECK(Number("inF") == INFINITY);
  CHECK(Number("-Inf") == -INFINITY);
  CHECK(std::isnan(Number("nan")));
  CHECK(Number("1_000_000") == 1e6);
  CHECK(Number(".123_456") == 0.123456);
  CHECK(Number("0x_FF") == 255);
  CHECK(Number("1e-400") == 0);
  // Prometheus 3: a duration literal is a number of seconds.
  CHECK(Number("1m") == 60);
  CHECK(Number("1h30m") == 5400);
  CHECK(Number("-5s") == -5);
  // The sign is folded into the literal, which then starts at the sign.
  ExprPtr e = Parse("- 1");
  CHECK(e->pos.start == 0);
  CHECK(e->pos.end == 3);
  CHECK(Number("- - 1") == 1);
}

TEST_CASE("parser unquotes strings with Go escapes in all three quotings", "[promql][parser]") {
  ExprPtr e = Parse(R"("a\nb\t\"\x41\u00e9\101")");
  REQUIRE(e->As<StringLiteral>() != nullptr);
  CHECK(e->As<StringLiteral>()->value == "a\nb\t\"A\xc3\xa9" "A");
  CHECK(Parse(R"('it\'s')")->As<StringLiteral>()->value == "it's");
  CHECK(Parse(R"(`raw\n`)")->As<StringLiteral>()->value == "raw\\n");
  CHECK(Parse(R"("")")->Type() == ValueType::kString);
}

TEST_CASE("parser reads offset and @ in either order, negative offsets and start()/end()", "[promql][parser]") {
  ExprPtr e = Parse("foo offset 5m @ 1000");
  CHECK(Selector(e).offset_ms == 300000);
  CHECK(Selector(e).at == AtModifier::kTimestamp);
  CHECK(Selector(e).at_ms == 1000000);
  CHECK(e->pos.end == 20);
  e = Parse("foo @ 1.5 offset -1h");
  CHECK(Selector(e).offset_ms == -3600000);
  CHECK(Selector(e).at_ms == 1500);
  e = Parse("foo @ -10");
  CHECK(Selector(e).at_ms == -10000);
  e = Parse("foo[1h30m] offset -1m @ end()");
  const auto* ms = e->As<MatrixSelector>();
  REQUIRE(ms != nullptr);
  CHECK(ms->range_ms == 5400000);
  CHECK(ms->selector.offset_ms == -60000);
  CHECK(ms->selector.at == AtModifier::kEnd);
  CHECK(e->Type() == ValueType::kMatrix);
  CHECK(Parse("foo @ start()")->As<VectorSelector>()->at == AtModifier::kStart);
  CHECK(Parse("foo @ end ( )")->As<VectorSelector>()->at == AtModifier::kEnd);
  CHECK(Selector(Parse("start")).name == "start");
  // Plain numbers are seconds where durations are expected.
  CHECK(Parse("foo[90]")->As<MatrixSelector>()->range_ms == 90000);
  CHECK(Selector(Parse("foo offset 1.5")).offset_ms == 1500);
}

TEST_CASE("parser builds subqueries with optional step, offset and @", "[promql][parser]") {
  ExprPtr e = Parse("rate(foo[5m])[30m:1m] offset 10m @ 100");
  const auto* sq = e->As<SubqueryExpr>();
  REQUIRE(sq != nullptr);
  CHECK(sq->range_ms == 1800000);
  CHECK(sq->step_ms == 60000);
  CHECK(sq->offset_ms == 600000);
  CHECK(sq->at == AtModifier::kTimestamp);
  CHECK(sq->at_ms == 100000);
  CHECK(sq->expr->As<Call>() != nullptr);
  CHECK(e->Type() == ValueType::kMatrix);
  CHECK(e->pos.start == 0);
  CHECK(e->pos.end == 38);
  e = Parse("foo[5m:]");
  REQUIRE(e->As<SubqueryExpr>() != nullptr);
  CHECK(e->As<SubqueryExpr>()->step_ms == 0);
  // Nested subqueries.
  e = Parse("max_over_time(deriv(rate(foo[1m])[5m:1m])[10m:])");
  CHECK(e->As<Call>()->args[0]->As<SubqueryExpr>() != nullptr);
}

TEST_CASE("parser gives arithmetic Prometheus precedence and associativity", "[promql][parser]") {
  // 1 + 2 * 3: the multiplication is the right operand.
  ExprPtr e = Parse("1 + 2 * 3");
  const auto* add = e->As<BinaryExpr>();
  REQUIRE(add != nullptr);
  CHECK(add->op == BinaryOp::kAdd);
  CHECK(add->rhs->As<BinaryExpr>()->op == BinaryOp::kMul);
  CHECK_FALSE(add->matching.has_value());
  // 2 ^ 3 ^ 2 is 2 ^ (3 ^ 2).
  e = Parse("2 ^ 3 ^ 2");
  const auto* pow = e->As<BinaryExpr>();
  CHECK(pow->lhs->As<NumberLiteral>()->value == 2);
  CHECK(pow->rhs->As<BinaryExpr>()->op == BinaryOp::kPow);
  // -2 ^ 2 is -(2 ^ 2).
  e = Parse("-2 ^ 2");
  const auto* neg = e->As<UnaryExpr>();
  REQUIRE(neg != nullptr);
  CHECK(neg->expr->As<BinaryExpr>()->op == BinaryOp::kPow);
  // -a * b is (-a) * b: unary minus binds like multiplication.
  e = Parse("-a * b");
  REQUIRE(e->As<BinaryExpr>() != nullptr);
  CHECK(e->As<BinaryExpr>()->lhs->As<UnaryExpr>() != nullptr);
  // 8 - 2 - 1 is (8 - 2) - 1.
  e = Parse("8 - 2 - 1");
  CHECK(e->As<BinaryExpr>()->lhs->As<BinaryExpr>() != nullptr);
  CHECK(e->Type() == ValueType::kScalar);
  // or < and/unless < comparisons < +- < */%atan2 < ^.
  e = Parse("a or b and c == d + e * f ^ g");
  CHECK(e->As<BinaryExpr>()->op == BinaryOp::kOr);
  const BinaryExpr* r = e->As<BinaryExpr>()->rhs->As<BinaryExpr>();
  CHECK(r->op == BinaryOp::kAnd);
  r = r->rhs->As<BinaryExpr>();
  CHECK(r->op == BinaryOp::kEql);
  r = r->rhs->As<BinaryExpr>();
  CHECK(r->op == BinaryOp::kAdd);
  r = r->rhs->As<BinaryExpr>();
  CHECK(r->op == BinaryOp::kMul);
  CHECK(r->rhs->As<BinaryExpr>()->op == BinaryOp::kPow);
  e = Parse("a atan2 b * c");
  CHECK(e->As<BinaryExpr>()->op == BinaryOp::kMul);
  // Keywords are case-insensitive.
  CHECK(Parse("a AND b")->As<BinaryExpr>()->op == BinaryOp::kAnd);
}

TEST_CASE("parser reads vector matching and sets it between any two instant vectors", "[promql][parser]") {
  ExprPtr e = Parse("a + on(x, y) group_left(z) b");
  const auto* b = e->As<BinaryExpr>();
  REQUIRE(b->matching.has_value());
  CHECK(b->matching->on);
  CHECK(b->matching->matching_labels == std::vector<std::string>{"x", "y"});
  CHECK(b->matching->card == MatchCardinality::kManyToOne);
  CHECK(b->matching->include == std::vector<std::string>{"z"});
  e = Parse("a / ignoring(x) group_right b");
  b = e->As<BinaryExpr>();
  CHECK_FALSE(b->matching->on);
  CHECK(b->matching->card == MatchCardinality::kOneToMany);
  CHECK(b->matching->include.empty());
  e = Parse("a == bool b");
  b = e->As<BinaryExpr>();
  CHECK(b->return_bool);
  REQUIRE(b->matching.has_value());
  CHECK(b->matching->card == MatchCardinality::kOneToOne);
  CHECK(b->matching->matching_labels.empty());
  // Set operators are many-to-many even without modifiers.
  e = Parse("a unless on(x) b");
  CHECK(e->As<BinaryExpr>()->matching->card == MatchCardinality::kManyToMany);
  CHECK(Parse("a or b")->As<BinaryExpr>()->matching->card == MatchCardinality::kManyToMany);
  // No matching when a side is a scalar.
  CHECK_FALSE(Parse("a * 2")->As<BinaryExpr>()->matching.has_value());
  CHECK(Parse("1 < bool 2")->Type() == ValueType::kScalar);
  // Keywords and trailing commas inside label lists.
  e = Parse("a + on(on, bool, by,) b");
  CHECK(e->As<BinaryExpr>()->matching->matching_labels == std::vector<std::string>{"on", "bool", "by"});
}

TEST_CASE("parser reads aggregations with grouping before or after and their parameter", "[promql][parser]") {
  ExprPtr e = Parse("sum by (job, instance) (rate(foo[5m]))");
  const auto* a = e->As<AggregateExpr>();
  REQUIRE(a != nullptr);
  CHECK(a->op == AggregateOp::kSum);
  CHECK(a->grouping == std::vector<std::string>{"job", "instance"});
  CHECK_FALSE(a->without);
  CHECK(a->param == nullptr);
  e = Parse("avg(foo) without (a)");
  CHECK(e->As<AggregateExpr>()->without);
  CHECK(e->As<AggregateExpr>()->grouping == std::vector<std::string>{"a"});
  CHECK(e->pos.end == 20);
  e = Parse("topk(3, foo)");
  CHECK(e->As<AggregateExpr>()->param->As<NumberLiteral>()->value == 3);
  e = Parse("count_values(\"v\", foo)");
  CHECK(e->As<AggregateExpr>()->param->As<StringLiteral>()->value == "v");
  e = Parse("quantile without() (0.9, foo)");
  CHECK(e->As<AggregateExpr>()->op == AggregateOp::kQuantile);
  CHECK(e->As<AggregateExpr>()->has_grouping_clause);
  CHECK(Parse("SUM(foo)")->As<AggregateExpr>() != nullptr);
  e = Parse("limitk(2, foo)", true);
  CHECK(e->As<AggregateExpr>()->op == AggregateOp::kLimitk);
  CHECK(Parse("limit_ratio(0.5, foo)", true)->As<AggregateExpr>()->op == AggregateOp::kLimitRatio);
  CHECK(Parse("sum by (\"a.b\") (foo)")->As<AggregateExpr>()->grouping == std::vector<std::string>{"a.b"});
}

TEST_CASE("parser reads function calls and checks them against the signature table", "[promql][parser]") {
  ExprPtr e = Parse("label_join(foo, \"dst\", \",\", \"a\", \"b\", \"c\")");
  const auto* c = e->As<Call>();
  REQUIRE(c != nullptr);
  CHECK(c->func->name == "label_join");
  CHECK(c->args.size() == 6);
  CHECK(Parse("round(foo)")->As<Call>()->args.size() == 1);
  CHECK(Parse("round(foo, 5)")->As<Call>()->args.size() == 2);
  CHECK(Parse("time()")->Type() == ValueType::kScalar);
  CHECK(Parse("vector(1)")->Type() == ValueType::kVector);
  CHECK(Parse("sort_by_label(foo, \"a\", \"b\")", true)->As<Call>() != nullptr);
  CHECK(Parse("step()", true)->Type() == ValueType::kScalar);
  CHECK(Parse("start() + end()", true)->Type() == ValueType::kScalar);
  CHECK(Parse("histogram_quantile(0.9, rate(foo_bucket[5m]))")->As<Call>() != nullptr);
  // info()'s second argument is a label selector that may match everything.
  CHECK(Parse("info(metric, {data=~\".*\"})", true)->As<Call>()->args.size() == 2);
  CHECK(ErrorOf("info(metric, foo)", true) ==
        "1:14: parse error: expected label selectors only, got vector selector instead");
}

TEST_CASE("parser records node byte ranges like Prometheus", "[promql][parser]") {
  ExprPtr e = Parse("rate(foo[5m])");
  CHECK(e->pos.start == 0);
  CHECK(e->pos.end == 13);
  const Expr& arg = *e->As<Call>()->args[0];
  CHECK(arg.pos.start == 5);
  CHECK(arg.pos.end == 12);
  e = Parse("sum by (job) (x) + on(a) -y");
  const auto* b = e->As<BinaryExpr>();
  CHECK(b->lhs->pos.start == 0);
  CHECK(b->lhs->pos.end == 16);
  CHECK(b->rhs->pos.start == 25);
  CHECK(b->rhs->pos.end == 27);
  CHECK(e->pos.end == 27);
  e = Parse("(foo{a=\"b\"} offset 1m)");
  CHECK(e->pos.end == 22);
  CHECK(e->As<ParenExpr>()->expr->pos.start == 1);
  CHECK(e->As<ParenExpr>()->expr->pos.end == 21);
  e = Parse("foo @ start() # comment");
  CHECK(e->pos.end == 13);
}

TEST_CASE("parser reports syntax errors with Prometheus line:column positions", "[promql][parser]") {
  CHECK(ErrorOf("foo{") == "1:5: parse error: unexpected end of input inside braces");
  CHECK(ErrorOf("") == "1:1: parse error: no expression found in input");
  CHECK(ErrorOf("# only a comment") == "1:1: parse error: no expression found in input");
  CHECK(ErrorOf("1 +") == "1:4: parse error: unexpected end of input");
  CHECK(ErrorOf("foo bar") == "1:5: parse error: unexpected identifier \"bar\"");
  CHECK(ErrorOf(R"(foo{a="b" c="d"})") ==
        "1:11: parse error: unexpected identifier \"c\" in label matching, expected \",\" or \"}\"");
  CHECK(ErrorOf("foo{a}") ==
        "1:6: parse error: unexpected \"}\" in label matching, expected label matching operator");
  CHECK(ErrorOf("foo{a=}") == "1:7: parse error: unexpected \"}\" in label matching, expected string");
  CHECK(ErrorOf("foo{,}") == "1:5: parse error: unexpected \",\" in label matching, expected identifier or \"}\"");
  CHECK(ErrorOf("foo\n  + {") == "2:6: parse error: unexpected end of input inside braces");
  CHECK(ErrorOf("(foo") == "1:5: parse error: unclosed left parenthesis");
  CHECK(ErrorOf("foo)") == "1:4: parse error: unexpected right parenthesis ')'");
  CHECK(ErrorOf("foo[5m") == "1:7: parse error: unclosed left bracket");
  CHECK(ErrorOf("foo[]") == "1:5: parse error: unexpected \"]\" in subquery selector, expected number or duration");
  CHECK(ErrorOf("foo[5m x]") ==
        "1:8: parse error: unexpected identifier \"x\" in subquery or range, expected \":\" or \"]\"");
  CHECK(ErrorOf("foo[5m:x]") ==
        "1:8: parse error: unexpected identifier \"x\" in subquery selector, expected number or duration or \"]\"");
  CHECK(ErrorOf("foo[5m:1m x]") ==
        "1:11: parse error: unexpected identifier \"x\" in subquery selector, expected \"]\"");
  CHECK(ErrorOf(R"({a="b"} offset)") ==
        "1:15: parse error: unexpected end of input in offset, expected number or duration");
  CHECK(ErrorOf("foo @ bar") == "1:7: parse error: unexpected identifier \"bar\" in @, expected timestamp");
  CHECK(ErrorOf("sum by foo (x)") ==
        "1:8: parse error: unexpected identifier \"foo\" in grouping opts, expected \"(\"");
  CHECK(ErrorOf("sum by (1) (x)") == "1:9: parse error: unexpected number \"1\" in grouping opts, expected label");
  CHECK(ErrorOf("sum by (a b) (x)") ==
        "1:11: parse error: unexpected identifier \"b\" in grouping opts, expected \",\" or \")\"");
  CHECK(ErrorOf("rate(foo[5m],)") == "1:13: parse error: trailing commas not allowed in function call args");
  CHECK(ErrorOf("a + on(b) bool c") == "1:11: parse error: unexpected <bool>");
  CHECK(ErrorOf("foo{a=~\"(\"}").find("1:5: parse error: ") == 0);
  CHECK(ErrorOf("1e400") == "1:1: parse error: error parsing number: strconv.ParseFloat: parsing \"1e400\": value out "
                            "of range");
  CHECK(ErrorOf("label_replace(a, `b`, `c\xff`, `d`, `.*`)") == "1:23: parse error: invalid UTF-8 rune");
  CHECK(ErrorOf("1 !~ 1") == "1:3: parse error: unexpected character after '!': '~'");
  CHECK(ErrorOf("1 =~ 1") == "1:3: parse error: unexpected character after '=': '~'");
  CHECK(ErrorOf("-=") == "1:2: parse error: unexpected \"=\"");
  CHECK(ErrorOf("++-++-+-+-<") == "1:11: parse error: unexpected <op:<>");
  CHECK(ErrorOf("100..4") == "1:5: parse error: unexpected number \".4\"");
  CHECK(ErrorOf("0deadbeef") == "1:1: parse error: bad number or duration syntax: \"0de\"");
  CHECK(ErrorOf("a - on(b) ignoring(c) d") == "1:11: parse error: unexpected <ignoring>");
  CHECK(ErrorOf("MIN keep_common (some_metric)") == "1:5: parse error: unexpected identifier \"keep_common\"");
  CHECK(ErrorOf("sum (some_metric) without (test) by (test)") == "1:34: parse error: unexpected <by>");
  CHECK(ErrorOf("sum without(==)(some_metric)") ==
        "1:13: parse error: unexpected <op:==> in grouping opts, expected label");
  CHECK(ErrorOf("sum without(foo,,)(some_metric)") ==
        "1:17: parse error: unexpected \",\" in grouping opts, expected label");
  CHECK(ErrorOf("some_metric[5m] @") == "1:18: parse error: unexpected end of input in @, expected timestamp");
  CHECK(ErrorOf("some_metric OFFSET 1m[5m]") == "1:22: parse error: no offset modifiers allowed before range");
  CHECK(ErrorOf("some_metric @ 1234 [5m]") == "1:20: parse error: no @ modifiers allowed before range");
  CHECK(ErrorOf("1.5h") == "1:1: parse error: bad number or duration syntax: \"1.5h\"");
  CHECK(ErrorOf("foo[5m5m]") == "1:5: parse error: not a valid duration string: \"5m5m\"");
}

TEST_CASE("parser refuses queries nested deeper than its stack can take, without crashing", "[promql][parser]") {
  // Prometheus (Go, growable stacks) has no limit; a recursive C++ parser,
  // checker and evaluator need one so that a hostile query cannot crash the
  // node. Realistic nesting is far below it.
  std::string q = "(";
  for (int i = 0; i < 10000; ++i) q += "-{}-1";
  q += ")";
  for (int i = 0; i < 1000; ++i) q += "[1m:]";
  CHECK(ErrorOf(q).find("parse error: query is nested too deeply (more than 2000 levels)") != std::string::npos);
  CHECK(ErrorOf(std::string(100000, '(') + "1" + std::string(100000, ')')) ==
        "1:501: parse error: query is nested too deeply (more than 500 levels)");
  CHECK(ErrorOf(std::string(1000000, '-') + "1").find("nested too deeply") != std::string::npos);
  std::string chain = "1";
  for (int i = 0; i < 200000; ++i) chain += "+1";
  CHECK(ErrorOf(chain).find("nested too deeply") != std::string::npos);
  std::string subqueries = "foo";
  for (int i = 0; i < 5000; ++i) subqueries += "[1m:]";
  CHECK(ErrorOf(subqueries).find("nested too deeply") != std::string::npos);
  // Just under the limits parses, and the leftmost type error still wins.
  CHECK(Parse(std::string(400, '(') + "1" + std::string(400, ')'))->As<ParenExpr>() != nullptr);
  std::string ok_chain = "a";
  for (int i = 0; i < 1500; ++i) ok_chain += " or a";
  CHECK(Parse(ok_chain)->As<BinaryExpr>() != nullptr);
  q = "(";
  for (int i = 0; i < 300; ++i) q += "-{}-1";
  q += ")";
  for (int i = 0; i < 100; ++i) q += "[1m:]";
  CHECK(ErrorOf(q) == "1:3: parse error: vector selector must contain at least one non-empty matcher");
}

TEST_CASE("parser rejects unknown, misused and disabled functions with Prometheus's messages", "[promql][parser]") {
  CHECK(ErrorOf("non_existent_function_far_bar()") ==
        "1:1: parse error: unknown function with name \"non_existent_function_far_bar\"");
  CHECK(ErrorOf("rate(some_metric)") ==
        "1:6: parse error: expected type range vector in call to function \"rate\", got instant vector");
  CHECK(ErrorOf("abs(foo, 2)") == "1:1: parse error: expected 1 argument(s) in call to \"abs\", got 2");
  CHECK(ErrorOf("floor()") == "1:1: parse error: expected 1 argument(s) in call to \"floor\", got 0");
  CHECK(ErrorOf("label_join(foo)") ==
        "1:1: parse error: expected at least 3 argument(s) in call to \"label_join\", got 1");
  CHECK(ErrorOf("round(foo, 1, 2)") == "1:1: parse error: expected at most 2 argument(s) in call to \"round\", got 3");
  CHECK(ErrorOf("label_join(foo, \"a\", \"b\", 1)") ==
        "1:27: parse error: expected type string in call to function \"label_join\", got scalar");
  CHECK(ErrorOf("sort_by_label(foo, \"a\")") == "1:1: parse error: function \"sort_by_label\" is not enabled");
  CHECK(ErrorOf("mad_over_time(foo[5m])") == "1:1: parse error: function \"mad_over_time\" is not enabled");
  CHECK(ErrorOf("limitk(1, foo)") ==
        "1:1: parse error: limitk() is experimental and must be enabled with "
        "--enable-feature=promql-experimental-functions");
  CHECK(ErrorOf("limit_ratio(0.5, foo)") ==
        "1:1: parse error: limit_ratio() is experimental and must be enabled with "
        "--enable-feature=promql-experimental-functions");
}

TEST_CASE("parser checks aggregation arguments like Prometheus", "[promql][parser]") {
  CHECK(ErrorOf("sum()") == "1:1: parse error: no arguments for aggregate expression provided");
  CHECK(ErrorOf("topk(foo)") ==
        "1:1: parse error: wrong number of arguments for aggregate expression provided, expected 2, got 1");
  CHECK(ErrorOf("sum(1, foo)") ==
        "1:1: parse error: wrong number of arguments for aggregate expression provided, expected 1, got 2");
  CHECK(ErrorOf("sum(1)") == "1:5: parse error: expected type instant vector in aggregation expression, got scalar");
  CHECK(ErrorOf("sum(foo[5m])") ==
        "1:5: parse error: expected type instant vector in aggregation expression, got range vector");
  CHECK(ErrorOf("topk(\"a\", foo)") ==
        "1:6: parse error: expected type scalar in aggregation parameter, got string");
  CHECK(ErrorOf("count_values(5, foo)") ==
        "1:14: parse error: expected type string in aggregation parameter, got scalar");
}

TEST_CASE("parser checks operand types of binary and unary expressions like Prometheus", "[promql][parser]") {
  CHECK(ErrorOf("1 == 1") == "1:3: parse error: comparisons between scalars must use BOOL modifier");
  CHECK(ErrorOf("1 + bool 2") == "1:3: parse error: bool modifier can only be used on comparison operators");
  CHECK(ErrorOf("1 and 1") == "1:1: parse error: set operator \"and\" not allowed in binary scalar expression");
  CHECK(ErrorOf("foo or 1") == "1:1: parse error: set operator \"or\" not allowed in binary scalar expression");
  CHECK(ErrorOf("foo[5m] + 1") ==
        "1:1: parse error: binary expression must contain only scalar and instant vector types");
  CHECK(ErrorOf("1 + foo[5m]") ==
        "1:5: parse error: binary expression must contain only scalar and instant vector types");
  CHECK(ErrorOf("\"a\" + 1") == "1:1: parse error: binary expression must contain only scalar and instant vector types");
  CHECK(ErrorOf("1 + on(foo) bar") == "1:1: parse error: vector matching only allowed between instant vectors");
  CHECK(ErrorOf("foo and on(bar) group_left(baz) bar") ==
        "1:1: parse error: no grouping allowed for \"and\" operation");
  CHECK(ErrorOf("foo + on(bar) group_left(bar) baz") ==
        "1:5: parse error: label \"bar\" must not occur in ON and GROUP clause at once");
  CHECK(ErrorOf("-\"string\"") ==
        "1:1: parse error: unary expression only allowed on expressions of type scalar or instant vector, got "
        "\"string\"");
  CHECK(ErrorOf("-foo[5m]") ==
        "1:1: parse error: unary expression only allowed on expressions of type scalar or instant vector, got "
        "\"range vector\"");
}

TEST_CASE("parser rejects misplaced ranges, offsets and @ modifiers", "[promql][parser]") {
  CHECK(ErrorOf("(foo + bar)[5m]") == "1:12: parse error: ranges only allowed for vector selectors");
  CHECK(ErrorOf("foo offset 5m[5m]") == "1:14: parse error: no offset modifiers allowed before range");
  CHECK(ErrorOf("foo @ 10 [5m]") == "1:10: parse error: no @ modifiers allowed before range");
  CHECK(ErrorOf("foo[5m][5m:1m]") == "1:1: parse error: subquery is only allowed on instant vector, got matrix instead");
  CHECK(ErrorOf("1 offset 1d") ==
        "1:1: parse error: offset modifier must be preceded by an instant vector selector or range vector selector "
        "or a subquery");
  CHECK(ErrorOf("sum(foo) @ 10") ==
        "1:1: parse error: @ modifier must be preceded by an instant vector selector or range vector selector or a "
        "subquery");
  CHECK(ErrorOf("foo offset 1s offset 2s") == "1:1: parse error: offset may not be set multiple times");
  CHECK(ErrorOf("foo[5m:] offset 1s offset 2s") == "1:1: parse error: offset may not be set multiple times");
  CHECK(ErrorOf("foo @ 10 @ 20") == "1:1: parse error: @ <timestamp> may not be set multiple times");
  CHECK(ErrorOf("foo @ Inf") == "1:1: parse error: timestamp out of bounds for @ modifier: +Inf");
}

TEST_CASE("parser rejects selectors that match every series or name the metric twice", "[promql][parser]") {
  CHECK(ErrorOf("{}") == "1:1: parse error: vector selector must contain at least one non-empty matcher");
  CHECK(ErrorOf(R"({a=~".*"})") == "1:1: parse error: vector selector must contain at least one non-empty matcher");
  CHECK(ErrorOf(R"({a!="x"})") == "1:1: parse error: vector selector must contain at least one non-empty matcher");
  CHECK(ErrorOf(R"(sum(x{a=""}[5m:] + {b=""}))") ==
        "1:20: parse error: vector selector must contain at least one non-empty matcher");
  CHECK(Parse(R"({a=~".+"})")->As<VectorSelector>() != nullptr);
  CHECK(Parse(R"({a=~".*", b="x"})")->As<VectorSelector>() != nullptr);
  CHECK(ErrorOf(R"(foo{__name__="bar"})") ==
        "1:1: parse error: metric name must not be set twice: \"foo\" or \"bar\"");
  CHECK(ErrorOf(R"(foo{"bar"})") == "1:1: parse error: metric name must not be set twice: \"foo\" or \"bar\"");
}

}  // namespace
}  // namespace strata::promql
