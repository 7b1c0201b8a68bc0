#include <catch2/catch.hpp>
#include <initializer_list>
#include <string>
#include <utility>
#include <vector>

#include "select/promql/functions.h"

namespace strata::promql {
namespace {

Labels L(std::initializer_list<std::pair<const char*, const char*>> kv) {
  std::vector<Label> v;
  for (const auto& [n, val] : kv) v.push_back(Label{n, val});
  return Labels::FromUnsorted(std::move(v));
}

VectorSample S(Labels l, double f, bool drop_name = false) {
  VectorSample s;
  s.labels = std::move(l);
  s.f = f;
  s.drop_name = drop_name;
  return s;
}

FunctionArg VecArg(const Vector& v) {
  FunctionArg a;
  a.vector = &v;
  return a;
}
FunctionArg StrArg(std::string_view s) {
  FunctionArg a;
  a.str = s;
  return a;
}

absl::Status Run(std::string_view name, std::vector<FunctionArg> args, Vector& out) {
  FunctionImpl f = FindFunctionImpl(name);
  REQUIRE(f != nullptr);
  FunctionCallContext ctx;
  ctx.t_ms = 1000;
  return f(args, ctx, out);
}

Vector Replace(const Vector& in, std::string_view dst, std::string_view repl, std::string_view src,
               std::string_view regex) {
  Vector out;
  REQUIRE(Run("label_replace", {VecArg(in), StrArg(dst), StrArg(repl), StrArg(src), StrArg(regex)}, out).ok());
  REQUIRE(out.size() == in.size());
  return out;
}

Vector TestMetric() {
  return {S(L({{"__name__", "testmetric"}, {"src", "source-value-10"}, {"dst", "original-destination-value"}}), 0),
          S(L({{"__name__", "testmetric"}, {"src", "source-value-20"}, {"dst", "original-destination-value"}}), 1)};
}

TEST_CASE("label_replace does a full-string match and expands groups", "[promql][functions]") {
  Vector in = TestMetric();
  Vector out = Replace(in, "dst", "destination-value-$1", "src", "source-value-(.*)");
  CHECK(out[0].labels.Get("dst") == "destination-value-10");
  CHECK(out[1].labels.Get("dst") == "destination-value-20");
  CHECK(out[0].labels.MetricName() == "testmetric");
  CHECK(out[1].f == 1);
  CHECK(out[0].t == 1000);

  // No sub-string match.
  out = Replace(in, "dst", "destination-value-$1", "src", "value-(.*)");
  CHECK(out[0].labels == in[0].labels);

  out = Replace(in, "dst", "$1-value-$2", "src", "(.*)-value-(.*)");
  CHECK(out[0].labels.Get("dst") == "source-value-10");

  // Missing source label: no match for a non-empty pattern, a match for (.*).
  out = Replace(in, "dst", "value-$1", "nonexistent-src", "source-value-(.*)");
  CHECK(out[0].labels.Get("dst") == "original-destination-value");
  out = Replace(in, "dst", "value-$1", "nonexistent-src", "(.*)");
  CHECK(out[0].labels.Get("dst") == "value-");

  // An empty result deletes the label.
  out = Replace(in, "dst", "", "dst", ".*");
  CHECK(out[0].labels == L({{"__name__", "testmetric"}, {"src", "source-value-10"}}));

  // ${1}, named groups, $$ and a dangling $.
  out = Replace(in, "dst", "${1}x$$ $num ${num}$", "src", "source-value-(?P<num>[0-9]+)");
  CHECK(out[0].labels.Get("dst") == "10x$ 10 10$");
  // `$1x` names group "1x", which does not exist.
  out = Replace(in, "dst", "$1x", "src", "source-value-(.*)");
  CHECK(out[0].labels.Get("dst").empty());
  CHECK_FALSE(out[0].labels.Has("dst"));
}

TEST_CASE("label_replace lets . match a newline", "[promql][functions]") {
  Vector in = {S(L({{"src", "a\nb"}}), 1)};
  Vector out = Replace(in, "dst", "$1", "src", "a.(b)");
  CHECK(out[0].labels.Get("dst") == "b");
}

TEST_CASE("label_replace rejects bad regexes and destination names", "[promql][functions]") {
  Vector in = TestMetric();
  Vector out;
  absl::Status st = Run("label_replace", {VecArg(in), StrArg("dst"), StrArg("value-$1"), StrArg("src"), StrArg("(.*")}, out);
  REQUIRE(absl::IsInvalidArgument(st));
  CHECK(std::string(st.message()) == "invalid regular expression in label_replace(): (.*");
  // Checked even when there is nothing to relabel.
  Vector empty;
  st = Run("label_replace", {VecArg(empty), StrArg("\xff"), StrArg(""), StrArg("src"), StrArg("(.*)")}, out);
  REQUIRE(absl::IsInvalidArgument(st));
  CHECK(std::string(st.message()) == "invalid destination label name in label_replace(): \xff");
  st = Run("label_replace", {VecArg(in), StrArg(""), StrArg(""), StrArg("src"), StrArg("(.*)")}, out);
  CHECK(absl::IsInvalidArgument(st));
}

TEST_CASE("label functions keep the name unless they write __name__", "[promql][functions]") {
  Vector in = {S(L({{"__name__", "metric_total"}, {"env", "1"}}), 0.2, /*drop_name=*/true)};
  Vector out = Replace(in, "my_name", "rate_$1", "__name__", "(.+)");
  CHECK(out[0].labels.Get("my_name") == "rate_metric_total");
  CHECK(out[0].drop_name);
  out = Replace(in, "__name__", "rate_$1", "__name__", "(.+)");
  CHECK(out[0].labels.MetricName() == "rate_metric_total");
  CHECK_FALSE(out[0].drop_name);

  Vector joined;
  REQUIRE(Run("label_join", {VecArg(in), StrArg("__name__"), StrArg("_"), StrArg("__name__"), StrArg("env")}, joined).ok());
  REQUIRE(joined.size() == 1);
  CHECK(joined[0].labels.MetricName() == "metric_total_1");
  CHECK_FALSE(joined[0].drop_name);
  joined.clear();
  REQUIRE(Run("label_join", {VecArg(in), StrArg("my_name"), StrArg("_"), StrArg("__name__")}, joined).ok());
  CHECK(joined[0].labels.Get("my_name") == "metric_total");
  CHECK(joined[0].drop_name);
}

TEST_CASE("label_join joins sources in order and treats missing ones as empty", "[promql][functions]") {
  Vector in = {S(L({{"__name__", "testmetric"}, {"src", "a"}, {"src1", "b"}, {"src2", "c"}, {"dst", "orig"}}), 0)};
  Vector out;
  REQUIRE(Run("label_join", {VecArg(in), StrArg("dst"), StrArg("-"), StrArg("src"), StrArg("src1"), StrArg("src2")}, out).ok());
  CHECK(out[0].labels.Get("dst") == "a-b-c");
  out.clear();
  REQUIRE(Run("label_join", {VecArg(in), StrArg("dst"), StrArg("-"), StrArg("src"), StrArg("src3"), StrArg("src1")}, out).ok());
  CHECK(out[0].labels.Get("dst") == "a--b");
  // Empty result and no sources delete the destination.
  out.clear();
  REQUIRE(Run("label_join", {VecArg(in), StrArg("dst"), StrArg(", ")}, out).ok());
  CHECK_FALSE(out[0].labels.Has("dst"));
  CHECK(out[0].labels.Get("src2") == "c");
  // Creates the destination when absent.
  out.clear();
  REQUIRE(Run("label_join", {VecArg(in), StrArg("new"), StrArg(", "), StrArg("src"), StrArg("src1")}, out).ok());
  CHECK(out[0].labels.Get("new") == "a, b");

  absl::Status st = Run("label_join", {VecArg(in), StrArg("dst"), StrArg("-"), StrArg("\xff")}, out);
  REQUIRE(absl::IsInvalidArgument(st));
  CHECK(std::string(st.message()) == "invalid source label name in label_join(): \xff");
  st = Run("label_join", {VecArg(in), StrArg(""), StrArg("-"), StrArg("src")}, out);
  REQUIRE(absl::IsInvalidArgument(st));
  CHECK(std::string(st.message()) == "invalid destination label name in label_join(): ");
}

}  // namespace
}  // namespace strata::promql
