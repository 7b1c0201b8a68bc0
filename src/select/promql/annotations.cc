#include "select/promql/annotations.h"

#include <algorithm>

#include <fmt/format.h>

namespace strata::promql {
namespace {

std::vector<std::string> Render(const std::vector<Annotation>& items, AnnotationKind kind, std::string_view prefix,
                                std::string_view query) {
  std::vector<std::string> out;
  for (const Annotation& a : items) {
    if (a.kind != kind) continue;
    std::string text = fmt::format("{}{} ({})", prefix, a.message, LineColumn(query, a.pos.start));
    if (std::find(out.begin(), out.end(), text) == out.end()) out.push_back(std::move(text));
  }
  return out;
}

}  // namespace

void Annotations::Warn(PositionRange pos, std::string message) {
  items_.push_back({AnnotationKind::kWarning, std::move(message), pos});
}

void Annotations::Info(PositionRange pos, std::string message) {
  items_.push_back({AnnotationKind::kInfo, std::move(message), pos});
}

void Annotations::Merge(const Annotations& other) {
  items_.insert(items_.end(), other.items_.begin(), other.items_.end());
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
