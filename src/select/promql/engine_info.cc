// info(v [, {data-label selector}]): enriches the series of `v` with the
// data labels of matching info series (see engine_eval.h), after
// Prometheus promql/info.go (3.14 semantics):
//   - info series are those named by the selector's `__name__` matchers:
//     all of them when one is positive (= or =~), `.+_info` plus the
//     negative ones when all are negative, `target_info` when there are
//     none; the other matchers select which data labels are added;
//   - an input series whose name those matchers accept is itself an info
//     series and passes through unchanged;
//   - an info series joins an input series when it has the same values of
//     the identifying labels `instance` and `job` that the input series has
//     (an absent label must be absent on both); per info metric the newest
//     sample wins, two with the same timestamp are an error;
//   - the info series are looked up at the time the input expression reads
//     its data (`@` and offset of its selectors, composed through
//     subqueries) when every vector path of the input agrees on that time,
//     else at each step.
#include <algorithm>
#include <map>
#include <set>

#include <fmt/format.h>
#include <re2/re2.h>

#include "common/base/status.h"
#include "select/promql/engine_eval.h"
#include "select/promql/function_signatures.h"
#include "select/promql/go_format.h"

namespace strata::promql::internal {
namespace {

constexpr std::string_view kTargetInfo = "target_info";
constexpr std::string_view kIdentifyingLabels[] = {"instance", "job"};

const Expr& Unwrap(const Expr& e) {
  const Expr* cur = &e;
  while (const auto* p = cur->As<ParenExpr>()) cur = p->expr.get();
  return *cur;
}

// When the input expression of info() reads its data.
struct InfoReference {
  enum class Kind : uint8_t {
    kNoVector,  // no vector path at all (scalars and strings only)
    kFixed,     // every vector path reads at (at or t) - offset
    kMixed,     // paths disagree, or one has no selector: look up at t
  };
  Kind kind = Kind::kNoVector;
  bool has_at = false;
  int64_t at_ms = 0;
  int64_t offset_ms = 0;

  static InfoReference Mixed() { return {Kind::kMixed, false, 0, 0}; }

  bool SameTime(const InfoReference& o) const {
    if (has_at != o.has_at) return false;
    return has_at ? at_ms - offset_ms == o.at_ms - o.offset_ms : offset_ms == o.offset_ms;
  }
  int64_t At(int64_t t) const {
    if (kind != Kind::kFixed) return t;
    return (has_at ? at_ms : t) - offset_ms;
  }
};

InfoReference Combine(const InfoReference& a, const InfoReference& b) {
  using K = InfoReference::Kind;
  if (a.kind == K::kNoVector) return b;
  if (b.kind == K::kNoVector) return a;
  if (a.kind == K::kMixed || b.kind == K::kMixed || !a.SameTime(b)) return InfoReference::Mixed();
  return a;
}

bool ProducesVectors(const Expr& e) {
  ValueType t = e.Type();
  return t == ValueType::kVector || t == ValueType::kMatrix;
}

template <typename Resolve>
InfoReference SelectorReference(const VectorSelector& vs, const Resolve& resolve) {
  InfoReference r{InfoReference::Kind::kFixed, vs.at != AtModifier::kNone, 0, vs.offset_ms};
  if (r.has_at) r.at_ms = resolve(vs.at, vs.at_ms);
  return r;
}

template <typename Resolve>
InfoReference ReferenceOf(const Expr& e, const Resolve& resolve) {
  using K = InfoReference::Kind;
  if (const auto* vs = e.As<VectorSelector>()) return SelectorReference(*vs, resolve);
  if (const auto* ms = e.As<MatrixSelector>()) return SelectorReference(ms->selector, resolve);
  if (const auto* sq = e.As<SubqueryExpr>()) {
    InfoReference inner = ReferenceOf(*sq->expr, resolve);
    if (inner.kind != K::kFixed) return InfoReference::Mixed();
    if (inner.has_at) return inner;  // the inner `@` pins it whatever the subquery's steps
    inner.offset_ms += sq->offset_ms;
    if (sq->at != AtModifier::kNone) {
      inner.has_at = true;
      inner.at_ms = resolve(sq->at, sq->at_ms);
    }
    return inner;
  }
  if (const auto* p = e.As<ParenExpr>()) return ReferenceOf(*p->expr, resolve);
  if (const auto* u = e.As<UnaryExpr>()) return ReferenceOf(*u->expr, resolve);
  if (const auto* b = e.As<BinaryExpr>()) {
    InfoReference out;
    if (ProducesVectors(*b->lhs)) out = Combine(out, ReferenceOf(*b->lhs, resolve));
    if (ProducesVectors(*b->rhs)) out = Combine(out, ReferenceOf(*b->rhs, resolve));
    if (out.kind == K::kNoVector && ProducesVectors(e)) return InfoReference::Mixed();
    return out;
  }
  if (const auto* a = e.As<AggregateExpr>()) return ReferenceOf(*a->expr, resolve);
  if (const auto* c = e.As<Call>()) {
    if (!ProducesVectors(e)) return {};
    if (c->func != nullptr && c->func->name == "info" && !c->args.empty()) return ReferenceOf(*c->args[0], resolve);
    InfoReference out;
    for (const ExprPtr& arg : c->args) {
      if (ProducesVectors(*arg)) out = Combine(out, ReferenceOf(*arg, resolve));
    }
    // A vector made from scalars only (vector(1)) has no time of its own.
    return out.kind == K::kNoVector ? InfoReference::Mixed() : out;
  }
  return {};  // number and string literals
}

// The part of an info signature after the metric name: the identifying
// labels the series has.
std::string IdentifyingKey(const Labels& labels) {
  std::string key;
  for (std::string_view name : kIdentifyingLabels) {
    std::string_view v = labels.Get(name);
    if (v.empty()) continue;
    key.append(name);
    key.push_back('\0');
    key.append(v);
    key.push_back('\0');
  }
  return key;
}

std::string Signature(std::string_view info_name, std::string_view id_key) {
  std::string sig(info_name);
  sig.push_back('\xff');  // never part of a valid UTF-8 name
  sig.append(id_key);
  return sig;
}

// labels.Labels.String() of Prometheus: every label, `__name__` included.
std::string LabelsString(const Labels& labels) {
  std::string out = "{";
  bool first = true;
  for (const Label& l : labels) {
    if (!first) out.append(", ");
    first = false;
    out.append(l.name);
    out.push_back('=');
    AppendGoQuoted(l.value, &out);
  }
  out.push_back('}');
  return out;
}

bool MatchesAll(const std::vector<Matcher>& matchers, std::string_view value) {
  for (const Matcher& m : matchers) {
    if (!m.Matches(value)) return false;
  }
  return true;
}

// One fetched info series, walked forward over the reference times.
struct InfoSeries {
  SeriesSamples data;
  std::string name;
  std::string sig;  // Signature(name, its identifying labels)
  size_t next = 0;  // first sample after the current reference time
};

}  // namespace

absl::StatusOr<EvalValue> Evaluator::EvalInfo(const Call& call, const StepRange& r) {
  if (call.args.empty() || call.args.size() > 2) return absl::InvalidArgumentError("info takes one or two arguments");
  STRATA_ASSIGN_OR_RETURN(EvalValue base, Eval(Unwrap(*call.args[0]), r));

  // The selector's matchers: `__name__` ones choose the info metrics, the
  // others (by label name) the data labels.
  std::vector<Matcher> name_matchers;
  std::map<std::string, std::vector<const Matcher*>> data_matchers;
  std::vector<Matcher> select_data_matchers;
  if (call.args.size() == 2) {
    const auto* sel = Unwrap(*call.args[1]).As<VectorSelector>();
    if (sel == nullptr) return absl::InvalidArgumentError("expected label selectors only");
    for (const Matcher& m : sel->matchers) {
      if (m.name() == kMetricNameLabel) {
        name_matchers.push_back(m);
      } else {
        data_matchers[m.name()].push_back(&m);
        select_data_matchers.push_back(m);
      }
    }
  }
  const bool any_positive = std::any_of(name_matchers.begin(), name_matchers.end(), [](const Matcher& m) {
    return m.type() == MatchType::kEqual || m.type() == MatchType::kRegexMatch;
  });
  if (!any_positive) {
    // Negative matchers alone would select every other metric: restrict
    // them to info metrics.
    auto implicit = name_matchers.empty()
                        ? Matcher::Create(MatchType::kEqual, std::string(kMetricNameLabel), std::string(kTargetInfo))
                        : Matcher::Create(MatchType::kRegexMatch, std::string(kMetricNameLabel), ".+_info");
    if (!implicit.ok()) return implicit.status();
    name_matchers.insert(name_matchers.begin(), *std::move(implicit));
  }

  // Input series that are info series themselves are not enriched, and
  // only the others' identifying labels select info series.
  const size_t nbase = base.series.size();
  std::vector<bool> ignored(nbase, false);
  std::vector<std::string> base_id_keys(nbase);
  std::map<std::string_view, std::set<std::string>> id_values;
  for (size_t i = 0; i < nbase; ++i) {
    const Labels& labels = base.series[i].labels;
    ignored[i] = MatchesAll(name_matchers, labels.MetricName());
    if (ignored[i]) continue;
    base_id_keys[i] = IdentifyingKey(labels);
    for (std::string_view name : kIdentifyingLabels) {
      std::string_view v = labels.Get(name);
      if (!v.empty()) id_values[name].emplace(v);
    }
  }

  auto resolve = [this](AtModifier at, int64_t at_ms) { return ResolveAt(at, at_ms); };
  const InfoReference ref = ReferenceOf(Unwrap(*call.args[0]), resolve);
  const size_t steps = r.NumSteps();

  std::vector<InfoSeries> infos;
  if (!id_values.empty() && steps > 0) {
    std::vector<Matcher> matchers = name_matchers;
    for (const auto& [name, values] : id_values) {
      std::string pattern;
      for (const std::string& v : values) {
        if (!pattern.empty()) pattern.push_back('|');
        pattern += RE2::QuoteMeta(v);
      }
      auto m = Matcher::Create(MatchType::kRegexMatch, std::string(name), std::move(pattern));
      if (!m.ok()) return m.status();
      matchers.push_back(*std::move(m));
    }
    matchers.insert(matchers.end(), select_data_matchers.begin(), select_data_matchers.end());
    const int64_t first = ref.At(r.start);
    const int64_t last = ref.At(r.Time(steps - 1));
    SelectHints hints;
    hints.min_time_ms = std::min(first, last) - q_.lookback_delta_ms + 1;
    hints.max_time_ms = std::max(first, last);
    STRATA_RETURN_IF_ERROR(CheckDeadline());
    STRATA_ASSIGN_OR_RETURN(SeriesSet set, querier_.Select(hints, matchers));
    std::vector<SeriesSamples> loaded = Absorb(set);
    infos.reserve(loaded.size());
    for (SeriesSamples& s : loaded) {
      if (s.samples.empty()) continue;
      InfoSeries is;
      is.name = std::string(s.labels.MetricName());
      is.sig = Signature(is.name, IdentifyingKey(s.labels));
      is.data = std::move(s);
      infos.push_back(std::move(is));
    }
  }
  std::set<std::string> info_names;
  for (const InfoSeries& is : infos) info_names.insert(is.name);
  // Per input series, its signature for each info metric.
  std::vector<std::vector<std::string>> base_sigs(nbase);
  for (size_t i = 0; i < nbase; ++i) {
    if (ignored[i]) continue;
    for (const std::string& name : info_names) base_sigs[i].push_back(Signature(name, base_id_keys[i]));
  }
  bool all_data_matchers_match_empty = true;
  for (const auto& [name, ms] : data_matchers) {
    for (const Matcher* m : ms) all_data_matchers_match_empty = all_data_matchers_match_empty && m->Matches("");
  }

  struct Chosen {
    size_t info = 0;
    int64_t t = 0;  // the sample's own time
  };
  absl::flat_hash_map<std::string_view, Chosen> by_sig;  // keys point into `infos`
  std::vector<size_t> cursor(nbase, 0);
  SeriesAssembler assembler;
  Vector out;
  std::vector<Label> extra;
  for (size_t step = 0; step < steps; ++step) {
    STRATA_RETURN_IF_ERROR(CheckDeadline());
    const int64_t t = r.Time(step);
    const int64_t at = ref.At(t);
    out.clear();

    // The newest info sample per signature at the reference time.
    by_sig.clear();
    for (size_t k = 0; k < infos.size(); ++k) {
      InfoSeries& is = infos[k];
      const std::vector<Sample>& samples = is.data.samples;
      // Reference times only move forward, except that a fixed `@` repeats.
      while (is.next > 0 && samples[is.next - 1].timestamp_ms > at) --is.next;
      while (is.next < samples.size() && samples[is.next].timestamp_ms <= at) ++is.next;
      if (is.next == 0) continue;
      const Sample& latest = samples[is.next - 1];
      if (latest.timestamp_ms <= at - q_.lookback_delta_ms || IsStaleNaN(latest.value)) continue;
      auto [it, inserted] = by_sig.try_emplace(is.sig, Chosen{k, latest.timestamp_ms});
      if (inserted || it->second.t > latest.timestamp_ms) continue;
      if (it->second.t < latest.timestamp_ms) {
        it->second = Chosen{k, latest.timestamp_ms};
        continue;
      }
      return absl::InvalidArgumentError(
          fmt::format("found duplicate series for info metric: existing {} @ {}, new {} @ {}",
                      LabelsString(infos[it->second.info].data.labels), it->second.t, LabelsString(is.data.labels),
                      latest.timestamp_ms));
    }

    for (size_t i = 0; i < nbase; ++i) {
      const Series& bs = base.series[i];
      size_t& c = cursor[i];
      while (c < bs.floats.size() && bs.floats[c].t < t) ++c;
      if (c >= bs.floats.size() || bs.floats[c].t != t) continue;
      const double f = bs.floats[c].f;
      if (ignored[i]) {
        out.push_back(VectorSample{bs.labels, f, t, bs.drop_name});
        continue;
      }
      extra.clear();
      bool matched = false;
      for (const std::string& sig : base_sigs[i]) {
        auto it = by_sig.find(sig);
        if (it == by_sig.end()) continue;
        matched = true;
        for (const Label& l : infos[it->second.info].data.labels) {
          if (l.name == kMetricNameLabel) continue;
          if (!data_matchers.empty() && !data_matchers.count(l.name)) continue;
          auto prev = std::find_if(extra.begin(), extra.end(), [&](const Label& e) { return e.name == l.name; });
          if (prev != extra.end()) {
            if (prev->value != l.value) return absl::InvalidArgumentError(fmt::format("conflicting label: {}", l.name));
            continue;
          }
          if (bs.labels.Has(l.name)) continue;
          extra.push_back(l);
        }
      }
      // Without an info series only a selector that accepts missing data
      // labels keeps the series.
      if (!matched && !all_data_matchers_match_empty) continue;
      VectorSample s;
      if (extra.empty()) {
        s.labels = bs.labels;
      } else {
        std::vector<Label> all(bs.labels.begin(), bs.labels.end());
        all.insert(all.end(), extra.begin(), extra.end());
        s.labels = Labels::FromUnsorted(std::move(all));
      }
      s.f = f;
      s.t = t;
      s.drop_name = bs.drop_name;
      out.push_back(std::move(s));
    }
    STRATA_RETURN_IF_ERROR(AddSamples(static_cast<int64_t>(out.size())));
    STRATA_RETURN_IF_ERROR(assembler.Add(t, out));
  }
  ReleaseSamples(base.TotalPoints());
  EvalValue result;
  result.type = ValueType::kVector;
  result.series = assembler.Finish();
  return result;
}

}  // namespace strata::promql::internal
