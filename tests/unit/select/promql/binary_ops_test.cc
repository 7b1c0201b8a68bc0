#include "select/promql/binary_ops.h"

#include <catch2/catch.hpp>
#include <cmath>
#include <initializer_list>
#include <string>
#include <utility>
#include <vector>

namespace strata::promql {
namespace {

Labels L(std::initializer_list<std::pair<const char*, const char*>> kv) {
  std::vector<Label> v;
  for (const auto& [n, val] : kv) v.push_back(Label{n, val});
  return Labels::FromUnsorted(std::move(v));
}

VectorSample S(Labels l, double f) {
  VectorSample s;
  s.labels = std::move(l);
  s.f = f;
  return s;
}

BinaryExpr Expr(BinaryOp op, bool return_bool = false) {
  BinaryExpr e;
  e.op = op;
  e.return_bool = return_bool;
  return e;
}

BinaryExpr VecExpr(BinaryOp op, MatchCardinality card, bool on, std::vector<std::string> labels,
                   std::vector<std::string> include = {}, bool return_bool = false) {
  BinaryExpr e = Expr(op, return_bool);
  VectorMatching m;
  m.card = card;
  m.on = on;
  m.matching_labels = std::move(labels);
  m.include = std::move(include);
  e.matching = m;
  return e;
}

BinaryContext Ctx(const BinaryExpr& e, bool delayed = false) {
  BinaryContext c;
  c.expr = &e;
  c.t_ms = 3000000;
  c.delayed_name_removal = delayed;
  return c;
}

// Finds the sample with `labels` in `v`; fails the test when absent.
const VectorSample& Find(const Vector& v, const Labels& labels) {
  for (const VectorSample& s : v) {
    if (s.labels == labels) return s;
  }
  FAIL("no sample with labels " << labels.ToString());
  return v.front();
}

TEST_CASE("scalar binop follows Go float semantics for every operator", "[promql][binop]") {
  CHECK(ScalarBinop(BinaryOp::kAdd, 1, 2) == 3);
  CHECK(ScalarBinop(BinaryOp::kSub, 1, 2) == -1);
  CHECK(ScalarBinop(BinaryOp::kMul, 3, 2) == 6);
  CHECK(ScalarBinop(BinaryOp::kDiv, 1, 0) == INFINITY);
  CHECK(std::isnan(ScalarBinop(BinaryOp::kDiv, 0, 0)));
  CHECK(std::isnan(ScalarBinop(BinaryOp::kMod, 1, 0)));  // literals.test: 1 % 0 is NaN
  CHECK(ScalarBinop(BinaryOp::kMod, -7, 3) == -1);       // math.Mod keeps the dividend's sign
  CHECK(ScalarBinop(BinaryOp::kPow, 2, 10) == 1024);
  CHECK(ScalarBinop(BinaryOp::kAtan2, 10, 20) == Approx(0.4636476090008061).epsilon(1e-15));
  CHECK(std::isnan(ScalarBinop(BinaryOp::kAtan2, 10, NAN)));
  CHECK(ScalarBinop(BinaryOp::kEql, 0, 1) == 0);
  CHECK(ScalarBinop(BinaryOp::kEql, 1, 1) == 1);
  CHECK(ScalarBinop(BinaryOp::kNeq, NAN, NAN) == 1);
  CHECK(ScalarBinop(BinaryOp::kLte, 2, 2) == 1);
  CHECK(ScalarBinop(BinaryOp::kGtr, 2, 2) == 0);
}

TEST_CASE("vector-scalar arithmetic drops the name and honours operand order", "[promql][binop]") {
  Vector v = {S(L({{"__name__", "x"}, {"job", "api"}}), 1000), S(L({{"__name__", "x"}, {"job", "app"}}), 2600)};
  BinaryExpr sub = Expr(BinaryOp::kSub);
  Vector out;
  REQUIRE(VectorScalarBinop(v, 2, /*scalar_is_lhs=*/true, Ctx(sub), out).ok());  // 2 - x
  REQUIRE(out.size() == 2);
  CHECK(Find(out, L({{"job", "api"}})).f == -998);
  CHECK(Find(out, L({{"job", "app"}})).f == -2598);
  CHECK(out[0].t == 3000000);

  out.clear();
  BinaryExpr mod = Expr(BinaryOp::kMod);
  REQUIRE(VectorScalarBinop(v, 0.3, false, Ctx(mod), out).ok());
  CHECK(Find(out, L({{"job", "api"}})).f == Approx(0.1));
  CHECK(Find(out, L({{"job", "app"}})).f == Approx(0.2));

  // With delayed name removal the name stays and is marked.
  out.clear();
  REQUIRE(VectorScalarBinop(v, 2, false, Ctx(sub, true), out).ok());
  REQUIRE(out.size() == 2);
  CHECK(out[0].labels.MetricName() == "x");
  CHECK(out[0].drop_name);
}

TEST_CASE("vector-scalar comparisons filter, keep the vector value and the name", "[promql][binop]") {
  Vector v = {S(L({{"__name__", "left_floats"}}), 1), S(L({{"__name__", "left_floats"}, {"i", "2"}}), 3),
              S(L({{"__name__", "left_floats"}, {"i", "3"}}), NAN),
              S(L({{"__name__", "left_floats"}, {"i", "4"}}), INFINITY)};
  BinaryExpr lt = Expr(BinaryOp::kLss);
  Vector out;
  // `3 < left_floats` keeps samples greater than 3 with their own value.
  REQUIRE(VectorScalarBinop(v, 3, /*scalar_is_lhs=*/true, Ctx(lt), out).ok());
  REQUIRE(out.size() == 1);
  CHECK(out[0].f == INFINITY);
  CHECK(out[0].labels.MetricName() == "left_floats");

  out.clear();
  BinaryExpr eq = Expr(BinaryOp::kEql);
  REQUIRE(VectorScalarBinop(v, NAN, false, Ctx(eq), out).ok());
  CHECK(out.empty());  // NaN == NaN keeps nothing

  out.clear();
  BinaryExpr eqb = Expr(BinaryOp::kEql, /*return_bool=*/true);
  REQUIRE(VectorScalarBinop(v, 3, false, Ctx(eqb), out).ok());
  REQUIRE(out.size() == 4);
  CHECK(Find(out, L({})).f == 0);
  CHECK(Find(out, L({{"i", "2"}})).f == 1);
  CHECK(Find(out, L({{"i", "3"}})).f == 0);  // NaN compares false
}

TEST_CASE("one-to-one matching drops the name and matches ignoring __name__", "[promql][binop]") {
  Vector a = {S(L({{"__name__", "metric_total"}, {"env", "1"}}), 120)};
  Vector b = {S(L({{"__name__", "another_metric_total"}, {"env", "1"}}), 180)};
  BinaryExpr add = VecExpr(BinaryOp::kAdd, MatchCardinality::kOneToOne, false, {});
  Vector out;
  REQUIRE(VectorVectorBinop(a, b, Ctx(add), out).ok());
  REQUIRE(out.size() == 1);
  CHECK(out[0].labels == L({{"env", "1"}}));
  CHECK(out[0].f == 300);

  // Comparison keeps the lhs name; `bool` drops it.
  out.clear();
  BinaryExpr le = VecExpr(BinaryOp::kLte, MatchCardinality::kOneToOne, false, {});
  REQUIRE(VectorVectorBinop(a, b, Ctx(le), out).ok());
  REQUIRE(out.size() == 1);
  CHECK(out[0].labels == a[0].labels);
  CHECK(out[0].f == 120);

  out.clear();
  BinaryExpr leb = VecExpr(BinaryOp::kLte, MatchCardinality::kOneToOne, false, {}, {}, true);
  REQUIRE(VectorVectorBinop(a, b, Ctx(leb), out).ok());
  REQUIRE(out.size() == 1);
  CHECK(out[0].labels == L({{"env", "1"}}));
  CHECK(out[0].f == 1);

  // Delayed removal: bool keeps the name but marks it.
  out.clear();
  REQUIRE(VectorVectorBinop(a, b, Ctx(leb, true), out).ok());
  REQUIRE(out.size() == 1);
  CHECK(out[0].labels.MetricName() == "metric_total");
  CHECK(out[0].drop_name);
}

TEST_CASE("on() keeps only the on labels in one-to-one results", "[promql][binop]") {
  Vector canary = {S(L({{"__name__", "r"}, {"group", "canary"}, {"instance", "0"}, {"job", "api"}}), 300),
                   S(L({{"__name__", "r"}, {"group", "canary"}, {"instance", "1"}, {"job", "api"}}), 400)};
  Vector prod = {S(L({{"__name__", "r"}, {"group", "production"}, {"instance", "0"}, {"job", "api"}}), 100),
                 S(L({{"__name__", "r"}, {"group", "production"}, {"instance", "1"}, {"job", "api"}}), 200)};
  BinaryExpr div = VecExpr(BinaryOp::kDiv, MatchCardinality::kOneToOne, true, {"instance", "job"});
  Vector out;
  REQUIRE(VectorVectorBinop(canary, prod, Ctx(div), out).ok());
  REQUIRE(out.size() == 2);
  CHECK(Find(out, L({{"instance", "0"}, {"job", "api"}})).f == 3);
  CHECK(Find(out, L({{"instance", "1"}, {"job", "api"}})).f == 2);

  // ignoring(group) removes group from the result.
  out.clear();
  BinaryExpr ign = VecExpr(BinaryOp::kDiv, MatchCardinality::kOneToOne, false, {"group"});
  REQUIRE(VectorVectorBinop(canary, prod, Ctx(ign), out).ok());
  REQUIRE(out.size() == 2);
  CHECK(Find(out, L({{"instance", "1"}, {"job", "api"}})).f == 2);
}

TEST_CASE("group_left and group_right copy include labels from the one side", "[promql][binop]") {
  Vector node_var = {S(L({{"__name__", "node_var"}, {"instance", "abc"}, {"job", "node"}}), 2)};
  Vector node_role = {
      S(L({{"__name__", "node_role"}, {"instance", "abc"}, {"job", "node"}, {"role", "prometheus"}}), 1)};
  Labels want = L({{"instance", "abc"}, {"job", "node"}, {"role", "prometheus"}});

  BinaryExpr left = VecExpr(BinaryOp::kMul, MatchCardinality::kManyToOne, true, {"instance"}, {"role"});
  Vector out;
  REQUIRE(VectorVectorBinop(node_var, node_role, Ctx(left), out).ok());
  REQUIRE(out.size() == 1);
  CHECK(out[0].labels == want);
  CHECK(out[0].f == 2);

  BinaryExpr right = VecExpr(BinaryOp::kMul, MatchCardinality::kOneToMany, false, {"role"}, {"role"});
  out.clear();
  REQUIRE(VectorVectorBinop(node_role, node_var, Ctx(right), out).ok());
  REQUIRE(out.size() == 1);
  CHECK(out[0].labels == want);
  CHECK(out[0].f == 2);

  // Ratio of total: node_cpu / on(instance) group_left sum by (instance, job)(node_cpu).
  Vector cpu = {S(L({{"__name__", "node_cpu"}, {"instance", "abc"}, {"job", "node"}, {"mode", "idle"}}), 3),
                S(L({{"__name__", "node_cpu"}, {"instance", "abc"}, {"job", "node"}, {"mode", "user"}}), 1)};
  Vector sum = {S(L({{"instance", "abc"}, {"job", "node"}}), 4)};
  BinaryExpr ratio = VecExpr(BinaryOp::kDiv, MatchCardinality::kManyToOne, true, {"instance"});
  out.clear();
  REQUIRE(VectorVectorBinop(cpu, sum, Ctx(ratio), out).ok());
  REQUIRE(out.size() == 2);
  CHECK(Find(out, L({{"instance", "abc"}, {"job", "node"}, {"mode", "idle"}})).f == 0.75);
  CHECK(Find(out, L({{"instance", "abc"}, {"job", "node"}, {"mode", "user"}})).f == 0.25);

  // A filtering comparison with group_left keeps the many side's name and
  // adds the included label.
  Vector threshold = {S(L({{"__name__", "threshold"}, {"instance", "abc"}, {"job", "node"}, {"target", "a@b.com"}}), 0)};
  BinaryExpr gt = VecExpr(BinaryOp::kGtr, MatchCardinality::kManyToOne, true, {"job", "instance"}, {"target"});
  out.clear();
  REQUIRE(VectorVectorBinop(cpu, threshold, Ctx(gt), out).ok());
  REQUIRE(out.size() == 2);
  CHECK(Find(out, L({{"__name__", "node_cpu"}, {"instance", "abc"}, {"job", "node"}, {"mode", "idle"}, {"target", "a@b.com"}}))
            .f == 3);
}

TEST_CASE("duplicate series on the one side fail with Prometheus's message", "[promql][binop]") {
  Vector scalar_metric = {S(L({{"__name__", "scalar_metric"}}), 3)};
  // Deliberately out of order: the message lists them sorted.
  Vector dup = {S(L({{"__name__", "dup_metric"}, {"label", "beta"}}), 2),
                S(L({{"__name__", "dup_metric"}, {"label", "alpha"}}), 1)};
  BinaryExpr gt = VecExpr(BinaryOp::kGtr, MatchCardinality::kOneToOne, true, {});
  Vector out;
  absl::Status st = VectorVectorBinop(scalar_metric, dup, Ctx(gt), out);
  REQUIRE(absl::IsInvalidArgument(st));
  CHECK(std::string(st.message()) ==
        "found duplicate series for the match group {} on the right hand-side of the operation: "
        "[{__name__=\"dup_metric\", label=\"alpha\"}, {__name__=\"dup_metric\", label=\"beta\"}];"
        "many-to-many matching not allowed: matching labels must be unique on one side");

  // group_right: the left side is the one side.
  BinaryExpr right = VecExpr(BinaryOp::kMul, MatchCardinality::kOneToMany, false, {"label"});
  st = VectorVectorBinop(dup, scalar_metric, Ctx(right), out);
  REQUIRE(absl::IsInvalidArgument(st));
  CHECK(std::string(st.message()).find("for the match group {} on the left hand-side") != std::string::npos);
}

TEST_CASE("many-to-one without group modifier fails even when comparisons filter", "[promql][binop]") {
  Vector many = {S(L({{"__name__", "many_side"}, {"job", "test"}, {"label", "foo"}}), 0),
                 S(L({{"__name__", "many_side"}, {"job", "test"}, {"label", "bar"}}), 1)};
  Vector one = {S(L({{"__name__", "one_side"}, {"job", "test"}}), 1)};
  for (BinaryOp op : {BinaryOp::kGtr, BinaryOp::kGte, BinaryOp::kLte}) {
    BinaryExpr e = VecExpr(op, MatchCardinality::kOneToOne, true, {"job"});
    Vector out;
    absl::Status st = VectorVectorBinop(many, one, Ctx(e), out);
    REQUIRE(absl::IsInvalidArgument(st));
    CHECK(std::string(st.message()) ==
          "multiple matches for labels: many-to-one matching must be explicit (group_left/group_right)");
  }
  // group_left with results that collide.
  Vector many2 = {S(L({{"a", "1"}, {"b", "x"}}), 1), S(L({{"a", "1"}, {"b", "y"}}), 2)};
  BinaryExpr e = VecExpr(BinaryOp::kAdd, MatchCardinality::kManyToOne, true, {"a"});
  Vector one2 = {S(L({{"a", "1"}}), 1)};
  Vector out;
  REQUIRE(VectorVectorBinop(many2, one2, Ctx(e), out).ok());
  CHECK(out.size() == 2);
  BinaryExpr on_a = VecExpr(BinaryOp::kAdd, MatchCardinality::kManyToOne, true, {"a"});
  Vector dup_many = {S(L({{"a", "1"}, {"b", "x"}}), 1), S(L({{"__name__", "n"}, {"a", "1"}, {"b", "x"}}), 2)};
  out.clear();
  absl::Status st = VectorVectorBinop(dup_many, one2, Ctx(on_a), out);
  REQUIRE(absl::IsInvalidArgument(st));
  CHECK(std::string(st.message()) == "multiple matches for labels: grouping labels must ensure unique matches");
}

TEST_CASE("set operators and, or, unless follow signature matching", "[promql][binop]") {
  Vector canary_plus1 = {S(L({{"group", "canary"}, {"instance", "0"}}), 301),
                         S(L({{"group", "canary"}, {"instance", "1"}}), 401)};
  Vector inst1 = {S(L({{"__name__", "r"}, {"group", "canary"}, {"instance", "1"}}), 400),
                  S(L({{"__name__", "r"}, {"group", "production"}, {"instance", "1"}}), 200)};
  BinaryExpr or_e = VecExpr(BinaryOp::kOr, MatchCardinality::kManyToMany, false, {});
  Vector out;
  REQUIRE(VectorVectorBinop(canary_plus1, inst1, Ctx(or_e), out).ok());
  // The rhs canary/1 overlaps (names are ignored) and is dropped.
  REQUIRE(out.size() == 3);
  CHECK(Find(out, L({{"group", "canary"}, {"instance", "1"}})).f == 401);
  CHECK(Find(out, L({{"__name__", "r"}, {"group", "production"}, {"instance", "1"}})).f == 200);

  BinaryExpr and_on = VecExpr(BinaryOp::kAnd, MatchCardinality::kManyToMany, true, {"instance"});
  out.clear();
  REQUIRE(VectorVectorBinop(canary_plus1, inst1, Ctx(and_on), out).ok());
  REQUIRE(out.size() == 1);
  CHECK(out[0].f == 401);

  BinaryExpr unless_e = VecExpr(BinaryOp::kUnless, MatchCardinality::kManyToMany, true, {"instance"});
  out.clear();
  REQUIRE(VectorVectorBinop(canary_plus1, inst1, Ctx(unless_e), out).ok());
  REQUIRE(out.size() == 1);
  CHECK(out[0].f == 301);

  // `x and on(dummy) vector(1)`: both sides have an empty signature.
  Vector one = {S(L({}), 1)};
  BinaryExpr and_dummy = VecExpr(BinaryOp::kAnd, MatchCardinality::kManyToMany, true, {"dummy"});
  out.clear();
  REQUIRE(VectorVectorBinop(inst1, one, Ctx(and_dummy), out).ok());
  CHECK(out.size() == 2);

  // Empty sides short-circuit.
  out.clear();
  REQUIRE(VectorVectorBinop(Vector{}, inst1, Ctx(or_e), out).ok());
  CHECK(out.size() == 2);
  out.clear();
  REQUIRE(VectorVectorBinop(inst1, Vector{}, Ctx(unless_e), out).ok());
  CHECK(out.size() == 2);
  out.clear();
  REQUIRE(VectorVectorBinop(inst1, Vector{}, Ctx(and_on), out).ok());
  CHECK(out.empty());
}

TEST_CASE("vector atan2 and NaN comparisons between vectors", "[promql][binop]") {
  Vector y = {S(L({{"__name__", "trigy"}}), 10)};
  Vector x = {S(L({{"__name__", "trigx"}}), 20)};
  Vector nan = {S(L({{"__name__", "trigNaN"}}), NAN)};
  BinaryExpr at = VecExpr(BinaryOp::kAtan2, MatchCardinality::kOneToOne, false, {});
  Vector out;
  REQUIRE(VectorVectorBinop(y, x, Ctx(at), out).ok());
  REQUIRE(out.size() == 1);
  CHECK(out[0].labels.empty());
  CHECK(out[0].f == Approx(0.4636476090008061).epsilon(1e-15));
  out.clear();
  REQUIRE(VectorVectorBinop(y, nan, Ctx(at), out).ok());
  REQUIRE(out.size() == 1);
  CHECK(std::isnan(out[0].f));

  BinaryExpr ne = VecExpr(BinaryOp::kNeq, MatchCardinality::kOneToOne, false, {});
  out.clear();
  REQUIRE(VectorVectorBinop(nan, nan, Ctx(ne), out).ok());
  REQUIRE(out.size() == 1);  // NaN != NaN keeps the lhs NaN
  CHECK(std::isnan(out[0].f));
}

}  // namespace
}  // namespace strata::promql
