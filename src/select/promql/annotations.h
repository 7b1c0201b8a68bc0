// File: select/promql/annotations.h
//
// Warnings and infos that a query produces besides its result, after
// Prometheus util/annotations. The API returns them in "warnings" and
// "infos"; the conformance scripts check their exact text, which ends with
// the ` (line:col)` position of the sub-expression that raised them, so each
// annotation keeps the position and is rendered against the query text.
//
// An annotation raised again (same kind, message and start position: the
// same rendered text) is kept once, so functions and operators may report at
// every step and series without a check of their own.
//
// Thread-compatible: one Annotations per query evaluation.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "select/promql/ast.h"

namespace strata::promql {

enum class AnnotationKind : uint8_t { kWarning, kInfo };

struct Annotation {
  AnnotationKind kind = AnnotationKind::kWarning;
  // Without the "PromQL warning: " / "PromQL info: " prefix and without the
  // position, e.g. `metric might not be a counter, name does not end in
  // _total/_sum/_count/_bucket: "foo"`.
  std::string message;
  PositionRange pos;
};

class Annotations {
 public:
  void Warn(PositionRange pos, std::string message);
  void Info(PositionRange pos, std::string message);
  void Merge(const Annotations& other);

  bool empty() const { return items_.empty(); }
  const std::vector<Annotation>& items() const { return items_; }

  // "PromQL warning: <message> (line:col)" for each warning, in the order
  // raised; positions are resolved against `query`.
  std::vector<std::string> RenderWarnings(std::string_view query) const;
  std::vector<std::string> RenderInfos(std::string_view query) const;

 private:
  void Add(Annotation annotation);

  std::vector<Annotation> items_;
  // kind, start position and message of every item.
  absl::flat_hash_set<std::string> seen_;
};

// Warns "quantile value should be between 0 and 1, got <q>" at `pos` when
// `q` is NaN or outside [0, 1] (quantile, quantile_over_time,
// histogram_quantile[s]). `annotations` may be null.
void WarnIfInvalidQuantile(Annotations* annotations, PositionRange pos, double q);

// "line:col" of byte offset `pos` in `query`, 1-based, as Prometheus prints
// positions in parse errors and annotations.
std::string LineColumn(std::string_view query, int pos);

}  // namespace strata::promql
