#include "select/api/format_api.h"

#include <cmath>
#include <optional>

#include <fmt/format.h>

#include "common/base/status.h"
#include "common/encoding/json_string.h"
#include "select/api/json_writer.h"
#include "select/promql/ast_printer.h"
#include "select/promql/function_signatures.h"

namespace strata::select {
namespace {

using promql::Expr;

absl::StatusOr<promql::ExprPtr> ParseQueryParam(const HttpRequest& request, const promql::ParseOptions& options) {
  auto form = FormParams::Parse(request);
  if (!form.ok()) return absl::InvalidArgumentError(std::string(ToStd(form.status().message())));
  auto expr = promql::ParseExpr(form->Get("query"), options);
  if (!expr.ok()) {
    return absl::InvalidArgumentError(
        fmt::format("invalid parameter \"query\": {}", ToStd(expr.status().message())));
  }
  return expr;
}

void AppendKey(std::string_view key, std::string* out) {
  out->push_back('"');
  out->append(key);
  out->append("\":");
}

void AppendBool(bool b, std::string* out) { out->append(b ? "true" : "false"); }

void AppendStrings(const std::vector<std::string>& items, std::string* out) {
  out->push_back('[');
  for (size_t i = 0; i < items.size(); ++i) {
    if (i > 0) out->push_back(',');
    AppendJsonString(items[i], out);
  }
  out->push_back(']');
}

// Prometheus keeps the metric-name matcher of `name{...}` last; the parser
// here puts it first.
void AppendMatchers(const promql::VectorSelector& vs, std::string* out) {
  std::vector<const Matcher*> ordered;
  ordered.reserve(vs.matchers.size());
  const size_t skip = vs.name.empty() || vs.matchers.empty() ? 0 : 1;
  for (size_t i = skip; i < vs.matchers.size(); ++i) ordered.push_back(&vs.matchers[i]);
  if (skip == 1) ordered.push_back(&vs.matchers[0]);
  out->push_back('[');
  for (size_t i = 0; i < ordered.size(); ++i) {
    if (i > 0) out->push_back(',');
    out->append("{\"name\":");
    AppendJsonString(ordered[i]->name(), out);
    out->append(",\"type\":");
    AppendJsonString(MatchTypeToString(ordered[i]->type()), out);
    out->append(",\"value\":");
    AppendJsonString(ordered[i]->value(), out);
    out->push_back('}');
  }
  out->push_back(']');
}

// Go: the StartOrEnd item's name or null.
void AppendStartOrEnd(promql::AtModifier at, std::string* out) {
  AppendKey("startOrEnd", out);
  switch (at) {
    case promql::AtModifier::kStart: out->append("\"start\""); break;
    case promql::AtModifier::kEnd: out->append("\"end\""); break;
    default: out->append("null"); break;
  }
}

// Go: a *int64 of milliseconds or null.
void AppendTimestamp(promql::AtModifier at, int64_t at_ms, std::string* out) {
  AppendKey("timestamp", out);
  if (at == promql::AtModifier::kTimestamp) {
    out->append(fmt::format("{}", at_ms));
  } else {
    out->append("null");
  }
}

// `"startOrEnd":..,"timestamp":..` for selectors.
void AppendAt(promql::AtModifier at, int64_t at_ms, std::string* out) {
  AppendStartOrEnd(at, out);
  out->push_back(',');
  AppendTimestamp(at, at_ms, out);
}

const char* CardName(promql::MatchCardinality card) {
  switch (card) {
    case promql::MatchCardinality::kOneToOne: return "one-to-one";
    case promql::MatchCardinality::kManyToOne: return "many-to-one";
    case promql::MatchCardinality::kOneToMany: return "one-to-many";
    case promql::MatchCardinality::kManyToMany: return "many-to-many";
  }
  return "one-to-one";
}

// A Go *float64 in JSON: null, or the number (Go refuses to marshal NaN
// and infinities; they are written as null here).
void AppendFill(const std::optional<double>& v, std::string* out) {
  if (!v.has_value() || !std::isfinite(*v)) {
    out->append("null");
    return;
  }
  // Prometheus's API writes JSON with jsoniter: Go's shortest digits, 'e'
  // form below 1e-6 or from 1e21 ("1e-07").
  AppendPromFloat(*v, out);
}

void AppendNode(const Expr* expr, std::string* out);

// Keys in the order Go's encoding/json writes a map: sorted.
struct NodeWriter {
  std::string* out;

  void operator()(const promql::NumberLiteral& n) const {
    out->append("{\"type\":\"numberLiteral\",\"val\":");
    AppendJsonString(promql::FormatNumber(n.value), out);
    out->push_back('}');
  }
  void operator()(const promql::StringLiteral& n) const {
    out->append("{\"type\":\"stringLiteral\",\"val\":");
    AppendJsonString(n.value, out);
    out->push_back('}');
  }
  void operator()(const promql::VectorSelector& n) const {
    out->append("{\"anchored\":false,\"matchers\":");
    AppendMatchers(n, out);
    out->append(",\"name\":");
    AppendJsonString(n.name, out);
    out->append(fmt::format(",\"offset\":{},\"smoothed\":false,", n.offset_ms));
    AppendAt(n.at, n.at_ms, out);
    out->append(",\"type\":\"vectorSelector\"}");
  }
  void operator()(const promql::MatrixSelector& n) const {
    const promql::VectorSelector& vs = n.selector;
    out->append("{\"anchored\":false,\"matchers\":");
    AppendMatchers(vs, out);
    out->append(",\"name\":");
    AppendJsonString(vs.name, out);
    out->append(fmt::format(",\"offset\":{},\"range\":{},\"smoothed\":false,", vs.offset_ms, n.range_ms));
    AppendAt(vs.at, vs.at_ms, out);
    out->append(",\"type\":\"matrixSelector\"}");
  }
  void operator()(const promql::SubqueryExpr& n) const {
    out->append("{\"alignEvalTime\":false,\"expr\":");
    AppendNode(n.expr.get(), out);
    out->append(fmt::format(",\"offset\":{},\"range\":{},", n.offset_ms, n.range_ms));
    AppendStartOrEnd(n.at, out);
    out->append(fmt::format(",\"step\":{},", n.step_ms));
    AppendTimestamp(n.at, n.at_ms, out);
    out->append(",\"type\":\"subquery\"}");
  }
  void operator()(const promql::ParenExpr& n) const {
    out->append("{\"expr\":");
    AppendNode(n.expr.get(), out);
    out->append(",\"type\":\"parenExpr\"}");
  }
  void operator()(const promql::UnaryExpr& n) const {
    out->append("{\"expr\":");
    AppendNode(n.expr.get(), out);
    out->append(n.op == promql::UnaryOp::kMinus ? ",\"op\":\"-\"" : ",\"op\":\"+\"");
    out->append(",\"type\":\"unaryExpr\"}");
  }
  void operator()(const promql::BinaryExpr& n) const {
    out->append("{\"bool\":");
    AppendBool(n.return_bool, out);
    out->append(",\"lhs\":");
    AppendNode(n.lhs.get(), out);
    out->append(",\"matching\":");
    if (n.matching.has_value()) {
      out->append("{\"card\":");
      AppendJsonString(CardName(n.matching->card), out);
      out->append(",\"fillValues\":{\"lhs\":");
      AppendFill(n.matching->fill_lhs, out);
      out->append(",\"rhs\":");
      AppendFill(n.matching->fill_rhs, out);
      out->append("},\"include\":");
      AppendStrings(n.matching->include, out);
      out->append(",\"labels\":");
      AppendStrings(n.matching->matching_labels, out);
      out->append(",\"on\":");
      AppendBool(n.matching->on, out);
      out->push_back('}');
    } else {
      out->append("null");
    }
    out->append(",\"op\":");
    AppendJsonString(promql::BinaryOpName(n.op), out);
    out->append(",\"rhs\":");
    AppendNode(n.rhs.get(), out);
    out->append(",\"type\":\"binaryExpr\"}");
  }
  void operator()(const promql::AggregateExpr& n) const {
    out->append("{\"expr\":");
    AppendNode(n.expr.get(), out);
    out->append(",\"grouping\":");
    AppendStrings(n.grouping, out);
    out->append(",\"op\":");
    AppendJsonString(promql::AggregateOpName(n.op), out);
    out->append(",\"param\":");
    AppendNode(n.param.get(), out);
    out->append(",\"type\":\"aggregation\",\"without\":");
    AppendBool(n.without, out);
    out->push_back('}');
  }
  void operator()(const promql::Call& n) const {
    out->append("{\"args\":[");
    for (size_t i = 0; i < n.args.size(); ++i) {
      if (i > 0) out->push_back(',');
      AppendNode(n.args[i].get(), out);
    }
    out->append("],\"func\":{\"argTypes\":[");
    const promql::FunctionSignature& f = *n.func;
    for (size_t i = 0; i < f.arg_types.size(); ++i) {
      if (i > 0) out->push_back(',');
      AppendJsonString(promql::ValueTypeName(f.arg_types[i]), out);
    }
    out->append("],\"name\":");
    AppendJsonString(f.name, out);
    out->append(",\"returnType\":");
    AppendJsonString(promql::ValueTypeName(f.return_type), out);
    out->append(fmt::format(",\"variadic\":{}}},\"type\":\"call\"}}", f.variadic));
  }
};

void AppendNode(const Expr* expr, std::string* out) {
  if (expr == nullptr) {
    out->append("null");
    return;
  }
  std::visit(NodeWriter{out}, expr->node);
}

// ---- Prometheus's Pretty(level) (promql/parser/prettier.go) --------------
// A node whose one-line text fits in 100 characters prints as that text;
// longer ones split: operands of binary operators, arguments of calls and
// aggregations and the inside of parentheses go on their own lines, two
// spaces deeper. The pieces between the children are cut out of the
// canonical one-line text, which is what Prometheus prints around them.

constexpr size_t kMaxCharactersPerLine = 100;

std::string Indent(int level) { return std::string(static_cast<size_t>(level) * 2, ' '); }

std::string Pretty(const Expr& e, int level);

struct PrettyWriter {
  const Expr& self;
  int level;

  std::string operator()(const promql::ParenExpr& n) const {
    return fmt::format("{}(\n{}\n{})", Indent(level), Pretty(*n.expr, level + 1), Indent(level));
  }
  std::string operator()(const promql::UnaryExpr& n) const {
    std::string child = Pretty(*n.expr, level);
    const size_t first = child.find_first_not_of(" \t\n");
    const size_t last = child.find_last_not_of(" \t\n");
    child = first == std::string::npos ? std::string() : child.substr(first, last - first + 1);
    return Indent(level) + (n.op == promql::UnaryOp::kMinus ? "-" : "+") + child;
  }
  std::string operator()(const promql::BinaryExpr& n) const {
    const std::string whole = promql::FormatExpr(self);
    const size_t lhs = promql::FormatExpr(*n.lhs).size();
    const size_t rhs = promql::FormatExpr(*n.rhs).size();
    // "<lhs> <op>[ bool][ on (..)[ group_x (..)]] <rhs>"
    const std::string op = whole.substr(lhs + 1, whole.size() - lhs - rhs - 2);
    return fmt::format("{}\n{}{}\n{}", Pretty(*n.lhs, level + 1), Indent(level), op, Pretty(*n.rhs, level + 1));
  }
  std::string operator()(const promql::Call& n) const {
    std::string args;
    for (size_t i = 0; i < n.args.size(); ++i) {
      if (i > 0) args += ",\n";
      args += Pretty(*n.args[i], level + 1);
    }
    return fmt::format("{}{}(\n{}\n{})", Indent(level), n.func->name, args, Indent(level));
  }
  std::string operator()(const promql::AggregateExpr& n) const {
    const std::string whole = promql::FormatExpr(self);
    // "<op>[ by|without (..) ](<param>, <expr>)"
    size_t inner = promql::FormatExpr(*n.expr).size() + 2;
    if (n.param != nullptr) inner += promql::FormatExpr(*n.param).size() + 2;
    std::string out = Indent(level) + whole.substr(0, whole.size() - inner) + "(\n";
    if (n.param != nullptr) out += Pretty(*n.param, level + 1) + ",\n";
    return out + Pretty(*n.expr, level + 1) + "\n" + Indent(level) + ")";
  }
  std::string operator()(const promql::SubqueryExpr& n) const {
    const std::string whole = promql::FormatExpr(self);
    return Pretty(*n.expr, level) + whole.substr(promql::FormatExpr(*n.expr).size());
  }
  template <typename Leaf>
  std::string operator()(const Leaf&) const {
    return Indent(level) + promql::FormatExpr(self);
  }
};

std::string Pretty(const Expr& e, int level) {
  std::string text = promql::FormatExpr(e);
  if (text.size() <= kMaxCharactersPerLine) {
    // Prometheus's subquery prints without the indent when it fits.
    return e.As<promql::SubqueryExpr>() != nullptr ? text : Indent(level) + text;
  }
  return std::visit(PrettyWriter{e, level}, e.node);
}

}  // namespace

void AppendAstJson(const promql::Expr& expr, std::string* out) { AppendNode(&expr, out); }

std::string PrettyFormatExpr(const promql::Expr& expr) { return Pretty(expr, 0); }

ApiOutcome FormatQuery(const HttpRequest& request, const promql::ParseOptions& options) {
  auto expr = ParseQueryParam(request, options);
  if (!expr.ok()) return ErrorOutcome(expr.status());
  return SuccessOutcome(JsonString(PrettyFormatExpr(**expr)));
}

ApiOutcome ParseQuery(const HttpRequest& request, const promql::ParseOptions& options) {
  auto expr = ParseQueryParam(request, options);
  if (!expr.ok()) return ErrorOutcome(expr.status());
  std::string data;
  AppendAstJson(**expr, &data);
  return SuccessOutcome(data);
}

}  // namespace strata::select
