// File: select/promql/lexer.h
//
// The PromQL tokenizer, following Prometheus promql/parser/lex.go: the
// whole grammar's tokens are recognised (identifiers, metric names with ':',
// strings in all three quotings, numbers with hex/Inf/NaN/exponents,
// durations like `1h30m`, brackets, operators and keywords), so the parser
// can grow without touching the lexer. Aggregators and function names are
// plain identifiers; the parser decides what they mean.
//
// Also holds the PromQL duration and string-literal helpers that the HTTP
// parameter parser shares.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace strata::promql {

enum class TokenType : uint8_t {
  kEof,
  kError,            // text() is the error message
  kIdentifier,       // foo, job, sum
  kMetricIdentifier, // an identifier containing ':' (recording rules)
  kString,           // value() is the unquoted string
  kNumber,           // 1, 1.5e3, 0x1f, Inf, NaN
  kDuration,         // 5m, 1h30m
  kLeftParen, kRightParen,
  kLeftBrace, kRightBrace,
  kLeftBracket, kRightBracket,
  kComma, kColon, kAt,
  kAssign,           // =
  kEqlRegex,         // =~
  kNeqRegex,         // !~
  // Binary operators.
  kEql, kNeq, kLss, kLte, kGtr, kGte,
  kAdd, kSub, kMul, kDiv, kMod, kPow,
  // Keywords (matched case-sensitively, as in Prometheus).
  kLand, kLor, kLunless, kAtan2,
  kBy, kWithout, kOn, kIgnoring, kGroupLeft, kGroupRight, kBool,
  kOffset, kStart, kEnd,
};

struct Token {
  TokenType type = TokenType::kEof;
  int pos = 0;             // byte offset of the first character
  std::string_view text;   // the raw text in the query (empty for EOF)
  std::string value;       // unquoted string (kString) or error message (kError)

  bool IsKeyword() const { return type >= TokenType::kLand; }
  bool IsOperator() const {
    return (type >= TokenType::kEql && type <= TokenType::kPow) ||
           (type >= TokenType::kLand && type <= TokenType::kAtan2);
  }
  // How Prometheus names a token in "unexpected ..." messages:
  // `identifier "foo"`, `number "1"`, `end of input`, `"("`, `<op:+>`.
  std::string Describe() const;
};

// Splits a query into tokens, one per Next(). After kError or kEof every
// further call returns kEof. Thread-compatible; `input` must outlive it.
class Lexer {
 public:
  explicit Lexer(std::string_view input) : input_(input) {}

  Token Next();

 private:
  Token Make(TokenType type, size_t start) const;
  Token Error(size_t pos, std::string message);
  Token LexString(char quote);
  Token LexNumberOrDuration();
  Token LexIdentifier();

  std::string_view input_;
  size_t pos_ = 0;
  int paren_depth_ = 0;
  bool in_braces_ = false;
  bool in_brackets_ = false;
  bool done_ = false;
};

// Parses a Prometheus duration (`model.ParseDuration`): units y w d h m s ms,
// each at most once, largest first (`1h30m`); "0" is allowed. Returns
// milliseconds, or InvalidArgument `not a valid duration string: "x"`.
absl::StatusOr<int64_t> ParseDuration(std::string_view text);

// Unquotes a PromQL string literal including its quotes: "..." and '...'
// with Go escapes (\a \b \f \n \r \t \v \\ \' \" \xHH \ooo \uHHHH
// \UHHHHHHHH), `...` raw. InvalidArgument names a bad escape.
absl::StatusOr<std::string> Unquote(std::string_view quoted);

// Parses a PromQL number literal as Prometheus does: integers with base
// prefixes (0x, leading-0 octal) first, then decimal floats and Inf/NaN.
// `_` digit separators (1_000) are ignored; the lexer checks their placement.
absl::StatusOr<double> ParseNumber(std::string_view text);

}  // namespace strata::promql
