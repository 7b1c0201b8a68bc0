#include "select/promql/engine.h"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "common/base/status.h"
#include "select/promql/engine_eval.h"
#include "select/promql/function_signatures.h"
#include "select/promql/parser.h"
#include "select/promql/value.h"

namespace strata::promql {
namespace {

// True when the instant query's outermost operation orders its result
// (Prometheus returns the vector in evaluation order; these make that
// order meaningful, so the engine must not re-sort it).
bool KeepsOrder(const Expr& expr) {
  const Expr* e = &expr;
  while (const auto* p = e->As<ParenExpr>()) e = p->expr.get();
  if (const auto* c = e->As<Call>()) {
    const std::string_view name = c->func != nullptr ? c->func->name : std::string_view();
    return name == "sort" || name == "sort_desc" || name == "sort_by_label" || name == "sort_by_label_desc";
  }
  if (const auto* a = e->As<AggregateExpr>()) return a->op == AggregateOp::kTopk || a->op == AggregateOp::kBottomk;
  return false;
}

}  // namespace

std::string FormatWithThousands(int64_t n) {
  std::string digits = std::to_string(n < 0 ? -n : n);
  std::string out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out.push_back(',');
    out.push_back(digits[i]);
  }
  return n < 0 ? "-" + out : out;
}

absl::StatusOr<PreparedQuery> Engine::Prepare(std::string_view query, const QueryOptions& opts) const {
  PreparedQuery q;
  ParseOptions parse_options;
  parse_options.experimental_functions = options_.experimental_functions;
  parse_options.duration_expressions = options_.duration_expressions;
  parse_options.binop_fill_modifiers = options_.binop_fill_modifiers;
  parse_options.extended_range_selectors = options_.extended_range_selectors;
  STRATA_ASSIGN_OR_RETURN(q.expr, ParseExpr(query, parse_options));
  q.query = std::string(query);
  q.lookback_delta_ms = opts.lookback_delta_ms > 0 ? opts.lookback_delta_ms : options_.lookback_delta_ms;
  std::chrono::milliseconds timeout = options_.timeout;
  if (opts.timeout.count() > 0 && opts.timeout < timeout) timeout = opts.timeout;
  q.deadline = std::chrono::steady_clock::now() + timeout;
  return q;
}

absl::StatusOr<PreparedQuery> Engine::NewInstantQuery(std::string_view query, int64_t time_ms,
                                                      const QueryOptions& opts) const {
  STRATA_ASSIGN_OR_RETURN(PreparedQuery q, Prepare(query, opts));
  q.instant = true;
  q.start_ms = q.end_ms = time_ms;
  // An instant query has no step and no range: step() and range() are 0.
  STRATA_RETURN_IF_ERROR(ResolveDurationExprs(*q.expr, 0, 0));
  return q;
}

absl::StatusOr<PreparedQuery> Engine::NewRangeQuery(std::string_view query, int64_t start_ms, int64_t end_ms,
                                                    int64_t step_ms, const QueryOptions& opts) const {
  if (end_ms < start_ms) return absl::InvalidArgumentError("end timestamp must not be before start time");
  if (step_ms <= 0) {
    return absl::InvalidArgumentError(
        "zero or negative query resolution step widths are not accepted. Try a positive integer");
  }
  if ((end_ms - start_ms) / step_ms > options_.max_points_per_series) {
    return absl::InvalidArgumentError(
        fmt::format("exceeded maximum resolution of {} points per timeseries. Try decreasing the query resolution "
                    "(?step=XX)",
                    FormatWithThousands(options_.max_points_per_series)));
  }
  STRATA_ASSIGN_OR_RETURN(PreparedQuery q, Prepare(query, opts));
  const ValueType type = q.expr->Type();
  if (type != ValueType::kVector && type != ValueType::kScalar) {
    return absl::InvalidArgumentError(fmt::format(
        "invalid expression type \"{}\" for range query, must be Scalar or instant Vector", DocumentedType(type)));
  }
  q.instant = false;
  q.start_ms = start_ms;
  q.end_ms = end_ms;
  q.step_ms = step_ms;
  STRATA_RETURN_IF_ERROR(ResolveDurationExprs(*q.expr, step_ms, end_ms - start_ms));
  return q;
}

absl::StatusOr<QueryResult> Engine::Exec(const PreparedQuery& query, Querier& querier) const {
  internal::Evaluator evaluator(query, options_, querier);
  STRATA_ASSIGN_OR_RETURN(internal::EvalValue value, evaluator.Run());
  QueryResult result;
  result.partial = evaluator.partial();
  result.total_samples = evaluator.total_samples();
  result.warnings = std::move(evaluator.querier_warnings());
  for (std::string& w : evaluator.annotations().RenderWarnings(query.query)) result.warnings.push_back(std::move(w));
  result.infos = evaluator.annotations().RenderInfos(query.query);
  switch (value.type) {
    case ValueType::kScalar:
      if (query.instant) {
        result.type = ValueType::kScalar;
        result.scalar = Sample{query.start_ms, value.scalars.empty() ? 0.0 : value.scalars[0]};
      } else {
        // A range query of a scalar is a matrix with one label-less series.
        result.type = ValueType::kMatrix;
        SeriesResult s;
        s.samples.reserve(value.scalars.size());
        for (size_t i = 0; i < value.scalars.size(); ++i) {
          s.samples.push_back(Sample{query.start_ms + static_cast<int64_t>(i) * query.step_ms, value.scalars[i]});
        }
        result.series.push_back(std::move(s));
      }
      break;
    case ValueType::kString:
      result.type = ValueType::kString;
      result.scalar.timestamp_ms = query.start_ms;
      result.string_value = std::move(value.str);
      break;
    case ValueType::kVector:
    case ValueType::kMatrix: {
      result.type = query.instant ? value.type : ValueType::kMatrix;
      const bool keep_order = query.instant && value.type == ValueType::kVector && KeepsOrder(*query.expr);
      STRATA_RETURN_IF_ERROR(internal::CleanupMetricLabels(value.series, /*sort=*/!keep_order));
      result.series.reserve(value.series.size());
      for (Series& s : value.series) {
        SeriesResult r;
        r.labels = std::move(s.labels);
        if (result.type == ValueType::kVector) {
          // One point per series, stamped with the evaluation time.
          r.samples.push_back(Sample{query.start_ms, s.floats.empty() ? 0.0 : s.floats[0].f});
        } else {
          r.samples.reserve(s.floats.size());
          for (const FPoint& p : s.floats) r.samples.push_back(Sample{p.t, p.f});
        }
        result.series.push_back(std::move(r));
      }
      break;
    }
  }
  return result;
}

}  // namespace strata::promql
