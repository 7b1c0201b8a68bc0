#include "select/promql/ast_printer.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include <catch2/catch.hpp>
#include <fmt/format.h>

#include "common/base/status.h"
#include "select/promql/function_signatures.h"
#include "select/promql/parser.h"

namespace strata::promql {
namespace {

std::string Format(std::string_view query) {
  ParseOptions options;
  options.experimental_functions = true;
  options.duration_expressions = true;
  options.binop_fill_modifiers = true;
  auto e = ParseExpr(query, options);
  INFO(query);
  REQUIRE(e.ok());
  return FormatExpr(**e);
}

// The matchers of a selector as a sorted list: the printer sorts them, so
// order is not part of a tree's identity.
std::vector<std::string> SortedMatchers(const VectorSelector& vs) {
  std::vector<std::string> out;
  for (const Matcher& m : vs.matchers) out.push_back(m.ToString());
  std::sort(out.begin(), out.end());
  return out;
}

// Duration expressions compare by their printed form.
bool SameDuration(const DurationExprPtr& a, const DurationExprPtr& b) {
  if (!a || !b) return !a && !b;
  return FormatDurationExpr(*a) == FormatDurationExpr(*b);
}

bool SameFill(const std::optional<double>& a, const std::optional<double>& b) {
  if (!a || !b) return !a && !b;
  return *a == *b || (std::isnan(*a) && std::isnan(*b));
}

bool SameSelector(const VectorSelector& a, const VectorSelector& b) {
  return a.name == b.name && SortedMatchers(a) == SortedMatchers(b) && a.offset_ms == b.offset_ms && a.at == b.at &&
         a.at_ms == b.at_ms && SameDuration(a.offset_expr, b.offset_expr) && a.anchored == b.anchored &&
         a.smoothed == b.smoothed;
}

// Structural equality ignoring positions (which differ between a query and
// its canonical form).
bool SameTree(const Expr& a, const Expr& b) {
  if (a.node.index() != b.node.index()) return false;
  if (const auto* x = a.As<NumberLiteral>()) {
    const double y = b.As<NumberLiteral>()->value;
    return (std::isnan(x->value) && std::isnan(y)) || x->value == y;
  }
  if (const auto* x = a.As<StringLiteral>()) return x->value == b.As<StringLiteral>()->value;
  if (const auto* x = a.As<VectorSelector>()) return SameSelector(*x, *b.As<VectorSelector>());
  if (const auto* x = a.As<MatrixSelector>()) {
    const auto* y = b.As<MatrixSelector>();
    return x->range_ms == y->range_ms && SameDuration(x->range_expr, y->range_expr) &&
           SameSelector(x->selector, y->selector);
  }
  if (const auto* x = a.As<SubqueryExpr>()) {
    const auto* y = b.As<SubqueryExpr>();
    return x->range_ms == y->range_ms && x->step_ms == y->step_ms && x->offset_ms == y->offset_ms && x->at == y->at &&
           x->at_ms == y->at_ms && SameDuration(x->range_expr, y->range_expr) &&
           SameDuration(x->step_expr, y->step_expr) && SameDuration(x->offset_expr, y->offset_expr) &&
           SameTree(*x->expr, *y->expr);
  }
  if (const auto* x = a.As<ParenExpr>()) return SameTree(*x->expr, *b.As<ParenExpr>()->expr);
  if (const auto* x = a.As<UnaryExpr>()) {
    const auto* y = b.As<UnaryExpr>();
    return x->op == y->op && SameTree(*x->expr, *y->expr);
  }
  if (const auto* x = a.As<BinaryExpr>()) {
    const auto* y = b.As<BinaryExpr>();
    if (x->op != y->op || x->return_bool != y->return_bool) return false;
    if (x->matching.has_value() != y->matching.has_value()) return false;
    if (x->matching) {
      const VectorMatching& m = *x->matching;
      const VectorMatching& n = *y->matching;
      if (m.card != n.card || m.on != n.on || m.matching_labels != n.matching_labels || m.include != n.include ||
          !SameFill(m.fill_lhs, n.fill_lhs) || !SameFill(m.fill_rhs, n.fill_rhs)) {
        return false;
      }
    }
    return SameTree(*x->lhs, *y->lhs) && SameTree(*x->rhs, *y->rhs);
  }
  if (const auto* x = a.As<AggregateExpr>()) {
    const auto* y = b.As<AggregateExpr>();
    if (x->op != y->op || x->without != y->without || x->grouping != y->grouping) return false;
    if ((x->param == nullptr) != (y->param == nullptr)) return false;
    if (x->param && !SameTree(*x->param, *y->param)) return false;
    return SameTree(*x->expr, *y->expr);
  }
  const auto* x = a.As<Call>();
  const auto* y = b.As<Call>();
  if (x->func != y->func || x->args.size() != y->args.size()) return false;
  for (size_t i = 0; i < x->args.size(); ++i) {
    if (!SameTree(*x->args[i], *y->args[i])) return false;
  }
  return true;
}

TEST_CASE("printer reproduces Prometheus's canonical form of aggregations and calls", "[promql][parser]") {
  CHECK(Format("sum by(job)(rate(foo[5m]))") == "sum by (job) (rate(foo[5m]))");
  CHECK(Format("sum(rate(foo[5m])) by (job, le)") == "sum by (job, le) (rate(foo[5m]))");
  CHECK(Format("avg without(a) (foo)") == "avg without (a) (foo)");
  CHECK(Format("sum without() (foo)") == "sum without () (foo)");
  CHECK(Format("sum by() (foo)") == "sum(foo)");
  CHECK(Format("topk(5, foo) by (a)") == "topk by (a) (5, foo)");
  CHECK(Format("count_values('v', foo)") == "count_values(\"v\", foo)");
  CHECK(Format("sum by (\"a.b\") (foo)") == "sum by (\"a.b\") (foo)");
  CHECK(Format("label_replace(up, \"a\", \"$1\", \"b\", \"(.*)\")") ==
        "label_replace(up, \"a\", \"$1\", \"b\", \"(.*)\")");
  CHECK(Format("time()") == "time()");
  CHECK(Format("SUM(foo)") == "sum(foo)");
}

TEST_CASE("printer reproduces binary operators with bool and vector matching", "[promql][parser]") {
  CHECK(Format("a+on(x)group_left(y)b") == "a + on (x) group_left (y) b");
  CHECK(Format("a * ignoring(x) group_right b") == "a * ignoring (x) group_right () b");
  CHECK(Format("a > bool on() b") == "a > bool on () b");
  CHECK(Format("a and on(x) b") == "a and on (x) b");
  CHECK(Format("a or b") == "a or b");
  CHECK(Format("a - ignoring() b") == "a - b");
  CHECK(Format("1 - -1") == "1 - -1");
  CHECK(Format("-(foo)") == "-(foo)");
  CHECK(Format("- foo ^ 2") == "-foo ^ 2");
  CHECK(Format("2 ^ 3 ^ 2") == "2 ^ 3 ^ 2");
  CHECK(Format("(1 + 2) * 3") == "(1 + 2) * 3");
  CHECK(Format("a atan2 b") == "a atan2 b");
}

TEST_CASE("printer reproduces selectors, modifiers, durations and subqueries", "[promql][parser]") {
  CHECK(Format("foo offset 5m @ 10") == "foo @ 10.000 offset 5m");
  CHECK(Format("foo{b=\"2\",a=~\"1\"}") == "foo{a=~\"1\",b=\"2\"}");
  CHECK(Format("{__name__=\"foo\"}") == "{__name__=\"foo\"}");
  CHECK(Format("{\"a.b\", \"c.d\"!=\"x\"}") == "{\"c.d\"!=\"x\",__name__=\"a.b\"}");
  CHECK(Format("foo[90m]") == "foo[1h30m]");
  CHECK(Format("foo[7d]") == "foo[1w]");
  CHECK(Format("foo[8d]") == "foo[8d]");
  CHECK(Format("foo[365d]") == "foo[1y]");
  CHECK(Format("foo[1500ms]") == "foo[1s500ms]");
  CHECK(Format("foo[90]") == "foo[1m30s]");
  CHECK(Format("foo[5m] offset -1m @ end()") == "foo[5m] @ end() offset -1m");
  CHECK(Format("foo @ start()") == "foo @ start()");
  CHECK(Format("foo @ -1.5") == "foo @ -1.500");
  CHECK(Format("rate(foo[5m])[30m:1m] offset 1m @ end()") == "rate(foo[5m])[30m:1m] @ end() offset 1m");
  CHECK(Format("foo[5m:]") == "foo[5m:]");
  CHECK(Format("(a + b)[1h:5m]") == "(a + b)[1h:5m]");
}

TEST_CASE("printer formats numbers and strings the way Go does", "[promql][parser]") {
  CHECK(Format("1e20") == "100000000000000000000");
  CHECK(Format("0x1F") == "31");
  CHECK(Format(".5") == "0.5");
  CHECK(Format("1.5e-7") == "0.00000015");
  CHECK(Format("Inf") == "+Inf");
  CHECK(Format("-inf") == "-Inf");
  CHECK(Format("nan") == "NaN");
  CHECK(Format("1m") == "60");
  CHECK(Format("\"a\\nb\"") == "\"a\\nb\"");
  CHECK(Format("'x\"y'") == "\"x\\\"y\"");
  CHECK(Format("`a\\b`") == "\"a\\\\b\"");
  CHECK(Format("\"\\x01\\u00e9\"") == "\"\\x01\xc3\xa9\"");
  CHECK(GoQuote("\xff") == "\"\\xff\"");
  CHECK(FormatDuration(0) == "0s");
  CHECK(FormatDuration(-90000) == "-1m30s");
  CHECK(FormatNumber(-0.25) == "-0.25");
}

// --- Round trip over Prometheus's own test scripts ---------------------------

// Set by tests/CMakeLists.txt: ../shared/promql-testdata beside the
// checkout. (__FILE__ is relative under ccache's CCACHE_BASEDIR.)
std::filesystem::path TestdataDir() { return STRATA_PROMQL_TESTDATA_DIR; }

// Files that FORMAT.md section 9 lets a runner skip whole.
bool SkippableFile(const std::string& name) {
  static const char* const kSkip[] = {"native_histograms.test", "info.test", "limit.test", "start_timestamps.test",
                                      "type_and_unit.test", "name_label_dropping.test"};
  return std::find(std::begin(kSkip), std::end(kSkip), name) != std::end(kSkip);
}

struct EvalCase {
  std::string file;
  int line = 0;
  std::string query;
  bool expect_fail = false;
};

std::string Trim(const std::string& s) {
  const size_t b = s.find_first_not_of(" \t\r");
  if (b == std::string::npos) return "";
  const size_t e = s.find_last_not_of(" \t\r");
  return s.substr(b, e - b + 1);
}

// The query of an `eval` line: everything after `instant at <t>` or
// `range from <a> to <b> step <s>`.
std::string QueryOf(const std::string& line) {
  std::istringstream in(line);
  std::string word;
  in >> word;  // eval, eval_fail, ...
  in >> word;
  int skip = word == "instant" ? 2 : word == "range" ? 6 : 0;
  for (int i = 0; i < skip; ++i) in >> word;
  std::string rest;
  std::getline(in, rest);
  return Trim(rest);
}

std::vector<EvalCase> LoadEvals(const std::filesystem::path& dir, int* skipped_files) {
  std::vector<EvalCase> out;
  std::vector<std::filesystem::path> files;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    if (entry.path().extension() == ".test") files.push_back(entry.path());
  }
  std::sort(files.begin(), files.end());
  for (const auto& path : files) {
    const std::string name = path.filename().string();
    if (SkippableFile(name)) {
      ++*skipped_files;
      continue;
    }
    std::ifstream in(path);
    std::string raw;
    int line_no = 0;
    EvalCase* current = nullptr;
    while (std::getline(in, raw)) {
      ++line_no;
      const std::string line = Trim(raw);
      if (line.empty() || line[0] == '#') {
        current = nullptr;
        continue;
      }
      if (line.rfind("eval", 0) == 0) {
        EvalCase c;
        c.file = name;
        c.line = line_no;
        c.query = QueryOf(line);
        c.expect_fail = line.rfind("eval_fail", 0) == 0;
        out.push_back(std::move(c));
        current = &out.back();
      } else if (current != nullptr && line.rfind("expect fail", 0) == 0) {
        current->expect_fail = true;
      } else if (line.rfind("load", 0) == 0 || line == "clear") {
        current = nullptr;
      }
    }
  }
  return out;
}

TEST_CASE("every eval query of the PromQL test scripts parses and round-trips through the printer",
          "[promql][parser]") {
  const std::filesystem::path dir = TestdataDir();
  INFO("testdata: " << dir.string());
  REQUIRE(std::filesystem::is_directory(dir));
  int skipped_files = 0;
  const std::vector<EvalCase> evals = LoadEvals(dir, &skipped_files);
  REQUIRE(evals.size() > 1000);
  ParseOptions options;
  options.experimental_functions = true;  // as Prometheus's test engine
  options.duration_expressions = true;
  options.binop_fill_modifiers = true;
  options.extended_range_selectors = true;
  int parsed = 0;
  int expected_failures = 0;
  std::vector<std::string> unparsed;
  for (const EvalCase& c : evals) {
    auto expr = ParseExpr(c.query, options);
    if (!expr.ok()) {
      if (c.expect_fail) {
        ++expected_failures;
      } else {
        unparsed.push_back(fmt::format("{}:{}: {} -> {}", c.file, c.line, c.query, ToStd(expr.status().message())));
      }
      continue;
    }
    ++parsed;
    const std::string printed = FormatExpr(**expr);
    auto again = ParseExpr(printed, options);
    INFO(c.file << ":" << c.line << ": " << c.query << "\nprinted: " << printed);
    REQUIRE(again.ok());
    CHECK(SameTree(**expr, **again));
    CHECK(FormatExpr(**again) == printed);
  }
  std::string report;
  for (const std::string& u : unparsed) report += u + "\n";
  INFO("skipped files: " << skipped_files << ", evals: " << evals.size() << ", parsed: " << parsed
                         << ", failed as expected (expect fail): " << expected_failures << "\nunparsed:\n"
                         << report);
  CHECK(unparsed.empty());
  CHECK(parsed + expected_failures == static_cast<int>(evals.size()));
  WARN("PromQL round trip: " << parsed << " of " << evals.size() << " eval queries parsed in "
                             << "non-skippable files; " << expected_failures << " expected failures");
}

}  // namespace
}  // namespace strata::promql
