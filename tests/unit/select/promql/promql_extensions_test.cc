// Prometheus 3's feature-flagged PromQL extensions: duration expressions
// (promql-duration-expr) and binary-operator fill modifiers
// (promql-binop-fill-modifiers), through the parser, the printer, the
// per-query resolution of durations and the vector binary operator.
#include <catch2/catch.hpp>
#include <cmath>
#include <initializer_list>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "common/base/status.h"
#include "select/promql/ast_printer.h"
#include "select/promql/binary_ops.h"
#include "select/promql/engine.h"
#include "select/promql/memory_querier.h"
#include "select/promql/parser.h"
#include "unit/select/promql/engine_test_util.h"

namespace strata::promql {
namespace {

ParseOptions Enabled() {
  ParseOptions o;
  o.duration_expressions = true;
  o.binop_fill_modifiers = true;
  return o;
}

ExprPtr MustParse(std::string_view query) {
  auto e = ParseExpr(query, Enabled());
  INFO(query << " -> " << (e.ok() ? "ok" : std::string(ToStd(e.status().message()))));
  REQUIRE(e.ok());
  return *std::move(e);
}

std::string ParseError(std::string_view query, const ParseOptions& options = Enabled()) {
  auto e = ParseExpr(query, options);
  INFO(query);
  REQUIRE_FALSE(e.ok());
  return std::string(ToStd(e.status().message()));
}

std::string Printed(std::string_view query) { return FormatExpr(*MustParse(query)); }

Labels L(std::initializer_list<std::pair<const char*, const char*>> kv) {
  std::vector<Label> v;
  for (const auto& [n, val] : kv) v.push_back(Label{n, val});
  return Labels::FromUnsorted(std::move(v));
}

// ---- Duration expressions: parsing and printing -----------------------------

TEST_CASE("duration expressions parse only when the feature is enabled", "[promql][parser][duration_expr]") {
  CHECK_FALSE(ParseExpr("foo[5m * 2]").ok());
  CHECK_FALSE(ParseExpr("foo offset (1h + 5m)").ok());
  CHECK_FALSE(ParseExpr("foo[step()]").ok());
  // Plain literals behave the same either way.
  auto plain = ParseExpr("foo[30m] offset 5m");
  REQUIRE(plain.ok());
  const ExprPtr with = MustParse("foo[30m] offset 5m");
  const auto* a = (*plain)->As<MatrixSelector>();
  const auto* b = with->As<MatrixSelector>();
  REQUIRE(a != nullptr);
  REQUIRE(b != nullptr);
  CHECK(a->range_ms == b->range_ms);
  CHECK(a->selector.offset_ms == b->selector.offset_ms);
  CHECK(b->range_expr == nullptr);
}

TEST_CASE("duration expressions print in Prometheus's canonical form", "[promql][parser][duration_expr]") {
  CHECK(Printed("foo[26m+4m]") == "foo[26m + 4m]");
  CHECK(Printed("foo[2m*(10+5)]") == "foo[2m * (10 + 5)]");
  CHECK(Printed("foo[24m+((1.5*2m)+2m)]") == "foo[24m + ((1.5 * 2m) + 2m)]");
  CHECK(Printed("foo[-5m+35m]") == "foo[-5m + 35m]");
  CHECK(Printed("foo[1h30m % 1h]") == "foo[1h30m % 1h]");
  CHECK(Printed("foo[STEP()]") == "foo[step()]");
  CHECK(Printed("foo[max_of(min_of(step()+1,1h),1ms)]") == "foo[max_of(min_of(step() + 1, 1h), 1ms)]");
  CHECK(Printed("x[29s+1s:5s+5s]") == "x[29s + 1s:5s + 5s]");
  CHECK(Printed("x[1m:step()*2]") == "x[1m:step() * 2]");
  CHECK(Printed("foo offset (1h + 5m)") == "foo offset (1h + 5m)");
  CHECK(Printed("foo offset -step()") == "foo offset -step()");
  CHECK(Printed("foo offset -(min_of(step(), 2s)-5)") == "foo offset -(min_of(step(), 2s) - 5)");
  CHECK(Printed("foo offset (5m)") == "foo offset (5m)");
  CHECK(Printed("foo offset range() @ 100") == "foo @ 100.000 offset range()");
  CHECK(Printed("rate(foo[step()] offset (1m*2))") == "rate(foo[step()] offset (1m * 2))");
  // A literal alone is still a plain duration.
  CHECK(Printed("foo[1800]") == "foo[30m]");
  CHECK(Printed("foo offset -4") == "foo offset -4s");
}

TEST_CASE("an offset takes a literal or call without operators, a parenthesised expression with them",
          "[promql][parser][duration_expr]") {
  // `offset 100 + 2` adds 2 to the selector, as in Prometheus.
  const ExprPtr sum = MustParse("foo offset 100 + 2");
  const auto* b = sum->As<BinaryExpr>();
  REQUIRE(b != nullptr);
  CHECK(b->op == BinaryOp::kAdd);
  REQUIRE(b->lhs->As<VectorSelector>() != nullptr);
  CHECK(b->lhs->As<VectorSelector>()->offset_ms == 100000);

  const ExprPtr pow = MustParse("foo offset -2 ^ 2");
  REQUIRE(pow->As<BinaryExpr>() != nullptr);
  CHECK(pow->As<BinaryExpr>()->lhs->As<VectorSelector>()->offset_ms == -2000);

  const ExprPtr step = MustParse("foo offset step() * 0");
  REQUIRE(step->As<BinaryExpr>() != nullptr);
  CHECK(step->As<BinaryExpr>()->op == BinaryOp::kMul);

  const ExprPtr paren = MustParse("foo offset (2 ^ 2)");
  const auto* vs = paren->As<VectorSelector>();
  REQUIRE(vs != nullptr);
  REQUIRE(vs->offset_expr != nullptr);
  auto seconds = EvalDurationExpr(*vs->offset_expr, 0, 0);
  REQUIRE(seconds.ok());
  CHECK(*seconds == 4);
}

TEST_CASE("duration expressions reject what Prometheus rejects", "[promql][parser][duration_expr]") {
  CHECK(ParseError("foo[5m / 0]") == "1:8: parse error: division by zero");
  CHECK(ParseError("foo[5m % 0]") == "1:8: parse error: modulo by zero");
  CHECK(ParseError("foo[5m + bar]").find("unexpected identifier \"bar\"") != std::string::npos);
  CHECK(ParseError("foo offset 1m offset (2m)") == "1:1: parse error: offset may not be set multiple times");
  CHECK(ParseError("foo offset (1m) [5m]") == "1:17: parse error: no offset modifiers allowed before range");
  CHECK(ParseError("foo[]").find("expected number, duration, step(), or range()") != std::string::npos);
}

// ---- Duration expressions: evaluation per query ------------------------------

TEST_CASE("duration expressions resolve against the query's step and range", "[promql][parser][duration_expr]") {
  ExprPtr e = MustParse("foo[step() + 1ms]");
  REQUIRE(ResolveDurationExprs(*e, 10000, 60000).ok());
  CHECK(e->As<MatrixSelector>()->range_ms == 10001);
  // The expression stays: the printed query is unchanged.
  CHECK(FormatExpr(*e) == "foo[step() + 1ms]");

  e = MustParse("sum_over_time(foo[range():step()*2] offset -min_of(step(), 1s))");
  REQUIRE(ResolveDurationExprs(*e, 5000, 10000).ok());
  const auto* sq = e->As<Call>()->args[0]->As<SubqueryExpr>();
  REQUIRE(sq != nullptr);
  CHECK(sq->range_ms == 10000);
  CHECK(sq->step_ms == 10000);
  CHECK(sq->offset_ms == -1000);

  e = MustParse("foo offset (STEP()/10)");
  REQUIRE(ResolveDurationExprs(*e, 5000, 0).ok());
  CHECK(e->As<VectorSelector>()->offset_ms == 500);
}

TEST_CASE("a range or step that resolves to zero or less fails the query", "[promql][parser][duration_expr]") {
  ExprPtr e = MustParse("foo[step()]");
  absl::Status s = ResolveDurationExprs(*e, 0, 0);  // an instant query has no step
  REQUIRE_FALSE(s.ok());
  CHECK(s.code() == absl::StatusCode::kInvalidArgument);
  CHECK(std::string(ToStd(s.message())) == "4:10: duration must be greater than 0");

  e = MustParse("foo[1m:1m - range()]");
  CHECK_FALSE(ResolveDurationExprs(*e, 1000, 60000).ok());

  e = MustParse("foo[1m / (step() - step())]");
  s = ResolveDurationExprs(*e, 1000, 0);
  REQUIRE_FALSE(s.ok());
  CHECK(std::string(ToStd(s.message())).find("division by zero") != std::string::npos);

  // Offsets may be negative or zero.
  e = MustParse("foo offset -range()");
  REQUIRE(ResolveDurationExprs(*e, 0, 0).ok());
  CHECK(e->As<VectorSelector>()->offset_ms == 0);
}

TEST_CASE("the engine evaluates duration expressions once per query with its step and range",
          "[promql][engine][duration_expr]") {
  MemoryQuerier q;
  std::vector<Sample> samples;
  for (int64_t s = 0; s <= 100; ++s) samples.push_back({s * 1000, static_cast<double>(s)});
  q.Add(L({{"__name__", "m"}}), samples);

  EngineOptions off;
  CHECK_FALSE(Engine(off).NewRangeQuery("count_over_time(m[step()])", 50000, 60000, 10000).ok());

  EngineOptions on;
  on.duration_expressions = true;
  const Engine engine(on);
  // One sample per second: a window of step() + 1ms holds step/1s + 1 samples.
  QueryResult r = MustRange(engine, q, "count_over_time(m[step() + 1ms])", 50000, 60000, 5000);
  REQUIRE(r.series.size() == 1);
  for (const Sample& p : r.series[0].samples) CHECK(p.value == 6);
  r = MustRange(engine, q, "m offset range()", 50000, 60000, 5000);
  REQUIRE(r.series.size() == 1);
  REQUIRE(r.series[0].samples.size() == 3);
  CHECK(r.series[0].samples[0].value == 40);
  // An instant query has no step: a range of step() is refused.
  auto instant = engine.NewInstantQuery("count_over_time(m[step()])", 50000);
  REQUIRE_FALSE(instant.ok());
  CHECK(std::string(ToStd(instant.status().message())).find("duration must be greater than 0") != std::string::npos);
}

// ---- Fill modifiers: parsing and printing ----------------------------------

TEST_CASE("fill modifiers parse after the matching modifiers and print back", "[promql][parser][fill]") {
  const ExprPtr e = MustParse("a + on(x) group_left(y) fill_left(1) fill_right(-2) b");
  const auto* b = e->As<BinaryExpr>();
  REQUIRE(b != nullptr);
  REQUIRE(b->matching.has_value());
  CHECK(b->matching->fill_lhs == 1.0);
  CHECK(b->matching->fill_rhs == -2.0);
  CHECK(FormatExpr(*e) == "a + on (x) group_left (y) fill_left (1) fill_right (-2) b");

  CHECK(Printed("a + fill(0) b") == "a + fill (0) b");
  CHECK(Printed("a == bool fill(NaN) b") == "a == bool fill (NaN) b");
  CHECK(Printed("a - ignoring(z) fill_right(1e6) b") == "a - ignoring (z) fill_right (1e+06) b");
  CHECK(Printed("a * FILL(-Inf) b") == "a * fill (-Inf) b");
}

TEST_CASE("fill, fill_left and fill_right remain usable as metric names", "[promql][parser][fill]") {
  CHECK(Printed("fill + fill(0) other") == "fill + fill (0) other");
  CHECK(Printed("other + fill") == "other + fill");
  CHECK(Printed("other + fill(0) fill") == "other + fill (0) fill");
  CHECK(Printed("other + fill_left(0) fill_left") == "other + fill_left (0) fill_left");
}

TEST_CASE("fill modifiers are refused where Prometheus refuses them", "[promql][parser][fill]") {
  CHECK(ParseError("a + fill(0) b", ParseOptions{}) ==
        "1:1: parse error: binop fill modifiers are experimental and not enabled");
  CHECK(ParseError("1 + fill(0) b") ==
        "1:1: parse error: filling in missing series only allowed between instant vectors");
  CHECK(ParseError("a and fill(0) b") == "1:1: parse error: filling in missing series not allowed for set operators");
  CHECK(ParseError("a + fill(x) b").find("unexpected identifier \"x\" in fill modifier") != std::string::npos);
  CHECK(ParseError("a + fill(1) fill_left(2) b").find("may not be set multiple times") != std::string::npos);
}

// ---- Fill modifiers: evaluation ---------------------------------------------

VectorSample S(Labels l, double f) {
  VectorSample s;
  s.labels = std::move(l);
  s.f = f;
  return s;
}

// Evaluates `query` (two selectors around an operator) on one step.
absl::StatusOr<Vector> Eval(std::string_view query, const Vector& lhs, const Vector& rhs) {
  ExprPtr e = MustParse(query);
  const BinaryExpr* b = e->As<BinaryExpr>();
  REQUIRE(b != nullptr);
  BinaryContext ctx;
  ctx.expr = b;
  ctx.t_ms = 1000;
  Vector out;
  STRATA_RETURN_IF_ERROR(VectorVectorBinop(lhs, rhs, ctx, out));
  return out;
}

// label set -> value, for order-independent comparison.
std::map<std::string, double> Values(const Vector& v) {
  std::map<std::string, double> out;
  for (const VectorSample& s : v) out[s.labels.ToString()] = s.f;
  return out;
}

const Vector kLeft = {S(L({{"__name__", "l"}, {"label", "a"}}), 10), S(L({{"__name__", "l"}, {"label", "b"}}), 20),
                      S(L({{"__name__", "l"}, {"label", "c"}}), 30)};
const Vector kRight = {S(L({{"__name__", "r"}, {"label", "a"}}), 100), S(L({{"__name__", "r"}, {"label", "b"}}), 200),
                       S(L({{"__name__", "r"}, {"label", "d"}}), 400)};

TEST_CASE("fill pairs unmatched samples of either side with the fill value", "[promql][binop][fill]") {
  auto both = Eval("l + fill(0) r", kLeft, kRight);
  REQUIRE(both.ok());
  CHECK(Values(*both) == std::map<std::string, double>{{L({{"label", "a"}}).ToString(), 110},
                                                       {L({{"label", "b"}}).ToString(), 220},
                                                       {L({{"label", "c"}}).ToString(), 30},
                                                       {L({{"label", "d"}}).ToString(), 400}});
  auto right = Eval("l + fill_right(7) r", kLeft, kRight);
  REQUIRE(right.ok());
  CHECK(Values(*right).size() == 3);
  CHECK(Values(*right)[L({{"label", "c"}}).ToString()] == 37);
  auto left = Eval("l + fill_left(5) r", kLeft, kRight);
  REQUIRE(left.ok());
  CHECK(Values(*left).size() == 3);
  CHECK(Values(*left)[L({{"label", "d"}}).ToString()] == 405);
  // Without fill nothing unmatched comes out.
  auto none = Eval("l + r", kLeft, kRight);
  REQUIRE(none.ok());
  CHECK(none->size() == 2);
}

TEST_CASE("a filtering comparison with fill keeps the left value and the filled side's match labels",
          "[promql][binop][fill]") {
  auto ne = Eval("l != fill(30) r", kLeft, kRight);
  REQUIRE(ne.ok());
  const auto v = Values(*ne);
  CHECK(v.size() == 3);
  CHECK(v.at(L({{"__name__", "l"}, {"label", "a"}}).ToString()) == 10);
  // The filled left sample has only the match group's labels.
  CHECK(v.at(L({{"label", "d"}}).ToString()) == 30);
  CHECK(v.count(L({{"__name__", "l"}, {"label", "c"}}).ToString()) == 0);  // 30 != 30 is false
}

TEST_CASE("fill works from an empty side", "[promql][binop][fill]") {
  auto from_right = Eval("l + fill(0) r", Vector{}, kRight);
  REQUIRE(from_right.ok());
  CHECK(from_right->size() == 3);
  auto nothing = Eval("l + fill_right(0) r", Vector{}, kRight);
  REQUIRE(nothing.ok());
  CHECK(nothing->empty());
}

TEST_CASE("fill with group_left fills the one side per group and creates missing groups",
          "[promql][binop][fill]") {
  const Vector requests = {S(L({{"__name__", "req"}, {"method", "GET"}, {"status", "200"}}), 100),
                           S(L({{"__name__", "req"}, {"method", "GET"}, {"status", "500"}}), 10)};
  const Vector limits = {S(L({{"__name__", "lim"}, {"status", "200"}}), 1000),
                         S(L({{"__name__", "lim"}, {"status", "404"}}), 500)};
  auto r = Eval("req + on(status) group_left fill(0) lim", requests, limits);
  REQUIRE(r.ok());
  const auto v = Values(*r);
  CHECK(v.size() == 3);
  CHECK(v.at(L({{"method", "GET"}, {"status", "200"}}).ToString()) == 1100);
  CHECK(v.at(L({{"method", "GET"}, {"status", "500"}}).ToString()) == 10);
  CHECK(v.at(L({{"status", "404"}}).ToString()) == 500);
}

TEST_CASE("with group_right, fill_left fills for unmatched groups of the left (one) side as Prometheus does",
          "[promql][binop][fill]") {
  const Vector meta = {S(L({{"__name__", "meta"}, {"instance", "a"}}), 100),
                       S(L({{"__name__", "meta"}, {"instance", "c"}}), 300)};
  const Vector cpu = {S(L({{"__name__", "cpu"}, {"cpu", "0"}, {"instance", "a"}}), 1),
                      S(L({{"__name__", "cpu"}, {"cpu", "0"}, {"instance", "b"}}), 1)};
  auto left = Eval("meta * on(instance) group_right fill_left(1) cpu", meta, cpu);
  REQUIRE(left.ok());
  CHECK(Values(*left) == std::map<std::string, double>{{L({{"cpu", "0"}, {"instance", "a"}}).ToString(), 100},
                                                       {L({{"instance", "c"}}).ToString(), 300}});
  auto right = Eval("meta * on(instance) group_right fill_right(0) cpu", meta, cpu);
  REQUIRE(right.ok());
  CHECK(Values(*right) == std::map<std::string, double>{{L({{"cpu", "0"}, {"instance", "a"}}).ToString(), 100},
                                                        {L({{"cpu", "0"}, {"instance", "b"}}).ToString(), 0}});
}

TEST_CASE("filled samples still obey one-to-one uniqueness", "[promql][binop][fill]") {
  const Vector lhs = {S(L({{"job", "x"}, {"instance", "a"}}), 1), S(L({{"job", "y"}, {"instance", "a"}}), 2)};
  auto r = Eval("l + ignoring(job) fill_right(0) r", lhs, Vector{S(L({{"instance", "b"}}), 5)});
  REQUIRE_FALSE(r.ok());
  CHECK(std::string(ToStd(r.status().message())).find("many-to-one matching must be explicit") != std::string::npos);
}

}  // namespace
}  // namespace strata::promql
