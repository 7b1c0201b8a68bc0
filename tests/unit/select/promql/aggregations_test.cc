#include "select/promql/aggregations.h"

#include <cmath>
#include <limits>
#include <set>
#include <string>

#include <catch2/catch.hpp>

#include "common/base/status.h"

// Cases are taken from Prometheus's aggregators.test and limit.test: the
// input vectors are what the selectors return at the evaluation time.
namespace strata::promql {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kInf = std::numeric_limits<double>::infinity();

Labels L(std::vector<Label> l) { return Labels::FromUnsorted(std::move(l)); }

VectorSample S(std::vector<Label> l, double f) { return VectorSample{L(std::move(l)), f, 0, false}; }

// http_requests at 50m in aggregators.test.
Vector HttpRequests() {
  return {
      S({{"__name__", "http_requests"}, {"job", "api-server"}, {"instance", "0"}, {"group", "production"}}, 100),
      S({{"__name__", "http_requests"}, {"job", "api-server"}, {"instance", "1"}, {"group", "production"}}, 200),
      S({{"__name__", "http_requests"}, {"job", "api-server"}, {"instance", "0"}, {"group", "canary"}}, 300),
      S({{"__name__", "http_requests"}, {"job", "api-server"}, {"instance", "1"}, {"group", "canary"}}, 400),
      S({{"__name__", "http_requests"}, {"job", "app-server"}, {"instance", "0"}, {"group", "production"}}, 500),
      S({{"__name__", "http_requests"}, {"job", "app-server"}, {"instance", "1"}, {"group", "production"}}, 600),
      S({{"__name__", "http_requests"}, {"job", "app-server"}, {"instance", "0"}, {"group", "canary"}}, 700),
      S({{"__name__", "http_requests"}, {"job", "app-server"}, {"instance", "1"}, {"group", "canary"}}, 800),
  };
}

Vector Filter(const Vector& in, std::string_view name, std::string_view value) {
  Vector out;
  for (const VectorSample& s : in) {
    if (s.labels.Get(name) == value) out.push_back(s);
  }
  return out;
}

struct Agg {
  AggregateExpr expr;
  AggregateContext ctx;
  Annotations annotations;

  Agg(AggregateOp op, std::vector<std::string> grouping = {}, bool without = false) {
    expr.op = op;
    expr.grouping = std::move(grouping);
    expr.without = without;
    expr.has_grouping_clause = !expr.grouping.empty() || without;
    ctx.expr = &expr;
    ctx.pos = {0, 10};
    ctx.param_pos = {5, 8};
    ctx.t_ms = 3'000'000;
    ctx.annotations = &annotations;
  }

  Vector Run(const Vector& in, double param = 0) {
    ctx.param = param;
    Vector out;
    absl::Status st = Aggregate(in, ctx, out);
    INFO(st.ToString());
    REQUIRE(st.ok());
    return out;
  }

  absl::Status RunStatus(const Vector& in, double param) {
    ctx.param = param;
    Vector out;
    return Aggregate(in, ctx, out);
  }

  std::vector<std::string> Warnings() const {
    std::vector<std::string> out;
    for (const Annotation& a : annotations.items()) {
      if (a.kind == AnnotationKind::kWarning) out.push_back(a.message);
    }
    return out;
  }
};

// The value of the sample with exactly `labels`; fails when absent.
double ValueOf(const Vector& v, const Labels& labels) {
  for (const VectorSample& s : v) {
    if (s.labels == labels) return s.f;
  }
  FAIL("no sample with labels " << labels.ToString());
  return 0;
}

bool SameFloat(double got, double want) {
  if (std::isnan(want)) return std::isnan(got);
  if (std::isinf(want) || want == 0) return got == want;
  return std::fabs(got - want) <= 1e-6 * std::fabs(want);
}

void ExpectValue(const Vector& v, std::vector<Label> labels, double want) {
  Labels l = L(std::move(labels));
  double got = ValueOf(v, l);
  INFO(l.ToString() << " got " << got << " want " << want);
  CHECK(SameFloat(got, want));
}

TEST_CASE("sum, avg, count, min and max group by the listed labels", "[promql][aggregations]") {
  Vector api = Filter(HttpRequests(), "job", "api-server");
  {
    Agg a(AggregateOp::kSum, {"group"});
    Vector out = a.Run(api);
    REQUIRE(out.size() == 2);
    ExpectValue(out, {{"group", "canary"}}, 700);
    ExpectValue(out, {{"group", "production"}}, 300);
    CHECK(out[0].t == 3'000'000);
    CHECK(a.annotations.empty());
  }
  {
    Agg a(AggregateOp::kAvg, {"group"});
    Vector out = a.Run(api);
    ExpectValue(out, {{"group", "canary"}}, 350);
    ExpectValue(out, {{"group", "production"}}, 150);
  }
  {
    Agg a(AggregateOp::kCount, {"group"});
    Vector out = a.Run(api);
    ExpectValue(out, {{"group", "canary"}}, 2);
    ExpectValue(out, {{"group", "production"}}, 2);
  }
  Vector all = HttpRequests();
  {
    Agg a(AggregateOp::kMin, {"job"});
    Vector out = a.Run(all);
    ExpectValue(out, {{"job", "api-server"}}, 100);
    ExpectValue(out, {{"job", "app-server"}}, 500);
  }
  {
    Agg a(AggregateOp::kMax, {"job"});
    Vector out = a.Run(all);
    ExpectValue(out, {{"job", "api-server"}}, 400);
    ExpectValue(out, {{"job", "app-server"}}, 800);
  }
  {
    // Labels in by() that no series has do not show up.
    Agg a(AggregateOp::kSum, {"job", "nonexistent"});
    Vector out = a.Run(all);
    REQUIRE(out.size() == 2);
    ExpectValue(out, {{"job", "api-server"}}, 1000);
    ExpectValue(out, {{"job", "app-server"}}, 2600);
  }
  {
    Agg a(AggregateOp::kSum);  // no clause: one group with no labels
    Vector out = a.Run(all);
    REQUIRE(out.size() == 1);
    ExpectValue(out, {}, 3600);
  }
  {
    Agg a(AggregateOp::kGroup, {"job"});
    Vector out = a.Run(all);
    ExpectValue(out, {{"job", "api-server"}}, 1);
    ExpectValue(out, {{"job", "app-server"}}, 1);
  }
  {
    // The separator between label values keeps {a="aa",b="bb"} and
    // {a="a",b="abb"} apart.
    Agg a(AggregateOp::kSum, {"a", "b"});
    Vector out = a.Run({S({{"a", "aa"}, {"b", "bb"}}, 100), S({{"a", "a"}, {"b", "abb"}}, 200)});
    ExpectValue(out, {{"a", "a"}, {"b", "abb"}}, 200);
    ExpectValue(out, {{"a", "aa"}, {"b", "bb"}}, 100);
  }
}

TEST_CASE("without drops the listed labels and the metric name", "[promql][aggregations]") {
  Vector in = Filter(HttpRequests(), "job", "api-server");
  in.push_back(S({{"__name__", "foo"}, {"job", "api-server"}, {"instance", "0"}, {"region", "europe"}}, 900));
  in.push_back(S({{"__name__", "foo"}, {"job", "api-server"}}, 1000));
  Agg a(AggregateOp::kSum, {"instance"}, /*without=*/true);
  Vector out = a.Run(in);
  REQUIRE(out.size() == 4);
  ExpectValue(out, {{"group", "canary"}, {"job", "api-server"}}, 700);
  ExpectValue(out, {{"group", "production"}, {"job", "api-server"}}, 300);
  ExpectValue(out, {{"region", "europe"}, {"job", "api-server"}}, 900);
  ExpectValue(out, {{"job", "api-server"}}, 1000);

  // without () keeps every label but the name.
  Agg b(AggregateOp::kSum, {}, /*without=*/true);
  Vector out2 = b.Run(Filter(Filter(HttpRequests(), "job", "api-server"), "group", "production"));
  ExpectValue(out2, {{"group", "production"}, {"job", "api-server"}, {"instance", "0"}}, 100);
  ExpectValue(out2, {{"group", "production"}, {"job", "api-server"}, {"instance", "1"}}, 200);

  // by (__name__) keeps the name, as Prometheus's Keep does.
  Agg c(AggregateOp::kCount, {"__name__"});
  Vector out3 = c.Run(in);
  ExpectValue(out3, {{"__name__", "http_requests"}}, 4);
  ExpectValue(out3, {{"__name__", "foo"}}, 2);
}

TEST_CASE("aggregation output is marked for name removal when any input is", "[promql][aggregations]") {
  Vector in = {S({{"__name__", "x"}, {"a", "1"}}, 1), S({{"__name__", "x"}, {"a", "2"}}, 2)};
  in[1].drop_name = true;
  Agg a(AggregateOp::kSum, {"__name__"});
  Vector out = a.Run(in);
  REQUIRE(out.size() == 1);
  CHECK(out[0].drop_name);
  CHECK(out[0].labels.MetricName() == "x");
  Agg b(AggregateOp::kSum, {"a"});
  Vector out2 = b.Run(in);
  REQUIRE(out2.size() == 2);
  CHECK(out2[0].drop_name == false);
  CHECK(out2[1].drop_name == true);
}

TEST_CASE("stddev and stdvar follow Prometheus, including NaN and Inf inputs", "[promql][aggregations]") {
  Vector all = HttpRequests();
  ExpectValue(Agg(AggregateOp::kStddev).Run(all), {}, 229.12878474779);
  ExpectValue(Agg(AggregateOp::kStdvar).Run(all), {}, 52500);
  Vector by_instance = Agg(AggregateOp::kStddev, {"instance"}).Run(all);
  ExpectValue(by_instance, {{"instance", "0"}}, 223.60679774998);
  ExpectValue(by_instance, {{"instance", "1"}}, 223.60679774998);
  ExpectValue(Agg(AggregateOp::kStdvar, {"instance"}).Run(all), {{"instance", "0"}}, 50000);

  // Equal values give exactly zero despite 13.3 not being representable.
  Vector same = {S({{"i", "0"}}, 0 + 1.33 * 10), S({{"i", "1"}}, 0 + 1.33 * 10), S({{"i", "2"}}, 0 + 1.33 * 10)};
  CHECK(Agg(AggregateOp::kStddev).Run(same)[0].f == 0);
  CHECK(Agg(AggregateOp::kStdvar).Run(same)[0].f == 0);

  for (double bad : {kNaN, kInf}) {
    for (bool bad_first : {false, true}) {
      Vector in = {S({{"label", "a"}}, 1), S({{"label", "b"}}, 2)};
      VectorSample b = S({{"label", "c"}}, bad);
      in.insert(bad_first ? in.begin() : in.end(), b);
      CHECK(std::isnan(Agg(AggregateOp::kStddev).Run(in)[0].f));
      CHECK(std::isnan(Agg(AggregateOp::kStdvar).Run(in)[0].f));
      Vector per = Agg(AggregateOp::kStdvar, {"label"}).Run(in);
      ExpectValue(per, {{"label", "a"}}, 0);
      ExpectValue(per, {{"label", "b"}}, 0);
      ExpectValue(per, {{"label", "c"}}, kNaN);
    }
  }
  // 1 and 2: variance 0.25.
  ExpectValue(Agg(AggregateOp::kStdvar).Run({S({{"l", "a"}}, 1), S({{"l", "b"}}, 2)}), {}, 0.25);
  ExpectValue(Agg(AggregateOp::kStddev).Run({S({{"l", "a"}}, 1), S({{"l", "b"}}, 2)}), {}, 0.5);
}

TEST_CASE("min and max skip NaN unless every value is NaN", "[promql][aggregations]") {
  Vector in = {
      S({{"instance", "0"}, {"group", "production"}}, 1), S({{"instance", "1"}, {"group", "production"}}, 2),
      S({{"instance", "0"}, {"group", "canary"}}, kNaN), S({{"instance", "1"}, {"group", "canary"}}, 3),
      S({{"instance", "2"}, {"group", "canary"}}, 4),
  };
  ExpectValue(Agg(AggregateOp::kMax).Run(in), {}, 4);
  ExpectValue(Agg(AggregateOp::kMin).Run(in), {}, 1);
  Vector max_by = Agg(AggregateOp::kMax, {"group"}).Run(in);
  ExpectValue(max_by, {{"group", "production"}}, 2);
  ExpectValue(max_by, {{"group", "canary"}}, 4);
  Vector min_by = Agg(AggregateOp::kMin, {"group"}).Run(in);
  ExpectValue(min_by, {{"group", "canary"}}, 3);
  ExpectValue(Agg(AggregateOp::kMax).Run({S({{"a", "b"}}, kNaN)}), {}, kNaN);
}

TEST_CASE("avg handles infinities and avoids overflow like Prometheus", "[promql][aggregations]") {
  auto avg = [](std::vector<double> values) {
    Vector in;
    for (size_t i = 0; i < values.size(); ++i) in.push_back(S({{"point", std::to_string(i)}}, values[i]));
    return Agg(AggregateOp::kAvg).Run(in)[0].f;
  };
  CHECK(avg({8, 10, 12}) == 10);
  CHECK(avg({0, kInf, kInf, 0}) == kInf);
  CHECK(avg({kInf, 0, kInf}) == kInf);
  CHECK(std::isnan(avg({kInf, kInf, -kInf})));
  CHECK(avg({-kInf, -kInf, 0}) == -kInf);
  CHECK(avg({-kInf, 0, -kInf}) == -kInf);
  CHECK(std::isnan(avg({-kInf, 0, kInf})));
  const double big = 9.988465674311579e+307;
  CHECK(avg({big, big, big, big}) == big);
  CHECK(avg({-big, -big, -big, -big}) == -big);
  CHECK(avg({-big, -big, big, big}) == 0);
  CHECK(std::isnan(avg({8, kNaN, 12})));
  // Kahan summation keeps the small values next to +-1e100.
  CHECK(avg({2, 8, 1e100, -1e100}) == 2.5);
  // Twelve equal values average exactly to that value.
  for (size_t n = 8; n <= 12; ++n) CHECK(avg(std::vector<double>(n, 52)) == 52);
}

TEST_CASE("sum uses Kahan summation and propagates Inf and NaN", "[promql][aggregations]") {
  auto sum = [](std::vector<double> values) {
    Vector in;
    for (size_t i = 0; i < values.size(); ++i) in.push_back(S({{"point", std::to_string(i)}}, values[i]));
    return Agg(AggregateOp::kSum).Run(in)[0].f;
  };
  CHECK(sum({2, 8, 1e100, -1e100}) == 10);
  CHECK(sum({kInf, 2}) == kInf);
  CHECK(sum({2, kInf}) == kInf);
  CHECK(sum({-kInf, 2}) == -kInf);
  CHECK(std::isnan(sum({kInf, -kInf})));
  CHECK(std::isnan(sum({kNaN, 2})));
  CHECK(std::isnan(sum({2, kNaN})));
}

TEST_CASE("topk and bottomk return the extreme samples with full labels in order", "[promql][aggregations]") {
  Vector all = HttpRequests();
  all.insert(all.begin() + 2,
             S({{"__name__", "http_requests"}, {"job", "api-server"}, {"instance", "2"}, {"group", "production"}}, kNaN));
  {
    Agg a(AggregateOp::kTopk);
    Vector out = a.Run(all, 3);
    REQUIRE(out.size() == 3);
    CHECK(out[0].f == 800);
    CHECK(out[0].labels == all[8].labels);
    CHECK(out[1].f == 700);
    CHECK(out[2].f == 600);
    CHECK(out[2].labels.Get("group") == "production");
  }
  {
    Vector out = Agg(AggregateOp::kBottomk).Run(all, 3);
    REQUIRE(out.size() == 3);
    CHECK(out[0].f == 100);
    CHECK(out[1].f == 200);
    CHECK(out[2].f == 300);
    CHECK(out[0].labels.MetricName() == "http_requests");
  }
  {
    // NaN sorts away from the top and the bottom.
    Vector prod = Filter(Filter(all, "job", "api-server"), "group", "production");
    Vector top = Agg(AggregateOp::kTopk).Run(prod, 3);
    REQUIRE(top.size() == 3);
    CHECK(top[0].f == 200);
    CHECK(top[1].f == 100);
    CHECK(std::isnan(top[2].f));
    Vector bottom = Agg(AggregateOp::kBottomk).Run(prod, 3);
    REQUIRE(bottom.size() == 3);
    CHECK(bottom[0].f == 100);
    CHECK(bottom[1].f == 200);
    CHECK(std::isnan(bottom[2].f));
    // k far beyond the input size is fine.
    CHECK(Agg(AggregateOp::kTopk).Run(prod, 9999999999).size() == 3);
    // NaN loses against any number once k is reached.
    Vector top1 = Agg(AggregateOp::kTopk).Run(prod, 2);
    CHECK(top1.size() == 2);
    CHECK(!std::isnan(top1[1].f));
  }
  {
    Vector out = Agg(AggregateOp::kTopk, {"group"}).Run(all, 1);
    REQUIRE(out.size() == 2);
    ExpectValue(out, {{"__name__", "http_requests"}, {"group", "production"}, {"instance", "1"}, {"job", "app-server"}},
                600);
    ExpectValue(out, {{"__name__", "http_requests"}, {"group", "canary"}, {"instance", "1"}, {"job", "app-server"}},
                800);
    Vector bottom = Agg(AggregateOp::kBottomk, {"group"}).Run(Filter(all, "group", "production"), 2);
    REQUIRE(bottom.size() == 2);
    CHECK(bottom[0].f == 100);
    CHECK(bottom[1].f == 200);
  }
  {
    // The parameter is truncated toward zero; below 1 gives nothing.
    CHECK(Agg(AggregateOp::kTopk).Run(all, 2.9).size() == 2);
    CHECK(Agg(AggregateOp::kTopk).Run(all, 0.5).empty());
    CHECK(Agg(AggregateOp::kBottomk).Run(all, -1e30).empty());
  }
}

TEST_CASE("topk, limitk and limit_ratio reject bad parameters with Prometheus's errors", "[promql][aggregations]") {
  Vector empty;
  absl::Status st = Agg(AggregateOp::kTopk).RunStatus(empty, kNaN);
  CHECK(st.code() == absl::StatusCode::kInvalidArgument);
  CHECK(st.message() == "Parameter value is NaN");
  CHECK(Agg(AggregateOp::kLimitk).RunStatus(empty, kNaN).message() == "Parameter value is NaN");
  CHECK(Agg(AggregateOp::kLimitRatio).RunStatus(empty, kNaN).message() == "Ratio value is NaN");
  absl::Status over = Agg(AggregateOp::kBottomk).RunStatus(HttpRequests(), 1e19);
  CHECK(over.code() == absl::StatusCode::kInvalidArgument);
  CHECK(over.message() == "Scalar value 1e+19 overflows int64");
  CHECK(Agg(AggregateOp::kTopk).RunStatus(empty, 9223372036854775807.0).message() ==
        "Scalar value 9.223372036854776e+18 overflows int64");
}

TEST_CASE("count_values counts samples per value in a new label", "[promql][aggregations]") {
  auto version = [](std::string job, std::string instance, std::string group, double v) {
    return S({{"__name__", "version"}, {"job", job}, {"instance", instance}, {"group", group}}, v);
  };
  Vector in = {
      version("api-server", "0", "production", 6), version("api-server", "1", "production", 6),
      version("api-server", "2", "production", 6), version("api-server", "0", "canary", 8),
      version("api-server", "1", "canary", 8),     version("app-server", "0", "production", 6),
      version("app-server", "1", "production", 6), version("app-server", "0", "canary", 7),
      version("app-server", "1", "canary", 7),
  };
  {
    Agg a(AggregateOp::kCountValues);
    a.ctx.label = "version";
    Vector out = a.Run(in);
    REQUIRE(out.size() == 3);
    ExpectValue(out, {{"version", "6"}}, 5);
    ExpectValue(out, {{"version", "7"}}, 2);
    ExpectValue(out, {{"version", "8"}}, 2);
  }
  {
    Agg a(AggregateOp::kCountValues, {"instance"}, /*without=*/true);
    a.ctx.label = "version";
    Vector out = a.Run(in);
    REQUIRE(out.size() == 4);
    ExpectValue(out, {{"job", "api-server"}, {"group", "production"}, {"version", "6"}}, 3);
    ExpectValue(out, {{"job", "api-server"}, {"group", "canary"}, {"version", "8"}}, 2);
    ExpectValue(out, {{"job", "app-server"}, {"group", "production"}, {"version", "6"}}, 2);
    ExpectValue(out, {{"job", "app-server"}, {"group", "canary"}, {"version", "7"}}, 2);
  }
  for (bool without : {true, false}) {
    // The output label overwrites an input label of the same name.
    Agg a(AggregateOp::kCountValues, without ? std::vector<std::string>{"instance"}
                                             : std::vector<std::string>{"job", "group"},
          without);
    a.ctx.label = "job";
    Vector out = a.Run(in);
    REQUIRE(out.size() == 3);
    ExpectValue(out, {{"job", "6"}, {"group", "production"}}, 5);
    ExpectValue(out, {{"job", "8"}, {"group", "canary"}}, 2);
    ExpectValue(out, {{"job", "7"}, {"group", "canary"}}, 2);
  }
  {
    // Values are formatted as Go's FormatFloat(f, 'f', -1, 64).
    Agg a(AggregateOp::kCountValues);
    a.ctx.label = "v";
    Vector out = a.Run({S({{"a", "1"}}, 0.1), S({{"a", "2"}}, 1e21), S({{"a", "3"}}, -kInf), S({{"a", "4"}}, kNaN),
                        S({{"a", "5"}}, 1.5e-7)});
    ExpectValue(out, {{"v", "0.1"}}, 1);
    ExpectValue(out, {{"v", "1000000000000000000000"}}, 1);
    ExpectValue(out, {{"v", "-Inf"}}, 1);
    ExpectValue(out, {{"v", "NaN"}}, 1);
    ExpectValue(out, {{"v", "0.00000015"}}, 1);
  }
  {
    Agg a(AggregateOp::kCountValues);
    a.ctx.label = "a\xc5z";
    absl::Status st = a.RunStatus(in, 0);
    CHECK(st.code() == absl::StatusCode::kInvalidArgument);
    CHECK(st.message() == "invalid label name \"a\\xc5z\"");
    a.ctx.label = "";
    CHECK(a.RunStatus(in, 0).message() == "invalid label name \"\"");
  }
}

TEST_CASE("quantile interpolates between samples and treats NaN as smallest", "[promql][aggregations]") {
  Vector data = {
      S({{"test", "two samples"}, {"point", "a"}}, 0),   S({{"test", "two samples"}, {"point", "b"}}, 1),
      S({{"test", "three samples"}, {"point", "a"}}, 0), S({{"test", "three samples"}, {"point", "b"}}, 1),
      S({{"test", "three samples"}, {"point", "c"}}, 2), S({{"test", "uneven samples"}, {"point", "a"}}, 0),
      S({{"test", "uneven samples"}, {"point", "b"}}, 1), S({{"test", "uneven samples"}, {"point", "c"}}, 4),
      S({{"test", "NaN sample"}, {"point", "a"}}, 0),    S({{"test", "NaN sample"}, {"point", "b"}}, 1),
      S({{"test", "NaN sample"}, {"point", "c"}}, kNaN),
  };
  {
    Agg a(AggregateOp::kQuantile, {"point"}, /*without=*/true);
    Vector out = a.Run(data, 0.8);
    ExpectValue(out, {{"test", "two samples"}}, 0.8);
    ExpectValue(out, {{"test", "three samples"}}, 1.6);
    ExpectValue(out, {{"test", "uneven samples"}}, 2.8);
    ExpectValue(out, {{"test", "NaN sample"}}, 0.6);
    CHECK(a.annotations.empty());
  }
  {
    Vector out = Agg(AggregateOp::kQuantile, {"point"}, true).Run(data, 0.2);
    ExpectValue(out, {{"test", "two samples"}}, 0.2);
    ExpectValue(out, {{"test", "three samples"}}, 0.4);
    ExpectValue(out, {{"test", "uneven samples"}}, 0.4);
    ExpectValue(out, {{"test", "NaN sample"}}, kNaN);
  }
  {
    Agg a(AggregateOp::kQuantile, {"point"}, true);
    Vector out = a.Run(data, kNaN);
    REQUIRE(out.size() == 4);
    for (const VectorSample& s : out) CHECK(std::isnan(s.f));
    REQUIRE(a.Warnings() == std::vector<std::string>{"quantile value should be between 0 and 1, got NaN"});
    CHECK(a.annotations.items()[0].pos.start == 5);
  }
  {
    Agg a(AggregateOp::kQuantile);
    ExpectValue(a.Run(data, 1.5), {}, kInf);
    ExpectValue(a.Run(data, -0.5), {}, -kInf);
    CHECK(a.Warnings() == std::vector<std::string>{"quantile value should be between 0 and 1, got 1.5",
                                                   "quantile value should be between 0 and 1, got -0.5"});
  }
}

// The series of limit.test (the two native histograms there take part as
// plain series here: only their labels matter to the sampling).
Vector LimitSeries() {
  Vector out;
  for (auto [instance, group] : std::vector<std::pair<std::string, std::string>>{
           {"0", "production"}, {"1", "production"}, {"0", "canary"}, {"1", "canary"}, {"2", "canary"},
           {"3", "canary"}, {"histogram_1", "canary"}, {"histogram_2", "canary"}}) {
    out.push_back(S({{"__name__", "http_requests"}, {"job", "api-server"}, {"instance", instance}, {"group", group}},
                    static_cast<double>(out.size() * 10)));
  }
  return out;
}

std::set<std::string> Keys(const Vector& v) {
  std::set<std::string> out;
  for (const VectorSample& s : v) out.insert(s.labels.ToString());
  return out;
}

TEST_CASE("limitk returns k input samples per group unchanged", "[promql][aggregations]") {
  Vector in = LimitSeries();
  CHECK(Agg(AggregateOp::kLimitk, {"group"}).Run(in, 0).empty());
  CHECK(Agg(AggregateOp::kLimitk, {"group"}).Run(in, -1).empty());
  Vector one = Agg(AggregateOp::kLimitk, {"group"}).Run(in, 1);
  REQUIRE(one.size() == 2);
  CHECK(one[0].labels.Get("group") != one[1].labels.Get("group"));
  CHECK(Agg(AggregateOp::kLimitk, {"group"}).Run(in, 2).size() == 4);
  Vector all = Agg(AggregateOp::kLimitk).Run(in, 100);
  REQUIRE(all.size() == 8);
  for (size_t i = 0; i < in.size(); ++i) {
    CHECK(all[i].labels == in[i].labels);  // a subset of the input, names kept
    CHECK(all[i].f == in[i].f);
  }
}

TEST_CASE("limit_ratio samples series deterministically by label hash", "[promql][aggregations]") {
  Vector in = LimitSeries();
  CHECK(Agg(AggregateOp::kLimitRatio).Run(in, 0).empty());
  CHECK(Agg(AggregateOp::kLimitRatio).Run(in, 1.0).size() == 8);
  CHECK(Agg(AggregateOp::kLimitRatio).Run(in, -1.0).size() == 8);
  size_t half = Agg(AggregateOp::kLimitRatio).Run(in, 0.5).size();
  CHECK(half >= 3);
  CHECK(half <= 5);
  // r and -(1 - r) are complements: disjoint, and together everything.
  for (double r : {0.2, 0.5, 0.8, 3.0 / 17, 11.0 / 17}) {
    std::set<std::string> a = Keys(Agg(AggregateOp::kLimitRatio).Run(in, r));
    std::set<std::string> b = Keys(Agg(AggregateOp::kLimitRatio).Run(in, -(1.0 - r)));
    for (const std::string& k : a) CHECK(b.count(k) == 0);
    CHECK(a.size() + b.size() == 8);
  }
  // Deterministic across calls and grouping does not change the choice.
  CHECK(Keys(Agg(AggregateOp::kLimitRatio).Run(in, 0.5)) ==
        Keys(Agg(AggregateOp::kLimitRatio, {"group"}).Run(in, 0.5)));
  {
    Agg a(AggregateOp::kLimitRatio);
    CHECK(a.Run(in, 1.1).size() == 8);
    CHECK(a.Run(in, -1.1).size() == 8);
    CHECK(a.Warnings() ==
          std::vector<std::string>{"ratio value should be between -1 and 1, got 1.1, capping to 1",
                                   "ratio value should be between -1 and 1, got -1.1, capping to -1"});
    CHECK(a.annotations.items()[0].pos.start == 5);
  }
}

}  // namespace
}  // namespace strata::promql
