#include "conformance/promql_conformance.h"

#include <cmath>
#include <map>
#include <memory>
#include <optional>
#include <utility>

#include <fmt/format.h>
#include <re2/re2.h>

#include "common/base/status.h"
#include "common/model/sample.h"
#include "conformance/promql_test_script.h"
#include "select/promql/ast_printer.h"
#include "select/promql/engine.h"
#include "select/promql/function_signatures.h"
#include "select/promql/memory_querier.h"
#include "select/promql/parser.h"

namespace strata::promql::conformance {
namespace {

constexpr double kEpsilon = 0.000001;  // relative error allowed (upstream defaultEpsilon)
constexpr int64_t kMinute = 60'000;

// util/almost.Equal of Prometheus.
bool AlmostEqual(double a, double b) {
  if (IsStaleNaN(a) || IsStaleNaN(b)) return IsStaleNaN(a) && IsStaleNaN(b);
  if (std::isnan(a) && std::isnan(b)) return true;
  if (a == b) return true;
  constexpr double kMinNormal = 2.2250738585072014e-308;
  double abs_sum = std::fabs(a) + std::fabs(b);
  double diff = std::fabs(a - b);
  if (a == 0 || b == 0 || abs_sum < kMinNormal) return diff < kEpsilon * kMinNormal;
  return diff / std::min(abs_sum, std::numeric_limits<double>::max()) < kEpsilon;
}

// Go's %v of a float64 (strconv 'g' shortest), enough for diffs.
std::string F(double v) {
  if (IsStaleNaN(v)) return "StaleNaN";
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  return fmt::format("{}", v);
}

std::string L(const Labels& labels) { return labels.empty() ? "{}" : labels.ToString(); }

std::string Points(const std::vector<Sample>& samples) {
  std::string out = "[";
  for (size_t i = 0; i < samples.size(); ++i) {
    if (i > 0) out += " ";
    if (i == 8 && samples.size() > 10) {
      out += fmt::format("... ({} more)", samples.size() - 8);
      break;
    }
    out += fmt::format("{} @{}", F(samples[i].value), samples[i].timestamp_ms);
  }
  return out + "]";
}

std::string Join(const std::vector<std::string>& v) {
  std::string out = "[";
  for (size_t i = 0; i < v.size(); ++i) out += (i ? ", " : "") + fmt::format("\"{}\"", v[i]);
  return out + "]";
}

// The parser settings of the upstream test engine that Strata has.
ParseOptions TestParseOptions() {
  ParseOptions o;
  o.experimental_functions = true;
  o.duration_expressions = true;
  o.binop_fill_modifiers = true;
  o.extended_range_selectors = true;
  return o;
}

// Functions whose value depends on the evaluation time even when all their
// arguments are step-invariant (promql.AtModifierUnsafeFunctions plus the
// query-context functions): no `@` rewrite for expressions using them.
bool IsAtUnsafeFunction(std::string_view name) {
  static constexpr std::string_view kNames[] = {
      "time", "timestamp", "predict_linear", "days_in_month", "day_of_month", "day_of_week", "day_of_year",
      "hour", "minute",    "month",          "year",          "start",        "end",         "range",
      "step"};
  for (std::string_view n : kNames) {
    if (n == name) return true;
  }
  return false;
}

// Visits `e` and its descendants pre-order; `f` returns false to not descend.
template <typename Fn>
void Walk(Expr& e, Fn& f) {
  if (!f(e)) return;
  if (auto* n = e.As<SubqueryExpr>()) Walk(*n->expr, f);
  else if (auto* p = e.As<ParenExpr>()) Walk(*p->expr, f);
  else if (auto* u = e.As<UnaryExpr>()) Walk(*u->expr, f);
  else if (auto* b = e.As<BinaryExpr>()) {
    Walk(*b->lhs, f);
    Walk(*b->rhs, f);
  } else if (auto* a = e.As<AggregateExpr>()) {
    if (a->param) Walk(*a->param, f);
    Walk(*a->expr, f);
  } else if (auto* c = e.As<Call>()) {
    for (ExprPtr& arg : c->args) Walk(*arg, f);
  }
}

class ScriptRunner {
 public:
  explicit ScriptRunner(const RunOptions& options) : options_(options), engine_(TestEngineOptions()) {}

  std::vector<CaseResult> Run(const Script& script) {
    Clear();
    for (const Command& c : script.commands) {
      if (const auto* load = std::get_if<LoadCommand>(&c)) Load(*load);
      else if (std::holds_alternative<ClearCommand>(c)) Clear();
      else Eval(std::get<EvalCommand>(c));
    }
    return std::move(results_);
  }

 private:
  // Prometheus's NewTestEngine (promqltest/test.go) in Strata's options.
  static EngineOptions TestEngineOptions() {
    EngineOptions o;
    o.lookback_delta_ms = 5 * kMinute;
    o.max_samples = 10000;
    o.timeout = std::chrono::seconds(100);
    o.experimental_functions = true;
    o.duration_expressions = true;
    o.binop_fill_modifiers = true;
    o.extended_range_selectors = true;
    o.delayed_name_removal = true;
    o.default_subquery_step_ms = kMinute;
    return o;
  }

  void Clear() {
    querier_ = std::make_unique<MemoryQuerier>();
    native_series_.clear();
  }

  void Load(const LoadCommand& load) {
    for (const SeriesDescription& s : load.series) {
      std::vector<Sample> samples;
      // Start timestamps are offsets from each sample's time; `_` is unknown (0).
      std::vector<int64_t> starts;
      for (size_t i = 0; i < s.values.size(); ++i) {
        if (s.values[i].kind == SequenceValue::Kind::kFloat) {
          const int64_t t = static_cast<int64_t>(i) * load.interval_ms;
          samples.push_back({t, s.values[i].value});
          if (!s.start_offsets.empty()) {
            const bool known = i < s.start_offsets.size() && s.start_offsets[i].has_value();
            starts.push_back(known ? t + *s.start_offsets[i] : 0);
          }
        }
      }
      if (s.has_histogram) native_series_.push_back(s.labels);
      if (!samples.empty()) querier_->Add(s.labels, std::move(samples), std::move(starts));
      if (load.with_nhcb) AddNhcbSeries(s.labels);
    }
  }

  // load_with_nhcb also stores every classic histogram as a native
  // histogram with custom buckets under the base name; remember those.
  void AddNhcbSeries(const Labels& labels) {
    std::string_view name = labels.MetricName();
    for (std::string_view suffix : {"_bucket", "_count", "_sum"}) {
      if (!name.ends_with(suffix)) continue;
      std::vector<Label> base;
      for (const Label& l : labels) {
        if (l.name == "le") continue;
        if (l.name == kMetricNameLabel) base.push_back({l.name, std::string(name.substr(0, name.size() - suffix.size()))});
        else base.push_back(l);
      }
      native_series_.push_back(Labels::FromSorted(std::move(base)));
      return;
    }
  }

  // FORMAT.md §9: the case touches native-histogram data.
  bool TouchesNativeHistograms(const EvalCommand& cmd) const {
    if (cmd.has_histogram_literal) return true;
    static const RE2 native_only(R"(\bhistogram_(count|sum|avg|stddev|stdvar)\s*\()");
    if (RE2::PartialMatch(cmd.expr, native_only)) return true;
    if (native_series_.empty()) return false;
    auto parsed = ParseExpr(cmd.expr, TestParseOptions());
    if (!parsed.ok()) {
      // Fall back to the names written in the query.
      for (const Labels& n : native_series_) {
        std::string_view name = n.MetricName();
        size_t at = cmd.expr.find(name);
        while (!name.empty() && at != std::string::npos) {
          auto word = [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == ':'; };
          bool starts = at == 0 || !word(cmd.expr[at - 1]);
          bool ends = at + name.size() >= cmd.expr.size() || !word(cmd.expr[at + name.size()]);
          if (starts && ends) return true;
          at = cmd.expr.find(name, at + 1);
        }
      }
      return false;
    }
    bool touches = false;
    auto visit = [&](Expr& e) {
      const VectorSelector* vs = e.As<VectorSelector>();
      if (const auto* ms = e.As<MatrixSelector>()) vs = &ms->selector;
      if (vs != nullptr) {
        for (const Labels& n : native_series_) {
          bool all = true;
          for (const Matcher& m : vs->matchers) all = all && m.Matches(n.Get(m.name()));
          touches = touches || all;
        }
      }
      return true;
    };
    Walk(**parsed, visit);
    return touches;
  }

  void Eval(const EvalCommand& cmd) {
    if (cmd.line < options_.resume_line) return;  // reported by an earlier run
    CaseResult r;
    r.line = cmd.line;
    r.expr = cmd.expr;
    if (TouchesNativeHistograms(cmd)) {
      r.outcome = Outcome::kSkipped;
      r.reason = "native histogram";
      Emit(std::move(r));
      return;
    }
    if (options_.on_case_start) options_.on_case_start(cmd.line);
    std::string failure;
    if (cmd.is_range) {
      failure = RunRange(cmd);
    } else {
      failure = RunInstant(cmd, cmd.expr, cmd.eval_ms);
      if (failure.empty() && options_.extra_checks) {
        failure = ExtraChecks(cmd);
        r.extra_only = !failure.empty();
      }
    }
    r.outcome = failure.empty() ? Outcome::kPassed : Outcome::kFailed;
    r.reason = std::move(failure);
    r.range_mode_runs = std::exchange(range_mode_runs_, 0);
    r.at_rewrite_runs = std::exchange(at_rewrite_runs_, 0);
    Emit(std::move(r));
  }

  void Emit(CaseResult r) {
    if (options_.on_result) options_.on_result(r);
    results_.push_back(std::move(r));
  }

  std::string ExtraChecks(const EvalCommand& cmd) {
    if (cmd.IsFail()) return AtRewriteChecks(cmd);
    std::string f = RangeModeCheck(cmd, cmd.expr, cmd.eval_ms);
    if (!f.empty()) return f;
    return AtRewriteChecks(cmd);
  }

  // FORMAT.md §7.1: every selector and subquery without `@` gets `@ t`
  // (not inside subqueries); the result must not change at other times.
  std::string AtRewriteChecks(const EvalCommand& cmd) {
    const int64_t ts = cmd.eval_ms;
    std::optional<std::string> rewritten_or = AtModifierRewrite(cmd.expr, ts);
    if (!rewritten_or) return "";  // time-dependent, or the plain evaluation already failed to parse
    const std::string& rewritten = *rewritten_or;
    std::vector<int64_t> times = {-10 * ts, 0, ts / 5, ts, 10 * ts};
    if (ts == 0) times = {-1000, 0, 1000};
    for (int64_t t : times) {
      ++at_rewrite_runs_;
      std::string f = RunInstant(cmd, rewritten, t);
      if (f.empty() && !cmd.IsFail()) f = RangeModeCheck(cmd, rewritten, t);
      if (!f.empty()) return fmt::format("[@ rewrite: `{}` at {}ms] {}", rewritten, t, f);
    }
    return "";
  }

  std::string CheckExpectedFailure(const EvalCommand& cmd, const absl::Status& status) {
    std::string actual(ToStd(status.message()));
    if (cmd.expected_fail_message && *cmd.expected_fail_message != actual) {
      return fmt::format("wrong error: expected \"{}\", got: {}", *cmd.expected_fail_message, actual);
    }
    if (cmd.expected_fail_regexp) {
      RE2 re(*cmd.expected_fail_regexp);
      if (!RE2::PartialMatch(actual, re)) {
        return fmt::format("wrong error: expected a match of /{}/, got: {}", *cmd.expected_fail_regexp, actual);
      }
    }
    auto fails = cmd.Expects(ExpectKind::kFail);
    if (!fails.empty() && !fails[0]->Matches(actual)) {
      return fmt::format("wrong error: expected {}, got: {}", fails[0]->Describe(), actual);
    }
    return "";
  }

  std::string CheckAnnotationsOfType(const std::vector<const ExpectLine*>& expected,
                                     const std::vector<std::string>& actual, std::string_view kind) {
    if (expected.empty()) return "";
    if (actual.empty()) return fmt::format("annotations: expected {} annotations but none were found", kind);
    for (const ExpectLine* e : expected) {
      bool found = false;
      for (const std::string& a : actual) found = found || e->Matches(a);
      if (!found) {
        return fmt::format("annotations: expected {} annotation matching {} but found {}", kind, e->Describe(),
                           Join(actual));
      }
    }
    for (const std::string& a : actual) {
      bool found = false;
      for (const ExpectLine* e : expected) found = found || e->Matches(a);
      if (!found) return fmt::format("annotations: unexpected {} annotation \"{}\"", kind, a);
    }
    return "";
  }

  std::string CheckAnnotations(const EvalCommand& cmd, const QueryResult& r) {
    if (cmd.legacy_warn && r.warnings.empty()) return "annotations: expected warnings but got none";
    if (cmd.legacy_info && r.infos.empty()) return "annotations: expected info annotations but got none";
    std::string f = CheckAnnotationsOfType(cmd.Expects(ExpectKind::kWarn), r.warnings, "warn");
    if (f.empty()) f = CheckAnnotationsOfType(cmd.Expects(ExpectKind::kInfo), r.infos, "info");
    if (!f.empty()) return f;
    if (!cmd.Expects(ExpectKind::kNoWarn).empty() && !r.warnings.empty()) {
      return fmt::format("annotations: unexpected warnings {}", Join(r.warnings));
    }
    if (!cmd.Expects(ExpectKind::kNoInfo).empty() && !r.infos.empty()) {
      return fmt::format("annotations: unexpected infos {}", Join(r.infos));
    }
    return "";
  }

  // compareResult of the upstream runner. `result_type` is what the engine
  // said it returned.
  std::string CompareResult(const EvalCommand& cmd, const QueryResult& r) {
    std::map<Labels, const ExpectedSeries*> expected;
    for (const ExpectedSeries& e : cmd.expected) expected[e.labels] = &e;
    switch (r.type) {
      case ValueType::kMatrix: {
        if (cmd.IsOrdered()) return "result: expected an ordered result, but the query returned a matrix";
        if (cmd.expect_scalar) return fmt::format("result: expected scalar {}, got a matrix", F(cmd.expected_scalar.value));
        if (std::string f = CheckSorted(r); !f.empty()) return f;
        std::map<Labels, bool> seen;
        for (const SeriesResult& s : r.series) {
          auto it = expected.find(s.labels);
          if (it == expected.end()) {
            return fmt::format("result: unexpected series {} with {}", L(s.labels), Points(s.samples));
          }
          seen[s.labels] = true;
          std::vector<Sample> want;
          for (size_t i = 0; i < it->second->values.size(); ++i) {
            const SequenceValue& v = it->second->values[i];
            int64_t ts = cmd.start_ms + static_cast<int64_t>(i) * cmd.step_ms;
            if ((!cmd.is_range && !cmd.expect_range_vector) || ts > cmd.end_ms) {
              return fmt::format("result: expected {} points for {}, but the query time range cannot return this many",
                                 it->second->values.size(), L(s.labels));
            }
            if (v.kind == SequenceValue::Kind::kHistogram) return "result: expected a histogram point";
            if (v.kind == SequenceValue::Kind::kFloat) want.push_back({ts, v.value});
          }
          if (want.size() != s.samples.size()) {
            return fmt::format("result: {}: expected {} points {}, got {} points {}", L(s.labels), want.size(),
                               Points(want), s.samples.size(), Points(s.samples));
          }
          for (size_t i = 0; i < want.size(); ++i) {
            if (want[i].timestamp_ms != s.samples[i].timestamp_ms || !AlmostEqual(want[i].value, s.samples[i].value)) {
              return fmt::format("result: {}: expected {}, got {}", L(s.labels), Points(want), Points(s.samples));
            }
          }
        }
        for (const ExpectedSeries& e : cmd.expected) {
          if (!seen.count(e.labels)) return fmt::format("result: expected series {} not found", L(e.labels));
        }
        return "";
      }
      case ValueType::kVector: {
        if (cmd.expect_scalar) {
          return fmt::format("result: expected scalar {}, got a vector of {} series", F(cmd.expected_scalar.value),
                             r.series.size());
        }
        std::map<Labels, bool> seen;
        for (size_t pos = 0; pos < r.series.size(); ++pos) {
          const SeriesResult& s = r.series[pos];
          double got = s.samples.empty() ? std::nan("") : s.samples[0].value;
          auto it = expected.find(s.labels);
          if (it == expected.end()) return fmt::format("result: unexpected series {} with value {}", L(s.labels), F(got));
          const ExpectedSeries& e = *it->second;
          if (cmd.IsOrdered() && e.pos != static_cast<int>(pos) + 1) {
            return fmt::format("result: order: expected {} at position {}, got it at {}", L(s.labels), e.pos, pos + 1);
          }
          if (e.values.empty()) return fmt::format("result: expectation for {} has no value", L(e.labels));
          if (e.values[0].kind != SequenceValue::Kind::kFloat) {
            return fmt::format("result: expected a histogram or nothing for {}, got {}", L(s.labels), F(got));
          }
          if (s.samples.size() != 1) {
            return fmt::format("result: {}: a vector element must have 1 sample, got {}", L(s.labels), s.samples.size());
          }
          if (!AlmostEqual(e.values[0].value, got)) {
            return fmt::format("result: {}: expected {}, got {}", L(s.labels), F(e.values[0].value), F(got));
          }
          seen[s.labels] = true;
        }
        for (const ExpectedSeries& e : cmd.expected) {
          if (!seen.count(e.labels)) {
            return fmt::format("result: expected series {} = {} not found (got {} series)", L(e.labels),
                               e.values.empty() ? "?" : F(e.values[0].value), r.series.size());
          }
        }
        return "";
      }
      case ValueType::kScalar:
        if (!cmd.expect_scalar) {
          return fmt::format("result: expected a vector or matrix, got scalar {}", F(r.scalar.value));
        }
        if (!AlmostEqual(cmd.expected_scalar.value, r.scalar.value)) {
          return fmt::format("result: expected scalar {}, got {}", F(cmd.expected_scalar.value), F(r.scalar.value));
        }
        return "";
      case ValueType::kString: {
        std::string want = cmd.expected_string.value_or("");
        if (want != r.string_value) return fmt::format("result: expected string \"{}\", got \"{}\"", want, r.string_value);
        return "";
      }
    }
    return "result: unknown result type";
  }

  static std::string CheckSorted(const QueryResult& r) {
    for (size_t i = 0; i + 1 < r.series.size(); ++i) {
      if (r.series[i + 1].labels < r.series[i].labels) {
        return fmt::format("result: matrix not sorted by labels: {} comes after {}", L(r.series[i + 1].labels),
                           L(r.series[i].labels));
      }
    }
    return "";
  }

  // One instant evaluation of `expr` at `t` with every check of the case
  // except range mode. "" when it passes.
  std::string RunInstant(const EvalCommand& cmd, const std::string& expr, int64_t t) {
    auto prepared = engine_.NewInstantQuery(expr, t);
    if (!prepared.ok()) {
      if (cmd.IsFail()) return CheckExpectedFailure(cmd, prepared.status());
      return fmt::format("query rejected: {}", ToStd(prepared.status().message()));
    }
    auto result = engine_.Exec(*prepared, *querier_);
    if (!result.ok()) {
      if (cmd.IsFail()) return CheckExpectedFailure(cmd, result.status());
      return fmt::format("evaluation error: {}", ToStd(result.status().message()));
    }
    if (cmd.IsFail()) return "expected an error, got none";
    last_instant_type_ = result->type;
    if (std::string f = CheckAnnotations(cmd, *result); !f.empty()) return f;
    return CompareResult(cmd, *result);
  }

  // FORMAT.md §7.2: the same query as a range query t-1m..t+1m step 1m
  // must give the instant result at its middle step.
  std::string RangeModeCheck(const EvalCommand& cmd, const std::string& expr, int64_t t) {
    if (cmd.exclude_from_range_query) return "";
    static const RE2 query_context(R"((start|end|range|step)\(\))");
    if (RE2::PartialMatch(expr, query_context)) return "";
    ++range_mode_runs_;
    auto prepared = engine_.NewRangeQuery(expr, t - kMinute, t + kMinute, kMinute);
    if (!prepared.ok()) return fmt::format("[range mode] query rejected: {}", ToStd(prepared.status().message()));
    auto result = engine_.Exec(*prepared, *querier_);
    if (!result.ok()) return fmt::format("[range mode] evaluation error: {}", ToStd(result.status().message()));
    if (cmd.IsOrdered()) return "";
    if (result->type != ValueType::kMatrix) {
      return fmt::format("[range mode] a range query returned a {}, not a matrix", ValueTypeName(result->type));
    }
    if (std::string f = CheckSorted(*result); !f.empty()) return "[range mode] " + f;
    // What the instant query returned decides how the middle step is read.
    bool scalar = last_instant_type_ == ValueType::kScalar;
    QueryResult middle;
    middle.type = ValueType::kVector;
    for (const SeriesResult& s : result->series) {
      for (const Sample& p : s.samples) {
        if (p.timestamp_ms == t) {
          middle.series.push_back({s.labels, {p}});
          break;
        }
      }
    }
    if (scalar) {
      if (middle.series.empty()) return "[range mode] no point at the middle step for a scalar expression";
      middle.type = ValueType::kScalar;
      middle.scalar = middle.series[0].samples[0];
      middle.series.clear();
    }
    std::string f = CompareResult(cmd, middle);
    return f.empty() ? "" : "[range mode] " + f;
  }

  std::string RunRange(const EvalCommand& cmd) {
    auto prepared = engine_.NewRangeQuery(cmd.expr, cmd.start_ms, cmd.end_ms, cmd.step_ms);
    if (!prepared.ok()) {
      if (cmd.IsFail()) return CheckExpectedFailure(cmd, prepared.status());
      return fmt::format("query rejected: {}", ToStd(prepared.status().message()));
    }
    auto result = engine_.Exec(*prepared, *querier_);
    if (!result.ok()) {
      if (cmd.IsFail()) return CheckExpectedFailure(cmd, result.status());
      return fmt::format("evaluation error: {}", ToStd(result.status().message()));
    }
    if (cmd.IsFail()) return "expected an error, got none";
    if (std::string f = CheckAnnotations(cmd, *result); !f.empty()) return f;
    return CompareResult(cmd, *result);
  }

  const RunOptions& options_;
  Engine engine_;
  std::unique_ptr<MemoryQuerier> querier_;
  std::vector<Labels> native_series_;
  std::vector<CaseResult> results_;
  ValueType last_instant_type_ = ValueType::kVector;
  int range_mode_runs_ = 0;
  int at_rewrite_runs_ = 0;  // of the last RunInstant that succeeded
};

}  // namespace

std::string FileSkipReason(std::string_view file_name) {
  static const std::pair<std::string_view, std::string_view> kSkipped[] = {
      {"native_histograms.test", "native histograms"},
  };
  for (const auto& [name, reason] : kSkipped) {
    if (file_name == name) return std::string(reason);
  }
  return "";
}

std::vector<CaseResult> RunScript(std::string_view text, const RunOptions& options) {
  auto script = ParseScript(text);
  if (!script.ok()) {
    std::vector<CaseResult> out;
    for (const auto& [line, l] : ScanEvalLines(text)) {
      out.push_back({line, l, Outcome::kFailed, fmt::format("script parse error: {}", ToStd(script.status().message())),
                     false});
    }
    return out;
  }
  ScriptRunner runner(options);
  return runner.Run(*script);
}

std::optional<std::string> AtModifierRewrite(std::string_view expr, int64_t ts) {
  auto parsed = ParseExpr(expr, TestParseOptions());
  if (!parsed.ok()) return std::nullopt;
  bool unsafe = false;
  // Like upstream, `@ start()`/`@ end()` count as "no timestamp" and are
  // replaced: for an instant query both equal the evaluation time.
  auto visit = [&](Expr& e) {
    if (auto* vs = e.As<VectorSelector>()) {
      if (vs->at != AtModifier::kTimestamp) vs->at = AtModifier::kTimestamp, vs->at_ms = ts;
    } else if (auto* ms = e.As<MatrixSelector>()) {
      if (ms->selector.at != AtModifier::kTimestamp) ms->selector.at = AtModifier::kTimestamp, ms->selector.at_ms = ts;
    } else if (auto* sq = e.As<SubqueryExpr>()) {
      if (sq->at != AtModifier::kTimestamp) sq->at = AtModifier::kTimestamp, sq->at_ms = ts;
      return false;  // the subquery's own `@` pins what is inside
    } else if (auto* c = e.As<Call>()) {
      unsafe = unsafe || (c->func != nullptr && IsAtUnsafeFunction(c->func->name));
    }
    return true;
  };
  Walk(**parsed, visit);
  if (unsafe) return std::nullopt;
  return FormatExpr(**parsed);
}

std::string FailureCategory(std::string_view reason) {
  std::string r(reason);
  std::string prefix;
  // Extra-check failures are grouped under their own prefix.
  if (r.starts_with("[@ rewrite")) {
    size_t end = r.find("] ");
    prefix = "[@ rewrite] ";
    r = end == std::string::npos ? "" : r.substr(end + 2);
  }
  if (r.starts_with("[range mode] ")) {
    prefix += "[range mode] ";
    r = r.substr(13);
  }
  std::string category;
  if (r.starts_with("query rejected: ") || r.starts_with("evaluation error: ") || r.starts_with("wrong error: ") ||
      r.starts_with("script parse error: ")) {
    // Keep the engine's words, without positions and quoted specifics.
    static const RE2 pos(R"(\d+:\d+: )");
    static const RE2 quoted(R"("[^"]*")");
    RE2::GlobalReplace(&r, pos, "");
    RE2::GlobalReplace(&r, quoted, "\"…\"");
    category = r.substr(0, 90);
  } else if (r.starts_with("result: ") || r.starts_with("annotations: ")) {
    // "result: unexpected series", "result: order", ...
    size_t colon = r.find(": ");
    size_t end = r.find_first_of("{:(\"[", colon + 2);
    category = r.substr(0, std::min(end, r.size()));
    static const RE2 digits(R"(\d+)");
    RE2::GlobalReplace(&category, digits, "N");
    while (!category.empty() && category.back() == ' ') category.pop_back();
  } else {
    category = r.substr(0, 60);
  }
  return prefix + category;
}

}  // namespace strata::promql::conformance
