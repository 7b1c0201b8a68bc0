#include "select/promql/lexer.h"
#include "select/promql/go_format.h"

#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <limits>

#include <fmt/format.h>

#include "common/base/status.h"

namespace strata::promql {
namespace {

bool IsAlpha(char c) { return c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsAlnum(char c) { return IsAlpha(c) || IsDigit(c); }
bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}


// Go's %q of a rune: 'x'.
std::string GoQuoteRune(char c) {
  if (c == '\'') return "'\\''";
  if (c == '\\') return "'\\\\'";
  return fmt::format("'{}'", c);
}

// Prometheus %U: U+0071.
std::string GoUnicode(unsigned char c) { return fmt::format("U+{:04X}", c); }

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

void AppendUtf8(uint32_t r, std::string* out) {
  if (r < 0x80) {
    out->push_back(static_cast<char>(r));
  } else if (r < 0x800) {
    out->push_back(static_cast<char>(0xC0 | (r >> 6)));
    out->push_back(static_cast<char>(0x80 | (r & 0x3F)));
  } else if (r < 0x10000) {
    out->push_back(static_cast<char>(0xE0 | (r >> 12)));
    out->push_back(static_cast<char>(0x80 | ((r >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (r & 0x3F)));
  } else {
    out->push_back(static_cast<char>(0xF0 | (r >> 18)));
    out->push_back(static_cast<char>(0x80 | ((r >> 12) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | ((r >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (r & 0x3F)));
  }
}

// Go's lexer decodes the query rune by rune; a string with bytes that are
// not UTF-8 is an error (escapes like \xff are fine).
bool ValidUtf8(std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    size_t len = 0;
    uint32_t r = 0;
    uint32_t min = 0;
    if (c < 0x80) {
      ++i;
      continue;
    } else if ((c & 0xE0) == 0xC0) {
      len = 2, r = c & 0x1F, min = 0x80;
    } else if ((c & 0xF0) == 0xE0) {
      len = 3, r = c & 0x0F, min = 0x800;
    } else if ((c & 0xF8) == 0xF0) {
      len = 4, r = c & 0x07, min = 0x10000;
    } else {
      return false;
    }
    if (i + len > s.size()) return false;
    for (size_t k = 1; k < len; ++k) {
      const auto b = static_cast<unsigned char>(s[i + k]);
      if ((b & 0xC0) != 0x80) return false;
      r = (r << 6) | (b & 0x3F);
    }
    if (r < min || r > 0x10FFFF || (r >= 0xD800 && r < 0xE000)) return false;
    i += len;
  }
  return true;
}

struct Keyword {
  std::string_view word;
  TokenType type;
};
constexpr Keyword kKeywords[] = {
    {"and", TokenType::kLand},         {"or", TokenType::kLor},
    {"unless", TokenType::kLunless},   {"atan2", TokenType::kAtan2},
    {"by", TokenType::kBy},            {"without", TokenType::kWithout},
    {"on", TokenType::kOn},            {"ignoring", TokenType::kIgnoring},
    {"group_left", TokenType::kGroupLeft}, {"group_right", TokenType::kGroupRight},
    {"bool", TokenType::kBool},        {"offset", TokenType::kOffset},
};

// The fixed spelling of punctuation and operator tokens, for Describe().
const char* FixedText(TokenType type) {
  switch (type) {
    case TokenType::kLeftParen: return "(";
    case TokenType::kRightParen: return ")";
    case TokenType::kLeftBrace: return "{";
    case TokenType::kRightBrace: return "}";
    case TokenType::kLeftBracket: return "[";
    case TokenType::kRightBracket: return "]";
    case TokenType::kComma: return ",";
    case TokenType::kColon: return ":";
    case TokenType::kAt: return "@";
    case TokenType::kAssign: return "=";
    case TokenType::kEqlRegex: return "=~";
    case TokenType::kNeqRegex: return "!~";
    default: return nullptr;
  }
}

}  // namespace

std::string Token::Describe() const {
  switch (type) {
    case TokenType::kEof: return "end of input";
    case TokenType::kError: return value;
    case TokenType::kIdentifier: {
      // Aggregators are keywords in Prometheus's lexer: <aggr:sum>.
      static constexpr std::string_view kAggregators[] = {
          "sum", "avg", "count", "min", "max", "group", "stddev", "stdvar", "topk", "bottomk",
          "count_values", "quantile", "limitk", "limit_ratio"};
      const std::string lower = Lower(text);
      for (std::string_view a : kAggregators) {
        if (a == lower) return fmt::format("<aggr:{}>", text);
      }
      return fmt::format("identifier {}", GoQuote(text));
    }
    case TokenType::kMetricIdentifier: return fmt::format("metric identifier {}", GoQuote(text));
    case TokenType::kNumber: return fmt::format("number {}", GoQuote(text));
    case TokenType::kDuration: return fmt::format("duration {}", GoQuote(text));
    case TokenType::kString: {
      // Prometheus abbreviates long values: %.10q...
      if (text.size() > 10) return fmt::format("string {}...", GoQuote(text.substr(0, 10)));
      return fmt::format("string {}", GoQuote(text));
    }
    default: break;
  }
  if (IsOperator()) return fmt::format("<op:{}>", text);
  if (IsKeyword()) return fmt::format("<{}>", text);
  if (const char* fixed = FixedText(type)) return GoQuote(fixed);
  return GoQuote(text);
}

Token Lexer::Make(TokenType type, size_t start) const {
  Token t;
  t.type = type;
  t.pos = static_cast<int>(start);
  t.text = input_.substr(start, pos_ - start);
  return t;
}

Token Lexer::Error(size_t pos, std::string message) {
  done_ = true;
  Token t;
  t.type = TokenType::kError;
  t.pos = static_cast<int>(pos);
  t.value = std::move(message);
  return t;
}

Token Lexer::Next() {
  if (done_) {
    Token t;
    t.pos = static_cast<int>(input_.size());
    return t;
  }
  // Skip whitespace and comments.
  while (pos_ < input_.size()) {
    if (IsSpace(input_[pos_])) {
      ++pos_;
    } else if (input_[pos_] == '#') {
      while (pos_ < input_.size() && input_[pos_] != '\n') ++pos_;
    } else {
      break;
    }
  }
  const size_t start = pos_;
  if (pos_ >= input_.size()) {
    if (in_braces_) return Error(start, "unexpected end of input inside braces");
    if (in_brackets_) return Error(start, "unclosed left bracket");
    if (paren_depth_ > 0) return Error(start, "unclosed left parenthesis");
    done_ = true;
    Token t;
    t.pos = static_cast<int>(start);
    return t;
  }
  const char c = input_[pos_];
  const char next = pos_ + 1 < input_.size() ? input_[pos_ + 1] : '\0';

  if (in_braces_) {
    // Inside braces only label matchers: identifiers (keywords included),
    // strings, matching operators and commas.
    if (IsAlpha(c)) {
      while (pos_ < input_.size() && IsAlnum(input_[pos_])) ++pos_;
      return Make(TokenType::kIdentifier, start);
    }
    switch (c) {
      case '"': case '\'': case '`': return LexString(c);
      case ',': ++pos_; return Make(TokenType::kComma, start);
      case '}': ++pos_; in_braces_ = false; return Make(TokenType::kRightBrace, start);
      case '=':
        pos_ += next == '~' ? 2 : 1;
        return Make(next == '~' ? TokenType::kEqlRegex : TokenType::kAssign, start);
      case '!':
        if (next == '~') { pos_ += 2; return Make(TokenType::kNeqRegex, start); }
        if (next == '=') { pos_ += 2; return Make(TokenType::kNeq, start); }
        return Error(start, fmt::format("unexpected character after '!' inside braces: {}", GoQuoteRune(next)));
      case '{': return Error(start, fmt::format("unexpected left brace {}", GoQuoteRune(c)));
      default: return Error(start, fmt::format("unexpected character inside braces: {}", GoQuoteRune(c)));
    }
  }

  if (IsDigit(c) || (c == '.' && IsDigit(next))) return LexNumberOrDuration();
  if (IsAlpha(c)) return LexIdentifier();

  auto single = [&](TokenType type) {
    ++pos_;
    return Make(type, start);
  };
  auto pair = [&](char second, TokenType two, TokenType one) {
    if (next == second) {
      pos_ += 2;
      return Make(two, start);
    }
    ++pos_;
    return Make(one, start);
  };
  switch (c) {
    case '"': case '\'': case '`': return LexString(c);
    case ',': return single(TokenType::kComma);
    case '*': return single(TokenType::kMul);
    case '/': return single(TokenType::kDiv);
    case '%': return single(TokenType::kMod);
    case '+': return single(TokenType::kAdd);
    case '-': return single(TokenType::kSub);
    case '^': return single(TokenType::kPow);
    case '@': return single(TokenType::kAt);
    case ':':
      if (!in_brackets_) return Error(start, fmt::format("unexpected colon {}", GoQuoteRune(c)));
      return single(TokenType::kColon);
    case '=':
      // Regex matchers exist only inside braces.
      if (next == '~') return Error(start, fmt::format("unexpected character after '=': {}", GoQuoteRune(next)));
      return pair('=', TokenType::kEql, TokenType::kAssign);
    case '!':
      if (next == '=') { pos_ += 2; return Make(TokenType::kNeq, start); }
      return Error(start, fmt::format("unexpected character after '!': {}", GoQuoteRune(next)));
    case '<': return pair('=', TokenType::kLte, TokenType::kLss);
    case '>': return pair('=', TokenType::kGte, TokenType::kGtr);
    case '(':
      ++paren_depth_;
      return single(TokenType::kLeftParen);
    case ')':
      if (paren_depth_ == 0) return Error(start, fmt::format("unexpected right parenthesis {}", GoQuoteRune(c)));
      --paren_depth_;
      return single(TokenType::kRightParen);
    case '{':
      in_braces_ = true;
      return single(TokenType::kLeftBrace);
    case '}': return Error(start, fmt::format("unexpected right brace {}", GoQuoteRune(c)));
    case '[':
      if (in_brackets_) return Error(start, fmt::format("unexpected left bracket {}", GoQuoteRune(c)));
      in_brackets_ = true;
      return single(TokenType::kLeftBracket);
    case ']':
      if (!in_brackets_) return Error(start, fmt::format("unexpected right bracket {}", GoQuoteRune(c)));
      in_brackets_ = false;
      return single(TokenType::kRightBracket);
    default:
      return Error(start, fmt::format("unexpected character: {}", GoQuoteRune(c)));
  }
}

Token Lexer::LexString(char quote) {
  const size_t start = pos_;
  ++pos_;
  while (true) {
    if (pos_ >= input_.size()) {
      return Error(start, quote == '`' ? "unterminated raw string" : "unterminated quoted string");
    }
    const char c = input_[pos_];
    if (c == quote) {
      ++pos_;
      break;
    }
    if (quote != '`') {
      if (c == '\n') return Error(start, "unterminated quoted string");
      if (c == '\\') ++pos_;  // the escaped character cannot close the string
    }
    ++pos_;
  }
  Token t = Make(TokenType::kString, start);
  if (!ValidUtf8(t.text)) return Error(start, "invalid UTF-8 rune");
  auto unquoted = Unquote(t.text);
  if (!unquoted.ok()) return Error(start, std::string(ToStd(unquoted.status().message())));
  t.value = *std::move(unquoted);
  return t;
}

Token Lexer::LexNumberOrDuration() {
  const size_t start = pos_;
  bool underscore = false;
  // Digits with Go-style `_` separators between digits (1_000, 0x_FF).
  auto digits = [&](bool hex) {
    auto is_digit = [&](char c) { return IsDigit(c) || (hex && HexValue(c) >= 0); };
    while (pos_ < input_.size()) {
      const char c = input_[pos_];
      if (is_digit(c)) {
        ++pos_;
        continue;
      }
      if (c == '_' && pos_ > start && pos_ + 1 < input_.size() && is_digit(input_[pos_ + 1]) &&
          (is_digit(input_[pos_ - 1]) || (hex && (input_[pos_ - 1] == 'x' || input_[pos_ - 1] == 'X')))) {
        underscore = true;
        ++pos_;
        continue;
      }
      break;
    }
  };
  bool hex = false;
  if (input_[pos_] == '0' && pos_ + 1 < input_.size() && (input_[pos_ + 1] == 'x' || input_[pos_ + 1] == 'X')) {
    pos_ += 2;
    hex = true;
  }
  digits(hex);
  bool plain_integer = !hex;
  if (!hex && pos_ < input_.size() && input_[pos_] == '.') {
    plain_integer = false;
    ++pos_;
    digits(false);
  }
  if (!hex && pos_ < input_.size() && (input_[pos_] == 'e' || input_[pos_] == 'E')) {
    // An exponent only when digits follow; `1e` alone is a bad number.
    size_t p = pos_ + 1;
    if (p < input_.size() && (input_[p] == '+' || input_[p] == '-')) ++p;
    if (p < input_.size() && IsDigit(input_[p])) {
      plain_integer = false;
      pos_ = p;
      digits(false);
    }
  }
  if (underscore) plain_integer = false;
  if (pos_ >= input_.size() || !IsAlnum(input_[pos_])) return Make(TokenType::kNumber, start);
  // A duration: digits followed by units, possibly compound (1h30m).
  if (plain_integer) {
    static constexpr std::string_view kUnits = "smhdwy";
    if (kUnits.find(input_[pos_]) != std::string_view::npos) {
      while (pos_ < input_.size() && (IsDigit(input_[pos_]) || kUnits.find(input_[pos_]) != std::string_view::npos)) {
        ++pos_;
      }
      if (pos_ >= input_.size() || !IsAlnum(input_[pos_])) return Make(TokenType::kDuration, start);
    }
  }
  ++pos_;
  return Error(start, fmt::format("bad number or duration syntax: {}", GoQuote(input_.substr(start, pos_ - start))));
}

Token Lexer::LexIdentifier() {
  const size_t start = pos_;
  while (pos_ < input_.size() && (IsAlnum(input_[pos_]) || input_[pos_] == ':')) ++pos_;
  Token t = Make(TokenType::kIdentifier, start);
  const std::string lower = Lower(t.text);
  if (lower == "inf" || lower == "nan") {
    t.type = TokenType::kNumber;
    return t;
  }
  if (t.text.find(':') != std::string_view::npos) {
    t.type = TokenType::kMetricIdentifier;
    return t;
  }
  for (const Keyword& k : kKeywords) {
    if (k.word == lower) {
      t.type = k.type;
      return t;
    }
  }
  // `start` and `end` are keywords only as `@ start()` / `@ end()`; elsewhere
  // they are ordinary metric names.
  size_t after = pos_;
  while (after < input_.size() && IsSpace(input_[after])) ++after;
  if ((lower == "start" || lower == "end") && after < input_.size() && input_[after] == '(') {
    t.type = lower == "start" ? TokenType::kStart : TokenType::kEnd;
  }
  return t;
}

absl::StatusOr<int64_t> ParseDuration(std::string_view text) {
  auto invalid = [&] {
    return absl::InvalidArgumentError(fmt::format("not a valid duration string: {}", GoQuote(text)));
  };
  if (text.empty()) return absl::InvalidArgumentError("empty duration string");
  if (text == "0") return 0;
  struct Unit {
    std::string_view name;
    int64_t ms;
  };
  // Order matters: each unit may appear once, largest first.
  static constexpr Unit kUnits[] = {{"y", 365LL * 24 * 3600 * 1000}, {"w", 7LL * 24 * 3600 * 1000},
                                    {"d", 24LL * 3600 * 1000},       {"h", 3600LL * 1000},
                                    {"m", 60LL * 1000},              {"s", 1000},
                                    {"ms", 1}};
  int64_t total = 0;
  size_t next_unit = 0;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t digits_end = pos;
    while (digits_end < text.size() && IsDigit(text[digits_end])) ++digits_end;
    if (digits_end == pos) return invalid();
    size_t unit_end = digits_end;
    while (unit_end < text.size() && !IsDigit(text[unit_end])) ++unit_end;
    const std::string_view unit = text.substr(digits_end, unit_end - digits_end);
    size_t u = next_unit;
    while (u < std::size(kUnits) && kUnits[u].name != unit) ++u;
    if (u == std::size(kUnits)) return invalid();
    next_unit = u + 1;
    uint64_t n = 0;
    auto [ptr, ec] = std::from_chars(text.data() + pos, text.data() + digits_end, n);
    (void)ptr;
    if (ec != std::errc() || n > static_cast<uint64_t>(std::numeric_limits<int64_t>::max() / kUnits[u].ms)) {
      return absl::InvalidArgumentError(fmt::format("duration out of range: {}", GoQuote(text)));
    }
    const int64_t add = static_cast<int64_t>(n) * kUnits[u].ms;
    if (total > std::numeric_limits<int64_t>::max() - add) {
      return absl::InvalidArgumentError(fmt::format("duration out of range: {}", GoQuote(text)));
    }
    total += add;
    pos = unit_end;
  }
  return total;
}

absl::StatusOr<std::string> Unquote(std::string_view quoted) {
  if (quoted.size() < 2 || quoted.front() != quoted.back() ||
      (quoted.front() != '"' && quoted.front() != '\'' && quoted.front() != '`')) {
    return absl::InvalidArgumentError(fmt::format("invalid quoted string {}", GoQuote(quoted)));
  }
  const char quote = quoted.front();
  std::string_view body = quoted.substr(1, quoted.size() - 2);
  if (quote == '`') return std::string(body);
  std::string out;
  out.reserve(body.size());
  for (size_t i = 0; i < body.size(); ++i) {
    const char c = body[i];
    if (c == quote) return absl::InvalidArgumentError("unescaped quote inside string");
    if (c != '\\') {
      out.push_back(c);
      continue;
    }
    if (++i >= body.size()) return absl::InvalidArgumentError("escape sequence not terminated");
    const char e = body[i];
    switch (e) {
      case 'a': out.push_back('\a'); continue;
      case 'b': out.push_back('\b'); continue;
      case 'f': out.push_back('\f'); continue;
      case 'n': out.push_back('\n'); continue;
      case 'r': out.push_back('\r'); continue;
      case 't': out.push_back('\t'); continue;
      case 'v': out.push_back('\v'); continue;
      case '\\': out.push_back('\\'); continue;
      default: break;
    }
    if (e == quote) {
      out.push_back(e);
      continue;
    }
    int len = 0;
    int base = 16;
    switch (e) {
      case 'x': len = 2; break;
      case 'u': len = 4; break;
      case 'U': len = 8; break;
      case '0': case '1': case '2': case '3': case '4': case '5': case '6': case '7':
        len = 3;
        base = 8;
        --i;  // the first octal digit is part of the number
        break;
      default:
        return absl::InvalidArgumentError(
            fmt::format("unknown escape sequence {}", GoUnicode(static_cast<unsigned char>(e))));
    }
    uint32_t value = 0;
    for (int k = 0; k < len; ++k) {
      if (++i >= body.size()) return absl::InvalidArgumentError("escape sequence not terminated");
      const int d = HexValue(body[i]);
      if (d < 0 || d >= base) {
        return absl::InvalidArgumentError(fmt::format("illegal character {} in escape sequence",
                                                      GoUnicode(static_cast<unsigned char>(body[i]))));
      }
      value = value * base + d;
    }
    if (e == 'x' || base == 8) {
      if (value > 255) return absl::InvalidArgumentError("octal escape value > 255");
      out.push_back(static_cast<char>(value));  // a raw byte, as in Go
    } else {
      if (value > 0x10FFFF || (value >= 0xD800 && value < 0xE000)) {
        return absl::InvalidArgumentError("escape sequence is an invalid Unicode code point");
      }
      AppendUtf8(value, &out);
    }
  }
  return out;
}

absl::StatusOr<double> ParseNumber(std::string_view text) {
  auto invalid = [&] {
    return absl::InvalidArgumentError(fmt::format("error parsing number: {}", GoQuote(text)));
  };
  if (text.empty()) return invalid();
  std::string lower = Lower(text);
  // Digit separators (1_000): the lexer only lets them through between digits.
  std::erase(lower, '_');
  if (lower == "inf" || lower == "+inf") return std::numeric_limits<double>::infinity();
  if (lower == "-inf") return -std::numeric_limits<double>::infinity();
  if (lower == "nan") return std::numeric_limits<double>::quiet_NaN();
  // strconv.ParseInt(text, 0, 64) first: 0x hex and leading-0 octal.
  if (lower.size() > 2 && lower[0] == '0' && lower[1] == 'x') {
    uint64_t v = 0;
    auto [ptr, ec] = std::from_chars(lower.data() + 2, lower.data() + lower.size(), v, 16);
    // strconv.ParseInt(s, 0, 64) is signed; ParseFloat rejects hex without
    // a 'p' exponent, so larger values are errors.
    if (ec != std::errc() || ptr != lower.data() + lower.size() ||
        v > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
      return invalid();
    }
    return static_cast<double>(v);
  }
  bool all_digits = true;
  for (char c : lower) all_digits &= IsDigit(c);
  if (all_digits && lower.size() > 1 && lower[0] == '0') {
    uint64_t v = 0;
    auto [ptr, ec] = std::from_chars(lower.data() + 1, lower.data() + lower.size(), v, 8);
    if (ec == std::errc() && ptr == lower.data() + lower.size()) return static_cast<double>(v);
    // Not octal (e.g. "09"): Go's ParseFloat reads it as decimal.
  }
  double v = 0;
  auto [ptr, ec] = std::from_chars(lower.data(), lower.data() + lower.size(), v);
  if (ptr != lower.data() + lower.size()) return invalid();
  if (ec == std::errc::result_out_of_range) {
    // Go reports overflow (±Inf) as an error but returns underflow as the
    // nearest denormal or zero.
    const double d = std::strtod(lower.c_str(), nullptr);
    if (std::isinf(d)) return invalid();
    return d;
  }
  if (ec != std::errc()) return invalid();
  return v;
}

}  // namespace strata::promql
