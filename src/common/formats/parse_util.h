// File: common/formats/parse_util.h
//
// Small pieces shared by the text import parsers: line iteration with line
// numbers, number parsing with the spellings the formats use (Inf, NaN), and
// RFC 3339 timestamps. Pure functions; thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

namespace strata::formats {

// Walks `body` line by line ('\n'; a trailing '\r' is dropped), numbering
// lines from 1. Thread-compatible.
class LineReader {
 public:
  explicit LineReader(std::string_view body) : rest_(body) {}
  // The next line (possibly empty), or false at the end of the body.
  bool Next(std::string_view* line);
  size_t line_number() const { return line_number_; }

 private:
  std::string_view rest_;
  size_t line_number_ = 0;
  bool done_ = false;
};

// A float as the text formats write it: decimal or exponent notation with an
// optional sign, and Inf/+Inf/-Inf/Infinity/NaN in any letter case. Nullopt
// unless all of `s` is consumed.
std::optional<double> ParseFloat(std::string_view s);

// A base-10 int64 with an optional sign; nullopt on overflow or trailing bytes.
std::optional<int64_t> ParseInt64(std::string_view s);
std::optional<uint64_t> ParseUint64(std::string_view s);

// `2006-01-02T15:04:05[.frac](Z|+07:00)` (a space or 't' also separates date
// and time; 'z' is accepted) to Unix milliseconds, fractions truncated.
std::optional<int64_t> ParseRfc3339Ms(std::string_view s);

// Strips ' ' and '\t' from both ends.
std::string_view TrimSpace(std::string_view s);

}  // namespace strata::formats
