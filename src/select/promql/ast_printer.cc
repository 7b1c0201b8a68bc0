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

int64_t SecondsToMs(double seconds) { return static_cast<int64_t>(std::llround(seconds * 1e9)) / 1'000'000; }

// Prometheus DurationExpr.String(); literals print as NumberLiteral does
// (durations as model.Duration).
void WriteDuration(const DurationExpr& d, std::string* out) {
  if (d.wrapped) *out += '(';
  auto binary = [&](const char* op) {
    WriteDuration(*d.lhs, out);
    *out += ' ';
    *out += op;
    *out += ' ';
    WriteDuration(*d.rhs, out);
  };
  auto call = [&](const char* name) {
    *out += name;
    *out += '(';
    WriteDuration(*d.lhs, out);
    *out += ", ";
    WriteDuration(*d.rhs, out);
    *out += ')';
  };
  switch (d.op) {
    case DurationOp::kLiteral:
      if (!d.is_duration) {
        *out += FormatNumber(d.value);
      } else if (d.value < 0) {
        *out += '-';
        *out += FormatDuration(SecondsToMs(-d.value));
      } else {
        *out += FormatDuration(SecondsToMs(d.value));
      }
      break;
    case DurationOp::kStep: *out += "step()"; break;
    case DurationOp::kRange: *out += "range()"; break;
    case DurationOp::kMinOf: call("min_of"); break;
    case DurationOp::kMaxOf: call("max_of"); break;
    case DurationOp::kPos: WriteDuration(*d.rhs, out); break;
    case DurationOp::kNeg:
      *out += '-';
      WriteDuration(*d.rhs, out);
      break;
    case DurationOp::kAdd: binary("+"); break;
    case DurationOp::kSub: binary("-"); break;
    case DurationOp::kMul: binary("*"); break;
    case DurationOp::kDiv: binary("/"); break;
    case DurationOp::kMod: binary("%"); break;
    case DurationOp::kPow: binary("^"); break;
  }
  if (d.wrapped) *out += ')';
}

std::string FormatOffset(int64_t offset_ms, const DurationExprPtr& offset_expr) {
  if (!offset_expr) return FormatOffset(offset_ms);
  std::string out = " offset ";
  WriteDuration(*offset_expr, &out);
  return out;
}

std::string FormatRange(int64_t ms, const DurationExprPtr& expr) {
  if (!expr) return FormatDuration(ms);
  std::string out;
  WriteDuration(*expr, &out);
  return out;
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
    // Prometheus prints `fill (v)` when both sides share one value (Go's %v).
    const auto same = [](double a, double b) { return a == b || (std::isnan(a) && std::isnan(b)); };
    if (vm.fill_lhs && vm.fill_rhs && same(*vm.fill_lhs, *vm.fill_rhs)) {
      *out += " fill (" + GoFormatG(*vm.fill_lhs) + ")";
    } else {
      if (vm.fill_lhs) *out += " fill_left (" + GoFormatG(*vm.fill_lhs) + ")";
      if (vm.fill_rhs) *out += " fill_right (" + GoFormatG(*vm.fill_rhs) + ")";
    }
  }
  *out += ' ';
  Write(*b.rhs, out);
}

// The extended range selector modifier, printed last as Prometheus does.
std::string_view FormatExtended(const VectorSelector& vs) {
  if (vs.anchored) return " anchored";
  if (vs.smoothed) return " smoothed";
  return "";
}

void Write(const Expr& e, std::string* out) {
  if (const auto* n = e.As<NumberLiteral>()) {
    *out += FormatNumber(n->value);
  } else if (const auto* s = e.As<StringLiteral>()) {
    *out += GoQuote(s->value);
  } else if (const auto* vs = e.As<VectorSelector>()) {
    *out += FormatSelectorBody(*vs);
    *out += FormatAt(vs->at, vs->at_ms);
    *out += FormatOffset(vs->offset_ms, vs->offset_expr);
    *out += FormatExtended(*vs);
  } else if (const auto* ms = e.As<MatrixSelector>()) {
    *out += FormatSelectorBody(ms->selector);
    *out += '[';
    *out += FormatRange(ms->range_ms, ms->range_expr);
    *out += ']';
    *out += FormatAt(ms->selector.at, ms->selector.at_ms);
    *out += FormatOffset(ms->selector.offset_ms, ms->selector.offset_expr);
    *out += FormatExtended(ms->selector);
  } else if (const auto* sq = e.As<SubqueryExpr>()) {
    Write(*sq->expr, out);
    *out += '[';
    *out += FormatRange(sq->range_ms, sq->range_expr);
    *out += ':';
    if (sq->step_expr) {
      WriteDuration(*sq->step_expr, out);
    } else if (sq->step_ms != 0) {
      *out += FormatDuration(sq->step_ms);
    }
    *out += ']';
    *out += FormatAt(sq->at, sq->at_ms);
    *out += FormatOffset(sq->offset_ms, sq->offset_expr);
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

std::string FormatDurationExpr(const DurationExpr& expr) {
  std::string out;
  WriteDuration(expr, &out);
  return out;
}

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
