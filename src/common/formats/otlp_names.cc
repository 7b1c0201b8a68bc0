#include "common/formats/otlp_names.h"

#include <algorithm>
#include <utility>
#include <vector>

#include <fmt/format.h>

namespace strata {
namespace {

// UCUM units -> Prometheus unit words (otlptranslator's unitMap). Units not
// listed are used as written, after character clean-up.
constexpr std::pair<std::string_view, std::string_view> kUnits[] = {
    {"d", "days"},         {"h", "hours"},        {"min", "minutes"},    {"s", "seconds"},
    {"ms", "milliseconds"}, {"us", "microseconds"}, {"ns", "nanoseconds"}, {"By", "bytes"},
    {"KiBy", "kibibytes"}, {"MiBy", "mebibytes"}, {"GiBy", "gibibytes"}, {"TiBy", "tibibytes"},
    {"KBy", "kilobytes"},  {"MBy", "megabytes"},  {"GBy", "gigabytes"},  {"TBy", "terabytes"},
    {"m", "meters"},       {"V", "volts"},        {"A", "amperes"},      {"J", "joules"},
    {"W", "watts"},        {"g", "grams"},        {"Cel", "celsius"},    {"Hz", "hertz"},
    {"1", ""},             {"%", "percent"},
};

// The denominator of "x/y" units, singular.
constexpr std::pair<std::string_view, std::string_view> kPerUnits[] = {
    {"s", "second"}, {"m", "minute"}, {"h", "hour"}, {"d", "day"},
    {"w", "week"},   {"mo", "month"}, {"y", "year"},
};

template <size_t N>
std::string_view Lookup(const std::pair<std::string_view, std::string_view> (&table)[N], std::string_view key) {
  for (const auto& [from, to] : table) {
    if (from == key) return to;
  }
  return key;
}

bool IsAsciiAlnum(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'); }
bool IsDigit(char c) { return c >= '0' && c <= '9'; }

// Calls fn(c) for each character of `s`, with every non-ASCII UTF-8
// sequence passed as one '\x80' (Go's regexp and FieldsFunc work per rune).
template <typename Fn>
void ForEachRune(std::string_view s, Fn fn) {
  for (char c : s) {
    auto b = static_cast<unsigned char>(c);
    if (b < 0x80) {
      fn(c);
    } else if ((b & 0xC0) != 0x80) {  // lead byte; continuation bytes are skipped
      fn('\x80');
    }
  }
}

std::string_view TrimSpace(std::string_view s) {
  auto space = [](char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f'; };
  while (!s.empty() && space(s.front())) s.remove_prefix(1);
  while (!s.empty() && space(s.back())) s.remove_suffix(1);
  return s;
}

bool HasBraces(std::string_view s) { return s.find_first_of("{}") != std::string_view::npos; }

// Replaces characters outside [a-zA-Z0-9:] by '_', collapses runs of '_'
// and drops one leading '_' (otlptranslator's cleanUpUnit).
std::string CleanUpUnit(std::string_view unit) {
  std::string out;
  ForEachRune(unit, [&](char c) {
    char m = IsAsciiAlnum(c) || c == ':' ? c : '_';
    if (m == '_' && !out.empty() && out.back() == '_') return;
    out.push_back(m);
  });
  if (!out.empty() && out.front() == '_') out.erase(0, 1);
  return out;
}

// The main and "per" unit words of a UCUM unit, cleaned up: "By/s" ->
// {"bytes", "per_second"}. Annotations ("{requests}") give no word.
std::pair<std::string, std::string> UnitWords(std::string_view unit) {
  size_t slash = unit.find('/');
  std::string_view main_unit = TrimSpace(unit.substr(0, slash));
  std::string main_word, per_word;
  if (!main_unit.empty() && !HasBraces(main_unit)) main_word = std::string(Lookup(kUnits, main_unit));
  if (slash != std::string_view::npos && slash + 1 < unit.size()) {
    std::string_view per_unit = TrimSpace(unit.substr(slash + 1));
    if (!per_unit.empty() && !HasBraces(per_unit)) {
      std::string_view word = Lookup(kPerUnits, per_unit);
      if (!word.empty()) per_word = fmt::format("per_{}", word);
    }
  }
  return {CleanUpUnit(main_word), CleanUpUnit(per_word)};
}

bool Contains(const std::vector<std::string>& tokens, std::string_view word) {
  return std::find(tokens.begin(), tokens.end(), word) != tokens.end();
}

// Moves `word` to the end of `tokens`, removing other copies of it.
void AppendLast(std::vector<std::string>* tokens, std::string_view word) {
  std::erase(*tokens, word);
  tokens->emplace_back(word);
}

bool AllUnderscores(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](char c) { return c == '_'; });
}

}  // namespace

absl::StatusOr<std::string> OtlpMetricName(std::string_view name, std::string_view unit, OtlpMetricKind kind) {
  std::vector<std::string> tokens;
  std::string current;
  ForEachRune(name, [&](char c) {
    if (IsAsciiAlnum(c) || c == ':') {
      current.push_back(c);
    } else if (!current.empty()) {
      tokens.push_back(std::move(current));
      current.clear();
    }
  });
  if (!current.empty()) tokens.push_back(std::move(current));

  auto [main_word, per_word] = UnitWords(unit);
  if (Contains(tokens, main_word)) main_word.clear();
  if (per_word == "per_") {
    per_word.clear();
  } else {
    if (!per_word.empty() && per_word.back() == '_') per_word.pop_back();
    if (Contains(tokens, per_word)) per_word.clear();
  }
  if (!per_word.empty() && !main_word.empty() && main_word.back() == '_') main_word.pop_back();
  if (!main_word.empty()) tokens.push_back(std::move(main_word));
  if (!per_word.empty()) tokens.push_back(std::move(per_word));

  if (kind == OtlpMetricKind::kMonotonicSum) AppendLast(&tokens, "total");
  if (unit == "1" && kind == OtlpMetricKind::kGauge) AppendLast(&tokens, "ratio");

  std::string out;
  for (const std::string& t : tokens) {
    if (!out.empty()) out.push_back('_');
    out.append(t);
  }
  if (!out.empty() && IsDigit(out.front())) out.insert(0, "_");
  if (out.empty()) return absl::InvalidArgumentError(fmt::format("metric name \"{}\" normalizes to an empty name", name));
  if (out != name && AllUnderscores(out)) {
    return absl::InvalidArgumentError(fmt::format("metric name \"{}\" normalizes to the invalid name \"{}\"", name, out));
  }
  return out;
}

absl::StatusOr<std::string> OtlpLabelName(std::string_view key) {
  if (key.empty()) return absl::InvalidArgumentError("empty attribute key");
  std::string out;
  out.reserve(key.size() + 4);
  ForEachRune(key, [&](char c) { out.push_back(IsAsciiAlnum(c) || c == '_' ? c : '_'); });
  if (IsDigit(out.front())) {
    out.insert(0, "key_");
  } else if (out.front() == '_' && (out.size() < 2 || out[1] != '_')) {
    out.insert(0, "key");
  }
  if (out != key && AllUnderscores(out)) {
    return absl::InvalidArgumentError(fmt::format("attribute key \"{}\" normalizes to the invalid label name \"{}\"", key, out));
  }
  return out;
}

}  // namespace strata
