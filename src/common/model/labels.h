// File: common/model/labels.h
//
// The identity of a series: a set of (name, value) label pairs, sorted by
// name, names unique. `__name__` is a label like any other. The canonical
// bytes of a series are its sorted `name\0value\0` pairs (DESIGN.md
// "Identity of a series"); they feed the placement hash and index keys.
//
// LabelView is the zero-copy form used on ingest paths (views into a request
// buffer); Labels owns its strings.
#pragma once

#include <compare>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace strata {

inline constexpr std::string_view kMetricNameLabel = "__name__";

struct Label {
  std::string name;
  std::string value;

  friend bool operator==(const Label&, const Label&) = default;
  friend auto operator<=>(const Label&, const Label&) = default;
};

struct LabelView {
  std::string_view name;
  std::string_view value;
};

// Sorted, unique-name label set. Thread-compatible.
class Labels {
 public:
  Labels() = default;

  // Sorts `labels` by name. REQUIRES: names are unique (use Validate* first
  // for untrusted input).
  static Labels FromUnsorted(std::vector<Label> labels);
  // REQUIRES: `labels` sorted by name with unique names.
  static Labels FromSorted(std::vector<Label> labels);
  static Labels FromViews(std::span<const LabelView> sorted_views);

  // Value of `name`, or "" when absent (Prometheus treats both the same).
  std::string_view Get(std::string_view name) const;
  bool Has(std::string_view name) const;
  std::string_view MetricName() const { return Get(kMetricNameLabel); }

  // Appends `name\0value\0` for every label, in order.
  void AppendCanonical(std::string* out) const;
  std::string Canonical() const;

  // `{__name__="x", a="b"}` rendering in Prometheus's form: `x{a="b"}`.
  std::string ToString() const;

  const std::vector<Label>& items() const { return labels_; }
  size_t size() const { return labels_.size(); }
  bool empty() const { return labels_.empty(); }
  auto begin() const { return labels_.begin(); }
  auto end() const { return labels_.end(); }

  friend bool operator==(const Labels&, const Labels&) = default;
  friend auto operator<=>(const Labels& a, const Labels& b) { return a.labels_ <=> b.labels_; }

 private:
  std::vector<Label> labels_;
};

template <typename H>
H AbslHashValue(H h, const Labels& labels) {
  for (const Label& l : labels) h = H::combine(std::move(h), l.name, l.value);
  return h;
}

// Appends the canonical bytes of sorted views.
void AppendCanonical(std::span<const LabelView> sorted, std::string* out);

// Checks an ingested label set and sorts it in place by name. Returns
// InvalidArgument naming the problem: no labels, missing or empty __name__,
// an empty label name, a NUL byte in a label name, a duplicate label name,
// or invalid UTF-8 in a name or value. Labels with empty values are dropped (Prometheus treats an empty
// value as an absent label).
absl::Status ValidateAndSortLabels(std::vector<LabelView>* labels);

// True when `s` is well-formed UTF-8.
bool IsValidUtf8(std::string_view s);

// Renders views as `{a="b", ...}` for error messages.
std::string FormatLabelViews(std::span<const LabelView> labels);

}  // namespace strata
