// File: common/model/matcher.h
//
// A label matcher of a PromQL selector: `=`, `!=`, `=~`, `!~`. Regexes use
// RE2 syntax and are fully anchored, as in Prometheus; `.` also matches a
// newline (Prometheus 3 semantics). A matcher whose pattern matches the empty
// string also selects series that lack the label.
//
// Matchers are immutable after Create and cheap to copy (the compiled regex
// is shared). Thread-safe.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace re2 {
class RE2;
}

namespace strata {

enum class MatchType : uint8_t { kEqual = 0, kNotEqual = 1, kRegexMatch = 2, kRegexNoMatch = 3 };

std::string_view MatchTypeToString(MatchType type);

class Matcher {
 public:
  // Compiles the regex for the regex types. Returns InvalidArgument naming
  // the pattern when it does not compile.
  static absl::StatusOr<Matcher> Create(MatchType type, std::string name, std::string value);

  MatchType type() const { return type_; }
  const std::string& name() const { return name_; }
  const std::string& value() const { return value_; }

  // True when a label value `v` is selected ("" stands for an absent label).
  bool Matches(std::string_view v) const;

  // True when the matcher selects series lacking the label, i.e. Matches("").
  bool MatchesEmpty() const { return matches_empty_; }

  // For `=~` patterns that are a plain alternation of literals (`a|b|c`),
  // the literals; empty otherwise. Lets an index go straight to postings.
  const std::vector<std::string>& literal_alternatives() const { return literals_; }

  // `name="value"` in PromQL syntax.
  std::string ToString() const;

 private:
  Matcher() = default;

  MatchType type_ = MatchType::kEqual;
  std::string name_;
  std::string value_;
  std::shared_ptr<const re2::RE2> regex_;
  std::vector<std::string> literals_;
  bool matches_empty_ = false;
};

}  // namespace strata
