#include "select/promql/ast_printer.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <vector>

#include <fmt/format.h>

#include "common/model/labels.h"
#include "select/promql/function_signatures.h"

namespace strata::promql {
namespace {

bool IsLegacyName(std::string_view s) {
  if (s.empty()) return false;
  for (size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    if (!(c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (i > 0 && c >= '0' && c <= '9'))) {
      return false;
    }
  }
  return true;
}


void WriteLabels(const std::vector<std::string>& labels, std::string* out) {
  for (size_t i = 0; i < labels.size(); ++i) {
    if (i > 0) *out += ", ";
    *out += IsLegacyName(labels[i]) ? labels[i] : GoQuote(labels[i]);
  }
}

std::string FormatMatcher(const Matcher& m) {
  std::string out = IsLegacyName(m.name()) ? m.name() : GoQuote(m.name());
  out += MatchTypeToString(m.type());
  out += GoQuote(m.value());
  return out;
}

std::string FormatAt(AtModifier at, int64_t at_ms) {
  switch (at) {
    case AtModifier::kNone: return "";
    case AtModifier::kStart: return " @ start()";
    case AtModifier::kEnd: return " @ end()";
    case AtModifier::kTimestamp: return fmt::format(" @ {:.3f}", static_cast<double>(at_ms) / 1000.0);
  }
  return "";
}

std::string FormatOffset(int64_t offset_ms) {
  if (offset_ms > 0) return " offset " + FormatDuration(offset_ms);
  if (offset_ms < 0) return " offset -" + FormatDuration(-offset_ms);
  return "";
}

// The selector without its modifiers: name and sorted matchers.
std::string FormatSelectorBody(const VectorSelector& vs) {
  std::vector<std::string> matchers;
  for (const Matcher& m : vs.matchers) {
    if (m.name() == kMetricNameLabel && m.type() == MatchType::kEqual && m.value() == vs.name && !vs.name.empty()) {
      continue;
    }
    matchers.push_back(FormatMatcher(m));
  }
  std::sort(matchers.begin(), matchers.end());
  std::string out = vs.name;
  if (!matchers.empty()) {
    out += '{';
    for (size_t i = 0; i < matchers.size(); ++i) {
      if (i > 0) out += ',';
      out += matchers[i];
    }
    out += '}';
  }
  return out;
}

void Write(const Expr& e, std::string* out);

void WriteAggregate(const AggregateExpr& a, std::string* out) {
  *out += AggregateOpName(a.op);
  if (a.without) {
    *out += " without (";
    WriteLabels(a.grouping, out);
    *out += ") ";
  } else if (!a.grouping.empty()) {
    *out += " by (";
    WriteLabels(a.grouping, out);
    *out += ") ";
  }
  *out += '(';
  if (a.param) {
    Write(*a.param, out);
    *out += ", ";
  }
  Write(*a.expr, out);
  *out += ')';
}

void WriteBinary(const BinaryExpr& b, std::string* out) {
  Write(*b.lhs, out);
  *out += ' ';
  *out += BinaryOpName(b.op);
  if (b.return_bool) *out += " bool";
  if (b.matching) {
    const VectorMatching& vm = *b.matching;
    const bool grouped = vm.card == MatchCardinality::kManyToOne || vm.card == MatchCardinality::kOneToMany;
    if (!vm.matching_labels.empty() || vm.on || grouped) {
      *out += vm.on ? " on (" : " ignoring (";
      WriteLabels(vm.matching_labels, out);
      *out += ')';
    }
    if (grouped) {
      *out += vm.card == MatchCardinality::kManyToOne ? " group_left (" : " group_right (";
      WriteLabels(vm.include, out);
      *out += ')';
    }
  }
  *out += ' ';
  Write(*b.rhs, out);
}

void Write(const Expr& e, std::string* out) {
  if (const auto* n = e.As<NumberLiteral>()) {
    *out += FormatNumber(n->value);
  } else if (const auto* s = e.As<StringLiteral>()) {
    *out += GoQuote(s->value);
  } else if (const auto* vs = e.As<VectorSelector>()) {
    *out += FormatSelectorBody(*vs);
    *out += FormatAt(vs->at, vs->at_ms);
    *out += FormatOffset(vs->offset_ms);
  } else if (const auto* ms = e.As<MatrixSelector>()) {
    *out += FormatSelectorBody(ms->selector);
    *out += '[';
    *out += FormatDuration(ms->range_ms);
    *out += ']';
    *out += FormatAt(ms->selector.at, ms->selector.at_ms);
    *out += FormatOffset(ms->selector.offset_ms);
  } else if (const auto* sq = e.As<SubqueryExpr>()) {
    Write(*sq->expr, out);
    *out += '[';
    *out += FormatDuration(sq->range_ms);
    *out += ':';
    if (sq->step_ms != 0) *out += FormatDuration(sq->step_ms);
    *out += ']';
    *out += FormatAt(sq->at, sq->at_ms);
    *out += FormatOffset(sq->offset_ms);
  } else if (const auto* p = e.As<ParenExpr>()) {
    *out += '(';
    Write(*p->expr, out);
    *out += ')';
  } else if (const auto* u = e.As<UnaryExpr>()) {
    *out += u->op == UnaryOp::kMinus ? "-" : "+";
    Write(*u->expr, out);
  } else if (const auto* b = e.As<BinaryExpr>()) {
    WriteBinary(*b, out);
  } else if (const auto* a = e.As<AggregateExpr>()) {
    WriteAggregate(*a, out);
  } else if (const auto* c = e.As<Call>()) {
    *out += c->func->name;
    *out += '(';
    for (size_t i = 0; i < c->args.size(); ++i) {
      if (i > 0) *out += ", ";
      Write(*c->args[i], out);
    }
    *out += ')';
  }
}

}  // namespace

std::string FormatExpr(const Expr& expr) {
  std::string out;
  Write(expr, &out);
  return out;
}


std::string FormatDuration(int64_t ms) {
  if (ms == 0) return "0s";
  std::string out;
  uint64_t rest;
  if (ms < 0) {
    out = "-";
    rest = static_cast<uint64_t>(-(ms + 1)) + 1;
  } else {
    rest = static_cast<uint64_t>(ms);
  }
  struct Unit {
    const char* name;
    uint64_t ms;
    bool exact;  // only when it divides the whole remainder
  };
  static constexpr Unit kUnits[] = {{"y", 365ULL * 24 * 3600 * 1000, true}, {"w", 7ULL * 24 * 3600 * 1000, true},
                                    {"d", 24ULL * 3600 * 1000, false},      {"h", 3600ULL * 1000, false},
                                    {"m", 60ULL * 1000, false},             {"s", 1000, false},
                                    {"ms", 1, false}};
  for (const Unit& u : kUnits) {
    if (u.exact && rest % u.ms != 0) continue;
    const uint64_t v = rest / u.ms;
    if (v > 0) {
      out += fmt::format("{}{}", v, u.name);
      rest -= v * u.ms;
    }
  }
  return out;
}

std::string FormatNumber(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  char buf[400];
  auto [ptr, ec] = std::to_chars(buf, buf + sizeof(buf), v, std::chars_format::fixed);
  if (ec != std::errc()) return fmt::format("{}", v);
  return std::string(buf, ptr);
}

}  // namespace strata::promql
