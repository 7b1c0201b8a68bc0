#include "common/model/matcher.h"

#include <re2/re2.h>

#include <fmt/format.h>

namespace strata {
namespace {

// Splits `a|b|c` into literals when no part has a regex metacharacter.
std::vector<std::string> LiteralAlternatives(std::string_view pattern) {
  static constexpr std::string_view kMeta = "\\.+*?()[]{}^$|";
  std::vector<std::string> out;
  size_t start = 0;
  while (true) {
    size_t bar = pattern.find('|', start);
    std::string_view part = pattern.substr(start, bar == std::string_view::npos ? std::string_view::npos : bar - start);
    if (part.find_first_of(kMeta) != std::string_view::npos) return {};
    out.emplace_back(part);
    if (bar == std::string_view::npos) break;
    start = bar + 1;
  }
  return out;
}

}  // namespace

std::string_view MatchTypeToString(MatchType type) {
  switch (type) {
    case MatchType::kEqual: return "=";
    case MatchType::kNotEqual: return "!=";
    case MatchType::kRegexMatch: return "=~";
    case MatchType::kRegexNoMatch: return "!~";
  }
  return "?";
}

absl::StatusOr<Matcher> Matcher::Create(MatchType type, std::string name, std::string value) {
  Matcher m;
  m.type_ = type;
  m.name_ = std::move(name);
  m.value_ = std::move(value);
  if (type == MatchType::kRegexMatch || type == MatchType::kRegexNoMatch) {
    RE2::Options options;
    options.set_dot_nl(true);  // Prometheus 3: `.` matches newlines too.
    options.set_log_errors(false);
    auto regex = std::make_shared<RE2>("^(?:" + m.value_ + ")$", options);
    if (!regex->ok()) {
      return absl::InvalidArgumentError(
          fmt::format("invalid regular expression \"{}\": {}", m.value_, regex->error()));
    }
    m.regex_ = std::move(regex);
    m.literals_ = LiteralAlternatives(m.value_);
  }
  m.matches_empty_ = m.Matches("");
  return m;
}

bool Matcher::Matches(std::string_view v) const {
  switch (type_) {
    case MatchType::kEqual: return v == value_;
    case MatchType::kNotEqual: return v != value_;
    case MatchType::kRegexMatch: return RE2::FullMatch(v, *regex_);
    case MatchType::kRegexNoMatch: return !RE2::FullMatch(v, *regex_);
  }
  return false;
}

std::string Matcher::ToString() const {
  std::string out = name_;
  out.append(MatchTypeToString(type_));
  out.push_back('"');
  for (char c : value_) {
    if (c == '"' || c == '\\') out.push_back('\\');
    out.push_back(c);
  }
  out.push_back('"');
  return out;
}

}  // namespace strata
