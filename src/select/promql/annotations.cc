#include "select/promql/annotations.h"

#include <algorithm>

#include <fmt/format.h>

#include "select/promql/go_format.h"

namespace strata::promql {
namespace {

std::vector<std::string> Render(const std::vector<Annotation>& items, AnnotationKind kind, std::string_view prefix,
                                std::string_view query) {
  std::vector<std::string> out;
  for (const Annotation& a : items) {
    if (a.kind != kind) continue;
    out.push_back(fmt::format("{}{} ({})", prefix, a.message, LineColumn(query, a.pos.start)));
  }
  return out;
}

}  // namespace

void Annotations::Add(Annotation annotation) {
  std::string key = fmt::format("{}:{}:{}", static_cast<int>(annotation.kind), annotation.pos.start, annotation.message);
  if (!seen_.insert(std::move(key)).second) return;
  items_.push_back(std::move(annotation));
}

void Annotations::Warn(PositionRange pos, std::string message) {
  Add({AnnotationKind::kWarning, std::move(message), pos});
}

void Annotations::Info(PositionRange pos, std::string message) { Add({AnnotationKind::kInfo, std::move(message), pos}); }

void Annotations::Merge(const Annotations& other) {
  for (const Annotation& a : other.items_) Add(a);
}

void WarnIfInvalidQuantile(Annotations* annotations, PositionRange pos, double q) {
  if (annotations == nullptr || (q >= 0 && q <= 1)) return;  // NaN fails both comparisons
  annotations->Warn(pos, fmt::format("quantile value should be between 0 and 1, got {}", GoFormatG(q)));
}

std::vector<std::string> Annotations::RenderWarnings(std::string_view query) const {
  return Render(items_, AnnotationKind::kWarning, "PromQL warning: ", query);
}

std::vector<std::string> Annotations::RenderInfos(std::string_view query) const {
  return Render(items_, AnnotationKind::kInfo, "PromQL info: ", query);
}

std::string LineColumn(std::string_view query, int pos) {
  int line = 1;
  int last_line_break = -1;
  for (int i = 0; i < pos && i < static_cast<int>(query.size()); ++i) {
    if (query[i] == '\n') {
      ++line;
      last_line_break = i;
    }
  }
  return fmt::format("{}:{}", line, pos - last_line_break);
}

}  // namespace strata::promql
