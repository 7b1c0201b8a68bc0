// label_replace and label_join, after Prometheus promql/functions.go
// (evalLabelReplace, evalLabelJoin). Both keep the metric name unless they
// write `__name__` themselves, in which case a pending name removal is
// cancelled. Collisions between the rewritten series are the engine's
// business ("vector cannot contain metrics with the same labelset").

#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "fmt/format.h"
#include "re2/re2.h"
#include "select/promql/functions_internal.h"

namespace strata::promql {
namespace {

// Prometheus (model.UTF8Validation): any non-empty valid UTF-8 string.
bool IsValidLabelName(std::string_view name) { return !name.empty() && IsValidUtf8(name); }

// `labels` with `name` set to `value`, or removed when `value` is empty.
Labels WithLabel(const Labels& labels, std::string_view name, std::string value) {
  std::vector<Label> out;
  out.reserve(labels.size() + 1);
  bool placed = false;
  for (const Label& l : labels) {
    if (!placed && l.name >= name) {
      placed = true;
      if (!value.empty()) out.push_back(Label{std::string(name), std::move(value)});
      if (l.name == name) continue;
    }
    out.push_back(l);
  }
  if (!placed && !value.empty()) out.push_back(Label{std::string(name), std::move(value)});
  return Labels::FromSorted(std::move(out));
}

// The compiled regex of the last label_replace pattern on this thread: the
// evaluator calls once per step with the same pattern.
std::shared_ptr<const RE2> CompileCached(const std::string& anchored) {
  thread_local std::string cached_pattern;
  thread_local std::shared_ptr<const RE2> cached;
  if (cached != nullptr && cached_pattern == anchored) return cached;
  RE2::Options opts;
  opts.set_log_errors(false);
  auto re = std::make_shared<const RE2>(anchored, opts);
  if (!re->ok()) return nullptr;
  cached_pattern = anchored;
  cached = re;
  return re;
}

bool IsNameChar(unsigned char c) {
  // Go's unicode.IsLetter/IsDigit for ASCII; any non-ASCII byte is taken as
  // part of a (letter) rune.
  return c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c >= 0x80;
}

// Go's Regexp.Expand: `$1`, `${1}`, `$name`, `${name}`, `$$`; a malformed
// reference is copied as text; an unknown or unmatched group expands to "".
std::string Expand(const RE2& re, std::string_view tmpl, const std::vector<re2::StringPiece>& groups) {
  std::string out;
  size_t i = 0;
  while (i < tmpl.size()) {
    size_t dollar = tmpl.find('$', i);
    if (dollar == std::string_view::npos) break;
    out.append(tmpl.substr(i, dollar - i));
    i = dollar + 1;
    if (i < tmpl.size() && tmpl[i] == '$') {
      out.push_back('$');
      ++i;
      continue;
    }
    // Parse the reference.
    size_t j = i;
    const bool brace = j < tmpl.size() && tmpl[j] == '{';
    if (brace) ++j;
    const size_t name_start = j;
    while (j < tmpl.size() && IsNameChar(static_cast<unsigned char>(tmpl[j]))) ++j;
    std::string_view name = tmpl.substr(name_start, j - name_start);
    bool ok = !name.empty();
    if (ok && brace) {
      if (j < tmpl.size() && tmpl[j] == '}') {
        ++j;
      } else {
        ok = false;
      }
    }
    if (!ok) {
      out.push_back('$');
      continue;
    }
    i = j;
    int num = 0;
    for (char c : name) {
      if (c < '0' || c > '9' || num >= 100000000) {
        num = -1;
        break;
      }
      num = num * 10 + (c - '0');
    }
    if (name.size() > 1 && name[0] == '0') num = -1;
    if (num < 0) {
      const auto& named = re.NamedCapturingGroups();
      auto it = named.find(std::string(name));
      if (it == named.end()) continue;
      num = it->second;
    }
    if (num >= 0 && static_cast<size_t>(num) < groups.size() && groups[num].data() != nullptr) {
      out.append(groups[num].data(), groups[num].size());
    }
  }
  if (i < tmpl.size()) out.append(tmpl.substr(i));
  return out;
}

absl::Status FuncLabelReplace(std::span<const FunctionArg> args, const FunctionCallContext& ctx, Vector& out) {
  const std::string dst(args[1].str);
  const std::string_view repl = args[2].str;
  const std::string src(args[3].str);
  const std::string_view regex = args[4].str;
  std::shared_ptr<const RE2> re = CompileCached(fmt::format("^(?s:{})$", regex));
  if (re == nullptr) {
    return absl::InvalidArgumentError(fmt::format("invalid regular expression in label_replace(): {}", regex));
  }
  if (!IsValidLabelName(dst)) {
    return absl::InvalidArgumentError(fmt::format("invalid destination label name in label_replace(): {}", dst));
  }
  std::vector<re2::StringPiece> groups(static_cast<size_t>(re->NumberOfCapturingGroups()) + 1);
  for (const VectorSample& s : *args[0].vector) {
    VectorSample o = s;
    o.t = ctx.t_ms;
    std::string_view value = s.labels.Get(src);
    if (re->Match(value, 0, value.size(), RE2::UNANCHORED, groups.data(), static_cast<int>(groups.size()))) {
      o.labels = WithLabel(s.labels, dst, Expand(*re, repl, groups));
      if (dst == kMetricNameLabel) o.drop_name = false;
    }
    out.push_back(std::move(o));
  }
  return absl::OkStatus();
}

absl::Status FuncLabelJoin(std::span<const FunctionArg> args, const FunctionCallContext& ctx, Vector& out) {
  const std::string dst(args[1].str);
  const std::string_view sep = args[2].str;
  for (size_t i = 3; i < args.size(); ++i) {
    if (!IsValidLabelName(args[i].str)) {
      return absl::InvalidArgumentError(fmt::format("invalid source label name in label_join(): {}", args[i].str));
    }
  }
  if (!IsValidLabelName(dst)) {
    return absl::InvalidArgumentError(fmt::format("invalid destination label name in label_join(): {}", dst));
  }
  for (const VectorSample& s : *args[0].vector) {
    std::string joined;
    for (size_t i = 3; i < args.size(); ++i) {
      if (i > 3) joined.append(sep);
      joined.append(s.labels.Get(args[i].str));
    }
    VectorSample o;
    o.labels = WithLabel(s.labels, dst, std::move(joined));
    o.f = s.f;
    o.t = ctx.t_ms;
    o.drop_name = dst == kMetricNameLabel ? false : s.drop_name;
    out.push_back(std::move(o));
  }
  return absl::OkStatus();
}

}  // namespace

void RegisterLabelFunctions(std::vector<FunctionImplEntry>& out) {
  out.push_back({"label_join", FuncLabelJoin});
  out.push_back({"label_replace", FuncLabelReplace});
}

}  // namespace strata::promql
