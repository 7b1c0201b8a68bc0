#include <catch2/catch.hpp>
#include <cmath>
#include <initializer_list>
#include <memory>
#include <tuple>
#include <string>
#include <utility>
#include <vector>

#include "select/promql/ast.h"
#include "select/promql/functions.h"

namespace strata::promql {
namespace {

Labels L(std::initializer_list<std::pair<const char*, const char*>> kv) {
  std::vector<Label> v;
  for (const auto& [n, val] : kv) v.push_back(Label{n, val});
  return Labels::FromUnsorted(std::move(v));
}

VectorSample S(Labels l, double f, int64_t t = 0) {
  VectorSample s;
  s.labels = std::move(l);
  s.f = f;
  s.t = t;
  return s;
}

FunctionArg VecArg(const Vector& v) {
  FunctionArg a;
  a.vector = &v;
  return a;
}
FunctionArg ScalarArg(double d) {
  FunctionArg a;
  a.scalar = d;
  return a;
}
FunctionArg StrArg(std::string_view s) {
  FunctionArg a;
  a.str = s;
  return a;
}

FunctionCallContext Ctx(int64_t t_ms = 0, bool delayed = false) {
  FunctionCallContext c;
  c.t_ms = t_ms;
  c.delayed_name_removal = delayed;
  return c;
}

Vector Run(std::string_view name, std::vector<FunctionArg> args, const FunctionCallContext& ctx = Ctx()) {
  FunctionImpl f = FindFunctionImpl(name);
  REQUIRE(f != nullptr);
  Vector out;
  REQUIRE(f(args, ctx, out).ok());
  return out;
}

const VectorSample& Find(const Vector& v, const Labels& labels) {
  for (const VectorSample& s : v) {
    if (s.labels == labels) return s;
  }
  FAIL("no sample with labels " << labels.ToString());
  return v.front();
}

// data{type=...} of functions.test "Test for abs, ceil(), floor(), round()".
Vector Data() {
  return {S(L({{"__name__", "data"}, {"type", "positive"}}), 2.5),  S(L({{"__name__", "data"}, {"type", "negative"}}), -2.5),
          S(L({{"__name__", "data"}, {"type", "nzero"}}), -0.0),    S(L({{"__name__", "data"}, {"type", "inf"}}), INFINITY),
          S(L({{"__name__", "data"}, {"type", "ninf"}}), -INFINITY), S(L({{"__name__", "data"}, {"type", "nan"}}), NAN)};
}

double Get(const Vector& v, const char* type) { return Find(v, L({{"type", type}})).f; }

TEST_CASE("abs ceil floor round follow the functions.test expectations", "[promql][functions]") {
  Vector d = Data();
  Vector abs = Run("abs", {VecArg(d)});
  CHECK(Get(abs, "negative") == 2.5);
  CHECK(Get(abs, "ninf") == INFINITY);
  CHECK(std::isnan(Get(abs, "nan")));
  Vector ceil = Run("ceil", {VecArg(d)});
  CHECK(Get(ceil, "positive") == 3);
  CHECK(Get(ceil, "negative") == -2);
  Vector floor = Run("floor", {VecArg(d)});
  CHECK(Get(floor, "negative") == -3);
  CHECK(Get(floor, "inf") == INFINITY);
  Vector round = Run("round", {VecArg(d)});
  CHECK(Get(round, "positive") == 3);
  CHECK(Get(round, "negative") == -2);  // ties round up
  CHECK(Get(round, "nzero") == 0);
  CHECK(Get(round, "ninf") == -INFINITY);
  CHECK(std::isnan(Get(round, "nan")));
  Vector to5 = Run("round", {VecArg(d), ScalarArg(5)});
  CHECK(Get(to5, "positive") == 5);
  Vector tenth = Run("round", {VecArg(Vector{S(L({{"type", "x"}}), 0.15)}), ScalarArg(0.1)});
  CHECK(Get(tenth, "x") == Approx(0.2));
}

TEST_CASE("math functions drop the metric name or mark it with delayed removal", "[promql][functions]") {
  Vector v = {S(L({{"__name__", "exp_root_log"}, {"l", "x"}}), 10), S(L({{"__name__", "exp_root_log"}, {"l", "y"}}), 20)};
  Vector exp = Run("exp", {VecArg(v)}, Ctx(60000));
  CHECK(Find(exp, L({{"l", "x"}})).f == 22026.465794806718);
  CHECK(Find(exp, L({{"l", "y"}})).f == 485165195.4097903);
  CHECK(exp[0].t == 60000);
  CHECK(Find(Run("ln", {VecArg(v)}), L({{"l", "x"}})).f == 2.302585092994046);
  CHECK(Find(Run("log2", {VecArg(v)}), L({{"l", "y"}})).f == 4.321928094887363);
  CHECK(Find(Run("log10", {VecArg(v)}), L({{"l", "x"}})).f == 1);
  CHECK(Find(Run("sqrt", {VecArg(v)}), L({{"l", "y"}})).f == 4.47213595499958);
  Vector neg = {S(L({{"l", "x"}}), -10), S(L({{"l", "y"}}), 0)};
  CHECK(std::isnan(Find(Run("ln", {VecArg(neg)}), L({{"l", "x"}})).f));
  CHECK(Find(Run("log2", {VecArg(neg)}), L({{"l", "y"}})).f == -INFINITY);

  Vector delayed = Run("abs", {VecArg(v)}, Ctx(0, true));
  CHECK(delayed[0].labels.MetricName() == "exp_root_log");
  CHECK(delayed[0].drop_name);
}

TEST_CASE("trigonometric functions match trig_functions.test", "[promql][functions]") {
  // The scripts compare floats with a relative tolerance of 1e-6; Go's math
  // library and glibc differ in the last bits (and sinh(10) in the 9th digit).
  Vector t = {S(L({{"l", "x"}}), 10), S(L({{"l", "y"}}), 20), S(L({{"l", "NaN"}}), NAN)};
  auto x = [](const Vector& v) { return Find(v, L({{"l", "x"}})).f; };
  auto y = [](const Vector& v) { return Find(v, L({{"l", "y"}})).f; };
  CHECK(x(Run("sin", {VecArg(t)})) == Approx(-0.5440211108893699).epsilon(1e-6));
  CHECK(y(Run("cos", {VecArg(t)})) == Approx(0.40808206181339196).epsilon(1e-6));
  CHECK(x(Run("tan", {VecArg(t)})) == Approx(0.6483608274590867).epsilon(1e-6));
  CHECK(y(Run("atan", {VecArg(t)})) == Approx(1.5208379310729538).epsilon(1e-6));
  CHECK(x(Run("sinh", {VecArg(t)})) == Approx(11013.232920103324).epsilon(1e-6));
  CHECK(y(Run("cosh", {VecArg(t)})) == Approx(2.4258259770489514e+08).epsilon(1e-6));
  CHECK(x(Run("tanh", {VecArg(t)})) == Approx(0.9999999958776927).epsilon(1e-6));
  CHECK(x(Run("asinh", {VecArg(t)})) == Approx(2.99822295029797).epsilon(1e-6));
  CHECK(y(Run("acosh", {VecArg(t)})) == Approx(3.6882538673612966).epsilon(1e-6));
  CHECK(x(Run("rad", {VecArg(t)})) == Approx(0.17453292519943295).epsilon(1e-6));
  CHECK(y(Run("deg", {VecArg(t)})) == Approx(1145.9155902616465).epsilon(1e-6));
  Vector small = {S(L({{"l", "x"}}), 10 - 10.1), S(L({{"l", "y"}}), 20 - 10.1)};
  CHECK(x(Run("asin", {VecArg(small)})) == Approx(-0.10016742116155944).epsilon(1e-14));
  CHECK(std::isnan(y(Run("asin", {VecArg(small)}))));
  CHECK(x(Run("acos", {VecArg(small)})) == Approx(1.670963747956456).epsilon(1e-14));
  CHECK(x(Run("atanh", {VecArg(small)})) == Approx(-0.10033534773107522).epsilon(1e-14));
  CHECK(std::isnan(Find(Run("sin", {VecArg(t)}), L({{"l", "NaN"}})).f));
  Vector pi = Run("pi", {});
  REQUIRE(pi.size() == 1);
  CHECK(pi[0].f == 3.141592653589793);
  CHECK(pi[0].labels.empty());
}

TEST_CASE("sgn keeps NaN and zero", "[promql][functions]") {
  Vector v = {S(L({{"s", "a"}}), -INFINITY), S(L({{"s", "b"}}), INFINITY), S(L({{"s", "c"}}), NAN),
              S(L({{"s", "d"}}), -50),       S(L({{"s", "e"}}), 0),        S(L({{"s", "f"}}), 100)};
  Vector out = Run("sgn", {VecArg(v)});
  CHECK(Find(out, L({{"s", "a"}})).f == -1);
  CHECK(Find(out, L({{"s", "b"}})).f == 1);
  CHECK(std::isnan(Find(out, L({{"s", "c"}})).f));
  CHECK(Find(out, L({{"s", "d"}})).f == -1);
  CHECK(Find(out, L({{"s", "e"}})).f == 0);
  CHECK(Find(out, L({{"s", "f"}})).f == 1);
}

TEST_CASE("clamp functions bound values, propagate NaN and drop the name", "[promql][functions]") {
  Vector v = {S(L({{"__name__", "test_clamp"}, {"src", "a"}}), -50), S(L({{"__name__", "test_clamp"}, {"src", "b"}}), 0),
              S(L({{"__name__", "test_clamp"}, {"src", "c"}}), 100)};
  auto get = [](const Vector& out, const char* src) { return Find(out, L({{"src", src}})).f; };
  Vector mx = Run("clamp_max", {VecArg(v), ScalarArg(75)});
  CHECK(get(mx, "a") == -50);
  CHECK(get(mx, "c") == 75);
  Vector mn = Run("clamp_min", {VecArg(v), ScalarArg(-25)});
  CHECK(get(mn, "a") == -25);
  CHECK(get(mn, "c") == 100);
  Vector both = Run("clamp", {VecArg(v), ScalarArg(-25), ScalarArg(75)});
  CHECK(get(both, "a") == -25);
  CHECK(get(both, "b") == 0);
  CHECK(get(both, "c") == 75);
  Vector nan_hi = Run("clamp", {VecArg(v), ScalarArg(0), ScalarArg(NAN)});
  REQUIRE(nan_hi.size() == 3);
  CHECK(std::isnan(get(nan_hi, "b")));
  Vector nan_lo = Run("clamp", {VecArg(v), ScalarArg(NAN), ScalarArg(0)});
  CHECK(std::isnan(get(nan_lo, "c")));
  CHECK(Run("clamp", {VecArg(v), ScalarArg(5), ScalarArg(-5)}).empty());
}

TEST_CASE("time vector scalar and timestamp", "[promql][functions]") {
  Vector t = Run("time", {}, Ctx(1));
  REQUIRE(t.size() == 1);
  CHECK(t[0].f == 0.001);
  CHECK(Run("time", {}, Ctx(3000000))[0].f == 3000);

  Vector v = Run("vector", {ScalarArg(3600)});
  REQUIRE(v.size() == 1);
  CHECK(v[0].labels.empty());
  CHECK(v[0].f == 3600);

  Vector two = {S(L({{"l", "x"}}), 1), S(L({{"l", "y"}}), 2)};
  CHECK(std::isnan(Run("scalar", {VecArg(two)})[0].f));
  CHECK(std::isnan(Run("scalar", {VecArg(Vector{})})[0].f));
  Vector one = {S(L({{"l", "x"}}), 1)};
  Vector sc = Run("scalar", {VecArg(one)});
  REQUIRE(sc.size() == 1);
  CHECK(sc[0].f == 1);

  // The engine passes each sample's own time for timestamp(selector).
  Vector m = {S(L({{"__name__", "metric"}}), 1, 10000)};
  Vector ts = Run("timestamp", {VecArg(m)}, Ctx(15000));
  REQUIRE(ts.size() == 1);
  CHECK(ts[0].labels.empty());
  CHECK(ts[0].f == 10);
  CHECK(ts[0].t == 15000);
}

TEST_CASE("date functions read UTC seconds or the evaluation time", "[promql][functions]") {
  auto at0 = [](const char* fn) {
    Vector out = Run(fn, {});
    REQUIRE(out.size() == 1);
    CHECK(out[0].labels.empty());
    return out[0].f;
  };
  CHECK(at0("year") == 1970);
  CHECK(at0("month") == 1);
  CHECK(at0("day_of_month") == 1);
  CHECK(at0("day_of_year") == 1);
  CHECK(at0("day_of_week") == 4);  // Thursday
  CHECK(at0("hour") == 0);
  CHECK(at0("minute") == 0);
  CHECK(at0("days_in_month") == 31);

  auto of = [](const char* fn, double secs) {
    Vector in = {S(L({{"__name__", "x"}}), secs)};
    Vector out = Run(fn, {VecArg(in)});
    REQUIRE(out.size() == 1);
    CHECK(out[0].labels.empty());
    return out[0].f;
  };
  // 2006-01-02 22:04:05 UTC, a Monday.
  CHECK(of("year", 1136239445) == 2006);
  CHECK(of("month", 1136239445) == 1);
  CHECK(of("day_of_month", 1136239445) == 2);
  CHECK(of("day_of_year", 1136239445) == 2);
  CHECK(of("day_of_week", 1136239445) == 1);
  CHECK(of("hour", 1136239445) == 22);
  CHECK(of("minute", 1136239445) == 4);
  CHECK(of("year", 1230767999) == 2008);
  CHECK(of("year", 1230768000) == 2009);
  CHECK(of("month", 1456790399) + of("day_of_month", 1456790399) / 100 == 2.29);
  CHECK(of("month", 1456790400) + of("day_of_month", 1456790400) / 100 == 3.01);
  CHECK(of("day_of_year", 1483191420) == 366);
  CHECK(of("day_of_year", 1672493820) == 365);
  CHECK(of("days_in_month", 1454284800) == 29);
  CHECK(of("days_in_month", 1485907200) == 28);
  CHECK(of("year", -1) == 1969);
}

Vector HttpRequests() {
  auto r = [](const char* group, const char* instance, const char* job, double f) {
    return S(L({{"__name__", "http_requests"}, {"group", group}, {"instance", instance}, {"job", job}}), f);
  };
  return {r("production", "0", "api-server", 100), r("canary", "2", "api-server", NAN),
          r("canary", "1", "app-server", 800),     r("production", "1", "api-server", 200),
          r("canary", "0", "api-server", 300),     r("production", "2", "api-server", 100)};
}

std::vector<std::string> Order(const Vector& v) {
  std::vector<std::string> out;
  for (const VectorSample& s : v) out.push_back(std::string(s.labels.Get("group")) + "/" + std::string(s.labels.Get("instance")));
  return out;
}

TEST_CASE("sort and sort_desc put NaN last and keep labels", "[promql][functions]") {
  Vector v = HttpRequests();
  Vector asc = Run("sort", {VecArg(v)});
  REQUIRE(asc.size() == v.size());
  CHECK(asc[0].f == 100);
  CHECK(asc[3].f == 300);
  CHECK(asc[4].f == 800);
  CHECK(std::isnan(asc[5].f));
  CHECK(asc[0].labels.MetricName() == "http_requests");
  Vector desc = Run("sort_desc", {VecArg(v)});
  CHECK(desc[0].f == 800);
  CHECK(desc[1].f == 300);
  CHECK(std::isnan(desc[5].f));
}

TEST_CASE("sort warns in range queries at the call position", "[promql][functions]") {
  Annotations annos;
  FunctionCallContext ctx = Ctx();
  ctx.range_query = true;
  ctx.annotations = &annos;
  ctx.pos = PositionRange{4, 16};
  Vector v = HttpRequests();
  Run("sort_by_label", {VecArg(v), StrArg("instance")}, ctx);
  REQUIRE(annos.items().size() == 1);
  CHECK(annos.items()[0].kind == AnnotationKind::kWarning);
  CHECK(annos.items()[0].message == "sort is ineffective for range queries since results are always ordered by labels");
  CHECK(annos.items()[0].pos.start == 4);
  Annotations none;
  ctx.range_query = false;
  ctx.annotations = &none;
  Run("sort", {VecArg(v)}, ctx);
  CHECK(none.empty());
}

TEST_CASE("sort_by_label orders naturally and breaks ties by all labels", "[promql][functions]") {
  Vector v = HttpRequests();
  Vector by_instance = Run("sort_by_label", {VecArg(v), StrArg("instance")});
  CHECK(Order(by_instance) == std::vector<std::string>{"canary/0", "production/0", "canary/1", "production/1",
                                                       "canary/2", "production/2"});
  // canary/1 is app-server, production/1 api-server: full labels compare group first.
  Vector desc = Run("sort_by_label_desc", {VecArg(v), StrArg("instance"), StrArg("group")});
  CHECK(Order(desc) == std::vector<std::string>{"production/2", "canary/2", "production/1", "canary/1",
                                                "production/0", "canary/0"});

  Vector cpus;
  for (const char* c : {"100", "3", "10", "0", "21", "2", "12", "1", "20", "11"}) {
    cpus.push_back(S(L({{"__name__", "cpu_time_total"}, {"cpu", c}, {"job", "cpu"}}), 100));
  }
  Vector sorted = Run("sort_by_label", {VecArg(cpus), StrArg("cpu")});
  std::vector<std::string> got;
  for (const VectorSample& s : sorted) got.emplace_back(s.labels.Get("cpu"));
  CHECK(got == std::vector<std::string>{"0", "1", "2", "3", "10", "11", "12", "20", "21", "100"});

  Vector uname = {S(L({{"instance", "4m600"}, {"release", "1.2.3"}}), 1), S(L({{"instance", "4m5"}, {"release", "1.11.3"}}), 1),
                  S(L({{"instance", "4m1000"}, {"release", "1.111.3"}}), 1)};
  Vector by_inst = Run("sort_by_label", {VecArg(uname), StrArg("instance")});
  CHECK(by_inst[0].labels.Get("instance") == "4m5");
  CHECK(by_inst[1].labels.Get("instance") == "4m600");
  CHECK(by_inst[2].labels.Get("instance") == "4m1000");
  Vector by_rel = Run("sort_by_label", {VecArg(uname), StrArg("release")});
  CHECK(by_rel[0].labels.Get("release") == "1.2.3");
  CHECK(by_rel[1].labels.Get("release") == "1.11.3");
  CHECK(by_rel[2].labels.Get("release") == "1.111.3");
}

ExprPtr SelectorExpr(std::vector<std::tuple<MatchType, const char*, const char*>> ms) {
  VectorSelector vs;
  vs.name = "nonexistent";
  vs.matchers.push_back(*Matcher::Create(MatchType::kEqual, "__name__", "nonexistent"));
  for (const auto& [type, name, value] : ms) vs.matchers.push_back(*Matcher::Create(type, name, value));
  auto e = std::make_unique<Expr>();
  e->node = std::move(vs);
  return e;
}

Labels Absent(ExprPtr arg) {
  Call c;
  c.args.push_back(std::move(arg));
  FunctionCallContext ctx = Ctx();
  ctx.call = &c;
  Vector empty;
  Vector out = Run("absent", {VecArg(empty)}, ctx);
  REQUIRE(out.size() == 1);
  CHECK(out[0].f == 1);
  return out[0].labels;
}

TEST_CASE("absent returns 1 with the selector's unique equality labels", "[promql][functions]") {
  CHECK(Absent(SelectorExpr({})).empty());
  CHECK(Absent(SelectorExpr({{MatchType::kEqual, "job", "testjob"},
                             {MatchType::kEqual, "instance", "testinstance"},
                             {MatchType::kRegexMatch, "method", ".x"}})) ==
        L({{"instance", "testinstance"}, {"job", "testjob"}}));
  CHECK(Absent(SelectorExpr({{MatchType::kEqual, "job", "testjob"},
                             {MatchType::kEqual, "job", "testjob2"},
                             {MatchType::kEqual, "foo", "bar"}})) == L({{"foo", "bar"}}));
  CHECK(Absent(SelectorExpr({{MatchType::kEqual, "job", "testjob"},
                             {MatchType::kEqual, "job", "testjob2"},
                             {MatchType::kEqual, "job", "three"},
                             {MatchType::kEqual, "foo", "bar"}})) == L({{"foo", "bar"}}));
  CHECK(Absent(SelectorExpr({{MatchType::kEqual, "job", "testjob"},
                             {MatchType::kRegexMatch, "job", "testjob2"},
                             {MatchType::kEqual, "foo", "bar"}})) == L({{"foo", "bar"}}));
  // Not a selector (e.g. sum(...)): no labels.
  auto num = std::make_unique<Expr>();
  num->node = NumberLiteral{1};
  CHECK(Absent(std::move(num)).empty());

  // Something present: nothing.
  Vector present = {S(L({{"__name__", "x"}}), 1)};
  CHECK(Run("absent", {VecArg(present)}).empty());
}

}  // namespace
}  // namespace strata::promql
