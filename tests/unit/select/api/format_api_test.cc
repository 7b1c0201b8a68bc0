#include "select/api/format_api.h"

#include <string>

#include <catch2/catch.hpp>
#include <fmt/format.h>

#include "select/promql/ast_printer.h"

namespace strata::select {
namespace {

HttpRequest Get(std::string query) {
  HttpRequest r;
  r.method = "GET";
  r.query = std::move(query);
  return r;
}

HttpRequest Post(std::string body) {
  HttpRequest r;
  r.method = "POST";
  r.body = std::move(body);
  r.headers.emplace_back("content-type", "application/x-www-form-urlencoded");
  return r;
}

// The translateAST JSON of a whole query.
std::string Ast(std::string_view query) {
  auto expr = promql::ParseExpr(query);
  REQUIRE(expr.ok());
  std::string out;
  AppendAstJson(**expr, &out);
  return out;
}

// The vectorSelector object of a plain metric name.
std::string Selector(std::string_view name) {
  return fmt::format(
      R"({{"anchored":false,"matchers":[{{"name":"__name__","type":"=","value":"{}"}}],"name":"{}","offset":0,)"
      R"("smoothed":false,"startOrEnd":null,"timestamp":null,"type":"vectorSelector"}})",
      name, name);
}

TEST_CASE("format_query answers the canonical text of the query", "[select][api][format][unit]") {
  ApiOutcome out = FormatQuery(Get("query=sum(rate(x%5B5m%5D))%20by%20(job)"), {});
  CHECK(out.response.status == 200);
  CHECK(out.response.body == R"j({"status":"success","data":"sum by (job) (rate(x[5m]))"})j");
  out = FormatQuery(Post("query=foo%7Bb%3D%22x%22%2Ca%3D~%22y%22%7D+offset+1h30m"), {});
  CHECK(out.response.body == R"({"status":"success","data":"foo{a=~\"y\",b=\"x\"} offset 1h30m"})");
}

// Prometheus's expr.Pretty(0) of a query (promql/parser/prettier.go).
std::string Pretty(std::string_view query) {
  auto expr = promql::ParseExpr(query);
  REQUIRE(expr.ok());
  // The cases below are meant to exceed Prometheus's 100 characters a line.
  CHECK(promql::FormatExpr(**expr).size() > 100);
  return PrettyFormatExpr(**expr);
}

TEST_CASE("format_query splits queries longer than 100 characters like Prometheus",
          "[select][api][format][unit]") {
  CHECK(Pretty(R"(sum by (job) (rate(http_requests_total{job="apiserver"}[5m])) / on (job) group_left () )"
               R"(sum by (job) (rate(http_requests_total[5m])))") ==
        "  sum by (job) (rate(http_requests_total{job=\"apiserver\"}[5m]))\n"
        "/ on (job) group_left ()\n"
        "  sum by (job) (rate(http_requests_total[5m]))");
  CHECK(Pretty(R"q(label_replace(up{job="a-very-long-job-name-for-testing"}, "destination_label", "$1", )q"
               R"q("source_label_name", "(.*)"))q") ==
        "label_replace(\n"
        "  up{job=\"a-very-long-job-name-for-testing\"},\n"
        "  \"destination_label\",\n"
        "  \"$1\",\n"
        "  \"source_label_name\",\n"
        "  \"(.*)\"\n"
        ")");
  // Aggregations keep their clause and put the parameter on its own line.
  CHECK(Pretty(R"(topk by (instance) (5, max_over_time(rate(node_network_receive_bytes_total{device!="lo"}[5m])[1h:1m])))") ==
        "topk by (instance) (\n"
        "  5,\n"
        "  max_over_time(rate(node_network_receive_bytes_total{device!=\"lo\"}[5m])[1h:1m])\n"
        ")");
  ApiOutcome out = FormatQuery(Get("query=-(aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa%20%2B%20"
                                   "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb)"),
                               {});
  CHECK(out.response.body ==
        R"j({"status":"success","data":"-(\n    aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\n  +\n    bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb\n)"})j");
}

TEST_CASE("format_query and parse_query report parse errors as a bad query parameter",
          "[select][api][format][unit]") {
  for (const ApiOutcome& out : {FormatQuery(Get("query=sum(x"), {}), ParseQuery(Get("query=sum(x"), {})}) {
    CHECK(out.response.status == 400);
    CHECK(out.result == "bad_data");
    CHECK(out.response.body.starts_with(
        R"({"status":"error","errorType":"bad_data","error":"invalid parameter \"query\": 1:)"));
  }
  ApiOutcome empty = ParseQuery(Get(""), {});
  CHECK(empty.response.status == 400);
}

TEST_CASE("parse_query answers Prometheus's JSON syntax tree", "[select][api][format][unit]") {
  ApiOutcome out = ParseQuery(Get("query=1"), {});
  CHECK(out.response.status == 200);
  CHECK(out.response.body == R"({"status":"success","data":{"type":"numberLiteral","val":"1"}})");
}

TEST_CASE("parse_query translates literals, selectors and modifiers", "[select][api][format][unit]") {
  CHECK(Ast("-2.5") == R"({"type":"numberLiteral","val":"-2.5"})");
  CHECK(Ast(R"("a\"b")") == R"({"type":"stringLiteral","val":"a\"b"})");
  // Prometheus keeps the name matcher after the braces' matchers.
  CHECK(Ast(R"(foo{a="b",c!~"d.*"} offset 5m)") ==
        R"({"anchored":false,"matchers":[{"name":"a","type":"=","value":"b"},{"name":"c","type":"!~","value":"d.*"},)"
        R"({"name":"__name__","type":"=","value":"foo"}],"name":"foo","offset":300000,"smoothed":false,)"
        R"("startOrEnd":null,"timestamp":null,"type":"vectorSelector"})");
  CHECK(Ast(R"({__name__="up"} @ end())") ==
        R"({"anchored":false,"matchers":[{"name":"__name__","type":"=","value":"up"}],"name":"","offset":0,)"
        R"("smoothed":false,"startOrEnd":"end","timestamp":null,"type":"vectorSelector"})");
  CHECK(Ast("rate(x[5m] @ 10 offset -1m)") ==
        R"({"args":[{"anchored":false,"matchers":[{"name":"__name__","type":"=","value":"x"}],"name":"x",)"
        R"("offset":-60000,"range":300000,"smoothed":false,"startOrEnd":null,"timestamp":10000,"type":"matrixSelector"}],)"
        R"("func":{"argTypes":["matrix"],"name":"rate","returnType":"vector","variadic":0},"type":"call"})");
  CHECK(Ast("x[1h:5m] @ start()") == R"({"alignEvalTime":false,"expr":)" + Selector("x") +
                                          R"(,"offset":0,"range":3600000,"startOrEnd":"start","step":300000,)"
                                          R"("timestamp":null,"type":"subquery"})");
  CHECK(Ast("x[1h:] offset 1m") == R"({"alignEvalTime":false,"expr":)" + Selector("x") +
                                        R"(,"offset":60000,"range":3600000,"startOrEnd":null,"step":0,)"
                                        R"("timestamp":null,"type":"subquery"})");
}

TEST_CASE("parse_query translates operators, aggregations and calls", "[select][api][format][unit]") {
  CHECK(Ast("sum without (a) (x) + on (b) group_left (c) y") ==
        R"({"bool":false,"lhs":{"expr":)" + Selector("x") +
            R"(,"grouping":["a"],"op":"sum","param":null,"type":"aggregation","without":true},)"
            R"("matching":{"card":"many-to-one","fillValues":{"lhs":null,"rhs":null},"include":["c"],"labels":["b"],)"
            R"("on":true},"op":"+","rhs":)" +
            Selector("y") + R"(,"type":"binaryExpr"})");
  // Vector matching exists only between two instant vectors; Go's JSON
  // escapes '<' and '>' (HTML-safe).
  CHECK(Ast("1 < bool 2") ==
        R"({"bool":true,"lhs":{"type":"numberLiteral","val":"1"},"matching":null,"op":"\u003c",)"
        R"("rhs":{"type":"numberLiteral","val":"2"},"type":"binaryExpr"})");
  CHECK(Ast("a and b") == R"({"bool":false,"lhs":)" + Selector("a") +
                              R"(,"matching":{"card":"many-to-many","fillValues":{"lhs":null,"rhs":null},)"
                              R"("include":[],"labels":[],"on":false},"op":"and","rhs":)" +
                              Selector("b") + R"(,"type":"binaryExpr"})");
  CHECK(Ast("topk(3, x)") == R"({"expr":)" + Selector("x") +
                                 R"(,"grouping":[],"op":"topk","param":{"type":"numberLiteral","val":"3"},)"
                                 R"("type":"aggregation","without":false})");
  CHECK(Ast("-(x)") == R"({"expr":{"expr":)" + Selector("x") + R"(,"type":"parenExpr"},"op":"-","type":"unaryExpr"})");
  CHECK(Ast("time()") ==
        R"({"args":[],"func":{"argTypes":[],"name":"time","returnType":"scalar","variadic":0},"type":"call"})");
  CHECK(Ast(R"(label_join(x, "d", ",", "a", "b"))") ==
        R"({"args":[)" + Selector("x") +
            R"(,{"type":"stringLiteral","val":"d"},{"type":"stringLiteral","val":","},{"type":"stringLiteral","val":"a"},)"
            R"({"type":"stringLiteral","val":"b"}],"func":{"argTypes":["vector","string","string","string"],)"
            R"("name":"label_join","returnType":"vector","variadic":-1},"type":"call"})");
}

}  // namespace
}  // namespace strata::select
