#include "select/promql/binary_ops.h"
#include "select/promql/go_format.h"

#include <algorithm>
#include <cmath>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "common/base/status.h"
#include "fmt/format.h"

namespace strata::promql {
namespace {

bool IsArithmetic(BinaryOp op) { return op >= BinaryOp::kAdd; }


bool IsLegacyLabelName(std::string_view name) {
  if (name.empty()) return false;
  for (size_t i = 0; i < name.size(); ++i) {
    const char c = name[i];
    const bool ok = c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (i > 0 && c >= '0' && c <= '9');
    if (!ok) return false;
  }
  return true;
}

// Prometheus Labels.String(): `{__name__="x", a="b"}`, as its error
// messages print label sets.
std::string FormatLabels(const Labels& labels) {
  std::string out = "{";
  bool first = true;
  for (const Label& l : labels) {
    if (!first) out.append(", ");
    first = false;
    if (IsLegacyLabelName(l.name)) {
      out.append(l.name);
    } else {
      AppendGoQuoted(l.name, &out);
    }
    out.push_back('=');
    AppendGoQuoted(l.value, &out);
  }
  out.push_back('}');
  return out;
}

// Prometheus vectorElemBinop for two floats: the value, and for comparisons
// whether the element is kept (the value is then the left operand).
std::pair<double, bool> ElemBinop(BinaryOp op, double l, double r) {
  switch (op) {
    case BinaryOp::kAdd: return {l + r, true};
    case BinaryOp::kSub: return {l - r, true};
    case BinaryOp::kMul: return {l * r, true};
    case BinaryOp::kDiv: return {l / r, true};
    case BinaryOp::kPow: return {std::pow(l, r), true};
    case BinaryOp::kMod: return {std::fmod(l, r), true};
    case BinaryOp::kAtan2: return {std::atan2(l, r), true};
    case BinaryOp::kEql: return {l, l == r};
    case BinaryOp::kNeq: return {l, l != r};
    case BinaryOp::kGtr: return {l, l > r};
    case BinaryOp::kLss: return {l, l < r};
    case BinaryOp::kGte: return {l, l >= r};
    case BinaryOp::kLte: return {l, l <= r};
    case BinaryOp::kOr:
    case BinaryOp::kAnd:
    case BinaryOp::kUnless: break;
  }
  return {std::nan(""), false};
}

// The names a signature is computed over, sorted: the on() labels, or the
// ignoring() labels plus __name__ (Prometheus signatureFunc).
std::vector<std::string> SignatureNames(const VectorMatching& m) {
  std::vector<std::string> names = m.matching_labels;
  if (!m.on) names.emplace_back(kMetricNameLabel);
  std::sort(names.begin(), names.end());
  names.erase(std::unique(names.begin(), names.end()), names.end());
  return names;
}

bool Contains(const std::vector<std::string>& sorted, std::string_view name) {
  return std::binary_search(sorted.begin(), sorted.end(), name,
                            [](std::string_view a, std::string_view b) { return a < b; });
}

// The match key of `labels`: name\xff value\xff of the labels kept by the
// matching. 0xff never occurs in valid UTF-8, so keys cannot collide.
void Signature(const Labels& labels, const std::vector<std::string>& names, bool on, std::string* out) {
  out->clear();
  for (const Label& l : labels) {
    if (Contains(names, l.name) != on) continue;
    out->append(l.name);
    out->push_back('\xff');
    out->append(l.value);
    out->push_back('\xff');
  }
}

std::vector<std::string> Signatures(const Vector& v, const std::vector<std::string>& names, bool on) {
  std::vector<std::string> sigs(v.size());
  for (size_t i = 0; i < v.size(); ++i) Signature(v[i].labels, names, on, &sigs[i]);
  return sigs;
}

// Prometheus Labels.MatchLabels: the on() labels, or everything but the
// ignoring() labels and __name__.
Labels MatchLabels(const Labels& labels, const VectorMatching& m) {
  std::vector<Label> out;
  for (const Label& l : labels) {
    bool listed = std::find(m.matching_labels.begin(), m.matching_labels.end(), l.name) != m.matching_labels.end();
    if (listed == m.on && (m.on || l.name != kMetricNameLabel)) out.push_back(l);
  }
  return Labels::FromSorted(std::move(out));
}

// Prometheus resultMetric: the output labels of a matched pair, `lhs` being
// the "many" side (after the one-to-many swap) and `rhs` the "one" side.
Labels ResultMetric(const Labels& lhs, const Labels& rhs, BinaryOp op, const VectorMatching& m) {
  std::vector<Label> out;
  out.reserve(lhs.size() + m.include.size());
  auto listed = [&](std::string_view name) {
    return std::find(m.matching_labels.begin(), m.matching_labels.end(), name) != m.matching_labels.end();
  };
  for (const Label& l : lhs) {
    // Arithmetic changes the metric's schema: the name, type and unit go at
    // once, even with delayed name removal (Prometheus changesMetricSchema).
    if (IsArithmetic(op) && IsMetricDescriptorLabel(l.name)) continue;
    if (m.card == MatchCardinality::kOneToOne && listed(l.name) != m.on) continue;
    if (std::find(m.include.begin(), m.include.end(), l.name) != m.include.end()) continue;
    out.push_back(l);
  }
  for (const std::string& name : m.include) {
    std::string_view v = rhs.Get(name);
    if (v.empty()) continue;
    if (std::any_of(out.begin(), out.end(), [&](const Label& l) { return l.name == name; })) continue;
    out.push_back(Label{name, std::string(v)});
  }
  return Labels::FromUnsorted(std::move(out));
}

absl::Status SetOperation(const Vector& lhs, const Vector& rhs, const BinaryContext& ctx, Vector& out) {
  const BinaryExpr& e = *ctx.expr;
  const VectorMatching& m = *e.matching;
  switch (e.op) {
    case BinaryOp::kAnd:
      if (lhs.empty() || rhs.empty()) return absl::OkStatus();
      break;
    case BinaryOp::kOr:
      if (lhs.empty() || rhs.empty()) {
        const Vector& nonempty = lhs.empty() ? rhs : lhs;
        out.insert(out.end(), nonempty.begin(), nonempty.end());
        return absl::OkStatus();
      }
      break;
    default:  // unless
      if (lhs.empty() || rhs.empty()) {
        out.insert(out.end(), lhs.begin(), lhs.end());
        return absl::OkStatus();
      }
      break;
  }
  std::vector<std::string> names = SignatureNames(m);
  std::vector<std::string> lsigs = Signatures(lhs, names, m.on);
  std::vector<std::string> rsigs = Signatures(rhs, names, m.on);
  if (e.op == BinaryOp::kOr) {
    absl::flat_hash_set<std::string_view> left(lsigs.begin(), lsigs.end());
    out.insert(out.end(), lhs.begin(), lhs.end());
    for (size_t i = 0; i < rhs.size(); ++i) {
      if (!left.contains(std::string_view(rsigs[i]))) out.push_back(rhs[i]);
    }
    return absl::OkStatus();
  }
  absl::flat_hash_set<std::string_view> right(rsigs.begin(), rsigs.end());
  const bool want = e.op == BinaryOp::kAnd;
  for (size_t i = 0; i < lhs.size(); ++i) {
    if (right.contains(std::string_view(lsigs[i])) == want) out.push_back(lhs[i]);
  }
  return absl::OkStatus();
}

}  // namespace

double ScalarBinop(BinaryOp op, double lhs, double rhs) {
  auto [v, keep] = ElemBinop(op, lhs, rhs);
  if (IsComparisonOp(op)) return keep ? 1 : 0;
  return v;
}

std::pair<double, bool> ApplyVectorScalar(const BinaryExpr& expr, double vec_value, double scalar,
                                          bool scalar_is_lhs) {
  double l = vec_value;
  double r = scalar;
  if (scalar_is_lhs) std::swap(l, r);
  auto [v, keep] = ElemBinop(expr.op, l, r);
  // A filtering comparison keeps the vector's value whichever side it is on.
  if (IsComparisonOp(expr.op)) v = vec_value;
  if (expr.return_bool) return {keep ? 1 : 0, true};
  return {v, keep};
}

VectorSample VectorScalarResult(const VectorSample& s, double value, const BinaryContext& ctx) {
  const bool drops_name = IsArithmetic(ctx.expr->op) || ctx.expr->return_bool;
  VectorSample o;
  o.f = value;
  o.t = ctx.t_ms;
  o.drop_name = s.drop_name;
  if (drops_name && !ctx.delayed_name_removal) {
    o.labels = DropMetricName(s.labels);
    o.drop_name = false;
  } else {
    o.labels = s.labels;
    if (drops_name) o.drop_name = true;
  }
  return o;
}

absl::Status VectorScalarBinop(const Vector& vec, double scalar, bool scalar_is_lhs, const BinaryContext& ctx,
                               Vector& out) {
  for (const VectorSample& s : vec) {
    auto [v, keep] = ApplyVectorScalar(*ctx.expr, s.f, scalar, scalar_is_lhs);
    if (keep) out.push_back(VectorScalarResult(s, v, ctx));
  }
  return absl::OkStatus();
}

std::pair<double, bool> ApplyMatchedPair(const BinaryExpr& expr, double lhs, double rhs) {
  auto [v, keep] = ElemBinop(expr.op, lhs, rhs);
  if (expr.return_bool) return {keep ? 1 : 0, true};
  return {v, keep};
}

absl::Status VectorVectorBinop(const Vector& lhs_in, const Vector& rhs_in, const BinaryContext& ctx, Vector& out,
                               std::vector<MatchedPair>* pairs, bool* recorded) {
  const BinaryExpr& e = *ctx.expr;
  if (recorded != nullptr) *recorded = false;
  if (!e.matching.has_value()) return absl::InternalError("vector binary operation without vector matching");
  const VectorMatching& m = *e.matching;
  if (IsSetOp(e.op)) return SetOperation(lhs_in, rhs_in, ctx, out);
  if (m.card == MatchCardinality::kManyToMany) {
    return absl::InternalError("many-to-many only allowed for set operators");
  }
  const bool fill = m.fill_lhs.has_value() || m.fill_rhs.has_value();
  if (fill) pairs = nullptr;
  if (pairs != nullptr) pairs->clear();
  if (lhs_in.empty() && rhs_in.empty()) return absl::OkStatus();
  if ((lhs_in.empty() || rhs_in.empty()) && !fill) return absl::OkStatus();

  // Many-to-one from here on: one-to-many swaps the sides and swaps the
  // operands back when computing values.
  const bool swapped = m.card == MatchCardinality::kOneToMany;
  const Vector& many = swapped ? rhs_in : lhs_in;
  const Vector& one = swapped ? lhs_in : rhs_in;

  std::vector<std::string> names = SignatureNames(m);
  std::vector<std::string> one_sigs = Signatures(one, names, m.on);
  absl::flat_hash_map<std::string_view, size_t> one_by_sig;
  one_by_sig.reserve(one.size());
  for (size_t i = 0; i < one.size(); ++i) {
    auto [it, inserted] = one_by_sig.try_emplace(std::string_view(one_sigs[i]), i);
    if (!inserted) {
      // Report the pair in label order so the message is stable.
      const Labels* a = &one[it->second].labels;
      const Labels* b = &one[i].labels;
      if (*b < *a) std::swap(a, b);
      return absl::InvalidArgumentError(fmt::format(
          "found duplicate series for the match group {} on the {} hand-side of the operation: [{}, {}]"
          ";many-to-many matching not allowed: matching labels must be unique on one side",
          FormatLabels(MatchLabels(one[i].labels, m)), swapped ? "left" : "right", FormatLabels(*a),
          FormatLabels(*b)));
    }
  }
  std::vector<std::string> many_sigs = Signatures(many, names, m.on);

  // For one-to-one: which match groups produced a result; for many-to-one:
  // the result label sets per group, which must be unique.
  absl::flat_hash_map<std::string_view, absl::flat_hash_set<std::string>> matched;
  // One pair: `ls` from the "many" side, `rs` from the "one" side (either
  // may be a fill sample), `sig` their match group.
  // `many_index`/`one_index` are positions in the operands, kNoIndex for a
  // fill sample.
  constexpr size_t kNoIndex = ~size_t{0};
  auto binop = [&](const Labels& l_labels, double l_f, bool l_drop_name, const Labels& r_labels, double r_f,
                   std::string_view sig, size_t many_index, size_t one_index) -> absl::Status {
    double fl = l_f;
    double fr = r_f;
    if (swapped) std::swap(fl, fr);
    auto [v, keep] = ApplyMatchedPair(e, fl, fr);

    Labels metric = ResultMetric(l_labels, r_labels, e.op, m);
    if (e.return_bool && !ctx.delayed_name_removal) metric = DropMetricName(metric);

    // Prometheus checks uniqueness before filtering, so a comparison that
    // filters every duplicate still fails.
    auto [group, first] = matched.try_emplace(sig);
    if (m.card == MatchCardinality::kOneToOne) {
      if (!first) {
        return absl::InvalidArgumentError(
            "multiple matches for labels: many-to-one matching must be explicit (group_left/group_right)");
      }
    } else if (!group->second.insert(metric.Canonical()).second) {
      return absl::InvalidArgumentError("multiple matches for labels: grouping labels must ensure unique matches");
    }
    // A name still marked for removal on the "many" side stays marked.
    const bool drop_name =
        ctx.delayed_name_removal && (e.return_bool || (l_drop_name && metric.Has(kMetricNameLabel)));
    if (pairs != nullptr && many_index != kNoIndex && one_index != kNoIndex) {
      MatchedPair p;
      p.lhs = static_cast<uint32_t>(swapped ? one_index : many_index);
      p.rhs = static_cast<uint32_t>(swapped ? many_index : one_index);
      p.metric = metric;
      p.drop_name = drop_name;
      pairs->push_back(std::move(p));
    }
    if (!keep) return absl::OkStatus();

    VectorSample o;
    o.labels = std::move(metric);
    o.f = v;
    o.t = ctx.t_ms;
    o.drop_name = drop_name;
    out.push_back(std::move(o));
    return absl::OkStatus();
  };

  for (size_t i = 0; i < many.size(); ++i) {
    const VectorSample& ls = many[i];
    auto found = one_by_sig.find(std::string_view(many_sigs[i]));
    if (found != one_by_sig.end()) {
      const VectorSample& rs = one[found->second];
      STRATA_RETURN_IF_ERROR(binop(ls.labels, ls.f, ls.drop_name, rs.labels, rs.f, found->first, i, found->second));
    } else if (m.fill_rhs) {
      // fill_right: the missing "one" sample carries the match group's labels.
      STRATA_RETURN_IF_ERROR(binop(ls.labels, ls.f, ls.drop_name, MatchLabels(ls.labels, m), *m.fill_rhs,
                                   many_sigs[i], i, kNoIndex));
    }
  }
  if (m.fill_lhs) {
    // fill_left: match groups of the "one" side that nothing matched, as
    // Prometheus does it after the main loop (for group_right too, where the
    // "one" side is the left operand).
    for (size_t i = 0; i < one.size(); ++i) {
      if (matched.contains(std::string_view(one_sigs[i]))) continue;
      const VectorSample& rs = one[i];
      STRATA_RETURN_IF_ERROR(
          binop(MatchLabels(rs.labels, m), *m.fill_lhs, false, rs.labels, rs.f, one_sigs[i], kNoIndex, i));
    }
  }
  if (recorded != nullptr) *recorded = pairs != nullptr;
  return absl::OkStatus();
}

}  // namespace strata::promql
