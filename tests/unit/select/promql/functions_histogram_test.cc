#include <cmath>
#include <limits>
#include <string>

#include <catch2/catch.hpp>

#include "select/promql/functions.h"

// Cases are the classic-bucket ones of Prometheus's histograms.test: the
// input vectors are what the `_bucket` selectors return at the evaluation
// time.
namespace strata::promql {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kInf = std::numeric_limits<double>::infinity();

Labels L(std::vector<Label> l) { return Labels::FromUnsorted(std::move(l)); }

VectorSample S(std::vector<Label> l, double f) { return VectorSample{L(std::move(l)), f, 0, false}; }

struct HistogramQuantileCall {
  Expr q_expr;
  Expr v_expr;
  Call call;
  FunctionCallContext ctx;
  Annotations annotations;

  explicit HistogramQuantileCall(bool delayed_name_removal = false) {
    // histogram_quantile(0.8, series): the arguments start at 19 and 24.
    q_expr.pos = {19, 22};
    v_expr.pos = {24, 30};
    ctx.call = &call;
    ctx.t_ms = 3'000'000;
    ctx.delayed_name_removal = delayed_name_removal;
    ctx.annotations = &annotations;
  }

  Vector Run(double q, const Vector& in) {
    // Call owns its arguments through unique_ptr; point at ours without
    // owning them.
    FunctionImpl impl = FindFunctionImpl("histogram_quantile");
    REQUIRE(impl != nullptr);
    FunctionArg args[2];
    args[0].scalar = q;
    args[1].vector = &in;
    call.args.clear();
    call.args.emplace_back(&q_expr);
    call.args.emplace_back(&v_expr);
    Vector out;
    absl::Status st = impl(std::span<const FunctionArg>(args, 2), ctx, out);
    for (ExprPtr& a : call.args) (void)a.release();
    call.args.clear();
    INFO(st.ToString());
    REQUIRE(st.ok());
    return out;
  }

  std::vector<Annotation> Items(AnnotationKind kind) const {
    std::vector<Annotation> out;
    for (const Annotation& a : annotations.items()) {
      if (a.kind == kind) out.push_back(a);
    }
    return out;
  }
};

// testhistogram_bucket at 50m (0+5x10 and so on evaluated at step 10).
Vector TestHistogram() {
  auto b = [](std::string le, std::string start, double v) {
    return S({{"__name__", "testhistogram_bucket"}, {"le", le}, {"start", start}}, v);
  };
  return {b("0.1", "positive", 50), b(".2", "positive", 70),   b("1e0", "positive", 110), b("+Inf", "positive", 120),
          b("-.2", "negative", 10), b("-0.1", "negative", 20), b("0.3", "negative", 20),  b("+Inf", "negative", 30)};
}

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

TEST_CASE("histogram_quantile interpolates within classic buckets", "[promql][functions][histogram]") {
  struct Case {
    double q, positive, negative;
  };
  for (Case c : {Case{0, 0, -0.2}, Case{0.2, 0.048, -0.2}, Case{0.5, 0.15, -0.15}, Case{0.8, 0.72, 0.3},
                 Case{1, 1, 0.3}}) {
    HistogramQuantileCall h;
    Vector out = h.Run(c.q, TestHistogram());
    INFO("q=" << c.q);
    REQUIRE(out.size() == 2);
    ExpectValue(out, {{"start", "positive"}}, c.positive);
    ExpectValue(out, {{"start", "negative"}}, c.negative);
    CHECK(out[0].t == 3'000'000);
    CHECK(out[0].drop_name == false);
    CHECK(h.annotations.empty());
  }
  // testhistogram2_bucket at 7m: q(1/6), q(1/2), q(5/6) in bucket middles.
  Vector two = {S({{"__name__", "h2_bucket"}, {"le", "0"}}, 0), S({{"__name__", "h2_bucket"}, {"le", "2"}}, 1),
                S({{"__name__", "h2_bucket"}, {"le", "4"}}, 2), S({{"__name__", "h2_bucket"}, {"le", "6"}}, 3),
                S({{"__name__", "h2_bucket"}, {"le", "+Inf"}}, 3)};
  ExpectValue(HistogramQuantileCall().Run(1. / 6., two), {}, 1);
  ExpectValue(HistogramQuantileCall().Run(0.5, two), {}, 3);
  ExpectValue(HistogramQuantileCall().Run(5. / 6., two), {}, 5);
  // testhistogram3_bucket: a first bucket at 0 and a negative histogram.
  auto b3 = [](std::string le, std::string start, double v) {
    return S({{"__name__", "testhistogram3_bucket"}, {"le", le}, {"start", start}}, v);
  };
  Vector three = {b3("0", "positive", 0),     b3("0.1", "positive", 50),  b3(".2", "positive", 70),
                  b3("1e0", "positive", 110), b3("+Inf", "positive", 110), b3("-.25", "negative", 0),
                  b3("-.2", "negative", 10),  b3("-0.1", "negative", 20), b3("0.3", "negative", 20),
                  b3("+Inf", "negative", 20)};
  struct Case3 {
    double q, positive, negative;
  };
  for (Case3 c : {Case3{0, 0, -0.25}, Case3{0.25, 0.055, -0.225}, Case3{0.5, 0.125, -0.2}, Case3{0.75, 0.45, -0.15},
                  Case3{1, 1, -0.1}}) {
    INFO("q=" << c.q);
    Vector out = HistogramQuantileCall().Run(c.q, three);
    ExpectValue(out, {{"start", "positive"}}, c.positive);
    ExpectValue(out, {{"start", "negative"}}, c.negative);
  }
}

TEST_CASE("histogram_quantile returns +-Inf or NaN for an invalid quantile and warns", "[promql][functions][histogram]") {
  {
    HistogramQuantileCall h;
    Vector out = h.Run(-0.1, TestHistogram());
    ExpectValue(out, {{"start", "positive"}}, -kInf);
    ExpectValue(out, {{"start", "negative"}}, -kInf);
    auto w = h.Items(AnnotationKind::kWarning);
    REQUIRE(w.size() == 1);
    CHECK(w[0].message == "quantile value should be between 0 and 1, got -0.1");
    CHECK(w[0].pos.start == 19);
  }
  {
    HistogramQuantileCall h;
    Vector out = h.Run(1.01, TestHistogram());
    ExpectValue(out, {{"start", "positive"}}, kInf);
    REQUIRE(h.Items(AnnotationKind::kWarning).size() == 1);
    CHECK(h.Items(AnnotationKind::kWarning)[0].message == "quantile value should be between 0 and 1, got 1.01");
  }
  {
    HistogramQuantileCall h;
    Vector out = h.Run(kNaN, TestHistogram());
    ExpectValue(out, {{"start", "negative"}}, kNaN);
    CHECK(h.Items(AnnotationKind::kWarning)[0].message == "quantile value should be between 0 and 1, got NaN");
  }
  {
    // The warning does not depend on there being any input.
    HistogramQuantileCall h;
    CHECK(h.Run(kNaN, {}).empty());
    CHECK(h.Items(AnnotationKind::kWarning).size() == 1);
  }
}

TEST_CASE("histogram_quantile coalesces equal bounds and needs the +Inf bucket", "[promql][functions][histogram]") {
  // mixed_bucket: 0.2, 2e-1 and 2.0e-1 are one bucket (rates at 50m over 10m).
  auto m = [](std::string instance, std::string le, double v) {
    return S({{"__name__", "mixed_bucket"}, {"instance", instance}, {"job", "job1"}, {"le", le}}, v);
  };
  Vector mixed = {m("ins1", "0.1", 1. / 300), m("ins1", "0.2", 1. / 300), m("ins1", "2e-1", 1. / 300),
                  m("ins1", "2.0e-1", 1. / 300), m("ins1", "+Inf", 4. / 300), m("ins2", "+inf", 0),
                  m("ins2", "+Inf", 0)};
  ExpectValue(HistogramQuantileCall().Run(0.5, mixed), {{"instance", "ins1"}, {"job", "job1"}}, 0.15);
  ExpectValue(HistogramQuantileCall().Run(0.5, mixed), {{"instance", "ins2"}, {"job", "job1"}}, kNaN);
  ExpectValue(HistogramQuantileCall().Run(0.75, mixed), {{"instance", "ins1"}, {"job", "job1"}}, 0.2);
  ExpectValue(HistogramQuantileCall().Run(1, mixed), {{"instance", "ins1"}, {"job", "job1"}}, 0.2);
  // No +Inf bucket, or no observations at all: NaN.
  Vector no_inf = {S({{"le", "1"}}, 1), S({{"le", "2"}}, 2)};
  ExpectValue(HistogramQuantileCall().Run(0.5, no_inf), {}, kNaN);
  Vector empty_buckets = {S({{"le", "0.1"}}, 0), S({{"le", "0.2"}}, 0), S({{"le", "+Inf"}}, 0)};
  ExpectValue(HistogramQuantileCall().Run(0.2, empty_buckets), {}, kNaN);
  // A rank in the +Inf bucket gives the highest finite bound.
  Vector top = {S({{"le", "1"}}, 1), S({{"le", "+Inf"}}, 10)};
  ExpectValue(HistogramQuantileCall().Run(0.9, top), {}, 1);
}

TEST_CASE("histogram_quantile fixes non-monotonic buckets and reports it", "[promql][functions][histogram]") {
  auto b = [](std::string le, double v) { return S({{"__name__", "nonmonotonic_bucket"}, {"le", le}}, v); };
  Vector in = {b("0.1", 20), b("1", 10), b("10", 50), b("100", 40), b("1000", 90), b("+Inf", 80)};
  struct Case {
    double q, want;
  };
  for (Case c : {Case{0.01, 0.0045}, Case{0.5, 8.5}, Case{0.99, 979.75}}) {
    HistogramQuantileCall h(/*delayed_name_removal=*/true);
    Vector out = h.Run(c.q, in);
    REQUIRE(out.size() == 1);
    CHECK(SameFloat(out[0].f, c.want));
    // With delayed name removal the name stays, marked for removal.
    CHECK(out[0].labels.MetricName() == "nonmonotonic_bucket");
    CHECK(out[0].drop_name);
    auto infos = h.Items(AnnotationKind::kInfo);
    REQUIRE(infos.size() == 1);
    CHECK(infos[0].message ==
          "input to histogram_quantile needed to be fixed for monotonicity (see "
          "https://prometheus.io/docs/prometheus/latest/querying/functions/#histogram_quantile) for metric name "
          "\"nonmonotonic_bucket\"");
    CHECK(infos[0].pos.start == 24);
  }
  {
    // Without delayed name removal the name is gone and not reported.
    HistogramQuantileCall h;
    Vector out = h.Run(0.5, in);
    CHECK(out[0].labels.empty());
    CHECK(h.Items(AnnotationKind::kInfo)[0].message.find("metric name") == std::string::npos);
  }
  {
    // Differences within 1e-12 relative are float noise, fixed silently.
    HistogramQuantileCall h;
    Vector noisy = {b("1", 1e13), b("2", 1e13 - 1), b("+Inf", 2e13)};
    Vector out = h.Run(0.25, noisy);
    CHECK(SameFloat(out[0].f, 0.5));
    CHECK(h.annotations.empty());
  }
}

TEST_CASE("histogram_quantile warns about a missing or malformed le label", "[promql][functions][histogram]") {
  {
    HistogramQuantileCall h(/*delayed_name_removal=*/true);
    CHECK(h.Run(0.8, {S({{"__name__", "series"}, {"ale", "0.1"}}, 2)}).empty());
    auto w = h.Items(AnnotationKind::kWarning);
    REQUIRE(w.size() == 1);
    CHECK(w[0].message == "bucket label \"le\" is missing or has a malformed value of \"\" for metric name \"series\"");
    CHECK(w[0].pos.start == 24);
  }
  {
    HistogramQuantileCall h(/*delayed_name_removal=*/true);
    CHECK(h.Run(0.8, {S({{"__name__", "series"}, {"le", "Hello World"}}, 2)}).empty());
    CHECK(h.Items(AnnotationKind::kWarning)[0].message ==
          "bucket label \"le\" is missing or has a malformed value of \"Hello World\" for metric name \"series\"");
  }
  {
    HistogramQuantileCall h;
    Vector in = {S({{"le", " 1"}}, 1), S({{"le", "0x10"}}, 1), S({{"le", "1e400"}}, 1), S({{"le", "nan(1)"}}, 1)};
    CHECK(h.Run(0.5, in).empty());
    CHECK(h.Items(AnnotationKind::kWarning).size() == 4);
    CHECK(h.Items(AnnotationKind::kWarning)[0].message ==
          "bucket label \"le\" is missing or has a malformed value of \" 1\"");
  }
  {
    // Go's float syntax: signs, exponents, Inf spellings and hex with p.
    HistogramQuantileCall h;
    Vector in = {S({{"le", "0x1p-1"}}, 5), S({{"le", "1E0"}}, 10), S({{"le", "infinity"}}, 10)};
    ExpectValue(h.Run(0.25, in), {}, 0.25);
    CHECK(h.annotations.empty());
  }
}

TEST_CASE("histogram_quantile keeps histograms with different names apart", "[promql][functions][histogram]") {
  auto b = [](std::string name, std::string le, double v) {
    return S({{"__name__", name}, {"instance", "ins1"}, {"job", "job1"}, {"le", le}}, v);
  };
  Vector in = {b("rd_bucket", "0.1", 10), b("rd_bucket", "0.2", 30), b("rd_bucket", "+Inf", 40),
               b("rd2_bucket", "0.1", 10), b("rd2_bucket", "0.2", 30), b("rd2_bucket", "+Inf", 40)};
  HistogramQuantileCall h(/*delayed_name_removal=*/true);
  Vector out = h.Run(0.5, in);
  // Two results; the engine reports the label set collision after removing
  // the names, as Prometheus does.
  REQUIRE(out.size() == 2);
  CHECK(out[0].labels.MetricName() != out[1].labels.MetricName());
  CHECK(SameFloat(out[0].f, 0.15));
  HistogramQuantileCall eager;
  Vector out2 = eager.Run(0.5, in);
  REQUIRE(out2.size() == 2);
  CHECK(out2[0].labels == out2[1].labels);
  CHECK(out2[0].labels == L({{"instance", "ins1"}, {"job", "job1"}}));
}

// histogram_fraction(lower, upper, v) with each argument at a position.
Vector HistogramFraction(double lower, double upper, const Vector& in, Annotations* annotations,
                         bool delayed_name_removal = false) {
  Expr arg_exprs[3];
  arg_exprs[0].pos = {19, 20};
  arg_exprs[1].pos = {22, 23};
  arg_exprs[2].pos = {28, 34};
  Call call;
  for (Expr& e : arg_exprs) call.args.emplace_back(&e);
  FunctionCallContext ctx;
  ctx.call = &call;
  ctx.t_ms = 1000;
  ctx.delayed_name_removal = delayed_name_removal;
  ctx.annotations = annotations;
  FunctionArg args[3];
  args[0].scalar = lower;
  args[1].scalar = upper;
  args[2].vector = &in;
  FunctionImpl impl = FindFunctionImpl("histogram_fraction");
  REQUIRE(impl != nullptr);
  Vector out;
  absl::Status st = impl(std::span<const FunctionArg>(args, 3), ctx, out);
  for (ExprPtr& a : call.args) (void)a.release();
  INFO(st.ToString());
  REQUIRE(st.ok());
  return out;
}

double Fraction(double lower, double upper, std::vector<std::pair<std::string, double>> buckets) {
  Vector in;
  for (auto& [le, v] : buckets) in.push_back(S({{"__name__", "x_bucket"}, {"le", le}}, v));
  Annotations annotations;
  Vector out = HistogramFraction(lower, upper, in, &annotations);
  REQUIRE(out.size() == 1);
  CHECK(out[0].labels.empty());
  CHECK(annotations.empty());
  return out[0].f;
}

TEST_CASE("histogram_fraction estimates the share of observations in a range", "[promql][functions][histogram]") {
  std::vector<std::pair<std::string, double>> two = {{"0", 0}, {"2", 10}, {"4", 20}, {"6", 30}, {"+Inf", 30}};
  CHECK(SameFloat(Fraction(0, 4, two), 0.6666666666666666));
  CHECK(SameFloat(Fraction(0, 6, two), 1));
  CHECK(SameFloat(Fraction(0, 3.5, two), 0.5833333333333334));
  std::vector<std::pair<std::string, double>> pos = {{"1", 1}, {"2", 3}, {"3", 6}, {"+Inf", 100}};
  CHECK(SameFloat(Fraction(0, 1.5, pos), 0.02));
  CHECK(SameFloat(Fraction(2, 5, pos), 0.03));
  CHECK(SameFloat(Fraction(400, kInf, pos), 0.94));
  CHECK(SameFloat(Fraction(2, 3.5, pos), 0.03));
  CHECK(SameFloat(Fraction(0.5, 2, pos), 0.025));
  CHECK(SameFloat(Fraction(1, 3, pos), 0.05));
  CHECK(Fraction(2, 2, pos) == 0);
  CHECK(Fraction(3, 2, pos) == 0);
  CHECK(Fraction(-10, -5, pos) == 0);
  CHECK(std::isnan(Fraction(kNaN, 1, pos)));
  CHECK(std::isnan(Fraction(0, kNaN, pos)));
  std::vector<std::pair<std::string, double>> neg = {{"-3", 10}, {"-2", 12}, {"-1", 15}, {"+Inf", 100}};
  CHECK(SameFloat(Fraction(-4, -2, neg), 0.02));
  CHECK(SameFloat(Fraction(-kInf, -1.5, neg), 0.135));
  CHECK(SameFloat(Fraction(-kInf, kInf, neg), 1));
  CHECK(Fraction(0, 1, neg) == 0);
  std::vector<std::pair<std::string, double>> cross = {{"-2", 5}, {"-1", 10}, {"0", 15}, {"1", 20}, {"+Inf", 100}};
  CHECK(SameFloat(Fraction(-1, 1, cross), 0.1));
  CHECK(Fraction(0, 1, {{"+Inf", 100}}) == 0);
  CHECK(std::isnan(Fraction(0, 5, {{"1", 0}, {"+Inf", 0}})));
  CHECK(std::isnan(Fraction(0, 5, {{"1", 3}, {"2", 5}})));  // no +Inf bucket
}

TEST_CASE("histogram_fraction groups by labels and warns about bad le values", "[promql][functions][histogram]") {
  auto b = [](std::string le, std::string start, double v) {
    return S({{"__name__", "testhistogram3_bucket"}, {"le", le}, {"start", start}}, v);
  };
  Vector three = {b("0", "positive", 0),     b("0.1", "positive", 50),  b(".2", "positive", 70),
                  b("1e0", "positive", 110), b("+Inf", "positive", 110), b("-.25", "negative", 0),
                  b("-.2", "negative", 10),  b("-0.1", "negative", 20), b("0.3", "negative", 20),
                  b("+Inf", "negative", 20)};
  Annotations annotations;
  Vector out = HistogramFraction(0, 0.2, three, &annotations, /*delayed_name_removal=*/true);
  REQUIRE(out.size() == 2);
  ExpectValue(out, {{"__name__", "testhistogram3_bucket"}, {"start", "positive"}}, 0.6363636363636364);
  ExpectValue(out, {{"__name__", "testhistogram3_bucket"}, {"start", "negative"}}, 0);
  CHECK(out[0].drop_name);

  Annotations bad;
  CHECK(HistogramFraction(-kInf, 1, {S({{"__name__", "series"}, {"le", "Hello World"}}, 2)}, &bad, true).empty());
  REQUIRE(bad.items().size() == 1);
  CHECK(bad.items()[0].message ==
        "bucket label \"le\" is missing or has a malformed value of \"Hello World\" for metric name \"series\"");
  CHECK(bad.items()[0].pos.start == 28);
}

Vector HistogramQuantiles(const Vector& in, std::string label, std::vector<double> qs, Annotations* annotations,
                          bool delayed_name_removal = false) {
  std::vector<Expr> arg_exprs(2 + qs.size());
  Call call;
  for (size_t i = 0; i < arg_exprs.size(); ++i) {
    arg_exprs[i].pos = {static_cast<int>(20 + 10 * i), static_cast<int>(25 + 10 * i)};
    call.args.emplace_back(&arg_exprs[i]);
  }
  FunctionCallContext ctx;
  ctx.call = &call;
  ctx.delayed_name_removal = delayed_name_removal;
  ctx.annotations = annotations;
  std::vector<FunctionArg> args(2 + qs.size());
  args[0].vector = &in;
  args[1].str = label;
  for (size_t i = 0; i < qs.size(); ++i) args[2 + i].scalar = qs[i];
  FunctionImpl impl = FindFunctionImpl("histogram_quantiles");
  REQUIRE(impl != nullptr);
  Vector out;
  absl::Status st = impl(args, ctx, out);
  for (ExprPtr& a : call.args) (void)a.release();
  INFO(st.ToString());
  REQUIRE(st.ok());
  return out;
}

TEST_CASE("histogram_quantiles labels each quantile in OpenMetrics float form", "[promql][functions][histogram]") {
  Annotations annotations;
  Vector out = HistogramQuantiles(TestHistogram(), "q", {0, 0.5, 1, 1.01, kNaN}, &annotations);
  REQUIRE(out.size() == 10);
  ExpectValue(out, {{"q", "0.0"}, {"start", "positive"}}, 0);
  ExpectValue(out, {{"q", "0.0"}, {"start", "negative"}}, -0.2);
  ExpectValue(out, {{"q", "0.5"}, {"start", "positive"}}, 0.15);
  ExpectValue(out, {{"q", "1.0"}, {"start", "negative"}}, 0.3);
  ExpectValue(out, {{"q", "1.01"}, {"start", "positive"}}, kInf);
  ExpectValue(out, {{"q", "NaN"}, {"start", "negative"}}, kNaN);
  // Quantile order first, then histograms.
  CHECK(out[0].labels.Get("q") == "0.0");
  CHECK(out[2].labels.Get("q") == "0.5");
  REQUIRE(annotations.items().size() == 2);
  CHECK(annotations.items()[0].message == "quantile value should be between 0 and 1, got 1.01");
  CHECK(annotations.items()[0].pos.start == 70);  // the argument holding 1.01
  CHECK(annotations.items()[1].message == "quantile value should be between 0 and 1, got NaN");

  // The quantile label replaces an input label of the same name.
  Annotations none;
  Vector clash = HistogramQuantiles(TestHistogram(), "start", {0.5}, &none, /*delayed_name_removal=*/true);
  REQUIRE(clash.size() == 2);
  CHECK(clash[0].labels == clash[1].labels);
  CHECK(clash[0].labels == L({{"__name__", "testhistogram_bucket"}, {"start", "0.5"}}));
  CHECK(clash[0].drop_name);
}

}  // namespace
}  // namespace strata::promql
